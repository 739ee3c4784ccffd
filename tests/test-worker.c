/* test-worker.c — the worker pool: calls go to the least loaded worker,
 * a new worker starts when every one carries calls-per-worker calls (and
 * never with 0), each worker runs what is given to its context. */
#include "worker.h"

typedef struct {
  GMutex lock;
  GCond cond;
  GThread *thread;
  gboolean ran;
} Job;

static gboolean
run_job (gpointer data)
{
  Job *job = data;

  g_mutex_lock (&job->lock);
  job->thread = g_thread_self ();
  job->ran = TRUE;
  g_cond_signal (&job->cond);
  g_mutex_unlock (&job->lock);
  return G_SOURCE_REMOVE;
}

/* The thread that runs @context (it must run it within 5 s). */
static GThread *
thread_of (GMainContext *context)
{
  Job job = { 0 };
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  g_mutex_init (&job.lock);
  g_cond_init (&job.cond);
  g_mutex_lock (&job.lock);
  g_main_context_invoke (context, run_job, &job);
  while (!job.ran)
    g_assert_true (g_cond_wait_until (&job.cond, &job.lock, end));
  g_mutex_unlock (&job.lock);
  g_mutex_clear (&job.lock);
  g_cond_clear (&job.cond);
  g_assert_true (job.thread != g_thread_self ());
  return job.thread;
}

static void
test_grows (void)
{
  g_autoptr(TbWorkerPool) pool = tb_worker_pool_new (2, 3);
  GMainContext *calls[8];
  GHashTable *threads = g_hash_table_new (NULL, NULL);

  g_assert_cmpuint (tb_worker_pool_size (pool), ==, 2);
  /* Six calls: three on each of the two workers, alternately. */
  for (guint i = 0; i < 6; i++)
    calls[i] = tb_worker_pool_acquire (pool);
  g_assert_true (calls[0] != calls[1]);
  for (guint i = 2; i < 6; i++)
    g_assert_true (calls[i] == calls[i % 2]);
  g_assert_cmpuint (tb_worker_pool_size (pool), ==, 2);

  /* Both full: the seventh starts a third worker, the eighth joins it. */
  calls[6] = tb_worker_pool_acquire (pool);
  g_assert_cmpuint (tb_worker_pool_size (pool), ==, 3);
  g_assert_true (calls[6] != calls[0] && calls[6] != calls[1]);
  calls[7] = tb_worker_pool_acquire (pool);
  g_assert_true (calls[7] == calls[6]);

  /* A call ends on the first worker: the next call goes there, and no
   * worker is started. */
  tb_worker_pool_release (pool, calls[0]);
  g_assert_true (tb_worker_pool_acquire (pool) == calls[0]);
  g_assert_cmpuint (tb_worker_pool_size (pool), ==, 3);

  /* Each worker is a thread of its own that runs its context. */
  for (guint i = 0; i < 8; i++)
    g_hash_table_add (threads, thread_of (calls[i]));
  g_assert_cmpuint (g_hash_table_size (threads), ==, 3);
  g_hash_table_unref (threads);
  for (guint i = 0; i < 8; i++)
    tb_worker_pool_release (pool, calls[i]);
}

static void
test_fixed (void)
{
  g_autoptr(TbWorkerPool) pool = tb_worker_pool_new (1, 0);
  GMainContext *first = tb_worker_pool_acquire (pool);

  for (guint i = 0; i < 100; i++)
    g_assert_true (tb_worker_pool_acquire (pool) == first);
  g_assert_cmpuint (tb_worker_pool_size (pool), ==, 1);
  thread_of (first);
}

static void
test_one_per_cpu (void)
{
  g_autoptr(TbWorkerPool) pool = tb_worker_pool_new (0, 32);

  g_assert_cmpuint (tb_worker_pool_size (pool), ==, g_get_num_processors ());
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/worker/grows", test_grows);
  g_test_add_func ("/worker/fixed", test_fixed);
  g_test_add_func ("/worker/one-per-cpu", test_one_per_cpu);
  return g_test_run ();
}
