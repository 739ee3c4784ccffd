/* google.c — TTS plugin "google": speech from Google Cloud Text-to-Speech,
 *
 *   POST {base-url}/v1/text:synthesize
 *   X-Goog-Api-Key: KEY
 *   {"input": {"text": ...},
 *    "voice": {"languageCode": ..., "name": ..., "ssmlGender": ...},
 *    "audioConfig": {"audioEncoding": "LINEAR16", "sampleRateHertz": <the call's rate>,
 *                    "speakingRate": ..., "pitch": ...}}
 *
 * answered with {"audioContent": "<base64 WAV file>"} once the whole text is
 * synthesised (this API does not stream): the WAV's samples go to the host
 * in 100 ms pieces, resampled if Google chose another rate than the one
 * asked for. Google refuses a bad key with 400 "API key not valid", which is
 * reported as the authentication failure it is. */
#define G_LOG_DOMAIN "tb-tts-google"

#include <talkingbits-plugin.h>
#include "cloud-audio.h"
#include "cloud-http.h"
#include "google-audio.h"
#include "tts-stream.h"

#include <string.h>

#define MIN_SPEAKING_RATE 0.25
#define MAX_SPEAKING_RATE 4.0

typedef struct {
  TbCloudClient client;
  char *voice_name;     /* NULL: Google picks one for the language */
  char *language_code;  /* NULL: the voice's, the request's, or en-US */
  char *gender;         /* "FEMALE", "MALE", "NEUTRAL" or NULL */
  double speaking_rate;
  double pitch;
} Google;

static const TbConfigKey google_keys[] = {
  TB_CLOUD_KEYS ("https://texttospeech.googleapis.com", TB_CONFIG_KEY_REQUIRED),
  { .name = "voice-name", .type = TB_CONFIG_TYPE_STRING,
    .help = "Voice, e.g. en-US-Neural2-C or de-DE-Wavenet-B; unset: Google picks one for the "
            "language (and ssml-gender); a request's voice overrides it" },
  { .name = "language-code", .type = TB_CONFIG_TYPE_STRING,
    .help = "BCP 47 language, e.g. en-US; unset: the voice's, else the call's, else en-US" },
  { .name = "ssml-gender", .type = TB_CONFIG_TYPE_CHOICE, .choices = "female|male|neutral",
    .help = "Preferred gender when Google picks the voice; unset: any" },
  { .name = "speaking-rate", .type = TB_CONFIG_TYPE_DOUBLE, .default_value = "1.0",
    .help = "Speaking rate, 0.25 to 4.0, multiplied by the request's rate",
    .min = MIN_SPEAKING_RATE, .max = MAX_SPEAKING_RATE },
  { .name = "pitch", .type = TB_CONFIG_TYPE_DOUBLE, .default_value = "0",
    .help = "Pitch in semitones, -20 to 20", .min = -20, .max = 20 },
  { NULL }
};

static gboolean
google_init (const TbHost *host, GError **error)
{
  /* The resampler is GStreamer's. */
  return tb_tts_stream_init (error);
}

/* Voice names and language codes: letters, digits, '-' (and '_' in names). */
static gboolean
is_name (const char *text, gboolean underscore)
{
  if (!text || !*text || strlen (text) > 100)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && !(underscore && *p == '_'))
      return FALSE;
  return TRUE;
}

/* The language of a voice named like "en-US-Neural2-C", or NULL. */
static char *
voice_language (const char *voice)
{
  g_auto(GStrv) parts = g_strsplit (voice, "-", 3);

  if (g_strv_length (parts) < 3 || strlen (parts[0]) < 2 || strlen (parts[0]) > 3)
    return NULL;
  return g_strdup_printf ("%s-%s", parts[0], parts[1]);
}

static void
google_instance_free (gpointer instance)
{
  Google *self = instance;

  if (!self)
    return;
  tb_cloud_client_clear (&self->client);
  g_free (self->voice_name);
  g_free (self->language_code);
  g_free (self->gender);
  g_free (self);
}

/* A string setting, NULL when unset or blank. */
static char *
lookup_text (GVariant *settings, const char *key)
{
  char *value = NULL;

  if (g_variant_lookup (settings, key, "s", &value) && !*g_strstrip (value))
    g_clear_pointer (&value, g_free);
  return value;
}

static gpointer
google_instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  Google *self = g_new0 (Google, 1);
  g_autofree char *gender = NULL;

  if (!tb_cloud_client_init (&self->client, "Google", settings, "X-Goog-Api-Key", "", error)) {
    g_free (self);
    return NULL;
  }
  self->voice_name = lookup_text (settings, "voice-name");
  self->language_code = lookup_text (settings, "language-code");
  gender = lookup_text (settings, "ssml-gender");
  if (gender)
    self->gender = g_ascii_strup (gender, -1);
  self->speaking_rate = 1.0;
  g_variant_lookup (settings, "speaking-rate", "d", &self->speaking_rate);
  g_variant_lookup (settings, "pitch", "d", &self->pitch);

  if (self->voice_name && !is_name (self->voice_name, TRUE)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "voice-name: '%s' is not a Google voice name (like en-US-Neural2-C)",
                 self->voice_name);
  } else if (self->language_code && !is_name (self->language_code, FALSE)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "language-code: '%s' is not a BCP 47 language code (like en-US)",
                 self->language_code);
  } else if (self->speaking_rate < MIN_SPEAKING_RATE || self->speaking_rate > MAX_SPEAKING_RATE) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "speaking-rate: %g is not between 0.25 and 4.0", self->speaking_rate);
  } else if (self->pitch < -20 || self->pitch > 20) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "pitch: %g is not between -20 and 20 semitones", self->pitch);
  } else {
    return self;
  }
  google_instance_free (self);
  return NULL;
}

/* Google needs a language: the configured one, else the voice's own (a
 * voice speaks one language), else the call's, else en-US. */
static char *
language_for (Google *self, const TbTtsRequest *request, const char *voice)
{
  char *language;

  if (self->language_code)
    return g_strdup (self->language_code);
  if (voice && (language = voice_language (voice)))
    return language;
  if (request->language && is_name (request->language, FALSE))
    return g_strdup (request->language);
  return g_strdup ("en-US");
}

static GBytes *
request_body (Google *self, const TbTtsRequest *request, const char *voice,
              const char *language)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  double rate = request->rate > 0 ? request->rate : 1.0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "input");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, request->text);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "voice");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "languageCode");
  json_builder_add_string_value (builder, language);
  if (voice) {
    json_builder_set_member_name (builder, "name");
    json_builder_add_string_value (builder, voice);
  }
  if (self->gender) {
    json_builder_set_member_name (builder, "ssmlGender");
    json_builder_add_string_value (builder, self->gender);
  }
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "audioConfig");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "audioEncoding");
  json_builder_add_string_value (builder, "LINEAR16");
  json_builder_set_member_name (builder, "sampleRateHertz");
  json_builder_add_int_value (builder, request->sample_rate);
  json_builder_set_member_name (builder, "speakingRate");
  json_builder_add_double_value (builder, CLAMP (self->speaking_rate * rate, MIN_SPEAKING_RATE,
                                                 MAX_SPEAKING_RATE));
  json_builder_set_member_name (builder, "pitch");
  json_builder_add_double_value (builder, self->pitch);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return tb_cloud_json_body (builder);
}

static void
google_synthesize (gpointer instance, const TbTtsRequest *request,
                   const TbTtsCallbacks *callbacks, gpointer user_data,
                   GCancellable *cancellable)
{
  Google *self = instance;
  TbCloudSpeech *speech = tb_cloud_speech_new (&self->client, request, callbacks, user_data,
                                               cancellable);
  const char *voice = tb_cloud_speech_voice (request, self->voice_name);
  g_autofree char *language = NULL;
  g_autoptr(GBytes) body = NULL;

  tb_cloud_speech_set_auth_words (speech, "API key not valid");
  if (tb_cloud_speech_finish_if_blank (speech, request->text))
    return;
  if (voice && !is_name (voice, TRUE)) {
    tb_cloud_speech_finish (speech, g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                                                 "'%s' is not a Google voice name "
                                                 "(like en-US-Neural2-C)", voice));
    return;
  }
  language = language_for (self, request, voice);
  body = request_body (self, request, voice, language);
  g_debug ("%zu characters with voice %s, language %s", strlen (request->text),
           voice ? voice : "(Google's choice)", language);
  tb_cloud_speech_fetch (speech, "/v1/text:synthesize", body, google_answer_pcm);
}

static const TbTtsVTable google_vtable = {
  .version = TB_TTS_VTABLE_VERSION,
  .synthesize = google_synthesize,
};

static const TbPluginDesc google_desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_TTS,
  .name = "google",
  .version = "0.1.0",
  .description = "Google Cloud text to speech (LINEAR16 at the call's rate)",
  .license = "LGPL-2.1-or-later",
  .config_keys = google_keys,
  .init = google_init,
  .instance_new = google_instance_new,
  .instance_free = google_instance_free,
  .vtable = &google_vtable,
};

TB_PLUGIN_DEFINE (google_desc)
