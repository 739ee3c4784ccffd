/* openai-tts.c — TTS plugin "openai": speech from OpenAI's audio API,
 *
 *   POST {base-url}/audio/speech
 *   Authorization: Bearer KEY
 *   {"model": ..., "input": ..., "voice": ..., "response_format": "pcm", "speed": ...}
 *
 * whose body is raw 24 kHz signed 16-bit little-endian mono PCM, streamed
 * as it is generated; each chunk is resampled to the requested rate and
 * handed to the host as it arrives. Servers that speak the same API
 * (self-hosted ones) are reached through base-url, with or without a key. */
#define G_LOG_DOMAIN "tb-tts-openai"

#include <talkingbits-plugin.h>
#include "cloud-audio.h"
#include "cloud-http.h"
#include "tts-stream.h"

#include <string.h>

/* The rate of response_format "pcm". */
#define OPENAI_PCM_RATE 24000
#define MIN_SPEED 0.25
#define MAX_SPEED 4.0

typedef struct {
  TbCloudClient client;
  char *model;
  char *voice;
  char *instructions;   /* NULL: none */
  double speed;
} OpenAiTts;

static const TbConfigKey openai_keys[] = {
  TB_CLOUD_KEYS ("https://api.openai.com/v1", 0),
  { .name = "model", .type = TB_CONFIG_TYPE_STRING, .default_value = "gpt-4o-mini-tts",
    .help = "Speech model: gpt-4o-mini-tts (takes instructions), tts-1 (lowest latency), "
            "tts-1-hd" },
  { .name = "voice", .type = TB_CONFIG_TYPE_STRING, .default_value = "alloy",
    .help = "Voice: alloy, ash, ballad, coral, echo, fable, nova, onyx, sage, shimmer, verse, ...; "
            "a request's voice overrides it" },
  { .name = "instructions", .type = TB_CONFIG_TYPE_STRING,
    .help = "How to speak (tone, pace, accent), for gpt-4o-mini-tts; unset: none" },
  { .name = "speed", .type = TB_CONFIG_TYPE_DOUBLE, .default_value = "1.0",
    .help = "Speaking speed, 0.25 to 4.0, multiplied by the request's rate",
    .min = MIN_SPEED, .max = MAX_SPEED },
  { NULL }
};

static gboolean
openai_init (const TbHost *host, GError **error)
{
  /* The resampler is GStreamer's. */
  return tb_tts_stream_init (error);
}

static void
openai_instance_free (gpointer instance)
{
  OpenAiTts *self = instance;

  if (!self)
    return;
  tb_cloud_client_clear (&self->client);
  g_free (self->model);
  g_free (self->voice);
  g_free (self->instructions);
  g_free (self);
}

/* tts-1 and tts-1-hd have no instructions (the API refuses them). */
static gboolean
model_takes_instructions (const char *model)
{
  return !g_str_has_prefix (model, "tts-1");
}

static gpointer
openai_instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  OpenAiTts *self = g_new0 (OpenAiTts, 1);

  if (!tb_cloud_client_init (&self->client, "OpenAI", settings, "Authorization", "Bearer ",
                             error)) {
    g_free (self);
    return NULL;
  }
  self->speed = 1.0;
  g_variant_lookup (settings, "model", "s", &self->model);
  g_variant_lookup (settings, "voice", "s", &self->voice);
  g_variant_lookup (settings, "instructions", "s", &self->instructions);
  g_variant_lookup (settings, "speed", "d", &self->speed);
  if (self->instructions && !*g_strstrip (self->instructions))
    g_clear_pointer (&self->instructions, g_free);

  if (!self->model || !*g_strstrip (self->model)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "model: empty; gpt-4o-mini-tts, tts-1 or tts-1-hd");
  } else if (!self->voice || !*g_strstrip (self->voice)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "voice: empty; alloy, ash, coral, echo, nova, ...");
  } else if (self->instructions && !model_takes_instructions (self->model)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "instructions: model %s does not take instructions (gpt-4o-mini-tts does)",
                 self->model);
  } else if (self->speed < MIN_SPEED || self->speed > MAX_SPEED) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "speed: %g is not between 0.25 and 4.0", self->speed);
  } else {
    return self;
  }
  openai_instance_free (self);
  return NULL;
}

static GBytes *
request_body (OpenAiTts *self, const TbTtsRequest *request, const char *voice)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  double rate = request->rate > 0 ? request->rate : 1.0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, self->model);
  json_builder_set_member_name (builder, "input");
  json_builder_add_string_value (builder, request->text);
  json_builder_set_member_name (builder, "voice");
  json_builder_add_string_value (builder, voice);
  json_builder_set_member_name (builder, "response_format");
  json_builder_add_string_value (builder, "pcm");
  json_builder_set_member_name (builder, "speed");
  json_builder_add_double_value (builder, CLAMP (self->speed * rate, MIN_SPEED, MAX_SPEED));
  if (self->instructions) {
    json_builder_set_member_name (builder, "instructions");
    json_builder_add_string_value (builder, self->instructions);
  }
  json_builder_end_object (builder);
  return tb_cloud_json_body (builder);
}

static void
openai_synthesize (gpointer instance, const TbTtsRequest *request,
                   const TbTtsCallbacks *callbacks, gpointer user_data,
                   GCancellable *cancellable)
{
  OpenAiTts *self = instance;
  TbCloudSpeech *speech = tb_cloud_speech_new (&self->client, request, callbacks, user_data,
                                               cancellable);
  const char *voice = tb_cloud_speech_voice (request, self->voice);
  g_autoptr(GBytes) body = NULL;

  if (tb_cloud_speech_finish_if_blank (speech, request->text))
    return;
  body = request_body (self, request, voice);
  g_debug ("%zu characters with voice %s, model %s", strlen (request->text), voice,
           self->model);
  tb_cloud_speech_stream (speech, "/audio/speech", body, TB_CLOUD_AUDIO_S16LE,
                          OPENAI_PCM_RATE);
}

static const TbTtsVTable openai_vtable = {
  .version = TB_TTS_VTABLE_VERSION,
  .synthesize = openai_synthesize,
};

static const TbPluginDesc openai_desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_TTS,
  .name = "openai",
  .version = "0.1.0",
  .description = "OpenAI text to speech (24 kHz PCM, played as it streams in)",
  .license = "LGPL-2.1-or-later",
  .config_keys = openai_keys,
  .init = openai_init,
  .instance_new = openai_instance_new,
  .instance_free = openai_instance_free,
  .vtable = &openai_vtable,
};

TB_PLUGIN_DEFINE (openai_desc)
