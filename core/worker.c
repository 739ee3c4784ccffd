/* worker.c — the fixed pool of worker threads calls live on. */
#define G_LOG_DOMAIN "tb-worker"

#include "worker.h"

typedef struct {
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  guint calls;               /* guarded by the pool's lock */
} Worker;

struct _TbWorkerPool {
  GMutex lock;
  guint n_workers;
  Worker *workers;
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

TbWorkerPool *
tb_worker_pool_new (guint n_workers)
{
  TbWorkerPool *pool = g_new0 (TbWorkerPool, 1);

  g_mutex_init (&pool->lock);
  pool->n_workers = n_workers ? n_workers : MAX (1, g_get_num_processors ());
  pool->workers = g_new0 (Worker, pool->n_workers);
  for (guint i = 0; i < pool->n_workers; i++) {
    Worker *worker = &pool->workers[i];
    g_autofree char *name = g_strdup_printf ("tb-worker-%u", i);

    worker->context = g_main_context_new ();
    worker->loop = g_main_loop_new (worker->context, FALSE);
    worker->thread = g_thread_new (name, worker_run, worker);
  }
  g_debug ("%u worker threads", pool->n_workers);
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
  for (guint i = 0; i < pool->n_workers; i++)
    g_main_context_invoke (pool->workers[i].context, quit_worker, pool->workers[i].loop);
  for (guint i = 0; i < pool->n_workers; i++) {
    Worker *worker = &pool->workers[i];

    g_thread_join (worker->thread);
    g_main_loop_unref (worker->loop);
    g_main_context_unref (worker->context);
  }
  g_free (pool->workers);
  g_mutex_clear (&pool->lock);
  g_free (pool);
}

guint
tb_worker_pool_size (TbWorkerPool *pool)
{
  return pool->n_workers;
}

GMainContext *
tb_worker_pool_acquire (TbWorkerPool *pool)
{
  Worker *best = &pool->workers[0];

  g_mutex_lock (&pool->lock);
  for (guint i = 1; i < pool->n_workers; i++)
    if (pool->workers[i].calls < best->calls)
      best = &pool->workers[i];
  best->calls++;
  g_mutex_unlock (&pool->lock);
  return best->context;
}

void
tb_worker_pool_release (TbWorkerPool *pool, GMainContext *context)
{
  g_mutex_lock (&pool->lock);
  for (guint i = 0; i < pool->n_workers; i++)
    if (pool->workers[i].context == context && pool->workers[i].calls > 0)
      pool->workers[i].calls--;
  g_mutex_unlock (&pool->lock);
}
