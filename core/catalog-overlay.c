/* catalog-overlay.c — talkingbits.conf plus the database catalog, checked
 * by the config code as keyfile groups, problems mapped back to fields. */
#define G_LOG_DOMAIN "tb-catalog"

#include "catalog-overlay.h"

#include "config-schema.h"

#include <string.h>

/* Who a generated (or extended) group belongs to. */
typedef enum {
  OWNER_AGENT,             /* [agent:NAME] of a catalog agent          */
  OWNER_AGENT_OPTIONS,     /* [stt:NAME.P]: prefix "stt_options.P"      */
  OWNER_TOOL,              /* [tool:NAME] of a catalog tool             */
  OWNER_NUMBERS,           /* a file agent's group given catalog numbers */
} OwnerKind;

typedef struct {
  OwnerKind kind;
  char *name;              /* the agent's or tool's name */
  char *prefix;            /* OWNER_AGENT_OPTIONS: "stt_options.P" */
} Owner;

typedef struct {
  TbConfigFile *file;      /* the copy being extended */
  TbPluginRegistry *registry;
  GHashTable *owners;      /* group -> Owner * */
  GPtrArray *problems;     /* TbCatalogProblem * */
} Overlay;

static const char *const stages[] = { "stt", "tts", "llm", NULL };

void
tb_catalog_problem_free (TbCatalogProblem *problem)
{
  if (!problem)
    return;
  g_free (problem->kind);
  g_free (problem->name);
  g_free (problem->field);
  g_free (problem->message);
  g_free (problem);
}

static void
owner_free (Owner *owner)
{
  g_free (owner->name);
  g_free (owner->prefix);
  g_free (owner);
}

static void
add_owner (Overlay *o, const char *group, OwnerKind kind, const char *name, const char *prefix)
{
  Owner *owner = g_new0 (Owner, 1);

  owner->kind = kind;
  owner->name = g_strdup (name);
  owner->prefix = g_strdup (prefix);
  g_hash_table_replace (o->owners, g_strdup (group), owner);
}

static void
add_problem (GPtrArray *problems, const char *kind, const char *name, const char *field,
             const char *message)
{
  TbCatalogProblem *problem = g_new0 (TbCatalogProblem, 1);

  problem->kind = g_strdup (kind);
  problem->name = g_strdup (name);
  problem->field = g_strdup (field);
  problem->message = g_strdup (message);
  g_ptr_array_add (problems, problem);
}

/* "endpointing-ms" <-> "endpointing_ms" */
static char *
swap_char (const char *text, char from, char to)
{
  char *copy = g_strdup (text);

  for (char *p = copy; *p; p++)
    if (*p == from)
      *p = to;
  return copy;
}

static const TbConfigKey *
find_key (const TbConfigKey *keys, const char *name)
{
  for (guint i = 0; keys && keys[i].name; i++)
    if (g_str_equal (keys[i].name, name))
      return &keys[i];
  return NULL;
}

gboolean
tb_catalog_check_json_type (JsonNode *value, TbConfigType type, char **why)
{
  GType held = JSON_NODE_HOLDS_VALUE (value) ? json_node_get_value_type (value) : G_TYPE_INVALID;

  switch (type) {
  case TB_CONFIG_TYPE_INT:
    if (held == G_TYPE_INT64)
      return TRUE;
    *why = g_strdup ("must be an integer");
    return FALSE;
  case TB_CONFIG_TYPE_DOUBLE:
    if (held == G_TYPE_INT64 || held == G_TYPE_DOUBLE)
      return TRUE;
    *why = g_strdup ("must be a number");
    return FALSE;
  case TB_CONFIG_TYPE_BOOL:
    if (held == G_TYPE_BOOLEAN)
      return TRUE;
    *why = g_strdup ("must be true or false");
    return FALSE;
  case TB_CONFIG_TYPE_STRING_LIST:
    if (JSON_NODE_HOLDS_ARRAY (value)) {
      JsonArray *array = json_node_get_array (value);

      for (guint i = 0; i < json_array_get_length (array); i++) {
        JsonNode *item = json_array_get_element (array, i);

        if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING) {
          *why = g_strdup ("must be an array of strings");
          return FALSE;
        }
      }
      return TRUE;
    }
    *why = g_strdup ("must be an array of strings");
    return FALSE;
  default:
    if (held == G_TYPE_STRING)
      return TRUE;
    *why = g_strdup ("must be a string");
    return FALSE;
  }
}

/* Writes @value (not null) as @spec's key of @group; FALSE with @why when
 * its JSON type does not fit. */
static gboolean
set_key (GKeyFile *keyfile, const char *group, const TbConfigKey *spec, JsonNode *value,
         char **why)
{
  if (!tb_catalog_check_json_type (value, spec->type, why))
    return FALSE;
  switch (spec->type) {
  case TB_CONFIG_TYPE_INT: {
    g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (value));

    g_key_file_set_value (keyfile, group, spec->name, text);
    break;
  }
  case TB_CONFIG_TYPE_DOUBLE: {
    char text[G_ASCII_DTOSTR_BUF_SIZE];

    g_key_file_set_value (keyfile, group, spec->name,
                          g_ascii_dtostr (text, sizeof text, json_node_get_double (value)));
    break;
  }
  case TB_CONFIG_TYPE_BOOL:
    g_key_file_set_value (keyfile, group, spec->name,
                          json_node_get_boolean (value) ? "true" : "false");
    break;
  case TB_CONFIG_TYPE_STRING_LIST: {
    JsonArray *array = json_node_get_array (value);
    g_autoptr(GPtrArray) items = g_ptr_array_new ();

    for (guint i = 0; i < json_array_get_length (array); i++)
      g_ptr_array_add (items, (gpointer) json_array_get_string_element (array, i));
    g_key_file_set_string_list (keyfile, group, spec->name, (const char *const *) items->pdata,
                                items->len);
    break;
  }
  default:
    g_key_file_set_string (keyfile, group, spec->name, json_node_get_string (value));
    break;
  }
  return TRUE;
}

/* Members of an object as JSON, null when absent. */
static JsonNode *
member (JsonObject *object, const char *name)
{
  return object && json_object_has_member (object, name)
         ? json_object_get_member (object, name) : NULL;
}

static gboolean
is_null (JsonNode *node)
{
  return !node || JSON_NODE_HOLDS_NULL (node);
}

static const char *
string_member (JsonObject *object, const char *name)
{
  JsonNode *node = member (object, name);

  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
         ? json_node_get_string (node) : NULL;
}

static gboolean
is_config_managed (JsonObject *row)
{
  JsonNode *node = member (row, "config_managed");

  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_boolean (node);
}

/* The plugin a provider name stands for: [kind:NAME] plugin= in the file,
 * else NAME. */
static const TbPlugin *
provider_plugin (Overlay *o, TbPluginKind kind, const char *name, const char *group)
{
  g_autofree char *plugin = NULL;

  if (g_key_file_has_group (o->file->keyfile, group))
    plugin = g_key_file_get_string (o->file->keyfile, group, "plugin", NULL);
  return tb_plugin_registry_lookup (o->registry, kind, plugin ? g_strstrip (plugin) : name);
}

/* [stage:AGENT.P]: the settings of [stage:P] (or P's defaults) with the
 * agent's options over them. Returns the provider name the chain uses. */
static char *
add_options_group (Overlay *o, const char *agent, const char *stage, const char *provider,
                   JsonObject *options)
{
  TbPluginKind kind;
  g_autofree char *base = g_strdup_printf ("%s:%s", stage, provider);
  g_autofree char *name = g_strdup_printf ("%s.%s", agent, provider);
  g_autofree char *group = g_strdup_printf ("%s:%s", stage, name);
  g_autofree char *prefix = g_strdup_printf ("%s_options.%s", stage, provider);
  const TbPlugin *plugin;
  g_autoptr(GList) keys = NULL;

  tb_plugin_kind_from_string (stage, &kind);
  plugin = provider_plugin (o, kind, provider, base);
  add_owner (o, group, OWNER_AGENT_OPTIONS, agent, prefix);
  if (g_key_file_has_group (o->file->keyfile, base)) {
    g_auto(GStrv) names = g_key_file_get_keys (o->file->keyfile, base, NULL, NULL);

    for (guint i = 0; names && names[i]; i++) {
      g_autofree char *value = g_key_file_get_value (o->file->keyfile, base, names[i], NULL);

      g_key_file_set_value (o->file->keyfile, group, names[i], value);
    }
  } else {
    g_key_file_set_value (o->file->keyfile, group, "plugin", provider);
  }
  keys = json_object_get_members (options);
  for (GList *l = keys; l; l = l->next) {
    const char *key = l->data;
    JsonNode *value = json_object_get_member (options, key);
    const TbConfigKey *spec = plugin ? find_key (plugin->desc->config_keys, key) : NULL;
    g_autofree char *field = g_strdup_printf ("%s.%s", prefix, key);
    g_autofree char *why = NULL;

    if (is_null (value))
      continue;
    if (!plugin)
      continue; /* the chain's reference reports the missing plugin */
    if (!spec) {
      g_autofree char *message = g_strdup_printf ("the %s plugin '%s' has no setting '%s' "
                                                  "(talkingbits-inspect %s lists them)",
                                                  stage, plugin->desc->name, key,
                                                  plugin->desc->name);
      add_problem (o->problems, "agent", agent, field, message);
    } else if (!set_key (o->file->keyfile, group, spec, value, &why)) {
      add_problem (o->problems, "agent", agent, field, why);
    }
  }
  if (!g_key_file_has_key (o->file->keyfile, group, "plugin", NULL) && plugin)
    g_key_file_set_value (o->file->keyfile, group, "plugin", plugin->desc->name);
  return g_steal_pointer (&name);
}

/* The agent's fields that are not keys of [agent:NAME]. */
static const char *const agent_other_fields[] = {
  "name", "numbers", "config_managed", "created_at", "updated_at",
  "stt_options", "tts_options", "llm_options", NULL
};

static void
add_agent (Overlay *o, JsonObject *agent, GHashTable *numbers)
{
  const char *name = string_member (agent, "name");
  const TbConfigKey *keys = tb_config_schema_find_group ("agent:x")->keys;
  g_autofree char *group = NULL;
  g_autoptr(GList) fields = NULL;
  GPtrArray *bound;

  if (!name)
    return;
  group = g_strdup_printf ("agent:%s", name);
  if (g_key_file_has_group (o->file->keyfile, group)) {
    add_problem (o->problems, "agent", name, "name",
                 "an agent of this name is declared in the configuration file");
    return;
  }
  add_owner (o, group, OWNER_AGENT, name, NULL);
  fields = json_object_get_members (agent);
  for (GList *l = fields; l; l = l->next) {
    const char *field = l->data;
    g_autofree char *key = swap_char (field, '_', '-');
    const TbConfigKey *spec = find_key (keys, key);
    JsonNode *value = json_object_get_member (agent, field);
    g_autofree char *why = NULL;

    if (g_strv_contains (agent_other_fields, field) || is_null (value))
      continue;
    if (!spec || g_str_equal (key, "greeting-file"))
      add_problem (o->problems, "agent", name, field, "unknown field");
    else if (!set_key (o->file->keyfile, group, spec, value, &why))
      add_problem (o->problems, "agent", name, field, why);
  }
  /* Providers with options of the agent's own. */
  for (guint s = 0; stages[s]; s++) {
    g_autofree char *options_field = g_strdup_printf ("%s_options", stages[s]);
    JsonNode *options = member (agent, options_field);
    g_auto(GStrv) chain = g_key_file_get_string_list (o->file->keyfile, group, stages[s], NULL,
                                                      NULL);
    g_autoptr(GList) providers = NULL;

    if (is_null (options))
      continue;
    if (!JSON_NODE_HOLDS_OBJECT (options)) {
      add_problem (o->problems, "agent", name, options_field,
                   "must be an object: provider name -> {setting: value}");
      continue;
    }
    providers = json_object_get_members (json_node_get_object (options));
    for (GList *l = providers; l; l = l->next) {
      const char *provider = l->data;
      JsonNode *settings = json_object_get_member (json_node_get_object (options), provider);
      g_autofree char *field = g_strdup_printf ("%s.%s", options_field, provider);
      gboolean found = FALSE;

      if (!JSON_NODE_HOLDS_OBJECT (settings)) {
        add_problem (o->problems, "agent", name, field, "must be an object: setting -> value");
        continue;
      }
      for (guint i = 0; chain && chain[i]; i++) {
        if (g_str_equal (chain[i], provider)) {
          g_free (chain[i]);
          chain[i] = add_options_group (o, name, stages[s], provider,
                                        json_node_get_object (settings));
          found = TRUE;
        }
      }
      if (!found) {
        g_autofree char *message = g_strdup_printf ("'%s' is not one of the agent's %s providers",
                                                    provider, stages[s]);
        add_problem (o->problems, "agent", name, field, message);
      }
    }
    if (chain)
      g_key_file_set_string_list (o->file->keyfile, group, stages[s],
                                  (const char *const *) chain, g_strv_length (chain));
  }
  /* Always written: it makes the group of an agent with defaults only. */
  bound = g_hash_table_lookup (numbers, name);
  g_key_file_set_string_list (o->file->keyfile, group, "numbers",
                              bound ? (const char *const *) bound->pdata : NULL,
                              bound ? bound->len : 0);
}

/* Tool fields and the plugin keys they are. */
static const struct { const char *field; const char *key; } tool_fields[] = {
  { "url", "url" },
  { "function", "function" },
  { "description", "description" },
  { "parameters", "parameters" },
  { "secret_env", "secret-env" },
  { "timeout_ms", "timeout-ms" },
};

static const char *const tool_other_fields[] = {
  "name", "plugin", "options", "config_managed", "used_by", "created_at", "updated_at", NULL
};

static void
set_tool_key (Overlay *o, const char *name, const char *group, const TbPlugin *plugin,
              const char *key, const char *field, JsonNode *value)
{
  const TbConfigKey *spec = find_key (plugin->desc->config_keys, key);
  g_autofree char *why = NULL;

  if (!spec) {
    g_autofree char *message = g_strdup_printf ("the tool plugin '%s' has no setting '%s'",
                                                plugin->desc->name, key);

    add_problem (o->problems, "tool", name, field, message);
  } else if (!set_key (o->file->keyfile, group, spec, value, &why)) {
    add_problem (o->problems, "tool", name, field, why);
  }
}

static void
add_tool (Overlay *o, JsonObject *tool)
{
  const char *name = string_member (tool, "name");
  const char *plugin_name = string_member (tool, "plugin");
  g_autofree char *group = NULL;
  const TbPlugin *plugin;
  JsonNode *options = member (tool, "options");
  g_autoptr(GList) fields = NULL;

  if (!name)
    return;
  group = g_strdup_printf ("tool:%s", name);
  if (g_key_file_has_group (o->file->keyfile, group)) {
    add_problem (o->problems, "tool", name, "name",
                 "a tool of this name is declared in the configuration file");
    return;
  }
  if (!plugin_name)
    plugin_name = "webhook";
  add_owner (o, group, OWNER_TOOL, name, NULL);
  g_key_file_set_value (o->file->keyfile, group, "plugin", plugin_name);
  plugin = tb_plugin_registry_lookup (o->registry, TB_PLUGIN_KIND_TOOL, plugin_name);
  if (!plugin)
    return; /* reported on plugin= */
  fields = json_object_get_members (tool);
  for (GList *l = fields; l; l = l->next) {
    const char *field = l->data;
    JsonNode *value = json_object_get_member (tool, field);
    gboolean known = g_strv_contains (tool_other_fields, field);

    for (guint i = 0; i < G_N_ELEMENTS (tool_fields); i++) {
      if (!g_str_equal (tool_fields[i].field, field))
        continue;
      known = TRUE;
      if (is_null (value) ||
          (g_str_equal (field, "description") && JSON_NODE_HOLDS_VALUE (value) &&
           json_node_get_value_type (value) == G_TYPE_STRING && !*json_node_get_string (value)))
        break;
      if (g_str_equal (field, "parameters")) {
        g_autofree char *text = NULL;

        if (!JSON_NODE_HOLDS_OBJECT (value)) {
          add_problem (o->problems, "tool", name, field, "must be a JSON schema object");
          break;
        }
        text = json_to_string (value, FALSE);
        {
          g_autoptr(JsonNode) as_string = json_node_init_string (json_node_alloc (), text);

          set_tool_key (o, name, group, plugin, tool_fields[i].key, field, as_string);
        }
      } else {
        set_tool_key (o, name, group, plugin, tool_fields[i].key, field, value);
      }
      break;
    }
    if (!known)
      add_problem (o->problems, "tool", name, field, "unknown field");
  }
  /* The function the model sees is the tool's name unless given. */
  if (find_key (plugin->desc->config_keys, "function") &&
      !g_key_file_has_key (o->file->keyfile, group, "function", NULL))
    g_key_file_set_value (o->file->keyfile, group, "function", name);
  if (!is_null (options) && !JSON_NODE_HOLDS_OBJECT (options)) {
    add_problem (o->problems, "tool", name, "options", "must be an object: setting -> value");
  } else if (!is_null (options)) {
    g_autoptr(GList) keys = json_object_get_members (json_node_get_object (options));

    for (GList *l = keys; l; l = l->next) {
      g_autofree char *field = g_strdup_printf ("options.%s", (const char *) l->data);
      JsonNode *value = json_object_get_member (json_node_get_object (options), l->data);

      if (!is_null (value))
        set_tool_key (o, name, group, plugin, l->data, field, value);
    }
  }
}

/* Agent name -> its catalog numbers that take calls (GPtrArray of char *). */
static GHashTable *
inbound_numbers (JsonObject *doc)
{
  GHashTable *numbers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                               (GDestroyNotify) g_ptr_array_unref);
  JsonArray *rows = json_object_get_array_member (doc, "numbers");

  for (guint i = 0; rows && i < json_array_get_length (rows); i++) {
    JsonObject *row = json_array_get_object_element (rows, i);
    const char *number = string_member (row, "number");
    const char *agent = string_member (row, "agent");
    const char *direction = string_member (row, "direction");
    GPtrArray *list;

    if (!number || !agent || is_config_managed (row) ||
        g_strcmp0 (direction, "outbound") == 0)
      continue;
    list = g_hash_table_lookup (numbers, agent);
    if (!list) {
      list = g_ptr_array_new ();
      g_hash_table_insert (numbers, (gpointer) agent, list);
    }
    g_ptr_array_add (list, (gpointer) number);
  }
  return numbers;
}

static JsonArray *
rows_of (JsonObject *doc, const char *name)
{
  JsonNode *node = member (doc, name);

  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static void
add_rows (Overlay *o, JsonObject *doc)
{
  g_autoptr(GHashTable) numbers = inbound_numbers (doc);
  JsonArray *agents = rows_of (doc, "agents");
  JsonArray *tools = rows_of (doc, "tools");
  GHashTableIter iter;
  gpointer agent, list;

  for (guint i = 0; tools && i < json_array_get_length (tools); i++) {
    JsonObject *tool = json_array_get_object_element (tools, i);

    if (tool && !is_config_managed (tool))
      add_tool (o, tool);
  }
  for (guint i = 0; agents && i < json_array_get_length (agents); i++) {
    JsonObject *row = json_array_get_object_element (agents, i);

    if (row && !is_config_managed (row))
      add_agent (o, row, numbers);
  }
  /* Catalog numbers of the file's agents. */
  g_hash_table_iter_init (&iter, numbers);
  while (g_hash_table_iter_next (&iter, &agent, &list)) {
    g_autofree char *group = g_strdup_printf ("agent:%s", (const char *) agent);
    GPtrArray *extra = list;
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
    g_auto(GStrv) own = NULL;

    if (g_hash_table_contains (o->owners, group))
      continue; /* a catalog agent: done above */
    if (!g_key_file_has_group (o->file->keyfile, group)) {
      for (guint i = 0; i < extra->len; i++)
        add_problem (o->problems, "number", g_ptr_array_index (extra, i), "agent",
                     "no such agent");
      continue;
    }
    own = g_key_file_get_string_list (o->file->keyfile, group, "numbers", NULL, NULL);
    for (guint i = 0; own && own[i]; i++)
      g_ptr_array_add (all, g_strdup (own[i]));
    for (guint i = 0; i < extra->len; i++)
      g_ptr_array_add (all, g_strdup (g_ptr_array_index (extra, i)));
    g_key_file_set_string_list (o->file->keyfile, group, "numbers",
                                (const char *const *) all->pdata, all->len);
    add_owner (o, group, OWNER_NUMBERS, agent, NULL);
  }
}

/* A config problem as a catalog problem: the row its group belongs to. */
static void
map_problem (Overlay *o, const TbProblem *problem)
{
  Owner *owner = problem->group ? g_hash_table_lookup (o->owners, problem->group) : NULL;
  g_autofree char *field = NULL;

  if (!owner) {
    g_autofree char *where = problem->group
      ? g_strdup_printf ("[%s]%s%s: ", problem->group, problem->key ? " " : "",
                         problem->key ? problem->key : "")
      : g_strdup ("");
    g_autofree char *message = g_strdup_printf ("%s%s", where, problem->message);

    add_problem (o->problems, NULL, NULL, NULL, message);
    return;
  }
  switch (owner->kind) {
  case OWNER_AGENT:
    field = problem->key ? swap_char (problem->key, '-', '_') : g_strdup ("name");
    add_problem (o->problems, "agent", owner->name, field, problem->message);
    break;
  case OWNER_AGENT_OPTIONS:
    field = problem->key && !g_str_equal (problem->key, "plugin")
            ? g_strdup_printf ("%s.%s", owner->prefix, problem->key) : g_strdup (owner->prefix);
    add_problem (o->problems, "agent", owner->name, field, problem->message);
    break;
  case OWNER_TOOL:
    if (!problem->key) {
      field = g_strdup ("options");
    } else {
      for (guint i = 0; i < G_N_ELEMENTS (tool_fields) && !field; i++)
        if (g_str_equal (tool_fields[i].key, problem->key))
          field = g_strdup (tool_fields[i].field);
      if (!field)
        field = g_str_equal (problem->key, "plugin")
                ? g_strdup ("plugin") : g_strdup_printf ("options.%s", problem->key);
    }
    add_problem (o->problems, "tool", owner->name, field, problem->message);
    break;
  case OWNER_NUMBERS:
    add_problem (o->problems, "numbers-of", owner->name, "number", problem->message);
    break;
  }
}

/* A copy of @file to extend: same path and text, its own keyfile. */
static TbConfigFile *
copy_file (TbConfigFile *file)
{
  TbConfigFile *copy = g_new0 (TbConfigFile, 1);
  g_autofree char *data = g_key_file_to_data (file->keyfile, NULL, NULL);

  copy->path = g_strdup (file->path);
  copy->text = g_strdup (file->text);
  copy->keyfile = g_key_file_new ();
  g_key_file_load_from_data (copy->keyfile, data, -1, G_KEY_FILE_NONE, NULL);
  return copy;
}

TbConfig *
tb_catalog_overlay (TbConfigFile *file, TbPluginRegistry *registry, JsonObject *doc,
                    GPtrArray *problems)
{
  g_autoptr(TbConfigFile) copy = copy_file (file);
  g_autoptr(GHashTable) owners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify) owner_free);
  g_autoptr(TbProblems) config_problems = tb_problems_new (file->path, file->text);
  Overlay o = { copy, registry, owners, problems };
  guint before = problems->len;
  TbConfig *config;

  add_rows (&o, doc);
  config = tb_config_build (copy, registry, config_problems);
  if (!config) {
    const GPtrArray *list = tb_problems_get_list (config_problems);

    for (guint i = 0; i < list->len; i++)
      map_problem (&o, g_ptr_array_index (list, i));
  }
  if (problems->len > before) {
    g_clear_pointer (&config, tb_config_unref);
    return NULL;
  }
  return config;
}

/* Removes the rows of @kind named @name from @doc; TRUE when one was. */
static gboolean
remove_rows (JsonObject *doc, const char *array_name, const char *member_name, const char *name)
{
  JsonArray *rows = rows_of (doc, array_name);
  gboolean removed = FALSE;

  for (guint i = rows ? json_array_get_length (rows) : 0; i-- > 0;) {
    JsonObject *row = json_array_get_object_element (rows, i);

    if (g_strcmp0 (string_member (row, member_name), name) == 0) {
      json_array_remove_element (rows, i);
      removed = TRUE;
    }
  }
  return removed;
}

JsonNode *
tb_catalog_doc_copy (JsonObject *doc)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), doc);
  g_autofree char *text = json_to_string (node, FALSE);

  /* json_node_copy() shares the objects inside: a copy to change is made
   * from the text. */
  return json_from_string (text, NULL);
}

TbConfig *
tb_catalog_overlay_lenient (TbConfigFile *file, TbPluginRegistry *registry, JsonObject *doc)
{
  g_autoptr(JsonNode) copy = tb_catalog_doc_copy (doc);
  JsonObject *working = json_node_get_object (copy);

  for (guint round = 0; round < 20; round++) {
    g_autoptr(GPtrArray) problems =
      g_ptr_array_new_with_free_func ((GDestroyNotify) tb_catalog_problem_free);
    TbConfig *config = tb_catalog_overlay (file, registry, working, problems);
    gboolean removed = FALSE;

    if (config)
      return config;
    for (guint i = 0; i < problems->len; i++) {
      TbCatalogProblem *p = g_ptr_array_index (problems, i);

      if (!p->kind)
        break;
      g_warning ("%s '%s' of the database is not used: %s%s%s", 
                 g_str_equal (p->kind, "numbers-of") ? "the numbers of agent" : p->kind,
                 p->name, p->field ? p->field : "", p->field ? ": " : "", p->message);
      if (g_str_equal (p->kind, "agent"))
        removed |= remove_rows (working, "agents", "name", p->name) |
                   remove_rows (working, "numbers", "agent", p->name);
      else if (g_str_equal (p->kind, "tool"))
        removed |= remove_rows (working, "tools", "name", p->name);
      else if (g_str_equal (p->kind, "number"))
        removed |= remove_rows (working, "numbers", "number", p->name);
      else if (g_str_equal (p->kind, "numbers-of"))
        removed |= remove_rows (working, "numbers", "agent", p->name);
    }
    if (!removed)
      break;
  }
  g_warning ("the database's agents, numbers and tools are not used: the configuration "
             "file's only");
  return tb_config_new (file, registry, NULL);
}
