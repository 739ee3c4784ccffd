/* worker.c — the pool of worker threads calls live on, growing with the
 * calls. */
#define G_LOG_DOMAIN "tb-worker"

#include "worker.h"

/* Workers at the most, whatever the load. */
#define MAX_WORKERS 256

typedef struct {
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  guint calls;               /* guarded by the pool's lock */
} Worker;

struct _TbWorkerPool {
  GMutex lock;
  guint calls_per_worker;
  GPtrArray *workers;        /* of Worker; only grows, under the lock */
};

static gpointer
worker_run (gpointer data)
{
  Worker *worker = data;

  g_main_context_push_thread_default (worker->context);
  g_main_loop_run (worker->loop);
  /* Let what was queued before the stop run, so nothing leaks. */
  while (g_main_context_iteration (worker->context, FALSE))
    ;
  g_main_context_pop_thread_default (worker->context);
  return NULL;
}

static Worker *
worker_start (TbWorkerPool *pool)
{
  Worker *worker = g_new0 (Worker, 1);
  g_autofree char *name = g_strdup_printf ("tb-worker-%u", pool->workers->len);

  worker->context = g_main_context_new ();
  worker->loop = g_main_loop_new (worker->context, FALSE);
  worker->thread = g_thread_new (name, worker_run, worker);
  g_ptr_array_add (pool->workers, worker);
  return worker;
}

TbWorkerPool *
tb_worker_pool_new (guint n_workers, guint calls_per_worker)
{
  TbWorkerPool *pool = g_new0 (TbWorkerPool, 1);

  g_mutex_init (&pool->lock);
  pool->calls_per_worker = calls_per_worker;
  pool->workers = g_ptr_array_new ();
  n_workers = CLAMP (n_workers ? n_workers : g_get_num_processors (), 1, MAX_WORKERS);
  for (guint i = 0; i < n_workers; i++)
    worker_start (pool);
  g_debug ("%u worker threads, another for every %u calls", n_workers, calls_per_worker);
  return pool;
}

static gboolean
quit_worker (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
tb_worker_pool_free (TbWorkerPool *pool)
{
  if (!pool)
    return;
  for (guint i = 0; i < pool->workers->len; i++) {
    Worker *worker = g_ptr_array_index (pool->workers, i);

    g_main_context_invoke (worker->context, quit_worker, worker->loop);
  }
  for (guint i = 0; i < pool->workers->len; i++) {
    Worker *worker = g_ptr_array_index (pool->workers, i);

    g_thread_join (worker->thread);
    g_main_loop_unref (worker->loop);
    g_main_context_unref (worker->context);
    g_free (worker);
  }
  g_ptr_array_unref (pool->workers);
  g_mutex_clear (&pool->lock);
  g_free (pool);
}

guint
tb_worker_pool_size (TbWorkerPool *pool)
{
  guint size;

  g_mutex_lock (&pool->lock);
  size = pool->workers->len;
  g_mutex_unlock (&pool->lock);
  return size;
}

GMainContext *
tb_worker_pool_acquire (TbWorkerPool *pool)
{
  Worker *best;

  g_mutex_lock (&pool->lock);
  best = g_ptr_array_index (pool->workers, 0);
  for (guint i = 1; i < pool->workers->len; i++) {
    Worker *worker = g_ptr_array_index (pool->workers, i);

    if (worker->calls < best->calls)
      best = worker;
  }
  if (pool->calls_per_worker && best->calls >= pool->calls_per_worker &&
      pool->workers->len < MAX_WORKERS) {
    best = worker_start (pool);
    g_debug ("every worker has %u calls: worker %u started", pool->calls_per_worker,
             pool->workers->len - 1);
  }
  best->calls++;
  g_mutex_unlock (&pool->lock);
  return best->context;
}

void
tb_worker_pool_release (TbWorkerPool *pool, GMainContext *context)
{
  g_mutex_lock (&pool->lock);
  for (guint i = 0; i < pool->workers->len; i++) {
    Worker *worker = g_ptr_array_index (pool->workers, i);

    if (worker->context == context && worker->calls > 0)
      worker->calls--;
  }
  g_mutex_unlock (&pool->lock);
}
