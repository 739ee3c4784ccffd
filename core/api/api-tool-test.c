/* api-tool-test.c — POST /api/v1/tools/{name}/test: the tool invoked once
 * as a call would invoke it (a webhook gets its signed POST with the
 * envelope), with the arguments of the body ({"arguments": {...}}, else
 * {}), and what came back: {"tool", "function", "arguments", "ok",
 * "result" (the tool's JSON), "error", "latency_ms"}. A tool that fails or
 * does not answer in time is still a 200, with ok false and its error:
 * the request itself went well. The invocation runs on a worker with the
 * provider's worker instance (api-job.h); its call id is a fresh UUID and
 * its agent, caller and callee are "api-test". */
#define G_LOG_DOMAIN "tb-api-tool-test"

#include "api-catalog.h"
#include "api-calls.h"

#include "api-job.h"
#include "http-json.h"

/* The tool gets this long (a webhook's own timeout_ms is at most 60 s). */
#define TOOL_TEST_TIMEOUT_MS 65000
#define TEST_PARTY "api-test"

typedef struct {
  char *call_id;
  char *function;          /* asked for, or NULL: the tool's first */
  char *arguments;         /* JSON object text */
  char *used_function;     /* the one invoked */
  char *result;            /* JSON text of the result, or NULL */
} ToolTest;

static void
tool_test_free (ToolTest *test)
{
  g_free (test->call_id);
  g_free (test->function);
  g_free (test->arguments);
  g_free (test->used_function);
  g_free (test->result);
  g_free (test);
}

/* ---- on the worker ------------------------------------------------------ */

static void
on_result (const char *result_json, gpointer user_data)
{
  ToolTest *test = tb_api_job_get_data (user_data);

  test->result = g_strdup (result_json);
  tb_api_job_done (user_data, NULL);
}

static void
on_error (const GError *error, gpointer user_data)
{
  tb_api_job_done (user_data, error);
}

static const TbToolCallbacks callbacks = { on_result, on_error };

static void
start (TbApiJob *job, gpointer instance, GCancellable *cancellable)
{
  ToolTest *test = tb_api_job_get_data (job);
  const TbToolVTable *tool = tb_api_job_get_provider (job)->plugin->desc->vtable;
  const TbToolFunction *functions = tool->functions (instance);
  TbToolInvocation invocation = { 0 };

  for (guint i = 0; functions && functions[i].name && !test->used_function; i++)
    if (!test->function || g_str_equal (test->function, functions[i].name))
      test->used_function = g_strdup (functions[i].name);
  if (!test->used_function) {
    g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                           "the tool has no function %s",
                                           test->function ? test->function : "at all");

    tb_api_job_done (job, error);
    return;
  }
  invocation.call_id = test->call_id;
  invocation.agent = TEST_PARTY;
  invocation.caller = TEST_PARTY;
  invocation.callee = TEST_PARTY;
  invocation.function = test->used_function;
  invocation.arguments_json = test->arguments;
  tool->invoke (instance, &invocation, &callbacks, job, cancellable);
}

/* ---- on the main context ------------------------------------------------ */

static void
finish (TbApiJob *job, SoupServerMessage *msg, const GError *error)
{
  ToolTest *test = tb_api_job_get_data (job);
  g_autoptr(JsonObject) reply = json_object_new ();
  g_autofree char *late = g_strdup_printf ("no answer within %u ms", TOOL_TEST_TIMEOUT_MS);

  json_object_set_string_member (reply, "tool", tb_api_job_get_provider (job)->name);
  tb_api_set_string_or_null (reply, "function", test->used_function);
  json_object_set_member (reply, "arguments", tb_api_json_or_string (test->arguments));
  json_object_set_boolean_member (reply, "ok", error == NULL);
  if (test->result)
    json_object_set_member (reply, "result", tb_api_json_or_string (test->result));
  else
    json_object_set_null_member (reply, "result");
  tb_api_set_string_or_null (reply, "error",
                             g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? late
                             : error ? error->message : NULL);
  json_object_set_int_member (reply, "latency_ms", tb_api_job_get_elapsed_us (job) / 1000);
  tb_api_reply_object (msg, SOUP_STATUS_OK, reply);
}

/* Reads {"arguments": {...}, "function": "..."} into @test; FALSE after
 * replying 400 with what is wrong. */
static gboolean
read_body (SoupServerMessage *msg, JsonNode *body, ToolTest *test)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(GList) names = NULL;
  JsonObject *object;
  JsonNode *arguments, *function;

  test->arguments = g_strdup ("{}");
  if (!body)
    return TRUE;
  object = json_node_get_object (body);
  names = json_object_get_members (object);
  for (GList *l = names; l; l = l->next)
    if (!g_str_equal (l->data, "arguments") && !g_str_equal (l->data, "function"))
      json_object_set_string_member (fields, l->data, "unknown field");
  arguments = json_object_get_member (object, "arguments");
  function = json_object_get_member (object, "function");
  if (arguments && JSON_NODE_HOLDS_OBJECT (arguments)) {
    g_free (test->arguments);
    test->arguments = json_to_string (arguments, FALSE);
  } else if (arguments && !JSON_NODE_HOLDS_NULL (arguments)) {
    json_object_set_string_member (fields, "arguments", "must be a JSON object");
  }
  if (function && JSON_NODE_HOLDS_VALUE (function) &&
      json_node_get_value_type (function) == G_TYPE_STRING)
    test->function = g_strdup (json_node_get_string (function));
  else if (function && !JSON_NODE_HOLDS_NULL (function))
    json_object_set_string_member (fields, "function", "must be a string");
  if (json_object_get_size (fields) == 0)
    return TRUE;
  tb_http_reply_invalid (msg, "invalid tool test", fields);
  return FALSE;
}

void
tb_api_tool_test (TbApi *api, const TbApiResource *tools, SoupServerMessage *msg,
                  JsonObject *row)
{
  const char *name = json_object_get_string_member (row, "name");
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(TbConfig) config = NULL;
  const TbProviderConfig *provider;
  ToolTest *test;

  if (!tb_http_read_optional_json_object (msg, &body))
    return;
  test = g_new0 (ToolTest, 1);
  if (!read_body (msg, body, test)) {
    tool_test_free (test);
    return;
  }
  config = tb_api_catalog_try_patch (api, tools, msg, row, NULL);
  if (!config) {
    tool_test_free (test);
    return;
  }
  provider = tb_config_find_provider (config, TB_PLUGIN_KIND_TOOL, name);
  if (!provider) {
    tb_http_reply_error (msg, SOUP_STATUS_CONFLICT, "tool '%s' is not in use: its plugin or "
                         "settings have a problem (see the daemon's log)", name);
    tool_test_free (test);
    return;
  }
  test->call_id = g_uuid_string_random ();
  tb_api_job_run (tb_api_job_new (api, msg, config, provider, start, finish, test,
                                  (GDestroyNotify) tool_test_free),
                  TOOL_TEST_TIMEOUT_MS);
}
