/* tts-harness.c — one TTS request run to its end on the caller's
 * context, its callbacks recorded. */
#include "tts-harness.h"

#include <string.h>

void
tb_test_tts_run_init (TbTestTtsRun *run, const char *text, guint sample_rate)
{
  memset (run, 0, sizeof *run);
  run->text = text;
  run->rate = 1.0;
  run->sample_rate = sample_rate;
  run->audio = g_array_new (FALSE, FALSE, sizeof (gint16));
}

void
tb_test_tts_run_clear (TbTestTtsRun *run)
{
  g_clear_pointer (&run->audio, g_array_unref);
  g_clear_error (&run->error);
  g_clear_object (&run->cancellable);
}

double
tb_test_tts_run_seconds (const TbTestTtsRun *run)
{
  return (double) run->audio->len / run->sample_rate;
}

static void
on_audio (const gint16 *samples, gsize n, gpointer data)
{
  TbTestTtsRun *run = data;

  run->wrong_thread |= g_thread_self () != run->thread;
  if (run->done || run->errors)
    run->late_audio = TRUE;
  if (run->chunks == 0) {
    run->t_first = g_get_monotonic_time ();
    run->first_wakeup = run->wakeup;
  }
  if (run->wakeup == run->first_wakeup)
    run->first_wakeup_samples += n;
  run->last_wakeup = run->wakeup;
  run->chunks++;
  g_array_append_vals (run->audio, samples, n);
  if (run->cancel_at == TB_TEST_TTS_CANCEL_FIRST_CHUNK && run->chunks == 1)
    g_cancellable_cancel (run->cancellable);
}

static void
on_done (gpointer data)
{
  TbTestTtsRun *run = data;

  run->wrong_thread |= g_thread_self () != run->thread;
  run->done++;
  run->t_end = g_get_monotonic_time ();
}

static void
on_error (const GError *error, gpointer data)
{
  TbTestTtsRun *run = data;

  run->wrong_thread |= g_thread_self () != run->thread;
  run->errors++;
  if (!run->error)
    run->error = g_error_copy (error);
  run->t_end = g_get_monotonic_time ();
}

static const TbTtsCallbacks run_callbacks = { on_audio, on_done, on_error };

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates @context until @run (when not NULL) has ended or @ms have
 * passed, counting the wake-ups of @run; FALSE when the time ran out. */
static gboolean
iterate (GMainContext *context, guint ms, TbTestTtsRun *run)
{
  gboolean timed_out = FALSE;
  GSource *timeout = g_timeout_source_new (ms);

  g_source_set_callback (timeout, set_flag, &timed_out, NULL);
  g_source_attach (timeout, context);
  while (!timed_out && !(run && run->done + run->errors > 0)) {
    g_main_context_iteration (context, TRUE);
    if (run)
      run->wakeup++;
  }
  g_source_destroy (timeout);
  g_source_unref (timeout);
  return !timed_out;
}

void
tb_test_tts_synthesize (const TbTtsVTable *vtable, gpointer instance, TbTestTtsRun *run,
                        guint timeout_ms, guint linger_ms)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  TbTtsRequest request = {
    .text = run->text, .voice = run->voice, .language = run->language,
    .rate = run->rate, .sample_rate = run->sample_rate,
  };

  run->thread = g_thread_self ();
  run->cancellable = g_cancellable_new ();
  if (run->cancel_at == TB_TEST_TTS_CANCEL_BEFORE)
    g_cancellable_cancel (run->cancellable);
  run->t_call = g_get_monotonic_time ();
  vtable->synthesize (instance, &request, &run_callbacks, run, run->cancellable);
  /* Never a callback from inside the call. */
  g_assert_cmpuint (run->chunks + run->done + run->errors, ==, 0);
  if (run->cancel_at == TB_TEST_TTS_CANCEL_AFTER_CALL)
    g_cancellable_cancel (run->cancellable);

  if (!iterate (context, timeout_ms, run))
    g_error ("neither done() nor error() %u ms after synthesize()", timeout_ms);
  /* Anything that would come after the end. */
  iterate (context, linger_ms, NULL);
}
