/* migrate.h — the database schema's migrations: files NNN_name.sql of a
 * directory, applied in order of NNN, each in its own transaction together
 * with its row in schema_version (version, name, applied_at). Applied ones
 * are skipped; a failing one is rolled back and stops the run, the error
 * naming the file and quoting PostgreSQL. A migration file holds plain SQL
 * statements and no BEGIN/COMMIT of its own. Concurrent runs (two daemons)
 * are serialised by a transaction-scoped advisory lock. */
#pragma once

#include "db.h"

G_BEGIN_DECLS

typedef struct {
  guint version;
  char *name;              /* "initial" of 001_initial.sql */
  char *file;              /* "001_initial.sql"            */
  char *sql;
} TbMigration;

/* The migrations of @dir, sorted by version (files that do not look like
 * NNN_name.sql are ignored). An error when @dir cannot be read, holds none,
 * or has two files with one version. */
GPtrArray *tb_migrations_load (const char *dir, GError **error);

/* @applied: migrations applied by this run; @error: NULL on success. */
typedef void (*TbMigrateFunc) (guint applied, const GError *error, gpointer user_data);

/* Applies the @migrations (from tb_migrations_load(), kept alive by the
 * run) that @db does not have yet; @func is called once, later, on the
 * main context. */
void tb_migrate (TbDb *db, GPtrArray *migrations, TbMigrateFunc func, gpointer user_data);

G_END_DECLS
