/* llm-openai.c — LLM plugin "openai": OpenAI's Chat Completions API,
 * streamed, with tools. It also speaks to servers that copy that API
 * (Ollama at http://127.0.0.1:11434/v1, llama.cpp's llama-server, vLLM:
 * set base-url, and api-key-env only when the server wants a key), and to
 * Azure OpenAI (set api-version: the key then goes in an "api-key" header
 * and base-url is https://RESOURCE.openai.azure.com/openai/deployments/NAME).
 *
 * A chat is one POST {base-url}/chat/completions with "stream": true; the
 * answer is a text/event-stream of chat.completion.chunk objects. Text is
 * handed to the host as it comes; tool calls once the answer is finished
 * (their arguments arrive in fragments and are only usable whole). The
 * request itself (timeouts, retries before anything was said, mapping of
 * HTTP failures, cancellation) is cloud-http's. */
#define G_LOG_DOMAIN "tb-llm-openai"

#include "cloud-http.h"
#include "openai-body.h"
#include "openai-sse.h"
#include "openai-stream.h"

#include <string.h>

#define DEFAULT_MODEL "gpt-4o-mini"

typedef struct {
  TbCloudClient client;
  const TbHost *host;
  char *model;
  double temperature;
  gint64 max_tokens;
  char *path;           /* "/chat/completions", with "?api-version=" for Azure */
} OpenaiLlm;

/* max-tokens is 0 (not sent) by default: a cap cuts a reply mid-sentence,
 * which a caller hears as a fault, and cuts tool-call arguments into
 * invalid JSON; the agent's prompt is the place to ask for short replies. */
static const TbConfigKey openai_keys[] = {
  TB_CLOUD_KEYS ("https://api.openai.com/v1", 0),
  { .name = "model", .type = TB_CONFIG_TYPE_STRING, .default_value = DEFAULT_MODEL,
    .help = "Model name (on Azure OpenAI the deployment in base-url decides, this is sent "
            "as it is)" },
  { .name = "temperature", .type = TB_CONFIG_TYPE_DOUBLE, .default_value = "0.7",
    .min = 0, .max = 2,
    .help = "Sampling temperature: lower is more predictable" },
  { .name = "max-tokens", .type = TB_CONFIG_TYPE_INT, .default_value = "0",
    .min = 0, .max = 32768,
    .help = "Longest reply in tokens (max_tokens); 0 sends no limit" },
  { .name = "api-version", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "Azure OpenAI's api-version (\"2024-10-21\"); when set, requests go to "
            "base-url/chat/completions?api-version=... with the key in an api-key header" },
  { NULL }
};

static void
openai_instance_free (gpointer instance)
{
  OpenaiLlm *llm = instance;

  if (!llm)
    return;
  tb_cloud_client_clear (&llm->client);
  g_free (llm->model);
  g_free (llm->path);
  g_free (llm);
}

static gpointer
openai_instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  OpenaiLlm *llm = g_new0 (OpenaiLlm, 1);
  g_autofree char *api_version = NULL;
  gboolean azure;

  if (!g_variant_lookup (settings, "api-version", "s", &api_version))
    api_version = g_strdup ("");
  g_strstrip (api_version);
  azure = *api_version != '\0';
  if (!tb_cloud_client_init (&llm->client, azure ? "Azure OpenAI" : "OpenAI", settings,
                             azure ? "api-key" : "Authorization", azure ? "" : "Bearer ",
                             error)) {
    g_free (llm);
    return NULL;
  }
  llm->host = host;
  if (!g_variant_lookup (settings, "model", "s", &llm->model))
    llm->model = g_strdup (DEFAULT_MODEL);
  g_strstrip (llm->model);
  if (!*llm->model) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG, "model is empty");
    openai_instance_free (llm);
    return NULL;
  }
  if (!g_variant_lookup (settings, "temperature", "d", &llm->temperature))
    llm->temperature = 0.7;
  if (!g_variant_lookup (settings, "max-tokens", "x", &llm->max_tokens))
    llm->max_tokens = 0;
  if (azure) {
    g_autofree char *escaped = g_uri_escape_string (api_version, NULL, FALSE);

    llm->path = g_strconcat ("/chat/completions?api-version=", escaped, NULL);
  } else {
    llm->path = g_strdup ("/chat/completions");
  }
  return llm;
}

/* ---- one chat ---------------------------------------------------------- */

typedef struct {
  OpenaiLlm *llm;
  TbLlmCallbacks callbacks;
  gpointer user_data;
  GCancellable *cancellable;
  TbSseParser *sse;
  TbOpenaiStream *stream;
  GString *text;              /* text of the event being read          */
  GError *failure;            /* why the events read make no sense     */
  TbCloudRequest *request;    /* the request, from its first chunk on  */
  gboolean type_checked;      /* the answer is an event stream         */
  gboolean answered;          /* the answer was complete and given     */
  gint64 started_us;
  gint64 first_us;            /* first text or tool call, 0 before     */
} Chat;

static void
chat_free (Chat *chat)
{
  tb_sse_parser_free (chat->sse);
  tb_openai_stream_free (chat->stream);
  g_string_free (chat->text, TRUE);
  g_clear_error (&chat->failure);
  g_clear_object (&chat->cancellable);
  g_free (chat);
}

static gboolean
chat_cancelled (Chat *chat)
{
  return g_cancellable_is_cancelled (chat->cancellable);
}

/* The host is given something: from now on the request is not retried. */
static void
chat_started (Chat *chat)
{
  if (chat->first_us)
    return;
  chat->first_us = chat->llm->host->now_us (chat->llm->host);
  tb_cloud_request_set_started (chat->request);
  g_debug ("%s: first of the answer after %.1f ms", chat->llm->client.provider,
           (chat->first_us - chat->started_us) / 1000.0);
}

static gboolean
on_event (const char *type, const char *data, gpointer user_data)
{
  Chat *chat = user_data;

  /* An "event: error" carries the provider's error object, which the
   * stream reads as such: the type needs no handling of its own. */
  (void) type;
  if (!tb_openai_stream_event (chat->stream, data, chat->text, &chat->failure))
    return FALSE;
  if (chat->text->len > 0) {
    /* Barge-in may have cancelled the chat from the last delta(). */
    if (chat_cancelled (chat))
      return FALSE;
    chat_started (chat);
    chat->callbacks.delta (chat->text->str, chat->user_data);
    g_string_truncate (chat->text, 0);
  }
  return !chat_cancelled (chat);
}

/* The answer is finished: its tool calls, whole and checked, go to the
 * host now; done() follows when the body ends. */
static void
give_tool_calls (Chat *chat)
{
  const TbLlmToolCall *calls;
  guint n_calls;

  if (!tb_openai_stream_tool_calls (chat->stream, &calls, &n_calls, &chat->failure))
    return;
  chat->answered = TRUE;
  if (n_calls > 0)
    chat_started (chat);
  for (guint i = 0; i < n_calls && !chat_cancelled (chat); i++)
    chat->callbacks.tool_call (&calls[i], chat->user_data);
}

static void
on_restart (gpointer user_data)
{
  Chat *chat = user_data;

  tb_sse_parser_reset (chat->sse);
  tb_openai_stream_reset (chat->stream);
  g_string_truncate (chat->text, 0);
  g_clear_error (&chat->failure);
  chat->type_checked = FALSE;
}

/* The answer makes no sense (chat->failure says why): the request is
 * failed, and tried again when nothing was said yet (on_restart), or ended
 * (on_error frees @chat: nothing may touch it after this). */
static void
fail (Chat *chat, TbCloudRequest *request)
{
  tb_cloud_request_fail (request, g_steal_pointer (&chat->failure));
}

static void
on_chunk (TbCloudRequest *request, const guint8 *data, gsize len, gpointer user_data)
{
  Chat *chat = user_data;

  chat->request = request;
  if (chat->answered || chat->failure || chat_cancelled (chat))
    return;
  if (!chat->type_checked) {
    const char *type = soup_message_headers_get_content_type (
        tb_cloud_request_response_headers (request), NULL);

    if (!type || g_ascii_strcasecmp (type, "text/event-stream") != 0) {
      chat->failure = g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                                   "provider %s answered with %s, not an event stream",
                                   chat->llm->client.provider, type ? type : "no Content-Type");
      fail (chat, request);
      return;
    }
    chat->type_checked = TRUE;
  }
  tb_sse_parser_feed (chat->sse, (const char *) data, len);
  if (!chat->failure && !chat_cancelled (chat) && tb_openai_stream_finished (chat->stream))
    give_tool_calls (chat);
  if (chat->failure)
    fail (chat, request);
}

static void
on_done (gpointer user_data)
{
  Chat *chat = user_data;

  if (chat_cancelled (chat)) {
    g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                   "cancelled");

    chat->callbacks.error (error, chat->user_data);
  } else if (!chat->answered) {
    /* libsoup reads a chunked body cut between two chunks as one that
     * ended: only the events tell that the answer was not whole. */
    g_autoptr(GError) error = g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                                           "provider %s ended its answer before finishing it "
                                           "(%s)", chat->llm->client.provider,
                                           tb_sse_parser_has_partial (chat->sse)
                                           ? "in the middle of an event"
                                           : "no finish_reason, no [DONE]");

    chat->callbacks.error (error, chat->user_data);
  } else {
    chat->callbacks.done (chat->user_data);
  }
  chat_free (chat);
}

static void
on_error (const GError *error, gpointer user_data)
{
  Chat *chat = user_data;

  /* A connection lost after the answer was finished (before its [DONE])
   * lost nothing. */
  if (chat->answered && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_debug ("%s: after the whole answer: %s", chat->llm->client.provider, error->message);
    chat->callbacks.done (chat->user_data);
  } else {
    chat->callbacks.error (error, chat->user_data);
  }
  chat_free (chat);
}

static const TbCloudRequestCallbacks request_callbacks = {
  on_restart, on_chunk, on_done, on_error,
};

/* A chat that fails before its request: the error comes from an idle. */
typedef struct {
  TbLlmCallbacks callbacks;
  gpointer user_data;
  GCancellable *cancellable;
  GError *error;
} Refusal;

static gboolean
refuse_now (gpointer data)
{
  Refusal *refusal = data;

  if (g_cancellable_is_cancelled (refusal->cancellable)) {
    g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                   "cancelled");

    refusal->callbacks.error (error, refusal->user_data);
  } else {
    refusal->callbacks.error (refusal->error, refusal->user_data);
  }
  return G_SOURCE_REMOVE;
}

static void
refusal_free (gpointer data)
{
  Refusal *refusal = data;

  g_clear_object (&refusal->cancellable);
  g_error_free (refusal->error);
  g_free (refusal);
}

static void
refuse_later (const TbLlmCallbacks *callbacks, gpointer user_data, GCancellable *cancellable,
              GError *error)
{
  Refusal *refusal = g_new0 (Refusal, 1);
  GSource *idle = g_idle_source_new ();

  refusal->callbacks = *callbacks;
  refusal->user_data = user_data;
  refusal->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  refusal->error = error;
  g_source_set_callback (idle, refuse_now, refusal, refusal_free);
  g_source_attach (idle, g_main_context_get_thread_default ());
  g_source_unref (idle);
}

static void
openai_chat (gpointer instance, const TbLlmRequest *request, const TbLlmCallbacks *callbacks,
             gpointer user_data, GCancellable *cancellable)
{
  OpenaiLlm *llm = instance;
  TbOpenaiBodyOptions options = { llm->model, llm->temperature, llm->max_tokens };
  g_autoptr(GBytes) body = NULL;
  GError *error = NULL;
  Chat *chat;

  body = tb_openai_body_new (&options, request, &error);
  if (!body) {
    refuse_later (callbacks, user_data, cancellable, error);
    return;
  }
  chat = g_new0 (Chat, 1);
  chat->llm = llm;
  chat->callbacks = *callbacks;
  chat->user_data = user_data;
  chat->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  chat->sse = tb_sse_parser_new (on_event, chat);
  chat->stream = tb_openai_stream_new (llm->client.provider);
  chat->text = g_string_new (NULL);
  chat->started_us = llm->host->now_us (llm->host);
  tb_cloud_request_start (&llm->client, "POST", llm->path, "application/json", body,
                          "text/event-stream", &request_callbacks, chat, cancellable);
}

static const TbLlmVTable openai_vtable = {
  .version = TB_LLM_VTABLE_VERSION,
  .chat = openai_chat,
  .phrases = NULL,
};

static const TbPluginDesc openai_desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_LLM,
  .name = "openai",
  .version = "0.1.0",
  .description = "OpenAI Chat Completions (streamed, with tools), Azure OpenAI and "
                 "compatible servers (Ollama, llama.cpp, vLLM)",
  .license = "LGPL-2.1-or-later",
  .config_keys = openai_keys,
  .instance_new = openai_instance_new,
  .instance_free = openai_instance_free,
  .vtable = &openai_vtable,
};

TB_PLUGIN_DEFINE (openai_desc)
