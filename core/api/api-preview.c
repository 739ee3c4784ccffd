/* api-preview.c — POST /api/v1/agents/{name}/greeting-preview: the
 * agent's greeting spoken by its first text-to-speech provider with its
 * voice, language and speaking rate, at the calls' sample rate, answered
 * as a WAV file (audio/wav) that a browser plays. The body may change any
 * of the agent's fields first, as a PATCH would (the greeting being
 * edited, another voice), without saving anything; it is checked the same
 * way (400 naming the field). The synthesis runs on a worker with the
 * provider's worker instance, as in a call (api-job.h). */
#define G_LOG_DOMAIN "tb-api-preview"

#include "api-catalog.h"

#include "api-job.h"
#include "audio-file.h"
#include "conversation.h"
#include "http-json.h"

/* The synthesis gets this long. */
#define PREVIEW_TIMEOUT_MS 15000
/* At most this much audio is kept: a greeting is a sentence or two. */
#define PREVIEW_MAX_SECONDS 60

typedef struct {
  const TbAgentConfig *agent;   /* of the job's configuration, which it holds */
  guint sample_rate;
  GArray *samples;              /* gint16 */
} Preview;

static void
preview_free (Preview *preview)
{
  g_array_unref (preview->samples);
  g_free (preview);
}

/* ---- on the worker ------------------------------------------------------ */

static void
on_audio (const gint16 *samples, gsize n_samples, gpointer user_data)
{
  Preview *preview = tb_api_job_get_data (user_data);
  gsize room = (gsize) PREVIEW_MAX_SECONDS * preview->sample_rate - preview->samples->len;

  g_array_append_vals (preview->samples, samples, MIN (n_samples, room));
}

static void
on_done (gpointer user_data)
{
  tb_api_job_done (user_data, NULL);
}

static void
on_error (const GError *error, gpointer user_data)
{
  tb_api_job_done (user_data, error);
}

static const TbTtsCallbacks callbacks = { on_audio, on_done, on_error };

static void
start (TbApiJob *job, gpointer instance, GCancellable *cancellable)
{
  Preview *preview = tb_api_job_get_data (job);
  const TbTtsVTable *tts = tb_api_job_get_provider (job)->plugin->desc->vtable;
  TbTtsRequest request;

  tb_dialog_tts_request_init (&request, preview->agent, preview->agent->greeting,
                              preview->sample_rate);
  tts->synthesize (instance, &request, &callbacks, job, cancellable);
}

/* ---- on the main context ------------------------------------------------ */

static void
finish (TbApiJob *job, SoupServerMessage *msg, const GError *error)
{
  Preview *preview = tb_api_job_get_data (job);
  const char *provider = tb_api_job_get_provider (job)->name;
  g_autoptr(GBytes) wav = NULL;
  SoupMessageHeaders *headers;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    tb_http_reply_error (msg, SOUP_STATUS_GATEWAY_TIMEOUT,
                         "text-to-speech provider %s gave no complete audio within %u ms",
                         provider, PREVIEW_TIMEOUT_MS);
    return;
  }
  if (error) {
    tb_http_reply_error (msg, SOUP_STATUS_BAD_GATEWAY, "text-to-speech provider %s failed: %s",
                         provider, error->message);
    return;
  }
  if (preview->samples->len == 0) {
    tb_http_reply_error (msg, SOUP_STATUS_BAD_GATEWAY,
                         "text-to-speech provider %s gave no audio", provider);
    return;
  }
  g_debug ("greeting preview: %u samples from %s in %" G_GINT64_FORMAT " ms",
           preview->samples->len, provider, tb_api_job_get_elapsed_us (job) / 1000);
  wav = tb_wav_bytes_new ((const gint16 *) (gpointer) preview->samples->data,
                          preview->samples->len, preview->sample_rate);
  headers = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "X-Talkingbits-Provider", provider);
  tb_http_reply_bytes (msg, SOUP_STATUS_OK, "audio/wav", wav);
}

void
tb_api_greeting_preview (TbApi *api, const TbApiResource *agents, SoupServerMessage *msg,
                         JsonObject *row)
{
  const char *name = json_object_get_string_member (row, "name");
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(TbConfig) config = NULL;
  const TbProviderConfig *provider;
  const TbAgentConfig *agent;
  Preview *preview;

  if (!tb_http_read_optional_json_object (msg, &body))
    return;
  config = tb_api_catalog_try_patch (api, agents, msg, row,
                                     body ? json_node_get_object (body) : NULL);
  if (!config)
    return;
  agent = tb_config_find_agent (config, name);
  if (!agent || !agent->tts || !agent->tts[0]) {
    g_autoptr(JsonObject) fields = json_object_new ();

    json_object_set_string_member (fields, "tts", "the agent has no text-to-speech provider "
                                   "to speak its greeting with");
    tb_http_reply_invalid (msg, "no greeting to preview", fields);
    return;
  }
  if (!agent->greeting || !*agent->greeting) {
    g_autoptr(JsonObject) fields = json_object_new ();

    json_object_set_string_member (fields, "greeting", "the agent has no greeting");
    tb_http_reply_invalid (msg, "no greeting to preview", fields);
    return;
  }
  provider = tb_config_find_provider (config, TB_PLUGIN_KIND_TTS, agent->tts[0]);
  g_return_if_fail (provider != NULL);
  preview = g_new0 (Preview, 1);
  preview->agent = agent;
  preview->sample_rate = config->media.sample_rate;
  preview->samples = g_array_new (FALSE, FALSE, sizeof (gint16));
  tb_api_job_run (tb_api_job_new (api, msg, config, provider, start, finish, preview,
                                  (GDestroyNotify) preview_free),
                  PREVIEW_TIMEOUT_MS);
}
