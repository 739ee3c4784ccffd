/* test-tool-call-control.c — the call-control tool plugin (and the clock
 * plugin, which shares current_time with it), loaded from build/plugins:
 * schemas, the "call" objects of results, and refused arguments. */
#include "tool-harness.h"
#include "schema.h"
#include "test-util.h"

#include <json-glib/json-glib.h>

typedef struct {
  GMainContext *context;
  TbTestTool *tool;
  gpointer instance;
  TbTestToolOutcome outcome;
} Fixture;

static void
set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  f->tool = tb_test_tool_new ("tool-call-control", "call-control");
  f->instance = tb_test_tool_instance_new (f->tool, data ? data : "", &error);
  g_assert_no_error (error);
}

static void
tear_down (Fixture *f, gconstpointer data)
{
  tb_test_tool_outcome_clear (&f->outcome);
  tb_test_tool_instance_free (f->tool, f->instance);
  tb_test_tool_free (f->tool);
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);
}

static JsonNode *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

/* Calls @function and returns its result's "call" object as JSON text
 * (fails when the call fails or has none). */
static char *
call_object (Fixture *f, const char *function, const char *arguments_json)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;

  tb_test_tool_call (f->tool, f->instance, function, arguments_json, &f->outcome);
  g_assert_no_error (f->outcome.error);
  root = parse (f->outcome.result);
  object = json_node_get_object (root);
  g_assert_true (json_object_get_boolean_member (object, "ok"));
  return json_to_string (json_object_get_member (object, "call"), FALSE);
}

/* transfer_call to @number transfers to @target. */
static void
transfers (Fixture *f, const char *number, const char *target)
{
  g_autofree char *arguments = g_strdup_printf ("{\"number\":\"%s\"}", number);
  g_autofree char *expected = g_strdup_printf ("{\"action\":\"transfer\",\"target\":\"%s\"}",
                                               target);
  g_autofree char *call = call_object (f, "transfer_call", arguments);

  g_assert_cmpstr (call, ==, expected);
}

/* Calls @function, expects an error that mentions @expected. */
static void
refused (Fixture *f, const char *function, const char *arguments_json, const char *expected)
{
  tb_test_tool_call (f->tool, f->instance, function, arguments_json, &f->outcome);
  g_assert_null (f->outcome.result);
  g_assert_error (f->outcome.error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED);
  g_assert_true (tb_test_contains (f->outcome.error->message, expected));
}

static void
check_schema (const TbToolFunction *function)
{
  g_autoptr(JsonNode) root = parse (function->parameters_json);
  JsonObject *schema;
  JsonObject *properties;
  JsonArray *required;

  g_test_message ("%s: %s", function->name, function->parameters_json);
  g_assert_true (function->description && *function->description);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  schema = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (schema, "type"), ==, "object");
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (schema, "properties")));
  properties = json_object_get_object_member (schema, "properties");
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_object_get_member (schema, "required")));
  required = json_object_get_array_member (schema, "required");
  for (guint i = 0; i < json_array_get_length (required); i++)
    g_assert_true (json_object_has_member (properties,
                                           json_array_get_string_element (required, i)));
  g_assert_true (JSON_NODE_HOLDS_VALUE (json_object_get_member (schema,
                                                                "additionalProperties")));
  g_assert_false (json_object_get_boolean_member (schema, "additionalProperties"));
}

static void
test_schemas (Fixture *f, gconstpointer data)
{
  const char *const expected[] = { "end_call", "transfer_call", "send_dtmf", "current_time",
                                   NULL };
  const TbToolFunction *functions = tb_test_tool_functions (f->tool, f->instance);
  guint n = 0;

  for (; functions[n].name; n++) {
    g_assert_cmpstr (functions[n].name, ==, expected[n]);
    check_schema (&functions[n]);
  }
  g_assert_cmpuint (n, ==, 4);
}

typedef struct {
  const char *function;
  const char *arguments;
  gboolean valid;
} SchemaCase;

/* What the host lets through to the plugin. */
static const SchemaCase schema_cases[] = {
  { "end_call", "{}", TRUE },
  { "end_call", "{\"reason\":\"bye\"}", FALSE },
  { "transfer_call", "{\"number\":\"+15550100\"}", TRUE },
  { "transfer_call", "{}", FALSE },
  { "transfer_call", "{\"number\":15550100}", FALSE },
  { "send_dtmf", "{\"digits\":\"12#*AD\"}", TRUE },
  { "send_dtmf", "{\"digits\":\"12x\"}", FALSE },
  { "send_dtmf", "{\"digits\":\"\"}", FALSE },
  { "current_time", "{}", TRUE },
  { "current_time", "{\"timezone\":\"Europe/Madrid\"}", TRUE },
  { "current_time", "{\"timezone\":1}", FALSE },
};

static const TbToolFunction *
find_function (const TbToolFunction *functions, const char *name)
{
  for (guint i = 0; functions[i].name; i++)
    if (g_str_equal (functions[i].name, name))
      return &functions[i];
  g_assert_not_reached ();
}

/* The schemas mean what the plugin expects to the host's own checker. */
static void
test_host_checks (Fixture *f, gconstpointer data)
{
  const TbToolFunction *functions = tb_test_tool_functions (f->tool, f->instance);

  for (guint i = 0; i < G_N_ELEMENTS (schema_cases); i++) {
    const SchemaCase *c = &schema_cases[i];
    g_autofree char *problem = NULL;
    gboolean valid = tb_dialog_schema_check (find_function (functions, c->function)->parameters_json,
                                             c->arguments, &problem);

    g_test_message ("%s %s: %s", c->function, c->arguments, problem ? problem : "valid");
    g_assert_cmpint (valid, ==, c->valid);
  }
}

static void
test_end_call (Fixture *f, gconstpointer data)
{
  g_autofree char *call = call_object (f, "end_call", "{}");

  g_assert_cmpstr (call, ==, "{\"action\":\"hangup\"}");
  g_clear_pointer (&call, g_free);
  /* No arguments at all is the same. */
  call = call_object (f, "end_call", NULL);
  g_assert_cmpstr (call, ==, "{\"action\":\"hangup\"}");
}

static void
test_transfer_any (Fixture *f, gconstpointer data)
{
  /* What people write around the digits is dropped. */
  transfers (f, "+1 (555) 010-0", "+15550100");
  transfers (f, "sip:desk@pbx.example.com", "sip:desk@pbx.example.com");

  refused (f, "transfer_call", "{}", "argument 'number' is required");
  refused (f, "transfer_call", "{\"number\":5550100}", "argument 'number' must be a string");
  refused (f, "transfer_call", "{\"number\":\"the manager\"}",
           "'the manager' is not a phone number or a sip: URI");
  refused (f, "transfer_call", "{\"number\":\"+\"}", "is not a phone number");
  refused (f, "transfer_call", "[1]", "the arguments must be a JSON object");
  refused (f, "transfer_call", "{\"number\":", "the arguments are not valid JSON");
}

static void
test_transfer_allowed (Fixture *f, gconstpointer data)
{
  transfers (f, "+1-555-0100", "+15550100");
  transfers (f, "+15550123", "+15550123");
  transfers (f, "sip:desk@pbx.example.com", "sip:desk@pbx.example.com");

  refused (f, "transfer_call", "{\"number\":\"+15550199\"}",
           "transfer_call: transfers to +15550199 are not allowed");
  refused (f, "transfer_call", "{\"number\":\"+1555010\"}", "are not allowed");
  refused (f, "transfer_call", "{\"number\":\"sip:boss@pbx.example.com\"}", "are not allowed");
}

static void
test_transfer_none (Fixture *f, gconstpointer data)
{
  refused (f, "transfer_call", "{\"number\":\"+15550100\"}", "are not allowed");
}

static void
test_dtmf (Fixture *f, gconstpointer data)
{
  g_autofree char *call = call_object (f, "send_dtmf", "{\"digits\":\"0123456789*#ABCD\"}");
  g_autofree char *too_many = g_strdup_printf ("{\"digits\":\"%065d\"}", 0);

  g_assert_cmpstr (call, ==, "{\"action\":\"dtmf\",\"digits\":\"0123456789*#ABCD\"}");
  refused (f, "send_dtmf", "{\"digits\":\"12x\"}", "digits must be 1 to 64 of 0-9, *, # and A-D");
  refused (f, "send_dtmf", "{\"digits\":\"1 2\"}", "digits must be");
  refused (f, "send_dtmf", "{\"digits\":\"a\"}", "digits must be");
  refused (f, "send_dtmf", too_many, "digits must be");
  refused (f, "send_dtmf", "{\"digits\":\"\"}", "argument 'digits' is required");
  refused (f, "send_dtmf", "{\"digits\":12}", "argument 'digits' must be a string");
}

static JsonObject *
time_result (Fixture *f, const char *arguments_json, JsonNode **root)
{
  tb_test_tool_call (f->tool, f->instance, "current_time", arguments_json, &f->outcome);
  g_assert_no_error (f->outcome.error);
  *root = parse (f->outcome.result);
  return json_node_get_object (*root);
}

static void
test_current_time (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) default_root = NULL;
  JsonObject *now = time_result (f, "{\"timezone\":\"Europe/Madrid\"}", &root);
  JsonObject *here = time_result (f, "{}", &default_root);

  g_assert_cmpstr (json_object_get_string_member (now, "timezone"), ==, "Europe/Madrid");
  g_assert_true (g_regex_match_simple ("^\\d{4}-\\d\\d-\\d\\d$",
                                       json_object_get_string_member (now, "date"), 0, 0));
  g_assert_true (g_regex_match_simple ("^\\d\\d:\\d\\d$",
                                       json_object_get_string_member (now, "time"), 0, 0));
  g_assert_nonnull (json_object_get_string_member (now, "weekday"));
  g_assert_nonnull (json_object_get_string_member (now, "iso8601"));
  /* The configured default-timezone when the caller names none. */
  g_assert_cmpstr (json_object_get_string_member (here, "timezone"), ==, "Asia/Tokyo");
  refused (f, "current_time", "{\"timezone\":\"Mars/Olympus\"}",
           "unknown time zone 'Mars/Olympus'");
}

static void
test_some_functions (Fixture *f, gconstpointer data)
{
  const TbToolFunction *functions = tb_test_tool_functions (f->tool, f->instance);

  g_assert_cmpstr (functions[0].name, ==, "end_call");
  g_assert_cmpstr (functions[1].name, ==, "current_time");
  g_assert_null (functions[2].name);
  refused (f, "transfer_call", "{\"number\":\"+15550100\"}",
           "no function 'transfer_call' in the call-control tool");
  refused (f, "fly", "{}", "no function 'fly'");
}

static void
test_cancelled (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  g_cancellable_cancel (cancellable);
  tb_test_tool_start (f->tool, f->instance, "end_call", "{}", cancellable, &f->outcome);
  tb_test_tool_wait (&f->outcome, 50);
  g_assert_cmpuint (f->outcome.errors, ==, 1);
  g_assert_cmpuint (f->outcome.results, ==, 0);
  g_assert_error (f->outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static const TbTestToolBadConfig bad_configs[] = {
  { "functions=end_call;fly\n", "functions: no function 'fly'" },
  { "allowed-numbers=+15550100;front desk\n",
    "allowed-numbers: 'front desk' is not a phone number, a number prefix ending in * or a "
    "sip: URI" },
  { "allowed-numbers=*\n", "allowed-numbers: '*' is not a phone number" },
  { "default-timezone=Mars/Olympus\n", "default-timezone: unknown time zone 'Mars/Olympus'" },
};

static void
test_bad_config (void)
{
  g_autoptr(TbTestTool) tool = tb_test_tool_new ("tool-call-control", "call-control");

  tb_test_tool_assert_refused (tool, bad_configs, G_N_ELEMENTS (bad_configs));
}

/* The clock plugin answers current_time with the same code, its
 * default-timezone as before. */
static void
test_clock (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(TbTestTool) tool = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  TbTestToolOutcome outcome = { 0 };
  const TbToolFunction *functions;
  gpointer instance;

  g_main_context_push_thread_default (context);
  tool = tb_test_tool_new ("tool-clock", "clock");
  g_assert_null (tb_test_tool_instance_new (tool, "default-timezone=Nowhere/Else\n", &error));
  g_assert_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG);
  instance = tb_test_tool_instance_new (tool, "default-timezone=America/New_York\n", NULL);
  functions = tb_test_tool_functions (tool, instance);
  g_assert_cmpstr (functions[0].name, ==, "current_time");
  g_assert_null (functions[1].name);
  check_schema (&functions[0]);

  tb_test_tool_call (tool, instance, "current_time", "{}", &outcome);
  g_assert_no_error (outcome.error);
  root = parse (outcome.result);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "timezone"), ==,
                   "America/New_York");
  tb_test_tool_call (tool, instance, "end_call", "{}", &outcome);
  g_assert_error (outcome.error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED);
  tb_test_tool_outcome_clear (&outcome);
  tb_test_tool_instance_free (tool, instance);
  g_main_context_pop_thread_default (context);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/call-control/schemas", Fixture, NULL, set_up, test_schemas, tear_down);
  g_test_add ("/call-control/host-checks", Fixture, NULL, set_up, test_host_checks, tear_down);
  g_test_add ("/call-control/end-call", Fixture, NULL, set_up, test_end_call, tear_down);
  g_test_add ("/call-control/transfer/any", Fixture, NULL, set_up, test_transfer_any,
              tear_down);
  g_test_add ("/call-control/transfer/allowed", Fixture,
              "allowed-numbers=+1 555 0100;+1555012*;sip:desk@pbx.example.com\n",
              set_up, test_transfer_allowed, tear_down);
  g_test_add ("/call-control/transfer/none", Fixture, "allowed-numbers=\n",
              set_up, test_transfer_none, tear_down);
  g_test_add ("/call-control/dtmf", Fixture, NULL, set_up, test_dtmf, tear_down);
  g_test_add ("/call-control/current-time", Fixture, "default-timezone=Asia/Tokyo\n",
              set_up, test_current_time, tear_down);
  g_test_add ("/call-control/some-functions", Fixture,
              "functions=end_call;current_time;end_call\n",
              set_up, test_some_functions, tear_down);
  g_test_add ("/call-control/cancelled", Fixture, NULL, set_up, test_cancelled, tear_down);
  g_test_add_func ("/call-control/bad-config", test_bad_config);
  g_test_add_func ("/clock/current-time", test_clock);
  return g_test_run ();
}
