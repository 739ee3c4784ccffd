/* plugin.c — plugin discovery and the registry by kind and name. */
#define G_LOG_DOMAIN "tb-plugin"

#include "plugin.h"

#include "plugin-check.h"

#include <string.h>
#include <sys/stat.h>

struct _TbPluginRegistry {
  const TbHost *host;
  GPtrArray *plugins;        /* TbPlugin *, owned, load order     */
  GHashTable *by_path;       /* path -> TbPlugin * (loaded files) */
  GHashTable *mtime_by_path; /* path -> gint64 * mtime at load    */
};

const char *
tb_plugin_kind_to_string (TbPluginKind kind)
{
  switch (kind) {
  case TB_PLUGIN_KIND_STT: return "stt";
  case TB_PLUGIN_KIND_TTS: return "tts";
  case TB_PLUGIN_KIND_LLM: return "llm";
  case TB_PLUGIN_KIND_TOOL: return "tool";
  default: return NULL;
  }
}

gboolean
tb_plugin_kind_from_string (const char *text, TbPluginKind *kind)
{
  for (TbPluginKind k = TB_PLUGIN_KIND_STT; k <= TB_PLUGIN_KIND_TOOL; k++) {
    if (g_strcmp0 (text, tb_plugin_kind_to_string (k)) == 0) {
      *kind = k;
      return TRUE;
    }
  }
  return FALSE;
}

static void
plugin_free (TbPlugin *plugin)
{
  if (plugin->desc->shutdown)
    plugin->desc->shutdown ();
  g_module_close (plugin->module);
  g_free (plugin->path);
  g_free (plugin);
}

static void
skip_free (TbPluginSkip *skip)
{
  g_free (skip->path);
  g_free (skip->reason);
  g_free (skip);
}

TbPluginRegistry *
tb_plugin_registry_new (const TbHost *host)
{
  TbPluginRegistry *registry = g_new0 (TbPluginRegistry, 1);

  registry->host = host;
  registry->plugins = g_ptr_array_new ();
  registry->by_path = g_hash_table_new (g_str_hash, g_str_equal);
  registry->mtime_by_path = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  return registry;
}

void
tb_plugin_registry_free (TbPluginRegistry *registry)
{
  if (!registry)
    return;
  g_hash_table_unref (registry->mtime_by_path);
  g_hash_table_unref (registry->by_path);
  /* Shut down in reverse load order. */
  for (guint i = registry->plugins->len; i > 0; i--)
    plugin_free (g_ptr_array_index (registry->plugins, i - 1));
  g_ptr_array_unref (registry->plugins);
  g_free (registry);
}

void
tb_plugin_scan_free (TbPluginScan *scan)
{
  if (!scan)
    return;
  g_ptr_array_unref (scan->loaded);
  g_ptr_array_unref (scan->skipped);
  g_free (scan);
}

const TbPlugin *
tb_plugin_registry_lookup (TbPluginRegistry *registry, TbPluginKind kind, const char *name)
{
  for (guint i = 0; i < registry->plugins->len; i++) {
    const TbPlugin *plugin = g_ptr_array_index (registry->plugins, i);

    if (plugin->desc->kind == kind && g_strcmp0 (plugin->desc->name, name) == 0)
      return plugin;
  }
  return NULL;
}

GPtrArray *
tb_plugin_registry_get_plugins (TbPluginRegistry *registry)
{
  return registry->plugins;
}

const TbHost *
tb_plugin_registry_get_host (TbPluginRegistry *registry)
{
  return registry->host;
}

static gint64
file_mtime (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 ? (gint64) st.st_mtime * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000 : 0;
}

/* Opens, checks and initialises one file. Returns the plugin, or NULL with
 * @reason set. Nothing of a refused file stays loaded. */
static TbPlugin *
load_file (TbPluginRegistry *registry, const char *path, char **reason)
{
  g_autoptr(GError) error = NULL;
  GModule *module;
  gpointer symbol = NULL;
  const TbPluginDesc *desc;
  const TbPlugin *first;
  TbPlugin *plugin;

  module = g_module_open (path, G_MODULE_BIND_LOCAL);
  if (!module) {
    *reason = g_strdup_printf ("not a loadable shared object: %s", g_module_error ());
    return NULL;
  }
  if (!g_module_symbol (module, TB_PLUGIN_ENTRY_SYMBOL, &symbol) || !symbol) {
    *reason = g_strdup ("no " TB_PLUGIN_ENTRY_SYMBOL "() symbol: not a Talkingbits plugin");
    goto out;
  }
  desc = ((TbPluginDescribeFunc) symbol) ();
  if (!tb_plugin_check_desc (desc, &error)) {
    *reason = g_strdup (error->message);
    goto out;
  }
  first = tb_plugin_registry_lookup (registry, desc->kind, desc->name);
  if (first) {
    *reason = g_strdup_printf ("duplicate %s plugin '%s': shadowed by %s",
                               tb_plugin_kind_to_string (desc->kind), desc->name, first->path);
    goto out;
  }
  /* From here on the plugin's own code runs and may register GTypes or
   * quarks that point into it: it is never unloaded. */
  g_module_make_resident (module);
  if (desc->init && !desc->init (registry->host, &error)) {
    *reason = g_strdup_printf ("init failed: %s", error ? error->message : "no reason given");
    goto out;
  }

  plugin = g_new0 (TbPlugin, 1);
  plugin->path = g_strdup (path);
  plugin->module = module;
  plugin->desc = desc;
  return plugin;

out:
  g_module_close (module);
  return NULL;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
list_plugin_files (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (!handle) {
    g_debug ("plugin directory %s does not exist or cannot be read", dir);
    return files;
  }
  while ((name = g_dir_read_name (handle)))
    if (g_str_has_suffix (name, ".so"))
      g_ptr_array_add (files, g_strdup (name));
  g_ptr_array_sort (files, compare_names);
  return files;
}

static void
add_skip (TbPluginScan *scan, const char *path, char *reason)
{
  TbPluginSkip *skip = g_new0 (TbPluginSkip, 1);

  skip->path = g_strdup (path);
  skip->reason = reason;
  g_ptr_array_add (scan->skipped, skip);
}

static void
scan_file (TbPluginRegistry *registry, TbPluginScan *scan, const char *path)
{
  TbPlugin *plugin;
  char *reason = NULL;
  gint64 *mtime;

  if (g_hash_table_contains (registry->by_path, path)) {
    mtime = g_hash_table_lookup (registry->mtime_by_path, path);
    if (*mtime != file_mtime (path))
      add_skip (scan, path, g_strdup ("changed since it was loaded; a loaded plugin is "
                                      "replaced only by restarting the daemon"));
    return;
  }

  plugin = load_file (registry, path, &reason);
  if (!plugin) {
    add_skip (scan, path, reason);
    return;
  }
  g_ptr_array_add (registry->plugins, plugin);
  g_hash_table_insert (registry->by_path, plugin->path, plugin);
  mtime = g_new (gint64, 1);
  *mtime = file_mtime (path);
  g_hash_table_insert (registry->mtime_by_path, plugin->path, mtime);
  g_ptr_array_add (scan->loaded, plugin);
}

TbPluginScan *
tb_plugin_registry_scan (TbPluginRegistry *registry, const char *const *dirs)
{
  TbPluginScan *scan = g_new0 (TbPluginScan, 1);

  scan->loaded = g_ptr_array_new ();
  scan->skipped = g_ptr_array_new_with_free_func ((GDestroyNotify) skip_free);

  for (guint d = 0; dirs && dirs[d]; d++) {
    g_autoptr(GPtrArray) files = list_plugin_files (dirs[d]);

    for (guint i = 0; i < files->len; i++) {
      g_autofree char *path = g_build_filename (dirs[d], g_ptr_array_index (files, i), NULL);

      scan_file (registry, scan, path);
    }
  }
  return scan;
}

char **
tb_plugin_search_path (const char *const *config_dirs)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *env = g_getenv ("TALKINGBITS_PLUGIN_PATH");

  for (guint i = 0; config_dirs && config_dirs[i]; i++)
    if (*config_dirs[i])
      g_strv_builder_add (builder, config_dirs[i]);
  if (env) {
    g_auto(GStrv) parts = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);

    for (guint i = 0; parts[i]; i++)
      if (*parts[i])
        g_strv_builder_add (builder, parts[i]);
  }
  return g_strv_builder_end (builder);
}
