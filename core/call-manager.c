/* call-manager.c — the calls in progress: capacity, RTP ports, workers,
 * and the configuration each new call is given. */
#define G_LOG_DOMAIN "tb-call"

#include "call-manager.h"

#include "tb-build-config.h"

#include "audio-file.h"
#include "call-private.h"

struct _TbCallManager {
  GMutex lock;                 /* guards config and calls */
  TbConfig *config;
  TbWorkerPool *workers;
  TbRtpPorts *ports;
  GInetAddress *rtp_address;
  GHashTable *calls;           /* id -> TbCall * (a reference)  */

  const TbHost *host;

  GMutex audio_lock;
  GHashTable *audio;           /* "RATE:PATH" -> GBytes          */
};

static gint64
default_now_us (const TbHost *host)
{
  return g_get_monotonic_time ();
}

static const TbHost default_host = {
  .version = TB_PLUGIN_ABI_MINOR,
  .struct_size = sizeof (TbHost),
  .host_version = TB_VERSION,
  .data_dir = TB_DATADIR,
  .now_us = default_now_us,
};

void
tb_call_manager_set_host (TbCallManager *manager, const TbHost *host)
{
  manager->host = host;
}

const TbHost *
tb_call_manager_get_host (TbCallManager *manager)
{
  return manager->host ? manager->host : &default_host;
}

static void
apply_media_config (TbCallManager *manager)
{
  const TbMediaConfig *media = &manager->config->media;

  /* Calls in progress keep their ports: a new range only affects new calls. */
  if (!manager->ports)
    manager->ports = tb_rtp_ports_new (media->rtp_first, media->rtp_last);
  g_clear_object (&manager->rtp_address);
  manager->rtp_address = g_inet_address_new_from_string (media->rtp_address);
}

TbCallManager *
tb_call_manager_new (TbConfig *config)
{
  TbCallManager *manager = g_new0 (TbCallManager, 1);

  g_mutex_init (&manager->lock);
  manager->config = tb_config_ref (config);
  manager->workers = tb_worker_pool_new (config->workers, config->calls_per_worker);
  manager->calls = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) tb_call_unref);
  g_mutex_init (&manager->audio_lock);
  manager->audio = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_bytes_unref);
  apply_media_config (manager);
  return manager;
}

void
tb_call_manager_free (TbCallManager *manager)
{
  if (!manager)
    return;
  /* Workers finish what is queued on them (media teardown) before they stop. */
  g_clear_pointer (&manager->workers, tb_worker_pool_free);
  g_hash_table_unref (manager->calls);
  g_clear_pointer (&manager->ports, tb_rtp_ports_free);
  g_clear_object (&manager->rtp_address);
  g_hash_table_unref (manager->audio);
  g_mutex_clear (&manager->audio_lock);
  tb_config_unref (manager->config);
  g_mutex_clear (&manager->lock);
  g_free (manager);
}

void
tb_call_manager_set_config (TbCallManager *manager, TbConfig *config)
{
  g_mutex_lock (&manager->lock);
  tb_config_unref (manager->config);
  manager->config = tb_config_ref (config);
  apply_media_config (manager);
  g_mutex_unlock (&manager->lock);
  g_mutex_lock (&manager->audio_lock);
  g_hash_table_remove_all (manager->audio);  /* greeting files may have changed */
  g_mutex_unlock (&manager->audio_lock);
}

TbConfig *
tb_call_manager_dup_config (TbCallManager *manager)
{
  TbConfig *config;

  g_mutex_lock (&manager->lock);
  config = tb_config_ref (manager->config);
  g_mutex_unlock (&manager->lock);
  return config;
}

TbCall *
tb_call_manager_create_call (TbCallManager *manager, TbConfig *config, TbCallDirection direction,
                             const TbAgentConfig *agent, const char *from, const char *to,
                             const char *sip_call_id, const TbCallSignaling *signaling,
                             gpointer signaling_data, TbCallRefusal *refusal)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) rtp_address = NULL;
  guint port = 0;
  TbCall *call;

  *refusal = TB_CALL_REFUSED_NONE;
  g_mutex_lock (&manager->lock);
  if (g_hash_table_size (manager->calls) >= config->sip.max_calls) {
    g_mutex_unlock (&manager->lock);
    *refusal = TB_CALL_REFUSED_CAPACITY;
    return NULL;
  }
  rtp_address = g_object_ref (manager->rtp_address);
  socket = tb_rtp_ports_bind (manager->ports, rtp_address, &port, &error);
  if (!socket) {
    g_mutex_unlock (&manager->lock);
    *refusal = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE)
               ? TB_CALL_REFUSED_NO_PORT : TB_CALL_REFUSED_SOCKET;
    g_warning ("no RTP socket for a call to %s: %s", to, error->message);
    return NULL;
  }
  call = tb_call_new (manager, config, direction, agent, from, to, sip_call_id, socket, port,
                      tb_worker_pool_acquire (manager->workers), signaling, signaling_data);
  g_hash_table_insert (manager->calls, (gpointer) tb_call_get_id (call), call);
  g_mutex_unlock (&manager->lock);
  return tb_call_ref (call);
}

guint
tb_call_manager_count (TbCallManager *manager)
{
  guint count;

  g_mutex_lock (&manager->lock);
  count = g_hash_table_size (manager->calls);
  g_mutex_unlock (&manager->lock);
  return count;
}

TbCall *
tb_call_manager_lookup (TbCallManager *manager, const char *id)
{
  TbCall *call;

  g_mutex_lock (&manager->lock);
  call = g_hash_table_lookup (manager->calls, id);
  if (call)
    tb_call_ref (call);
  g_mutex_unlock (&manager->lock);
  return call;
}

static gint
compare_started (gconstpointer a, gconstpointer b)
{
  return g_date_time_compare (tb_call_get_started (*(TbCall **) a),
                              tb_call_get_started (*(TbCall **) b));
}

GPtrArray *
tb_call_manager_list (TbCallManager *manager)
{
  GPtrArray *calls = g_ptr_array_new_with_free_func ((GDestroyNotify) tb_call_unref);
  GHashTableIter iter;
  gpointer call;

  g_mutex_lock (&manager->lock);
  g_hash_table_iter_init (&iter, manager->calls);
  while (g_hash_table_iter_next (&iter, NULL, &call))
    g_ptr_array_add (calls, tb_call_ref (call));
  g_mutex_unlock (&manager->lock);
  g_ptr_array_sort (calls, compare_started);
  return calls;
}

void
tb_call_manager_hangup_all (TbCallManager *manager, const char *reason)
{
  g_autoptr(GPtrArray) calls = tb_call_manager_list (manager);

  for (guint i = 0; i < calls->len; i++)
    tb_call_hangup (g_ptr_array_index (calls, i), reason);
}

void
tb_call_manager_remove (TbCallManager *manager, TbCall *call)
{
  g_mutex_lock (&manager->lock);
  g_hash_table_remove (manager->calls, tb_call_get_id (call));
  g_mutex_unlock (&manager->lock);
}

TbRtpPorts *
tb_call_manager_get_ports (TbCallManager *manager)
{
  return manager->ports;
}

TbWorkerPool *
tb_call_manager_get_workers (TbCallManager *manager)
{
  return manager->workers;
}

GBytes *
tb_call_manager_get_audio (TbCallManager *manager, const char *path, guint rate, GError **error)
{
  g_autofree char *key = g_strdup_printf ("%u:%s", rate, path);
  GBytes *audio;
  gint16 *samples;
  gsize n_samples = 0;

  g_mutex_lock (&manager->audio_lock);
  audio = g_hash_table_lookup (manager->audio, key);
  if (audio)
    g_bytes_ref (audio);
  g_mutex_unlock (&manager->audio_lock);
  if (audio)
    return audio;

  /* Decoded outside the lock; two first calls may both decode, harmlessly. */
  samples = tb_audio_file_read (path, rate, &n_samples, error);
  if (!samples)
    return NULL;
  audio = g_bytes_new_take (samples, n_samples * sizeof (gint16));
  g_mutex_lock (&manager->audio_lock);
  g_hash_table_replace (manager->audio, g_steal_pointer (&key), g_bytes_ref (audio));
  g_mutex_unlock (&manager->audio_lock);
  return audio;
}
