/* test-api-calls.c — the call side of the Web API against the real daemon
 * on a real PostgreSQL (test-pg.h), over HTTP on loopback: a call made
 * with tb-call appears in the log with its turns, tool and metrics; the
 * filters and pagination over 120 calls inserted with psql, and bad
 * filters (400 with a message per field); the detail's 400 and 404; an
 * outbound call placed through the API to sipp answering, live then in
 * the log; a live call hung up through the API (and 503 when max-calls is
 * reached meanwhile); per-agent stats against percentiles computed here
 * as PostgreSQL's percentile_cont does; a trunk registered with a sipp
 * registrar; and, without a database, 503 for the log and stats while
 * live calls, placing calls and trunks still answer. */
#include "api-env.h"
#include "test-tbcall-run.h"
#include "test-util.h"

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <libsoup/soup.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#define TRUNK_USER "15550100"
#define TRUNK_PASSWORD "trunk-secret-api-9"

static const char *const plugins[] = {
  "stt-scripted", "tts-scripted", "llm-scripted", "tool-scripted", NULL
};

/* One daemon on one database for the whole program; a registrar for its
 * trunk. */
static struct {
  TbTestPg *pg;
  char *plugin_dir;
  TbTestServer s;
  GSubprocess *registrar;
  TbTestApi api;           /* its url and session: the requests */
  /* Killed when the test aborts (the daemon dies with us by itself). */
  volatile pid_t pg_pid, registrar_pid;
} env;

static void
on_abort (int signal_number)
{
  if (env.pg_pid > 0)
    kill (env.pg_pid, SIGQUIT);
  if (env.registrar_pid > 0)
    kill (env.registrar_pid, SIGKILL);
  signal (signal_number, SIG_DFL);
  raise (signal_number);
}

/* A failed assertion leaves no PostgreSQL or sipp behind. */
static void
kill_helpers_on_abort (void)
{
  g_autofree char *pid_file = g_build_filename (env.pg->data_dir, "postmaster.pid", NULL);
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents (pid_file, &text, NULL, NULL));
  env.pg_pid = (pid_t) atoi (text);
  env.registrar_pid = (pid_t) atoi (g_subprocess_get_identifier (env.registrar));
  signal (SIGABRT, on_abort);
  signal (SIGTERM, on_abort);
}

/* ---- helpers ------------------------------------------------------------- */

/* @method @path of @api's daemon: every answer is JSON. */
static void
request_to (TbTestApi *api, const char *method, const char *path, const char *body,
            TbTestReply *reply)
{
  tb_test_api_request (api, method, path, body, NULL, reply);
  g_assert_cmpstr (reply->content_type, ==, "application/json");
  g_assert_nonnull (reply->json);
}

static void
request (const char *method, const char *path, const char *body, TbTestReply *reply)
{
  request_to (&env.api, method, path, body, reply);
}

static JsonObject *
object (TbTestReply *reply)
{
  g_assert_true (JSON_NODE_HOLDS_OBJECT (reply->json));
  return json_node_get_object (reply->json);
}

/* GET @path: 200 and its object. */
static JsonObject *
get_ok (const char *path, TbTestReply *reply)
{
  request ("GET", path, NULL, reply);
  if (reply->status != 200) {
    g_autofree char *text = json_to_string (reply->json, FALSE);

    g_printerr ("GET %s: %u %s\n", path, reply->status, text);
  }
  g_assert_cmpuint (reply->status, ==, 200);
  return object (reply);
}

/* The member @field of a 400's "fields" (NULL when there is none). */
static const char *
field_error (TbTestReply *reply, const char *field)
{
  JsonObject *fields;

  g_assert_cmpuint (reply->status, ==, 400);
  fields = json_object_get_object_member (object (reply), "fields");
  g_assert_nonnull (fields);
  return json_object_has_member (fields, field) ? json_object_get_string_member (fields, field)
                                                : NULL;
}

static char *
psql (const char *sql)
{
  g_autofree char *err = NULL;
  char *out = tb_test_pg_psql (env.pg, NULL, sql, &err);

  if (!out)
    g_error ("psql: %s\n%s", sql, err);
  return out;
}

static gint64
total_of (const char *query)
{
  g_auto(TbTestReply) reply = { 0 };
  g_autofree char *path = g_strconcat ("/api/v1/calls?", query, NULL);

  return json_object_get_int_member (get_ok (path, &reply), "total");
}

/* Waits (up to 60 s) until the call @id is in the log; its summary. A
 * call that has just ended is no longer live and may not be written yet:
 * 404 for that moment. */
static JsonObject *
wait_logged (const char *id, TbTestReply *reply)
{
  g_autofree char *path = g_strconcat ("/api/v1/calls/", id, NULL);

  for (guint i = 0; i < 300; i++) {
    JsonObject *o;

    request ("GET", path, NULL, reply);
    if (reply->status == 404) {
      tb_test_reply_clear (reply);
      g_usleep (200 * 1000);
      continue;
    }
    g_assert_cmpuint (reply->status, ==, 200);
    o = object (reply);
    if (!json_object_get_boolean_member (o, "live") &&
        !JSON_NODE_HOLDS_NULL (json_object_get_member (o, "ended_at")))
      return o;
    tb_test_reply_clear (reply);
    g_usleep (200 * 1000);
  }
  g_error ("call %s never reached the log", id);
}

/* Waits (up to 20 s) until a call is active; its object in @reply. */
static JsonObject *
wait_active (TbTestReply *reply, gboolean answered)
{
  for (guint i = 0; i < 200; i++) {
    JsonArray *calls = json_object_get_array_member (get_ok ("/api/v1/calls/active", reply),
                                                     "calls");

    if (json_array_get_length (calls) > 0) {
      JsonObject *call = json_array_get_object_element (calls, 0);

      if (!answered || json_object_get_boolean_member (call, "answered"))
        return call;
    }
    tb_test_reply_clear (reply);
    g_usleep (100 * 1000);
  }
  g_error ("no active call");
}

static void
wait_no_active (void)
{
  for (guint i = 0; i < 200; i++) {
    g_auto(TbTestReply) reply = { 0 };
    JsonArray *calls = json_object_get_array_member (get_ok ("/api/v1/calls/active", &reply),
                                                     "calls");

    if (json_array_get_length (calls) == 0)
      return;
    g_usleep (100 * 1000);
  }
  g_error ("calls still active");
}

/* ---- a call with turns ---------------------------------------------------- */

static void
test_recorded_call (void)
{
  g_autofree char *caller = g_build_filename (env.s.dir, "talk.wav", NULL);
  const guint bursts[] = { 2000, 2600, 0, 0 };
  const char *const args[] = { "--play", caller, "--hangup-after", "5.5", NULL };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *end_text = NULL;
  g_autofree char *upper = NULL;
  g_autofree char *path = NULL;
  g_auto(TbTestReply) reply = { 0 };
  g_auto(TbTestReply) list = { 0 };
  g_auto(TbTestReply) again = { 0 };
  TbTestRun run = { 0 };
  JsonObject *end, *end_turn, *call, *turn, *tool, *metrics, *summary;
  JsonArray *turns, *calls;
  const char *id;

  tb_test_write_bursts (caller, 16000, 300.0, bursts, 4500);
  tb_test_run_tb_call (&env.s, "2000", args, &run);
  g_assert_nonnull (run.json);
  tb_test_run_clear (&run);
  end_text = tb_test_server_wait_call_end (&env.s);
  g_assert_true (json_parser_load_from_data (parser, end_text, -1, NULL));
  end = json_node_get_object (json_parser_get_root (parser));
  id = json_object_get_string_member (end, "id");

  call = wait_logged (id, &reply);
  g_assert_cmpstr (json_object_get_string_member (call, "agent"), ==, "talker");
  g_assert_cmpstr (json_object_get_string_member (call, "direction"), ==, "inbound");
  g_assert_cmpstr (json_object_get_string_member (call, "to"), ==, "2000");
  g_assert_cmpstr (json_object_get_string_member (call, "sip_call_id"), ==,
                   json_object_get_string_member (end, "sip_call_id"));
  g_assert_cmpstr (json_object_get_string_member (call, "end_reason"), ==,
                   json_object_get_string_member (end, "end_reason"));
  g_assert_cmpint (json_object_get_int_member (call, "duration_ms"), ==,
                   json_object_get_int_member (end, "duration_ms"));
  g_assert_true (g_str_has_suffix (json_object_get_string_member (call, "started_at"),
                                   "+00:00"));
  g_assert_false (JSON_NODE_HOLDS_NULL (json_object_get_member (call, "answered_at")));

  /* The turns: greeting, the caller's words, the reply with its tool. */
  turns = json_object_get_array_member (call, "turns");
  g_assert_cmpuint (json_array_get_length (turns), ==, 3);
  end_turn = json_array_get_object_element (json_object_get_array_member (end, "turns"), 1);
  turn = json_array_get_object_element (turns, 1);
  g_assert_cmpint (json_object_get_int_member (turn, "sequence"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (turn, "role"), ==, "caller");
  g_assert_cmpstr (json_object_get_string_member (turn, "text"), ==,
                   json_object_get_string_member (end_turn, "caller"));
  g_assert_cmpint (json_object_get_int_member (turn, "stt_final_ms"), ==,
                   json_object_get_int_member (end_turn, "stt_final_ms"));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (turn, "response_ms")));
  turn = json_array_get_object_element (turns, 2);
  g_assert_cmpstr (json_object_get_string_member (turn, "role"), ==, "agent");
  g_assert_cmpint (json_object_get_int_member (turn, "response_ms"), ==,
                   json_object_get_int_member (end_turn, "response_ms"));
  g_assert_cmpint (json_object_get_int_member (turn, "llm_first_token_ms"), ==,
                   json_object_get_int_member (end_turn, "llm_first_token_ms"));
  g_assert_false (json_object_get_boolean_member (turn, "interrupted"));

  tool = json_array_get_object_element (json_object_get_array_member (call, "tool_invocations"),
                                        0);
  g_assert_cmpstr (json_object_get_string_member (tool, "tool"), ==, "slow_tool");
  g_assert_cmpint (json_object_get_int_member (tool, "turn"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (tool, "arguments"),
                                                  "day"), ==, "tuesday");
  g_assert_cmpstr (json_object_get_string_member (tool, "status"), ==, "ok");
  g_assert_cmpint (json_object_get_int_member (tool, "latency_ms"), >=, 200);

  /* One reply to the caller: its response time is the mean, p50 and p95. */
  metrics = json_object_get_object_member (call, "metrics");
  for (const char *const *q = (const char *const[]) { "mean", "p50", "p95", NULL }; *q; q++) {
    g_assert_cmpfloat (json_object_get_double_member (
                         json_object_get_object_member (metrics, "response_ms"), *q), ==,
                       json_object_get_int_member (end_turn, "response_ms"));
    g_assert_cmpfloat (json_object_get_double_member (
                         json_object_get_object_member (metrics, "stt_ms"), *q), ==,
                       json_object_get_int_member (end_turn, "stt_final_ms"));
  }
  g_assert_true (json_object_has_member (json_object_get_object_member (metrics, "tts_ms"), "p95"));
  g_test_message ("response %" G_GINT64_FORMAT " ms, stt %" G_GINT64_FORMAT " ms",
                  json_object_get_int_member (end_turn, "response_ms"),
                  json_object_get_int_member (end_turn, "stt_final_ms"));

  /* In the list: 3 turns, not live. */
  calls = json_object_get_array_member (get_ok ("/api/v1/calls?agent=talker&direction=inbound",
                                                &list), "calls");
  g_assert_cmpuint (json_array_get_length (calls), >=, 1);
  summary = json_array_get_object_element (calls, 0);
  g_assert_cmpstr (json_object_get_string_member (summary, "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (summary, "turns"), ==, 3);
  g_assert_false (json_object_get_boolean_member (summary, "live"));

  /* The id in capitals is the same call. */
  upper = g_ascii_strup (id, -1);
  path = g_strconcat ("/api/v1/calls/", upper, NULL);
  g_assert_cmpstr (json_object_get_string_member (get_ok (path, &again), "id"), ==, id);
}

static void
test_detail_errors (void)
{
  g_auto(TbTestReply) unknown = { 0 };
  g_auto(TbTestReply) invalid = { 0 };
  g_auto(TbTestReply) below = { 0 };

  request ("GET", "/api/v1/calls/3f2b8c4e-1d2a-4c6b-9e8f-0a1b2c3d4e5f", NULL, &unknown);
  g_assert_cmpuint (unknown.status, ==, 404);
  g_assert_true (tb_test_contains (json_object_get_string_member (object (&unknown), "error"),
                                   "3f2b8c4e-1d2a-4c6b-9e8f-0a1b2c3d4e5f"));
  request ("GET", "/api/v1/calls/1'%20OR%20'1'='1", NULL, &invalid);
  g_assert_cmpstr (field_error (&invalid, "id"), ==, "must be a UUID");
  request ("GET", "/api/v1/calls/3f2b8c4e-1d2a-4c6b-9e8f-0a1b2c3d4e5f/turns", NULL, &below);
  g_assert_cmpuint (below.status, ==, 404);
}

/* ---- filters and pages over inserted calls -------------------------------- */

/* 120 calls of agent "bulk", one an hour from 2020-01-01 00:00 UTC: i even
 * inbound, odd outbound; from +1555000(i % 10) to 3000; end reason
 * remote-bye when i % 3 == 0, else agent-hangup; 61 s long. */
static void
insert_bulk (void)
{
  g_free (psql (
    "INSERT INTO calls (id, agent_name, direction, from_number, to_number, started_at, "
    " answered_at, ended_at, end_reason) "
    "SELECT gen_random_uuid(), 'bulk', CASE WHEN i % 2 = 0 THEN 'inbound' ELSE 'outbound' END, "
    " '+1555000' || (i % 10), '3000', "
    " timestamptz '2020-01-01 00:00+00' + i * interval '1 hour', "
    " timestamptz '2020-01-01 00:00:01+00' + i * interval '1 hour', "
    " timestamptz '2020-01-01 00:01:01+00' + i * interval '1 hour', "
    " CASE WHEN i % 3 = 0 THEN 'remote-bye' ELSE 'agent-hangup' END "
    "FROM generate_series(0, 119) AS i"));
}

static void
test_pages (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *previous = NULL;
  const guint sizes[] = { 50, 50, 20 };

  for (guint page = 0; page < G_N_ELEMENTS (sizes); page++) {
    g_autofree char *path = g_strdup_printf ("/api/v1/calls?agent=bulk&offset=%u", page * 50);
    g_auto(TbTestReply) reply = { 0 };
    JsonObject *o = get_ok (path, &reply);
    JsonArray *calls = json_object_get_array_member (o, "calls");

    g_assert_cmpint (json_object_get_int_member (o, "total"), ==, 120);
    g_assert_cmpint (json_object_get_int_member (o, "limit"), ==, 50);
    g_assert_cmpint (json_object_get_int_member (o, "offset"), ==, page * 50);
    g_assert_cmpuint (json_array_get_length (calls), ==, sizes[page]);
    for (guint i = 0; i < json_array_get_length (calls); i++) {
      JsonObject *call = json_array_get_object_element (calls, i);
      const char *started = json_object_get_string_member (call, "started_at");

      /* Newest first, each call once. */
      if (previous)
        g_assert_cmpstr (started, <, previous);
      g_free (previous);
      previous = g_strdup (started);
      g_assert_true (g_hash_table_add (seen, g_strdup (json_object_get_string_member (call,
                                                                                      "id"))));
      g_assert_cmpint (json_object_get_int_member (call, "duration_ms"), ==, 61000);
      g_assert_cmpint (json_object_get_int_member (call, "turns"), ==, 0);
      g_assert_false (json_object_get_boolean_member (call, "live"));
      if (page == 0 && i == 0)
        g_assert_cmpstr (started, ==, "2020-01-05T23:00:00.000+00:00");
    }
  }
  g_assert_cmpstr (previous, ==, "2020-01-01T00:00:00.000+00:00");
  g_assert_cmpuint (g_hash_table_size (seen), ==, 120);

  {
    g_auto(TbTestReply) all = { 0 };
    g_auto(TbTestReply) past = { 0 };

    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                        get_ok ("/api/v1/calls?agent=bulk&limit=500", &all), "calls")), ==, 120);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                        get_ok ("/api/v1/calls?agent=bulk&offset=200", &past), "calls")), ==, 0);
    g_assert_cmpint (json_object_get_int_member (object (&past), "total"), ==, 120);
  }
}

static void
test_filters (void)
{
  g_assert_cmpint (total_of ("agent=bulk&direction=outbound"), ==, 60);
  g_assert_cmpint (total_of ("agent=bulk&end_reason=remote-bye"), ==, 40);
  g_assert_cmpint (total_of ("agent=bulk&direction=inbound&end_reason=remote-bye"), ==, 20);
  /* number: from or to ('+' escaped in the query). */
  g_assert_cmpint (total_of ("number=%2B15550003"), ==, 12);
  g_assert_cmpint (total_of ("number=3000"), ==, 120);
  /* Dates: since from its midnight, until through its end (UTC). */
  g_assert_cmpint (total_of ("agent=bulk&since=2020-01-02&until=2020-01-03"), ==, 48);
  g_assert_cmpint (total_of ("agent=bulk&until=2020-01-01"), ==, 24);
  /* Date-times: until exclusive; without an offset UTC. */
  g_assert_cmpint (total_of ("agent=bulk&until=2020-01-02T00:00:00Z"), ==, 24);
  g_assert_cmpint (total_of ("agent=bulk&until=2020-01-02T00:00:00"), ==, 24);
  g_assert_cmpint (total_of ("agent=bulk&since=2020-01-05T01:00:00%2B01:00"), ==, 24);
  g_assert_cmpint (total_of ("agent=bulk&since=2020-01-05T00:00:00.000%2B00:00&until="), ==, 24);
  /* Data, never SQL. */
  g_assert_cmpint (total_of ("agent=bulk'%20OR%20'1'%3D'1"), ==, 0);
  g_assert_cmpint (total_of ("number=3000')%3B%20DELETE%20FROM%20calls%3B%20--"), ==, 0);
  g_assert_cmpint (total_of ("agent=bulk"), ==, 120);
}

static void
test_bad_filters (void)
{
  g_auto(TbTestReply) many = { 0 };
  g_auto(TbTestReply) big = { 0 };
  g_auto(TbTestReply) neg = { 0 };
  g_auto(TbTestReply) date = { 0 };

  request ("GET", "/api/v1/calls?limit=0&since=yesterday&direction=sideways&agnet=x&until=2020-02-30",
           NULL, &many);
  g_assert_cmpstr (field_error (&many, "limit"), ==, "must be an integer from 1 to 500");
  g_assert_true (tb_test_contains (field_error (&many, "since"), "ISO 8601"));
  g_assert_true (tb_test_contains (field_error (&many, "until"), "ISO 8601"));
  g_assert_cmpstr (field_error (&many, "direction"), ==, "must be inbound or outbound");
  g_assert_cmpstr (field_error (&many, "agnet"), ==, "unknown parameter");
  g_assert_true (tb_test_contains (json_object_get_string_member (object (&many), "error"),
                                   "limit: must be an integer from 1 to 500"));
  request ("GET", "/api/v1/calls?limit=501", NULL, &big);
  g_assert_nonnull (field_error (&big, "limit"));
  request ("GET", "/api/v1/calls?offset=-1&limit=ten", NULL, &neg);
  g_assert_nonnull (field_error (&neg, "offset"));
  g_assert_nonnull (field_error (&neg, "limit"));
  request ("GET", "/api/v1/stats?since=2020-13-01&number=1", NULL, &date);
  g_assert_nonnull (field_error (&date, "since"));
  g_assert_cmpstr (field_error (&date, "number"), ==, "unknown parameter");
}

/* ---- stats ----------------------------------------------------------------- */

/* What PostgreSQL's percentile_cont(@p) gives for @n values: linear
 * interpolation between the sorted values around (n - 1) p. */
static double
percentile_cont (const double *values, guint n, double p)
{
  g_autofree double *v = g_memdup2 (values, n * sizeof *v);
  double position = p * (n - 1);
  guint lo = (guint) floor (position);

  for (guint i = 1; i < n; i++)
    for (guint j = i; j > 0 && v[j - 1] > v[j]; j--) {
      double t = v[j];

      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  return lo + 1 < n ? v[lo] + (position - lo) * (v[lo + 1] - v[lo]) : v[lo];
}

#define N_STATS 7
/* Per call of agent "statsagent": its greeting's response (first
 * response), the caller's STT, the reply's LLM, TTS (0: not measured) and
 * response, its tool's latency. */
static const double first_response[N_STATS] = { 310, 250, 420, 275, 390, 305, 288 };
static const double stt[N_STATS] = { 120, 95, 300, 140, 88, 210, 160 };
static const double llm[N_STATS] = { 400, 520, 380, 950, 610, 450, 500 };
static const double tts[N_STATS] = { 90, 110, 85, 300, 95, 120, 0 };
static const double response[N_STATS] = { 800, 1200, 760, 1900, 990, 870, 1010 };
static const double tool[N_STATS] = { 200, 220, 800, 210, 190, 205, 450 };

static void
insert_stats_call (const char *agent, const char *started, guint duration_ms, gboolean answered,
                   int i)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *call = g_strdup_printf (
    "INSERT INTO calls (id, agent_name, direction, started_at, answered_at, ended_at, end_reason) "
    "VALUES ('%s', '%s', 'inbound', '%s', %s, timestamptz '%s' + %u * interval '1 ms', "
    "'remote-bye')", id, agent, started, answered ? "timestamptz '2021-03-01 00:00+00'" : "NULL",
    started, duration_ms);

  g_free (psql (call));
  if (i < 0)
    return;
  {
    g_autofree char *tts_value = tts[i] ? g_strdup_printf ("%g", tts[i]) : g_strdup ("NULL");
    g_autofree char *turns = g_strdup_printf (
      "INSERT INTO turns (call_id, sequence, role, text, response_ms, tts_first_audio_ms) "
      "VALUES ('%s', 1, 'agent', 'Hello', %g, 0); "
      "INSERT INTO turns (call_id, sequence, role, text, speech_start_ms, speech_end_ms, "
      " stt_final_ms) VALUES ('%s', 2, 'caller', 'Hi', 1000, 2000, %g); "
      "INSERT INTO turns (call_id, sequence, role, text, llm_first_token_ms, tts_first_audio_ms, "
      " response_ms) VALUES ('%s', 3, 'agent', 'Sure', %g, %s, %g); "
      "INSERT INTO tool_invocations (call_id, turn_id, tool_name, arguments, status, latency_ms) "
      "SELECT '%s', id, 'book', '{}', 'ok', %g FROM turns WHERE call_id = '%s' AND sequence = 3",
      id, first_response[i], id, stt[i], id, llm[i], tts_value, response[i], id, tool[i], id);

    g_free (psql (turns));
  }
}

static void
assert_stage (JsonObject *agent, const char *stage, const double *values, guint n)
{
  JsonObject *latency = json_object_get_object_member (
    json_object_get_object_member (agent, "latency_ms"), stage);

  g_assert_nonnull (latency);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (latency, "p50"),
                                  percentile_cont (values, n, 0.5), 1e-9);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (latency, "p95"),
                                  percentile_cont (values, n, 0.95), 1e-9);
  g_test_message ("%s: p50 %.2f p95 %.2f", stage, percentile_cont (values, n, 0.5),
                  percentile_cont (values, n, 0.95));
}

static void
test_stats (void)
{
  g_auto(TbTestReply) reply = { 0 };
  g_auto(TbTestReply) one = { 0 };
  JsonArray *agents;
  JsonObject *o, *agent, *quiet;
  double tts_greeting_and_reply[2 * N_STATS];
  guint n_tts = 0, n_all = 0;

  for (int i = 0; i < N_STATS; i++) {
    g_autofree char *started = g_strdup_printf ("2021-03-%02d 12:00+00", 2 + i);

    insert_stats_call ("statsagent", started, 10000 + 1000 * i, i != 6, i);
  }
  /* Outside the range, and another agent without turns. */
  insert_stats_call ("statsagent", "2021-04-05 12:00+00", 99999, TRUE, 3);
  insert_stats_call ("quiet", "2021-03-10 08:00+00", 4000, TRUE, -1);
  insert_stats_call ("quiet", "2021-03-11 08:00+00", 1000, FALSE, -1);

  o = get_ok ("/api/v1/stats?since=2021-03-01&until=2021-03-31", &reply);
  g_assert_cmpstr (json_object_get_string_member (o, "since"), ==, "2021-03-01T00:00:00.000+00:00");
  g_assert_cmpstr (json_object_get_string_member (o, "until"), ==, "2021-04-01T00:00:00.000+00:00");
  agents = json_object_get_array_member (o, "agents");
  g_assert_cmpuint (json_array_get_length (agents), ==, 2);
  quiet = json_array_get_object_element (agents, 0);
  agent = json_array_get_object_element (agents, 1);
  g_assert_cmpstr (json_object_get_string_member (quiet, "agent"), ==, "quiet");
  g_assert_cmpint (json_object_get_int_member (quiet, "calls"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (quiet, "answered"), ==, 1);
  g_assert_cmpfloat (json_object_get_double_member (quiet, "mean_duration_ms"), ==, 2500);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (
    json_object_get_object_member (json_object_get_object_member (quiet, "latency_ms"), "stt"),
    "p50")));

  g_assert_cmpstr (json_object_get_string_member (agent, "agent"), ==, "statsagent");
  g_assert_cmpint (json_object_get_int_member (agent, "calls"), ==, N_STATS);
  g_assert_cmpint (json_object_get_int_member (agent, "answered"), ==, N_STATS - 1);
  g_assert_cmpfloat (json_object_get_double_member (agent, "mean_duration_ms"), ==, 13000);
  assert_stage (agent, "first_response", first_response, N_STATS);
  assert_stage (agent, "stt", stt, N_STATS);
  assert_stage (agent, "llm", llm, N_STATS);
  assert_stage (agent, "response", response, N_STATS);
  assert_stage (agent, "tool", tool, N_STATS);
  /* TTS: every measured value, the greetings' (0 here, as a cached
   * greeting records) and the replies' (one not measured). */
  for (guint i = 0; i < N_STATS; i++) {
    tts_greeting_and_reply[n_all++] = 0;
    if (tts[i]) {
      n_tts++;
      tts_greeting_and_reply[n_all++] = tts[i];
    }
  }
  g_assert_cmpuint (n_tts, ==, N_STATS - 1);
  assert_stage (agent, "tts", tts_greeting_and_reply, n_all);

  o = get_ok ("/api/v1/stats?agent=statsagent&since=2021-03-05T00:00:00Z", &one);
  agents = json_object_get_array_member (o, "agents");
  g_assert_cmpuint (json_array_get_length (agents), ==, 1);
  agent = json_array_get_object_element (agents, 0);
  /* Calls 3..6 and the one of April. */
  g_assert_cmpint (json_object_get_int_member (agent, "calls"), ==, 5);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (o, "until")));
  {
    const double expected[] = { 140, 88, 210, 160, 140 };

    assert_stage (agent, "stt", expected, G_N_ELEMENTS (expected));
  }
}

/* ---- outbound, hang-up ---------------------------------------------------- */

static void
test_outbound (void)
{
  guint sipp_port = tb_test_free_port ();
  TbTestSipp options = { .scenario = "uas-answer.xml", .port = sipp_port };
  g_autoptr(GSubprocess) sipp = tb_test_sipp_start (&env.s, &options);
  g_autofree char *body = g_strdup_printf (
    "{\"to\": \"sip:2000@127.0.0.1:%u\", \"agent\": \"talker\", \"ring_timeout_s\": 10}",
    sipp_port);
  g_autofree char *path = NULL;
  g_autofree char *id = NULL;
  g_auto(TbTestReply) placed = { 0 };
  g_auto(TbTestReply) active = { 0 };
  g_auto(TbTestReply) live = { 0 };
  g_auto(TbTestReply) logged = { 0 };
  g_auto(TbTestReply) listed = { 0 };
  JsonObject *call;
  JsonArray *calls;

  g_usleep (300 * 1000);  /* sipp binds */
  request ("POST", "/api/v1/calls", body, &placed);
  g_assert_cmpuint (placed.status, ==, 202);
  id = g_strdup (json_object_get_string_member (object (&placed), "id"));
  g_assert_true (g_uuid_string_is_valid (id));
  g_assert_cmpstr (json_object_get_string_member (object (&placed), "state"), ==, "dialing");
  g_assert_cmpstr (json_object_get_string_member (object (&placed), "agent"), ==, "talker");

  /* Live: answered after sipp's 180 and 200. */
  call = wait_active (&active, TRUE);
  g_assert_cmpstr (json_object_get_string_member (call, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (call, "direction"), ==, "outbound");
  g_assert_cmpstr (json_object_get_string_member (call, "agent"), ==, "talker");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (call, "to"), "sip:2000@"));
  path = g_strconcat ("/api/v1/calls/", id, NULL);
  call = get_ok (path, &live);
  if (json_object_get_boolean_member (call, "live")) {
    g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (call, "ended_at")));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (call, "turns")), ==, 0);
  }

  /* sipp hangs up after 2 s: then the call is in the log. */
  g_assert_cmpint (tb_test_sipp_wait (&env.s, sipp), ==, 0);
  call = wait_logged (id, &logged);
  g_assert_cmpstr (json_object_get_string_member (call, "direction"), ==, "outbound");
  g_assert_cmpstr (json_object_get_string_member (call, "end_reason"), ==, "remote-bye");
  g_assert_false (JSON_NODE_HOLDS_NULL (json_object_get_member (call, "answered_at")));
  calls = json_object_get_array_member (get_ok ("/api/v1/calls?direction=outbound&agent=talker",
                                                &listed), "calls");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (calls, 0), "id"),
                   ==, id);
  wait_no_active ();
}

static void
test_place_errors (void)
{
  const struct { const char *body; guint status; const char *field; const char *why; } cases[] = {
    { "{}", 400, "to", "is required" },
    { "{\"to\": \"2001\"}", 400, "agent", "is required" },
    { "{\"to\": 2001, \"agent\": \"talker\"}", 400, "to", "must be a string" },
    { "{\"to\": \"2001\", \"agent\": \"talker\", \"colour\": \"red\"}", 400, "colour",
      "unknown field" },
    { "{\"to\": \"2001\", \"agent\": \"talker\", \"ring_timeout_s\": \"x\"}", 400,
      "ring_timeout_s", "must be an integer from 1 to 300" },
    { "{\"to\": \"2001\", \"agent\": \"talker\", \"ring_timeout_s\": 0}", 400,
      "ring_timeout_s", "must be an integer from 1 to 300" },
    { "{\"to\": \"sip:a@b> ;x\", \"agent\": \"talker\"}", 400, "to",
      "must be a phone number or a sip: URI" },
    { "{\"to\": \"reception\", \"agent\": \"talker\"}", 400, "to", NULL },
    { "{\"to\": \"2001\", \"agent\": \"talker\", \"caller_id\": \"<evil>\"}", 400, "caller_id",
      NULL },
    { "{\"to\": \"2001\", \"agent\": \"nobody\"}", 404, NULL, "no agent 'nobody'" },
    { "{\"to\": \"2001\", \"agent\": \"talker\", \"trunk\": \"nowhere\"}", 404, NULL,
      "no trunk 'nowhere'" },
    { "{\"to\": \"sip:2001@127.0.0.1:9\", \"agent\": \"talker\", \"trunk\": \"nowhere\"}", 404,
      NULL, "no trunk 'nowhere'" },
    { "[1, 2]", 400, NULL, "JSON object" },
    { "{\"to\": ", 400, NULL, "invalid JSON" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_auto(TbTestReply) reply = { 0 };
    g_autofree char *text = NULL;

    request ("POST", "/api/v1/calls", cases[i].body, &reply);
    text = json_to_string (reply.json, FALSE);
    g_test_message ("%s -> %u %s", cases[i].body, reply.status, text);
    g_assert_cmpuint (reply.status, ==, cases[i].status);
    if (cases[i].field && cases[i].why)
      g_assert_cmpstr (field_error (&reply, cases[i].field), ==, cases[i].why);
    else if (cases[i].field)
      g_assert_nonnull (field_error (&reply, cases[i].field));
    else
      g_assert_true (tb_test_contains (json_object_get_string_member (object (&reply), "error"),
                                       cases[i].why));
  }
  /* Nothing was placed. */
  wait_no_active ();
}

static void
test_hangup (void)
{
  const TbTestSipp options = { .scenario = "uac-wait-bye.xml", .service = "2000" };
  g_autoptr(GSubprocess) sipp = tb_test_sipp_start (&env.s, &options);
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *upper = NULL;
  g_auto(TbTestReply) active = { 0 };
  g_auto(TbTestReply) busy = { 0 };
  g_auto(TbTestReply) hung = { 0 };
  g_auto(TbTestReply) logged = { 0 };
  g_auto(TbTestReply) again = { 0 };
  g_auto(TbTestReply) invalid = { 0 };
  JsonObject *call = wait_active (&active, TRUE);

  id = g_strdup (json_object_get_string_member (call, "id"));
  g_assert_cmpstr (json_object_get_string_member (call, "direction"), ==, "inbound");
  g_assert_cmpstr (json_object_get_string_member (call, "from"), ==, "5551234");

  /* max-calls is 1: no room for another. */
  request ("POST", "/api/v1/calls", "{\"to\": \"sip:2001@127.0.0.1:9\", \"agent\": \"talker\"}",
           &busy);
  g_assert_cmpuint (busy.status, ==, 503);
  g_assert_true (tb_test_contains (json_object_get_string_member (object (&busy), "error"),
                                   "max-calls"));

  upper = g_ascii_strup (id, -1);
  path = g_strdup_printf ("/api/v1/calls/%s/hangup", upper);
  request ("POST", path, NULL, &hung);
  g_assert_cmpuint (hung.status, ==, 202);
  g_assert_cmpstr (json_object_get_string_member (object (&hung), "id"), ==, id);
  g_assert_true (json_object_get_boolean_member (object (&hung), "hangup"));
  /* sipp got the BYE. */
  g_assert_cmpint (tb_test_sipp_wait (&env.s, sipp), ==, 0);
  call = wait_logged (id, &logged);
  g_assert_cmpstr (json_object_get_string_member (call, "end_reason"), ==, "api-hangup");

  request ("POST", path, NULL, &again);
  g_assert_cmpuint (again.status, ==, 404);
  request ("POST", "/api/v1/calls/42/hangup", NULL, &invalid);
  g_assert_cmpstr (field_error (&invalid, "id"), ==, "must be a UUID");
}

/* ---- trunks ------------------------------------------------------------- */

static void
test_trunks (void)
{
  JsonObject *carrier = NULL, *direct;
  JsonArray *trunks = NULL;

  for (guint i = 0; i < 150; i++) {
    g_auto(TbTestReply) reply = { 0 };

    trunks = json_object_get_array_member (get_ok ("/api/v1/trunks", &reply), "trunks");
    g_assert_cmpuint (json_array_get_length (trunks), ==, 2);
    carrier = json_array_get_object_element (trunks, 0);
    if (g_str_equal (json_object_get_string_member (carrier, "state"), "registered")) {
      json_array_ref (trunks);
      break;
    }
    carrier = NULL;
    g_usleep (100 * 1000);
  }
  g_assert_nonnull (carrier);
  g_assert_cmpstr (json_object_get_string_member (carrier, "name"), ==, "carrier");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (carrier, "registrar"),
                                   "sip:127.0.0.1:"));
  g_assert_cmpint (json_object_get_int_member (carrier, "last_status"), ==, 200);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (carrier, "last_error")));
  g_assert_cmpint (json_object_get_int_member (carrier, "expires_in_s"), >=, 0);
  g_assert_cmpint (json_object_get_int_member (carrier, "expires_in_s"), <=, 3600);

  direct = json_array_get_object_element (trunks, 1);
  g_assert_cmpstr (json_object_get_string_member (direct, "name"), ==, "direct");
  g_assert_cmpstr (json_object_get_string_member (direct, "state"), ==, "not-registering");
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (direct, "registrar")));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (direct, "expires_in_s")));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (direct, "last_status")));
  json_array_unref (trunks);
}

/* ---- without a database --------------------------------------------------- */

static void
test_no_database (void)
{
  TbTestServer s = { 0 };
  const char *const db_routes[] = {
    "/api/v1/calls", "/api/v1/calls?agent=x", "/api/v1/stats",
    "/api/v1/calls/3f2b8c4e-1d2a-4c6b-9e8f-0a1b2c3d4e5f",
  };
  g_auto(TbTestReply) active = { 0 };
  g_auto(TbTestReply) trunks = { 0 };
  g_auto(TbTestReply) agent = { 0 };
  g_auto(TbTestReply) hangup = { 0 };
  TbTestApi api = { .session = env.api.session };

  s.http_port = tb_test_free_port ();
  tb_test_server_start_full (&s, "", "", "");
  api.url = g_strdup_printf ("http://127.0.0.1:%u", s.http_port);
  for (guint i = 0; i < G_N_ELEMENTS (db_routes); i++) {
    g_auto(TbTestReply) reply = { 0 };

    request_to (&api, "GET", db_routes[i], NULL, &reply);
    g_assert_cmpuint (reply.status, ==, 503);
    g_assert_true (tb_test_contains (json_object_get_string_member (object (&reply), "error"),
                                     "the database is not available"));
  }
  request_to (&api, "GET", "/api/v1/calls/active", NULL, &active);
  g_assert_cmpuint (active.status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object (&active),
                                                                         "calls")), ==, 0);
  request_to (&api, "GET", "/api/v1/trunks", NULL, &trunks);
  g_assert_cmpuint (trunks.status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object (&trunks),
                                                                         "trunks")), ==, 0);
  request_to (&api, "POST", "/api/v1/calls", "{\"to\": \"2001\", \"agent\": \"x\"}",
                &agent);
  g_assert_cmpuint (agent.status, ==, 404);
  request_to (&api, "POST",
                "/api/v1/calls/3f2b8c4e-1d2a-4c6b-9e8f-0a1b2c3d4e5f/hangup", NULL, &hangup);
  g_assert_cmpuint (hangup.status, ==, 404);
  tb_test_server_stop (&s);
  g_free (api.url);
}

/* ---- the environment ------------------------------------------------------ */

static void
env_start (void)
{
  const char *vars[] = { "@USER@", TRUNK_USER, "@PASSWORD@", TRUNK_PASSWORD, NULL };
  TbTestSipp registrar = { .scenario = "uas-registrar.xml", .vars = vars,
                           .port = tb_test_free_port (), .timeout_s = 300 };
  g_autofree char *groups = NULL;

  g_setenv ("TB_TEST_TRUNK_PASSWORD", TRUNK_PASSWORD, TRUE);
  env.pg = tb_test_pg_new ();
  env.plugin_dir = tb_test_plugin_dir_new (plugins);
  env.s.dir = tb_test_server_make_dir ();
  env.s.plugin_path = env.plugin_dir;
  env.s.http_port = tb_test_free_port ();
  env.registrar = tb_test_sipp_start (&env.s, &registrar);
  kill_helpers_on_abort ();
  groups = g_strdup_printf (
    "[agent:talker]\nnumbers=2000\nstt=scripted\ntts=scripted\nllm=scripted\ntools=scripted\n"
    "[stt:scripted]\ntranscripts=book it for tuesday\n"
    "[llm:scripted]\ntools=book=slow_tool:{\"day\":\"tuesday\"}\n"
    "[tool:scripted]\ndelay-ms=200\n"
    "[database]\nconninfo=%s\n"
    "[trunk:carrier]\nregistrar=sip:127.0.0.1:%u\nusername=" TRUNK_USER "\n"
    "password-env=TB_TEST_TRUNK_PASSWORD\nexpires=600\n"
    "[trunk:direct]\nproxy=sip:127.0.0.1:9\ndomain=direct.test\nusername=direct\n"
    "password-env=TB_TEST_TRUNK_PASSWORD\n",
    env.pg->conninfo, registrar.port);
  tb_test_server_start_full (&env.s, "max-calls=1\n", "", groups);
  env.api.url = g_strdup_printf ("http://127.0.0.1:%u", env.s.http_port);
  {
    /* Straight to loopback, whatever proxy the environment names. */
    g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);

    env.api.session = soup_session_new_with_options ("timeout", 30, "proxy-resolver", direct,
                                                     NULL);
  }
}

static void
env_stop (void)
{
  g_autofree char *log = NULL;

  g_clear_object (&env.api.session);
  g_clear_pointer (&env.api.url, g_free);
  tb_test_stop_daemon (env.s.daemon, SIGTERM);
  g_clear_object (&env.s.daemon);
  /* The registrar saw the un-REGISTER and ends. */
  g_assert_cmpint (tb_test_sipp_wait (&env.s, env.registrar), ==, 0);
  g_clear_object (&env.registrar);
  env.registrar_pid = 0;
  g_assert_true (g_file_get_contents (env.s.log, &log, NULL, NULL));
  g_assert_null (strstr (log, TRUNK_PASSWORD));
  tb_test_server_stop (&env.s);
  tb_test_pg_free (env.pg);
  env.pg_pid = 0;
  tb_test_remove_tree (env.plugin_dir);
  g_free (env.plugin_dir);
}

int
main (int argc, char **argv)
{
  int status;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  /* The daemon finds the migrations in build/data/schemas. */
  g_setenv ("TALKINGBITS_DATA_PATH", TB_BUILD_ROOT "/data", TRUE);
  g_test_add_func ("/api-calls/recorded-call", test_recorded_call);
  g_test_add_func ("/api-calls/detail-errors", test_detail_errors);
  g_test_add_func ("/api-calls/pages", test_pages);
  g_test_add_func ("/api-calls/filters", test_filters);
  g_test_add_func ("/api-calls/bad-filters", test_bad_filters);
  g_test_add_func ("/api-calls/stats", test_stats);
  g_test_add_func ("/api-calls/outbound", test_outbound);
  g_test_add_func ("/api-calls/place-errors", test_place_errors);
  g_test_add_func ("/api-calls/hangup", test_hangup);
  g_test_add_func ("/api-calls/trunks", test_trunks);
  g_test_add_func ("/api-calls/no-database", test_no_database);
  env_start ();
  insert_bulk ();
  status = g_test_run ();
  env_stop ();
  return status;
}
