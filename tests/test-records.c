/* test-records.c — call records through the write queue, against a real
 * PostgreSQL (test-pg.h) and the real daemon: tb-call calls an agent on the
 * scripted providers (tests/plugins/scripted-*.c) that books through a
 * tool; the call, its turns and its tool invocation are in the tables.
 * PostgreSQL stopped during calls: records wait in memory and in the
 * journal and are all written, once each, when it is back. A journal left
 * by a daemon stopped while the database was down is written by the next
 * start. */
#include "test-pg.h"
#include "test-server.h"
#include "test-tbcall-run.h"
#include "test-util.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <string.h>

static const char *const plugins[] = {
  "stt-scripted", "tts-scripted", "llm-scripted", "tool-scripted", NULL
};

/* What the caller says: quotes and SQL go in verbatim. */
#define CALLER_TEXT "book it for O'Brien'), (DROP TABLE calls --"

typedef struct {
  TbTestPg *pg;
  char *plugin_dir;
  char *journal_dir;
} Env;

static void
env_init (Env *e)
{
  g_autoptr(GError) error = NULL;

  e->pg = tb_test_pg_new ();
  e->plugin_dir = tb_test_plugin_dir_new (plugins);
  e->journal_dir = g_dir_make_tmp ("tb-journal-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
env_clear (Env *e)
{
  tb_test_pg_free (e->pg);
  tb_test_remove_tree (e->plugin_dir);
  tb_test_remove_tree (e->journal_dir);
  g_free (e->plugin_dir);
  g_free (e->journal_dir);
}

/* A daemon on the harness database whose agent "talker" on 2000 books
 * through the scripted tool; @memory records kept in memory. */
static void
start_daemon (Env *e, TbTestServer *s, guint memory)
{
  g_autofree char *groups = g_strdup_printf (
    "[agent:talker]\nnumbers=2000\nstt=scripted\ntts=scripted\nllm=scripted\ntools=scripted\n"
    "[stt:scripted]\ntranscripts=" CALLER_TEXT "\n"
    "[llm:scripted]\ntools=book=slow_tool:{\"day\":\"tuesday\"}\n"
    "[tool:scripted]\ndelay-ms=200\n"
    "[database]\nconninfo=%s\njournal-dir=%s\nqueue-memory=%u\n",
    e->pg->conninfo, e->journal_dir, memory);

  memset (s, 0, sizeof *s);
  s->plugin_path = e->plugin_dir;
  tb_test_server_start_full (s, "", "", groups);
}

/* One call: a greeting, the caller's words, the tool and its answer. */
static void
call (TbTestServer *s)
{
  g_autofree char *caller = g_build_filename (s->dir, "talk.wav", NULL);
  const guint bursts[] = { 2000, 2600, 0, 0 };
  const char *const args[] = { "--play", caller, "--hangup-after", "5.5", NULL };
  TbTestRun run = { 0 };

  tb_test_write_bursts (caller, 16000, 300.0, bursts, 4500);
  tb_test_run_tb_call (s, "2000", args, &run);
  g_assert_nonnull (run.json);
  tb_test_run_clear (&run);
}

static char *
psql (Env *e, const char *sql)
{
  g_autofree char *err = NULL;
  char *out = tb_test_pg_psql (e->pg, NULL, sql, &err);

  if (!out)
    g_error ("psql: %s\n%s", sql, err);
  return out;
}

static guint
count (Env *e, const char *sql)
{
  g_autofree char *out = psql (e, sql);

  return (guint) g_ascii_strtoull (out, NULL, 10);
}

/* Waits until @sql counts @n (or 90 s); the seconds it took. */
static double
wait_count (Env *e, const char *sql, guint n)
{
  gint64 start = g_get_monotonic_time ();
  guint got = 0;

  while (g_get_monotonic_time () - start < 90 * G_USEC_PER_SEC) {
    got = count (e, sql);
    if (got >= n)
      break;
    g_usleep (200 * 1000);
  }
  g_assert_cmpuint (got, ==, n);
  return (g_get_monotonic_time () - start) / 1e6;
}

static guint
journal_lines (Env *e)
{
  g_autofree char *path = g_build_filename (e->journal_dir, "records.jsonl", NULL);
  g_autofree char *text = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  for (const char *p = text; *p; p++)
    n += *p == '\n';
  return n;
}

/* The journal's lines once it holds @n: the end-of-call line is logged
 * before the record reaches the records thread, which writes it. */
static guint
wait_journal_lines (Env *e, guint n)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint lines;

  while ((lines = journal_lines (e)) != n && g_get_monotonic_time () < end)
    g_usleep (10000);
  return lines;
}

static JsonObject *
parse (JsonParser *parser, const char *json)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  return json_node_get_object (json_parser_get_root (parser));
}

/* Every call of @ends is in the tables once, with 3 turns and 1 tool. */
static void
assert_recorded (Env *e, GPtrArray *ends)
{
  for (guint i = 0; i < ends->len; i++) {
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonObject *end = parse (parser, g_ptr_array_index (ends, i));
    const char *id = json_object_get_string_member (end, "id");
    g_autofree char *calls = g_strdup_printf ("SELECT count(*) FROM calls WHERE id = '%s'", id);
    g_autofree char *turns = g_strdup_printf (
      "SELECT string_agg(sequence || ':' || role, ',' ORDER BY sequence) FROM turns "
      "WHERE call_id = '%s'", id);
    g_autofree char *tools = g_strdup_printf (
      "SELECT count(*) FROM tool_invocations WHERE call_id = '%s'", id);
    g_autofree char *got_turns = NULL;

    g_assert_cmpuint (count (e, calls), ==, 1);
    got_turns = psql (e, turns);
    g_assert_cmpstr (got_turns, ==, "1:agent,2:caller,3:agent");
    g_assert_cmpuint (count (e, tools), ==, 1);
  }
  g_assert_cmpuint (count (e, "SELECT count(*) FROM calls"), ==, ends->len);
  g_assert_cmpuint (count (e, "SELECT count(*) FROM turns"), ==, 3 * ends->len);
  g_assert_cmpuint (count (e, "SELECT count(*) FROM tool_invocations"), ==, ends->len);
}

/* One call: its row, turns and tool invocation with the right values. */
static void
test_call (void)
{
  Env e = { 0 };
  TbTestServer s;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *end_text = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *row = NULL;
  g_autofree char *expected = NULL;
  JsonObject *end, *turn, *run;
  double took;

  env_init (&e);
  start_daemon (&e, &s, 1000);
  call (&s);
  end_text = tb_test_server_wait_call_end (&s);
  end = parse (parser, end_text);
  took = wait_count (&e, "SELECT count(*) FROM tool_invocations", 1);
  g_test_message ("call recorded %.2f s after the end-of-call line was found", took);

  sql = g_strdup_printf (
    "SELECT agent_name, direction, to_number, sip_call_id, end_reason, "
    "answered_at IS NOT NULL, ended_at >= answered_at, answered_at >= started_at, "
    "round(extract(epoch FROM ended_at - started_at) * 1000) FROM calls WHERE id = '%s'",
    json_object_get_string_member (end, "id"));
  row = psql (&e, sql);
  expected = g_strdup_printf ("talker|inbound|2000|%s|%s|t|t|t|%" G_GINT64_FORMAT,
                              json_object_get_string_member (end, "sip_call_id"),
                              json_object_get_string_member (end, "end_reason"),
                              json_object_get_int_member (end, "duration_ms"));
  g_assert_cmpstr (row, ==, expected);
  g_clear_pointer (&row, g_free);
  g_clear_pointer (&expected, g_free);

  /* The caller's words verbatim, the reply with its latencies. */
  turn = json_array_get_object_element (json_object_get_array_member (end, "turns"), 1);
  row = psql (&e, "SELECT text, speech_start_ms, speech_end_ms, stt_final_ms FROM turns "
                  "WHERE role = 'caller'");
  expected = g_strdup_printf ("%s|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT,
                              CALLER_TEXT, json_object_get_int_member (turn, "speech_start_ms"),
                              json_object_get_int_member (turn, "speech_end_ms"),
                              json_object_get_int_member (turn, "stt_final_ms"));
  g_assert_cmpstr (row, ==, expected);
  g_clear_pointer (&row, g_free);
  g_clear_pointer (&expected, g_free);
  row = psql (&e, "SELECT text, llm_first_token_ms, response_ms, interrupted FROM turns "
                  "WHERE sequence = 3");
  expected = g_strdup_printf ("%s|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT "|f",
                              json_object_get_string_member (turn, "agent"),
                              json_object_get_int_member (turn, "llm_first_token_ms"),
                              json_object_get_int_member (turn, "response_ms"));
  g_assert_cmpstr (row, ==, expected);
  g_clear_pointer (&row, g_free);
  g_clear_pointer (&expected, g_free);
  g_assert_nonnull (strstr (json_object_get_string_member (turn, "agent"), "tuesday"));

  /* The tool, on the agent's row of that turn. */
  run = json_array_get_object_element (json_object_get_array_member (turn, "tools"), 0);
  row = psql (&e, "SELECT i.tool_name, i.arguments->>'day', i.status, i.latency_ms, i.reply, "
                  "t.sequence FROM tool_invocations i JOIN turns t ON t.id = i.turn_id");
  expected = g_strdup_printf ("slow_tool|tuesday|ok|%" G_GINT64_FORMAT "|%s|3",
                              json_object_get_int_member (run, "ms"),
                              json_object_get_string_member (run, "result"));
  g_assert_cmpstr (row, ==, expected);
  tb_test_server_stop (&s);
  env_clear (&e);
}

/* PostgreSQL stops during calls: 2 records in memory, the others in the
 * journal; all written once when it is back, the journal emptied. */
static void
test_outage (void)
{
  Env e = { 0 };
  TbTestServer s;
  g_autoptr(GPtrArray) ends = NULL;
  gint64 back;
  double took;

  env_init (&e);
  start_daemon (&e, &s, 2);
  call (&s);
  wait_count (&e, "SELECT count(*) FROM calls", 1);

  tb_test_pg_stop (e.pg);
  for (guint i = 0; i < 4; i++)
    call (&s);
  ends = tb_test_server_wait_call_ends (&s, 5, 30);
  g_assert_cmpuint (ends->len, ==, 5);
  /* Calls 2 and 3 in memory, 4 and 5 in the journal. */
  g_assert_cmpuint (wait_journal_lines (&e, 2), ==, 2);

  back = g_get_monotonic_time ();
  tb_test_pg_start (e.pg);
  took = wait_count (&e, "SELECT count(*) FROM calls", 5);
  g_test_message ("after PostgreSQL was back: 5 calls in %.2f s (the reconnection backs off "
                  "up to 30 s)", took);
  wait_count (&e, "SELECT count(*) FROM tool_invocations", 5);
  g_test_message ("every record written %.2f s after the restart",
                  (g_get_monotonic_time () - back) / 1e6);
  /* Nothing more comes. */
  g_usleep (G_USEC_PER_SEC);
  assert_recorded (&e, ends);
  g_assert_cmpuint (journal_lines (&e), ==, 0);
  tb_test_server_stop (&s);
  env_clear (&e);
}

/* A daemon stopped while the database is down leaves its records in the
 * journal (memory first, in order); the next start writes them. */
static void
test_journal_replay (void)
{
  Env e = { 0 };
  TbTestServer s;
  g_autoptr(GPtrArray) ends = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  env_init (&e);
  start_daemon (&e, &s, 1);
  tb_test_pg_stop (e.pg);
  call (&s);
  call (&s);
  ends = tb_test_server_wait_call_ends (&s, 2, 30);
  g_assert_cmpuint (ends->len, ==, 2);
  g_assert_cmpuint (wait_journal_lines (&e, 1), ==, 1);
  tb_test_server_stop (&s);

  /* The one in memory went to the journal, before the one there. */
  path = g_build_filename (e.journal_dir, "records.jsonl", NULL);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  for (guint i = 0; i < 2; i++) {
    g_autoptr(JsonParser) a = json_parser_new ();
    g_autoptr(JsonParser) b = json_parser_new ();

    g_assert_cmpstr (json_object_get_string_member (parse (a, lines[i]), "id"), ==,
                     json_object_get_string_member (parse (b, g_ptr_array_index (ends, i)),
                                                    "id"));
  }

  tb_test_pg_start (e.pg);
  start_daemon (&e, &s, 1);
  wait_count (&e, "SELECT count(*) FROM tool_invocations", 2);
  g_usleep (G_USEC_PER_SEC);
  assert_recorded (&e, ends);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  tb_test_server_stop (&s);
  env_clear (&e);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  /* The daemon finds the migrations in build/data/schemas. */
  g_setenv ("TALKINGBITS_DATA_PATH", TB_BUILD_ROOT "/data", TRUE);
  g_test_add_func ("/records/call", test_call);
  g_test_add_func ("/records/outage", test_outage);
  g_test_add_func ("/records/journal-replay", test_journal_replay);
  return g_test_run ();
}
