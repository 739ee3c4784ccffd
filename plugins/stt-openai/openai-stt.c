/* openai-stt.c — speech-to-text plugin "openai": each of the caller's
 * turns transcribed by OpenAI's POST /v1/audio/transcriptions (whisper-1,
 * gpt-4o-transcribe, gpt-4o-mini-transcribe, or a self-hosted server that
 * speaks the same API), authenticated with "Authorization: Bearer KEY".
 * See oa-session.c for how a session's turns become requests. */
#define G_LOG_DOMAIN "tb-stt-openai"

#include "oa-session.h"

static const TbConfigKey oa_keys[] = {
  TB_CLOUD_KEYS ("https://api.openai.com/v1", 0),
  { .name = "model", .type = TB_CONFIG_TYPE_STRING, .default_value = "whisper-1",
    .help = "Transcription model: whisper-1, gpt-4o-transcribe, gpt-4o-mini-transcribe, ..." },
  { .name = "language", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "Language of the caller (BCP 47, en-US; sent as its ISO-639-1 code); empty: the "
            "agent's language" },
  { .name = "prompt", .type = TB_CONFIG_TYPE_STRING,
    .help = "Text that guides the transcription: names and words the callers use" },
  { NULL }
};

static void
oa_instance_free (gpointer instance)
{
  OaConfig *config = instance;

  tb_cloud_client_clear (&config->client);
  g_free (config->model);
  g_free (config->language);
  g_free (config->prompt);
  g_free (config);
}

static gpointer
oa_instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  OaConfig *config = g_new0 (OaConfig, 1);

  if (!tb_cloud_client_init (&config->client, "OpenAI", settings, "Authorization", "Bearer ",
                             error)) {
    g_free (config);
    return NULL;
  }
  if (!g_variant_lookup (settings, "model", "s", &config->model) || !*config->model) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG, "model must be set");
    oa_instance_free (config);
    return NULL;
  }
  g_variant_lookup (settings, "language", "s", &config->language);
  g_variant_lookup (settings, "prompt", "s", &config->prompt);
  return config;
}

static TbSttSession *
oa_session_new_vfunc (gpointer instance, const TbSttParams *params,
                      const TbSttCallbacks *callbacks, gpointer user_data,
                      GCancellable *cancellable, GError **error)
{
  return oa_session_new (instance, params, callbacks, user_data, cancellable, error);
}

static const TbSttVTable oa_vtable = {
  .version = TB_STT_VTABLE_VERSION,
  .session_new = oa_session_new_vfunc,
  .push_audio = oa_session_push_audio,
  .end_of_turn = oa_session_end_of_turn,
  .finish = oa_session_finish,
  .session_free = oa_session_free,
};

static const TbPluginDesc oa_desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_STT,
  .name = "openai",
  .version = "0.1.0",
  .description = "Speech recognition of each turn with OpenAI's transcription API "
                 "(Whisper, gpt-4o-transcribe)",
  .license = "LGPL-2.1-or-later",
  .config_keys = oa_keys,
  .instance_new = oa_instance_new,
  .instance_free = oa_instance_free,
  .vtable = &oa_vtable,
};

TB_PLUGIN_DEFINE (oa_desc)
