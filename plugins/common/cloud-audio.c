/* cloud-audio.c — the cloud TTS providers' audio to the host (see
 * cloud-audio.h). Raw streams (ElevenLabs, OpenAI) are decoded chunk by
 * chunk as they arrive, so playback starts with the provider's first bytes;
 * a whole answer (Google) is decoded once it has come and played in pieces.
 * Resampling is tts-resample's windowed sinc, as for the local engines. */
#define G_LOG_DOMAIN "tb-cloud-audio"

#include "cloud-audio.h"
#include "tts-resample.h"

#include <string.h>

/* The longest whole answer kept: Google's 5000-byte text limit makes a few
 * minutes of audio, a few MB of base64. */
#define MAX_WHOLE_BYTES (64 * 1024 * 1024)
/* A whole answer reaches the host in pieces this long. */
#define PIECE_MS 100

/* ---- provider audio to host audio ------------------------------------------- */

struct _TbCloudAudio {
  TbCloudAudioEncoding encoding;
  guint in_rate, out_rate;
  TbTtsResampler *resampler;
  guint8 held;          /* the first byte of a sample cut in two ... */
  gboolean holding;     /* ... when there is one                     */
  guint64 bytes_in;
};

TbCloudAudio *
tb_cloud_audio_new (TbCloudAudioEncoding encoding, guint in_rate, guint out_rate)
{
  TbCloudAudio *self = g_new0 (TbCloudAudio, 1);

  self->encoding = encoding;
  self->in_rate = in_rate;
  self->out_rate = out_rate;
  self->resampler = tb_tts_resampler_new (in_rate, out_rate);
  return self;
}

void
tb_cloud_audio_free (TbCloudAudio *self)
{
  if (!self)
    return;
  tb_tts_resampler_free (self->resampler);
  g_free (self);
}

void
tb_cloud_audio_reset (TbCloudAudio *self)
{
  /* A new filter: the old one holds the look-ahead of the audio forgotten. */
  tb_tts_resampler_free (self->resampler);
  self->resampler = tb_tts_resampler_new (self->in_rate, self->out_rate);
  self->holding = FALSE;
  self->bytes_in = 0;
}

/* G.711 mu-law: bits inverted, then sign, 3-bit exponent, 4-bit mantissa,
 * with the bias of 0x84 the encoder added. */
static gint16
ulaw_to_s16 (guint8 byte)
{
  guint8 u = ~byte;
  int magnitude = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);

  return (gint16) ((u & 0x80) ? 0x84 - magnitude : magnitude - 0x84);
}

static gint16
s16le (guint8 low, guint8 high)
{
  return (gint16) (guint16) (low | (high << 8));
}

GBytes *
tb_cloud_audio_push (TbCloudAudio *self, const guint8 *data, gsize len)
{
  g_autofree gint16 *samples = g_new (gint16, len + 1);
  gsize n = 0, i = 0;

  self->bytes_in += len;
  if (self->encoding == TB_CLOUD_AUDIO_ULAW) {
    for (; i < len; i++)
      samples[n++] = ulaw_to_s16 (data[i]);
  } else {
    if (self->holding && len > 0) {
      samples[n++] = s16le (self->held, data[0]);
      self->holding = FALSE;
      i = 1;
    }
    for (; i + 1 < len; i += 2)
      samples[n++] = s16le (data[i], data[i + 1]);
    if (i < len) {
      self->held = data[i];
      self->holding = TRUE;
    }
  }
  return n ? tb_tts_resampler_process (self->resampler, samples, n) : NULL;
}

GBytes *
tb_cloud_audio_drain (TbCloudAudio *self, gboolean *whole)
{
  *whole = !self->holding;
  return tb_tts_resampler_drain (self->resampler);
}

guint64
tb_cloud_audio_bytes_in (TbCloudAudio *self)
{
  return self->bytes_in;
}

/* ---- one synthesis ---------------------------------------------------------- */

struct _TbCloudSpeech {
  TbCloudClient *client;        /* the instance's; outlives its requests */
  TbTtsCallbacks callbacks;
  gpointer user_data;
  GCancellable *cancellable;
  guint sample_rate;            /* what the host asked for */

  TbCloudRequest *request;      /* valid until its terminal callback returns */
  TbCloudAudio *audio;          /* a raw stream's decoder */
  gboolean type_checked;        /* the stream's Content-Type was looked at */
  GByteArray *whole;            /* a whole answer, as it comes */
  TbCloudSpeechDecodeFunc decode;
  char *auth_words;
  GError *finish_error;         /* tb_cloud_speech_finish() */
  GError *refused;              /* why the answer is refused, at its end */
  gboolean started;             /* audio went to the host */
};

TbCloudSpeech *
tb_cloud_speech_new (TbCloudClient *client, const TbTtsRequest *request,
                     const TbTtsCallbacks *callbacks, gpointer user_data,
                     GCancellable *cancellable)
{
  TbCloudSpeech *speech = g_new0 (TbCloudSpeech, 1);

  speech->client = client;
  speech->callbacks = *callbacks;
  speech->user_data = user_data;
  speech->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  speech->sample_rate = request->sample_rate;
  return speech;
}

static void
speech_free (TbCloudSpeech *speech)
{
  g_clear_object (&speech->cancellable);
  g_clear_pointer (&speech->audio, tb_cloud_audio_free);
  if (speech->whole)
    g_byte_array_unref (speech->whole);
  g_clear_error (&speech->finish_error);
  g_clear_error (&speech->refused);
  g_free (speech->auth_words);
  g_free (speech);
}

void
tb_cloud_speech_set_auth_words (TbCloudSpeech *speech, const char *words)
{
  g_free (speech->auth_words);
  speech->auth_words = g_strdup (words);
}

/* The one terminal callback: error(CANCELLED) once cancelled, whatever else
 * happened; error(@error) or done() otherwise. Frees @speech. */
static void
speech_end (TbCloudSpeech *speech, const GError *error)
{
  g_autoptr(GError) cancelled = NULL;

  if (g_cancellable_set_error_if_cancelled (speech->cancellable, &cancelled))
    error = cancelled;
  if (error)
    speech->callbacks.error (error, speech->user_data);
  else
    speech->callbacks.done (speech->user_data);
  speech_free (speech);
}

/* Gives @samples to the host. FALSE once cancelled: nothing more goes out,
 * even when the host cancels from inside its audio callback. */
static gboolean
deliver (TbCloudSpeech *speech, GBytes *samples)
{
  const gint16 *data;
  gsize size;

  if (g_cancellable_is_cancelled (speech->cancellable))
    return FALSE;
  if (!samples)
    return TRUE;
  data = g_bytes_get_data (samples, &size);
  if (size < sizeof (gint16))
    return TRUE;
  if (!speech->started) {
    /* The host may be playing it already: a retry would repeat it. */
    tb_cloud_request_set_started (speech->request);
    speech->started = TRUE;
  }
  speech->callbacks.audio (data, size / sizeof (gint16), speech->user_data);
  return !g_cancellable_is_cancelled (speech->cancellable);
}

static void
on_restart (gpointer user_data)
{
  TbCloudSpeech *speech = user_data;

  if (speech->audio)
    tb_cloud_audio_reset (speech->audio);
  speech->type_checked = FALSE;
  g_clear_error (&speech->refused);
  if (speech->whole)
    g_byte_array_set_size (speech->whole, 0);
}

static void
on_error (const GError *error, gpointer user_data)
{
  TbCloudSpeech *speech = user_data;
  g_autoptr(GError) auth = NULL;

  if (speech->auth_words && g_error_matches (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED) &&
      strstr (error->message, speech->auth_words)) {
    const char *status = strstr (error->message, "answered ");

    auth = g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_AUTH,
                        "invalid API key for provider %s (%s)", speech->client->provider,
                        status ? status + strlen ("answered ") : error->message);
    error = auth;
  }
  speech_end (speech, error);
}

/* The start of @data as printable text, for a message. */
static char *
printable_start (const guint8 *data, gsize len)
{
  GString *text = g_string_new (NULL);

  for (gsize i = 0; i < len && i < 160; i++)
    g_string_append_c (text, g_ascii_isprint (data[i]) ? (char) data[i] : '.');
  return g_string_free (text, FALSE);
}

/* A 2xx answer that is a document (a JSON error, a proxy's HTML page), not
 * the audio asked for: refused before it is played as noise. */
static gboolean
check_audio_type (TbCloudSpeech *speech, TbCloudRequest *request, const guint8 *data,
                  gsize len, GError **error)
{
  SoupMessageHeaders *headers = tb_cloud_request_response_headers (request);
  const char *type = headers ? soup_message_headers_get_content_type (headers, NULL) : NULL;
  g_autofree char *start = NULL;

  if (!type || !(g_str_has_prefix (type, "text/") || strstr (type, "json") ||
                 strstr (type, "xml") || strstr (type, "html")))
    return TRUE;
  start = printable_start (data, len);
  g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
               "provider %s sent %s instead of audio: %s", speech->client->provider, type, start);
  return FALSE;
}

/* The rest of the answer is ignored, and the request ends with @error
 * (taken) when the answer does. (Not tb_cloud_request_fail(): when it
 * retries from inside chunk(), the request goes on reading the attempt it
 * has just dropped.) */
static void
refuse_answer (TbCloudSpeech *speech, GError *error)
{
  g_clear_error (&speech->refused);
  speech->refused = error;
}

static void
on_stream_chunk (TbCloudRequest *request, const guint8 *data, gsize len, gpointer user_data)
{
  TbCloudSpeech *speech = user_data;
  g_autoptr(GBytes) samples = NULL;
  GError *error = NULL;

  if (g_cancellable_is_cancelled (speech->cancellable) || speech->refused)
    return;
  if (!speech->type_checked) {
    speech->type_checked = TRUE;
    if (!check_audio_type (speech, request, data, len, &error)) {
      refuse_answer (speech, error);
      return;
    }
  }
  samples = tb_cloud_audio_push (speech->audio, data, len);
  deliver (speech, samples);
}

static void
on_stream_done (gpointer user_data)
{
  TbCloudSpeech *speech = user_data;
  g_autoptr(GBytes) tail = NULL;
  g_autoptr(GError) error = NULL;
  gboolean whole;

  if (speech->refused) {
    speech_end (speech, speech->refused);
    return;
  }
  if (tb_cloud_audio_bytes_in (speech->audio) == 0) {
    error = g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                         "provider %s answered without audio", speech->client->provider);
  } else {
    tail = tb_cloud_audio_drain (speech->audio, &whole);
    if (!whole)
      /* A byte lost or added on the way: what followed it was noise. */
      error = g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                           "the audio from provider %s ended inside a sample "
                           "(an odd number of bytes of 16-bit audio)", speech->client->provider);
    else
      deliver (speech, tail);
  }
  speech_end (speech, error);
}

static const TbCloudRequestCallbacks stream_callbacks = {
  on_restart, on_stream_chunk, on_stream_done, on_error,
};

void
tb_cloud_speech_stream (TbCloudSpeech *speech, const char *path, GBytes *json_body,
                        TbCloudAudioEncoding encoding, guint rate)
{
  speech->audio = tb_cloud_audio_new (encoding, rate, speech->sample_rate);
  speech->request = tb_cloud_request_start (speech->client, "POST", path, "application/json",
                                            json_body, NULL, &stream_callbacks, speech,
                                            speech->cancellable);
}

static void
on_whole_chunk (TbCloudRequest *request, const guint8 *data, gsize len, gpointer user_data)
{
  TbCloudSpeech *speech = user_data;

  if (speech->refused)
    return;
  if (speech->whole->len + len > MAX_WHOLE_BYTES) {
    refuse_answer (speech, g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                                        "the answer of provider %s is longer than %d MB",
                                        speech->client->provider, MAX_WHOLE_BYTES >> 20));
    g_byte_array_set_size (speech->whole, 0);
    return;
  }
  g_byte_array_append (speech->whole, data, len);
}

/* Plays @pcm (S16LE at @rate) in pieces; FALSE when cancelled on the way. */
static gboolean
deliver_pieces (TbCloudSpeech *speech, GBytes *pcm, guint rate)
{
  g_autoptr(TbCloudAudio) audio = tb_cloud_audio_new (TB_CLOUD_AUDIO_S16LE, rate,
                                                      speech->sample_rate);
  g_autoptr(GBytes) tail = NULL;
  gsize size, piece = MAX (rate * PIECE_MS / 1000, 1) * sizeof (gint16);
  const guint8 *data = g_bytes_get_data (pcm, &size);
  gboolean whole;

  for (gsize offset = 0; offset < size; offset += piece) {
    g_autoptr(GBytes) samples = tb_cloud_audio_push (audio, data + offset,
                                                     MIN (piece, size - offset));

    if (!deliver (speech, samples))
      return FALSE;
  }
  tail = tb_cloud_audio_drain (audio, &whole);
  return deliver (speech, tail);
}

static void
on_whole_done (gpointer user_data)
{
  TbCloudSpeech *speech = user_data;
  g_autoptr(GBytes) body = NULL, pcm = NULL;
  g_autoptr(GError) error = NULL;
  guint rate = 0;

  if (g_cancellable_is_cancelled (speech->cancellable) || speech->refused) {
    speech_end (speech, speech->refused);
    return;
  }
  body = g_byte_array_free_to_bytes (g_steal_pointer (&speech->whole));
  pcm = speech->decode (body, &rate, &error);
  if (pcm && g_bytes_get_size (pcm) < sizeof (gint16))
    error = g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                         "provider %s answered without audio", speech->client->provider);
  if (!error)
    deliver_pieces (speech, pcm, rate);
  speech_end (speech, error);
}

static const TbCloudRequestCallbacks whole_callbacks = {
  on_restart, on_whole_chunk, on_whole_done, on_error,
};

void
tb_cloud_speech_fetch (TbCloudSpeech *speech, const char *path, GBytes *json_body,
                       TbCloudSpeechDecodeFunc decode)
{
  speech->whole = g_byte_array_new ();
  speech->decode = decode;
  speech->request = tb_cloud_request_start (speech->client, "POST", path, "application/json",
                                            json_body, "application/json", &whole_callbacks,
                                            speech, speech->cancellable);
}

static gboolean
on_finish_idle (gpointer user_data)
{
  TbCloudSpeech *speech = user_data;

  speech_end (speech, speech->finish_error);
  return G_SOURCE_REMOVE;
}

void
tb_cloud_speech_finish (TbCloudSpeech *speech, GError *error)
{
  GSource *idle = g_idle_source_new ();

  /* Never from inside synthesize(): from the caller's context, next. */
  speech->finish_error = error;
  g_source_set_callback (idle, on_finish_idle, speech, NULL);
  g_source_attach (idle, g_main_context_get_thread_default ());
  g_source_unref (idle);
}

gboolean
tb_cloud_text_is_blank (const char *text)
{
  for (const char *p = text; p && *p; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

gboolean
tb_cloud_speech_finish_if_blank (TbCloudSpeech *speech, const char *text)
{
  if (!tb_cloud_text_is_blank (text))
    return FALSE;
  tb_cloud_speech_finish (speech, NULL);
  return TRUE;
}

const char *
tb_cloud_speech_voice (const TbTtsRequest *request, const char *fallback)
{
  return request->voice && *request->voice ? request->voice : fallback;
}

GBytes *
tb_cloud_json_body (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  gsize length = 0;
  char *text;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  return g_bytes_new_take (text, length);
}
