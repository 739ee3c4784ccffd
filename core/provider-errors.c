/* provider-errors.c — the latest provider failures (see provider-errors.h). */
#define G_LOG_DOMAIN "tb-provider-errors"

#include "provider-errors.h"

#include "metrics.h"

static GMutex lock;
static GQueue failures = G_QUEUE_INIT;   /* TbProviderError *, newest first */

void
tb_provider_error_free (TbProviderError *failure)
{
  if (!failure)
    return;
  g_date_time_unref (failure->at);
  g_free (failure->kind);
  g_free (failure->provider);
  g_free (failure->call_id);
  g_free (failure->message);
  g_free (failure);
}

static TbProviderError *
failure_new (GDateTime *at, const char *kind, const char *provider, const char *call_id,
             const char *message)
{
  TbProviderError *failure = g_new0 (TbProviderError, 1);

  failure->at = g_date_time_ref (at);
  failure->kind = g_strdup (kind);
  failure->provider = g_strdup (provider ? provider : "");
  failure->call_id = g_strdup (call_id);
  failure->message = g_strdup (message ? message : "");
  return failure;
}

void
tb_provider_errors_add (const char *kind, const char *provider, const char *call_id,
                        const char *message)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  TbProviderError *failure = failure_new (now, kind, provider, call_id, message);

  tb_metrics_provider_error (kind, provider);
  g_mutex_lock (&lock);
  g_queue_push_head (&failures, failure);
  while (failures.length > TB_PROVIDER_ERRORS_KEPT)
    tb_provider_error_free (g_queue_pop_tail (&failures));
  g_mutex_unlock (&lock);
}

GPtrArray *
tb_provider_errors_dup (guint limit)
{
  GPtrArray *copies = g_ptr_array_new_with_free_func ((GDestroyNotify) tb_provider_error_free);

  g_mutex_lock (&lock);
  for (GList *l = failures.head; l && copies->len < limit; l = l->next) {
    const TbProviderError *f = l->data;

    g_ptr_array_add (copies, failure_new (f->at, f->kind, f->provider, f->call_id, f->message));
  }
  g_mutex_unlock (&lock);
  return copies;
}
