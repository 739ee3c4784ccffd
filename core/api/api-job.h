/* api-job.h — a provider's operation asked for by a Web API request (a
 * greeting preview, a tool's test): it runs on a worker thread of the
 * calls' pool, with that worker's context as the thread-default one and
 * the worker's instance of the provider, exactly as in a call (the plugin
 * ABI's threading rule), and the request is answered on the main context
 * when it ends. A job that takes longer than its time limit is cancelled
 * (its plugin then ends it with G_IO_ERROR_CANCELLED). */
#pragma once

#include "api.h"

G_BEGIN_DECLS

typedef struct _TbApiJob TbApiJob;

/* Worker thread: starts the plugin's operation with @instance (the
 * worker's instance of the job's provider) and @cancellable; the
 * operation's terminal callback calls tb_api_job_done(). */
typedef void (*TbApiJobStart) (TbApiJob *job, gpointer instance, GCancellable *cancellable);
/* Main context: answers the request from what the job collected; @error
 * is the provider's failure (or the time limit's cancellation), or NULL. */
typedef void (*TbApiJobFinish) (TbApiJob *job, SoupServerMessage *msg, const GError *error);

/* A job on @provider of @config (a reference is kept, so the provider
 * stays valid) answering @msg (deferred now); @data is the caller's,
 * freed with @data_free. */
TbApiJob *tb_api_job_new (TbApi *api, SoupServerMessage *msg, TbConfig *config,
                          const TbProviderConfig *provider, TbApiJobStart start,
                          TbApiJobFinish finish, gpointer data, GDestroyNotify data_free);
/* Starts it on a worker; cancelled after @timeout_ms. */
void tb_api_job_run (TbApiJob *job, guint timeout_ms);
/* Worker thread: the operation is over (@error: it failed); the request is
 * answered on the main context and the job freed. Once only. */
void tb_api_job_done (TbApiJob *job, const GError *error);

gpointer tb_api_job_get_data (TbApiJob *job);
const TbProviderConfig *tb_api_job_get_provider (TbApiJob *job);
/* Microseconds from tb_api_job_run() to tb_api_job_done(). */
gint64 tb_api_job_get_elapsed_us (TbApiJob *job);

G_END_DECLS
