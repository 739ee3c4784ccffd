/* fake-tts.c — tb-fake-cloud's text-to-speech providers:
 *
 *   tts-elevenlabs  POST /v1/text-to-speech/{voice_id}/stream?output_format=pcm_16000
 *                   (and without /stream), xi-api-key: KEY, body {"text", "model_id",
 *                   "voice_settings"}; answers raw audio, chunked, as it is "generated"
 *   tts-openai      POST /v1/audio/speech, Authorization: Bearer KEY, body {"model",
 *                   "input", "voice", "response_format", "speed", "instructions"};
 *                   answers raw 24 kHz S16LE PCM, chunked
 *   tts-google      POST /v1/text:synthesize, X-Goog-Api-Key: KEY, body {"input",
 *                   "voice", "audioConfig"}; answers {"audioContent": base64 WAV}
 *
 * The "speech" is a 440 Hz tone (tb_fake_tone) of 60 ms per character of
 * the text, divided by the speed asked for, at the rate and in the format
 * asked for. Raw audio goes out in 50 ms chunks whose sizes differ by a byte
 * now and then (odd sizes), as a network cuts a stream anywhere; Google's
 * JSON goes out in pieces of 8 KB.
 *
 * Each route checks the key and the request the way its provider does and
 * records a violation for what the provider would refuse, answering with
 * the provider's own error body then. Knobs (fake.h): status answers that
 * status with the provider's error body (429 with Retry-After); stall never
 * answers; drop_after cuts the connection after that many chunks (pieces);
 * malformed_at, for the raw audio routes: 0 answers 200 with a JSON
 * document instead of audio, N > 0 ends the body inside a sample at chunk
 * N; for Google: 0 makes audioContent not base64, 1 a WAV file without its
 * data chunk, 2 or more cuts the JSON short. The log's summary of a request
 * holds text, voice, model, format, rate and the provider's other settings,
 * and "answer": the status answered (0: none, stalled). */
#include "fake.h"

#include <string.h>

#define MS_PER_CHARACTER 60
#define RAW_CHUNK_MS 50
#define JSON_PIECE_BYTES 8192
#define OPENAI_RATE 24000

/* ---- answering ------------------------------------------------------------------ */

/* One answer under way. Routes are looked up again by name (a reset frees
 * them); the knobs are the ones the request came with. */
typedef struct {
  SoupServerMessage *msg;
  char *route;
  TbFakeKnobs knobs;
  gboolean faulty;          /* the faults of the knobs apply */
  guint status;             /* 200, or an error answered whole */
  char *content_type;
  GBytes *body;
  gsize offset;
  gsize piece;              /* usual chunk size */
  gboolean odd_sizes;       /* vary chunk sizes by a byte */
  int end_in_sample_at;     /* chunk at which the body ends inside a sample; -1 never */
  guint sent;               /* chunks sent */
  guint retry_after_s;
  guint timer;
  gboolean headers_out, completed;
} Answer;

static void
answer_free (Answer *answer)
{
  if (answer->timer)
    g_source_remove (answer->timer);
  g_signal_handlers_disconnect_by_data (answer->msg, answer);
  g_object_unref (answer->msg);
  g_free (answer->route);
  g_free (answer->content_type);
  g_bytes_unref (answer->body);
  g_free (answer);
}

static void
on_finished (SoupServerMessage *msg, gpointer data)
{
  answer_free (data);
}

/* The connection is cut in the middle of the answer, inside a chunk: the
 * size line of the next chunk goes out, then the socket is shut down. (A
 * cut between two chunks reads as the end of the body to libsoup's client,
 * which takes an end of stream where a chunk size should be for the last
 * chunk.) The server's own end of the answer then fails on the socket and
 * finishes the message. */
static void
answer_cut (Answer *answer)
{
  GSocket *socket = soup_server_message_get_socket (answer->msg);

  if (socket) {
    g_autofree char *size_line = g_strdup_printf ("%zx\r\n", answer->piece);

    g_socket_send (socket, size_line, strlen (size_line), NULL, NULL);
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
  }
  answer->completed = TRUE;
  soup_message_body_complete (soup_server_message_get_response_body (answer->msg));
  soup_server_message_unpause (answer->msg);
}

static gboolean answer_next (gpointer data);

static void
on_wrote (SoupServerMessage *msg, gpointer data)
{
  Answer *answer = data;

  if (answer->status == SOUP_STATUS_OK && !answer->completed && !answer->timer)
    answer->timer = tb_fake_after (answer->knobs.chunk_ms, answer_next, answer);
}

/* The size of chunk @index: the usual one, a byte more or less now and then
 * (the total stays the same: the last chunk takes what is left). */
static gsize
chunk_size (Answer *answer, guint index)
{
  if (!answer->odd_sizes)
    return answer->piece;
  switch (index % 4) {
  case 1: return answer->piece + 1;
  case 3: return answer->piece - 1;
  default: return answer->piece;
  }
}

/* The next chunk, or every one left in one (tb_fake_knobs_at_once). */
static gboolean
answer_next (gpointer data)
{
  Answer *answer = data;
  SoupMessageBody *body = soup_server_message_get_response_body (answer->msg);
  gsize total = g_bytes_get_size (answer->body), size;

  answer->timer = 0;
  if (answer->faulty && answer->knobs.drop_after >= 0 &&
      answer->sent == (guint) answer->knobs.drop_after) {
    answer_cut (answer);
    return G_SOURCE_REMOVE;
  }
  if (answer->end_in_sample_at >= 0 && answer->sent == (guint) answer->end_in_sample_at) {
    /* A stray byte when the audio so far is whole samples. */
    if (answer->offset % 2 == 0)
      soup_message_body_append (body, SOUP_MEMORY_STATIC, "\x7f", 1);
    answer->offset = total;
  }
  if (answer->offset < total) {
    size = tb_fake_knobs_at_once (&answer->knobs, answer->faulty)
           ? total - answer->offset
           : MIN (chunk_size (answer, answer->sent), total - answer->offset);
    soup_message_body_append (body, SOUP_MEMORY_COPY,
                              (const char *) g_bytes_get_data (answer->body, NULL) + answer->offset,
                              size);
    answer->offset += size;
    answer->sent++;
  }
  if (answer->offset >= total) {
    answer->completed = TRUE;
    soup_message_body_complete (body);
  }
  soup_server_message_unpause (answer->msg);
  return G_SOURCE_REMOVE;
}

/* After first_byte_ms: the status line and headers. */
static gboolean
answer_headers (gpointer data)
{
  Answer *answer = data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (answer->msg);

  answer->timer = 0;
  answer->headers_out = TRUE;
  soup_server_message_set_status (answer->msg, answer->status, NULL);
  if (answer->status != SOUP_STATUS_OK) {
    gsize len;
    const char *text = g_bytes_get_data (answer->body, &len);

    tb_fake_set_retry_after (answer->msg, answer->retry_after_s);
    soup_server_message_set_response (answer->msg, answer->content_type, SOUP_MEMORY_COPY, text,
                                      len);
  } else {
    soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
    soup_message_headers_replace (headers, "Content-Type", answer->content_type);
    /* The first audio goes with the status line (a cut at once still
     * waits for the headers to be out). */
    if (!(answer->faulty && answer->knobs.drop_after == 0))
      return answer_next (answer);
  }
  soup_server_message_unpause (answer->msg);
  return G_SOURCE_REMOVE;
}

/* Answers @msg with @status and @body of @content_type after the route's
 * first_byte_ms; a 200 is streamed in chunks of @piece bytes. Takes @body. */
static Answer *
answer_start (SoupServerMessage *msg, TbFakeRoute *route, gboolean faulty, guint status,
              const char *content_type, GBytes *body, gsize piece)
{
  Answer *answer = g_new0 (Answer, 1);

  answer->msg = g_object_ref (msg);
  answer->route = g_strdup (route->name);
  answer->knobs = route->knobs;
  answer->faulty = faulty;
  answer->status = status;
  answer->content_type = g_strdup (content_type);
  answer->body = body;
  answer->piece = MAX (piece, 2);
  answer->end_in_sample_at = -1;
  if (status == 429)
    answer->retry_after_s = route->knobs.retry_after_s;
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), answer);
  g_signal_connect (msg, "wrote-headers", G_CALLBACK (on_wrote), answer);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_wrote), answer);
  soup_server_message_pause (msg);
  answer->timer = tb_fake_after (route->knobs.first_byte_ms, answer_headers, answer);
  return answer;
}

static GBytes *
json_bytes (JsonNode *node, gboolean pretty)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  gsize len;
  char *text;

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, pretty);
  text = json_generator_to_data (generator, &len);
  return g_bytes_new_take (text, len);
}

/* ---- providers' error bodies ---------------------------------------------------- */

typedef enum { ELEVENLABS, OPENAI, GOOGLE } Provider;

static const char *const route_names[] = { "tts-elevenlabs", "tts-openai", "tts-google" };

/* ElevenLabs: {"detail": {"status": "...", "message": "..."}}. */
static JsonNode *
elevenlabs_error (const char *status, const char *message)
{
  JsonObject *detail = json_object_new (), *root = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (detail, "status", status);
  json_object_set_string_member (detail, "message", message);
  json_object_set_object_member (root, "detail", detail);
  json_node_take_object (node, root);
  return node;
}

/* Google: {"error": {"code", "message", "status"[, "details"]}}. */
static JsonNode *
google_error (guint code, const char *message, const char *status, const char *reason)
{
  JsonObject *error = json_object_new (), *root = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_int_member (error, "code", code);
  json_object_set_string_member (error, "message", message);
  json_object_set_string_member (error, "status", status);
  if (reason) {
    JsonArray *details = json_array_new ();
    JsonObject *info = json_object_new ();

    json_object_set_string_member (info, "@type", "type.googleapis.com/google.rpc.ErrorInfo");
    json_object_set_string_member (info, "reason", reason);
    json_object_set_string_member (info, "domain", "googleapis.com");
    json_array_add_object_element (details, info);
    json_object_set_array_member (error, "details", details);
  }
  json_object_set_object_member (root, "error", error);
  json_node_take_object (node, root);
  return node;
}

/* What @provider answers with @status (a knob's fault). */
static JsonNode *
status_error (Provider provider, guint status)
{
  switch (provider) {
  case ELEVENLABS:
    switch (status) {
    case 401: return elevenlabs_error ("invalid_api_key", "Invalid API key");
    case 429: return elevenlabs_error ("too_many_concurrent_requests",
                                       "Too many concurrent requests for your subscription.");
    case 503: return elevenlabs_error ("system_busy",
                                       "We are experiencing heavy traffic, please try again.");
    default: return elevenlabs_error ("internal_server_error", "An internal error occurred.");
    }
  case OPENAI:
    switch (status) {
    case 401: return tb_fake_openai_error ("Incorrect API key provided.", "invalid_request_error", NULL,
                                   "invalid_api_key");
    case 429: return tb_fake_openai_error ("Rate limit reached for requests per min (RPM). "
                                   "Please try again in 1s.", "requests", NULL,
                                   "rate_limit_exceeded");
    case 503: return tb_fake_openai_error ("The engine is currently overloaded, please try again later",
                                   "server_error", NULL, NULL);
    default: return tb_fake_openai_error ("The server had an error while processing your request. "
                                  "Sorry about that!", "server_error", NULL, NULL);
    }
  case GOOGLE:
  default:
    switch (status) {
    case 401: return google_error (401, "Request had invalid authentication credentials.",
                                   "UNAUTHENTICATED", NULL);
    case 403: return google_error (403, "The caller does not have permission",
                                   "PERMISSION_DENIED", NULL);
    case 429: return google_error (429, "Quota exceeded for quota metric 'Requests' of service "
                                   "'texttospeech.googleapis.com'.", "RESOURCE_EXHAUSTED", NULL);
    case 503: return google_error (503, "The service is currently unavailable.", "UNAVAILABLE",
                                   NULL);
    default: return google_error (status, "Internal error encountered.", "INTERNAL", NULL);
    }
  }
}

static const char *
error_content_type (Provider provider)
{
  return provider == GOOGLE ? "application/json; charset=UTF-8" : "application/json";
}

/* ---- checking a request --------------------------------------------------------- */

typedef struct {
  Provider provider;
  TbFakeRoute *route;
  SoupServerMessage *msg;
  JsonParser *parser;
  JsonObject *body;         /* the request's JSON object, or NULL */
  JsonObject *summary;
  /* The first thing wrong, answered with the provider's error. */
  guint status;
  JsonNode *error;
} Check;

static void
check_clear (Check *check)
{
  g_clear_object (&check->parser);
  g_clear_pointer (&check->summary, json_object_unref);
  g_clear_pointer (&check->error, json_node_unref);
}

/* The request is refused with @status and @error (taken), once. */
static void
refuse (Check *check, guint status, JsonNode *error)
{
  if (check->error) {
    json_node_unref (error);
    return;
  }
  check->status = status;
  check->error = error;
}

/* What the client sent that the provider would refuse: a violation, and
 * the provider's answer to a bad request. */
static void
violation (Check *check, const char *param, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
violation (Check *check, const char *param, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  tb_fake_violation (check->route, "%s", text);
  switch (check->provider) {
  case ELEVENLABS: {
    g_autofree char *message = g_strdup_printf ("%s: %s", param, text);

    refuse (check, 422, elevenlabs_error ("invalid_parameters", message));
    break;
  }
  case OPENAI:
    refuse (check, 400, tb_fake_openai_error (text, "invalid_request_error", param, "invalid_value"));
    break;
  case GOOGLE:
    refuse (check, 400, google_error (400, text, "INVALID_ARGUMENT", NULL));
    break;
  }
}

static gboolean
check_start (Check *check, Provider provider, SoupServerMessage *msg)
{
  const char *type = soup_message_headers_get_content_type (
    soup_server_message_get_request_headers (msg), NULL);

  check->provider = provider;
  check->route = tb_fake_route (route_names[provider]);
  check->msg = msg;
  check->parser = json_parser_new ();
  check->summary = json_object_new ();
  if (!g_str_equal (soup_server_message_get_method (msg), "POST")) {
    violation (check, "method", "%s instead of POST", soup_server_message_get_method (msg));
    return FALSE;
  }
  if (g_strcmp0 (type, "application/json") != 0)
    violation (check, "body", "Content-Type %s, not application/json", type ? type : "(none)");
  check->body = tb_fake_request_object (msg, check->parser);
  if (!check->body) {
    violation (check, "body", "the body is not a JSON object");
    return FALSE;
  }
  return TRUE;
}

/* Member @name of @object: a string, or NULL (with a violation when it is
 * there but not a string). */
static const char *
get_string (Check *check, JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (!node)
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING) {
    violation (check, name, "%s is not a string", name);
    return NULL;
  }
  return json_node_get_string (node);
}

/* Member @name of @object, a number in [@min, @max], into @value; FALSE
 * when absent (or wrong, with a violation). */
static gboolean
get_number (Check *check, JsonObject *object, const char *name, double min, double max,
            double *value)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;
  GType type;

  if (!node)
    return FALSE;
  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE) {
    violation (check, name, "%s is not a number", name);
    return FALSE;
  }
  *value = json_node_get_double (node);
  if (*value < min || *value > max) {
    violation (check, name, "%s %g is not in [%g, %g]", name, *value, min, max);
    return FALSE;
  }
  return TRUE;
}

/* Member @name of @object, an object, or NULL. */
static JsonObject *
get_object (Check *check, JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (!node)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    violation (check, name, "%s is not an object", name);
    return NULL;
  }
  return json_node_get_object (node);
}

/* Members of @object outside @known: refused by OpenAI and Google. */
static void
check_members (Check *check, JsonObject *object, const char *where, const char *const *known)
{
  g_autoptr(GList) members = object ? json_object_get_members (object) : NULL;

  for (GList *l = members; l; l = l->next)
    if (!g_strv_contains (known, l->data))
      violation (check, l->data, "unknown field %s%s%s", where, *where ? "." : "",
                 (const char *) l->data);
}

static gboolean
in_list (const char *value, const char *const *list)
{
  return value && g_strv_contains (list, value);
}

/* The text to speak: a non-empty string no longer than @max bytes. */
static const char *
check_text (Check *check, JsonObject *object, const char *name, gsize max)
{
  const char *text = get_string (check, object, name);

  if (!text || !*text) {
    violation (check, name, "%s is missing or empty", name);
    return NULL;
  }
  if (strlen (text) > max)
    violation (check, name, "%s is longer than %zu bytes", name, max);
  json_object_set_string_member (check->summary, "text", text);
  return text;
}

/* Whether the key is right; answers the provider's refusal when not. */
static gboolean
check_key (Check *check, const char *header, const char *prefix)
{
  const char *value = soup_message_headers_get_one (
    soup_server_message_get_request_headers (check->msg), header);

  if (tb_fake_check_key (check->route, check->msg, header, prefix))
    return TRUE;
  switch (check->provider) {
  case ELEVENLABS:
    refuse (check, 401, elevenlabs_error ("invalid_api_key", "Invalid API key"));
    break;
  case OPENAI:
    if (!value)
      refuse (check, 401, tb_fake_openai_error ("You didn't provide an API key. You need to provide "
                                        "your API key in an Authorization header using Bearer "
                                        "auth (i.e. Authorization: Bearer YOUR_KEY).",
                                        "invalid_request_error", NULL, NULL));
    else
      refuse (check, 401, tb_fake_openai_error ("Incorrect API key provided. You can find your API key "
                                        "at https://platform.openai.com/account/api-keys.",
                                        "invalid_request_error", NULL, "invalid_api_key"));
    break;
  case GOOGLE:
    /* Google's own answers: no key is an unregistered caller, a wrong one
     * an invalid argument. */
    if (!value)
      refuse (check, 403, google_error (403, "Method doesn't allow unregistered callers (callers "
                                        "without established identity). Please use API Key or "
                                        "other form of API consumer identity to call this API.",
                                        "PERMISSION_DENIED", NULL));
    else
      refuse (check, 400, google_error (400, "API key not valid. Please pass a valid API key.",
                                        "INVALID_ARGUMENT", "API_KEY_INVALID"));
    break;
  }
  return FALSE;
}

/* ---- the speech ----------------------------------------------------------------- */

/* Milliseconds of speech for @text at @speed. */
static guint
speech_ms (const char *text, double speed)
{
  return (guint) (g_utf8_strlen (text, -1) * MS_PER_CHARACTER / (speed > 0 ? speed : 1.0));
}

/* G.711 mu-law of a 16-bit sample. */
static guint8
s16_to_ulaw (gint16 sample)
{
  int value = sample, sign = 0, exponent = 7, mantissa;

  if (value < 0) {
    value = -value;
    sign = 0x80;
  }
  value = MIN (value, 32635) + 0x84;
  while (exponent > 0 && !(value & (0x4000 >> (7 - exponent))))
    exponent--;
  mantissa = (value >> (exponent + 3)) & 0x0f;
  return (guint8) ~(sign | (exponent << 4) | mantissa);
}

static GBytes *
tone_ulaw (guint ms)
{
  g_autoptr(GBytes) pcm = tb_fake_tone (8000, ms);
  gsize n = g_bytes_get_size (pcm) / 2;
  const gint16 *samples = g_bytes_get_data (pcm, NULL);
  guint8 *out = g_new (guint8, n);

  for (gsize i = 0; i < n; i++)
    out[i] = s16_to_ulaw (GINT16_FROM_LE (samples[i]));
  return g_bytes_new_take (out, n);
}

/* A WAV file (RIFF, fmt, data) of @pcm, 16-bit mono at @rate; without its
 * data chunk when @broken. */
static GBytes *
wav_file (GBytes *pcm, guint rate, gboolean broken)
{
  gsize n = g_bytes_get_size (pcm);
  GByteArray *wav = g_byte_array_sized_new (44 + n);
  guint32 u32;
  guint16 u16;

#define PUT32(v) (u32 = GUINT32_TO_LE (v), g_byte_array_append (wav, (guint8 *) &u32, 4))
#define PUT16(v) (u16 = GUINT16_TO_LE (v), g_byte_array_append (wav, (guint8 *) &u16, 2))
  g_byte_array_append (wav, (const guint8 *) "RIFF", 4);
  PUT32 (36 + n);
  g_byte_array_append (wav, (const guint8 *) "WAVEfmt ", 8);
  PUT32 (16);
  PUT16 (1);          /* PCM */
  PUT16 (1);          /* mono */
  PUT32 (rate);
  PUT32 (rate * 2);   /* bytes a second */
  PUT16 (2);          /* bytes a frame */
  PUT16 (16);         /* bits a sample */
  if (!broken) {
    g_byte_array_append (wav, (const guint8 *) "data", 4);
    PUT32 (n);
    g_byte_array_append (wav, g_bytes_get_data (pcm, NULL), n);
  }
#undef PUT32
#undef PUT16
  return g_byte_array_free_to_bytes (wav);
}

/* ---- answering a checked request ------------------------------------------------ */

/* Ends the handling of @check's request: the refusal when there is one,
 * else the faults of the knobs, else nothing (FALSE: the caller answers). */
static gboolean
answer_refusal_or_fault (Check *check, gboolean *faulty)
{
  TbFakeRoute *route = check->route;

  *faulty = !check->error && tb_fake_route_take_fault (route);
  json_object_set_int_member (check->summary, "answer",
                              check->error ? check->status
                              : *faulty && route->knobs.stall ? 0
                              : *faulty && route->knobs.status ? route->knobs.status : 200);
  tb_fake_log_request (route, check->msg, json_object_ref (check->summary));
  if (check->error) {
    answer_start (check->msg, route, FALSE, check->status, error_content_type (check->provider),
                  json_bytes (check->error, check->provider == GOOGLE), 0);
    return TRUE;
  }
  if (*faulty && route->knobs.stall) {
    /* No status line, ever: the client's first-byte deadline has to act. */
    soup_server_message_pause (check->msg);
    return TRUE;
  }
  if (*faulty && route->knobs.status) {
    g_autoptr(JsonNode) error = status_error (check->provider, route->knobs.status);

    answer_start (check->msg, route, TRUE, route->knobs.status,
                  error_content_type (check->provider),
                  json_bytes (error, check->provider == GOOGLE), 0);
    return TRUE;
  }
  return FALSE;
}

/* Streams @audio (@bytes_per_ms) as the provider's raw audio answer. */
static void
answer_raw_audio (Check *check, gboolean faulty, GBytes *audio, guint bytes_per_ms,
                  const char *content_type)
{
  int malformed = faulty ? check->route->knobs.malformed_at : -1;
  Answer *answer;

  if (malformed == 0) {
    /* 200, but a document where the audio should be. */
    g_autoptr(JsonNode) error = status_error (check->provider, 500);

    g_bytes_unref (audio);
    answer_start (check->msg, check->route, faulty, SOUP_STATUS_OK, "application/json",
                  json_bytes (error, FALSE), 1024);
    return;
  }
  answer = answer_start (check->msg, check->route, faulty, SOUP_STATUS_OK, content_type, audio,
                         RAW_CHUNK_MS * bytes_per_ms);
  answer->odd_sizes = TRUE;
  answer->end_in_sample_at = malformed;
}

/* ---- ElevenLabs ----------------------------------------------------------------- */

static const char *const elevenlabs_models[] = {
  "eleven_flash_v2_5", "eleven_turbo_v2_5", "eleven_flash_v2", "eleven_turbo_v2",
  "eleven_multilingual_v2", "eleven_monolingual_v1", "eleven_multilingual_v1", "eleven_v3",
  NULL
};

/* output_format values ElevenLabs knows, and the raw ones the fake speaks. */
static const char *const elevenlabs_formats[] = {
  "mp3_22050_32", "mp3_44100_32", "mp3_44100_64", "mp3_44100_96", "mp3_44100_128",
  "mp3_44100_192", "opus_48000_32", "opus_48000_64", "opus_48000_96", "opus_48000_128",
  "opus_48000_192", "alaw_8000", "pcm_48000",
  "pcm_8000", "pcm_16000", "pcm_22050", "pcm_24000", "pcm_44100", "ulaw_8000", NULL
};

/* The fake's voices: every id shaped like ElevenLabs' (20 letters and
 * digits); others are not found. */
static gboolean
is_voice_id (const char *id)
{
  if (strlen (id) != 20)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p))
      return FALSE;
  return TRUE;
}

static void
elevenlabs_voice_settings (Check *check, double *speed)
{
  JsonObject *settings = get_object (check, check->body, "voice_settings");
  const char *const unit[] = { "stability", "similarity_boost", "style" };
  JsonNode *boost;
  double value;

  if (!settings)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (unit); i++)
    if (get_number (check, settings, unit[i], 0, 1, &value))
      json_object_set_double_member (check->summary, unit[i], value);
  boost = json_object_get_member (settings, "use_speaker_boost");
  if (boost) {
    if (!JSON_NODE_HOLDS_VALUE (boost) || json_node_get_value_type (boost) != G_TYPE_BOOLEAN)
      violation (check, "use_speaker_boost", "use_speaker_boost is not a boolean");
    else
      json_object_set_boolean_member (check->summary, "use_speaker_boost",
                                      json_node_get_boolean (boost));
  }
  if (get_number (check, settings, "speed", 0.7, 1.2, speed))
    json_object_set_double_member (check->summary, "speed", *speed);
}

static void
on_elevenlabs (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
               gpointer data)
{
  Check check = { 0 };
  const char *rest = path + strlen ("/v1/text-to-speech/");
  g_autofree char *voice = NULL;
  const char *format, *latency, *text, *model;
  double speed = 1.0;
  guint rate = 0;
  gboolean faulty = FALSE;
  GBytes *audio;

  if (!g_str_has_prefix (path, "/v1/text-to-speech/")) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  voice = g_str_has_suffix (rest, "/stream") ? g_strndup (rest, strlen (rest) - strlen ("/stream"))
                                             : g_strdup (rest);
  if (check_start (&check, ELEVENLABS, msg) && check_key (&check, "xi-api-key", "")) {
    json_object_set_string_member (check.summary, "voice", voice);
    format = query ? g_hash_table_lookup (query, "output_format") : NULL;
    latency = query ? g_hash_table_lookup (query, "optimize_streaming_latency") : NULL;
    if (!format)
      violation (&check, "output_format", "no output_format: ElevenLabs would send "
                 "mp3_44100_128, which is not raw audio");
    else if (!in_list (format, elevenlabs_formats))
      violation (&check, "output_format", "output_format %s is not one of ElevenLabs'", format);
    else if (!g_str_has_prefix (format, "pcm_") && !g_str_equal (format, "ulaw_8000"))
      violation (&check, "output_format", "output_format %s: ask for pcm_* or ulaw_8000, "
                 "audio that plays as it streams", format);
    else if (g_str_equal (format, "pcm_48000"))
      violation (&check, "output_format", "pcm_48000 needs a subscription tier this key lacks");
    else
      rate = g_str_has_prefix (format, "pcm_") ? (guint) g_ascii_strtoull (format + 4, NULL, 10)
                                                 : 8000;
    if (format)
      json_object_set_string_member (check.summary, "format", format);
    if (rate)
      json_object_set_int_member (check.summary, "rate", rate);
    if (latency) {
      guint64 level;

      if (!g_ascii_string_to_unsigned (latency, 10, 0, 4, &level, NULL))
        violation (&check, "optimize_streaming_latency",
                   "optimize_streaming_latency %s is not 0 to 4", latency);
      json_object_set_string_member (check.summary, "latency", latency);
    }
    text = check_text (&check, check.body, "text", 40000);
    model = get_string (&check, check.body, "model_id");
    if (model)
      json_object_set_string_member (check.summary, "model", model);
    elevenlabs_voice_settings (&check, &speed);
    if (!check.error && !is_voice_id (voice)) {
      g_autofree char *message = g_strdup_printf ("A voice with the voice_id %s was not found.",
                                                  voice);

      refuse (&check, 404, elevenlabs_error ("voice_not_found", message));
    }
    if (!check.error && model && !in_list (model, elevenlabs_models)) {
      g_autofree char *message = g_strdup_printf ("A model with model ID %s does not exist.",
                                                  model);

      refuse (&check, 400, elevenlabs_error ("model_not_found", message));
    }
    if (!answer_refusal_or_fault (&check, &faulty)) {
      gboolean ulaw = g_str_equal (format, "ulaw_8000");

      audio = ulaw ? tone_ulaw (speech_ms (text, speed))
                   : tb_fake_tone (rate, speech_ms (text, speed));
      answer_raw_audio (&check, faulty, audio, ulaw ? 8 : rate * 2 / 1000,
                        ulaw ? "audio/basic" : "audio/pcm");
    }
  } else {
    answer_refusal_or_fault (&check, &faulty);
  }
  check_clear (&check);
}

/* ---- OpenAI --------------------------------------------------------------------- */

static const char *const openai_models[] = {
  "tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15", NULL
};
static const char *const openai_voices[] = {
  "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer",
  "verse", "marin", "cedar", NULL
};
static const char *const openai_formats[] = { "mp3", "opus", "aac", "flac", "wav", "pcm", NULL };
static const char *const openai_fields[] = {
  "model", "input", "voice", "instructions", "response_format", "speed", "stream_format", NULL
};

static void
on_openai (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
           gpointer data)
{
  Check check = { 0 };
  const char *text, *model, *voice, *format, *instructions;
  double speed = 1.0;
  gboolean faulty = FALSE;

  if (check_start (&check, OPENAI, msg) && check_key (&check, "Authorization", "Bearer ")) {
    check_members (&check, check.body, "", openai_fields);
    text = check_text (&check, check.body, "input", 4096);
    model = get_string (&check, check.body, "model");
    voice = get_string (&check, check.body, "voice");
    format = get_string (&check, check.body, "response_format");
    instructions = get_string (&check, check.body, "instructions");
    if (get_number (&check, check.body, "speed", 0.25, 4.0, &speed))
      json_object_set_double_member (check.summary, "speed", speed);
    if (!model)
      violation (&check, "model", "model is missing");
    if (!voice)
      violation (&check, "voice", "voice is missing");
    if (!format)
      violation (&check, "response_format", "no response_format: OpenAI would send mp3");
    else if (!in_list (format, openai_formats))
      violation (&check, "response_format", "response_format %s is not one of OpenAI's", format);
    else if (!g_str_equal (format, "pcm"))
      violation (&check, "response_format", "response_format %s: ask for pcm, audio that plays "
                 "as it streams", format);
    if (instructions && model && g_str_has_prefix (model, "tts-1"))
      violation (&check, "instructions", "instructions do not work with %s", model);
    if (model)
      json_object_set_string_member (check.summary, "model", model);
    if (voice)
      json_object_set_string_member (check.summary, "voice", voice);
    if (format)
      json_object_set_string_member (check.summary, "format", format);
    if (instructions)
      json_object_set_string_member (check.summary, "instructions", instructions);
    json_object_set_int_member (check.summary, "rate", OPENAI_RATE);
    if (!check.error && model && !in_list (model, openai_models)) {
      g_autofree char *message = g_strdup_printf ("The model `%s` does not exist or you do not "
                                                  "have access to it.", model);

      refuse (&check, 404, tb_fake_openai_error (message, "invalid_request_error", NULL,
                                         "model_not_found"));
    }
    if (!check.error && voice && !in_list (voice, openai_voices)) {
      g_autofree char *list = g_strjoinv ("', '", (char **) openai_voices);
      g_autofree char *message = g_strdup_printf ("Invalid value: '%s'. Supported values are: "
                                                  "'%s'.", voice, list);

      refuse (&check, 400, tb_fake_openai_error (message, "invalid_request_error", "voice",
                                         "invalid_value"));
    }
    if (!answer_refusal_or_fault (&check, &faulty))
      answer_raw_audio (&check, faulty, tb_fake_tone (OPENAI_RATE, speech_ms (text, speed)),
                        OPENAI_RATE * 2 / 1000, "audio/pcm");
  } else {
    answer_refusal_or_fault (&check, &faulty);
  }
  check_clear (&check);
}

/* ---- Google --------------------------------------------------------------------- */

static const char *const google_fields[] = { "input", "voice", "audioConfig", NULL };
static const char *const google_input_fields[] = { "text", "ssml", "markup", NULL };
static const char *const google_voice_fields[] = {
  "languageCode", "name", "ssmlGender", "customVoice", "voiceClone", NULL
};
static const char *const google_audio_fields[] = {
  "audioEncoding", "speakingRate", "pitch", "volumeGainDb", "sampleRateHertz",
  "effectsProfileId", NULL
};
static const char *const google_encodings[] = {
  "LINEAR16", "MP3", "OGG_OPUS", "MULAW", "ALAW", "PCM", "M4A", NULL
};
static const char *const google_genders[] = {
  "SSML_VOICE_GENDER_UNSPECIFIED", "MALE", "FEMALE", "NEUTRAL", NULL
};

/* The voice: languageCode required; a name must be of that language. */
static void
google_voice (Check *check, JsonObject *voice)
{
  const char *language = get_string (check, voice, "languageCode");
  const char *name = get_string (check, voice, "name");
  const char *gender = get_string (check, voice, "ssmlGender");
  g_auto(GStrv) parts = name ? g_strsplit (name, "-", -1) : NULL;

  check_members (check, voice, "voice", google_voice_fields);
  if (!language || !*language)
    violation (check, "voice.languageCode", "voice.languageCode is required");
  else
    json_object_set_string_member (check->summary, "language", language);
  if (gender && !in_list (gender, google_genders))
    violation (check, "voice.ssmlGender", "Invalid value at 'voice.ssml_gender' (%s)", gender);
  else if (gender)
    json_object_set_string_member (check->summary, "gender", gender);
  if (!name)
    return;
  json_object_set_string_member (check->summary, "voice", name);
  if (g_strv_length (parts) < 4) {
    g_autofree char *message = g_strdup_printf ("Voice '%s' does not exist. Is it misspelled?",
                                                name);

    refuse (check, 400, google_error (400, message, "INVALID_ARGUMENT", NULL));
  } else if (language && g_ascii_strncasecmp (name, language, strlen (language)) != 0) {
    g_autofree char *message = g_strdup_printf ("Requested language code '%s' doesn't match the "
                                                "voice '%s''s language code '%s-%s'. Either "
                                                "remove the language code or change the voice.",
                                                language, name, parts[0], parts[1]);

    refuse (check, 400, google_error (400, message, "INVALID_ARGUMENT", NULL));
  }
}

/* The audio config: LINEAR16 (what the fake speaks) at a phone-like rate. */
static void
google_audio_config (Check *check, JsonObject *config, guint *rate, double *speed)
{
  const char *encoding = get_string (check, config, "audioEncoding");
  double value;

  check_members (check, config, "audioConfig", google_audio_fields);
  if (!encoding)
    violation (check, "audioConfig.audioEncoding", "audioConfig.audioEncoding is required");
  else if (!in_list (encoding, google_encodings))
    violation (check, "audioConfig.audioEncoding", "Invalid value at "
               "'audio_config.audio_encoding' (%s)", encoding);
  else if (!g_str_equal (encoding, "LINEAR16"))
    violation (check, "audioConfig.audioEncoding", "audioEncoding %s: ask for LINEAR16",
               encoding);
  if (encoding)
    json_object_set_string_member (check->summary, "format", encoding);
  if (get_number (check, config, "sampleRateHertz", 8000, 48000, &value)) {
    if (value != (guint) value)
      violation (check, "audioConfig.sampleRateHertz", "sampleRateHertz %g is not an integer",
                 value);
    *rate = (guint) value;
  }
  json_object_set_int_member (check->summary, "rate", *rate);
  /* 0 is "unset": the voice's own rate. */
  if (get_number (check, config, "speakingRate", 0, 4.0, &value) && value != 0) {
    if (value < 0.25)
      violation (check, "audioConfig.speakingRate", "speakingRate %g is below 0.25", value);
    *speed = value;
    json_object_set_double_member (check->summary, "speaking_rate", value);
  }
  if (get_number (check, config, "pitch", -20, 20, &value))
    json_object_set_double_member (check->summary, "pitch", value);
  get_number (check, config, "volumeGainDb", -96, 16, &value);
}

/* {"audioContent": ...} as Google writes it, malformed as the knobs say. */
static GBytes *
google_answer (const char *text, guint rate, double speed, int malformed)
{
  g_autoptr(GBytes) pcm = tb_fake_tone (rate, speech_ms (text, speed));
  g_autoptr(GBytes) wav = wav_file (pcm, rate, malformed == 1);
  g_autofree char *base64 = g_base64_encode (g_bytes_get_data (wav, NULL),
                                             g_bytes_get_size (wav));
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();
  GBytes *answer;

  if (malformed == 0)
    base64[1] = '@';    /* not in the base64 alphabet */
  json_object_set_string_member (object, "audioContent", base64);
  json_node_take_object (node, object);
  answer = json_bytes (node, TRUE);
  if (malformed >= 2) {
    /* Cut in the middle of the base64 string. */
    GBytes *cut = g_bytes_new_from_bytes (answer, 0, g_bytes_get_size (answer) / 2);

    g_bytes_unref (answer);
    answer = cut;
  }
  return answer;
}

static void
on_google (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
           gpointer data)
{
  Check check = { 0 };
  JsonObject *input, *voice, *config;
  const char *text = NULL;
  guint rate = 24000;
  double speed = 1.0;
  gboolean faulty = FALSE;

  if (!g_str_equal (path, "/v1/text:synthesize")) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  if (check_start (&check, GOOGLE, msg) && check_key (&check, "X-Goog-Api-Key", "")) {
    check_members (&check, check.body, "", google_fields);
    input = get_object (&check, check.body, "input");
    voice = get_object (&check, check.body, "voice");
    config = get_object (&check, check.body, "audioConfig");
    check_members (&check, input, "input", google_input_fields);
    if (!input)
      violation (&check, "input", "input is required");
    else if (json_object_has_member (input, "ssml"))
      violation (&check, "input.ssml", "input.ssml: the plugin sends text");
    else
      text = check_text (&check, input, "text", 5000);
    if (!voice)
      violation (&check, "voice", "voice is required");
    else
      google_voice (&check, voice);
    if (!config)
      violation (&check, "audioConfig", "audioConfig is required");
    else
      google_audio_config (&check, config, &rate, &speed);
    if (!answer_refusal_or_fault (&check, &faulty))
      answer_start (msg, check.route, faulty, SOUP_STATUS_OK, "application/json; charset=UTF-8",
                    google_answer (text, rate, speed,
                                   faulty ? check.route->knobs.malformed_at : -1),
                    JSON_PIECE_BYTES);
  } else {
    answer_refusal_or_fault (&check, &faulty);
  }
  check_clear (&check);
}

void
tb_fake_tts_register (SoupServer *server)
{
  soup_server_add_handler (server, "/v1/text-to-speech", on_elevenlabs, NULL, NULL);
  soup_server_add_handler (server, "/v1/audio/speech", on_openai, NULL, NULL);
  soup_server_add_handler (server, "/v1/text:synthesize", on_google, NULL, NULL);
}
