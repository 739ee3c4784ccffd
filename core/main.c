/* main.c — options, start-up order and exit status of the talkingbits daemon. */
#define G_LOG_DOMAIN "tb-main"

#include "daemon.h"
#include "log.h"

#include "tb-build-config.h"

#include <gst/gst.h>
#include <locale.h>
#include <stdio.h>

int
main (int argc, char **argv)
{
  g_autofree char *config_option = NULL;
  g_autofree char *config_path = NULL;
  gboolean check_config = FALSE;
  gboolean migrate = FALSE;
  gboolean version = FALSE;
  gboolean verbose = FALSE;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_option,
      "Configuration file (default: ./talkingbits.conf, then " TB_SYSCONFDIR "/talkingbits.conf)",
      "FILE" },
    { "check-config", 0, 0, G_OPTION_ARG_NONE, &check_config,
      "Validate the configuration and the plugins it uses, print the problems, and exit", NULL },
    { "migrate", 0, 0, G_OPTION_ARG_NONE, &migrate,
      "Apply the database migrations the [database] lacks, and exit", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log debug messages of every module", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- AI phone-call assistant server");
  g_autoptr(GError) error = NULL;
  g_autoptr(TbDaemon) daemon = NULL;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  g_option_context_set_description (context,
    "Signals: SIGINT/SIGTERM stop; SIGHUP reloads the configuration and rescans the plugin\n"
    "directories. Plugin directories: [talkingbits] plugin-path, then TALKINGBITS_PLUGIN_PATH.");
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    fprintf (stderr, "talkingbits: %s\n", error->message);
    return 2;
  }
  if (version) {
    printf ("talkingbits %s (plugin ABI %d.%d)\n", TB_VERSION,
            TB_PLUGIN_ABI_MAJOR, TB_PLUGIN_ABI_MINOR);
    return 0;
  }

  tb_log_init (verbose);
  config_path = tb_config_default_path (config_option);
  daemon = tb_daemon_new (config_path);

  if (!tb_daemon_load (daemon, &error)) {
    fprintf (stderr, "%s\n", error->message);
    if (!check_config)
      fprintf (stderr, "talkingbits: not started: the configuration has problems\n");
    return 1;
  }
  if (check_config) {
    printf ("%s: configuration is valid\n", config_path);
    return 0;
  }

  if (migrate) {
    guint applied = 0;

    if (!tb_daemon_migrate (daemon, &applied, &error)) {
      fprintf (stderr, "talkingbits: %s\n", error->message);
      return 1;
    }
    printf ("database migrated: %u migrations applied\n", applied);
    return 0;
  }
  if (!tb_daemon_start (daemon, &error)) {
    fprintf (stderr, "talkingbits: not started: %s\n", error->message);
    return 1;
  }
  tb_daemon_run (daemon);
  g_clear_pointer (&daemon, tb_daemon_free);
  gst_deinit ();
  return 0;
}
