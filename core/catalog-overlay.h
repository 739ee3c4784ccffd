/* catalog-overlay.h — the configuration calls run with: talkingbits.conf
 * plus the agents, numbers and tools of the database catalog.
 *
 * A catalog document is the Web API's view of the catalog:
 *   {"agents": [Agent], "numbers": [Number], "tools": [Tool]}
 * (see schemas/openapi.json). Rows marked config_managed come from the
 * file and are left to it. The others become keyfile groups added to a
 * copy of the file, so that they are checked by the same code, with the
 * same messages, as the file itself:
 *   an agent        -> [agent:NAME] (JSON fields as keys: endpointing_ms
 *                      -> endpointing-ms), its inbound numbers in numbers=
 *   provider options (stt_options: {"P": {...}}) -> a provider group of
 *                      the agent's own, [stt:NAME.P], with the settings of
 *                      [stt:P] (or plugin P's defaults) and these over them
 *   a tool          -> [tool:NAME] with plugin= and its settings
 * Problems in those groups are reported back by field of the JSON
 * ("endpointing_ms", "stt_options.pocketsphinx.keywords", "url"). */
#pragma once

#include "config.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A problem of the catalog: which row (kind "agent", "number" or "tool",
 * and its name) and which field of it. */
typedef struct {
  char *kind;
  char *name;
  char *field;             /* NULL: the row as a whole */
  char *message;
} TbCatalogProblem;

void tb_catalog_problem_free (TbCatalogProblem *problem);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbCatalogProblem, tb_catalog_problem_free)

/* The configuration of @file with @doc's rows. NULL when a row has a
 * problem: each is added to @problems (TbCatalogProblem *); a problem
 * that names no row (the file itself) has kind NULL. */
TbConfig *tb_catalog_overlay (TbConfigFile *file, TbPluginRegistry *registry, JsonObject *doc,
                              GPtrArray *problems);

/* The same, leaving out the rows that have problems (and the agents that
 * use a tool left out), each named in a warning; with no row left that
 * works, the file alone. Never NULL for a file that is valid alone. */
TbConfig *tb_catalog_overlay_lenient (TbConfigFile *file, TbPluginRegistry *registry,
                                      JsonObject *doc);

/* A copy of @doc that can be changed without changing @doc (a JsonNode
 * holding an object). */
JsonNode *tb_catalog_doc_copy (JsonObject *doc);

/* Whether @field of an API object is a JSON value of the config @type;
 * the reason when not. */
gboolean tb_catalog_check_json_type (JsonNode *value, TbConfigType type, char **why);

G_END_DECLS
