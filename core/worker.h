/* worker.h — the pool of worker threads calls live on. Each worker runs
 * its own GMainContext; a call stays on one worker from start to end and
 * its media and providers' I/O run there.
 *
 * A context iteration costs time for every source the context holds, and
 * each call brings sources (its providers' connections, timers) and
 * wake-ups: a worker's cost grows with the square of its calls. So the
 * pool starts with a few workers and adds one whenever every worker
 * carries calls-per-worker calls; workers, once started, stay. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TbWorkerPool TbWorkerPool;

/* @n_workers started now (0: one per CPU); @calls_per_worker 0: no more
 * are ever started. */
TbWorkerPool *tb_worker_pool_new (guint n_workers, guint calls_per_worker);
/* Stops every worker after the work already queued on it; joins them. */
void tb_worker_pool_free (TbWorkerPool *pool);

guint tb_worker_pool_size (TbWorkerPool *pool);

/* The context of the worker with the fewest calls (a new worker when they
 * all have calls_per_worker), counting one more call on it; give it back
 * with tb_worker_pool_release() when the call ends. */
GMainContext *tb_worker_pool_acquire (TbWorkerPool *pool);
void tb_worker_pool_release (TbWorkerPool *pool, GMainContext *context);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbWorkerPool, tb_worker_pool_free)

G_END_DECLS
