/* api-providers.c — GET /api/v1/providers: what the daemon can use for
 * each stage, from the plugin registry (every loaded plugin, with the
 * settings it declares) and the configuration file (its [kind:NAME]
 * providers); GET /api/v1/providers/errors[?limit=]: their latest
 * failures in calls (provider-errors.h), newest first. Read-only. */
#define G_LOG_DOMAIN "tb-api-providers"

#include "api-catalog.h"

#include "api-calls.h"

#include "catalog.h"
#include "http-json.h"
#include "provider-errors.h"
#include "settings.h"

static void
add_nullable_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_keys (JsonBuilder *b, const TbConfigKey *keys)
{
  json_builder_set_member_name (b, "keys");
  json_builder_begin_array (b);
  for (guint i = 0; keys && keys[i].name; i++) {
    const TbConfigKey *key = &keys[i];
    gboolean ranged = key->min < key->max;

    json_builder_begin_object (b);
    add_nullable_string (b, "name", key->name);
    add_nullable_string (b, "type", tb_config_type_to_string (key->type));
    add_nullable_string (b, "default", key->default_value);
    add_nullable_string (b, "help", key->help);
    json_builder_set_member_name (b, "min");
    if (ranged)
      json_builder_add_double_value (b, key->min);
    else
      json_builder_add_null_value (b);
    json_builder_set_member_name (b, "max");
    if (ranged)
      json_builder_add_double_value (b, key->max);
    else
      json_builder_add_null_value (b);
    json_builder_set_member_name (b, "choices");
    if (key->choices) {
      g_auto(GStrv) choices = g_strsplit (key->choices, "|", -1);

      json_builder_begin_array (b);
      for (guint c = 0; choices[c]; c++)
        json_builder_add_string_value (b, choices[c]);
      json_builder_end_array (b);
    } else {
      json_builder_add_null_value (b);
    }
    json_builder_set_member_name (b, "required");
    json_builder_add_boolean_value (b, (key->flags & TB_CONFIG_KEY_REQUIRED) != 0);
    json_builder_set_member_name (b, "secret");
    json_builder_add_boolean_value (b, key->type == TB_CONFIG_TYPE_SECRET_ENV);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
}

static void
add_provider (JsonBuilder *b, TbPluginKind kind, const char *name, const TbPlugin *plugin,
              gboolean configured)
{
  json_builder_begin_object (b);
  add_nullable_string (b, "kind", tb_plugin_kind_to_string (kind));
  add_nullable_string (b, "name", name);
  add_nullable_string (b, "plugin", plugin->desc->name);
  add_nullable_string (b, "version", plugin->desc->version);
  add_nullable_string (b, "description", plugin->desc->description);
  json_builder_set_member_name (b, "configured");
  json_builder_add_boolean_value (b, configured);
  add_keys (b, plugin->desc->config_keys);
  json_builder_end_object (b);
}

static void
on_providers (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  TbApi *api = user_data;
  /* The file's providers, without the catalog's tools and agents. */
  g_autoptr(TbConfig) config = api->catalog ? tb_config_ref (tb_catalog_get_file_config (api->catalog))
                                            : tb_call_manager_dup_config (api->calls);
  GPtrArray *plugins = tb_plugin_registry_get_plugins (api->registry);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "providers");
  json_builder_begin_array (b);
  /* Every plugin, by its own name; configured when the file has a group
   * of that name. */
  for (guint i = 0; i < plugins->len; i++) {
    const TbPlugin *plugin = g_ptr_array_index (plugins, i);
    g_autofree char *group = g_strdup_printf ("%s:%s",
                                              tb_plugin_kind_to_string (plugin->desc->kind),
                                              plugin->desc->name);
    gboolean configured = FALSE;

    for (guint p = 0; p < config->providers->len && !configured; p++) {
      const TbProviderConfig *provider = g_ptr_array_index (config->providers, p);

      configured = g_str_equal (provider->group, group) && provider->plugin == plugin;
    }
    add_provider (b, plugin->desc->kind, plugin->desc->name, plugin, configured);
  }
  /* Providers of the file under a name of their own ([llm:reception]
   * plugin=rules). */
  for (guint p = 0; p < config->providers->len; p++) {
    const TbProviderConfig *provider = g_ptr_array_index (config->providers, p);

    if (g_str_equal (provider->name, provider->plugin->desc->name))
      continue;
    add_provider (b, provider->kind, provider->name, provider->plugin, TRUE);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  tb_http_reply_builder (msg, SOUP_STATUS_OK, b);
}

#define ERRORS_PATH "/api/v1/providers/errors"
#define ERRORS_LIMIT 20

static JsonObject *
error_object (const TbProviderError *failure)
{
  JsonObject *object = json_object_new ();
  g_autofree char *at = tb_api_format_time (failure->at);

  json_object_set_string_member (object, "at", at);
  json_object_set_string_member (object, "kind", failure->kind);
  json_object_set_string_member (object, "provider", failure->provider);
  tb_api_set_string_or_null (object, "call_id", failure->call_id);
  json_object_set_string_member (object, "message", failure->message);
  return object;
}

static void
on_errors (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  g_autoptr(JsonObject) reply = json_object_new ();
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(GPtrArray) failures = NULL;
  JsonArray *array;
  guint64 limit = ERRORS_LIMIT;
  GHashTableIter iter;
  gpointer name, value;

  if (query)
    g_hash_table_iter_init (&iter, query);
  while (query && g_hash_table_iter_next (&iter, &name, &value)) {
    if (!g_str_equal (name, "limit"))
      json_object_set_string_member (fields, name, "unknown parameter");
    else if (*(const char *) value &&
             (!g_ascii_string_to_unsigned (value, 10, 1, TB_PROVIDER_ERRORS_KEPT, &limit, NULL)))
      json_object_set_string_member (fields, name, "must be an integer from 1 to 100");
  }
  if (json_object_get_size (fields) > 0) {
    tb_http_reply_invalid (msg, "invalid query", fields);
    return;
  }
  failures = tb_provider_errors_dup ((guint) limit);
  array = json_array_new ();
  for (guint i = 0; i < failures->len; i++)
    json_array_add_object_element (array, error_object (g_ptr_array_index (failures, i)));
  json_object_set_array_member (reply, "errors", array);
  tb_api_reply_object (msg, SOUP_STATUS_OK, reply);
}

void
tb_api_providers_register (TbApi *api)
{
  tb_http_server_add_exact_route (api->http, "GET", "/api/v1/providers", on_providers, api);
  tb_http_server_add_exact_route (api->http, "GET", ERRORS_PATH, on_errors, api);
}
