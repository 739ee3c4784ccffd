/* catalog.c — the database's agents, numbers and tools: provisioning from
 * talkingbits.conf, the in-memory document, writes, and the configuration
 * new calls get. */
#define G_LOG_DOMAIN "tb-catalog"

#include "catalog.h"

#include "catalog-sql.h"

#include <string.h>

struct _TbCatalog {
  TbDb *db;
  JsonNode *doc;               /* the document, an object */
  TbCatalogChangedFunc changed;
  gpointer changed_data;
  TbConfigFile *file;          /* a copy of the file calls are built on */
  TbConfig *config;            /* the file's own configuration */
  TbPluginRegistry *registry;
  guint busy;                  /* writes and loads in flight */
  gboolean freeing;
};

/* ---- the document ------------------------------------------------------ */

static JsonNode *
empty_doc (void)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  for (guint i = 0; i < 3; i++) {
    json_builder_set_member_name (b, (const char *const[]) { "agents", "numbers", "tools" }[i]);
    json_builder_begin_array (b);
    json_builder_end_array (b);
  }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonObject *
tb_catalog_get_doc (TbCatalog *catalog)
{
  return json_node_get_object (catalog->doc);
}

static const char *
key_member (const char *kind)
{
  return g_str_equal (kind, "numbers") ? "number" : "name";
}

JsonObject *
tb_catalog_find (TbCatalog *catalog, const char *kind, const char *name)
{
  JsonArray *rows = json_object_get_array_member (tb_catalog_get_doc (catalog), kind);

  for (guint i = 0; rows && i < json_array_get_length (rows); i++) {
    JsonObject *row = json_array_get_object_element (rows, i);

    if (g_strcmp0 (json_object_get_string_member_with_default (row, key_member (kind), NULL),
                   name) == 0)
      return row;
  }
  return NULL;
}

typedef struct {
  TbCatalog *catalog;
  TbCatalogWriteFunc func;     /* NULL: a load of its own */
  gpointer user_data;
  guint rows;
  GError *error;
} Load;

static void
load_finish (Load *load)
{
  TbCatalog *catalog = load->catalog;

  if (!catalog->freeing && catalog->changed)
    catalog->changed (catalog, catalog->changed_data);
  if (load->func)
    load->func (catalog, load->rows, load->error, load->user_data);
  g_clear_error (&load->error);
  g_free (load);
}

static void
on_loaded (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Load *load = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) parse_error = NULL;

  if (error) {
    if (!load->catalog->freeing)
      g_warning ("the catalog could not be read: %s", error->message);
    if (!load->error)
      load->error = g_error_copy (error);
  } else if (PQntuples (result) != 1 ||
             !json_parser_load_from_data (parser, PQgetvalue (result, 0, 0), -1, &parse_error) ||
             !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_warning ("the catalog could not be read: %s",
               parse_error ? parse_error->message : "not one JSON object");
  } else {
    json_node_unref (load->catalog->doc);
    load->catalog->doc = json_parser_steal_root (parser);
  }
  load->catalog->busy--;
  load_finish (load);
}

static void
load (Load *l)
{
  l->catalog->busy++;
  tb_db_query (l->catalog->db, TB_CATALOG_SQL_LOAD, 0, NULL, on_loaded, l);
}

/* ---- life -------------------------------------------------------------- */

TbCatalog *
tb_catalog_new (TbDb *db)
{
  TbCatalog *catalog = g_new0 (TbCatalog, 1);

  catalog->db = db;
  catalog->doc = empty_doc ();
  return catalog;
}

void
tb_catalog_free (TbCatalog *catalog)
{
  GMainContext *context = g_main_context_get_thread_default ();

  if (!catalog)
    return;
  /* Queries in flight end (with the database, or cancelled when it is
   * freed first) before their state goes. */
  catalog->freeing = TRUE;
  catalog->changed = NULL;
  while (catalog->busy && tb_db_get_queue_length (catalog->db))
    g_main_context_iteration (context, TRUE);
  json_node_unref (catalog->doc);
  g_clear_pointer (&catalog->file, tb_config_file_free);
  g_clear_pointer (&catalog->config, tb_config_unref);
  g_free (catalog);
}

void
tb_catalog_set_changed_func (TbCatalog *catalog, TbCatalogChangedFunc func, gpointer user_data)
{
  catalog->changed = func;
  catalog->changed_data = user_data;
}

void
tb_catalog_set_source (TbCatalog *catalog, TbConfigFile *file, TbConfig *config,
                       TbPluginRegistry *registry)
{
  g_clear_pointer (&catalog->file, tb_config_file_free);
  catalog->file = tb_config_file_new_from_data (file->path, file->text, NULL);
  g_clear_pointer (&catalog->config, tb_config_unref);
  catalog->config = tb_config_ref (config);
  catalog->registry = registry;
}

TbConfig *
tb_catalog_get_file_config (TbCatalog *catalog)
{
  return catalog->config;
}

/* ---- configurations ----------------------------------------------------- */

TbConfig *
tb_catalog_build_config (TbCatalog *catalog)
{
  return tb_catalog_overlay_lenient (catalog->file, catalog->registry,
                                     tb_catalog_get_doc (catalog));
}

static gboolean
problem_is_about (TbCatalogProblem *p, const char *kind, JsonObject *row)
{
  const char *name = json_object_get_string_member_with_default (row, key_member (kind), "");

  if (!p->kind)
    return FALSE;
  if (g_str_equal (kind, "agents"))
    return g_str_equal (p->kind, "agent") && g_strcmp0 (p->name, name) == 0;
  if (g_str_equal (kind, "tools"))
    return g_str_equal (p->kind, "tool") && g_strcmp0 (p->name, name) == 0;
  /* A number: its own problems, and the numbers of its agent. */
  {
    const char *agent = json_object_get_string_member_with_default (row, "agent", "");

    return (g_str_equal (p->kind, "number") && g_strcmp0 (p->name, name) == 0) ||
           (g_str_equal (p->kind, "numbers-of") && g_strcmp0 (p->name, agent) == 0) ||
           (g_str_equal (p->kind, "agent") && g_strcmp0 (p->name, agent) == 0 &&
            g_strcmp0 (p->field, "numbers") == 0);
  }
}

TbConfig *
tb_catalog_try (TbCatalog *catalog, const char *kind, JsonObject *row, GPtrArray *problems)
{
  g_autoptr(JsonNode) copy = tb_catalog_doc_copy (tb_catalog_get_doc (catalog));
  JsonObject *doc = json_node_get_object (copy);
  JsonArray *rows = json_object_get_array_member (doc, kind);
  const char *name = json_object_get_string_member_with_default (row, key_member (kind), "");
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (
    (GDestroyNotify) tb_catalog_problem_free);
  TbConfig *config;
  guint before = problems->len;

  for (guint i = json_array_get_length (rows); i-- > 0;) {
    JsonObject *other = json_array_get_object_element (rows, i);

    if (g_strcmp0 (json_object_get_string_member_with_default (other, key_member (kind), NULL),
                   name) == 0)
      json_array_remove_element (rows, i);
  }
  json_array_add_object_element (rows, json_object_ref (row));
  config = tb_catalog_overlay (catalog->file, catalog->registry, doc, all);
  if (config)
    return config;
  for (guint i = 0; i < all->len; i++) {
    TbCatalogProblem *p = g_ptr_array_index (all, i);

    if (problem_is_about (p, kind, row))
      g_ptr_array_add (problems, g_steal_pointer (&all->pdata[i]));
  }
  if (problems->len > before)
    return NULL;
  /* Only other rows have problems: they are left out, this one is used. */
  return tb_catalog_overlay_lenient (catalog->file, catalog->registry, doc);
}

/* ---- writes ------------------------------------------------------------- */

static void
on_written (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Load *l = user_data;

  l->catalog->busy--;
  if (error) {
    l->error = g_error_copy (error);
  } else {
    const char *tuples = PQcmdTuples (result);

    l->rows = PQresultStatus (result) == PGRES_TUPLES_OK ? (guint) PQntuples (result)
              : (guint) g_ascii_strtoull (tuples, NULL, 10);
  }
  if (l->catalog->freeing)
    load_finish (l);
  else
    load (l);
}

void
tb_catalog_write (TbCatalog *catalog, const char *sql, guint n_params,
                  const char *const *params, TbCatalogWriteFunc func, gpointer user_data)
{
  Load *l = g_new0 (Load, 1);

  l->catalog = catalog;
  l->func = func;
  l->user_data = user_data;
  catalog->busy++;
  tb_db_query (catalog->db, sql, n_params, params, on_written, l);
}

/* ---- provisioning ------------------------------------------------------- */

static void
add_strv (JsonBuilder *b, const char *name, char **strv)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; strv && strv[i]; i++)
    json_builder_add_string_value (b, strv[i]);
  json_builder_end_array (b);
}

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value ? value : "");
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

JsonNode *
tb_catalog_agent_to_json (const TbAgentConfig *agent)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_string (b, "name", agent->name);
  add_string (b, "greeting", agent->greeting);
  add_string (b, "system_prompt", agent->system_prompt);
  add_string (b, "language", agent->language);
  add_string (b, "voice", agent->voice);
  add_strv (b, "stt", agent->stt);
  add_strv (b, "tts", agent->tts);
  add_strv (b, "llm", agent->llm);
  add_strv (b, "tools", agent->tools);
  json_builder_set_member_name (b, "speaking_rate");
  json_builder_add_double_value (b, agent->speaking_rate);
  add_int (b, "answer_delay_ms", agent->answer_delay_ms);
  add_int (b, "endpointing_ms", agent->endpointing_ms);
  add_int (b, "barge_in_min_ms", agent->barge_in_min_ms);
  json_builder_set_member_name (b, "interruptible");
  json_builder_add_boolean_value (b, agent->interruptible);
  add_int (b, "filler_after_ms", agent->filler_after_ms);
  add_strv (b, "fillers", agent->fillers);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* A tool provider of the file: its plugin and the settings written in its
 * group (secrets by the name of their variable only). */
static void
add_file_tool (JsonBuilder *b, GKeyFile *keyfile, const TbProviderConfig *provider)
{
  g_auto(GStrv) keys = g_key_file_has_group (keyfile, provider->group)
                       ? g_key_file_get_keys (keyfile, provider->group, NULL, NULL) : NULL;
  g_autoptr(JsonBuilder) options = json_builder_new ();
  gboolean described = FALSE;

  json_builder_begin_object (b);
  add_string (b, "name", provider->name);
  add_string (b, "plugin", provider->plugin->desc->name);
  json_builder_begin_object (options);
  for (guint i = 0; keys && keys[i]; i++) {
    const char *key = keys[i];
    g_autofree char *raw = g_key_file_get_value (keyfile, provider->group, key, NULL);
    g_autofree char *text = g_key_file_get_string (keyfile, provider->group, key, NULL);
    const char *value = text ? text : raw;

    if (g_str_equal (key, "plugin"))
      continue;
    if (g_str_equal (key, "url") || g_str_equal (key, "function") ||
        g_str_equal (key, "description")) {
      add_string (b, key, value);
      described |= g_str_equal (key, "description");
    } else if (g_str_equal (key, "secret-env")) {
      add_string (b, "secret_env", g_strstrip (raw));
    } else if (g_str_equal (key, "timeout-ms")) {
      add_int (b, "timeout_ms", g_ascii_strtoll (raw, NULL, 10));
    } else if (g_str_equal (key, "parameters")) {
      g_autoptr(JsonParser) parser = json_parser_new ();

      json_builder_set_member_name (b, "parameters");
      if (json_parser_load_from_data (parser, value, -1, NULL))
        json_builder_add_value (b, json_parser_steal_root (parser));
      else
        json_builder_add_null_value (b);
    } else {
      add_string (options, key, value);
    }
  }
  json_builder_end_object (options);
  if (!described)
    add_string (b, "description", provider->plugin->desc->description);
  json_builder_set_member_name (b, "options");
  json_builder_add_value (b, json_builder_get_root (options));
  json_builder_end_object (b);
}

/* What the file declares, as a catalog document. */
static char *
file_doc (TbCatalog *catalog)
{
  TbConfig *config = catalog->config;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "agents");
  json_builder_begin_array (b);
  for (guint i = 0; i < config->agents->len; i++)
    json_builder_add_value (b, tb_catalog_agent_to_json (g_ptr_array_index (config->agents, i)));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "tools");
  json_builder_begin_array (b);
  for (guint i = 0; i < config->providers->len; i++) {
    const TbProviderConfig *provider = g_ptr_array_index (config->providers, i);

    if (provider->kind == TB_PLUGIN_KIND_TOOL)
      add_file_tool (b, catalog->file->keyfile, provider);
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "numbers");
  json_builder_begin_array (b);
  for (guint i = 0; i < config->agents->len; i++) {
    const TbAgentConfig *agent = g_ptr_array_index (config->agents, i);

    for (guint j = 0; agent->numbers[j]; j++) {
      json_builder_begin_object (b);
      add_string (b, "number", agent->numbers[j]);
      add_string (b, "agent", agent->name);
      json_builder_end_object (b);
    }
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static const char *const provision_sql[] = {
  "BEGIN",
  /* Tools */
  "INSERT INTO tools (name, " TB_CATALOG_SQL_TOOL_COLUMNS ", config_managed)"
  " SELECT t->>'name', " TB_CATALOG_SQL_TOOL_VALUES ", true"
  " FROM jsonb_array_elements($1::jsonb->'tools') t"
  " ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description,"
  " parameters = EXCLUDED.parameters, plugin = EXCLUDED.plugin, url = EXCLUDED.url,"
  " secret_env = EXCLUDED.secret_env, timeout_ms = EXCLUDED.timeout_ms,"
  " function_name = EXCLUDED.function_name, options = EXCLUDED.options,"
  " config_managed = true, updated_at = now()",
  "UPDATE tools SET config_managed = false, updated_at = now() WHERE config_managed"
  " AND name NOT IN (SELECT t->>'name' FROM jsonb_array_elements($1::jsonb->'tools') t)",
  /* Agents */
  "INSERT INTO agents (name, " TB_CATALOG_SQL_AGENT_COLUMNS ", config_managed)"
  " SELECT j->>'name', " TB_CATALOG_SQL_AGENT_VALUES ", true"
  " FROM jsonb_array_elements($1::jsonb->'agents') j"
  " ON CONFLICT (name) DO UPDATE SET (" TB_CATALOG_SQL_AGENT_COLUMNS ", config_managed,"
  " updated_at) = (SELECT EXCLUDED.greeting, EXCLUDED.system_prompt, EXCLUDED.language,"
  " EXCLUDED.voice, EXCLUDED.stt, EXCLUDED.tts, EXCLUDED.llm, EXCLUDED.stt_options,"
  " EXCLUDED.tts_options, EXCLUDED.llm_options, EXCLUDED.speaking_rate,"
  " EXCLUDED.answer_delay_ms, EXCLUDED.endpointing_ms, EXCLUDED.barge_in_min_ms,"
  " EXCLUDED.interruptible, EXCLUDED.filler_after_ms, EXCLUDED.fillers, true, now())",
  "UPDATE agents SET config_managed = false, updated_at = now() WHERE config_managed"
  " AND name NOT IN (SELECT j->>'name' FROM jsonb_array_elements($1::jsonb->'agents') j)",
  /* The file agents' tools */
  "DELETE FROM agent_tools x USING agents a, tools t"
  " WHERE x.agent_id = a.id AND x.tool_id = t.id AND a.config_managed AND NOT EXISTS"
  " (SELECT 1 FROM jsonb_array_elements($1::jsonb->'agents') j"
  "  WHERE j->>'name' = a.name AND j->'tools' ? t.name)",
  "INSERT INTO agent_tools (agent_id, tool_id)"
  " SELECT a.id, t.id FROM jsonb_array_elements($1::jsonb->'agents') j"
  " JOIN agents a ON a.name = j->>'name' JOIN tools t ON j->'tools' ? t.name"
  " ON CONFLICT DO NOTHING",
  /* The file agents' numbers */
  "DELETE FROM numbers WHERE config_managed AND number NOT IN"
  " (SELECT n->>'number' FROM jsonb_array_elements($1::jsonb->'numbers') n)",
  "INSERT INTO numbers (number, agent_id, direction, config_managed)"
  " SELECT n->>'number', a.id, 'inbound', true FROM jsonb_array_elements($1::jsonb->'numbers') n"
  " JOIN agents a ON a.name = n->>'agent'"
  " ON CONFLICT (number) DO UPDATE SET agent_id = EXCLUDED.agent_id, direction = 'inbound',"
  " config_managed = true",
  "COMMIT",
};

typedef struct {
  TbCatalog *catalog;
  guint pending;
  GError *error;
  gboolean done;
  gboolean sync;
} Provision;

static void
on_provision_loaded (TbCatalog *catalog, guint rows, const GError *error, gpointer user_data)
{
  Provision *p = user_data;

  if (error && !p->error)
    p->error = g_error_copy (error);
  p->done = TRUE;
  if (!p->sync) {
    if (p->error)
      g_warning ("the configuration file's agents could not be written to the database: %s",
                 p->error->message);
    g_clear_error (&p->error);
    g_free (p);
  }
}

static void
on_provision_step (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Provision *p = user_data;
  Load *l;

  if (error && !p->error)
    p->error = g_error_copy (error);
  if (--p->pending > 0)
    return;
  if (!p->error && g_strcmp0 (PQcmdStatus (result), "COMMIT") != 0)
    p->error = g_error_new_literal (TB_DB_ERROR, TB_DB_ERROR_QUERY, "the transaction was "
                                    "rolled back");
  p->catalog->busy--;
  l = g_new0 (Load, 1);
  l->catalog = p->catalog;
  l->func = on_provision_loaded;
  l->user_data = p;
  load (l);
}

static Provision *
provision_start (TbCatalog *catalog, gboolean sync)
{
  Provision *p = g_new0 (Provision, 1);
  g_autofree char *doc = file_doc (catalog);
  const char *const params[] = { doc };
  guint64 session = tb_db_get_session (catalog->db);

  p->catalog = catalog;
  p->sync = sync;
  p->pending = G_N_ELEMENTS (provision_sql);
  catalog->busy++;
  for (guint i = 0; i < G_N_ELEMENTS (provision_sql); i++) {
    gboolean has_param = strstr (provision_sql[i], "$1") != NULL;

    tb_db_query_on (catalog->db, session, provision_sql[i], has_param ? 1 : 0,
                    has_param ? params : NULL, on_provision_step, p);
  }
  return p;
}

gboolean
tb_catalog_provision_sync (TbCatalog *catalog, GError **error)
{
  Provision *p = provision_start (catalog, TRUE);
  GMainContext *context = g_main_context_get_thread_default ();
  gboolean ok;

  while (!p->done)
    g_main_context_iteration (context, TRUE);
  ok = p->error == NULL;
  if (!ok)
    g_propagate_prefixed_error (error, g_steal_pointer (&p->error),
                                "the agents of the configuration file could not be written to "
                                "the database: ");
  g_free (p);
  return ok;
}

void
tb_catalog_provision (TbCatalog *catalog)
{
  provision_start (catalog, FALSE);
}
