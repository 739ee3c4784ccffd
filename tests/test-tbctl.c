/* test-tbctl.c — the built tbctl against the real daemon on a real
 * PostgreSQL (api-env.h): usage errors (exit 2), an unreachable URL named
 * (exit 1), an agent created, listed, shown, updated and deleted, --json
 * that parses, the API's field errors and 401 message (exit 1), the call
 * log after a call with its transcript, an outbound call hung up, stats,
 * trunks and providers. Cases whose routes the daemon does not serve yet
 * (404 "no such path") are skipped. */
#include "api-env.h"
#include "test-util.h"

#include <string.h>

static TbTestApi api;

typedef struct {
  int status;
  char *out;
  char *err;
  JsonNode *json;       /* stdout parsed, when it is JSON */
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
  g_clear_pointer (&run->json, json_node_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Runs tbctl with @args (NULL-terminated) against the test daemon, with
 * the token from TALKINGBITS_API_TOKEN = @token (NULL: the daemon's). */
static void
tbctl_with (const char *token, const char *const *args, Run *run)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *bearer = token ? token : api.token;

  memset (run, 0, sizeof *run);
  g_ptr_array_add (argv, (gpointer) TB_TBCTL);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_setenv (launcher, "TALKINGBITS_URL", api.url, TRUE);
  if (bearer)
    g_subprocess_launcher_setenv (launcher, "TALKINGBITS_API_TOKEN", bearer, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "TALKINGBITS_API_TOKEN");
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  run->status = g_subprocess_get_exit_status (process);
  run->json = json_from_string (run->out, NULL);
  g_test_message ("tbctl -> %d\n%s%s", run->status, run->out, run->err);
}

static void
tbctl (const char *const *args, Run *run)
{
  tbctl_with (NULL, args, run);
}

/* TRUE, after g_test_skip(), when the daemon answered "no such path". */
static gboolean
not_served (const Run *run, const char *what)
{
  if (run->status == 1 && strstr (run->err, "no such path")) {
    g_autofree char *why = g_strdup_printf ("%s is not served yet: %s", what, run->err);

    g_test_skip (why);
    return TRUE;
  }
  return FALSE;
}

static JsonObject *
json_object_of (const Run *run)
{
  if (!run->json || !JSON_NODE_HOLDS_OBJECT (run->json))
    g_error ("tbctl printed no JSON object:\n%s", run->out);
  return json_node_get_object (run->json);
}

/* ---- the command line ------------------------------------------------- */

static void
test_usage (void)
{
  {
    g_auto(Run) run = { 0 };

    tbctl ((const char *const[]) { "--help", NULL }, &run);
    g_assert_cmpint (run.status, ==, 0);
    for (const char *const *word = (const char *const[]) {
           "agents", "numbers", "tools", "calls", "call NUMBER --agent NAME", "stats",
           "providers", "trunks", "--json", "--set", NULL }; *word; word++)
      g_assert_true (tb_test_contains (run.out, *word));
  }
  {
    g_auto(Run) run = { 0 };

    tbctl ((const char *const[]) { NULL }, &run);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_true (tb_test_contains (run.err, "COMMAND"));
  }
  {
    g_auto(Run) run = { 0 };

    tbctl ((const char *const[]) { "dance", NULL }, &run);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_true (tb_test_contains (run.err, "unknown command 'dance'"));
  }
  {
    g_auto(Run) run = { 0 };

    tbctl ((const char *const[]) { "agents", "list", "--since", "2026-01-01", NULL }, &run);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_true (tb_test_contains (run.err, "--since does not apply to 'agents list'"));
  }
  {
    g_auto(Run) run = { 0 };

    tbctl ((const char *const[]) { "agents", "update", "x", NULL }, &run);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_true (tb_test_contains (run.err, "--set KEY=VALUE"));
  }
  {
    g_auto(Run) run = { 0 };

    tbctl ((const char *const[]) { "agents", "create", "--data", "[1]", NULL }, &run);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_true (tb_test_contains (run.err, "--data: a JSON object is expected"));
  }
  {
    g_auto(Run) run = { 0 };

    tbctl ((const char *const[]) { "call", "1234", NULL }, &run);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_true (tb_test_contains (run.err, "--agent NAME is required"));
  }
}

static void
test_unreachable (void)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", tb_test_free_port ());
  g_autofree char *expected = g_strdup_printf ("cannot reach the Talkingbits API at %s", url);
  g_auto(Run) run = { 0 };

  tbctl ((const char *const[]) { "--url", url, "agents", "list", NULL }, &run);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_true (tb_test_contains (run.err, expected));
  g_assert_true (tb_test_contains (run.err, "Connection refused"));
  g_assert_cmpstr (run.out, ==, "");
}

/* ---- the catalog ------------------------------------------------------ */

static void
test_agents (void)
{
  g_auto(Run) run = { 0 };
  JsonObject *agent;
  JsonArray *agents;
  gboolean listed = FALSE;

  tbctl ((const char *const[]) { "agents", "create", "tb-ctl", "--set", "greeting=Hello there",
                                 "--set", "endpointing_ms=800", "--set", "fillers=[\"um\"]",
                                 NULL }, &run);
  if (not_served (&run, "POST /api/v1/agents"))
    return;
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (tb_test_contains (run.out, "created agent 'tb-ctl'"));
  g_assert_true (tb_test_contains (run.out, "Hello there"));
  run_clear (&run);

  /* A table for people, JSON for scripts. */
  tbctl ((const char *const[]) { "agents", "list", NULL }, &run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_str_has_prefix (run.out, "NAME "));
  g_assert_true (tb_test_contains (run.out, "\ntb-ctl "));
  g_assert_true (tb_test_contains (run.out, "\ntalker "));
  g_assert_null (run.json);
  run_clear (&run);
  tbctl ((const char *const[]) { "agents", "list", "--json", NULL }, &run);
  g_assert_cmpint (run.status, ==, 0);
  agents = json_object_get_array_member (json_object_of (&run), "agents");
  for (guint i = 0; i < json_array_get_length (agents); i++)
    listed |= g_str_equal (json_object_get_string_member (
                             json_array_get_object_element (agents, i), "name"), "tb-ctl");
  g_assert_true (listed);
  run_clear (&run);

  tbctl ((const char *const[]) { "agents", "show", "tb-ctl", NULL }, &run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (tb_test_contains (run.out, "greeting:"));
  g_assert_true (tb_test_contains (run.out, " Hello there\n"));
  g_assert_true (tb_test_contains (run.out, " um\n"));
  run_clear (&run);

  tbctl ((const char *const[]) { "agents", "update", "tb-ctl", "--set", "greeting=Goodbye",
                                 "--data", "{\"interruptible\": false}", NULL }, &run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (tb_test_contains (run.out, "updated agent 'tb-ctl'"));
  run_clear (&run);
  tbctl ((const char *const[]) { "agents", "show", "tb-ctl", "--json", NULL }, &run);
  g_assert_cmpint (run.status, ==, 0);
  agent = json_object_of (&run);
  g_assert_cmpstr (json_object_get_string_member (agent, "greeting"), ==, "Goodbye");
  g_assert_cmpint (json_object_get_int_member (agent, "endpointing_ms"), ==, 800);
  g_assert_false (json_object_get_boolean_member (agent, "interruptible"));
  run_clear (&run);

  tbctl ((const char *const[]) { "agents", "delete", "tb-ctl", NULL }, &run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (tb_test_contains (run.out, "deleted agent 'tb-ctl'"));
  run_clear (&run);
  tbctl ((const char *const[]) { "agents", "show", "tb-ctl", NULL }, &run);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_true (tb_test_contains (run.err, "tb-ctl"));
  g_assert_cmpstr (run.out, ==, "");
}

/* The API's message and each field's error, exit 1. */
static void
test_field_errors (void)
{
  g_autofree char *dir = tb_test_server_make_dir ();
  g_autofree char *file = tb_test_write_file (dir, "agent.json",
                                              "{\"name\": \"tb-bad\", \"colour\": \"red\"}");
  g_auto(Run) run = { 0 };

  tbctl ((const char *const[]) { "agents", "create", "tb-bad", "--set", "endpointing_ms=-5",
                                 NULL }, &run);
  if (not_served (&run, "POST /api/v1/agents"))
    goto out;
  g_assert_cmpint (run.status, ==, 1);
  g_assert_true (tb_test_contains (run.err, "tbctl: invalid agent"));
  g_assert_true (tb_test_contains (run.err, "\n  endpointing_ms: "));
  run_clear (&run);
  tbctl ((const char *const[]) { "agents", "create", "--file", file, NULL }, &run);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_true (tb_test_contains (run.err, "\n  colour: unknown field"));
out:
  tb_test_remove_tree (dir);
}

static void
test_token (void)
{
  g_auto(Run) run = { 0 };

  if (!api.token) {
    g_test_skip ("the daemon has no [http] api-token-env yet");
    return;
  }
  tbctl_with ("not-the-token", (const char *const[]) { "trunks", NULL }, &run);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_true (tb_test_contains (run.err, "bearer token"));
  g_assert_true (tb_test_contains (run.err, "the one given was refused"));
  run_clear (&run);
  tbctl_with ("", (const char *const[]) { "calls", "list", NULL }, &run);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_true (tb_test_contains (run.err, "set TALKINGBITS_API_TOKEN"));
}

/* ---- calls ------------------------------------------------------------ */

static void
test_calls (void)
{
  g_autofree char *id = NULL;
  g_auto(Run) run = { 0 };
  gint64 start;

  tbctl ((const char *const[]) { "calls", "list", NULL }, &run);
  if (not_served (&run, "GET /api/v1/calls"))
    return;
  g_assert_cmpint (run.status, ==, 0);
  run_clear (&run);
  tb_test_api_call (&api);
  start = g_get_monotonic_time ();
  while (!id && g_get_monotonic_time () - start < 30 * G_USEC_PER_SEC) {
    JsonArray *calls;

    run_clear (&run);
    tbctl ((const char *const[]) { "calls", "list", "--agent", "talker", "--limit", "1",
                                   "--json", NULL }, &run);
    g_assert_cmpint (run.status, ==, 0);
    calls = json_object_get_array_member (json_object_of (&run), "calls");
    if (json_array_get_length (calls) == 1)
      id = g_strdup (json_object_get_string_member (json_array_get_object_element (calls, 0),
                                                    "id"));
    else
      g_usleep (200 * 1000);
  }
  g_assert_nonnull (id);
  run_clear (&run);

  tbctl ((const char *const[]) { "calls", "list", "--number", "2000", "--since", "2020-01-01",
                                 NULL }, &run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_str_has_prefix (run.out, "ID "));
  g_assert_true (tb_test_contains (run.out, id));
  g_assert_true (tb_test_contains (run.out, " talker "));
  g_assert_true (tb_test_contains (run.out, "1 of 1 calls"));
  run_clear (&run);

  tbctl ((const char *const[]) { "calls", "show", id, NULL }, &run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (tb_test_contains (run.out, "transcript"));
  g_assert_true (tb_test_contains (run.out, "] caller: "));
  g_assert_true (tb_test_contains (run.out, "] agent:  "));
  g_assert_true (tb_test_contains (run.out, "(response "));
  g_assert_true (tb_test_contains (run.out, "\nTOOL "));
  g_assert_true (tb_test_contains (run.out, "\nLATENCY "));
  run_clear (&run);

  tbctl ((const char *const[]) { "calls", "list", "--limit", "0", NULL }, &run);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_true (tb_test_contains (run.err, "limit"));
  run_clear (&run);
  tbctl ((const char *const[]) { "calls", "show", "not-a-call", NULL }, &run);
  g_assert_cmpint (run.status, ==, 1);
}

static void
test_call_and_hangup (void)
{
  guint port = 0;
  g_autoptr(GSocket) peer = tb_test_api_silent_peer (&port);
  g_autofree char *to = g_strdup_printf ("sip:9999@127.0.0.1:%u", port);
  g_autofree char *id = NULL;
  g_auto(Run) run = { 0 };

  tbctl ((const char *const[]) { "call", to, "--agent", "reception", "--json", NULL }, &run);
  if (not_served (&run, "POST /api/v1/calls"))
    return;
  g_assert_cmpint (run.status, ==, 0);
  id = g_strdup (json_object_get_string_member (json_object_of (&run), "id"));
  run_clear (&run);
  tbctl ((const char *const[]) { "calls", "hangup", id, NULL }, &run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (tb_test_contains (run.out, "hanging up call"));
  run_clear (&run);
  tbctl ((const char *const[]) { "call", to, "--agent", "nobody", NULL }, &run);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_true (tb_test_contains (run.err, "nobody"));
}

static void
test_stats_trunks_providers (void)
{
  g_auto(Run) run = { 0 };

  tbctl ((const char *const[]) { "trunks", NULL }, &run);
  if (!not_served (&run, "GET /api/v1/trunks")) {
    g_assert_cmpint (run.status, ==, 0);
    g_assert_true (g_str_has_prefix (run.out, "NAME "));
    g_assert_true (tb_test_contains (run.out, "\ncarrier "));
  }
  run_clear (&run);
  tbctl ((const char *const[]) { "stats", "--since", "2020-01-01", NULL }, &run);
  if (!not_served (&run, "GET /api/v1/stats")) {
    g_assert_cmpint (run.status, ==, 0);
    g_assert_true (g_str_has_prefix (run.out, "AGENT ") ||
                   g_str_has_prefix (run.out, "no calls"));
  }
  run_clear (&run);
  tbctl ((const char *const[]) { "providers", NULL }, &run);
  if (!not_served (&run, "GET /api/v1/providers")) {
    g_assert_cmpint (run.status, ==, 0);
    g_assert_true (tb_test_contains (run.out, "\nllm "));
  }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tbctl/usage", test_usage);
  g_test_add_func ("/tbctl/unreachable", test_unreachable);
  g_test_add_func ("/tbctl/agents", test_agents);
  g_test_add_func ("/tbctl/field-errors", test_field_errors);
  g_test_add_func ("/tbctl/token", test_token);
  g_test_add_func ("/tbctl/calls", test_calls);
  g_test_add_func ("/tbctl/call-and-hangup", test_call_and_hangup);
  g_test_add_func ("/tbctl/stats-trunks-providers", test_stats_trunks_providers);

  tb_test_api_start (&api, NULL);
  status = g_test_run ();
  tb_test_api_stop (&api);
  return status;
}
