/* test-llm-openai.c — the "openai" LLM plugin (the built llm-openai.so,
 * loaded through the plugin registry) against tb-fake-cloud's Chat
 * Completions route: text streamed in several deltas, tool calls whose
 * arguments come in fragments, the request the provider saw (model,
 * messages with a tool round trip, tools), one connection for the requests
 * of an instance, every fault of the fake (401, 429 with Retry-After, 500,
 * a connection cut, a chunk that is not JSON, no answer at all, slow
 * answers), cancellation mid-stream, settings refused with clear messages,
 * the Azure OpenAI flavour, and the fake refusing what OpenAI refuses (so
 * that its clean log means something). Every chat ends with exactly one
 * terminal callback, on the caller's context, never from inside chat().
 *
 * The SSE parser and the chunk reader are also tested alone, on streams
 * cut at every byte: they are compiled into this program from the
 * plugin's sources (a plugin exports nothing else to link against). Time
 * to the first delta is reported, not asserted. */
#include "../plugins/llm-openai/openai-sse.c"
#include "../plugins/llm-openai/openai-stream.c"

#include "plugin.h"
#include "settings.h"
#include "fake-cloud.h"
#include "test-util.h"

#include <libsoup/soup.h>
#include <string.h>
#include <unistd.h>

static TbPluginRegistry *registry;
static char *plugin_dir;
static TbFakeCloud *fake;
static GMainContext *worker;    /* the context chats run on, as a worker's */

/* ---- SSE and chunks, alone ------------------------------------------------ */

typedef struct {
  GPtrArray *events;    /* "type|data" */
  guint stop_after;     /* 0: never stop */
} SseLog;

static gboolean
on_sse_event (const char *type, const char *data, gpointer user_data)
{
  SseLog *log = user_data;

  g_ptr_array_add (log->events, g_strdup_printf ("%s|%s", type, data));
  return log->stop_after == 0 || log->events->len < log->stop_after;
}

/* The events of @stream fed in pieces: cut at @cut (one cut), or every
 * byte alone when @cut is 0. */
static char *
sse_parse (const char *stream, gsize cut, gboolean *partial)
{
  SseLog log = { g_ptr_array_new_with_free_func (g_free), 0 };
  g_autoptr(TbSseParser) parser = tb_sse_parser_new (on_sse_event, &log);
  gsize len = strlen (stream);
  char *joined;

  if (cut == 0) {
    for (gsize i = 0; i < len; i++)
      tb_sse_parser_feed (parser, stream + i, 1);
  } else {
    tb_sse_parser_feed (parser, stream, cut);
    tb_sse_parser_feed (parser, stream + cut, len - cut);
  }
  if (partial)
    *partial = tb_sse_parser_has_partial (parser);
  g_ptr_array_add (log.events, NULL);
  joined = g_strjoinv ("\n---\n", (char **) log.events->pdata);
  g_ptr_array_unref (log.events);
  return joined;
}

/* The same events whichever way @stream is cut. */
static void
assert_sse (const char *stream, const char *expected)
{
  gsize len = strlen (stream);

  for (gsize cut = 0; cut < len; cut++) {
    g_autofree char *events = sse_parse (stream, cut, NULL);

    if (g_strcmp0 (events, expected) != 0)
      g_error ("cut at %" G_GSIZE_FORMAT ": got\n%s\nexpected\n%s", cut, events, expected);
  }
}

static void
test_sse_framing (void)
{
  const char *const line_ends[] = { "\n", "\r\n", "\r" };
  gboolean partial;
  g_autofree char *cut_off = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (line_ends); i++) {
    const char *nl = line_ends[i];
    /* A comment, an event of two data lines, a named event, a field
     * without a colon, "data:" without its space, an event without data,
     * a field this parser ignores. */
    g_autofree char *stream = g_strjoin (nl,
      ": keep-alive", "data: {\"a\":1}", "", "data: one", "data: two", "",
      "event: error", "data: {\"error\":{}}", "", "data", "", "data:tight", "",
      "event: lonely", "", "id: 7", "retry: 100", "data: [DONE]", "", "", NULL);

    assert_sse (stream, "message|{\"a\":1}\n---\nmessage|one\ntwo\n---\nerror|{\"error\":{}}"
                        "\n---\nmessage|\n---\nmessage|tight\n---\nmessage|[DONE]");
  }
  /* A byte-order mark before the first line is not part of it. */
  assert_sse ("\xEF\xBB\xBF" "data: x\n\n", "message|x");
  /* An event the stream never ended is not dispatched, and is reported. */
  cut_off = sse_parse ("data: whole\n\ndata: {\"cho", 0, &partial);
  g_assert_cmpstr (cut_off, ==, "message|whole");
  g_assert_true (partial);
}

/* The event function stops the parser: nothing more is dispatched, even
 * from the same piece. */
static void
test_sse_stop (void)
{
  SseLog log = { g_ptr_array_new_with_free_func (g_free), 1 };
  g_autoptr(TbSseParser) parser = tb_sse_parser_new (on_sse_event, &log);
  const char *two = "data: 1\n\ndata: 2\n\n";

  g_assert_false (tb_sse_parser_feed (parser, two, strlen (two)));
  g_assert_false (tb_sse_parser_feed (parser, two, strlen (two)));
  g_assert_cmpuint (log.events->len, ==, 1);
  /* A new stream (a retry) starts clean. */
  tb_sse_parser_reset (parser);
  log.stop_after = 0;
  g_assert_true (tb_sse_parser_feed (parser, "data: 3\n\n", 9));
  g_assert_cmpuint (log.events->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (log.events, 1), ==, "message|3");
  g_ptr_array_unref (log.events);
}

/* Each event's data through the chunk reader; the text it gave. */
static char *
read_events (TbOpenaiStream *stream, const char *const *events, GError **error)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; events[i]; i++)
    if (!tb_openai_stream_event (stream, events[i], text, error))
      break;
  return g_string_free (text, FALSE);
}

#define CHUNK(delta, finish) \
  "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\"," \
  "\"choices\":[{\"index\":0,\"delta\":" delta ",\"finish_reason\":" finish "}]}"

/* Two calls whose fragments interleave by index, text before them, a
 * usage chunk without choices: the calls come whole and in index order. */
static void
test_chunks_tool_calls (void)
{
  const char *const events[] = {
    CHUNK ("{\"role\":\"assistant\",\"content\":\"\"}", "null"),
    CHUNK ("{\"content\":\"One \"}", "null"),
    CHUNK ("{\"content\":\"moment.\"}", "null"),
    CHUNK ("{\"tool_calls\":[{\"index\":1,\"id\":\"call_b\",\"type\":\"function\","
           "\"function\":{\"name\":\"second\",\"arguments\":\"\"}}]}", "null"),
    CHUNK ("{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\","
           "\"function\":{\"name\":\"first\",\"arguments\":\"{\\\"da\"}}]}", "null"),
    CHUNK ("{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"{}\"}}]}", "null"),
    CHUNK ("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"y\\\":\\\"Tue\\\"}\"}}]}",
           "null"),
    CHUNK ("{}", "\"tool_calls\""),
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[],"
    "\"usage\":{\"total_tokens\":9}}",
    "[DONE]",
    NULL
  };
  g_autoptr(TbOpenaiStream) stream = tb_openai_stream_new ("OpenAI");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = read_events (stream, events, &error);
  const TbLlmToolCall *calls;
  guint n;

  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "One moment.");
  g_assert_true (tb_openai_stream_finished (stream));
  g_assert_cmpstr (tb_openai_stream_finish_reason (stream), ==, "tool_calls");
  g_assert_true (tb_openai_stream_tool_calls (stream, &calls, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpstr (calls[0].id, ==, "call_a");
  g_assert_cmpstr (calls[0].name, ==, "first");
  g_assert_cmpstr (calls[0].arguments_json, ==, "{\"day\":\"Tue\"}");
  g_assert_cmpstr (calls[1].id, ==, "call_b");
  g_assert_cmpstr (calls[1].name, ==, "second");
  g_assert_cmpstr (calls[1].arguments_json, ==, "{}");
}

/* Servers without "index" (early Ollama): a new id starts a call; the
 * arguments may come as an object; a call without arguments gets "{}"
 * and one without an id gets one. */
static void
test_chunks_no_index (void)
{
  const char *const events[] = {
    CHUNK ("{\"tool_calls\":[{\"id\":\"call_1\",\"function\":{\"name\":\"lookup\","
           "\"arguments\":{\"q\":\"x\"}}}]}", "null"),
    CHUNK ("{\"tool_calls\":[{\"id\":\"call_2\",\"function\":{\"name\":\"hangup\"}}]}", "null"),
    CHUNK ("{\"tool_calls\":[{\"function\":{\"name\":\"clock\",\"arguments\":\" \"}}]}", "null"),
    CHUNK ("{}", "\"stop\""),
    NULL
  };
  g_autoptr(TbOpenaiStream) stream = tb_openai_stream_new ("OpenAI");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = read_events (stream, events, &error);
  const TbLlmToolCall *calls;
  guint n;

  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "");
  g_assert_true (tb_openai_stream_tool_calls (stream, &calls, &n, &error));
  g_assert_no_error (error);
  /* The third fragment has no id: it continues call_2 (a name already
   * given is kept). */
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpstr (calls[0].name, ==, "lookup");
  g_assert_cmpstr (calls[0].arguments_json, ==, "{\"q\":\"x\"}");
  g_assert_cmpstr (calls[1].id, ==, "call_2");
  g_assert_cmpstr (calls[1].name, ==, "hangup");
  g_assert_cmpstr (calls[1].arguments_json, ==, "{}");

  /* A call without an id gets one. */
  tb_openai_stream_reset (stream);
  g_assert_false (tb_openai_stream_finished (stream));
  g_clear_pointer (&text, g_free);
  text = read_events (stream, (const char *const[]) {
    CHUNK ("{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"clock\","
           "\"arguments\":\"{}\"}}]}", "\"tool_calls\""), NULL }, &error);
  g_assert_no_error (error);
  g_assert_true (tb_openai_stream_tool_calls (stream, &calls, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpstr (calls[0].id, ==, "call_0");
}

static void
test_chunks_errors (void)
{
  g_autoptr(TbOpenaiStream) stream = tb_openai_stream_new ("OpenAI");
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  const TbLlmToolCall *calls;
  guint n;

  /* Not JSON. */
  g_assert_false (tb_openai_stream_event (stream, "{\"id\":\"chatcmpl-1\",\"choi", text, &error));
  g_assert_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL);
  g_assert_true (tb_test_contains (error->message, "provider OpenAI"));
  g_clear_error (&error);

  /* The provider's error object, in the stream. */
  g_assert_false (tb_openai_stream_event (stream, "{\"error\":{\"message\":\"The server had an "
                  "error processing your request.\",\"type\":\"server_error\",\"param\":null,"
                  "\"code\":null}}", text, &error));
  g_assert_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED);
  g_assert_true (tb_test_contains (error->message, "The server had an error"));
  g_clear_error (&error);
  g_assert_false (tb_openai_stream_event (stream, "{\"error\":{\"message\":\"Rate limit reached\","
                  "\"type\":\"tokens\",\"code\":\"rate_limit_exceeded\"}}", text, &error));
  g_assert_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_RATE_LIMITED);
  g_clear_error (&error);

  /* Arguments that never became a JSON object. */
  g_assert_true (tb_openai_stream_event (stream, CHUNK ("{\"tool_calls\":[{\"index\":0,\"id\":"
                 "\"call_x\",\"function\":{\"name\":\"book\",\"arguments\":\"{\\\"day\\\":\"}}]}",
                 "\"tool_calls\""), text, &error));
  g_assert_no_error (error);
  g_assert_false (tb_openai_stream_tool_calls (stream, &calls, &n, &error));
  g_assert_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL);
  g_assert_true (tb_test_contains (error->message, "book"));
  g_clear_error (&error);

  /* A JSON value that is not an object. */
  tb_openai_stream_reset (stream);
  g_assert_true (tb_openai_stream_event (stream, CHUNK ("{\"tool_calls\":[{\"index\":0,\"id\":"
                 "\"call_x\",\"function\":{\"name\":\"book\",\"arguments\":\"[1]\"}}]}", "null"),
                 text, &error));
  g_assert_false (tb_openai_stream_tool_calls (stream, &calls, &n, &error));
  g_assert_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* Once finished, later events (other choices, usage) change nothing. */
  tb_openai_stream_reset (stream);
  g_string_truncate (text, 0);
  g_assert_true (tb_openai_stream_event (stream, "[DONE]", text, &error));
  g_assert_true (tb_openai_stream_finished (stream));
  g_assert_null (tb_openai_stream_finish_reason (stream));
  g_assert_true (tb_openai_stream_event (stream, CHUNK ("{\"content\":\"late\"}", "null"), text,
                                         &error));
  g_assert_cmpstr (text->str, ==, "");
}

/* ---- the plugin --------------------------------------------------------- */

static const TbPlugin *
openai_plugin (void)
{
  const TbPlugin *plugin = tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_LLM, "openai");

  g_assert_nonnull (plugin);
  return plugin;
}

/* The settings of an [llm:test] group: the fake's URL, its key, short
 * timeouts, then @lines ("key=value\n"...), which replace those (a value
 * of "-" leaves the key out). */
static char *
group_text (const char *lines)
{
  g_autofree char *base_url = g_strconcat (tb_fake_cloud_url (fake), "/v1", NULL);
  const char *defaults[][2] = {
    { "base-url", base_url }, { "api-key-env", TB_FAKE_API_KEY_ENV },
    { "connect-timeout-ms", "1000" }, { "first-byte-timeout-ms", "500" },
    { "timeout-ms", "5000" },
  };
  g_auto(GStrv) overrides = g_strsplit (lines ? lines : "", "\n", -1);
  GString *text = g_string_new ("[llm:test]\n");

  for (guint i = 0; i < G_N_ELEMENTS (defaults); i++) {
    g_autofree char *prefix = g_strconcat (defaults[i][0], "=", NULL);
    gboolean replaced = FALSE;

    for (guint j = 0; overrides[j]; j++)
      replaced |= g_str_has_prefix (overrides[j], prefix);
    if (!replaced)
      g_string_append_printf (text, "%s=%s\n", defaults[i][0], defaults[i][1]);
  }
  for (guint j = 0; overrides[j]; j++)
    if (*overrides[j] && !g_str_has_suffix (overrides[j], "=-"))
      g_string_append_printf (text, "%s\n", overrides[j]);
  return g_string_free (text, FALSE);
}

/* The settings as the host makes them; the problems it found go to
 * @problems_out (NULL: there must be none). */
static GVariant *
settings_new (const char *lines, char **problems_out)
{
  g_autofree char *text = group_text (lines);
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(TbProblems) problems = tb_problems_new (NULL, text);
  g_autoptr(GError) error = NULL;
  GVariant *settings;

  g_assert_true (g_key_file_load_from_data (keyfile, text, -1, G_KEY_FILE_NONE, NULL));
  settings = tb_settings_from_group (keyfile, "llm:test", openai_plugin ()->desc->config_keys,
                                     NULL, problems);
  if (problems_out) {
    tb_problems_to_error (problems, &error);
    *problems_out = error ? g_strdup (error->message) : NULL;
  } else {
    tb_problems_to_error (problems, &error);
    g_assert_no_error (error);
  }
  return settings;
}

static gpointer
instance_try (const char *lines, GError **error)
{
  g_autoptr(GVariant) settings = settings_new (lines, NULL);

  return openai_plugin ()->desc->instance_new (tb_test_host (), settings, error);
}

static gpointer
instance_new (const char *lines)
{
  g_autoptr(GError) error = NULL;
  gpointer instance = instance_try (lines, &error);

  g_assert_no_error (error);
  g_assert_nonnull (instance);
  return instance;
}

static void
instance_free (gpointer instance)
{
  openai_plugin ()->desc->instance_free (instance);
}

/* ---- one chat ------------------------------------------------------------ */

typedef struct {
  char *id, *name, *arguments;
} SeenCall;

static void
seen_call_free (gpointer data)
{
  SeenCall *call = data;

  g_free (call->id);
  g_free (call->name);
  g_free (call->arguments);
  g_free (call);
}

typedef struct {
  /* What to do */
  guint cancel_at_delta;      /* cancel from this delta (1 = the first); 0 never */
  gboolean cancel_before;

  /* What happened */
  GThread *thread;
  gboolean in_chat;           /* chat() has not returned yet */
  gboolean from_inside;       /* a callback came from inside chat() */
  GCancellable *cancellable;
  GPtrArray *deltas;          /* char * */
  GPtrArray *calls;           /* SeenCall * */
  guint done, errors;
  GError *error;
  gboolean late;              /* a callback after the terminal one */
  gboolean wrong_thread;
  gint64 t_call, t_first, t_cancel, t_end;
} Run;

static void
run_init (Run *run)
{
  memset (run, 0, sizeof *run);
  run->deltas = g_ptr_array_new_with_free_func (g_free);
  run->calls = g_ptr_array_new_with_free_func (seen_call_free);
  run->cancellable = g_cancellable_new ();
}

static void
run_clear (Run *run)
{
  g_ptr_array_unref (run->deltas);
  g_ptr_array_unref (run->calls);
  g_clear_object (&run->cancellable);
  g_clear_error (&run->error);
}

static void
run_saw (Run *run)
{
  run->wrong_thread |= g_thread_self () != run->thread;
  run->from_inside |= run->in_chat;
  run->late |= run->done + run->errors > 0;
}

static char *
run_text (const Run *run)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < run->deltas->len; i++)
    g_string_append (text, g_ptr_array_index (run->deltas, i));
  return g_string_free (text, FALSE);
}

static void
on_delta (const char *text, gpointer data)
{
  Run *run = data;

  run_saw (run);
  if (run->deltas->len == 0)
    run->t_first = g_get_monotonic_time ();
  g_ptr_array_add (run->deltas, g_strdup (text));
  if (run->cancel_at_delta && run->deltas->len == run->cancel_at_delta) {
    run->t_cancel = g_get_monotonic_time ();
    g_cancellable_cancel (run->cancellable);
  }
}

static void
on_tool_call (const TbLlmToolCall *call, gpointer data)
{
  Run *run = data;
  SeenCall *copy = g_new0 (SeenCall, 1);

  run_saw (run);
  copy->id = g_strdup (call->id);
  copy->name = g_strdup (call->name);
  copy->arguments = g_strdup (call->arguments_json);
  g_ptr_array_add (run->calls, copy);
}

static void
on_done (gpointer data)
{
  Run *run = data;

  run_saw (run);
  run->done++;
  run->t_end = g_get_monotonic_time ();
}

static void
on_error (const GError *error, gpointer data)
{
  Run *run = data;

  run_saw (run);
  run->errors++;
  if (!run->error)
    run->error = g_error_copy (error);
  run->t_end = g_get_monotonic_time ();
}

static const TbLlmCallbacks run_callbacks = { on_delta, on_tool_call, on_done, on_error };

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the worker's context until @run has ended (or @ms passed). */
static gboolean
iterate (guint ms, Run *run)
{
  gboolean timed_out = FALSE;
  GSource *timeout = g_timeout_source_new (ms);

  g_source_set_callback (timeout, set_flag, &timed_out, NULL);
  g_source_attach (timeout, worker);
  while (!timed_out && !(run && run->done + run->errors > 0))
    g_main_context_iteration (worker, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);
  return !timed_out;
}

/* Runs @request on @instance to its end, then 200 ms more to catch any
 * callback after it. */
static void
run_chat (gpointer instance, const TbLlmRequest *request, Run *run)
{
  const TbLlmVTable *vtable = openai_plugin ()->desc->vtable;

  run->thread = g_thread_self ();
  if (run->cancel_before)
    g_cancellable_cancel (run->cancellable);
  run->t_call = g_get_monotonic_time ();
  run->in_chat = TRUE;
  vtable->chat (instance, request, &run_callbacks, run, run->cancellable);
  run->in_chat = FALSE;
  if (!iterate (20000, run))
    g_error ("neither done() nor error() 20 s after chat()");
  iterate (200, NULL);
  g_assert_false (run->from_inside);
  g_assert_false (run->wrong_thread);
  g_assert_false (run->late);
  g_assert_cmpuint (run->done + run->errors, ==, 1);
}

/* A user's one line. */
static void
run_said (gpointer instance, const char *said, Run *run)
{
  TbLlmMessage messages[] = {
    { .role = TB_LLM_ROLE_SYSTEM, .content = "You answer the phone for a dental clinic." },
    { .role = TB_LLM_ROLE_USER, .content = said },
  };
  TbLlmRequest request = { messages, G_N_ELEMENTS (messages), NULL, 0 };

  run_chat (instance, &request, run);
}

static void
assert_done (const Run *run)
{
  if (run->error) {
    g_autofree char *text = run_text (run);

    g_printerr ("error: %s (after %u deltas: '%s')\n", run->error->message, run->deltas->len,
                text);
  }
  g_assert_no_error (run->error);
  g_assert_cmpuint (run->done, ==, 1);
}

static void
assert_text (const Run *run, const char *expected)
{
  g_autofree char *text = run_text (run);

  assert_done (run);
  g_assert_cmpstr (text, ==, expected);
}

/* @said on @instance, answered by the fake with no script left: it
 * repeats it. */
static void
assert_echoes (gpointer instance, const char *said)
{
  g_autofree char *expected = g_strconcat ("You said: ", said, NULL);
  Run run;

  run_init (&run);
  run_said (instance, said, &run);
  assert_text (&run, expected);
  run_clear (&run);
}

/* The requests the fake logged for the route. */
static guint
n_requests (void)
{
  g_autoptr(JsonArray) requests = tb_fake_cloud_requests (fake, "llm");

  return json_array_get_length (requests);
}

static JsonObject *
request_summary (JsonArray *requests, guint i)
{
  return json_object_get_object_member (json_array_get_object_element (requests, i), "summary");
}

static void
fresh_fake (void)
{
  tb_fake_cloud_reset (fake);
}

/* ---- happy paths ------------------------------------------------------------ */

static void
test_descriptor (void)
{
  const TbPlugin *plugin = openai_plugin ();
  const TbLlmVTable *vtable = plugin->desc->vtable;
  g_autofree char *name = g_path_get_basename (plugin->path);

  g_assert_cmpstr (name, ==, "llm-openai.so");
  g_assert_cmpint (plugin->desc->kind, ==, TB_PLUGIN_KIND_LLM);
  g_assert_cmpstr (plugin->desc->config_keys[0].name, ==, "base-url");
  g_assert_cmpstr (plugin->desc->config_keys[0].default_value, ==, "https://api.openai.com/v1");
  g_assert_cmpuint (vtable->version, ==, 2);
  g_assert_null (vtable->phrases);
  g_assert_true (tb_settings_check_keys (plugin->desc->config_keys, NULL));
}

#define REPLY "Your appointment is on Tuesday at ten thirty. See you then!"

static void
test_streamed_text (void)
{
  gpointer instance;
  Run run;

  fresh_fake ();
  tb_fake_cloud_script (fake, "llm", "[{\"text\":\"" REPLY "\"}]");
  tb_fake_cloud_knobs (fake, "llm", "\"chunk_ms\":20");
  instance = instance_new (NULL);
  run_init (&run);
  run_said (instance, "When is my appointment?", &run);
  assert_text (&run, REPLY);
  g_test_message ("%u deltas; first after %.1f ms, done after %.1f ms", run.deltas->len,
                  (run.t_first - run.t_call) / 1000.0, (run.t_end - run.t_call) / 1000.0);
  /* The text came as it was generated, not at the end. */
  g_assert_cmpuint (run.deltas->len, >=, 5);
  g_assert_cmpint (run.t_end - run.t_first, >=, 4 * 20 * 1000);
  g_assert_cmpuint (run.calls->len, ==, 0);
  run_clear (&run);

  /* No script left: the fake repeats what was said. */
  assert_echoes (instance, "Hello there, is anybody in?");
  instance_free (instance);
  tb_fake_cloud_assert_clean (fake);
}

static void
assert_arguments (const char *arguments_json, const char *expected_json)
{
  g_autoptr(JsonNode) got = json_from_string (arguments_json, NULL);
  g_autoptr(JsonNode) expected = json_from_string (expected_json, NULL);

  g_assert_nonnull (got);
  if (!json_node_equal (got, expected))
    g_error ("arguments %s, expected %s", arguments_json, expected_json);
}

#define BOOKING_ARGS \
  "{\"day\":\"2026-11-24\",\"time\":\"10:30\",\"name\":\"Zo\\u00eb \\u00c5ngstr\\u00f6m\"," \
  "\"reason\":\"check-up \\\"urgent\\\"\",\"people\":2}"

static void
test_tool_call (void)
{
  gpointer instance = instance_new (NULL);
  Run run;
  SeenCall *call;

  fresh_fake ();
  tb_fake_cloud_knobs (fake, "llm", "\"chunk_ms\":10");
  tb_fake_cloud_script (fake, "llm", "[{\"tool_calls\":[{\"name\":\"book_appointment\","
                        "\"arguments\":" BOOKING_ARGS "}]},"
                        "{\"text\":\"Let me check.\",\"tool_calls\":["
                        "{\"name\":\"check_slot\",\"arguments\":{\"day\":\"Tuesday\"}},"
                        "{\"name\":\"get_time\",\"arguments\":{}}]}]");
  run_init (&run);
  run_said (instance, "Book me in for Tuesday at half past ten.", &run);
  assert_done (&run);
  g_assert_cmpuint (run.deltas->len, ==, 0);
  g_assert_cmpuint (run.calls->len, ==, 1);
  call = g_ptr_array_index (run.calls, 0);
  g_assert_cmpstr (call->name, ==, "book_appointment");
  g_assert_true (g_str_has_prefix (call->id, "call_"));
  assert_arguments (call->arguments, BOOKING_ARGS);
  run_clear (&run);

  /* Text, then two calls, in order. */
  run_init (&run);
  run_said (instance, "Is Tuesday free?", &run);
  assert_text (&run, "Let me check.");
  g_assert_cmpuint (run.calls->len, ==, 2);
  call = g_ptr_array_index (run.calls, 0);
  g_assert_cmpstr (call->name, ==, "check_slot");
  assert_arguments (call->arguments, "{\"day\":\"Tuesday\"}");
  call = g_ptr_array_index (run.calls, 1);
  g_assert_cmpstr (call->name, ==, "get_time");
  assert_arguments (call->arguments, "{}");
  g_assert_cmpstr (((SeenCall *) g_ptr_array_index (run.calls, 0))->id, !=, call->id);
  run_clear (&run);
  instance_free (instance);
  tb_fake_cloud_assert_clean (fake);
}

#define BOOK_SCHEMA \
  "{\"type\":\"object\",\"properties\":{\"day\":{\"type\":\"string\"},\"time\":" \
  "{\"type\":\"string\"}},\"required\":[\"day\",\"time\"]}"

/* What the provider was sent: the model and settings, every message with a
 * tool round trip in OpenAI's shape, the tools, a streamed answer asked. */
static void
test_request_body (void)
{
  gpointer instance = instance_new ("model=gpt-4.1-nano\ntemperature=0.25\nmax-tokens=150");
  const TbLlmToolCall calls[] = {
    { "call_abc123", "book_appointment", "{\"day\":\"Tuesday\",\"time\":\"10:30\"}" },
  };
  const TbLlmMessage messages[] = {
    { .role = TB_LLM_ROLE_SYSTEM, .content = "You answer the phone for a dental clinic." },
    { .role = TB_LLM_ROLE_USER, .content = "Tuesday at half past ten, please." },
    { .role = TB_LLM_ROLE_ASSISTANT, .tool_calls = calls, .n_tool_calls = 1 },
    { .role = TB_LLM_ROLE_TOOL, .tool_call_id = "call_abc123",
      .content = "{\"booked\":true,\"id\":\"A-17\"}" },
  };
  const TbLlmTool tools[] = {
    { "book_appointment", "Books an appointment", BOOK_SCHEMA },
    { "hangup", "Ends the call", NULL },
  };
  TbLlmRequest request = { messages, G_N_ELEMENTS (messages), tools, G_N_ELEMENTS (tools) };
  g_autoptr(JsonArray) requests = NULL;
  JsonObject *summary, *call, *result;
  JsonArray *roles, *offered;
  Run run;

  fresh_fake ();
  tb_fake_cloud_script (fake, "llm", "[{\"text\":\"You are booked for Tuesday.\"}]");
  run_init (&run);
  run_chat (instance, &request, &run);
  assert_text (&run, "You are booked for Tuesday.");
  run_clear (&run);

  requests = tb_fake_cloud_requests (fake, "llm");
  g_assert_cmpuint (json_array_get_length (requests), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (requests, 0),
                                                  "path"), ==, "/v1/chat/completions");
  summary = request_summary (requests, 0);
  g_assert_cmpstr (json_object_get_string_member (summary, "model"), ==, "gpt-4.1-nano");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (summary, "temperature"), 0.25,
                                  1e-9);
  g_assert_cmpint (json_object_get_int_member (summary, "max_tokens"), ==, 150);
  g_assert_true (json_object_get_boolean_member (summary, "stream"));
  g_assert_cmpstr (json_object_get_string_member (summary, "accept"), ==, "text/event-stream");
  g_assert_cmpint (json_object_get_int_member (summary, "messages"), ==, 4);
  roles = json_object_get_array_member (summary, "roles");
  g_assert_cmpuint (json_array_get_length (roles), ==, 4);
  g_assert_cmpstr (json_array_get_string_element (roles, 0), ==, "system");
  g_assert_cmpstr (json_array_get_string_element (roles, 1), ==, "user");
  g_assert_cmpstr (json_array_get_string_element (roles, 2), ==, "assistant");
  g_assert_cmpstr (json_array_get_string_element (roles, 3), ==, "tool");
  g_assert_cmpstr (json_object_get_string_member (summary, "last_role"), ==, "tool");
  g_assert_cmpstr (json_object_get_string_member (summary, "last_content"), ==,
                   "{\"booked\":true,\"id\":\"A-17\"}");
  call = json_array_get_object_element (json_object_get_array_member (summary,
                                                                      "assistant_calls"), 0);
  g_assert_cmpstr (json_object_get_string_member (call, "id"), ==, "call_abc123");
  g_assert_cmpstr (json_object_get_string_member (call, "name"), ==, "book_appointment");
  assert_arguments (json_object_get_string_member (call, "arguments"),
                    "{\"day\":\"Tuesday\",\"time\":\"10:30\"}");
  result = json_array_get_object_element (json_object_get_array_member (summary,
                                                                        "tool_results"), 0);
  g_assert_cmpstr (json_object_get_string_member (result, "tool_call_id"), ==, "call_abc123");
  offered = json_object_get_array_member (summary, "tools");
  g_assert_cmpuint (json_array_get_length (offered), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (offered, 0), ==, "book_appointment");
  g_assert_cmpstr (json_array_get_string_element (offered, 1), ==, "hangup");
  instance_free (instance);
  /* The fake checked the rest (roles, tool_call_id answered, tools'
   * shape, parameters it knows): nothing it would refuse. */
  tb_fake_cloud_assert_clean (fake);

  /* By default: gpt-4o-mini, temperature 0.7, no max_tokens. */
  fresh_fake ();
  instance = instance_new (NULL);
  run_init (&run);
  run_said (instance, "Hi", &run);
  assert_done (&run);
  run_clear (&run);
  g_clear_pointer (&requests, json_array_unref);
  requests = tb_fake_cloud_requests (fake, "llm");
  summary = request_summary (requests, 0);
  g_assert_cmpstr (json_object_get_string_member (summary, "model"), ==, "gpt-4o-mini");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (summary, "temperature"), 0.7,
                                  1e-9);
  g_assert_false (json_object_has_member (summary, "max_tokens"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (summary, "tools")), ==,
                    0);
  instance_free (instance);
  tb_fake_cloud_assert_clean (fake);
}

/* One SoupSession per instance: its requests share one connection. A
 * second instance has a connection of its own (so the check can fail). */
static void
test_connection_reuse (void)
{
  gpointer first = instance_new (NULL), second = instance_new (NULL);
  g_autoptr(JsonArray) requests = NULL;
  gint64 ports[3];
  Run run;

  fresh_fake ();
  for (guint i = 0; i < 3; i++) {
    run_init (&run);
    run_said (i < 2 ? first : second, "Hello", &run);
    assert_text (&run, "You said: Hello");
    run_clear (&run);
  }
  requests = tb_fake_cloud_requests (fake, "llm");
  g_assert_cmpuint (json_array_get_length (requests), ==, 3);
  for (guint i = 0; i < 3; i++)
    ports[i] = json_object_get_int_member (request_summary (requests, i), "client_port");
  g_test_message ("client ports: %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT " (first instance), %"
                  G_GINT64_FORMAT " (second)", ports[0], ports[1], ports[2]);
  g_assert_cmpint (ports[0], >, 0);
  g_assert_cmpint (ports[0], ==, ports[1]);
  g_assert_cmpint (ports[2], !=, ports[0]);
  instance_free (first);
  instance_free (second);
  tb_fake_cloud_assert_clean (fake);
}

/* Azure OpenAI: the deployment's URL with ?api-version=, the key in an
 * api-key header, and a stream that opens with a chunk without choices. */
static void
test_azure (void)
{
  g_autofree char *lines = g_strdup_printf ("base-url=%s/openai/deployments/clinic-gpt4o\n"
                                            "api-version=2024-10-21",
                                            tb_fake_cloud_url (fake));
  gpointer instance = instance_new (lines);
  g_autoptr(JsonArray) requests = NULL;
  JsonObject *entry;

  fresh_fake ();
  assert_echoes (instance, "Hello Azure");
  requests = tb_fake_cloud_requests (fake, "llm");
  g_assert_cmpuint (json_array_get_length (requests), ==, 1);
  entry = json_array_get_object_element (requests, 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "path"), ==,
                   "/openai/deployments/clinic-gpt4o/chat/completions");
  g_assert_cmpstr (json_object_get_string_member (entry, "query"), ==, "api-version=2024-10-21");
  g_assert_true (json_object_get_boolean_member (request_summary (requests, 0), "azure"));
  instance_free (instance);
  tb_fake_cloud_assert_clean (fake);
}

/* The fake refuses what OpenAI refuses (so that a clean log means
 * something): each of these gets a 400 with OpenAI's error body and is
 * recorded. */
static void
test_fake_refuses (void)
{
  const char *const bodies[] = {
    "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}",
    "{\"model\":\"gpt-4o-mini\",\"messages\":[],\"stream\":true}",
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"caller\",\"content\":\"Hi\"}],"
    "\"stream\":true}",
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
    "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"{}\"}],\"stream\":true}",
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":"
    "\"function\",\"function\":{\"name\":\"book\",\"arguments\":\"{}\"}}]}],\"stream\":true}",
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
    "\"stream\":true,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"book it\"}}]}",
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
    "\"stream\":true,\"temperature\":3}",
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
    "\"stream\":true,\"max_tokens\":0}",
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
    "\"stream\":true,\"voice\":\"alloy\"}",
  };
  g_autofree char *url = g_strconcat (tb_fake_cloud_url (fake), "/v1/chat/completions", NULL);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(JsonArray) violations = NULL;

  fresh_fake ();
  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++) {
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
    g_autoptr(GBytes) body = g_bytes_new_static (bodies[i], strlen (bodies[i]));
    g_autoptr(GBytes) reply = NULL;
    g_autoptr(JsonNode) error = NULL;
    g_autoptr(GError) send_error = NULL;
    g_autofree char *text = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  "Bearer " TB_FAKE_API_KEY);
    soup_message_set_request_body_from_bytes (msg, "application/json", body);
    reply = soup_session_send_and_read (session, msg, NULL, &send_error);
    g_assert_no_error (send_error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 400);
    text = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
    error = json_from_string (text, NULL);
    g_assert_nonnull (error);
    g_assert_true (JSON_NODE_HOLDS_OBJECT (error));
    g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (json_node_get_object (error), "error"),
                       "type"), ==, "invalid_request_error");
  }
  violations = tb_fake_cloud_violations (fake);
  for (guint i = 0; i < json_array_get_length (violations); i++)
    g_test_message ("%s", json_array_get_string_element (violations, i));
  g_assert_cmpuint (json_array_get_length (violations), ==, G_N_ELEMENTS (bodies));
  fresh_fake ();
}

/* ---- settings ---------------------------------------------------------------- */

static void
assert_refused (const char *lines, const char *needle)
{
  g_autoptr(GError) error = NULL;
  gpointer instance = instance_try (lines, &error);

  g_assert_null (instance);
  g_assert_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG);
  g_test_message ("%s -> %s", lines, error->message);
  g_assert_true (tb_test_contains (error->message, needle));
}

static void
assert_problem (const char *lines, const char *needle)
{
  g_autofree char *problems = NULL;
  g_autoptr(GVariant) settings = settings_new (lines, &problems);

  g_assert_nonnull (problems);
  g_test_message ("%s -> %s", lines, problems);
  g_assert_true (tb_test_contains (problems, needle));
}

static void
test_bad_settings (void)
{
  assert_refused ("base-url=ftp://api.openai.com/v1", "base-url");
  assert_refused ("base-url=ftp://api.openai.com/v1", "ftp://api.openai.com/v1");
  assert_refused ("base-url=api.openai.com/v1", "not an http://");
  assert_refused ("base-url=", "base-url");
  assert_refused ("model=  ", "model is empty");
  /* Ranges are the host's to check, from the plugin's keys. */
  assert_problem ("temperature=2.5", "temperature");
  assert_problem ("temperature=-0.1", "temperature");
  assert_problem ("temperature=warm", "temperature");
  assert_problem ("max-tokens=-1", "max-tokens");
  assert_problem ("max-tokens=40000", "max-tokens");
  assert_problem ("api-key-env=sk-live-key", "environment variable");
}

/* A tool whose schema is not JSON: error() from the caller's loop, and no
 * request goes out. */
static void
test_bad_request (void)
{
  gpointer instance = instance_new (NULL);
  const TbLlmMessage messages[] = { { .role = TB_LLM_ROLE_USER, .content = "Hi" } };
  const TbLlmTool tools[] = { { "book", "Books", "{\"type\":\"object\",\"prop" } };
  TbLlmRequest request = { messages, 1, tools, 1 };
  Run run;

  fresh_fake ();
  run_init (&run);
  run_chat (instance, &request, &run);
  g_assert_error (run.error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED);
  g_assert_true (tb_test_contains (run.error->message, "book"));
  run_clear (&run);
  g_assert_cmpuint (n_requests (), ==, 0);
  instance_free (instance);
}

/* ---- faults --------------------------------------------------------------------- */

static void
test_wrong_key (void)
{
  gpointer instance;
  g_autoptr(JsonArray) violations = NULL;
  Run run;

  fresh_fake ();
  g_setenv ("TB_TEST_WRONG_KEY", "sk-wrong-0123456789abcdef", TRUE);
  instance = instance_new ("api-key-env=TB_TEST_WRONG_KEY");
  run_init (&run);
  run_said (instance, "Hello", &run);
  g_assert_error (run.error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_AUTH);
  g_test_message ("%s", run.error->message);
  g_assert_true (tb_test_contains (run.error->message, "invalid API key for provider OpenAI"));
  g_assert_true (tb_test_contains (run.error->message, "Incorrect API key provided"));
  /* Never the key itself (OpenAI shows it masked). */
  g_assert_null (strstr (run.error->message, "sk-wrong-0123456789abcdef"));
  g_assert_cmpuint (run.deltas->len, ==, 0);
  run_clear (&run);
  instance_free (instance);
  /* Refused keys are not retried. */
  g_assert_cmpuint (n_requests (), ==, 1);
  violations = tb_fake_cloud_violations (fake);
  g_assert_cmpuint (json_array_get_length (violations), ==, 1);

  /* No key at all. */
  fresh_fake ();
  instance = instance_new ("api-key-env=-");
  run_init (&run);
  run_said (instance, "Hello", &run);
  g_assert_error (run.error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_AUTH);
  g_assert_true (tb_test_contains (run.error->message, "didn't provide an API key"));
  run_clear (&run);
  instance_free (instance);
  fresh_fake ();
}

/* One chat of a fault test: the fake's knobs (and script) for it, and what
 * must come of it: the answer @text, or (@text NULL) one error @code of
 * TB_PLUGIN_ERROR whose message holds @words, after no tool call. */
typedef struct {
  const char *said;           /* NULL: no such chat */
  gboolean same_fake;         /* go on with the fake, its knobs and log, as they are */
  const char *knobs;
  const char *script;
  const char *text;
  int code;
  const char *words;
  guint n_requests;           /* in the fake's log since it was reset */
  gboolean check_deltas;
  guint n_deltas;
  guint min_first_ms;         /* the first delta at least this long after the call */
  guint min_end_ms;           /* the end at least this long after the call */
  guint max_end_ms;           /* ... and at most (0: not checked) */
} FaultChat;

typedef struct {
  const char *path;
  FaultChat chats[2];         /* on one instance, in turn */
} Fault;

static const Fault faults[] = {
  { "/llm-openai/fault/401", {
    { "Hello", .knobs = "\"status\":401", .code = TB_PLUGIN_ERROR_AUTH,
      .words = "invalid API key for provider OpenAI", .n_requests = 1 } } },
  /* 429 once with Retry-After: 1: the retry waits that second, then the
   * answer comes. */
  { "/llm-openai/fault/429-retry", {
    { "Hello", .knobs = "\"status\":429,\"retry_after_s\":1,\"times\":1",
      .text = "You said: Hello", .n_requests = 2, .min_first_ms = 1000 } } },
  /* One retry (max-retries=1), then the error; a Retry-After beyond the
   * request's deadline is not waited for. */
  { "/llm-openai/fault/429", {
    { "Hello", .knobs = "\"status\":429,\"retry_after_s\":1", .code = TB_PLUGIN_ERROR_RATE_LIMITED,
      .words = "Rate limit reached", .n_requests = 2 },
    { "Hello", .knobs = "\"status\":429,\"retry_after_s\":60", .code = TB_PLUGIN_ERROR_RATE_LIMITED,
      .words = "provider OpenAI rate limited the request", .n_requests = 1,
      .max_end_ms = 1000 } } },
  /* Once: retried, since nothing was said yet; always: the error, with
   * OpenAI's message. */
  { "/llm-openai/fault/500", {
    { "Hello", .knobs = "\"status\":500,\"times\":1", .text = "You said: Hello",
      .n_requests = 2 },
    { "Hello", .knobs = "\"status\":500", .code = TB_PLUGIN_ERROR_FAILED,
      .words = "provider OpenAI answered 500 Internal Server Error: The server had an error",
      .n_requests = 2 } } },
  /* The connection cut in the middle of the text: the text so far was
   * given (the role chunk and three pieces of text were sent), then one
   * error; no retry (the caller heard part of it). */
  { "/llm-openai/fault/drop", {
    { "When?", .knobs = "\"drop_after\":4,\"chunk_ms\":20", .script = "[{\"text\":\"" REPLY "\"}]",
      .code = TB_PLUGIN_ERROR_PROTOCOL, .words = "OpenAI", .n_requests = 1,
      .check_deltas = TRUE, .n_deltas = 3 } } },
  /* Cut after the status line, before any event. libsoup 3.2 reads a
   * chunked body cut between two chunks as a body that ended, so the
   * request cannot tell this from an empty answer and does not retry it:
   * the plugin finds no finish_reason and no [DONE], and says so. The
   * next chat is fine. */
  { "/llm-openai/fault/drop-before-text", {
    { "Hello", .knobs = "\"drop_after\":0,\"times\":1", .code = TB_PLUGIN_ERROR_PROTOCOL,
      .words = "before finishing it", .n_requests = 1, .check_deltas = TRUE },
    { "Hello", .same_fake = TRUE, .text = "You said: Hello", .n_requests = 2 } } },
  /* A malformed event after text was given: a protocol error, not
   * retried; as the first event: nothing was said, so the request is tried
   * again. */
  { "/llm-openai/fault/malformed", {
    { "When?", .knobs = "\"malformed_at\":3,\"chunk_ms\":10",
      .script = "[{\"text\":\"" REPLY "\"}]", .code = TB_PLUGIN_ERROR_PROTOCOL,
      .words = "not a JSON object", .n_requests = 1, .check_deltas = TRUE, .n_deltas = 2 },
    { "Hello", .knobs = "\"malformed_at\":0,\"times\":1", .text = "You said: Hello",
      .n_requests = 2 } } },
  /* A call whose arguments are not JSON: a protocol error, and no
   * tool_call(); twice, since the first failure (nothing said yet) is
   * retried. */
  { "/llm-openai/fault/bad-arguments", {
    { "Book it", .knobs = "",
      .script = "[{\"tool_calls\":[{\"name\":\"book\",\"arguments\":\"{\\\"day\\\":\"}]},"
                " {\"tool_calls\":[{\"name\":\"book\",\"arguments\":\"{\\\"day\\\":\"}]}]",
      .code = TB_PLUGIN_ERROR_PROTOCOL, .words = "arguments", .n_requests = 2 } } },
  /* No answer at all: a timeout after first-byte-timeout-ms (500 here),
   * not retried; the instance is fine afterwards. */
  { "/llm-openai/fault/stall", {
    { "Hello", .knobs = "\"stall\":true", .code = TB_PLUGIN_ERROR_TIMEOUT,
      .words = "no answer within 500 ms", .n_requests = 1, .min_end_ms = 450,
      .max_end_ms = 2000 },
    { "Again", .knobs = "", .text = "You said: Again", .n_requests = 1 } } },
};

static void
fault_chat (gpointer instance, const FaultChat *chat)
{
  Run run;

  if (!chat->same_fake) {
    fresh_fake ();
    tb_fake_cloud_knobs (fake, "llm", chat->knobs);
  }
  if (chat->script)
    tb_fake_cloud_script (fake, "llm", chat->script);
  run_init (&run);
  run_said (instance, chat->said, &run);
  if (!chat->text) {
    g_assert_error (run.error, TB_PLUGIN_ERROR, chat->code);
    g_test_message ("%s after %.0f ms", run.error->message, (run.t_end - run.t_call) / 1000.0);
    g_assert_true (tb_test_contains (run.error->message, chat->words));
    g_assert_cmpuint (run.done, ==, 0);
    g_assert_cmpuint (run.calls->len, ==, 0);
  } else {
    assert_text (&run, chat->text);
  }
  if (chat->check_deltas)
    g_assert_cmpuint (run.deltas->len, ==, chat->n_deltas);
  if (chat->min_first_ms)
    g_assert_cmpint (run.t_first - run.t_call, >=, chat->min_first_ms * 1000);
  g_assert_cmpint (run.t_end - run.t_call, >=, chat->min_end_ms * 1000);
  if (chat->max_end_ms)
    g_assert_cmpint (run.t_end - run.t_call, <, chat->max_end_ms * 1000);
  g_assert_cmpuint (n_requests (), ==, chat->n_requests);
  run_clear (&run);
}

static void
test_fault (gconstpointer data)
{
  const Fault *fault = data;
  gpointer instance = instance_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (fault->chats) && fault->chats[i].said; i++)
    fault_chat (instance, &fault->chats[i]);
  instance_free (instance);
  tb_fake_cloud_assert_clean (fake);
}

/* Cut after the chunk with the finish_reason, before [DONE]: the answer
 * was whole, so it is done. */
static void
test_drop_after_finish (void)
{
  gpointer instance = instance_new (NULL);
  g_autofree char *knobs = NULL;
  guint pieces;
  Run run;

  fresh_fake ();
  tb_fake_cloud_script (fake, "llm", "[{\"text\":\"" REPLY "\"},{\"text\":\"" REPLY "\"}]");
  tb_fake_cloud_knobs (fake, "llm", "\"chunk_ms\":20");
  run_init (&run);
  run_said (instance, "When?", &run);
  assert_text (&run, REPLY);
  pieces = run.deltas->len;
  run_clear (&run);

  /* The role chunk, the pieces, the finish chunk: not [DONE]. */
  knobs = g_strdup_printf ("\"chunk_ms\":20,\"drop_after\":%u", pieces + 2);
  tb_fake_cloud_knobs (fake, "llm", knobs);
  run_init (&run);
  run_said (instance, "When?", &run);
  assert_text (&run, REPLY);
  run_clear (&run);
  instance_free (instance);
  tb_fake_cloud_assert_clean (fake);
}

/* Slow answers: the first byte after first_byte_ms, events chunk_ms
 * apart; first-token time is reported. */
static void
test_slow (void)
{
  gpointer instance = instance_new ("first-byte-timeout-ms=2000");
  Run run;

  fresh_fake ();
  tb_fake_cloud_script (fake, "llm", "[{\"text\":\"" REPLY "\"}]");
  tb_fake_cloud_knobs (fake, "llm", "\"first_byte_ms\":300,\"chunk_ms\":30");
  run_init (&run);
  run_said (instance, "When?", &run);
  assert_text (&run, REPLY);
  g_test_message ("first delta after %.1f ms (300 ms to the status line), done after %.1f ms, "
                  "%u deltas", (run.t_first - run.t_call) / 1000.0,
                  (run.t_end - run.t_call) / 1000.0, run.deltas->len);
  g_assert_cmpint (run.t_first - run.t_call, >=, 300 * 1000);
  g_assert_cmpint (run.t_end - run.t_first, >=, (gint64) (run.deltas->len - 1) * 30 * 1000);
  run_clear (&run);

  /* Slower than the first-byte timeout: a timeout. */
  tb_fake_cloud_knobs (fake, "llm", "\"first_byte_ms\":2500");
  run_init (&run);
  run_said (instance, "When?", &run);
  g_assert_error (run.error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_TIMEOUT);
  run_clear (&run);
  instance_free (instance);
  tb_fake_cloud_assert_clean (fake);
}

/* ---- cancellation ------------------------------------------------------------------ */

static void
test_cancel_midway (void)
{
  gpointer instance = instance_new (NULL);
  Run run;

  fresh_fake ();
  tb_fake_cloud_script (fake, "llm", "[{\"text\":\"" REPLY "\"}]");
  tb_fake_cloud_knobs (fake, "llm", "\"chunk_ms\":100");
  run_init (&run);
  run.cancel_at_delta = 2;
  run_said (instance, "When?", &run);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (run.done, ==, 0);
  /* Nothing after the delta that cancelled. */
  g_assert_cmpuint (run.deltas->len, ==, 2);
  g_test_message ("error(CANCELLED) %.1f ms after cancelling",
                  (run.t_end - run.t_cancel) / 1000.0);
  g_assert_cmpint (run.t_end - run.t_cancel, <, 90 * 1000);
  run_clear (&run);

  /* The instance answers again at once. */
  assert_echoes (instance, "Hello again");
  instance_free (instance);
  tb_fake_cloud_assert_clean (fake);
}

static void
test_cancel_before (void)
{
  gpointer instance = instance_new (NULL);
  Run run;

  fresh_fake ();
  run_init (&run);
  run.cancel_before = TRUE;
  run_said (instance, "Hello", &run);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (run.deltas->len + run.calls->len + run.done, ==, 0);
  run_clear (&run);
  instance_free (instance);
  tb_fake_cloud_assert_clean (fake);
}

static gboolean
cancel_now (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

/* Cancelled while the provider has not answered yet (it stalls). */
static void
test_cancel_waiting (void)
{
  gpointer instance = instance_new ("first-byte-timeout-ms=5000");
  GSource *cancel;
  Run run;

  fresh_fake ();
  tb_fake_cloud_knobs (fake, "llm", "\"stall\":true");
  run_init (&run);
  cancel = g_timeout_source_new (200);
  g_source_set_callback (cancel, cancel_now, run.cancellable, NULL);
  g_source_attach (cancel, worker);
  run_said (instance, "Hello", &run);
  g_source_destroy (cancel);
  g_source_unref (cancel);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (run.t_end - run.t_call, <, 1000 * 1000);
  run_clear (&run);
  instance_free (instance);
  tb_fake_cloud_assert_clean (fake);
}

/* ---- set-up ------------------------------------------------------------------------ */

static void
load_plugin (void)
{
  registry = tb_test_shipped_registry_new ((const char *const[]) { "llm-openai", NULL }, &plugin_dir);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/llm-openai/sse/framing", test_sse_framing);
  g_test_add_func ("/llm-openai/sse/stop", test_sse_stop);
  g_test_add_func ("/llm-openai/chunks/tool-calls", test_chunks_tool_calls);
  g_test_add_func ("/llm-openai/chunks/no-index", test_chunks_no_index);
  g_test_add_func ("/llm-openai/chunks/errors", test_chunks_errors);
  g_test_add_func ("/llm-openai/descriptor", test_descriptor);
  g_test_add_func ("/llm-openai/settings/bad", test_bad_settings);
  g_test_add_func ("/llm-openai/streamed-text", test_streamed_text);
  g_test_add_func ("/llm-openai/tool-call", test_tool_call);
  g_test_add_func ("/llm-openai/request-body", test_request_body);
  g_test_add_func ("/llm-openai/bad-request", test_bad_request);
  g_test_add_func ("/llm-openai/connection-reuse", test_connection_reuse);
  g_test_add_func ("/llm-openai/azure", test_azure);
  g_test_add_func ("/llm-openai/fake-refuses", test_fake_refuses);
  g_test_add_func ("/llm-openai/fault/wrong-key", test_wrong_key);
  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    g_test_add_data_func (faults[i].path, &faults[i], test_fault);
  g_test_add_func ("/llm-openai/fault/drop-after-finish", test_drop_after_finish);
  g_test_add_func ("/llm-openai/fault/slow", test_slow);
  g_test_add_func ("/llm-openai/cancel/midway", test_cancel_midway);
  g_test_add_func ("/llm-openai/cancel/before", test_cancel_before);
  g_test_add_func ("/llm-openai/cancel/waiting", test_cancel_waiting);

  load_plugin ();
  fake = tb_fake_cloud_start ();
  /* One context for every chat, pushed as a worker thread's is. */
  worker = g_main_context_new ();
  g_main_context_push_thread_default (worker);
  status = g_test_run ();
  g_main_context_pop_thread_default (worker);
  g_main_context_unref (worker);

  tb_fake_cloud_stop (fake);
  tb_plugin_registry_free (registry);
  tb_test_remove_tree (plugin_dir);
  g_free (plugin_dir);
  return status;
}
