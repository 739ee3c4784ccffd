/* daemon.h — the daemon's state: config, plugins, and reloading them. */
#pragma once

#include "config.h"
#include "plugin.h"

G_BEGIN_DECLS

typedef struct _TbDaemon TbDaemon;

TbDaemon *tb_daemon_new (const char *config_path);
void tb_daemon_free (TbDaemon *daemon);

/* Reads the config, scans the plugin directories (logging what loaded and
 * what was skipped, and why) and validates the config against them. On
 * success the new config replaces the current one; on failure the current
 * one stays and @error lists every problem. */
gboolean tb_daemon_load (TbDaemon *daemon, GError **error);

/* The current config (a new reference), NULL before a successful load. */
TbConfig *tb_daemon_get_config (TbDaemon *daemon);
TbPluginRegistry *tb_daemon_get_registry (TbDaemon *daemon);
/* The host services the daemon gives its plugins. */
const TbHost *tb_daemon_get_host (TbDaemon *daemon);

/* After a successful load: opens the database when one is configured
 * (applying the migrations it lacks), then starts the call manager, SIP
 * and, unless [http] listen is empty, the HTTP server with the built-in
 * webhooks. */
gboolean tb_daemon_start (TbDaemon *daemon, GError **error);

/* After a successful load: applies the migrations the database lacks
 * (@applied: how many) and closes it again; an error when no database is
 * configured. For talkingbits --migrate. */
gboolean tb_daemon_migrate (TbDaemon *daemon, guint *applied, GError **error);

/* Runs the main loop until SIGINT or SIGTERM (then hangs up the calls in
 * progress and waits for them to end); SIGHUP reloads. */
void tb_daemon_run (TbDaemon *daemon);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbDaemon, tb_daemon_free)

G_END_DECLS
