/* catalog.h — the agents, numbers and tools in the database, and the
 * configuration calls are given from them.
 *
 * The database holds every agent, number and tool: those talkingbits.conf
 * declares (provisioned at start and at each reload, marked
 * config_managed) and those made through the Web API. The catalog keeps
 * the Web API's view of them in memory (a catalog document, see
 * catalog-overlay.h), read again after every change, and builds the
 * configuration of new calls from the file and that document. Main
 * context only. */
#pragma once

#include "catalog-overlay.h"
#include "db.h"

G_BEGIN_DECLS

typedef struct _TbCatalog TbCatalog;

/* Told each time the document changed (after a write or a reload). */
typedef void (*TbCatalogChangedFunc) (TbCatalog *catalog, gpointer user_data);

TbCatalog *tb_catalog_new (TbDb *db);
void tb_catalog_free (TbCatalog *catalog);

void tb_catalog_set_changed_func (TbCatalog *catalog, TbCatalogChangedFunc func,
                                  gpointer user_data);

/* The file (and plugins) the configuration is built on: at start and after
 * each reload. Takes a reference to @config, the file's own, and copies
 * what it needs of @file. */
void tb_catalog_set_source (TbCatalog *catalog, TbConfigFile *file, TbConfig *config,
                            TbPluginRegistry *registry);

/* Writes what the file declares into the database (agents, their numbers
 * and tools, marked config_managed; rows the file no longer declares are
 * handed to the API: agents and tools kept unmarked, numbers removed) and
 * reads the document back, iterating the main context until done. */
gboolean tb_catalog_provision_sync (TbCatalog *catalog, GError **error);
/* The same, in the background (after a reload); the changed function is
 * told when done. */
void tb_catalog_provision (TbCatalog *catalog);

/* The file's own configuration (set by tb_catalog_set_source()). */
TbConfig *tb_catalog_get_file_config (TbCatalog *catalog);

/* The current document; owned by the catalog, valid until it changes. */
JsonObject *tb_catalog_get_doc (TbCatalog *catalog);
/* A row of the document by kind ("agents", "numbers", "tools") and name,
 * or NULL. */
JsonObject *tb_catalog_find (TbCatalog *catalog, const char *kind, const char *name);

/* The configuration for new calls: the file with the document's rows (rows
 * with problems left out, with a warning). */
TbConfig *tb_catalog_build_config (TbCatalog *catalog);
/* The configuration the document would give with @row (kind "agents",
 * "numbers" or "tools") in place of the row of the same name, or added.
 * NULL when @row has problems: they are added to @problems (the other
 * rows' problems are not). */
TbConfig *tb_catalog_try (TbCatalog *catalog, const char *kind, JsonObject *row,
                          GPtrArray *problems);

/* After a write: @rows is how many rows the statement changed (or
 * returned); @error is the statement's (TB_DB_ERROR_UNIQUE, ...). */
typedef void (*TbCatalogWriteFunc) (TbCatalog *catalog, guint rows, const GError *error,
                                    gpointer user_data);

/* Runs @sql (one statement, its parameters) and then reads the document
 * again; @func is told once the document is current (also after an
 * error: the document is read again all the same). */
void tb_catalog_write (TbCatalog *catalog, const char *sql, guint n_params,
                       const char *const *params, TbCatalogWriteFunc func, gpointer user_data);

/* An agent of the file as the API shows it. */
JsonNode *tb_catalog_agent_to_json (const TbAgentConfig *agent);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbCatalog, tb_catalog_free)

G_END_DECLS
