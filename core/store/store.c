/* store.c — the database at start: configured or not, migrated before
 * the daemon serves anything (see store.h). */
#define G_LOG_DOMAIN "tb-store"

#include "store.h"

#include "config.h"
#include "migrate.h"

gboolean
tb_store_env_configured (void)
{
  static const char *const names[] = {
    "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", NULL
  };

  for (guint i = 0; names[i]; i++) {
    const char *value = g_getenv (names[i]);

    if (value && *value)
      return TRUE;
  }
  return FALSE;
}

typedef struct {
  gboolean done;
  guint applied;
  GError *error;
} Opening;

static void
on_state (TbDb *db, gboolean up, const char *message, gpointer user_data)
{
  Opening *o = user_data;

  if (!up && !o->done) {
    o->done = TRUE;
    o->error = g_error_new (TB_DB_ERROR, TB_DB_ERROR_DOWN, "database unreachable: %s", message);
  }
}

static void
on_migrated (guint applied, const GError *error, gpointer user_data)
{
  Opening *o = user_data;

  o->applied = applied;
  if (o->done)
    return;
  o->done = TRUE;
  if (error)
    o->error = g_error_copy (error);
}

TbDb *
tb_store_open_sync (const char *conninfo, const char *schema_dir, guint *applied,
                    GError **error)
{
  /* Declared before @db: a run cut short by an unreachable server ends
   * (cancelled, into on_migrated) when @db is freed. */
  Opening o = { 0 };
  g_autoptr(GPtrArray) migrations = tb_migrations_load (schema_dir, error);
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(TbDb) db = NULL;

  if (!migrations)
    return NULL;
  db = tb_db_new (conninfo, on_state, &o);
  tb_migrate (db, migrations, on_migrated, &o);
  while (!o.done)
    g_main_context_iteration (context, TRUE);
  tb_db_set_state_func (db, NULL, NULL);
  if (o.error) {
    g_propagate_error (error, o.error);
    return NULL;
  }
  if (applied)
    *applied = o.applied;
  return g_steal_pointer (&db);
}
