/* elevenlabs.c — TTS plugin "elevenlabs": speech from ElevenLabs' streaming
 * text-to-speech API,
 *
 *   POST {base-url}/v1/text-to-speech/{voice_id}/stream?output_format=pcm_16000
 *   xi-api-key: KEY
 *   {"text": ..., "model_id": ..., "voice_settings": {...}}
 *
 * whose body is raw audio, streamed as it is generated: signed 16-bit
 * little-endian PCM at one of the rates ElevenLabs offers (the one nearest
 * the requested rate, resampled when it differs), or 8 kHz mu-law (what a
 * G.711 phone line carries anyway). Each chunk goes to the host as it
 * arrives. */
#define G_LOG_DOMAIN "tb-tts-elevenlabs"

#include <talkingbits-plugin.h>
#include "cloud-audio.h"
#include "cloud-http.h"
#include "tts-stream.h"

#include <math.h>
#include <string.h>

/* "Rachel", one of the voices every account has. */
#define DEFAULT_VOICE "21m00Tcm4TlvDq8ikWAM"

/* The rates of ElevenLabs' pcm_* output formats (pcm_44100 needs a paid
 * tier; 48000 is left out for the same reason). */
static const guint pcm_rates[] = { 8000, 16000, 22050, 24000, 44100 };

/* voice_settings.speed, ElevenLabs' range: a request's rate is clamped to it. */
#define MIN_SPEED 0.7
#define MAX_SPEED 1.2

typedef struct {
  TbCloudClient client;
  char *voice_id;
  char *model_id;
  double stability, similarity_boost, style;
  gboolean speaker_boost;
  gint64 latency;         /* optimize_streaming_latency, -1: not sent */
  gboolean ulaw;
} ElevenLabs;

static const TbConfigKey elevenlabs_keys[] = {
  TB_CLOUD_KEYS ("https://api.elevenlabs.io", TB_CONFIG_KEY_REQUIRED),
  { .name = "voice-id", .type = TB_CONFIG_TYPE_STRING, .default_value = DEFAULT_VOICE,
    .help = "ElevenLabs voice id, as GET /v1/voices lists them; a request's voice overrides it" },
  { .name = "model-id", .type = TB_CONFIG_TYPE_STRING, .default_value = "eleven_flash_v2_5",
    .help = "Model: eleven_flash_v2_5 (lowest latency), eleven_turbo_v2_5, "
            "eleven_multilingual_v2 ..." },
  { .name = "stability", .type = TB_CONFIG_TYPE_DOUBLE, .default_value = "0.5",
    .help = "Voice stability, 0 (expressive) to 1 (monotonous)", .min = 0, .max = 1 },
  { .name = "similarity-boost", .type = TB_CONFIG_TYPE_DOUBLE, .default_value = "0.75",
    .help = "How closely the voice keeps to its original, 0 to 1", .min = 0, .max = 1 },
  { .name = "style", .type = TB_CONFIG_TYPE_DOUBLE, .default_value = "0",
    .help = "Style exaggeration, 0 to 1 (0 is fastest)", .min = 0, .max = 1 },
  { .name = "use-speaker-boost", .type = TB_CONFIG_TYPE_BOOL, .default_value = "true",
    .help = "Boosts the likeness to the original speaker (a little slower)" },
  { .name = "optimize-streaming-latency", .type = TB_CONFIG_TYPE_INT,
    .help = "Latency optimisation, 0 (none) to 4 (most, text normaliser off); "
            "unset: the provider's default", .min = 0, .max = 4 },
  { .name = "output-format", .type = TB_CONFIG_TYPE_CHOICE, .default_value = "pcm",
    .choices = "pcm|ulaw",
    .help = "pcm: 16-bit PCM at the rate nearest the call's; ulaw: 8 kHz mu-law, "
            "the phone line's own quality, least data" },
  { NULL }
};

static gboolean
elevenlabs_init (const TbHost *host, GError **error)
{
  /* The resampler is GStreamer's. */
  return tb_tts_stream_init (error);
}

/* Voice ids go into the URL's path: letters and digits only. */
static gboolean
is_voice_id (const char *id)
{
  if (!id || !*id || strlen (id) > 64)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p))
      return FALSE;
  return TRUE;
}

static gboolean
is_model_id (const char *id)
{
  if (!id || !*id)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '.')
      return FALSE;
  return TRUE;
}

static void
elevenlabs_instance_free (gpointer instance)
{
  ElevenLabs *self = instance;

  if (!self)
    return;
  tb_cloud_client_clear (&self->client);
  g_free (self->voice_id);
  g_free (self->model_id);
  g_free (self);
}

static gpointer
elevenlabs_instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  ElevenLabs *self = g_new0 (ElevenLabs, 1);
  const char *format = "pcm";

  if (!tb_cloud_client_init (&self->client, "ElevenLabs", settings, "xi-api-key", "", error)) {
    g_free (self);
    return NULL;
  }
  g_variant_lookup (settings, "voice-id", "s", &self->voice_id);
  g_variant_lookup (settings, "model-id", "s", &self->model_id);
  self->stability = 0.5;
  self->similarity_boost = 0.75;
  self->speaker_boost = TRUE;
  self->latency = -1;
  g_variant_lookup (settings, "stability", "d", &self->stability);
  g_variant_lookup (settings, "similarity-boost", "d", &self->similarity_boost);
  g_variant_lookup (settings, "style", "d", &self->style);
  g_variant_lookup (settings, "use-speaker-boost", "b", &self->speaker_boost);
  g_variant_lookup (settings, "optimize-streaming-latency", "x", &self->latency);
  g_variant_lookup (settings, "output-format", "&s", &format);
  self->ulaw = g_str_equal (format, "ulaw");

  if (!self->voice_id)
    self->voice_id = g_strdup (DEFAULT_VOICE);
  if (!self->model_id)
    self->model_id = g_strdup ("eleven_flash_v2_5");
  if (!is_voice_id (self->voice_id)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "voice-id: '%s' is not an ElevenLabs voice id (letters and digits, "
                 "as GET /v1/voices lists them)", self->voice_id);
  } else if (!is_model_id (self->model_id)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "model-id: '%s' is not a model id (eleven_flash_v2_5, eleven_turbo_v2_5, ...)",
                 self->model_id);
  } else if (self->latency > 4) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "optimize-streaming-latency: %" G_GINT64_FORMAT " is not 0 to 4", self->latency);
  } else {
    return self;
  }
  elevenlabs_instance_free (self);
  return NULL;
}

/* The PCM rate to ask for: the requested one when ElevenLabs has it, else
 * the nearest (the higher of two as near), resampled on arrival. */
static guint
pcm_rate_for (guint wanted)
{
  guint best = pcm_rates[0];

  for (guint i = 1; i < G_N_ELEMENTS (pcm_rates); i++) {
    guint rate = pcm_rates[i];
    guint d = rate > wanted ? rate - wanted : wanted - rate;
    guint best_d = best > wanted ? best - wanted : wanted - best;

    if (d <= best_d)
      best = rate;
  }
  return best;
}

static GBytes *
request_body (ElevenLabs *self, const TbTtsRequest *request)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, request->text);
  json_builder_set_member_name (builder, "model_id");
  json_builder_add_string_value (builder, self->model_id);
  json_builder_set_member_name (builder, "voice_settings");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "stability");
  json_builder_add_double_value (builder, self->stability);
  json_builder_set_member_name (builder, "similarity_boost");
  json_builder_add_double_value (builder, self->similarity_boost);
  json_builder_set_member_name (builder, "style");
  json_builder_add_double_value (builder, self->style);
  json_builder_set_member_name (builder, "use_speaker_boost");
  json_builder_add_boolean_value (builder, self->speaker_boost);
  if (request->rate > 0 && fabs (request->rate - 1.0) > 1e-3) {
    json_builder_set_member_name (builder, "speed");
    json_builder_add_double_value (builder, CLAMP (request->rate, MIN_SPEED, MAX_SPEED));
  }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return tb_cloud_json_body (builder);
}

static void
elevenlabs_synthesize (gpointer instance, const TbTtsRequest *request,
                       const TbTtsCallbacks *callbacks, gpointer user_data,
                       GCancellable *cancellable)
{
  ElevenLabs *self = instance;
  TbCloudSpeech *speech = tb_cloud_speech_new (&self->client, request, callbacks, user_data,
                                               cancellable);
  const char *voice = tb_cloud_speech_voice (request, self->voice_id);
  g_autofree char *format = NULL, *latency = NULL, *path = NULL;
  g_autoptr(GBytes) body = NULL;
  guint rate;

  if (tb_cloud_speech_finish_if_blank (speech, request->text))
    return;
  if (!is_voice_id (voice)) {
    tb_cloud_speech_finish (speech, g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                                                 "'%s' is not an ElevenLabs voice id "
                                                 "(letters and digits)", voice));
    return;
  }
  rate = self->ulaw ? 8000 : pcm_rate_for (request->sample_rate);
  format = self->ulaw ? g_strdup ("ulaw_8000") : g_strdup_printf ("pcm_%u", rate);
  if (self->latency >= 0)
    latency = g_strdup_printf ("&optimize_streaming_latency=%" G_GINT64_FORMAT, self->latency);
  path = g_strdup_printf ("/v1/text-to-speech/%s/stream?output_format=%s%s", voice, format,
                          latency ? latency : "");
  body = request_body (self, request);
  g_debug ("%zu characters with voice %s, model %s, %s", strlen (request->text), voice,
           self->model_id, format);
  tb_cloud_speech_stream (speech, path, body,
                          self->ulaw ? TB_CLOUD_AUDIO_ULAW : TB_CLOUD_AUDIO_S16LE, rate);
}

static const TbTtsVTable elevenlabs_vtable = {
  .version = TB_TTS_VTABLE_VERSION,
  .synthesize = elevenlabs_synthesize,
};

static const TbPluginDesc elevenlabs_desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_TTS,
  .name = "elevenlabs",
  .version = "0.1.0",
  .description = "ElevenLabs streaming text to speech (PCM or mu-law, played as it arrives)",
  .license = "LGPL-2.1-or-later",
  .config_keys = elevenlabs_keys,
  .init = elevenlabs_init,
  .instance_new = elevenlabs_instance_new,
  .instance_free = elevenlabs_instance_free,
  .vtable = &elevenlabs_vtable,
};

TB_PLUGIN_DEFINE (elevenlabs_desc)
