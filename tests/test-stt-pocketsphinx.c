/* test-stt-pocketsphinx.c — the pocketsphinx STT plugin, the real .so of
 * build/plugins loaded through the registry, hearing espeak-ng speech: the
 * agent's phrases at 8 kHz (through µ-law) and 16 kHz, the first utterance
 * of a session included; two utterances in one session; finish and
 * cancellation with exactly one terminal callback; partials during a long
 * phrase; silence; a session freed mid-stream; bad settings. Latencies are
 * printed, not asserted. */
#include "media/audio-file.h"
#include "stt-harness.h"
#include "test-server.h"
#include "test-util.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>
#include <unistd.h>

static const char *const expected[] = {
  "I would like to book an appointment.", "What are your opening hours?", "Tomorrow.",
  "At ten in the morning.", "Can I speak to a doctor?", "I need to cancel my appointment.",
  "Yes, please.", "No, thank you.", "Goodbye.", NULL
};

static TbTestStt *stt;
static char *audio_dir;
static GHashTable *speech_cache;  /* "rate:text" -> GBytes */

/* ---- speech ----------------------------------------------------------- */

/* @text said by espeak-ng at @rate: 8000 goes through µ-law like a phone
 * call. Cached per text and rate. */
static GBytes *
speech (const char *text, guint rate)
{
  g_autofree char *key = g_strdup_printf ("%u:%s", rate, text);
  g_autofree char *wav = NULL, *mulaw = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *bytes;
  gint16 *samples;
  gsize n = 0;

  if ((bytes = g_hash_table_lookup (speech_cache, key)))
    return bytes;
  wav = g_build_filename (audio_dir, "speech.wav", NULL);
  mulaw = g_build_filename (audio_dir, "speech-ulaw.wav", NULL);
  tb_test_write_speech (wav, rate == 8000 ? mulaw : NULL, text);
  samples = tb_audio_file_read (rate == 8000 ? mulaw : wav, rate, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, >, rate / 2);
  bytes = g_bytes_new_take (samples, n * sizeof (gint16));
  g_hash_table_insert (speech_cache, g_steal_pointer (&key), bytes);
  return bytes;
}

/* "At ten in the morning." -> "at ten in the morning" */
static char *
words_of (const char *text)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (const char *p = text; *p; p++)
    if (g_ascii_isalpha (*p) || *p == ' ' || *p == '\'')
      g_string_append_c (out, g_ascii_tolower (*p));
  return g_strdup (g_strstrip (out->str));
}

/* ---- sessions ---------------------------------------------------------- */

/* A session on a context of the test's own, pushed as thread-default. */
static TbTestSttRun *
run_new (gpointer instance, guint rate, gboolean phrases)
{
  TbSttParams params = { .sample_rate = rate, .language = "en-US",
                         .phrases = phrases ? expected : NULL };
  g_autoptr(GMainContext) context = g_main_context_new ();
  TbTestSttRun *run;
  gint64 start;

  g_main_context_push_thread_default (context);
  start = g_get_monotonic_time ();
  run = tb_test_stt_run_new_full (stt, instance, &params);
  g_test_message ("session_new: %.2f ms", (g_get_monotonic_time () - start) / 1000.0);
  return run;
}

static void
run_free (TbTestSttRun *run)
{
  GMainContext *context = run->context;

  tb_test_stt_run_free (run);
  g_main_context_pop_thread_default (context);
}

static void
push (TbTestSttRun *run, GBytes *audio)
{
  gsize size = 0;
  const gint16 *samples = g_bytes_get_data (audio, &size);

  tb_test_stt_push_samples (run, samples, size / sizeof (gint16));
}

static void
push_silence (TbTestSttRun *run, guint ms)
{
  g_autofree gint16 *zeros = g_new0 (gint16, run->rate * ms / 1000);

  tb_test_stt_push_samples (run, zeros, run->rate * ms / 1000);
}

/* Iterates until @run has @n_finals finals (and, when @terminal, its
 * terminal callback); fails the test after 30 s. */
static void
wait_for (TbTestSttRun *run, guint n_finals, gboolean terminal)
{
  TB_TEST_STT_WAIT_FOR (run->finals->len >= n_finals
                        && (!terminal || run->n_done + run->n_errors > 0), 30000);
}

/* ---- tests ------------------------------------------------------------ */

/* Each phrase in a new session: the first utterance of a session. */
static void
test_phrases (gconstpointer data)
{
  guint rate = GPOINTER_TO_UINT (data);
  gpointer instance = tb_test_stt_instance_new (stt, NULL);

  for (guint i = 0; expected[i]; i++) {
    TbTestSttRun *run = run_new (instance, rate, TRUE);
    g_autofree char *words = words_of (expected[i]);

    push (run, speech (expected[i], rate));
    tb_test_stt_finish (run);
    wait_for (run, 1, TRUE);
    tb_test_stt_linger (50);
    g_assert_cmpuint (run->n_errors, ==, 0);
    g_assert_cmpuint (run->n_done, ==, 1);
    g_assert_cmpuint (run->finals->len, ==, 1);
    g_assert_cmpstr (g_ptr_array_index (run->finals, 0), ==, words);
    g_assert_false (run->wrong_context);
    run_free (run);
  }
  tb_test_stt_instance_free (stt, instance);
}

/* end_of_turn gives the first utterance's final, the session goes on. */
static void
test_two_utterances (void)
{
  gpointer instance = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = run_new (instance, 8000, TRUE);

  push (run, speech (expected[0], 8000));
  push_silence (run, 300);
  tb_test_stt_end_of_turn (run);
  wait_for (run, 1, FALSE);
  g_assert_cmpuint (run->n_done, ==, 0);
  push (run, speech (expected[3], 8000));
  tb_test_stt_finish (run);
  wait_for (run, 2, TRUE);
  tb_test_stt_linger (100);
  g_assert_cmpuint (run->finals->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (run->finals, 0), ==, "i would like to book an appointment");
  g_assert_cmpstr (g_ptr_array_index (run->finals, 1), ==, "at ten in the morning");
  g_assert_cmpuint (run->n_done, ==, 1);
  g_assert_cmpuint (run->n_errors, ==, 0);
  g_assert_false (run->wrong_context);
  run_free (run);
  tb_test_stt_instance_free (stt, instance);
}

typedef struct {
  TbTestSttRun *run;
  const gint16 *samples;
  gsize n, pos;
  gint64 end_of_turn_us;  /* when end_of_turn() was called */
} Pacer;

static gboolean
pace_frame (gpointer data)
{
  Pacer *pacer = data;
  gsize frame = MIN (160, pacer->n - pacer->pos);

  tb_test_stt_push_samples (pacer->run, pacer->samples + pacer->pos, frame);
  pacer->pos += frame;
  if (pacer->pos < pacer->n)
    return G_SOURCE_CONTINUE;
  pacer->end_of_turn_us = g_get_monotonic_time ();
  tb_test_stt_end_of_turn (pacer->run);
  return G_SOURCE_REMOVE;
}

/* Audio in real time: partials while it comes, the final right after the
 * end of the turn. */
static void
test_partials (void)
{
  const char *text = "I would like to book an appointment. What are your opening hours?";
  gpointer instance = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = run_new (instance, 8000, TRUE);
  GBytes *audio = speech (text, 8000);
  gsize size = 0;
  Pacer pacer = { run, g_bytes_get_data (audio, &size), 0, 0, 0 };
  GSource *source = g_timeout_source_new (20);

  pacer.n = size / sizeof (gint16);
  g_source_set_callback (source, pace_frame, &pacer, NULL);
  g_source_attach (source, run->context);
  g_source_unref (source);
  wait_for (run, 1, FALSE);
  g_assert_cmpuint (run->partials->len, >=, 1);
  g_assert_true (run->partial_before_final);
  g_assert_cmpstr (g_ptr_array_index (run->finals, 0), ==,
                   "i would like to book an appointment what are your opening hours");
  g_test_message ("%u partials, first '%s'; final %.1f ms after end_of_turn", run->partials->len,
                  (const char *) g_ptr_array_index (run->partials, 0),
                  (run->final_us - pacer.end_of_turn_us) / 1000.0);
  g_printerr ("# final %.1f ms after end_of_turn (real-time audio, %u partials)\n",
              (run->final_us - pacer.end_of_turn_us) / 1000.0, run->partials->len);
  tb_test_stt_finish (run);
  wait_for (run, 2, TRUE);
  g_assert_cmpuint (run->n_done, ==, 1);
  run_free (run);
  tb_test_stt_instance_free (stt, instance);
}

static void
test_silence (void)
{
  gpointer instance = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = run_new (instance, 8000, TRUE);

  push_silence (run, 1000);
  tb_test_stt_finish (run);
  wait_for (run, 1, TRUE);
  tb_test_stt_linger (50);
  g_assert_cmpuint (run->finals->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (run->finals, 0), ==, "");
  g_assert_cmpuint (run->n_done, ==, 1);
  g_assert_cmpuint (run->n_errors, ==, 0);
  run_free (run);
  tb_test_stt_instance_free (stt, instance);
}

/* Cancelled while audio is being decoded, or before anything happened. */
static void
test_cancel (gconstpointer data)
{
  gboolean before = GPOINTER_TO_UINT (data);
  gpointer instance = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = run_new (instance, 8000, TRUE);

  if (before) {
    g_cancellable_cancel (run->cancellable);
  } else {
    push (run, speech (expected[0], 8000));
    tb_test_stt_end_of_turn (run);
    push (run, speech (expected[1], 8000));
    g_cancellable_cancel (run->cancellable);
    tb_test_stt_finish (run);
  }
  wait_for (run, 0, TRUE);
  tb_test_stt_linger (300);
  g_assert_cmpuint (run->n_errors, ==, 1);
  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (run->n_done, ==, 0);
  g_assert_cmpuint (run->finals->len, ==, 0);
  run_free (run);
  tb_test_stt_instance_free (stt, instance);
}

/* Freed with audio still queued: no callback afterwards, the instance
 * (which waits for its session threads) goes away promptly. */
static void
test_free_midway (void)
{
  gpointer instance = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = run_new (instance, 16000, TRUE);
  gint64 start;

  for (guint i = 0; i < 5; i++)
    push (run, speech (expected[1], 16000));
  tb_test_stt_vtable (stt)->session_free (g_steal_pointer (&run->session));
  tb_test_stt_linger (100);
  g_assert_cmpuint (run->finals->len + run->n_done + run->n_errors, ==, 0);
  run_free (run);
  start = g_get_monotonic_time ();
  tb_test_stt_instance_free (stt, instance);
  g_test_message ("instance_free after a freed session: %.1f ms",
                  (g_get_monotonic_time () - start) / 1000.0);
}

/* Without phrases the language model listens: a final and done. */
static void
test_language_model (void)
{
  gpointer instance = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = run_new (instance, 16000, FALSE);

  push (run, speech ("Goodbye.", 16000));
  tb_test_stt_finish (run);
  wait_for (run, 1, TRUE);
  g_assert_cmpuint (run->n_done, ==, 1);
  g_assert_cmpuint (run->n_errors, ==, 0);
  g_test_message ("language model heard 'goodbye' as '%s'",
                  (const char *) g_ptr_array_index (run->finals, 0));
  run_free (run);
  tb_test_stt_instance_free (stt, instance);
}

static void
test_bad_settings (void)
{
  static const struct { const char *lines, *message; } cases[] = {
    { "model=/nonexistent/acoustic-model\n", "/nonexistent/acoustic-model" },
    { "model=/tmp\n", "/tmp has no mdef file" },
    { "dictionary=/nonexistent/words.dict\n", "/nonexistent/words.dict" },
    { "language-model=/nonexistent/lm.bin\n", "/nonexistent/lm.bin" },
    { "cmninit=1,2,3\n", "cmninit: expected 13 comma-separated numbers" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;

    g_assert_null (tb_test_stt_instance_try (stt, cases[i].lines, &error));
    g_assert_nonnull (error);
    g_assert_true (tb_test_contains (error->message, cases[i].message));
  }
}

static void
test_bad_params (void)
{
  const TbSttVTable *vtable = tb_test_stt_vtable (stt);
  gpointer instance = tb_test_stt_instance_new (stt, NULL);
  TbSttParams rate = { .sample_rate = 44100 };
  TbSttParams language = { .sample_rate = 8000, .language = "fr-FR" };
  g_autoptr(GError) error = NULL;

  g_assert_null (vtable->session_new (instance, &rate, &tb_test_stt_callbacks, NULL, NULL,
                                      &error));
  g_assert_true (tb_test_contains (error->message, "44100"));
  g_clear_error (&error);
  g_assert_null (vtable->session_new (instance, &language, &tb_test_stt_callbacks, NULL, NULL,
                                      &error));
  g_assert_true (tb_test_contains (error->message, "fr-FR"));
  tb_test_stt_instance_free (stt, instance);
}

/* ---- set-up ----------------------------------------------------------- */

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  stt = tb_test_stt_new ("stt-pocketsphinx", "pocketsphinx");
  audio_dir = g_dir_make_tmp ("tb-stt-audio-XXXXXX", &error);
  g_assert_no_error (error);
  speech_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_bytes_unref);
  g_test_add_data_func ("/stt/pocketsphinx/phrases-8000", GUINT_TO_POINTER (8000), test_phrases);
  g_test_add_data_func ("/stt/pocketsphinx/phrases-16000", GUINT_TO_POINTER (16000), test_phrases);
  g_test_add_func ("/stt/pocketsphinx/two-utterances", test_two_utterances);
  g_test_add_func ("/stt/pocketsphinx/partials", test_partials);
  g_test_add_func ("/stt/pocketsphinx/silence", test_silence);
  g_test_add_data_func ("/stt/pocketsphinx/cancel-midway", GUINT_TO_POINTER (FALSE), test_cancel);
  g_test_add_data_func ("/stt/pocketsphinx/cancel-before", GUINT_TO_POINTER (TRUE), test_cancel);
  g_test_add_func ("/stt/pocketsphinx/free-midway", test_free_midway);
  g_test_add_func ("/stt/pocketsphinx/language-model", test_language_model);
  g_test_add_func ("/stt/pocketsphinx/bad-settings", test_bad_settings);
  g_test_add_func ("/stt/pocketsphinx/bad-params", test_bad_params);
  status = g_test_run ();

  g_hash_table_unref (speech_cache);
  tb_test_stt_free (stt);
  tb_test_remove_tree (audio_dir);
  g_free (audio_dir);
  return status;
}
