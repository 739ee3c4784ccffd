/* tts-harness.h — one text-to-speech request to a plugin as the host makes
 * it (the audio at the call's rate, callbacks on the caller's context), with
 * what it called back recorded: every chunk of audio, when and in which
 * wake-up of the context it came, the terminal callback and anything after
 * it, the thread. */
#pragma once

#include "talkingbits-plugin.h"

G_BEGIN_DECLS

typedef enum {
  TB_TEST_TTS_CANCEL_NEVER,
  TB_TEST_TTS_CANCEL_BEFORE,        /* the cancellable is cancelled before the call */
  TB_TEST_TTS_CANCEL_AFTER_CALL,    /* right after synthesize() returns */
  TB_TEST_TTS_CANCEL_FIRST_CHUNK,   /* from the first audio callback */
} TbTestTtsCancelAt;

typedef struct {
  /* What to ask. */
  const char *text;
  const char *voice, *language;
  double rate;
  guint sample_rate;
  TbTestTtsCancelAt cancel_at;

  /* What happened. */
  GThread *thread;      /* the caller's */
  GCancellable *cancellable;
  GArray *audio;        /* gint16, every chunk in order */
  guint chunks, done, errors;
  GError *error;        /* the first error() */
  gboolean late_audio;  /* audio after done() or error() */
  gboolean wrong_thread;
  guint wakeup;         /* iterations of the caller's context so far */
  guint first_wakeup, last_wakeup;
  gsize first_wakeup_samples; /* audio delivered in the first wake-up with audio */
  gint64 t_call, t_first, t_end;
} TbTestTtsRun;

/* A request for @text at @sample_rate and the normal speed; clear it with
 * tb_test_tts_run_clear(). */
void tb_test_tts_run_init (TbTestTtsRun *run, const char *text, guint sample_rate);
void tb_test_tts_run_clear (TbTestTtsRun *run);
/* How long the audio so far lasts. */
double tb_test_tts_run_seconds (const TbTestTtsRun *run);

/* Asks @vtable's synthesize() of @instance for @run's request from this
 * thread's default context (cancelling it as @run->cancel_at says) and
 * asserts that nothing was called back from inside the call; then
 * iterates that context until the terminal callback (failing the test
 * after @timeout_ms), and for @linger_ms more to see anything that comes
 * after it. */
void tb_test_tts_synthesize (const TbTtsVTable *vtable, gpointer instance, TbTestTtsRun *run,
                             guint timeout_ms, guint linger_ms);

G_END_DECLS
