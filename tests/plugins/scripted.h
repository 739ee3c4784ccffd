/* scripted.h — what the scripted test providers share: running a function
 * on the caller's thread-default context after a delay, as the plugin ABI
 * asks (never from inside the call that started the operation). These
 * providers stand in for speech engines and language models in tests of
 * the conversation engine: they follow the ABI to the letter and do what
 * their settings script. */
#pragma once

#include <talkingbits-plugin.h>

static inline guint
scripted_later (guint delay_ms, GSourceFunc func, gpointer data)
{
  GSource *source = delay_ms ? g_timeout_source_new (delay_ms) : g_idle_source_new ();
  guint id;

  g_source_set_callback (source, func, data, NULL);
  id = g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
  return id;
}

/* Runs @func (@data) once, after @delay_ms or as soon as @cancellable is
 * cancelled, whichever comes first (the ABI wants cancelled work to end
 * promptly). */
typedef struct {
  GSource *timer;
  GSource *cancelled;
  GSourceFunc func;
  gpointer data;
} ScriptedWait;

static inline gboolean
scripted_wait_over (gpointer user_data)
{
  ScriptedWait *wait = user_data;

  g_source_destroy (wait->timer);
  g_source_unref (wait->timer);
  if (wait->cancelled) {
    g_source_destroy (wait->cancelled);
    g_source_unref (wait->cancelled);
  }
  wait->func (wait->data);
  g_free (wait);
  return G_SOURCE_REMOVE;
}

static inline gboolean
scripted_wait_cancelled (GCancellable *cancellable, gpointer user_data)
{
  return scripted_wait_over (user_data);
}

static inline void
scripted_wait (guint delay_ms, GCancellable *cancellable, GSourceFunc func, gpointer data)
{
  ScriptedWait *wait = g_new0 (ScriptedWait, 1);
  GMainContext *context = g_main_context_get_thread_default ();

  wait->func = func;
  wait->data = data;
  wait->timer = g_timeout_source_new (delay_ms);
  g_source_set_callback (wait->timer, scripted_wait_over, wait, NULL);
  g_source_attach (wait->timer, context);
  if (cancellable) {
    wait->cancelled = g_cancellable_source_new (cancellable);
    g_source_set_callback (wait->cancelled, G_SOURCE_FUNC (scripted_wait_cancelled), wait, NULL);
    g_source_attach (wait->cancelled, context);
  }
}

static inline void
scripted_cancel_source (guint *id)
{
  if (*id) {
    GSource *source = g_main_context_find_source_by_id (g_main_context_get_thread_default (), *id);

    if (source)
      g_source_destroy (source);
    *id = 0;
  }
}

static inline GError *
scripted_cancelled (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
}
