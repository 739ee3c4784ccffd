/* api-providers.c — GET /api/v1/providers: what the daemon can use for
 * each stage, from the plugin registry (every loaded plugin, with the
 * settings it declares) and the configuration file (its [kind:NAME]
 * providers). Read-only. */
#define G_LOG_DOMAIN "tb-api-providers"

#include "api-catalog.h"

#include "catalog.h"
#include "http-json.h"
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

  if (!g_str_equal (path, "/api/v1/providers")) {
    tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such path: %s", path);
    return;
  }
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

void
tb_api_providers_register (TbApi *api)
{
  tb_http_server_add_route (api->http, "GET", "/api/v1/providers", on_providers, api);
}
