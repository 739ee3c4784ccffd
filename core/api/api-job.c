/* api-job.c — a provider's operation for a Web API request, run on a
 * worker (see api-job.h). */
#define G_LOG_DOMAIN "tb-api"

#include "api-job.h"

#include "http-json.h"
#include "instances.h"

struct _TbApiJob {
  TbApi *api;
  SoupServerMessage *msg;
  TbConfig *config;
  const TbProviderConfig *provider;
  TbApiJobStart start;
  TbApiJobFinish finish;
  gpointer data;
  GDestroyNotify data_free;
  GMainContext *main_context;
  GMainContext *worker;        /* acquired from the pool while it runs */
  GCancellable *cancellable;
  guint timeout_ms;
  GSource *deadline;           /* the worker's, while the operation runs */
  GError *error;
  gint64 started_us, ended_us;
};

TbApiJob *
tb_api_job_new (TbApi *api, SoupServerMessage *msg, TbConfig *config,
                const TbProviderConfig *provider, TbApiJobStart start, TbApiJobFinish finish,
                gpointer data, GDestroyNotify data_free)
{
  TbApiJob *job = g_new0 (TbApiJob, 1);

  job->api = api;
  job->msg = g_object_ref (msg);
  job->config = tb_config_ref (config);
  job->provider = provider;
  job->start = start;
  job->finish = finish;
  job->data = data;
  job->data_free = data_free;
  job->main_context = g_main_context_ref_thread_default ();
  job->cancellable = g_cancellable_new ();
  tb_http_defer (msg);
  return job;
}

static void
job_free (TbApiJob *job)
{
  if (job->data_free)
    job->data_free (job->data);
  g_clear_error (&job->error);
  g_clear_object (&job->cancellable);
  g_main_context_unref (job->main_context);
  tb_config_unref (job->config);
  g_object_unref (job->msg);
  g_free (job);
}

/* Main context: the answer. */
static gboolean
job_finish (gpointer user_data)
{
  TbApiJob *job = user_data;

  tb_worker_pool_release (tb_call_manager_get_workers (job->api->calls), job->worker);
  job->finish (job, job->msg, job->error);
  job_free (job);
  return G_SOURCE_REMOVE;
}

void
tb_api_job_done (TbApiJob *job, const GError *error)
{
  job->ended_us = g_get_monotonic_time ();
  if (job->deadline) {
    g_source_destroy (job->deadline);
    g_clear_pointer (&job->deadline, g_source_unref);
  }
  if (error)
    job->error = g_error_copy (error);
  g_main_context_invoke (job->main_context, job_finish, job);
}

/* Worker: the operation took too long. */
static gboolean
on_deadline (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* Worker: the worker's instance of the provider, then the operation. */
static gboolean
job_start (gpointer user_data)
{
  TbApiJob *job = user_data;
  const TbHost *host = tb_call_manager_get_host (job->api->calls);
  g_autoptr(GError) error = NULL;
  gpointer instance = NULL;

  if (!tb_dialog_instance_get (host, job->provider, &instance, &error)) {
    g_prefix_error (&error, "%s provider %s: ", tb_plugin_kind_to_string (job->provider->kind),
                    job->provider->name);
    tb_api_job_done (job, error);
    return G_SOURCE_REMOVE;
  }
  /* On the plugin's thread, so the cancellation is too. */
  job->deadline = g_timeout_source_new (job->timeout_ms);
  g_source_set_callback (job->deadline, on_deadline, g_object_ref (job->cancellable),
                         g_object_unref);
  g_source_attach (job->deadline, job->worker);
  job->start (job, instance, job->cancellable);
  return G_SOURCE_REMOVE;
}

void
tb_api_job_run (TbApiJob *job, guint timeout_ms)
{
  job->worker = tb_worker_pool_acquire (tb_call_manager_get_workers (job->api->calls));
  job->started_us = g_get_monotonic_time ();
  job->timeout_ms = timeout_ms;
  g_main_context_invoke (job->worker, job_start, job);
}

gpointer
tb_api_job_get_data (TbApiJob *job)
{
  return job->data;
}

const TbProviderConfig *
tb_api_job_get_provider (TbApiJob *job)
{
  return job->provider;
}

gint64
tb_api_job_get_elapsed_us (TbApiJob *job)
{
  return job->ended_us - job->started_us;
}
