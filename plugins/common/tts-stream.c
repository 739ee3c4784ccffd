/* tts-stream.c — a synthesis on its own thread, its resampled chunks queued
 * and delivered in order on the caller's context, one terminal callback.
 *
 * Two sides share a stream: the synthesis thread appends chunks and, at the
 * end, the outcome (under the lock); the caller's context pops and delivers
 * them from an idle source the thread schedules (at most one pending at a
 * time, and each dispatch empties the queue). Cancellation is watched on the
 * caller's context too, so error(CANCELLED) comes at once, whatever the
 * engine is doing; the engine notices at its next chunk and stops. */
#define G_LOG_DOMAIN "tb-tts-stream"

#include "tts-stream.h"
#include "tts-resample.h"

#include <gst/gst.h>

#define MIN_SAMPLE_RATE 8000
#define MAX_SAMPLE_RATE 96000

struct _TbTtsStream {
  gatomicrefcount ref;
  TbTtsCallbacks callbacks;
  gpointer user_data;
  GCancellable *cancellable;
  guint sample_rate;            /* wanted */

  /* Shared, under lock. */
  GMutex lock;
  GMainContext *context;        /* the caller's thread-default context,
                                   until the terminal callback */
  GQueue chunks;                /* GBytes *, resampled */
  gboolean produced_all;
  GError *error;                /* the outcome, once produced_all */
  gboolean dispatch_pending;
  gboolean finished;            /* the terminal callback was called (only
                                   the caller's side sets it) */

  /* The caller's side only. */
  GSource *cancel_source;

  /* The synthesis thread's side only. */
  TbTtsSynthFunc func;
  gpointer job;
  GDestroyNotify job_free;
  TbTtsResampler *resampler;
};

/* Synthesis threads still running, for shutdown. */
static GMutex threads_lock;
static GCond threads_cond;
static guint threads_running;

gboolean
tb_tts_stream_init (GError **error)
{
  /* GstAudioResampler's options are a GstStructure: GStreamer's types must
   * be registered. A no-op when the daemon has done it. */
  return gst_init_check (NULL, NULL, error);
}

void
tb_tts_stream_wait_all (void)
{
  g_mutex_lock (&threads_lock);
  while (threads_running > 0)
    g_cond_wait (&threads_cond, &threads_lock);
  g_mutex_unlock (&threads_lock);
}

static TbTtsStream *
stream_ref (TbTtsStream *stream)
{
  g_atomic_ref_count_inc (&stream->ref);
  return stream;
}

static void
stream_unref (gpointer data)
{
  TbTtsStream *stream = data;

  if (!g_atomic_ref_count_dec (&stream->ref))
    return;
  g_queue_clear_full (&stream->chunks, (GDestroyNotify) g_bytes_unref);
  g_clear_error (&stream->error);
  g_clear_object (&stream->cancellable);
  g_clear_pointer (&stream->context, g_main_context_unref);
  g_mutex_clear (&stream->lock);
  g_free (stream);
}

/* Calls the terminal callback: error(@error), or error(CANCELLED) when the
 * request was cancelled, or done(). Takes @error. */
static void
stream_finish (TbTtsStream *stream, GError *error)
{
  g_autoptr(GError) owned = error;
  g_autoptr(GMainContext) context = NULL;

  /* From now on the thread queues nothing and schedules nothing: a source
   * still pending on the context goes when the context goes, and the
   * stream no longer keeps the context alive. */
  g_mutex_lock (&stream->lock);
  stream->finished = TRUE;
  context = g_steal_pointer (&stream->context);
  g_queue_clear_full (&stream->chunks, (GDestroyNotify) g_bytes_unref);
  g_mutex_unlock (&stream->lock);
  if (stream->cancel_source) {
    g_source_destroy (stream->cancel_source);
    g_clear_pointer (&stream->cancel_source, g_source_unref);
  }
  if (g_cancellable_is_cancelled (stream->cancellable)) {
    g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                       "speech synthesis cancelled");

    stream->callbacks.error (cancelled, stream->user_data);
  } else if (owned) {
    stream->callbacks.error (owned, stream->user_data);
  } else {
    stream->callbacks.done (stream->user_data);
  }
}

/* On the caller's context: every queued chunk in order, then the outcome
 * when the thread has produced everything. A callback may cancel: that is
 * checked before each chunk. */
static void
stream_deliver (TbTtsStream *stream)
{
  while (!stream->finished) {
    g_autoptr(GBytes) chunk = NULL;
    GError *error = NULL;
    gboolean ended;

    if (g_cancellable_is_cancelled (stream->cancellable)) {
      stream_finish (stream, NULL);
      return;
    }
    g_mutex_lock (&stream->lock);
    chunk = g_queue_pop_head (&stream->chunks);
    ended = stream->produced_all;
    if (!chunk && ended)
      error = g_steal_pointer (&stream->error);
    g_mutex_unlock (&stream->lock);

    if (chunk) {
      gsize size = 0;
      const gint16 *samples = g_bytes_get_data (chunk, &size);

      stream->callbacks.audio (samples, size / sizeof (gint16), stream->user_data);
    } else {
      if (ended)
        stream_finish (stream, error);
      return;
    }
  }
}

static gboolean
stream_dispatch (gpointer data)
{
  TbTtsStream *stream = data;

  g_mutex_lock (&stream->lock);
  stream->dispatch_pending = FALSE;
  g_mutex_unlock (&stream->lock);
  stream_deliver (stream);
  return G_SOURCE_REMOVE;
}

static gboolean
stream_cancelled (GCancellable *cancellable, gpointer data)
{
  stream_deliver (data);
  return G_SOURCE_REMOVE;
}

/* Any thread: queues @chunk (may be NULL) and, with @end, the outcome
 * (@error, taken); makes sure a dispatch is coming. */
static void
stream_queue (TbTtsStream *stream, GBytes *chunk, gboolean end, GError *error)
{
  g_autoptr(GMainContext) context = NULL;

  g_mutex_lock (&stream->lock);
  if (stream->finished) {
    /* Cancelled and reported: nobody wants these any more. */
    g_mutex_unlock (&stream->lock);
    g_clear_pointer (&chunk, g_bytes_unref);
    g_clear_error (&error);
    return;
  }
  if (chunk)
    g_queue_push_tail (&stream->chunks, chunk);
  if (end) {
    stream->produced_all = TRUE;
    stream->error = error;
  }
  if (!stream->dispatch_pending)
    context = g_main_context_ref (stream->context);
  stream->dispatch_pending = TRUE;
  g_mutex_unlock (&stream->lock);

  if (context) {
    GSource *source = g_idle_source_new ();

    /* Audio is due now: not behind other idle work of the worker. */
    g_source_set_priority (source, G_PRIORITY_DEFAULT);
    g_source_set_static_name (source, "tb-tts-stream");
    g_source_set_callback (source, stream_dispatch, stream_ref (stream), stream_unref);
    g_source_attach (source, context);
    g_source_unref (source);
  }
}

/* On the caller's thread. */
static TbTtsStream *
stream_new (const TbTtsCallbacks *callbacks, gpointer user_data, GCancellable *cancellable)
{
  TbTtsStream *stream = g_new0 (TbTtsStream, 1);

  g_atomic_ref_count_init (&stream->ref);
  stream->callbacks = *callbacks;
  stream->user_data = user_data;
  stream->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  stream->context = g_main_context_ref_thread_default ();
  g_mutex_init (&stream->lock);
  g_queue_init (&stream->chunks);
  if (cancellable) {
    stream->cancel_source = g_cancellable_source_new (cancellable);
    g_source_set_static_name (stream->cancel_source, "tb-tts-stream-cancel");
    g_source_set_callback (stream->cancel_source, G_SOURCE_FUNC (stream_cancelled),
                           stream_ref (stream), stream_unref);
    g_source_attach (stream->cancel_source, stream->context);
  }
  return stream;
}

void
tb_tts_stream_fail (const TbTtsCallbacks *callbacks, gpointer user_data,
                    GCancellable *cancellable, GError *error)
{
  TbTtsStream *stream = stream_new (callbacks, user_data, cancellable);

  stream_queue (stream, NULL, TRUE, error);
  stream_unref (stream);
}

gboolean
tb_tts_stream_is_cancelled (TbTtsStream *stream)
{
  return g_cancellable_is_cancelled (stream->cancellable);
}

gboolean
tb_tts_stream_set_cancelled (GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "speech synthesis cancelled");
  return FALSE;
}

gboolean
tb_tts_stream_push (TbTtsStream *stream, const gint16 *samples, gsize n, guint rate)
{
  GBytes *chunk;

  if (tb_tts_stream_is_cancelled (stream))
    return FALSE;
  if (!stream->resampler)
    stream->resampler = tb_tts_resampler_new (rate, stream->sample_rate);
  g_return_val_if_fail (tb_tts_resampler_get_in_rate (stream->resampler) == rate, FALSE);
  chunk = tb_tts_resampler_process (stream->resampler, samples, n);
  if (chunk)
    stream_queue (stream, chunk, FALSE, NULL);
  return TRUE;
}

static gpointer
stream_thread (gpointer data)
{
  TbTtsStream *stream = data;
  GError *error = NULL;
  GBytes *tail = NULL;

  if (tb_tts_stream_is_cancelled (stream))
    tb_tts_stream_set_cancelled (&error);
  else if (!stream->func (stream, stream->job, &error) && !error)
    g_set_error_literal (&error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED, "speech synthesis failed");
  if (!error && stream->resampler)
    tail = tb_tts_resampler_drain (stream->resampler);
  g_clear_pointer (&stream->resampler, tb_tts_resampler_free);
  if (stream->job_free)
    stream->job_free (stream->job);
  stream->job = NULL;
  stream_queue (stream, tail, TRUE, error);
  stream_unref (stream);

  g_mutex_lock (&threads_lock);
  threads_running--;
  g_cond_broadcast (&threads_cond);
  g_mutex_unlock (&threads_lock);
  return NULL;
}

void
tb_tts_stream_start (const char *thread_name, guint sample_rate,
                     const TbTtsCallbacks *callbacks, gpointer user_data,
                     GCancellable *cancellable,
                     TbTtsSynthFunc func, gpointer job, GDestroyNotify job_free)
{
  TbTtsStream *stream;
  GThread *thread;
  GError *error = NULL;

  if (sample_rate < MIN_SAMPLE_RATE || sample_rate > MAX_SAMPLE_RATE) {
    if (job_free)
      job_free (job);
    tb_tts_stream_fail (callbacks, user_data, cancellable,
                        g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                                     "unsupported sample rate %u Hz (%d to %d)",
                                     sample_rate, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE));
    return;
  }

  stream = stream_new (callbacks, user_data, cancellable);
  stream->sample_rate = sample_rate;
  stream->func = func;
  stream->job = job;
  stream->job_free = job_free;

  g_mutex_lock (&threads_lock);
  threads_running++;
  g_mutex_unlock (&threads_lock);
  thread = g_thread_try_new (thread_name, stream_thread, stream_ref (stream), &error);
  if (thread) {
    g_thread_unref (thread);
  } else {
    g_mutex_lock (&threads_lock);
    threads_running--;
    g_mutex_unlock (&threads_lock);
    stream_unref (stream);                     /* the thread's reference */
    if (job_free)
      job_free (job);
    stream->job = NULL;
    stream_queue (stream, NULL, TRUE, error);
  }
  stream_unref (stream);
}
