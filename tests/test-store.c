/* test-store.c — the PostgreSQL store against a real server (test-pg.h):
 * migrations from empty, re-run, a broken one rolled back, talkingbits
 * --migrate, SQL injection strings stored verbatim, and a connection that
 * survives a server restart. */
#include "migrate.h"
#include "store.h"
#include "test-pg.h"
#include "test-util.h"

#include <stdlib.h>
#include <string.h>

static TbTestPg *pg;

static char *
schemas_dir (void)
{
  return g_build_filename (TB_SOURCE_ROOT, "schemas", NULL);
}

static char *
psql_on (const char *conninfo, const char *sql)
{
  g_autofree char *err = NULL;
  char *out = tb_test_pg_psql (pg, conninfo, sql, &err);

  if (!out)
    g_error ("psql %s: %s", sql, err);
  return out;
}

static char *
psql (const char *sql)
{
  return psql_on (NULL, sql);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The migrations shipped in @dir, "N|name" lines in order, and how many. */
static char *
shipped_migrations (const char *dir, guint *count)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) lines = g_string_new (NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)))
    if (g_str_has_suffix (name, ".sql"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++) {
    const char *file = g_ptr_array_index (names, i);
    g_autofree char *stem = g_strndup (file + 4, strlen (file) - 8);

    g_string_append_printf (lines, "%s%u|%s|t", i ? "\n" : "", (guint) atoi (file), stem);
  }
  *count = names->len;
  return g_string_free (g_steal_pointer (&lines), FALSE);
}

static void
test_migrate_fresh_and_again (void)
{
  g_autofree char *dir = schemas_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TbDb) db = NULL;
  g_autofree char *versions = NULL;
  g_autofree char *tables = NULL;
  guint applied = 99, shipped = 0;
  g_autofree char *expected = shipped_migrations (dir, &shipped);
  g_autofree char *count = NULL;
  gint64 start = g_get_monotonic_time ();

  db = tb_store_open_sync (pg->conninfo, dir, &applied, &error);
  g_assert_no_error (error);
  g_assert_nonnull (db);
  g_assert_true (tb_db_is_up (db));
  g_assert_cmpuint (shipped, >=, 2);
  g_assert_cmpuint (applied, ==, shipped);
  g_test_message ("migrated from empty in %.0f ms",
                  (g_get_monotonic_time () - start) / 1000.0);
  versions = psql ("SELECT version, name, applied_at <= now() FROM schema_version ORDER BY 1");
  g_assert_cmpstr (versions, ==, expected);
  tables = psql ("SELECT string_agg(table_name, ',' ORDER BY table_name) FROM "
                 "information_schema.tables WHERE table_schema = 'public' AND table_name IN "
                 "('agent_tools','agents','appointments','calls','numbers','schema_version',"
                 "'tool_invocations','tools','turns')");
  g_assert_cmpstr (tables, ==, "agent_tools,agents,appointments,calls,numbers,schema_version,"
                               "tool_invocations,tools,turns");
  g_clear_pointer (&db, tb_db_free);

  /* Again: nothing to do, nothing recorded twice. */
  db = tb_store_open_sync (pg->conninfo, dir, &applied, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (applied, ==, 0);
  g_clear_pointer (&versions, g_free);
  versions = psql ("SELECT count(*) FROM schema_version");
  count = g_strdup_printf ("%u", shipped);
  g_assert_cmpstr (versions, ==, count);
}

static void
test_migrate_broken (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) load_error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tb-schemas-XXXXXX", &load_error);
  g_autofree char *source = schemas_dir ();
  g_autofree char *initial_path = g_build_filename (source, "001_initial.sql", NULL);
  g_autofree char *initial = NULL;
  g_autofree char *conninfo = tb_test_pg_create_database (pg, "broken");
  g_autofree char *path1 = NULL, *path2 = NULL;
  TbDb *db;
  guint applied = 0;

  g_assert_no_error (load_error);
  g_assert_true (g_file_get_contents (initial_path, &initial, NULL, NULL));
  path1 = tb_test_write_file (dir, "001_initial.sql", initial);
  path2 = tb_test_write_file (dir, "002_broken.sql",
                              "CREATE TABLE extra (id integer);\n"
                              "ALTER TABLE agents ADD COLUMN extra text;\n"
                              "INSERT INTO nowhere VALUES (1);\n");
  db = tb_store_open_sync (conninfo, dir, &applied, &error);
  g_assert_null (db);
  g_assert_error (error, TB_DB_ERROR, TB_DB_ERROR_QUERY);
  g_test_message ("error: %s", error->message);
  g_assert_true (tb_test_contains (error->message, "002_broken.sql"));
  g_assert_true (tb_test_contains (error->message, "relation \"nowhere\" does not exist"));

  /* 001 stays, nothing of 002 does. */
  {
    g_autofree char *check = psql_on (conninfo,
      "SELECT (SELECT string_agg(version::text, ',') FROM schema_version) || '/' || "
      "(SELECT count(*) FROM information_schema.tables WHERE table_name = 'extra') || '/' || "
      "(SELECT count(*) FROM information_schema.columns WHERE table_name = 'agents' "
      " AND column_name = 'extra') || '/' || "
      "(SELECT count(*) FROM information_schema.tables WHERE table_name = 'calls')");

    g_assert_cmpstr (check, ==, "1/0/0/1");
  }
  tb_test_remove_tree (dir);
}

/* talkingbits --migrate with the migrations of build/data/schemas. */
static void
test_migrate_command (void)
{
  g_autofree char *conninfo = tb_test_pg_create_database (pg, "cli");
  g_autofree char *dir = g_dir_make_tmp ("tb-store-XXXXXX", NULL);
  g_autofree char *conf_text = g_strdup_printf ("[database]\nconninfo=%s\n", conninfo);
  g_autofree char *conf = tb_test_write_file (dir, "talkingbits.conf", conf_text);
  const char *const argv[] = { TB_DAEMON, "--migrate", "--config", conf, NULL };
  g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
  g_autofree char *schemas = schemas_dir ();
  guint shipped = 0;
  g_autofree char *expected = shipped_migrations (schemas, &shipped);
  g_autofree char *applied = g_strdup_printf ("%u migrations applied", shipped);
  int status;

  status = tb_test_run (argv, "", &out, &err);
  g_test_message ("%s%s", out, err);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (tb_test_contains (out, applied));
  g_assert_true (tb_test_contains (err, "applied migration 001_initial.sql"));
  status = tb_test_run (argv, "", &out2, &err2);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (tb_test_contains (out2, "0 migrations applied"));
  {
    g_autofree char *versions = psql_on (conninfo,
                                         "SELECT version || ':' || name FROM schema_version "
                                         "ORDER BY version LIMIT 1");

    g_assert_cmpstr (versions, ==, "1:initial");
  }
  tb_test_remove_tree (dir);
}

/* The daemon does not start when its database is unreachable. */
static void
test_unreachable (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tb-store-XXXXXX", NULL);
  g_autofree char *conf_text = g_strdup_printf (
    "[database]\nconninfo=host=127.0.0.1 port=%u user=postgres connect_timeout=5\n",
    tb_test_free_port ());
  g_autofree char *conf = tb_test_write_file (dir, "talkingbits.conf", conf_text);
  const char *const argv[] = { TB_DAEMON, "--migrate", "--config", conf, NULL };
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (tb_test_run (argv, "", &out, &err), ==, 1);
  g_assert_true (tb_test_contains (err, "database unreachable"));
  tb_test_remove_tree (dir);
}

/* ---- queries ------------------------------------------------------------ */

typedef struct {
  gboolean done;
  GError *error;
  GPtrArray *rows;          /* char *: the row's fields joined by '|' */
  gint64 at;
} Reply;

static void
on_reply (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Reply *reply = user_data;

  g_assert_false (reply->done);
  reply->done = TRUE;
  reply->at = g_get_monotonic_time ();
  if (error) {
    reply->error = g_error_copy (error);
    return;
  }
  reply->rows = g_ptr_array_new_with_free_func (g_free);
  for (int r = 0; r < PQntuples (result); r++) {
    GString *row = g_string_new (NULL);

    for (int c = 0; c < PQnfields (result); c++)
      g_string_append_printf (row, "%s%s", c ? "|" : "", PQgetvalue (result, r, c));
    g_ptr_array_add (reply->rows, g_string_free (row, FALSE));
  }
}

static void
reply_clear (Reply *reply)
{
  g_clear_error (&reply->error);
  g_clear_pointer (&reply->rows, g_ptr_array_unref);
  reply->done = FALSE;
}

static void
wait_reply (Reply *reply, guint timeout_s)
{
  gint64 end = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  while (!reply->done && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (1000), TRUE);
  g_assert_true (reply->done);
}

static void
test_injection_verbatim (void)
{
  static const char *const nasty[] = {
    "'); DROP TABLE agents; --",
    "Robert'); DROP TABLE calls;--",
    "\\'; SELECT pg_sleep(10); --",
    "$1 $2 $$ $tag$ ; COMMIT; BEGIN",
    "\" OR \"1\"=\"1",
    "1; DELETE FROM schema_version",
    "E'\\x41' || chr(39) \\\\ \n\t\r ünïcødé ☎",
  };
  g_autofree char *dir = schemas_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TbDb) db = tb_store_open_sync (pg->conninfo, dir, NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (nasty); i++) {
    g_autofree char *name = g_strdup_printf ("inject%u", i);
    const char *const params[] = { name, nasty[i], nasty[i], NULL };
    const char *const lookup[] = { name };
    Reply reply = { 0 };

    tb_db_query (db, "INSERT INTO agents (name, greeting, system_prompt, voice) "
                 "VALUES ($1, $2, $3, coalesce($4, 'none'))", 4, params, on_reply, &reply);
    g_assert_false (reply.done); /* never from inside tb_db_query() */
    wait_reply (&reply, 10);
    g_assert_no_error (reply.error);
    reply_clear (&reply);

    tb_db_query (db, "SELECT greeting = system_prompt, greeting, voice FROM agents "
                 "WHERE name = $1", 1, lookup, on_reply, &reply);
    wait_reply (&reply, 10);
    g_assert_no_error (reply.error);
    g_assert_cmpuint (reply.rows->len, ==, 1);
    {
      g_autofree char *expected = g_strdup_printf ("t|%s|none", nasty[i]);

      g_assert_cmpstr (g_ptr_array_index (reply.rows, 0), ==, expected);
    }
    reply_clear (&reply);
  }
  {
    guint shipped = 0;
    g_autofree char *names = shipped_migrations (dir, &shipped);
    g_autofree char *expected = g_strdup_printf ("7/%u/0", shipped);
    g_autofree char *counts = psql ("SELECT (SELECT count(*) FROM agents WHERE name LIKE 'inject%') "
                                    "|| '/' || (SELECT count(*) FROM schema_version) || '/' || "
                                    "(SELECT count(*) FROM calls)");

    g_assert_cmpstr (counts, ==, expected);
  }
  /* A query the server refuses ends with its message. */
  {
    const char *const params[] = { "not a number" };
    Reply reply = { 0 };

    tb_db_query (db, "SELECT $1::integer", 1, params, on_reply, &reply);
    wait_reply (&reply, 10);
    g_assert_error (reply.error, TB_DB_ERROR, TB_DB_ERROR_QUERY);
    g_assert_true (tb_test_contains (reply.error->message, "invalid input syntax"));
    reply_clear (&reply);
  }
}

typedef struct {
  guint ups, downs;
  gboolean up;
  gint64 changed_at;
} States;

static void
on_state (TbDb *db, gboolean up, const char *message, gpointer user_data)
{
  States *states = user_data;

  states->up = up;
  states->changed_at = g_get_monotonic_time ();
  if (up)
    states->ups++;
  else
    states->downs++;
  g_test_message ("database %s%s%s", up ? "up" : "down", message ? ": " : "",
                  message ? message : "");
}

static void
iterate_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (1000), TRUE);
}

static void
test_server_restart (void)
{
  g_autoptr(TbDb) db = tb_db_new (pg->conninfo, NULL, NULL);
  States states = { 0 };
  Reply reply = { 0 };
  const char *const params[] = { "before" };
  const char *const params2[] = { "after" };
  guint64 session;
  gint64 stopped, started;

  tb_db_set_state_func (db, on_state, &states);
  tb_db_query (db, "SELECT $1::text", 1, params, on_reply, &reply);
  wait_reply (&reply, 10);
  g_assert_no_error (reply.error);
  g_assert_cmpstr (g_ptr_array_index (reply.rows, 0), ==, "before");
  g_assert_cmpuint (states.ups, ==, 1);
  session = tb_db_get_session (db);
  g_assert_cmpuint (session, !=, 0);
  reply_clear (&reply);

  /* A query pinned to this connection, then the server goes away. */
  tb_test_pg_stop (pg);
  stopped = g_get_monotonic_time ();
  tb_db_query_on (db, session, "SELECT 1", 0, NULL, on_reply, &reply);
  wait_reply (&reply, 10);
  g_assert_error (reply.error, TB_DB_ERROR, TB_DB_ERROR_DOWN);
  reply_clear (&reply);
  while (states.downs == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (tb_db_is_up (db));
  g_assert_cmpuint (tb_db_get_session (db), ==, 0);
  g_test_message ("down noticed %.0f ms after pg_ctl stop returned",
                  (states.changed_at - stopped) / 1000.0);

  /* Queued while down: it waits (the retries fail meanwhile). */
  tb_db_query (db, "SELECT $1::text", 1, params2, on_reply, &reply);
  iterate_for (2500);
  g_assert_false (reply.done);
  g_assert_cmpuint (tb_db_get_queue_length (db), ==, 1);
  g_assert_cmpuint (states.downs, ==, 1); /* told once per outage */

  tb_test_pg_start (pg);
  started = g_get_monotonic_time ();
  wait_reply (&reply, 60);
  g_assert_no_error (reply.error);
  g_assert_cmpstr (g_ptr_array_index (reply.rows, 0), ==, "after");
  g_assert_cmpuint (states.ups, ==, 2);
  g_assert_true (states.up);
  g_assert_cmpuint (tb_db_get_session (db), >, session);
  g_test_message ("reconnected %.0f ms after pg_ctl start returned (outage %.1f s); the "
                  "queued query answered %.0f ms after start",
                  (states.changed_at - started) / 1000.0, (started - stopped) / 1e6,
                  (reply.at - started) / 1000.0);
  reply_clear (&reply);
}

int
main (int argc, char **argv)
{
  int status;
  gint64 start;

  g_test_init (&argc, &argv, NULL);
  /* The connection warns when the server goes away, as the test makes it
   * (structured logging ignores g_test_log_set_fatal_handler()). */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  /* The daemon finds the migrations in build/data/schemas. */
  g_setenv ("TALKINGBITS_DATA_PATH", TB_BUILD_ROOT "/data", TRUE);
  start = g_get_monotonic_time ();
  pg = tb_test_pg_new ();
  g_test_message ("PostgreSQL up in %.1f s", (g_get_monotonic_time () - start) / 1e6);
  g_test_add_func ("/store/migrate/fresh-and-again", test_migrate_fresh_and_again);
  g_test_add_func ("/store/migrate/broken", test_migrate_broken);
  g_test_add_func ("/store/migrate/command", test_migrate_command);
  g_test_add_func ("/store/unreachable", test_unreachable);
  g_test_add_func ("/store/query/injection-verbatim", test_injection_verbatim);
  g_test_add_func ("/store/server-restart", test_server_restart);
  status = g_test_run ();
  g_clear_pointer (&pg, tb_test_pg_free);
  return status;
}
