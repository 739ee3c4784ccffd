/* test-api-catalog.c — agents, numbers and tools through the Web API, with
 * a real PostgreSQL and the real daemon and plugins: what the file
 * declares is provisioned and read-only, validation names the field,
 * changes take effect for the next call, strings are stored verbatim, and
 * everything survives a restart. */
#include "api-env.h"
#include "test-util.h"

#include <gst/gst.h>
#include <string.h>

static TbTestApi api;

#define FILE_GROUPS \
  "[database]\nconninfo=%s\n" \
  "[agent:filed]\nnumbers=1500\ntts=espeak\ntools=booking\n" \
  "[tool:booking]\nplugin=webhook\nurl=http://127.0.0.1:9/book\nfunction=book\n" \
  "secret-env=TB_TEST_BOOKING_SECRET\n"

static void
start (void)
{
  g_autofree char *groups = NULL;

  g_setenv ("TB_TEST_BOOKING_SECRET", "not-logged-0f1e", TRUE);
  g_setenv ("TALKINGBITS_DATA_PATH", TB_BUILD_ROOT "/data", TRUE);
  if (!api.pg)
    api.pg = tb_test_pg_new ();
  groups = g_strdup_printf (FILE_GROUPS, api.pg->conninfo);
  api.server.plugin_path = TB_BUILD_ROOT "/plugins";
  api.server.http_port = tb_test_free_port ();
  tb_test_server_start_full (&api.server, "", "", groups);
  g_free (api.url);
  api.url = g_strdup_printf ("http://127.0.0.1:%u", api.server.http_port);
  {
    g_autofree char *listening = g_strdup_printf ("HTTP listening on %s/", api.url);

    g_assert_true (tb_test_wait_for_log (api.server.log, listening));
  }
  if (!api.session) {
    /* Straight to loopback, whatever proxy the environment names. */
    g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);

    api.session = soup_session_new_with_options ("timeout", 30, "proxy-resolver", direct, NULL);
  }
}

static void
stop (void)
{
  tb_test_server_stop (&api.server);
  api.server.dir = NULL;
}

static JsonObject *
object (const TbTestReply *reply)
{
  g_assert_nonnull (reply->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (reply->json));
  return json_node_get_object (reply->json);
}

static const char *
field_error (const TbTestReply *reply, const char *field)
{
  JsonObject *fields;

  g_assert_cmpuint (reply->status, ==, 400);
  fields = json_object_get_object_member (object (reply), "fields");
  g_assert_nonnull (fields);
  return json_object_get_string_member_with_default (fields, field, NULL);
}

static void
request (const char *method, const char *path, const char *body, TbTestReply *reply)
{
  tb_test_reply_clear (reply);
  tb_test_api_request (&api, method, path, body, NULL, reply);
  g_test_message ("%s %s -> %u %s", method, path, reply->status, reply->text);
}

static gboolean
strv_node_contains (JsonNode *node, const char *value)
{
  JsonArray *array = json_node_get_array (node);

  for (guint i = 0; i < json_array_get_length (array); i++)
    if (g_str_equal (json_array_get_string_element (array, i), value))
      return TRUE;
  return FALSE;
}

/* What talkingbits.conf declares is in the database, marked and read-only. */
static void
test_provisioned_read_only (void)
{
  g_auto(TbTestReply) r = { 0 };
  JsonObject *o;

  request ("GET", "/api/v1/agents/filed", NULL, &r);
  g_assert_cmpuint (r.status, ==, 200);
  o = object (&r);
  g_assert_true (json_object_get_boolean_member (o, "config_managed"));
  g_assert_true (strv_node_contains (json_object_get_member (o, "numbers"), "1500"));
  g_assert_true (strv_node_contains (json_object_get_member (o, "tools"), "booking"));
  g_assert_true (strv_node_contains (json_object_get_member (o, "tts"), "espeak"));
  g_assert_cmpint (json_object_get_int_member (o, "endpointing_ms"), ==, 700);

  request ("GET", "/api/v1/tools/booking", NULL, &r);
  g_assert_cmpuint (r.status, ==, 200);
  o = object (&r);
  g_assert_true (json_object_get_boolean_member (o, "config_managed"));
  g_assert_cmpstr (json_object_get_string_member (o, "url"), ==, "http://127.0.0.1:9/book");
  /* The variable's name, never its value. */
  g_assert_cmpstr (json_object_get_string_member (o, "secret_env"), ==, "TB_TEST_BOOKING_SECRET");
  g_assert_null (strstr (r.text, "not-logged-0f1e"));

  request ("GET", "/api/v1/numbers/1500", NULL, &r);
  g_assert_cmpuint (r.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (object (&r), "agent"), ==, "filed");

  request ("PATCH", "/api/v1/agents/filed", "{\"greeting\": \"Hi\"}", &r);
  g_assert_cmpuint (r.status, ==, 409);
  g_assert_true (tb_test_contains (tb_test_reply_error (&r), "configuration file"));
  request ("PUT", "/api/v1/tools/booking", "{\"url\": \"http://127.0.0.1:9/x\"}", &r);
  g_assert_cmpuint (r.status, ==, 409);
  request ("DELETE", "/api/v1/numbers/1500", NULL, &r);
  g_assert_cmpuint (r.status, ==, 409);
  request ("DELETE", "/api/v1/agents/filed", NULL, &r);
  g_assert_cmpuint (r.status, ==, 409);
  {
    g_autofree char *greeting = tb_test_pg_psql (api.pg, NULL,
                                                 "SELECT greeting FROM agents WHERE name = 'filed'",
                                                 NULL);

    g_assert_cmpstr (greeting, !=, "Hi");
  }
}

/* Every kind of bad body is a 400 naming the field, and nothing is kept. */
static void
test_validation (void)
{
  g_auto(TbTestReply) r = { 0 };
  g_autofree char *big = NULL;

  request ("POST", "/api/v1/agents", "{\"name\": \"v\", \"bogus\": 1}", &r);
  g_assert_cmpstr (field_error (&r, "bogus"), ==, "unknown field");
  request ("POST", "/api/v1/agents", "{\"name\": \"v\", \"endpointing_ms\": 50}", &r);
  g_assert_true (tb_test_contains (field_error (&r, "endpointing_ms"), "out of range"));
  request ("POST", "/api/v1/agents", "{\"name\": \"v\", \"interruptible\": \"yes\"}", &r);
  g_assert_cmpstr (field_error (&r, "interruptible"), ==, "must be true or false");
  request ("POST", "/api/v1/agents", "{\"name\": \"v\", \"stt\": [\"nope\"]}", &r);
  g_assert_true (tb_test_contains (field_error (&r, "stt"), "no stt provider 'nope'"));
  request ("POST", "/api/v1/agents",
           "{\"name\": \"v\", \"tts\": [\"espeak\"], "
           "\"tts_options\": {\"espeak\": {\"words-per-minute\": 5, \"colour\": \"red\"}}}", &r);
  g_assert_true (tb_test_contains (field_error (&r, "tts_options.espeak.words-per-minute"),
                                   "out of range"));
  g_assert_true (tb_test_contains (field_error (&r, "tts_options.espeak.colour"),
                                   "no setting 'colour'"));
  request ("POST", "/api/v1/agents", "{\"name\": \"bad name\"}", &r);
  g_assert_nonnull (field_error (&r, "name"));
  request ("POST", "/api/v1/agents", "{\"greeting\": \"no name\"}", &r);
  g_assert_nonnull (field_error (&r, "name"));
  request ("POST", "/api/v1/agents", "{\"name\": \"v\", \"tools\": [\"missing\"]}", &r);
  g_assert_true (tb_test_contains (field_error (&r, "tools"), "missing"));
  request ("POST", "/api/v1/agents", "{\"name\": \"filed\"}", &r);
  g_assert_cmpuint (r.status, ==, 409);
  request ("POST", "/api/v1/agents", "{\"name\": ", &r);
  g_assert_cmpuint (r.status, ==, 400);
  g_assert_true (tb_test_contains (tb_test_reply_error (&r), "invalid JSON"));
  request ("POST", "/api/v1/agents", "[1, 2]", &r);
  g_assert_cmpuint (r.status, ==, 400);
  big = g_strdup_printf ("{\"name\": \"v\", \"greeting\": \"%0*d\"}", 1100 * 1024, 0);
  request ("POST", "/api/v1/agents", big, &r);
  g_assert_cmpuint (r.status, ==, 413);

  request ("POST", "/api/v1/numbers", "{\"number\": \"2200\", \"agent\": \"nobody\"}", &r);
  g_assert_cmpstr (field_error (&r, "agent"), ==, "no such agent");
  request ("POST", "/api/v1/numbers",
           "{\"number\": \"22 00\", \"agent\": \"filed\", \"direction\": \"sideways\"}", &r);
  g_assert_nonnull (field_error (&r, "number"));
  g_assert_nonnull (field_error (&r, "direction"));
  request ("POST", "/api/v1/numbers", "{\"number\": \"1500\", \"agent\": \"filed\"}", &r);
  g_assert_cmpuint (r.status, ==, 409);

  request ("POST", "/api/v1/tools", "{\"name\": \"t\", \"plugin\": \"nope\"}", &r);
  g_assert_true (tb_test_contains (field_error (&r, "plugin"), "nope"));
  request ("POST", "/api/v1/tools",
           "{\"name\": \"t\", \"url\": \"http://127.0.0.1:9/\", \"timeout_ms\": 10}", &r);
  g_assert_true (tb_test_contains (field_error (&r, "timeout_ms"), "out of range"));
  request ("POST", "/api/v1/tools", "{\"name\": \"t\", \"description\": \"no url\"}", &r);
  g_assert_nonnull (field_error (&r, "url"));
  request ("POST", "/api/v1/tools",
           "{\"name\": \"t\", \"url\": \"http://127.0.0.1:9/\", \"parameters\": \"{}\"}", &r);
  g_assert_nonnull (field_error (&r, "parameters"));

  request ("GET", "/api/v1/agents/v", NULL, &r);
  g_assert_cmpuint (r.status, ==, 404);
  request ("GET", "/api/v1/tools/t", NULL, &r);
  g_assert_cmpuint (r.status, ==, 404);
  {
    g_autofree char *counts = tb_test_pg_psql (api.pg, NULL,
      "SELECT (SELECT count(*) FROM agents) || '/' || (SELECT count(*) FROM tools) || '/' || "
      "(SELECT count(*) FROM numbers)", NULL);

    /* The file's: filed, and the test server's reception and slow. */
    g_assert_cmpstr (counts, ==, "3/1/3");
  }
}

/* An agent, its number and a tool made through the API: the next call to
 * the number is answered, a deleted number is refused again. */
static void
test_lifecycle_takes_effect (void)
{
  g_auto(TbTestReply) r = { 0 };
  JsonObject *o;

  g_assert_cmpint (tb_test_sipp_run (&api.server, "uac-refused.xml", "2100", "404"), ==, 0);

  request ("POST", "/api/v1/tools",
           "{\"name\": \"lookup\", \"url\": \"http://127.0.0.1:9/lookup\", "
           "\"description\": \"Look an order up\", \"timeout_ms\": 2000, \"parameters\": "
           "{\"type\": \"object\", \"properties\": {\"order\": {\"type\": \"string\"}}}}", &r);
  g_assert_cmpuint (r.status, ==, 201);
  g_assert_false (json_object_get_boolean_member (object (&r), "config_managed"));

  request ("POST", "/api/v1/agents",
           "{\"name\": \"shop\", \"tts\": [\"espeak\"], \"tools\": [\"lookup\"], "
           "\"tts_options\": {\"espeak\": {\"words-per-minute\": 200}}, \"endpointing_ms\": 900}",
           &r);
  g_assert_cmpuint (r.status, ==, 201);
  o = object (&r);
  g_assert_cmpint (json_object_get_int_member (o, "endpointing_ms"), ==, 900);
  /* Defaults filled in as the config file would. */
  g_assert_cmpstr (json_object_get_string_member (o, "greeting"), ==, "Hello, how can I help you?");
  g_assert_cmpint (json_object_get_int_member (o, "barge_in_min_ms"), ==, 240);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (
    json_object_get_object_member (o, "tts_options"), "espeak"), "words-per-minute"), ==, 200);

  request ("POST", "/api/v1/numbers", "{\"number\": \"2100\", \"agent\": \"shop\"}", &r);
  g_assert_cmpuint (r.status, ==, 201);
  g_assert_cmpstr (json_object_get_string_member (object (&r), "direction"), ==, "inbound");
  g_assert_cmpint (tb_test_sipp_run (&api.server, "uac-call.xml", "2100", NULL), ==, 0);

  request ("GET", "/api/v1/tools/lookup", NULL, &r);
  g_assert_true (strv_node_contains (json_object_get_member (object (&r), "used_by"), "shop"));
  request ("DELETE", "/api/v1/tools/lookup", NULL, &r);
  g_assert_cmpuint (r.status, ==, 409);
  g_assert_true (tb_test_contains (tb_test_reply_error (&r), "used by agent(s) shop"));
  request ("DELETE", "/api/v1/agents/shop", NULL, &r);
  g_assert_cmpuint (r.status, ==, 409);
  g_assert_true (tb_test_contains (tb_test_reply_error (&r), "2100"));

  request ("PATCH", "/api/v1/agents/shop", "{\"tools\": [], \"greeting\": \"Shop here.\"}", &r);
  g_assert_cmpuint (r.status, ==, 200);
  o = object (&r);
  g_assert_cmpstr (json_object_get_string_member (o, "greeting"), ==, "Shop here.");
  g_assert_cmpint (json_object_get_int_member (o, "endpointing_ms"), ==, 900); /* kept */
  request ("PUT", "/api/v1/agents/shop", "{\"tts\": [\"espeak\"]}", &r);
  g_assert_cmpuint (r.status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (object (&r), "endpointing_ms"), ==, 700);
  request ("PUT", "/api/v1/agents/shop", "{\"name\": \"other\"}", &r);
  g_assert_nonnull (field_error (&r, "name"));

  request ("DELETE", "/api/v1/numbers/2100", NULL, &r);
  g_assert_cmpuint (r.status, ==, 204);
  g_assert_cmpint (tb_test_sipp_run (&api.server, "uac-refused.xml", "2100", "404"), ==, 0);
  request ("DELETE", "/api/v1/tools/lookup", NULL, &r);
  g_assert_cmpuint (r.status, ==, 204);
  request ("DELETE", "/api/v1/agents/shop", NULL, &r);
  g_assert_cmpuint (r.status, ==, 204);
  request ("GET", "/api/v1/agents/shop", NULL, &r);
  g_assert_cmpuint (r.status, ==, 404);
}

/* Strings that look like SQL are kept as they are, in every string field. */
static void
test_injection_verbatim (void)
{
  static const char *const nasty[] = {
    "'); DROP TABLE agents; --",
    "Robert'); DELETE FROM numbers;--",
    "$1 $$ $tag$ ; COMMIT; BEGIN \" OR \"1\"=\"1 \\\\ ünïcødé ☎",
  };

  for (guint i = 0; i < G_N_ELEMENTS (nasty); i++) {
    g_auto(TbTestReply) r = { 0 };
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *body = NULL, *path = NULL, *tool_body = NULL;
    const char *fields[] = { "greeting", "system_prompt", "language", "voice" };
    g_autofree char *name = g_strdup_printf ("inject%u", i);

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "name");
    json_builder_add_string_value (b, name);
    for (guint f = 0; f < G_N_ELEMENTS (fields); f++) {
      json_builder_set_member_name (b, fields[f]);
      json_builder_add_string_value (b, nasty[i]);
    }
    json_builder_set_member_name (b, "fillers");
    json_builder_begin_array (b);
    json_builder_add_string_value (b, nasty[i]);
    json_builder_end_array (b);
    json_builder_end_object (b);
    root = json_builder_get_root (b);
    body = json_to_string (root, FALSE);
    request ("POST", "/api/v1/agents", body, &r);
    g_assert_cmpuint (r.status, ==, 201);
    path = g_strdup_printf ("/api/v1/agents/%s", name);
    request ("GET", path, NULL, &r);
    for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
      g_assert_cmpstr (json_object_get_string_member (object (&r), fields[f]), ==, nasty[i]);
    g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (
      object (&r), "fillers"), 0), ==, nasty[i]);

    {
      g_autoptr(JsonBuilder) t = json_builder_new ();
      g_autoptr(JsonNode) troot = NULL;
      g_autofree char *tool = g_strdup_printf ("tinject%u", i);

      json_builder_begin_object (t);
      json_builder_set_member_name (t, "name");
      json_builder_add_string_value (t, tool);
      json_builder_set_member_name (t, "url");
      json_builder_add_string_value (t, "http://127.0.0.1:9/x");
      json_builder_set_member_name (t, "description");
      json_builder_add_string_value (t, nasty[i]);
      json_builder_end_object (t);
      troot = json_builder_get_root (t);
      tool_body = json_to_string (troot, FALSE);
      request ("POST", "/api/v1/tools", tool_body, &r);
      g_assert_cmpuint (r.status, ==, 201);
      g_assert_cmpstr (json_object_get_string_member (object (&r), "description"), ==, nasty[i]);
    }
  }
  {
    g_autofree char *stored = tb_test_pg_psql (api.pg, NULL,
      "SELECT count(*) FROM agents WHERE name LIKE 'inject%' AND greeting = system_prompt "
      "AND greeting = voice AND fillers[1] = greeting", NULL);
    g_autofree char *numbers = tb_test_pg_psql (api.pg, NULL, "SELECT count(*) FROM numbers",
                                                NULL);

    g_assert_cmpstr (stored, ==, "3");
    g_assert_cmpstr (numbers, ==, "3");
  }
}

/* The plugins, with their settings, as the web UI builds its forms. */
static void
test_providers (void)
{
  g_auto(TbTestReply) r = { 0 };
  JsonArray *providers;
  gboolean found = FALSE;

  request ("GET", "/api/v1/providers", NULL, &r);
  g_assert_cmpuint (r.status, ==, 200);
  providers = json_object_get_array_member (object (&r), "providers");
  for (guint i = 0; i < json_array_get_length (providers); i++) {
    JsonObject *p = json_array_get_object_element (providers, i);
    JsonArray *keys = json_object_get_array_member (p, "keys");

    if (!g_str_equal (json_object_get_string_member (p, "name"), "espeak"))
      continue;
    g_assert_cmpstr (json_object_get_string_member (p, "kind"), ==, "tts");
    for (guint k = 0; k < json_array_get_length (keys); k++) {
      JsonObject *key = json_array_get_object_element (keys, k);

      if (g_str_equal (json_object_get_string_member (key, "name"), "words-per-minute")) {
        g_assert_cmpstr (json_object_get_string_member (key, "type"), ==, "integer");
        g_assert_cmpfloat (json_object_get_double_member (key, "min"), <,
                           json_object_get_double_member (key, "max"));
        found = TRUE;
      }
    }
  }
  g_assert_true (found);
}

/* After a restart: what the API made is still there, unmarked; the file's
 * rows are provisioned again, not twice. */
static void
test_restart_keeps (void)
{
  g_auto(TbTestReply) r = { 0 };

  request ("POST", "/api/v1/agents", "{\"name\": \"kept\", \"tts\": [\"espeak\"]}", &r);
  g_assert_cmpuint (r.status, ==, 201);
  request ("POST", "/api/v1/numbers", "{\"number\": \"2300\", \"agent\": \"kept\"}", &r);
  g_assert_cmpuint (r.status, ==, 201);
  stop ();
  start ();
  request ("GET", "/api/v1/agents/kept", NULL, &r);
  g_assert_cmpuint (r.status, ==, 200);
  g_assert_false (json_object_get_boolean_member (object (&r), "config_managed"));
  request ("GET", "/api/v1/agents/filed", NULL, &r);
  g_assert_true (json_object_get_boolean_member (object (&r), "config_managed"));
  g_assert_cmpint (tb_test_sipp_run (&api.server, "uac-call.xml", "2300", NULL), ==, 0);
  {
    g_autofree char *count = tb_test_pg_psql (api.pg, NULL,
                                              "SELECT count(*) FROM agents WHERE name = 'filed'",
                                              NULL);

    g_assert_cmpstr (count, ==, "1");
  }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  start ();
  g_test_add_func ("/api-catalog/provisioned-read-only", test_provisioned_read_only);
  g_test_add_func ("/api-catalog/validation", test_validation);
  g_test_add_func ("/api-catalog/lifecycle-takes-effect", test_lifecycle_takes_effect);
  g_test_add_func ("/api-catalog/injection-verbatim", test_injection_verbatim);
  g_test_add_func ("/api-catalog/providers", test_providers);
  g_test_add_func ("/api-catalog/restart-keeps", test_restart_keeps);
  status = g_test_run ();
  stop ();
  g_clear_object (&api.session);
  g_clear_pointer (&api.pg, tb_test_pg_free);
  g_free (api.url);
  return status;
}
