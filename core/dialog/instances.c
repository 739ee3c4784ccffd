/* instances.c — provider instances per worker thread. The key is the
 * plugin, the provider's group and its settings, so a reload that changes
 * the settings gets a new instance while calls in progress keep theirs. */
#define G_LOG_DOMAIN "tb-dialog"

#include "instances.h"

typedef struct {
  const TbPluginDesc *desc;
  gpointer instance;
} Instance;

static void
instance_free (Instance *instance)
{
  if (instance->desc->instance_free && instance->instance)
    instance->desc->instance_free (instance->instance);
  g_free (instance);
}

static GPrivate thread_instances = G_PRIVATE_INIT ((GDestroyNotify) g_hash_table_unref);

gboolean
tb_dialog_instance_get (const TbHost *host, const TbProviderConfig *provider, gpointer *result,
                        GError **error)
{
  GHashTable *instances = g_private_get (&thread_instances);
  g_autofree char *settings = g_variant_print (provider->settings, FALSE);
  g_autofree char *key = g_strdup_printf ("%s\n%s\n%s", provider->plugin->path, provider->group,
                                          settings);
  const TbPluginDesc *desc = provider->plugin->desc;
  Instance *instance;

  if (!instances) {
    instances = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) instance_free);
    g_private_set (&thread_instances, instances);
  }
  instance = g_hash_table_lookup (instances, key);
  if (instance) {
    *result = instance->instance;
    return TRUE;
  }

  instance = g_new0 (Instance, 1);
  instance->desc = desc;
  if (desc->instance_new) {
    instance->instance = desc->instance_new (host, provider->settings, error);
    if (!instance->instance) {
      g_free (instance);
      return FALSE;
    }
  }
  *result = instance->instance;
  g_hash_table_insert (instances, g_steal_pointer (&key), instance);
  return TRUE;
}
