/* inspect.c — talkingbits-inspect: which plugins are installed, which files
 * were skipped and why, and what each plugin accepts (gst-inspect's role). */
#define G_LOG_DOMAIN "tb-inspect"

#include "config.h"
#include "plugin.h"
#include "settings.h"

#include "tb-build-config.h"

#include <locale.h>
#include <stdio.h>

static gint64
now_us (const TbHost *host)
{
  return g_get_monotonic_time ();
}

static void
print_table (TbPluginRegistry *registry, TbPluginScan *scan)
{
  GPtrArray *plugins = tb_plugin_registry_get_plugins (registry);
  int name_width = 4, version_width = 7, file_width = 4;

  for (guint i = 0; i < plugins->len; i++) {
    const TbPlugin *p = g_ptr_array_index (plugins, i);

    name_width = MAX (name_width, (int) strlen (p->desc->name));
    version_width = MAX (version_width, (int) strlen (p->desc->version));
    file_width = MAX (file_width, (int) strlen (p->path));
  }
  printf ("%-4s  %-*s  %-*s  %-*s  %s\n", "KIND", name_width, "NAME", version_width, "VERSION",
          file_width, "FILE", "DESCRIPTION");
  for (guint i = 0; i < plugins->len; i++) {
    const TbPlugin *p = g_ptr_array_index (plugins, i);

    printf ("%-4s  %-*s  %-*s  %-*s  %s\n", tb_plugin_kind_to_string (p->desc->kind),
            name_width, p->desc->name, version_width, p->desc->version,
            file_width, p->path, p->desc->description ? p->desc->description : "");
  }
  printf ("\n%u plugin%s loaded", plugins->len, plugins->len == 1 ? "" : "s");
  if (scan->skipped->len == 0) {
    printf (", no file skipped\n");
    return;
  }
  printf (", %u file%s skipped:\n", scan->skipped->len, scan->skipped->len == 1 ? "" : "s");
  for (guint i = 0; i < scan->skipped->len; i++) {
    const TbPluginSkip *skip = g_ptr_array_index (scan->skipped, i);

    printf ("  %s: %s\n", skip->path, skip->reason);
  }
}

static void
print_keys (const TbConfigKey *keys)
{
  guint n = tb_settings_count_keys (keys);

  if (n == 0) {
    printf ("  (none)\n");
    return;
  }
  for (guint i = 0; i < n; i++) {
    const TbConfigKey *k = &keys[i];
    g_autoptr(GString) line = g_string_new (NULL);

    g_string_append_printf (line, "  %-20s %-11s", k->name, tb_config_type_to_string (k->type));
    if (k->flags & TB_CONFIG_KEY_REQUIRED)
      g_string_append (line, " required");
    else if (k->default_value)
      g_string_append_printf (line, " default: %s", *k->default_value ? k->default_value : "\"\"");
    else
      g_string_append (line, " no default");
    if (k->min < k->max)
      g_string_append_printf (line, "  range: %g to %g", k->min, k->max);
    if (k->type == TB_CONFIG_TYPE_CHOICE)
      g_string_append_printf (line, "  one of: %s", k->choices);
    printf ("%s\n      %s\n", line->str, k->help ? k->help : "");
  }
}

static void
print_plugin (const TbPlugin *p)
{
  const TbPluginDesc *d = p->desc;
  const char *kind = tb_plugin_kind_to_string (d->kind);

  printf ("%s plugin '%s'\n", kind, d->name);
  printf ("  Version:      %s\n", d->version);
  printf ("  Description:  %s\n", d->description ? d->description : "");
  printf ("  License:      %s\n", d->license ? d->license : "unknown");
  printf ("  File:         %s\n", p->path);
  printf ("  Plugin ABI:   %u.%u\n", d->abi_major, d->abi_minor);
  printf ("\nConfig keys (in [%s:NAME] groups; an agent may also name '%s' directly):\n",
          kind, d->name);
  print_keys (d->config_keys);
}

int
main (int argc, char **argv)
{
  g_autofree char *config_option = NULL;
  g_autofree char *config_path = NULL;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_option,
      "Take plugin-path from this configuration file (default: as the daemon)", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("[PLUGIN-NAME] - list Talkingbits plugins");
  g_autoptr(GError) error = NULL;
  g_autoptr(TbPluginRegistry) registry = NULL;
  g_autoptr(TbPluginScan) scan = NULL;
  g_autoptr(TbConfigFile) file = NULL;
  g_auto(GStrv) config_dirs = NULL;
  g_auto(GStrv) dirs = NULL;
  TbHost host = { TB_PLUGIN_ABI_MINOR, sizeof (TbHost), TB_VERSION, TB_DATADIR, now_us, NULL };
  gboolean found = FALSE;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
    "Scans the directories of [talkingbits] plugin-path (from the configuration file, when it\n"
    "can be read) and of TALKINGBITS_PLUGIN_PATH. Without a name: every plugin found and every\n"
    "file skipped, with the reason. With a name: that plugin's config keys.");
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc > 2) {
    fprintf (stderr, "talkingbits-inspect: %s\n", error ? error->message : "too many arguments");
    return 2;
  }

  config_path = tb_config_default_path (config_option);
  file = tb_config_file_read (config_path, &error);
  if (file) {
    config_dirs = tb_config_file_plugin_dirs (file);
  } else {
    if (config_option) {
      fprintf (stderr, "talkingbits-inspect: %s\n", error->message);
      return 2;
    }
    config_dirs = g_strdupv ((char *[]) { TB_PLUGINDIR, NULL });
  }
  dirs = tb_plugin_search_path ((const char *const *) config_dirs);
  registry = tb_plugin_registry_new (&host);
  scan = tb_plugin_registry_scan (registry, (const char *const *) dirs);

  if (argc == 1) {
    print_table (registry, scan);
    return 0;
  }
  for (guint i = 0; i < tb_plugin_registry_get_plugins (registry)->len; i++) {
    const TbPlugin *p = g_ptr_array_index (tb_plugin_registry_get_plugins (registry), i);

    if (g_str_equal (p->desc->name, argv[1])) {
      if (found)
        printf ("\n");
      print_plugin (p);
      found = TRUE;
    }
  }
  if (!found) {
    g_autofree char *joined = g_strjoinv (":", dirs);

    fprintf (stderr, "talkingbits-inspect: no plugin named '%s' in %s\n", argv[1],
             *joined ? joined : "(no directory)");
    return 1;
  }
  return 0;
}
