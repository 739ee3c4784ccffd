/* migrate.c — applying the schema migrations, one transaction each:
 * BEGIN, the advisory lock, schema_version made if missing, the version
 * looked up, the file's SQL, its schema_version row, COMMIT. */
#define G_LOG_DOMAIN "tb-migrate"

#include "migrate.h"

#include <stdlib.h>

/* Held by the transaction of each migration: one migrating process at a
 * time ("tbschem" in ASCII). */
#define LOCK_SQL "SELECT pg_advisory_xact_lock(32771246175299949)"

static void
migration_free (TbMigration *m)
{
  g_free (m->name);
  g_free (m->file);
  g_free (m->sql);
  g_free (m);
}

static int
compare_versions (gconstpointer a, gconstpointer b)
{
  const TbMigration *ma = *(TbMigration *const *) a;
  const TbMigration *mb = *(TbMigration *const *) b;

  return (ma->version > mb->version) - (ma->version < mb->version);
}

GPtrArray *
tb_migrations_load (const char *dir, GError **error)
{
  g_autoptr(GPtrArray) migrations = g_ptr_array_new_with_free_func ((GDestroyNotify) migration_free);
  g_autoptr(GRegex) pattern = g_regex_new ("^([0-9]{3})_([A-Za-z0-9_-]+)\\.sql$", 0, 0, NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, error);
  const char *name;

  if (!d) {
    g_prefix_error (error, "migrations: ");
    return NULL;
  }
  while ((name = g_dir_read_name (d))) {
    g_autoptr(GMatchInfo) match = NULL;
    g_autofree char *path = NULL;
    g_autofree char *number = NULL;
    TbMigration *m;

    if (!g_regex_match (pattern, name, 0, &match))
      continue;
    m = g_new0 (TbMigration, 1);
    number = g_match_info_fetch (match, 1);
    m->version = (guint) strtoul (number, NULL, 10);
    m->name = g_match_info_fetch (match, 2);
    m->file = g_strdup (name);
    g_ptr_array_add (migrations, m);
    path = g_build_filename (dir, name, NULL);
    if (!g_file_get_contents (path, &m->sql, NULL, error))
      return NULL;
  }
  if (migrations->len == 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no migrations (NNN_name.sql) in %s",
                 dir);
    return NULL;
  }
  g_ptr_array_sort (migrations, compare_versions);
  for (guint i = 1; i < migrations->len; i++) {
    const TbMigration *a = g_ptr_array_index (migrations, i - 1);
    const TbMigration *b = g_ptr_array_index (migrations, i);

    if (a->version == b->version) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                   "migrations %s and %s in %s have the same version", a->file, b->file, dir);
      return NULL;
    }
  }
  return g_steal_pointer (&migrations);
}

/* ---- a run -------------------------------------------------------------- */

typedef struct {
  TbDb *db;
  GPtrArray *migrations;
  guint index;
  guint applied;
  guint64 session;          /* of the current transaction */
  GError *error;            /* the failure being rolled back */
  TbMigrateFunc func;
  gpointer user_data;
} Run;

static void next_migration (Run *run);

static TbMigration *
current (Run *run)
{
  return g_ptr_array_index (run->migrations, run->index);
}

static void
finish (Run *run, const GError *error)
{
  run->func (run->applied, error, run->user_data);
  g_ptr_array_unref (run->migrations);
  g_clear_error (&run->error);
  g_free (run);
}

static void
on_rollback (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Run *run = user_data;

  /* When the connection is gone, the server has rolled back already. */
  finish (run, run->error);
}

/* Ends the run with @message about the current migration, rolling its
 * transaction back first when it is open. */
static void
fail (Run *run, const GError *error)
{
  TbMigration *m = current (run);

  run->error = g_error_new (error->domain, error->code, "migration %s failed: %s", m->file,
                            error->message);
  if (run->session && tb_db_get_session (run->db) == run->session) {
    tb_db_query_on (run->db, run->session, "ROLLBACK", 0, NULL, on_rollback, run);
    return;
  }
  finish (run, run->error);
}

static void
on_commit (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Run *run = user_data;

  if (error) {
    fail (run, error);
    return;
  }
  run->session = 0;
  run->index++;
  next_migration (run);
}

static void
on_recorded (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Run *run = user_data;

  if (error) {
    fail (run, error);
    return;
  }
  g_message ("applied migration %s", current (run)->file);
  run->applied++;
  tb_db_query_on (db, run->session, "COMMIT", 0, NULL, on_commit, run);
}

static void
on_applied (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Run *run = user_data;
  TbMigration *m = current (run);
  g_autofree char *version = NULL;

  if (error) {
    fail (run, error);
    return;
  }
  version = g_strdup_printf ("%u", m->version);
  {
    const char *const params[] = { version, m->name };

    tb_db_query_on (db, run->session,
                    "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
                    2, params, on_recorded, run);
  }
}

static void
on_looked_up (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Run *run = user_data;

  if (error) {
    fail (run, error);
    return;
  }
  if (PQntuples (result) > 0) {
    g_debug ("migration %s is applied already", current (run)->file);
    tb_db_query_on (db, run->session, "COMMIT", 0, NULL, on_commit, run);
    return;
  }
  tb_db_script_on (db, run->session, current (run)->sql, on_applied, run);
}

static void
on_table (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Run *run = user_data;
  g_autofree char *version = NULL;

  if (error) {
    fail (run, error);
    return;
  }
  version = g_strdup_printf ("%u", current (run)->version);
  {
    const char *const params[] = { version };

    tb_db_query_on (db, run->session, "SELECT 1 FROM schema_version WHERE version = $1",
                    1, params, on_looked_up, run);
  }
}

static void
on_locked (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Run *run = user_data;

  if (error) {
    fail (run, error);
    return;
  }
  tb_db_query_on (db, run->session,
                  "CREATE TABLE IF NOT EXISTS schema_version ("
                  " version integer PRIMARY KEY,"
                  " name text NOT NULL,"
                  " applied_at timestamptz NOT NULL DEFAULT now())",
                  0, NULL, on_table, run);
}

static void
on_begun (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Run *run = user_data;

  if (error) {
    fail (run, error);
    return;
  }
  run->session = tb_db_get_session (db);
  tb_db_query_on (db, run->session, LOCK_SQL, 0, NULL, on_locked, run);
}

static void
next_migration (Run *run)
{
  if (run->index == run->migrations->len) {
    finish (run, NULL);
    return;
  }
  tb_db_query (run->db, "BEGIN", 0, NULL, on_begun, run);
}

void
tb_migrate (TbDb *db, GPtrArray *migrations, TbMigrateFunc func, gpointer user_data)
{
  Run *run = g_new0 (Run, 1);

  run->db = db;
  run->migrations = g_ptr_array_ref (migrations);
  run->func = func;
  run->user_data = user_data;
  /* BEGIN is queued: the first callback comes from the main context. */
  next_migration (run);
}
