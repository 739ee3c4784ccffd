/* api-catalog.c — /api/v1/agents, /api/v1/numbers and /api/v1/tools:
 * list, show, create (POST), replace (PUT), change (PATCH) and delete.
 *
 * A body is checked field by field (unknown fields, types, names), then
 * as configuration: the catalog builds the configuration it would give
 * (catalog.h tb_catalog_try), so that an agent naming a provider that does
 * not exist, a setting out of range or a tool plugin refusing its settings
 * is a 400 naming the field, with the message the config file would get.
 * Rows declared in talkingbits.conf are read-only (409). A change takes
 * effect for the next call. */
#define G_LOG_DOMAIN "tb-api-catalog"

#include "api-catalog.h"

#include "catalog.h"
#include "catalog-sql.h"
#include "http-json.h"

#include <string.h>

typedef TbApiResource Resource;

struct _TbApiResource {
  const char *kind;            /* "agents": the route and the document's array */
  const char *singular;        /* "agent" */
  const char *key;             /* "name" or "number" */
  const char *key_chars;       /* besides letters and digits */
  const char *const *fields;   /* writable */
  const char *insert_sql;      /* $1: the row as JSON */
  const char *update_sql;      /* $1: the row, $2: its key */
  const char *delete_sql;      /* $1: the key */
  /* Checks beyond types; adds to @fields. */
  void (*check) (TbApi *api, JsonObject *row, JsonObject *fields);
  /* The row as stored, from @row and the configuration it gives. */
  JsonNode *(*complete) (JsonObject *row, TbConfig *config);
  /* Why a row cannot be deleted, or NULL. */
  char *(*in_use) (TbApi *api, JsonObject *row);
  /* POST /api/v1/KIND/{key}/ACTION, or NULL: what it does with the row. */
  const char *action;
  void (*run_action) (TbApi *api, const Resource *r, SoupServerMessage *msg, JsonObject *row);
};

static const char *const read_only_fields[] = {
  "numbers", "used_by", "config_managed", "created_at", "updated_at", NULL
};

/* ---- agents -------------------------------------------------------------- */

static const char *const agent_fields[] = {
  "name", "greeting", "system_prompt", "language", "voice", "stt", "tts", "llm", "tools",
  "stt_options", "tts_options", "llm_options", "speaking_rate", "answer_delay_ms",
  "endpointing_ms", "barge_in_min_ms", "interruptible", "filler_after_ms", "fillers", NULL
};

static JsonNode *
complete_agent (JsonObject *row, TbConfig *config)
{
  const char *name = json_object_get_string_member (row, "name");
  const TbAgentConfig *agent = tb_config_find_agent (config, name);
  JsonNode *stored = tb_catalog_agent_to_json (agent);
  JsonObject *object = json_node_get_object (stored);
  static const char *const chains[] = { "stt", "tts", "llm", NULL };

  /* The chains as given: the configuration has the agent's own provider
   * groups (NAME.P) where options were given. */
  for (guint i = 0; chains[i]; i++) {
    g_autofree char *options = g_strdup_printf ("%s_options", chains[i]);
    JsonNode *chain = json_object_get_member (row, chains[i]);
    JsonNode *given = json_object_get_member (row, options);

    json_object_set_member (object, chains[i], chain && !JSON_NODE_HOLDS_NULL (chain)
                            ? json_node_copy (chain) : json_node_init_array (json_node_alloc (),
                                                                               json_array_new ()));
    json_object_set_member (object, options, given && !JSON_NODE_HOLDS_NULL (given)
                            ? json_node_copy (given) : json_node_init_object (json_node_alloc (),
                                                                                json_object_new ()));
  }
  return stored;
}

static char *
agent_in_use (TbApi *api, JsonObject *row)
{
  JsonArray *numbers = json_object_get_array_member (row, "numbers");
  g_autoptr(GString) list = g_string_new (NULL);

  for (guint i = 0; numbers && i < json_array_get_length (numbers); i++)
    g_string_append_printf (list, "%s%s", i ? ", " : "", json_array_get_string_element (numbers, i));
  if (!list->len)
    return NULL;
  return g_strdup_printf ("number(s) %s are bound to agent '%s': bind them to another agent "
                          "or delete them first", list->str,
                          json_object_get_string_member (row, "name"));
}

/* ---- numbers ------------------------------------------------------------- */

static const char *const number_fields[] = { "number", "agent", "direction", NULL };

static void
check_number (TbApi *api, JsonObject *row, JsonObject *fields)
{
  JsonNode *agent = json_object_get_member (row, "agent");
  JsonNode *direction = json_object_get_member (row, "direction");
  static const char *const directions[] = { "inbound", "outbound", "both", NULL };

  if (!agent || !JSON_NODE_HOLDS_VALUE (agent) ||
      json_node_get_value_type (agent) != G_TYPE_STRING)
    json_object_set_string_member (fields, "agent", "required: the name of an agent");
  else if (!tb_catalog_find (api->catalog, "agents", json_node_get_string (agent)))
    json_object_set_string_member (fields, "agent", "no such agent");
  if (direction && !JSON_NODE_HOLDS_NULL (direction) &&
      (!JSON_NODE_HOLDS_VALUE (direction) ||
       json_node_get_value_type (direction) != G_TYPE_STRING ||
       !g_strv_contains (directions, json_node_get_string (direction))))
    json_object_set_string_member (fields, "direction", "must be inbound, outbound or both");
}

static JsonNode *
complete_number (JsonObject *row, TbConfig *config)
{
  JsonNode *stored = json_node_init_object (json_node_alloc (), json_object_new ());
  JsonObject *object = json_node_get_object (stored);
  const char *direction = json_object_get_string_member_with_default (row, "direction", NULL);

  json_object_set_string_member (object, "number", json_object_get_string_member (row, "number"));
  json_object_set_string_member (object, "agent", json_object_get_string_member (row, "agent"));
  json_object_set_string_member (object, "direction", direction ? direction : "inbound");
  return stored;
}

/* ---- tools --------------------------------------------------------------- */

static const char *const tool_fields[] = {
  "name", "description", "parameters", "plugin", "url", "secret_env", "timeout_ms",
  "function", "options", NULL
};

static JsonNode *
complete_tool (JsonObject *row, TbConfig *config)
{
  return json_node_init_object (json_node_alloc (), row);
}

static char *
tool_in_use (TbApi *api, JsonObject *row)
{
  JsonArray *agents = json_object_get_array_member (row, "used_by");
  g_autoptr(GString) list = g_string_new (NULL);

  for (guint i = 0; agents && i < json_array_get_length (agents); i++)
    g_string_append_printf (list, "%s%s", i ? ", " : "", json_array_get_string_element (agents, i));
  if (!list->len)
    return NULL;
  return g_strdup_printf ("tool '%s' is used by agent(s) %s: remove it from their tools first",
                          json_object_get_string_member (row, "name"), list->str);
}

/* ---- the resources ------------------------------------------------------- */

static const Resource resources[] = {
  {
    "agents", "agent", "name", "-_.", agent_fields,
    "WITH a AS (INSERT INTO agents (name, " TB_CATALOG_SQL_AGENT_COLUMNS ")"
    " SELECT j->>'name', " TB_CATALOG_SQL_AGENT_VALUES " FROM (SELECT $1::jsonb AS j) s"
    " RETURNING id),"
    " t AS (INSERT INTO agent_tools (agent_id, tool_id) SELECT a.id, tools.id FROM a, tools"
    " WHERE $1::jsonb->'tools' ? tools.name)"
    " SELECT id FROM a",
    "WITH a AS (UPDATE agents SET (" TB_CATALOG_SQL_AGENT_COLUMNS ", updated_at) ="
    " (SELECT " TB_CATALOG_SQL_AGENT_VALUES ", now() FROM (SELECT $1::jsonb AS j) s)"
    " WHERE name = $2 AND NOT config_managed RETURNING id),"
    " d AS (DELETE FROM agent_tools x USING a, tools t WHERE x.agent_id = a.id"
    " AND x.tool_id = t.id AND NOT ($1::jsonb->'tools' ? t.name)),"
    " i AS (INSERT INTO agent_tools (agent_id, tool_id) SELECT a.id, t.id FROM a, tools t"
    " WHERE $1::jsonb->'tools' ? t.name ON CONFLICT DO NOTHING)"
    " SELECT id FROM a",
    "DELETE FROM agents WHERE name = $1 AND NOT config_managed",
    NULL, complete_agent, agent_in_use,
    "/greeting-preview", tb_api_greeting_preview,
  },
  {
    "numbers", "number", "number", "+*#-_.!~", number_fields,
    "INSERT INTO numbers (number, agent_id, direction)"
    " SELECT j->>'number', a.id, j->>'direction' FROM (SELECT $1::jsonb AS j) s"
    " JOIN agents a ON a.name = j->>'agent' RETURNING id",
    "UPDATE numbers n SET agent_id = a.id, direction = j->>'direction'"
    " FROM (SELECT $1::jsonb AS j) s JOIN agents a ON a.name = j->>'agent'"
    " WHERE n.number = $2 AND NOT n.config_managed RETURNING n.id",
    "DELETE FROM numbers WHERE number = $1 AND NOT config_managed",
    check_number, complete_number, NULL,
    NULL, NULL,
  },
  {
    "tools", "tool", "name", "-_.", tool_fields,
    "INSERT INTO tools (name, " TB_CATALOG_SQL_TOOL_COLUMNS ")"
    " SELECT t->>'name', " TB_CATALOG_SQL_TOOL_VALUES " FROM (SELECT $1::jsonb AS t) s"
    " RETURNING id",
    "UPDATE tools SET (" TB_CATALOG_SQL_TOOL_COLUMNS ", updated_at) ="
    " (SELECT " TB_CATALOG_SQL_TOOL_VALUES ", now() FROM (SELECT $1::jsonb AS t) s)"
    " WHERE name = $2 AND NOT config_managed RETURNING id",
    "DELETE FROM tools WHERE name = $1 AND NOT config_managed",
    NULL, complete_tool, tool_in_use,
    "/test", tb_api_tool_test,
  },
};

/* ---- checks -------------------------------------------------------------- */

static gboolean
is_key (const Resource *r, const char *text)
{
  if (!text || !*text || strlen (text) > 100)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr (r->key_chars, *p))
      return FALSE;
  return TRUE;
}

static void
check_key (const Resource *r, JsonObject *row, JsonObject *fields)
{
  JsonNode *key = json_object_get_member (row, r->key);

  if (!key || !JSON_NODE_HOLDS_VALUE (key) || json_node_get_value_type (key) != G_TYPE_STRING)
    json_object_set_string_member (fields, r->key, "required, a string");
  else if (!is_key (r, json_node_get_string (key)))
    json_object_set_string_member (fields, r->key,
                                   g_str_equal (r->key, "number")
                                   ? "a phone number or SIP user: letters, digits and + * # - _ . ! ~"
                                   : "letters, digits, '-', '_' and '.' (at most 100)");
}

/* The writable fields of @body; unknown ones are added to @fields;
 * read-only ones are passed over. */
static JsonObject *
writable_row (const Resource *r, JsonObject *body, JsonObject *fields)
{
  JsonObject *row = json_object_new ();
  g_autoptr(GList) names = json_object_get_members (body);

  for (GList *l = names; l; l = l->next) {
    const char *name = l->data;

    if (g_strv_contains (r->fields, name))
      json_object_set_member (row, name, json_node_copy (json_object_get_member (body, name)));
    else if (!g_strv_contains (read_only_fields, name))
      json_object_set_string_member (fields, name, "unknown field");
  }
  return row;
}

static void
add_problems (JsonObject *fields, GPtrArray *problems)
{
  for (guint i = 0; i < problems->len; i++) {
    TbCatalogProblem *p = g_ptr_array_index (problems, i);
    const char *field = p->field ? p->field : "name";
    const char *before = json_object_get_string_member_with_default (fields, field, NULL);
    g_autofree char *message = before ? g_strdup_printf ("%s; %s", before, p->message)
                                      : g_strdup (p->message);

    json_object_set_string_member (fields, field, message);
  }
}

/* ---- replies ------------------------------------------------------------- */

static void
reply_row (SoupServerMessage *msg, guint status, JsonObject *row)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), row);

  tb_http_reply_json (msg, status, node);
}

static void
reply_config_managed (TbApi *api, SoupServerMessage *msg, const Resource *r, const char *key)
{
  g_autoptr(TbConfig) config = tb_call_manager_dup_config (api->calls);

  tb_http_reply_error (msg, SOUP_STATUS_CONFLICT,
                       "%s '%s' is declared in the configuration file %s and cannot be changed "
                       "through the API: change it there and reload (SIGHUP)",
                       r->singular, key, config->path);
}

typedef struct {
  TbApi *api;
  const Resource *r;
  SoupServerMessage *msg;
  char *key;
  guint status;            /* on success */
} Write;

static void
write_free (Write *w)
{
  g_object_unref (w->msg);
  g_free (w->key);
  g_free (w);
}

static void
on_written (TbCatalog *catalog, guint rows, const GError *error, gpointer user_data)
{
  Write *w = user_data;

  if (error && g_error_matches (error, TB_DB_ERROR, TB_DB_ERROR_UNIQUE))
    tb_http_reply_error (w->msg, SOUP_STATUS_CONFLICT, "%s '%s' already exists", w->r->singular,
                         w->key);
  else if (error && g_error_matches (error, TB_DB_ERROR, TB_DB_ERROR_FOREIGN_KEY))
    tb_http_reply_error (w->msg, SOUP_STATUS_CONFLICT, "%s '%s' is in use: %s", w->r->singular,
                         w->key, error->message);
  else if (error && g_error_matches (error, TB_DB_ERROR, TB_DB_ERROR_CHECK))
    tb_http_reply_error (w->msg, SOUP_STATUS_BAD_REQUEST, "%s '%s' is invalid: %s",
                         w->r->singular, w->key, error->message);
  else if (error)
    tb_http_reply_error (w->msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                         "the database is not available: %s", error->message);
  else if (rows == 0)
    tb_http_reply_error (w->msg, SOUP_STATUS_CONFLICT, "%s '%s' changed meanwhile; try again",
                         w->r->singular, w->key);
  else if (w->status == SOUP_STATUS_NO_CONTENT)
    tb_http_reply_empty (w->msg, SOUP_STATUS_NO_CONTENT);
  else {
    JsonObject *row = tb_catalog_find (catalog, w->r->kind, w->key);

    if (row)
      reply_row (w->msg, w->status, row);
    else
      tb_http_reply_error (w->msg, SOUP_STATUS_CONFLICT, "%s '%s' changed meanwhile",
                           w->r->singular, w->key);
  }
  write_free (w);
}

static void
start_write (TbApi *api, const Resource *r, SoupServerMessage *msg, const char *key,
             guint status, const char *sql, guint n_params, const char *const *params)
{
  Write *w = g_new0 (Write, 1);

  w->api = api;
  w->r = r;
  w->msg = g_object_ref (msg);
  w->key = g_strdup (key);
  w->status = status;
  tb_http_defer (msg);
  tb_catalog_write (api->catalog, sql, n_params, params, on_written, w);
}

/* ---- handlers ------------------------------------------------------------ */

/* The row @body gives: its writable fields, with those of @existing that
 * it lacks when @patch, and the key of the path (@path_key) when there is
 * one; what is wrong with them goes to @fields. */
static JsonObject *
build_row (TbApi *api, const Resource *r, JsonObject *body, JsonObject *existing,
           const char *path_key, gboolean patch, JsonObject *fields)
{
  JsonObject *row = writable_row (r, body, fields);

  if (patch) {
    g_autoptr(GList) names = json_object_get_members (existing);

    for (GList *l = names; l; l = l->next)
      if (g_strv_contains (r->fields, l->data) && !json_object_has_member (row, l->data))
        json_object_set_member (row, l->data,
                                json_node_copy (json_object_get_member (existing, l->data)));
  }
  if (path_key) {
    JsonNode *given = json_object_get_member (row, r->key);

    if (given && (!JSON_NODE_HOLDS_VALUE (given) ||
                  g_strcmp0 (json_node_get_string (given), path_key) != 0))
      json_object_set_string_member (fields, r->key, "cannot be changed (it is in the path)");
    json_object_set_string_member (row, r->key, path_key);
  }
  check_key (r, row, fields);
  if (r->check)
    r->check (api, row, fields);
  return row;
}

/* The configuration @row gives, or NULL after replying 400 with each
 * field's problem (those in @fields and the configuration's). */
static TbConfig *
try_row (TbApi *api, const Resource *r, SoupServerMessage *msg, JsonObject *row,
         JsonObject *fields)
{
  g_autoptr(GPtrArray) problems = NULL;
  g_autofree char *what = g_strdup_printf ("invalid %s", r->singular);
  TbConfig *config;

  if (json_object_get_size (fields) > 0) {
    tb_http_reply_invalid (msg, what, fields);
    return NULL;
  }
  problems = g_ptr_array_new_with_free_func ((GDestroyNotify) tb_catalog_problem_free);
  config = tb_catalog_try (api->catalog, r->kind, row, problems);
  if (!config) {
    add_problems (fields, problems);
    tb_http_reply_invalid (msg, what, fields);
  }
  return config;
}

TbConfig *
tb_api_catalog_try_patch (TbApi *api, const Resource *r, SoupServerMessage *msg,
                          JsonObject *existing, JsonObject *body)
{
  const char *key = json_object_get_string_member (existing, r->key);
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) empty = json_object_new ();
  g_autoptr(JsonObject) row = NULL;

  /* The file's rows are in the configuration of the calls as they are. */
  if (json_object_get_boolean_member_with_default (existing, "config_managed", FALSE)) {
    if (!body || json_object_get_size (body) == 0)
      return tb_call_manager_dup_config (api->calls);
    reply_config_managed (api, msg, r, key);
    return NULL;
  }
  row = build_row (api, r, body ? body : empty, existing, key, TRUE, fields);
  return try_row (api, r, msg, row, fields);
}

/* POST (@existing NULL), PUT or PATCH (@patch) of a row. */
static void
save (TbApi *api, const Resource *r, SoupServerMessage *msg, JsonObject *existing,
      const char *path_key, gboolean patch)
{
  g_autoptr(JsonNode) body = tb_http_read_json_object (msg);
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) row = NULL;
  g_autoptr(TbConfig) config = NULL;
  g_autoptr(JsonNode) stored = NULL;
  g_autofree char *text = NULL;
  const char *key;

  if (!body)
    return;
  row = build_row (api, r, json_node_get_object (body), existing, path_key, patch, fields);
  key = json_object_get_string_member_with_default (row, r->key, NULL);
  if (json_object_get_size (fields) == 0 && !existing &&
      tb_catalog_find (api->catalog, r->kind, key)) {
    tb_http_reply_error (msg, SOUP_STATUS_CONFLICT, "%s '%s' already exists", r->singular, key);
    return;
  }
  config = try_row (api, r, msg, row, fields);
  if (!config)
    return;
  stored = r->complete (row, config);
  text = json_to_string (stored, FALSE);
  if (existing) {
    const char *const params[] = { text, key };

    start_write (api, r, msg, key, SOUP_STATUS_OK, r->update_sql, 2, params);
  } else {
    const char *const params[] = { text };

    start_write (api, r, msg, key, SOUP_STATUS_CREATED, r->insert_sql, 1, params);
  }
}

static void
reply_not_allowed (SoupServerMessage *msg, const char *allowed)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allowed);
  tb_http_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method %s is not allowed here "
                       "(allowed: %s)", soup_server_message_get_method (msg), allowed);
}

static void
handle (TbApi *api, const Resource *r, SoupServerMessage *msg, const char *path)
{
  g_autofree char *prefix = g_strdup_printf ("/api/v1/%s", r->kind);
  const char *rest = NULL;
  g_autofree char *key = tb_api_path_segment (path, prefix, &rest);
  const char *method = soup_server_message_get_method (msg);
  JsonObject *existing;

  if (!api->catalog) {
    tb_http_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                         "the database is not available: no database is configured");
    return;
  }
  if (!key && !g_str_equal (method, "GET") && !g_str_equal (method, "HEAD") &&
      !g_str_equal (method, "POST")) {
    reply_not_allowed (msg, "GET, POST");
    return;
  }
  if (key && g_str_equal (method, "POST") && !*rest) {
    reply_not_allowed (msg, "GET, PUT, PATCH, DELETE");
    return;
  }
  if (!key) {
    if (g_str_equal (method, "POST")) {
      save (api, r, msg, NULL, NULL, FALSE);
    } else {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, r->kind);
      json_builder_add_value (b, json_node_copy (json_object_get_member (
        tb_catalog_get_doc (api->catalog), r->kind)));
      json_builder_end_object (b);
      tb_http_reply_builder (msg, SOUP_STATUS_OK, b);
    }
    return;
  }
  if (*rest && (!r->action || !g_str_equal (rest, r->action))) {
    tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such path: %s", path);
    return;
  }
  if (*rest && !g_str_equal (method, "POST")) {
    reply_not_allowed (msg, "POST");
    return;
  }
  existing = tb_catalog_find (api->catalog, r->kind, key);
  if (!existing) {
    tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no %s '%s'", r->singular, key);
    return;
  }
  /* Actions change nothing: config-managed rows have them too. */
  if (*rest) {
    r->run_action (api, r, msg, existing);
    return;
  }
  if (g_str_equal (method, "GET") || g_str_equal (method, "HEAD")) {
    reply_row (msg, SOUP_STATUS_OK, existing);
    return;
  }
  if (json_object_get_boolean_member_with_default (existing, "config_managed", FALSE)) {
    reply_config_managed (api, msg, r, key);
    return;
  }
  if (g_str_equal (method, "DELETE")) {
    g_autofree char *why = r->in_use ? r->in_use (api, existing) : NULL;
    const char *const params[] = { key };

    if (why)
      tb_http_reply_error (msg, SOUP_STATUS_CONFLICT, "%s", why);
    else
      start_write (api, r, msg, key, SOUP_STATUS_NO_CONTENT, r->delete_sql, 1, params);
    return;
  }
  save (api, r, msg, existing, key, g_str_equal (method, "PATCH"));
}

static void
on_agents (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  handle (user_data, &resources[0], msg, path);
}

static void
on_numbers (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  handle (user_data, &resources[1], msg, path);
}

static void
on_tools (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  handle (user_data, &resources[2], msg, path);
}

void
tb_api_catalog_register (TbApi *api)
{
  static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };
  const TbHttpHandler handlers[] = { on_agents, on_numbers, on_tools };

  for (guint i = 0; i < G_N_ELEMENTS (resources); i++) {
    g_autofree char *prefix = g_strdup_printf ("/api/v1/%s", resources[i].kind);

    for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
      tb_http_server_add_route (api->http, methods[m], prefix, handlers[i], api);
  }
}
