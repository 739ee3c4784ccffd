/* breaker.c — the providers' circuit breakers (see breaker.h). */
#define G_LOG_DOMAIN "tb-dialog"

#include "breaker.h"

#include "metrics.h"

typedef struct {
  guint failures;        /* in a row */
  gint64 skipped_until;  /* monotonic µs; 0: not skipped */
} Breaker;

static GMutex lock;
static GHashTable *breakers;   /* "KIND:NAME" -> Breaker * */

/* Under the lock. */
static Breaker *
lookup (const char *kind, const char *provider, gboolean make)
{
  g_autofree char *key = g_strdup_printf ("%s:%s", kind, provider);
  Breaker *breaker;

  if (!breakers)
    breakers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  breaker = g_hash_table_lookup (breakers, key);
  if (!breaker && make) {
    breaker = g_new0 (Breaker, 1);
    g_hash_table_insert (breakers, g_steal_pointer (&key), breaker);
  }
  return breaker;
}

gboolean
tb_breaker_allows (const TbConfig *config, const char *kind, const char *provider)
{
  Breaker *breaker;
  gboolean allows;

  g_mutex_lock (&lock);
  breaker = lookup (kind, provider, FALSE);
  allows = !breaker || breaker->skipped_until <= g_get_monotonic_time ();
  g_mutex_unlock (&lock);
  return allows;
}

void
tb_breaker_failure (const TbConfig *config, const char *kind, const char *provider)
{
  Breaker *breaker;
  gboolean skipped = FALSE;
  guint failures;
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&lock);
  breaker = lookup (kind, provider, TRUE);
  breaker->failures++;
  /* After a cool-down one failure is enough to skip it again. */
  if (config->provider_cooldown_s > 0 && config->provider_failures > 0 &&
      (breaker->failures >= config->provider_failures || breaker->skipped_until > 0) &&
      breaker->skipped_until <= now) {
    breaker->skipped_until = now + (gint64) config->provider_cooldown_s * G_USEC_PER_SEC;
    skipped = TRUE;
  }
  failures = breaker->failures;
  g_mutex_unlock (&lock);
  if (skipped)
    g_warning ("%s provider %s failed %u times in a row: skipped for %u s where an agent has "
               "another", kind, provider, failures, config->provider_cooldown_s);
}

void
tb_breaker_success (const char *kind, const char *provider)
{
  Breaker *breaker;
  gboolean was_skipped = FALSE;

  g_mutex_lock (&lock);
  breaker = lookup (kind, provider, FALSE);
  if (breaker) {
    was_skipped = breaker->skipped_until > 0;
    breaker->failures = 0;
    breaker->skipped_until = 0;
  }
  g_mutex_unlock (&lock);
  if (was_skipped)
    g_message ("%s provider %s answers again", kind, provider);
}

void
tb_breaker_write_metrics (GString *out)
{
  const char *name = "talkingbits_provider_skipped";
  const char *const labels[] = { "kind", "provider", NULL };
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GList) keys = NULL;

  tb_metrics_write_header (out, name, "gauge",
                           "1 while a provider that kept failing is skipped (its cool-down), "
                           "by kind and provider");
  g_mutex_lock (&lock);
  if (breakers)
    keys = g_list_sort (g_hash_table_get_keys (breakers), (GCompareFunc) g_strcmp0);
  for (GList *l = keys; l; l = l->next) {
    const Breaker *breaker = g_hash_table_lookup (breakers, l->data);
    g_auto(GStrv) values = g_strsplit (l->data, ":", 2);

    tb_metrics_write_labelled_sample (out, name, labels, (const char *const *) values,
                                      breaker->skipped_until > now ? 1 : 0);
  }
  g_mutex_unlock (&lock);
}
