/* test-openapi.c — schemas/openapi.json against itself and against the
 * real daemon: the document is checked (references, responses, path
 * parameters, keywords the checker knows); the checker refuses wrong
 * documents; then every route of the API is called on a daemon with a
 * real PostgreSQL, success and error cases, and each reply (its status,
 * content type and body) must be what the document says. A route the
 * daemon does not serve yet (404 "no such path", or 405) is skipped with
 * a message, so that the test runs while the API is being built. */
#include "openapi-check.h"
#include "api-env.h"
#include "test-util.h"

#include <string.h>

#define UNKNOWN_UUID "00000000-0000-4000-8000-000000000000"

static TbTestApi api;
static TbOpenApi *spec;
static char *spec_path;

/* ---- helpers --------------------------------------------------------- */

/* @path without its query. */
static char *
path_only (const char *path)
{
  const char *q = strchr (path, '?');

  return q ? g_strndup (path, q - path) : g_strdup (path);
}

/* Calls @method @path with @body and checks the reply against the
 * document and, unless 0, the @expected status. FALSE (after
 * g_test_skip()) when the daemon does not serve the route yet. */
static gboolean
check_as (const char *method, const char *path, const char *body, const char *token,
          guint expected, TbTestReply *reply)
{
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *bare = path_only (path);

  tb_test_api_request (&api, method, path, body, token, reply);
  if (reply->status == 0)
    return FALSE;           /* no answer: the case has failed already */
  if (tb_test_reply_not_served (reply)) {
    g_autofree char *why = g_strdup_printf ("%s %s is not served yet: %u %s", method, path,
                                            reply->status, reply->text);

    g_test_skip (why);
    return FALSE;
  }
  tb_openapi_check_response (spec, method, bare, reply->status, reply->content_type,
                             reply->json, problems);
  if (expected && reply->status != expected)
    g_ptr_array_add (problems, g_strdup_printf ("%s %s: status %u where %u is expected: %s",
                                                method, path, reply->status, expected,
                                                reply->text));
  for (guint i = 0; i < problems->len; i++)
    g_printerr ("MISMATCH %s\n", (char *) problems->pdata[i]);
  if (problems->len > 0) {
    /* The case fails; the others still run (and PostgreSQL is stopped). */
    g_test_fail ();
    return FALSE;
  }
  return TRUE;
}

static gboolean
check (const char *method, const char *path, const char *body, guint expected,
       TbTestReply *reply)
{
  return check_as (method, path, body, NULL, expected, reply);
}

/* check() when the reply itself is not needed afterwards. */
static gboolean
check_only (const char *method, const char *path, const char *body, guint expected)
{
  g_auto(TbTestReply) reply = { 0 };

  return check (method, path, body, expected, &reply);
}

/* Creates (POST @collection @body) what a case needs, whatever the
 * answer; FALSE (skipped) when the route is not served yet. */
static gboolean
given (const char *collection, const char *body)
{
  g_auto(TbTestReply) reply = { 0 };

  tb_test_api_request (&api, "POST", collection, body, NULL, &reply);
  if (tb_test_reply_not_served (&reply)) {
    g_autofree char *why = g_strdup_printf ("POST %s is not served yet", collection);

    g_test_skip (why);
    return FALSE;
  }
  if (reply.status != 201 && reply.status != 409) {
    g_printerr ("POST %s %s: %u %s\n", collection, body, reply.status, reply.text);
    g_test_fail ();
    return FALSE;
  }
  return TRUE;
}

static JsonObject *
object_of (const TbTestReply *reply)
{
  g_assert_nonnull (reply->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (reply->json));
  return json_node_get_object (reply->json);
}

/* A 400 names the fields that are wrong. */
static void
assert_field (const TbTestReply *reply, const char *field)
{
  JsonObject *fields = json_object_get_object_member (object_of (reply), "fields");

  g_assert_nonnull (fields);
  if (!json_object_has_member (fields, field)) {
    g_printerr ("no field %s in %s\n", field, reply->text);
    g_test_fail ();
  }
}

/* ---- the document and the checker ------------------------------------- */

static void
test_document (void)
{
  g_autoptr(GPtrArray) problems = tb_openapi_check_document (spec);

  for (guint i = 0; i < problems->len; i++)
    g_printerr ("%s: %s\n", spec_path, (char *) problems->pdata[i]);
  g_assert_cmpuint (problems->len, ==, 0);
  /* Every component of the contract is there. */
  for (const char *const *name = (const char *const[]) {
         "Agent", "Number", "Tool", "Provider", "CallSummary", "CallDetail", "Turn",
         "ToolInvocation", "Stats", "Trunk", "Error", "ValidationError", NULL }; *name; name++)
    g_assert_nonnull (tb_openapi_component (spec, *name));
}

/* The checker refuses what is wrong, so that a pass means something. */
static void
test_checker_rejects (void)
{
  static const char *const wrong[] = {
    /* a required field missing */
    "{\"id\": \"" UNKNOWN_UUID "\", \"hangup\": true, \"x\": 1}",
    /* an extra field */
    "{\"id\": \"" UNKNOWN_UUID "\"}",
    /* a wrong type */
    "{\"id\": \"" UNKNOWN_UUID "\", \"hangup\": \"yes\"}",
    /* not a UUID */
    "{\"id\": \"call-1\", \"hangup\": true}",
    /* null where it is not nullable */
    "{\"id\": null, \"hangup\": true}",
    /* an array where an object is expected */
    "[]",
    NULL
  };
  JsonNode *hangup = tb_openapi_component (spec, "Hangup");
  JsonNode *trunk = tb_openapi_component (spec, "Trunk");
  JsonNode *turn = tb_openapi_component (spec, "Turn");

  g_assert_nonnull (hangup);
  for (guint i = 0; wrong[i]; i++) {
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(JsonNode) value = json_from_string (wrong[i], NULL);

    g_assert_nonnull (value);
    g_assert_false (tb_openapi_validate (spec, hangup, value, problems));
    g_assert_cmpuint (problems->len, >=, 1);
    g_test_message ("%s: %s", wrong[i], (char *) problems->pdata[0]);
  }
  /* The first wrong one: the missing field and the extra one, by name. */
  {
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(JsonNode) value = json_from_string ("{\"id\": \"" UNKNOWN_UUID "\", \"x\": 1}",
                                                  NULL);

    tb_openapi_validate (spec, hangup, value, problems);
    g_assert_cmpuint (problems->len, ==, 2);
    g_assert_true (tb_test_contains (problems->pdata[0], "$: the required field hangup"));
    g_assert_true (tb_test_contains (problems->pdata[1], "$: the field x is not in the schema"));
  }
  /* An enum, nullable fields, an integer that is not one, inner paths. */
  {
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(JsonNode) good = json_from_string (
      "{\"name\": \"t\", \"registrar\": null, \"state\": \"failed\", \"expires_in_s\": null,"
      " \"last_status\": 408, \"last_error\": \"timeout\"}", NULL);
    g_autoptr(JsonNode) bad = json_from_string (
      "{\"name\": \"t\", \"registrar\": null, \"state\": \"lost\", \"expires_in_s\": 1.5,"
      " \"last_status\": null, \"last_error\": null}", NULL);
    g_autoptr(JsonNode) list = json_from_string (
      "{\"calls\": [{\"id\": \"" UNKNOWN_UUID "\", \"agent\": null, \"direction\": \"inbound\","
      " \"from\": null, \"to\": null, \"started_at\": \"yesterday\", \"answered\": true}]}",
      NULL);

    g_assert_true (tb_openapi_validate (spec, trunk, good, problems));
    g_assert_false (tb_openapi_validate (spec, trunk, bad, problems));
    g_assert_cmpuint (problems->len, ==, 2);
    g_assert_true (tb_test_contains (problems->pdata[0], "$.state: \"lost\" is not one of"));
    g_assert_true (tb_test_contains (problems->pdata[1], "$.expires_in_s: number where integer"));
    g_assert_false (tb_openapi_validate (spec, tb_openapi_component (spec, "ActiveCallList"),
                                         list, problems));
    g_assert_true (tb_test_contains (problems->pdata[2],
                                     "$.calls[0].started_at: \"yesterday\" is not a date-time"));
    g_assert_cmpuint (problems->len, ==, 3);
  }
  /* A minimum. */
  {
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(JsonNode) value = json_from_string (
      "{\"sequence\": -1, \"role\": \"caller\", \"text\": \"\", \"speech_start_ms\": null,"
      " \"speech_end_ms\": null, \"stt_final_ms\": null, \"llm_first_token_ms\": null,"
      " \"tts_first_audio_ms\": null, \"response_ms\": null, \"interrupted\": false,"
      " \"heard_text\": null, \"barge_in_stop_ms\": null, \"failure\": null}", NULL);

    g_assert_false (tb_openapi_validate (spec, turn, value, problems));
    g_assert_cmpuint (problems->len, ==, 1);
    g_assert_true (tb_test_contains (problems->pdata[0], "$.sequence: -1 is below the minimum 0"));
  }
}

/* A broken document is reported; operations are found by path template
 * (literal segments first) and status. */
static void
test_checker_document (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TbOpenApi) broken = tb_openapi_load_data (
    "{\"openapi\": \"3.0.3\", \"info\": {}, \"paths\": {"
    " \"/a/{id}\": {\"get\": {\"responses\": {\"200\": {\"description\": \"x\", \"content\":"
    "   {\"application/json\": {\"schema\": {\"$ref\": \"#/components/schemas/Nope\"}}}}}}},"
    " \"/b\": {\"get\": {\"responses\": {}}}},"
    " \"components\": {\"schemas\": {\"X\": {\"type\": \"object\", \"oneOf\": [],"
    "   \"required\": [\"y\"]}}}}", &error);
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonNode) body = json_from_string ("{\"error\": \"no agent 'x'\"}", NULL);
  g_autoptr(JsonNode) wrong = json_from_string ("{\"message\": \"no agent 'x'\"}", NULL);

  g_assert_no_error (error);
  problems = tb_openapi_check_document (broken);
  for (guint i = 0; i < problems->len; i++)
    g_test_message ("%s", (char *) problems->pdata[i]);
  g_assert_cmpuint (problems->len, ==, 5);
  g_assert_true (tb_test_contains (problems->pdata[0], "#/components/schemas/Nope does not"));
  g_assert_true (tb_test_contains (problems->pdata[1], "path parameter id is not declared"));
  g_assert_true (tb_test_contains (problems->pdata[2], "get /b: no responses"));
  g_assert_true (tb_test_contains (problems->pdata[3], "keyword oneOf is not understood"));
  g_assert_true (tb_test_contains (problems->pdata[4], "required y is not among"));

  g_assert_cmpstr (tb_openapi_match_path (spec, "/api/v1/calls/active"), ==,
                   "/api/v1/calls/active");
  g_assert_cmpstr (tb_openapi_match_path (spec, "/api/v1/calls/" UNKNOWN_UUID), ==,
                   "/api/v1/calls/{id}");
  g_assert_cmpstr (tb_openapi_match_path (spec, "/api/v1/calls/x/hangup"), ==,
                   "/api/v1/calls/{id}/hangup");
  g_assert_null (tb_openapi_match_path (spec, "/api/v1/calls/x/y"));
  g_assert_null (tb_openapi_match_path (spec, "/api/v1/agents/"));

  g_assert_true (tb_openapi_check_response (spec, "GET", "/api/v1/agents/x", 404,
                                            "application/json", body, found));
  g_assert_false (tb_openapi_check_response (spec, "GET", "/api/v1/agents/x", 404,
                                             "application/json", wrong, found));
  g_assert_false (tb_openapi_check_response (spec, "GET", "/api/v1/agents/x", 418,
                                             "application/json", body, found));
  g_assert_false (tb_openapi_check_response (spec, "DELETE", "/api/v1/agents/x", 204,
                                             "application/json", body, found));
  g_assert_true (tb_openapi_check_response (spec, "DELETE", "/api/v1/agents/x", 204, NULL,
                                            NULL, found));
  g_assert_false (tb_openapi_check_response (spec, "GET", "/api/v1/trunks", 200, "text/html",
                                             body, found));
  g_assert_false (tb_openapi_check_response (spec, "PUT", "/api/v1/trunks", 200,
                                             "application/json", body, found));
  for (guint i = 0; i < found->len; i++)
    g_test_message ("%s", (char *) found->pdata[i]);
  g_assert_cmpuint (found->len, ==, 6);
}

/* ---- health, metrics and the document itself -------------------------- */

static void
test_served (void)
{
  g_auto(TbTestReply) reply = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!check ("GET", "/api/v1/openapi.json", NULL, 200, &reply))
    return;
  g_assert_true (json_parser_load_from_file (parser, spec_path, NULL));
  g_assert_true (json_node_equal (reply.json, json_parser_get_root (parser)));
}

static void
test_health (void)
{
  g_auto(TbTestReply) ready = { 0 };

  check_as ("GET", "/healthz", NULL, "", 200, &ready);
  tb_test_reply_clear (&ready);
  if (!check_as ("GET", "/readyz", NULL, "", 200, &ready))
    return;
  g_assert_true (json_object_get_boolean_member (object_of (&ready), "ready"));
}

static void
test_metrics (void)
{
  g_auto(TbTestReply) reply = { 0 };

  if (!check ("GET", "/metrics", NULL, 200, &reply))
    return;
  g_assert_true (tb_test_contains (reply.text, "# TYPE"));
}

/* ---- the catalog ------------------------------------------------------ */

static void
test_agents_list (void)
{
  check_only ("GET", "/api/v1/agents", NULL, 200);
}

static void
test_agents_create (void)
{
  const char *body = "{\"name\": \"oa-create\", \"greeting\": \"Hello O'Brien\","
                     " \"endpointing_ms\": 800, \"fillers\": [\"hm\"]}";
  g_auto(TbTestReply) reply = { 0 };

  if (!check ("POST", "/api/v1/agents", body, 201, &reply))
    return;
  g_assert_cmpstr (json_object_get_string_member (object_of (&reply), "greeting"), ==,
                   "Hello O'Brien");
  check_only ("POST", "/api/v1/agents", body, 409);
}

static void
test_agents_get (void)
{
  g_auto(TbTestReply) reply = { 0 };

  if (!check ("GET", "/api/v1/agents/talker", NULL, 200, &reply))
    return;
  g_assert_true (json_object_get_boolean_member (object_of (&reply), "config_managed"));
  check_only ("GET", "/api/v1/agents/nobody", NULL, 404);
}

static void
test_agents_change (void)
{
  if (!given ("/api/v1/agents", "{\"name\": \"oa-change\"}") ||
      !check_only ("PUT", "/api/v1/agents/oa-change",
                   "{\"greeting\": \"Good morning\", \"interruptible\": false}", 200) ||
      !check_only ("PATCH", "/api/v1/agents/oa-change", "{\"speaking_rate\": 1.25}", 200))
    return;
  check_only ("PATCH", "/api/v1/agents/talker", "{\"greeting\": \"x\"}", 409);
  check_only ("PUT", "/api/v1/agents/nobody", "{\"greeting\": \"x\"}", 404);
}

static void
test_agents_invalid (void)
{
  g_auto(TbTestReply) reply = { 0 };

  if (!check ("POST", "/api/v1/agents", "{\"name\": \"bad name!\"}", 400, &reply))
    return;
  assert_field (&reply, "name");
  tb_test_reply_clear (&reply);
  if (check ("POST", "/api/v1/agents", "{\"name\": \"oa-invalid\", \"endpointing_ms\": -5}",
             400, &reply))
    assert_field (&reply, "endpointing_ms");
  tb_test_reply_clear (&reply);
  if (check ("POST", "/api/v1/agents", "{\"name\": \"oa-colour\", \"colour\": \"red\"}", 400,
             &reply))
    assert_field (&reply, "colour");
  tb_test_reply_clear (&reply);
  check ("POST", "/api/v1/agents", "{\"name\": ", 400, &reply);
  tb_test_reply_clear (&reply);
  check ("POST", "/api/v1/agents", "[1, 2]", 400, &reply);
}

static void
test_agents_delete (void)
{
  if (!given ("/api/v1/agents", "{\"name\": \"oa-delete\"}") ||
      !check_only ("DELETE", "/api/v1/agents/oa-delete", NULL, 204))
    return;
  check_only ("DELETE", "/api/v1/agents/oa-delete", NULL, 404);
  check_only ("DELETE", "/api/v1/agents/talker", NULL, 409);
}

static void
test_numbers (void)
{
  if (!check_only ("GET", "/api/v1/numbers", NULL, 200) ||
      !given ("/api/v1/agents", "{\"name\": \"oa-numbers\"}") ||
      !check_only ("POST", "/api/v1/numbers",
                   "{\"number\": \"+15550142\", \"agent\": \"oa-numbers\"}", 201))
    return;
  check_only ("POST", "/api/v1/numbers", "{\"number\": \"+15550142\", \"agent\": \"oa-numbers\"}",
              409);
  check_only ("GET", "/api/v1/numbers/+15550142", NULL, 200);
  check_only ("GET", "/api/v1/numbers/2000", NULL, 200);
  check_only ("GET", "/api/v1/numbers/999999", NULL, 404);
  check_only ("PATCH", "/api/v1/numbers/+15550142", "{\"direction\": \"both\"}", 200);
  check_only ("PUT", "/api/v1/numbers/+15550142", "{\"agent\": \"oa-numbers\"}", 200);
  check_only ("PATCH", "/api/v1/numbers/+15550142", "{\"direction\": \"sideways\"}", 400);
  check_only ("POST", "/api/v1/numbers", "{\"number\": \"+15550143\", \"agent\": \"nobody\"}", 0);
  /* An agent with numbers stays. */
  check_only ("DELETE", "/api/v1/agents/oa-numbers", NULL, 409);
  check_only ("DELETE", "/api/v1/numbers/2000", NULL, 409);
  check_only ("DELETE", "/api/v1/numbers/+15550142", NULL, 204);
}

static void
test_tools (void)
{
  const char *tool = "{\"name\": \"oa_lookup\", \"description\": \"Looks up an order\","
                     " \"url\": \"http://127.0.0.1:9/lookup\", \"timeout_ms\": 2000,"
                     " \"parameters\": {\"type\": \"object\", \"properties\":"
                     " {\"order\": {\"type\": \"string\"}}}}";

  if (!check_only ("GET", "/api/v1/tools", NULL, 200) ||
      !check_only ("POST", "/api/v1/tools", tool, 201))
    return;
  check_only ("POST", "/api/v1/tools", tool, 409);
  check_only ("GET", "/api/v1/tools/oa_lookup", NULL, 200);
  check_only ("GET", "/api/v1/tools/nothing", NULL, 404);
  check_only ("PATCH", "/api/v1/tools/oa_lookup", "{\"timeout_ms\": 3000}", 200);
  check_only ("PUT", "/api/v1/tools/oa_lookup", "{\"url\": \"http://127.0.0.1:9/x\"}", 200);
  check_only ("POST", "/api/v1/tools", "{\"name\": \"bad tool\", \"timeout_ms\": 0}", 400);
  /* A tool an agent uses stays. */
  if (given ("/api/v1/agents", "{\"name\": \"oa-tools\", \"tools\": [\"oa_lookup\"]}")) {
    check_only ("DELETE", "/api/v1/tools/oa_lookup", NULL, 409);
    check_only ("DELETE", "/api/v1/agents/oa-tools", NULL, 204);
  }
  check_only ("DELETE", "/api/v1/tools/oa_lookup", NULL, 204);
}

/* The greeting preview is a WAV; the tool test a 200 whether the tool
 * answered or not. */
static void
test_preview_and_tool_test (void)
{
  g_auto(TbTestReply) wav = { 0 };
  g_auto(TbTestReply) tested = { 0 };
  const char *dead = "{\"name\": \"oa_dead\", \"url\": \"http://127.0.0.1:9/x\","
                     " \"timeout_ms\": 1000}";

  if (check ("POST", "/api/v1/agents/talker/greeting-preview", NULL, 200, &wav))
    g_assert_true (g_str_has_prefix (wav.text, "RIFF"));
  /* The file's agent is heard as it is there. */
  check_only ("POST", "/api/v1/agents/talker/greeting-preview", "{\"greeting\": \"Hi.\"}", 409);
  if (given ("/api/v1/agents", "{\"name\": \"oa-preview\", \"tts\": [\"scripted\"]}")) {
    check_only ("POST", "/api/v1/agents/oa-preview/greeting-preview", "{\"greeting\": \"Hi.\"}",
                200);
    check_only ("POST", "/api/v1/agents/oa-preview/greeting-preview", "{\"speaking_rate\": 9}",
                400);
    check_only ("DELETE", "/api/v1/agents/oa-preview", NULL, 204);
  }
  check_only ("POST", "/api/v1/agents/nobody/greeting-preview", NULL, 404);
  check_only ("GET", "/api/v1/agents/talker/greeting-preview", NULL, 405);
  if (check ("POST", "/api/v1/tools/scripted/test", "{\"arguments\": {\"day\": \"tuesday\"}}",
             200, &tested))
    g_assert_true (json_object_get_boolean_member (object_of (&tested), "ok"));
  check_only ("POST", "/api/v1/tools/scripted/test", "{\"arguments\": [1]}", 400);
  check_only ("POST", "/api/v1/tools/nothing/test", NULL, 404);
  if (given ("/api/v1/tools", dead)) {
    tb_test_reply_clear (&tested);
    if (check ("POST", "/api/v1/tools/oa_dead/test", NULL, 200, &tested))
      g_assert_false (json_object_get_boolean_member (object_of (&tested), "ok"));
    check_only ("DELETE", "/api/v1/tools/oa_dead", NULL, 204);
  }
}

static void
test_provider_errors (void)
{
  check_only ("GET", "/api/v1/providers/errors", NULL, 200);
  check_only ("GET", "/api/v1/providers/errors?limit=5", NULL, 200);
  check_only ("GET", "/api/v1/providers/errors?limit=0", NULL, 400);
  check_only ("GET", "/api/v1/providers/errors?colour=red", NULL, 400);
}

static void
test_providers (void)
{
  g_auto(TbTestReply) reply = { 0 };

  if (!check ("GET", "/api/v1/providers", NULL, 200, &reply))
    return;
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object_of (&reply),
                                                                         "providers")), >=, 4);
}

/* ---- calls, stats, trunks --------------------------------------------- */

/* The id of a call in the log, after making one; NULL (skipped) while the
 * call log is not served. */
static char *
logged_call (void)
{
  static char *id;
  gint64 start;

  if (id)
    return g_strdup (id);
  {
    g_auto(TbTestReply) probe = { 0 };

    tb_test_api_request (&api, "GET", "/api/v1/calls", NULL, NULL, &probe);
    if (probe.status == 0)
      return NULL;          /* no answer: the case has failed already */
    if (tb_test_reply_not_served (&probe)) {
      g_test_skip ("GET /api/v1/calls is not served yet");
      return NULL;
    }
  }
  tb_test_api_call (&api);
  start = g_get_monotonic_time ();
  while (!id && g_get_monotonic_time () - start < 30 * G_USEC_PER_SEC) {
    g_auto(TbTestReply) reply = { 0 };
    JsonArray *calls;

    tb_test_api_request (&api, "GET", "/api/v1/calls?agent=talker", NULL, NULL, &reply);
    g_assert_cmpuint (reply.status, ==, 200);
    calls = json_object_get_array_member (object_of (&reply), "calls");
    if (calls && json_array_get_length (calls) > 0)
      id = g_strdup (json_object_get_string_member (json_array_get_object_element (calls, 0),
                                                    "id"));
    else
      g_usleep (200 * 1000);
  }
  g_assert_nonnull (id);
  return g_strdup (id);
}

static void
test_calls_list (void)
{
  g_autofree char *id = logged_call ();
  g_auto(TbTestReply) reply = { 0 };

  if (!id)
    return;
  if (check ("GET", "/api/v1/calls", NULL, 200, &reply))
    g_assert_cmpint (json_object_get_int_member (object_of (&reply), "total"), >=, 1);
  check_only ("GET", "/api/v1/calls?agent=talker&number=2000&direction=inbound&limit=1&offset=0"
              "&since=2020-01-01&until=2100-01-01T00:00:00%2B00:00", NULL, 200);
  check_only ("GET", "/api/v1/calls?end_reason=nothing-like-this", NULL, 200);
  check_only ("GET", "/api/v1/calls?limit=0", NULL, 400);
  check_only ("GET", "/api/v1/calls?limit=501", NULL, 400);
  check_only ("GET", "/api/v1/calls?since=yesterday", NULL, 400);
}

static void
test_calls_detail (void)
{
  g_autofree char *id = logged_call ();
  g_autofree char *path = NULL;
  g_auto(TbTestReply) reply = { 0 };

  if (!id)
    return;
  path = g_strconcat ("/api/v1/calls/", id, NULL);
  if (!check ("GET", path, NULL, 200, &reply))
    return;
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object_of (&reply),
                                                                         "turns")), >=, 2);
  g_assert_cmpuint (json_array_get_length (
                      json_object_get_array_member (object_of (&reply), "tool_invocations")),
                    ==, 1);
  check_only ("GET", "/api/v1/calls/" UNKNOWN_UUID, NULL, 404);
  check_only ("GET", "/api/v1/calls/not-a-uuid", NULL, 400);
}

static void
test_calls_active (void)
{
  check_only ("GET", "/api/v1/calls/active", NULL, 200);
}

static void
test_calls_place (void)
{
  guint port = 0;
  g_autoptr(GSocket) peer = tb_test_api_silent_peer (&port);
  g_autofree char *body = g_strdup_printf (
    "{\"to\": \"sip:9999@127.0.0.1:%u\", \"agent\": \"reception\", \"ring_timeout_s\": 30}",
    port);
  g_autofree char *hangup = NULL;
  g_auto(TbTestReply) reply = { 0 };

  if (!check ("POST", "/api/v1/calls", body, 202, &reply))
    return;
  hangup = g_strdup_printf ("/api/v1/calls/%s/hangup",
                            json_object_get_string_member (object_of (&reply), "id"));
  check_only ("GET", "/api/v1/calls/active", NULL, 200);
  check_only ("POST", hangup, NULL, 202);
  check_only ("POST", "/api/v1/calls", "{\"agent\": \"reception\"}", 400);
  check_only ("POST", "/api/v1/calls", "{\"to\": \"1234\", \"agent\": \"nobody\"}", 404);
  check_only ("POST", "/api/v1/calls",
              "{\"to\": \"1234\", \"agent\": \"reception\", \"trunk\": \"nowhere\"}", 404);
  check_only ("POST", "/api/v1/calls/" UNKNOWN_UUID "/hangup", NULL, 404);
}

static void
test_stats (void)
{
  if (!check_only ("GET", "/api/v1/stats", NULL, 200))
    return;
  check_only ("GET", "/api/v1/stats?since=2020-01-01&agent=talker", NULL, 200);
  check_only ("GET", "/api/v1/stats?since=last-week", NULL, 400);
  check_only ("GET", "/api/v1/stats/daily", NULL, 200);
  check_only ("GET", "/api/v1/stats/daily?since=2020-01-01&agent=talker", NULL, 200);
  check_only ("GET", "/api/v1/stats/daily?until=never", NULL, 400);
}

static void
test_trunks (void)
{
  g_auto(TbTestReply) reply = { 0 };
  JsonArray *trunks;

  if (!check ("GET", "/api/v1/trunks", NULL, 200, &reply))
    return;
  trunks = json_object_get_array_member (object_of (&reply), "trunks");
  g_assert_cmpuint (json_array_get_length (trunks), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (trunks, 0),
                                                  "name"), ==, "carrier");
}

/* ---- built-in webhooks ------------------------------------------------ */

/* The next Monday, YYYY-MM-DD: a working day in the future. */
static char *
next_monday (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) day = g_date_time_add_days (now, 8 - g_date_time_get_day_of_week (now));

  return g_date_time_format (day, "%Y-%m-%d");
}

static char *
envelope (const char *arguments)
{
  return g_strdup_printf ("{\"call_id\": \"" UNKNOWN_UUID "\", \"agent\": \"talker\","
                          " \"caller\": \"+15550100\", \"callee\": \"2000\", \"tool\": \"t\","
                          " \"arguments\": %s}", arguments);
}

static void
test_webhooks_appointments (void)
{
  g_autofree char *day = next_monday ();
  g_autofree char *day_args = g_strdup_printf ("{\"day\": \"%s\"}", day);
  g_autofree char *slot_args = g_strdup_printf ("{\"day\": \"%s\", \"time\": \"10:00\","
                                                " \"name\": \"O'Brien\"}", day);
  g_autofree char *by_day = envelope (day_args);
  g_autofree char *by_slot = envelope (slot_args);
  g_autofree char *bad = envelope ("{\"day\": \"someday\"}");
  g_autofree char *list = g_strdup_printf ("/api/v1/appointments?day=%s", day);

  check_only ("POST", "/webhooks/appointments/check", by_day, 200);
  check_only ("POST", "/webhooks/appointments/book", by_slot, 200);
  check_only ("POST", "/webhooks/appointments/book", by_slot, 200);
  check_only ("POST", "/webhooks/appointments/list", by_day, 200);
  check_only ("GET", list, NULL, 200);
  check_only ("GET", "/api/v1/appointments?day=someday", NULL, 400);
  check_only ("POST", "/webhooks/appointments/cancel", by_slot, 200);
  check_only ("POST", "/webhooks/appointments/book", bad, 400);
  check_only ("POST", "/webhooks/appointments/check", "{\"arguments\": [", 400);
}

static void
test_webhooks_hours_callback (void)
{
  g_autofree char *day = next_monday ();
  g_autofree char *day_args = g_strdup_printf ("{\"day\": \"%s\"}", day);
  g_autofree char *hours_day = envelope (day_args);
  g_autofree char *hours_week = envelope ("{}");
  g_autofree char *callback = envelope ("{\"phone\": \"+15550100\", \"name\": \"O'Brien\","
                                        " \"reason\": \"a refund\", \"when\": \"tomorrow\"}");

  check_only ("POST", "/webhooks/business-hours", hours_day, 200);
  check_only ("POST", "/webhooks/business-hours", hours_week, 200);
  check_only ("POST", "/webhooks/callback", callback, 200);
  check_only ("GET", "/api/v1/callbacks", NULL, 200);
}

/* ---- the server's own refusals --------------------------------------- */

static void
test_too_large (void)
{
  g_autoptr(GString) body = g_string_new ("{\"name\": \"oa-large\", \"greeting\": \"");

  while (body->len <= 1024 * 1024)
    g_string_append (body, "0123456789abcdef");
  g_string_append (body, "\"}");
  check_only ("POST", "/api/v1/agents", body->str, 413);
}

/* Last: PostgreSQL stopped, the routes that need it answer 503 and the
 * daemon is not ready. */
static void
test_database_down (void)
{
  g_auto(TbTestReply) reply = { 0 };

  tb_test_pg_stop (api.pg);
  check_only ("GET", "/api/v1/calls", NULL, 503);
  check_only ("GET", "/api/v1/stats", NULL, 503);
  check_only ("GET", "/api/v1/stats/daily", NULL, 503);
  if (check_as ("GET", "/readyz", NULL, "", 503, &reply))
    g_assert_false (json_object_get_boolean_member (object_of (&reply), "ready"));
}

/* ---- auth ------------------------------------------------------------- */

static void
test_auth (void)
{
  g_auto(TbTestReply) reply = { 0 };

  if (!api.token) {
    g_test_skip ("the daemon has no [http] api-token-env yet");
    return;
  }
  if (check_as ("GET", "/api/v1/openapi.json", NULL, "", 401, &reply))
    g_assert_true (g_str_has_prefix (reply.www_authenticate ? reply.www_authenticate : "",
                                     "Bearer"));
  tb_test_reply_clear (&reply);
  if (check_as ("GET", "/api/v1/agents", NULL, "wrong-token", 401, &reply))
    g_assert_true (g_str_has_prefix (reply.www_authenticate ? reply.www_authenticate : "",
                                     "Bearer"));
  tb_test_reply_clear (&reply);
  check_as ("POST", "/api/v1/calls", "{}", "", 401, &reply);
  tb_test_reply_clear (&reply);
  check_as ("GET", "/healthz", NULL, "", 200, &reply);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  /* Every case runs even when one fails: each tells how a route differs
   * from the document (and PostgreSQL is stopped at the end). */
  g_autoptr(GPtrArray) args = g_ptr_array_new ();

  for (int i = 0; i < argc; i++)
    g_ptr_array_add (args, argv[i]);
  g_ptr_array_add (args, "--keep-going");
  g_ptr_array_add (args, NULL);
  argc = (int) args->len - 1;
  argv = (char **) args->pdata;
  g_test_init (&argc, &argv, NULL);
  spec_path = g_build_filename (TB_SOURCE_ROOT, "schemas", "openapi.json", NULL);
  spec = tb_openapi_load (spec_path, &error);
  g_assert_no_error (error);

  g_test_add_func ("/openapi/document", test_document);
  g_test_add_func ("/openapi/checker/rejects", test_checker_rejects);
  g_test_add_func ("/openapi/checker/document", test_checker_document);
  g_test_add_func ("/openapi/served", test_served);
  g_test_add_func ("/openapi/health", test_health);
  g_test_add_func ("/openapi/metrics", test_metrics);
  g_test_add_func ("/openapi/agents/list", test_agents_list);
  g_test_add_func ("/openapi/agents/create", test_agents_create);
  g_test_add_func ("/openapi/agents/get", test_agents_get);
  g_test_add_func ("/openapi/agents/change", test_agents_change);
  g_test_add_func ("/openapi/agents/invalid", test_agents_invalid);
  g_test_add_func ("/openapi/agents/delete", test_agents_delete);
  g_test_add_func ("/openapi/numbers", test_numbers);
  g_test_add_func ("/openapi/tools", test_tools);
  g_test_add_func ("/openapi/providers", test_providers);
  g_test_add_func ("/openapi/providers/errors", test_provider_errors);
  g_test_add_func ("/openapi/preview-and-tool-test", test_preview_and_tool_test);
  g_test_add_func ("/openapi/calls/list", test_calls_list);
  g_test_add_func ("/openapi/calls/detail", test_calls_detail);
  g_test_add_func ("/openapi/calls/active", test_calls_active);
  g_test_add_func ("/openapi/calls/place", test_calls_place);
  g_test_add_func ("/openapi/stats", test_stats);
  g_test_add_func ("/openapi/trunks", test_trunks);
  g_test_add_func ("/openapi/webhooks/appointments", test_webhooks_appointments);
  g_test_add_func ("/openapi/webhooks/hours-callback", test_webhooks_hours_callback);
  g_test_add_func ("/openapi/auth", test_auth);
  g_test_add_func ("/openapi/too-large", test_too_large);
  /* A suite of its own, added last, runs last. */
  g_test_add_func ("/openapi/zz-last/database-down", test_database_down);

  tb_test_api_start (&api, NULL);
  status = g_test_run ();
  tb_test_api_stop (&api);
  tb_openapi_free (spec);
  g_free (spec_path);
  return status;
}
