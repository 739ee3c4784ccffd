/* daemon.c — the daemon's state: config, plugins, and reloading them; the
 * parts it runs (call manager, SIP endpoint, HTTP server) and their order. */
#define G_LOG_DOMAIN "tb-daemon"

#include "daemon.h"

#include "api.h"
#include "webhooks.h"
#include "call-manager.h"
#include "catalog.h"
#include "http-server.h"
#include "records.h"
#include "sip-endpoint.h"
#include "store.h"
#include "tb-build-config.h"
#include "web-ui.h"

#include <glib-unix.h>
#include <signal.h>
#include <unistd.h>

struct _TbDaemon {
  char *config_path;
  TbHost host;
  TbPluginRegistry *registry;
  TbConfig *config;
  GMainLoop *loop;
  TbCallManager *calls;
  TbSipEndpoint *sip;
  TbHttpServer *http;
  TbWebhooks *webhooks;    /* the built-in webhooks, with the HTTP server */
  TbWebUi *web_ui;         /* the web UI's files, with the HTTP server */
  TbApi api;
  TbDb *db;                /* NULL: no database configured */
  TbRecords *records;      /* the call records' write queue, with db */
  TbConfigFile *file;      /* the file daemon->config was read from */
  TbCatalog *catalog;      /* agents, numbers, tools in the db, with db */
};

/* Calls in progress get this long to end after SIGTERM. */
#define DRAIN_TIMEOUT_MS 10000
/* HTTP requests in progress get this long to finish after SIGTERM. */
#define HTTP_DRAIN_TIMEOUT_MS 5000
/* Call records get this long to be written after the calls ended; what is
 * left goes to the journal. */
#define RECORDS_DRAIN_TIMEOUT_MS 5000

static gint64
host_now_us (const TbHost *host)
{
  return g_get_monotonic_time ();
}

TbDaemon *
tb_daemon_new (const char *config_path)
{
  TbDaemon *daemon = g_new0 (TbDaemon, 1);

  daemon->config_path = g_strdup (config_path);
  daemon->host.version = TB_PLUGIN_ABI_MINOR;
  daemon->host.struct_size = sizeof (TbHost);
  daemon->host.host_version = TB_VERSION;
  daemon->host.data_dir = TB_DATADIR;
  daemon->host.now_us = host_now_us;
  daemon->host.host_data = daemon;
  daemon->registry = tb_plugin_registry_new (&daemon->host);
  return daemon;
}

void
tb_daemon_free (TbDaemon *daemon)
{
  if (!daemon)
    return;
  g_clear_pointer (&daemon->http, tb_http_server_free);
  tb_api_clear (&daemon->api);
  g_clear_pointer (&daemon->webhooks, tb_webhooks_free);
  g_clear_pointer (&daemon->web_ui, tb_web_ui_free);
  g_clear_pointer (&daemon->sip, tb_sip_endpoint_free);
  g_clear_pointer (&daemon->calls, tb_call_manager_free);
  g_clear_pointer (&daemon->records, tb_records_free);
  g_clear_pointer (&daemon->catalog, tb_catalog_free);
  g_clear_pointer (&daemon->db, tb_db_free);
  g_clear_pointer (&daemon->file, tb_config_file_free);
  g_clear_pointer (&daemon->config, tb_config_unref);
  g_clear_pointer (&daemon->registry, tb_plugin_registry_free);
  g_clear_pointer (&daemon->loop, g_main_loop_unref);
  g_free (daemon->config_path);
  g_free (daemon);
}

TbConfig *
tb_daemon_get_config (TbDaemon *daemon)
{
  return daemon->config ? tb_config_ref (daemon->config) : NULL;
}

const TbHost *
tb_daemon_get_host (TbDaemon *daemon)
{
  return &daemon->host;
}

TbPluginRegistry *
tb_daemon_get_registry (TbDaemon *daemon)
{
  return daemon->registry;
}

static void
log_scan (TbPluginScan *scan)
{
  for (guint i = 0; i < scan->loaded->len; i++) {
    const TbPlugin *plugin = g_ptr_array_index (scan->loaded, i);

    g_message ("loaded %s plugin '%s' %s from %s",
               tb_plugin_kind_to_string (plugin->desc->kind), plugin->desc->name,
               plugin->desc->version, plugin->path);
  }
  for (guint i = 0; i < scan->skipped->len; i++) {
    const TbPluginSkip *skip = g_ptr_array_index (scan->skipped, i);

    g_warning ("skipped plugin %s: %s", skip->path, skip->reason);
  }
}

/* What a reload cannot change in a running process. */
static void
warn_restart_needed (TbConfig *old, TbConfig *new)
{
  if (g_strcmp0 (old->sip.listen_host, new->sip.listen_host) != 0 ||
      old->sip.listen_port != new->sip.listen_port ||
      g_strcmp0 (old->sip.public_address, new->sip.public_address) != 0)
    g_warning ("[sip] listen and public-address take effect after a restart");
  if (g_strcmp0 (old->http_host, new->http_host) != 0 || old->http_port != new->http_port)
    g_warning ("[http] listen takes effect after a restart");
  if (old->workers != new->workers || old->calls_per_worker != new->calls_per_worker)
    g_warning ("[talkingbits] workers and calls-per-worker take effect after a restart");
  if (old->media.rtp_first != new->media.rtp_first || old->media.rtp_last != new->media.rtp_last)
    g_warning ("[media] rtp-ports takes effect after a restart");
  if (g_strcmp0 (old->db_conninfo, new->db_conninfo) != 0)
    g_warning ("[database] conninfo takes effect after a restart");
}

/* The configuration of new calls: the file's with the catalog's rows. */
static void
apply_catalog (TbCatalog *catalog, gpointer user_data)
{
  TbDaemon *daemon = user_data;
  g_autoptr(TbConfig) config = tb_catalog_build_config (catalog);

  if (daemon->calls)
    tb_call_manager_set_config (daemon->calls, config);
}

gboolean
tb_daemon_load (TbDaemon *daemon, GError **error)
{
  g_autoptr(TbConfigFile) file = NULL;
  g_autoptr(TbPluginScan) scan = NULL;
  g_auto(GStrv) config_dirs = NULL;
  g_auto(GStrv) dirs = NULL;
  g_autofree char *joined = NULL;
  TbConfig *config;

  file = tb_config_file_read (daemon->config_path, error);
  if (!file)
    return FALSE;
  config_dirs = tb_config_file_plugin_dirs (file);
  dirs = tb_plugin_search_path ((const char *const *) config_dirs);
  joined = g_strjoinv (G_SEARCHPATH_SEPARATOR_S, dirs);
  g_debug ("plugin search path: %s", joined);
  scan = tb_plugin_registry_scan (daemon->registry, (const char *const *) dirs);
  log_scan (scan);

  config = tb_config_new (file, daemon->registry, error);
  if (!config)
    return FALSE;
  if (daemon->http && !config->http_api_token && !tb_http_server_is_loopback (daemon->http)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "%s: [http] api-token-env: needed while the HTTP server listens on a "
                 "non-loopback address ([http] listen changes after a restart only)",
                 daemon->config_path);
    tb_config_unref (config);
    return FALSE;
  }
  if (daemon->config)
    warn_restart_needed (daemon->config, config);
  g_clear_pointer (&daemon->config, tb_config_unref);
  daemon->config = config;
  g_clear_pointer (&daemon->file, tb_config_file_free);
  daemon->file = g_steal_pointer (&file);
  if (daemon->catalog) {
    /* The file's agents go to the database; until then the file is used
     * with the rows there. */
    tb_catalog_set_source (daemon->catalog, daemon->file, config, daemon->registry);
    tb_catalog_provision (daemon->catalog);
    apply_catalog (daemon->catalog, daemon);
  } else if (daemon->calls) {
    tb_call_manager_set_config (daemon->calls, config);
  }
  if (daemon->webhooks)
    tb_webhooks_set_secret (daemon->webhooks, config->http_webhook_secret);
  if (daemon->http)
    tb_http_server_set_token (daemon->http, config->http_api_token);
  if (daemon->web_ui)
    tb_web_ui_set_root (daemon->web_ui, config->http_web_root);
  g_message ("configuration %s: %u agents, %u providers, %u plugins loaded",
             daemon->config_path, config->agents->len, config->providers->len,
             tb_plugin_registry_get_plugins (daemon->registry)->len);
  return TRUE;
}

static gboolean
on_stop (gpointer user_data)
{
  TbDaemon *daemon = user_data;

  g_message ("stopping");
  g_main_loop_quit (daemon->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_reload (gpointer user_data)
{
  TbDaemon *daemon = user_data;
  g_autoptr(GError) error = NULL;

  g_message ("reloading %s and rescanning the plugin directories", daemon->config_path);
  if (!tb_daemon_load (daemon, &error)) {
    if (daemon->config)
      g_warning ("reload failed, the previous configuration stays in use (%u agents, %u providers):\n%s",
                 daemon->config->agents->len, daemon->config->providers->len, error->message);
    else
      g_warning ("reload failed:\n%s", error->message);
  }
  return G_SOURCE_CONTINUE;
}

static TbDb *
open_store (TbDaemon *daemon, guint *applied, GError **error)
{
  g_autofree char *schemas = tb_config_find_data_dir ("schemas");
  TbDb *db;

  g_message ("database: migrations from %s", schemas);
  db = tb_store_open_sync (daemon->config->db_conninfo, schemas, applied, error);
  if (!db)
    g_prefix_error (error, "[database] ");
  return db;
}

gboolean
tb_daemon_migrate (TbDaemon *daemon, guint *applied, GError **error)
{
  g_autoptr(TbDb) db = NULL;

  if (!daemon->config->db_conninfo) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "no database: [database] conninfo is empty and no PG* variable is set");
    return FALSE;
  }
  db = open_store (daemon, applied, error);
  return db != NULL;
}

gboolean
tb_daemon_start (TbDaemon *daemon, GError **error)
{
  if (daemon->config->db_conninfo) {
    daemon->db = open_store (daemon, NULL, error);
    if (!daemon->db)
      return FALSE;
    daemon->records = tb_records_new (daemon->db, daemon->config->db_journal_dir,
                                      daemon->config->db_queue_memory, error);
    if (!daemon->records)
      return FALSE;
    daemon->catalog = tb_catalog_new (daemon->db);
    tb_catalog_set_source (daemon->catalog, daemon->file, daemon->config, daemon->registry);
    if (!tb_catalog_provision_sync (daemon->catalog, error))
      return FALSE;
  } else {
    g_message ("no database ([database] conninfo is empty and no PG* variable is set)");
  }
  if (daemon->catalog) {
    g_autoptr(TbConfig) config = tb_catalog_build_config (daemon->catalog);

    daemon->calls = tb_call_manager_new (config);
    tb_catalog_set_changed_func (daemon->catalog, apply_catalog, daemon);
  } else {
    daemon->calls = tb_call_manager_new (daemon->config);
  }
  tb_call_manager_set_host (daemon->calls, &daemon->host);
  daemon->sip = tb_sip_endpoint_new (daemon->calls, error);
  if (!daemon->sip)
    return FALSE;
  if (!daemon->config->http_host) {
    g_message ("no HTTP server ([http] listen is empty)");
    return TRUE;
  }
  daemon->http = tb_http_server_new (daemon->config->http_host, daemon->config->http_port, error);
  if (!daemon->http)
    return FALSE;
  tb_http_server_set_token (daemon->http, daemon->config->http_api_token);
  daemon->webhooks = tb_webhooks_new (daemon->http, daemon->db,
                                      daemon->config->http_webhook_secret);
  daemon->web_ui = tb_web_ui_new (daemon->http, daemon->config->http_web_root);
  daemon->api.http = daemon->http;
  daemon->api.db = daemon->db;
  daemon->api.calls = daemon->calls;
  daemon->api.sip = daemon->sip;
  daemon->api.registry = daemon->registry;
  daemon->api.catalog = daemon->catalog;
  tb_api_register (&daemon->api);
  return TRUE;
}

void
tb_daemon_run (TbDaemon *daemon)
{
  guint sources[3];

  daemon->loop = g_main_loop_new (NULL, FALSE);
  sources[0] = g_unix_signal_add (SIGINT, on_stop, daemon);
  sources[1] = g_unix_signal_add (SIGTERM, on_stop, daemon);
  sources[2] = g_unix_signal_add (SIGHUP, on_reload, daemon);

  g_message ("talkingbits %s ready (pid %d)", TB_VERSION, (int) getpid ());
  g_main_loop_run (daemon->loop);

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    g_source_remove (sources[i]);
  /* HTTP first: nothing new comes in while the calls end. */
  daemon->api.draining = TRUE;
  if (daemon->http)
    tb_http_server_shutdown (daemon->http, HTTP_DRAIN_TIMEOUT_MS);
  if (daemon->sip)
    tb_sip_endpoint_shutdown (daemon->sip, DRAIN_TIMEOUT_MS);
  if (daemon->records && !tb_records_flush (daemon->records, RECORDS_DRAIN_TIMEOUT_MS))
    g_message ("%u call records not written yet", tb_records_get_depth ());
  g_message ("stopped");
}
