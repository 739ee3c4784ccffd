/* store.h — opening the daemon's database at start: where the migrations
 * are, whether a database is configured at all, and a connection brought
 * up to the newest schema before anything else runs. */
#pragma once

#include "db.h"

G_BEGIN_DECLS

/* TRUE when libpq would find a server without a conninfo: one of the PG*
 * variables that name a server or database is set. */
gboolean tb_store_env_configured (void);


/* Connects with @conninfo and applies the migrations of @schema_dir,
 * iterating the thread-default main context until that is done. NULL with
 * @error when the database cannot be reached (libpq's message) or a
 * migration failed (its file and PostgreSQL's message); on success the
 * connection stays up and is returned; @applied tells how many migrations
 * were applied (may be NULL). */
TbDb *tb_store_open_sync (const char *conninfo, const char *schema_dir, guint *applied,
                          GError **error);

G_END_DECLS
