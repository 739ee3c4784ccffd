/* plugin.h — plugin discovery, ABI check and the registry by kind and name. */
#pragma once

#include "talkingbits-plugin.h"

G_BEGIN_DECLS

/* A plugin that loaded and initialised. Lives as long as its registry. */
typedef struct {
  char *path;
  GModule *module;
  const TbPluginDesc *desc;
} TbPlugin;

/* A file that was passed over, and why. */
typedef struct {
  char *path;
  char *reason;
} TbPluginSkip;

/* What one scan did. */
typedef struct {
  GPtrArray *loaded;   /* const TbPlugin *, newly loaded by this scan */
  GPtrArray *skipped;  /* TbPluginSkip *, owned                        */
} TbPluginScan;

typedef struct _TbPluginRegistry TbPluginRegistry;

TbPluginRegistry *tb_plugin_registry_new (const TbHost *host);
void tb_plugin_registry_free (TbPluginRegistry *registry);

/* Loads every *.so in @dirs (in order; files sorted by name within a
 * directory) that is not loaded yet. Plugins already loaded stay loaded:
 * a rescan only adds. Directories that do not exist are passed over. */
TbPluginScan *tb_plugin_registry_scan (TbPluginRegistry *registry,
                                       const char *const *dirs);
void tb_plugin_scan_free (TbPluginScan *scan);

const TbPlugin *tb_plugin_registry_lookup (TbPluginRegistry *registry,
                                           TbPluginKind kind, const char *name);
/* All loaded plugins, in load order (const TbPlugin *). */
GPtrArray *tb_plugin_registry_get_plugins (TbPluginRegistry *registry);
const TbHost *tb_plugin_registry_get_host (TbPluginRegistry *registry);

const char *tb_plugin_kind_to_string (TbPluginKind kind);
gboolean tb_plugin_kind_from_string (const char *text, TbPluginKind *kind);

/* The directories to scan: @config_dirs, then TALKINGBITS_PLUGIN_PATH
 * (':'-separated). Returns a new NULL-terminated vector. */
char **tb_plugin_search_path (const char *const *config_dirs);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbPluginRegistry, tb_plugin_registry_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbPluginScan, tb_plugin_scan_free)

G_END_DECLS
