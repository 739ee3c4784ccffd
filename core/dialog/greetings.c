/* greetings.c — the process-wide cache of synthesised greetings. */
#define G_LOG_DOMAIN "tb-dialog"

#include "greetings.h"

static GMutex lock;
static GHashTable *cache;   /* key -> GBytes */

GBytes *
tb_dialog_greeting_lookup (const char *key)
{
  GBytes *audio = NULL;

  g_mutex_lock (&lock);
  if (cache && (audio = g_hash_table_lookup (cache, key)))
    g_bytes_ref (audio);
  g_mutex_unlock (&lock);
  return audio;
}

void
tb_dialog_greeting_store (const char *key, GBytes *audio)
{
  g_mutex_lock (&lock);
  if (!cache)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify) g_bytes_unref);
  g_hash_table_replace (cache, g_strdup (key), g_bytes_ref (audio));
  g_mutex_unlock (&lock);
}
