/* deepgram.c — speech-to-text plugin "deepgram": live transcription with
 * Deepgram's streaming API (wss://api.deepgram.com/v1/listen), one
 * WebSocket per caller stream, authenticated with "Authorization: Token
 * KEY". The host's end of turn asks Deepgram to finalize; the turn's
 * transcript is what Deepgram finalized for its audio. Settings are the
 * query parameters of the connection (see dg-session.c for the stream). */
#define G_LOG_DOMAIN "tb-stt-deepgram"

#include "dg-session.h"

#include <string.h>

static const TbConfigKey dg_keys[] = {
  TB_CLOUD_KEYS ("wss://api.deepgram.com", TB_CONFIG_KEY_REQUIRED),
  { .name = "model", .type = TB_CONFIG_TYPE_STRING, .default_value = "nova-2",
    .help = "Deepgram model: nova-2, nova-3, nova-2-phonecall, ..." },
  { .name = "language", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "Language to recognise (BCP 47, en-US); empty: the agent's language" },
  { .name = "interim-results", .type = TB_CONFIG_TYPE_BOOL, .default_value = "true",
    .help = "Ask for interim results: partial transcripts while the caller speaks" },
  { .name = "endpointing-ms", .type = TB_CONFIG_TYPE_INT, .default_value = "300",
    .min = 0, .max = 10000,
    .help = "Silence after which Deepgram finalizes what was said (its endpointing); "
            "0 turns Deepgram's endpointing off" },
  { .name = "utterance-end-ms", .type = TB_CONFIG_TYPE_INT, .default_value = "1000",
    .min = 0, .max = 10000,
    .help = "Gap after the last word for an UtteranceEnd message (1000 or more, with "
            "interim results); 0: not asked for" },
  { .name = "smart-format", .type = TB_CONFIG_TYPE_BOOL, .default_value = "false",
    .help = "Deepgram's smart formatting (numbers, dates, punctuation)" },
  { .name = "punctuate", .type = TB_CONFIG_TYPE_BOOL, .default_value = "false",
    .help = "Punctuation and capitals in transcripts" },
  { .name = "vad-events", .type = TB_CONFIG_TYPE_BOOL, .default_value = "false",
    .help = "Ask for SpeechStarted messages (logged at debug level)" },
  { .name = "audio-chunk-ms", .type = TB_CONFIG_TYPE_INT, .default_value = "100",
    .min = 20, .max = 250,
    .help = "The caller's audio goes out in pieces of this much while they speak (Deepgram "
            "takes 20 to 250 ms); the end of a turn sends what is left at once, so only "
            "partial transcripts wait for it. Fewer, larger messages cost less CPU" },
  { .name = "keepalive-s", .type = TB_CONFIG_TYPE_INT, .default_value = "5", .min = 1, .max = 9,
    .help = "KeepAlive sent after this many seconds without audio (Deepgram closes a "
            "stream silent for 10 s)" },
  { .name = "reconnect-attempts", .type = TB_CONFIG_TYPE_INT, .default_value = "3",
    .min = 0, .max = 10,
    .help = "Tries to connect again when the stream drops; the turn in progress is sent again" },
  { NULL }
};

static gboolean
setting_bool (GVariant *settings, const char *key, gboolean fallback)
{
  gboolean value;

  return g_variant_lookup (settings, key, "b", &value) ? value : fallback;
}

static guint
setting_uint (GVariant *settings, const char *key, guint fallback)
{
  gint64 value;

  return g_variant_lookup (settings, key, "x", &value) ? (guint) MAX (value, 0) : fallback;
}

static void
dg_instance_free (gpointer instance)
{
  DgConfig *config = instance;

  tb_cloud_client_clear (&config->client);
  g_free (config->model);
  g_free (config->language);
  g_free (config);
}

static gpointer
dg_instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  DgConfig *config = g_new0 (DgConfig, 1);

  if (!tb_cloud_client_init (&config->client, "Deepgram", settings, "Authorization", "Token ",
                             error)) {
    g_free (config);
    return NULL;
  }
  if (!g_variant_lookup (settings, "model", "s", &config->model) || !*config->model) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG, "model must be set");
    dg_instance_free (config);
    return NULL;
  }
  g_variant_lookup (settings, "language", "s", &config->language);
  config->interim_results = setting_bool (settings, "interim-results", TRUE);
  config->smart_format = setting_bool (settings, "smart-format", FALSE);
  config->punctuate = setting_bool (settings, "punctuate", FALSE);
  config->vad_events = setting_bool (settings, "vad-events", FALSE);
  config->endpointing_ms = setting_uint (settings, "endpointing-ms", 300);
  config->utterance_end_ms = setting_uint (settings, "utterance-end-ms", 1000);
  config->audio_chunk_ms = CLAMP (setting_uint (settings, "audio-chunk-ms", 100), 20, 250);
  config->keepalive_s = CLAMP (setting_uint (settings, "keepalive-s", 5), 1, 9);
  config->reconnect_attempts = setting_uint (settings, "reconnect-attempts", 3);
  if (config->utterance_end_ms && config->utterance_end_ms < 1000) {
    /* Deepgram refuses the connection (400) below its minimum. */
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "utterance-end-ms must be 0 or at least 1000, not %u", config->utterance_end_ms);
    dg_instance_free (config);
    return NULL;
  }
  return config;
}

static void
add_param (GString *url, const char *name, const char *value)
{
  g_string_append_c (url, strchr (url->str, '?') ? '&' : '?');
  g_string_append (url, name);
  g_string_append_c (url, '=');
  g_string_append_uri_escaped (url, value, NULL, FALSE);
}

static const char *
yes_no (gboolean value)
{
  return value ? "true" : "false";
}

/* {base}/v1/listen?encoding=linear16&sample_rate=..&channels=1&model=.. */
static char *
listen_url (const DgConfig *config, const TbSttParams *params)
{
  GString *url = g_string_new (config->client.base_url);
  const char *language = config->language && *config->language ? config->language
                                                                : params->language;
  char number[32];

  g_string_append (url, "/v1/listen");
  add_param (url, "encoding", "linear16");
  g_snprintf (number, sizeof number, "%u", params->sample_rate);
  add_param (url, "sample_rate", number);
  add_param (url, "channels", "1");
  add_param (url, "model", config->model);
  if (language && *language)
    add_param (url, "language", language);
  add_param (url, "interim_results", yes_no (config->interim_results));
  if (config->endpointing_ms) {
    g_snprintf (number, sizeof number, "%u", config->endpointing_ms);
    add_param (url, "endpointing", number);
  } else {
    add_param (url, "endpointing", "false");
  }
  /* UtteranceEnd needs interim results: Deepgram refuses it without. */
  if (config->utterance_end_ms && config->interim_results) {
    g_snprintf (number, sizeof number, "%u", config->utterance_end_ms);
    add_param (url, "utterance_end_ms", number);
  }
  if (config->vad_events)
    add_param (url, "vad_events", "true");
  add_param (url, "smart_format", yes_no (config->smart_format));
  add_param (url, "punctuate", yes_no (config->punctuate));
  return g_string_free (url, FALSE);
}

static TbSttSession *
dg_session_new_vfunc (gpointer instance, const TbSttParams *params,
                      const TbSttCallbacks *callbacks, gpointer user_data,
                      GCancellable *cancellable, GError **error)
{
  DgConfig *config = instance;
  g_autofree char *url = NULL;

  if (params->sample_rate < 8000 || params->sample_rate > 48000) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "provider Deepgram: cannot take %u Hz audio (8000 to 48000 Hz)",
                 params->sample_rate);
    return NULL;
  }
  url = listen_url (config, params);
  return dg_session_new (config, url, params->sample_rate, callbacks, user_data, cancellable,
                         error);
}

static const TbSttVTable dg_vtable = {
  .version = TB_STT_VTABLE_VERSION,
  .session_new = dg_session_new_vfunc,
  .push_audio = dg_session_push_audio,
  .end_of_turn = dg_session_end_of_turn,
  .finish = dg_session_finish,
  .session_free = dg_session_free,
};

static const TbPluginDesc dg_desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_STT,
  .name = "deepgram",
  .version = "0.1.0",
  .description = "Live speech recognition with Deepgram's streaming API (WebSocket)",
  .license = "LGPL-2.1-or-later",
  .config_keys = dg_keys,
  .instance_new = dg_instance_new,
  .instance_free = dg_instance_free,
  .vtable = &dg_vtable,
};

TB_PLUGIN_DEFINE (dg_desc)
