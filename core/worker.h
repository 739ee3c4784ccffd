/* worker.h — the fixed pool of worker threads calls live on. Each worker
 * runs its own GMainContext; a call stays on one worker from start to end
 * and its media and providers' I/O run there. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TbWorkerPool TbWorkerPool;

/* @n_workers 0: one per CPU. */
TbWorkerPool *tb_worker_pool_new (guint n_workers);
/* Stops every worker after the work already queued on it; joins them. */
void tb_worker_pool_free (TbWorkerPool *pool);

guint tb_worker_pool_size (TbWorkerPool *pool);

/* The context of the worker with the fewest calls, counting one more call
 * on it; give it back with tb_worker_pool_release() when the call ends. */
GMainContext *tb_worker_pool_acquire (TbWorkerPool *pool);
void tb_worker_pool_release (TbWorkerPool *pool, GMainContext *context);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbWorkerPool, tb_worker_pool_free)

G_END_DECLS
