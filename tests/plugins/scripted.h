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
