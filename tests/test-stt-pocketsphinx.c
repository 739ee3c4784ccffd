/* test-stt-pocketsphinx.c — the pocketsphinx STT plugin, the real .so of
 * build/plugins loaded through the registry, hearing espeak-ng speech: the
 * agent's phrases at 8 kHz (through µ-law) and 16 kHz, the first utterance
 * of a session included; two utterances in one session; finish and
 * cancellation with exactly one terminal callback; partials during a long
 * phrase; silence; a session freed mid-stream; bad settings. Latencies are
 * printed, not asserted. */
#include "plugin.h"
#include "settings.h"
#include "media/audio-file.h"
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

static TbPluginRegistry *registry;
static char *plugin_dir;
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

/* ---- instances and sessions ------------------------------------------- */

static const TbPlugin *
plugin (void)
{
  const TbPlugin *p = tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_STT, "pocketsphinx");

  g_assert_nonnull (p);
  return p;
}

static const TbSttVTable *
stt (void)
{
  return plugin ()->desc->vtable;
}

static gpointer
instance_new (const char *lines, GError **error)
{
  g_autofree char *text = g_strdup_printf ("[stt:test]\n%s", lines ? lines : "");
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(TbProblems) problems = tb_problems_new (NULL, text);
  g_autoptr(GVariant) settings = NULL;

  g_assert_true (g_key_file_load_from_data (keyfile, text, -1, G_KEY_FILE_NONE, NULL));
  settings = tb_settings_from_group (keyfile, "stt:test", plugin ()->desc->config_keys, NULL,
                                     problems);
  g_assert_cmpuint (tb_problems_count (problems), ==, 0);
  return plugin ()->desc->instance_new (tb_test_host (), settings, error);
}

typedef struct {
  GMainContext *context;
  gpointer instance;
  TbSttSession *session;
  GCancellable *cancellable;
  GPtrArray *finals;      /* char * */
  GPtrArray *partials;    /* char * */
  guint n_done, n_errors;
  GError *error;
  gboolean partial_before_final;
  gboolean wrong_context;
  gint64 end_of_turn_us;  /* when end_of_turn()/finish() was called */
  gint64 final_us;        /* when the first final after it arrived */
} Run;

static void
check_context (Run *run)
{
  if (g_main_context_get_thread_default () != run->context)
    run->wrong_context = TRUE;
}

static void
on_partial (const char *text, gpointer data)
{
  Run *run = data;

  check_context (run);
  g_ptr_array_add (run->partials, g_strdup (text));
  if (run->finals->len == 0)
    run->partial_before_final = TRUE;
}

static void
on_final (const char *text, double confidence, gpointer data)
{
  Run *run = data;

  check_context (run);
  g_assert_cmpfloat (confidence, >=, 0);
  g_assert_cmpfloat (confidence, <=, 1);
  g_ptr_array_add (run->finals, g_strdup (text));
  if (!run->final_us)
    run->final_us = g_get_monotonic_time ();
}

static void
on_done (gpointer data)
{
  Run *run = data;

  check_context (run);
  run->n_done++;
}

static void
on_error (const GError *error, gpointer data)
{
  Run *run = data;

  check_context (run);
  run->n_errors++;
  g_clear_error (&run->error);
  run->error = g_error_copy (error);
}

static const TbSttCallbacks callbacks = { on_partial, on_final, on_done, on_error };

/* A session on a context of the test's own, pushed as thread-default. */
static Run *
run_new (gpointer instance, guint rate, gboolean phrases)
{
  Run *run = g_new0 (Run, 1);
  TbSttParams params = { .sample_rate = rate, .language = "en-US",
                         .phrases = phrases ? expected : NULL };
  g_autoptr(GError) error = NULL;
  gint64 start;

  run->context = g_main_context_new ();
  g_main_context_push_thread_default (run->context);
  run->instance = instance;
  run->cancellable = g_cancellable_new ();
  run->finals = g_ptr_array_new_with_free_func (g_free);
  run->partials = g_ptr_array_new_with_free_func (g_free);
  start = g_get_monotonic_time ();
  run->session = stt ()->session_new (instance, &params, &callbacks, run, run->cancellable,
                                      &error);
  g_test_message ("session_new: %.2f ms", (g_get_monotonic_time () - start) / 1000.0);
  g_assert_no_error (error);
  g_assert_nonnull (run->session);
  return run;
}

static void
run_free (Run *run)
{
  if (run->session)
    stt ()->session_free (run->session);
  g_main_context_pop_thread_default (run->context);
  g_main_context_unref (run->context);
  g_object_unref (run->cancellable);
  g_ptr_array_unref (run->finals);
  g_ptr_array_unref (run->partials);
  g_clear_error (&run->error);
  g_free (run);
}

/* @audio at @rate, in 20 ms frames. */
static void
push (Run *run, GBytes *audio, guint rate)
{
  gsize size = 0;
  const gint16 *samples = g_bytes_get_data (audio, &size);
  gsize n = size / sizeof (gint16);
  gsize frame = rate / 50;

  for (gsize i = 0; i < n; i += frame)
    stt ()->push_audio (run->session, samples + i, MIN (frame, n - i));
}

static void
push_silence (Run *run, guint rate, guint ms)
{
  g_autofree gint16 *zeros = g_new0 (gint16, rate / 50);

  for (guint i = 0; i < ms / 20; i++)
    stt ()->push_audio (run->session, zeros, rate / 50);
}

static gboolean
iterate_until (Run *run, guint n_finals, gboolean terminal)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline) {
    if (run->finals->len >= n_finals && (!terminal || run->n_done + run->n_errors > 0))
      return TRUE;
    g_main_context_iteration (run->context, FALSE);
    g_usleep (1000);
  }
  return FALSE;
}

/* Runs the context for @ms more: nothing may arrive after a terminal callback. */
static void
linger (Run *run, guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until) {
    g_main_context_iteration (run->context, FALSE);
    g_usleep (2000);
  }
}

/* ---- tests ------------------------------------------------------------ */

static gpointer
default_instance (void)
{
  g_autoptr(GError) error = NULL;
  gpointer instance = instance_new (NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (instance);
  return instance;
}

/* Each phrase in a new session: the first utterance of a session. */
static void
test_phrases (gconstpointer data)
{
  guint rate = GPOINTER_TO_UINT (data);
  gpointer instance = default_instance ();

  for (guint i = 0; expected[i]; i++) {
    Run *run = run_new (instance, rate, TRUE);
    g_autofree char *words = words_of (expected[i]);

    push (run, speech (expected[i], rate), rate);
    stt ()->finish (run->session);
    g_assert_true (iterate_until (run, 1, TRUE));
    linger (run, 50);
    g_assert_cmpuint (run->n_errors, ==, 0);
    g_assert_cmpuint (run->n_done, ==, 1);
    g_assert_cmpuint (run->finals->len, ==, 1);
    g_assert_cmpstr (g_ptr_array_index (run->finals, 0), ==, words);
    g_assert_false (run->wrong_context);
    run_free (run);
  }
  plugin ()->desc->instance_free (instance);
}

/* end_of_turn gives the first utterance's final, the session goes on. */
static void
test_two_utterances (void)
{
  gpointer instance = default_instance ();
  Run *run = run_new (instance, 8000, TRUE);

  push (run, speech (expected[0], 8000), 8000);
  push_silence (run, 8000, 300);
  stt ()->end_of_turn (run->session);
  g_assert_true (iterate_until (run, 1, FALSE));
  g_assert_cmpuint (run->n_done, ==, 0);
  push (run, speech (expected[3], 8000), 8000);
  stt ()->finish (run->session);
  g_assert_true (iterate_until (run, 2, TRUE));
  linger (run, 100);
  g_assert_cmpuint (run->finals->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (run->finals, 0), ==, "i would like to book an appointment");
  g_assert_cmpstr (g_ptr_array_index (run->finals, 1), ==, "at ten in the morning");
  g_assert_cmpuint (run->n_done, ==, 1);
  g_assert_cmpuint (run->n_errors, ==, 0);
  g_assert_false (run->wrong_context);
  run_free (run);
  plugin ()->desc->instance_free (instance);
}

typedef struct {
  Run *run;
  const gint16 *samples;
  gsize n, pos;
} Pacer;

static gboolean
pace_frame (gpointer data)
{
  Pacer *pacer = data;
  gsize frame = MIN (160, pacer->n - pacer->pos);

  stt ()->push_audio (pacer->run->session, pacer->samples + pacer->pos, frame);
  pacer->pos += frame;
  if (pacer->pos < pacer->n)
    return G_SOURCE_CONTINUE;
  pacer->run->end_of_turn_us = g_get_monotonic_time ();
  stt ()->end_of_turn (pacer->run->session);
  return G_SOURCE_REMOVE;
}

/* Audio in real time: partials while it comes, the final right after the
 * end of the turn. */
static void
test_partials (void)
{
  const char *text = "I would like to book an appointment. What are your opening hours?";
  gpointer instance = default_instance ();
  Run *run = run_new (instance, 8000, TRUE);
  GBytes *audio = speech (text, 8000);
  gsize size = 0;
  Pacer pacer = { run, g_bytes_get_data (audio, &size), 0, 0 };
  GSource *source = g_timeout_source_new (20);

  pacer.n = size / sizeof (gint16);
  g_source_set_callback (source, pace_frame, &pacer, NULL);
  g_source_attach (source, run->context);
  g_source_unref (source);
  g_assert_true (iterate_until (run, 1, FALSE));
  g_assert_cmpuint (run->partials->len, >=, 1);
  g_assert_true (run->partial_before_final);
  g_assert_cmpstr (g_ptr_array_index (run->finals, 0), ==,
                   "i would like to book an appointment what are your opening hours");
  g_test_message ("%u partials, first '%s'; final %.1f ms after end_of_turn", run->partials->len,
                  (const char *) g_ptr_array_index (run->partials, 0),
                  (run->final_us - run->end_of_turn_us) / 1000.0);
  g_printerr ("# final %.1f ms after end_of_turn (real-time audio, %u partials)\n",
              (run->final_us - run->end_of_turn_us) / 1000.0, run->partials->len);
  stt ()->finish (run->session);
  g_assert_true (iterate_until (run, 2, TRUE));
  g_assert_cmpuint (run->n_done, ==, 1);
  run_free (run);
  plugin ()->desc->instance_free (instance);
}

static void
test_silence (void)
{
  gpointer instance = default_instance ();
  Run *run = run_new (instance, 8000, TRUE);

  push_silence (run, 8000, 1000);
  stt ()->finish (run->session);
  g_assert_true (iterate_until (run, 1, TRUE));
  linger (run, 50);
  g_assert_cmpuint (run->finals->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (run->finals, 0), ==, "");
  g_assert_cmpuint (run->n_done, ==, 1);
  g_assert_cmpuint (run->n_errors, ==, 0);
  run_free (run);
  plugin ()->desc->instance_free (instance);
}

/* Cancelled while audio is being decoded, or before anything happened. */
static void
test_cancel (gconstpointer data)
{
  gboolean before = GPOINTER_TO_UINT (data);
  gpointer instance = default_instance ();
  Run *run = run_new (instance, 8000, TRUE);

  if (before) {
    g_cancellable_cancel (run->cancellable);
  } else {
    push (run, speech (expected[0], 8000), 8000);
    stt ()->end_of_turn (run->session);
    push (run, speech (expected[1], 8000), 8000);
    g_cancellable_cancel (run->cancellable);
    stt ()->finish (run->session);
  }
  g_assert_true (iterate_until (run, 0, TRUE));
  linger (run, 300);
  g_assert_cmpuint (run->n_errors, ==, 1);
  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (run->n_done, ==, 0);
  g_assert_cmpuint (run->finals->len, ==, 0);
  run_free (run);
  plugin ()->desc->instance_free (instance);
}

/* Freed with audio still queued: no callback afterwards, the instance
 * (which waits for its session threads) goes away promptly. */
static void
test_free_midway (void)
{
  gpointer instance = default_instance ();
  Run *run = run_new (instance, 16000, TRUE);
  gint64 start;

  for (guint i = 0; i < 5; i++)
    push (run, speech (expected[1], 16000), 16000);
  stt ()->session_free (g_steal_pointer (&run->session));
  linger (run, 100);
  g_assert_cmpuint (run->finals->len + run->n_done + run->n_errors, ==, 0);
  run_free (run);
  start = g_get_monotonic_time ();
  plugin ()->desc->instance_free (instance);
  g_test_message ("instance_free after a freed session: %.1f ms",
                  (g_get_monotonic_time () - start) / 1000.0);
}

/* Without phrases the language model listens: a final and done. */
static void
test_language_model (void)
{
  gpointer instance = default_instance ();
  Run *run = run_new (instance, 16000, FALSE);

  push (run, speech ("Goodbye.", 16000), 16000);
  stt ()->finish (run->session);
  g_assert_true (iterate_until (run, 1, TRUE));
  g_assert_cmpuint (run->n_done, ==, 1);
  g_assert_cmpuint (run->n_errors, ==, 0);
  g_test_message ("language model heard 'goodbye' as '%s'",
                  (const char *) g_ptr_array_index (run->finals, 0));
  run_free (run);
  plugin ()->desc->instance_free (instance);
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

    g_assert_null (instance_new (cases[i].lines, &error));
    g_assert_nonnull (error);
    g_assert_true (tb_test_contains (error->message, cases[i].message));
  }
}

static void
test_bad_params (void)
{
  gpointer instance = default_instance ();
  TbSttParams rate = { .sample_rate = 44100 };
  TbSttParams language = { .sample_rate = 8000, .language = "fr-FR" };
  g_autoptr(GError) error = NULL;

  g_assert_null (stt ()->session_new (instance, &rate, &callbacks, NULL, NULL, &error));
  g_assert_true (tb_test_contains (error->message, "44100"));
  g_clear_error (&error);
  g_assert_null (stt ()->session_new (instance, &language, &callbacks, NULL, NULL, &error));
  g_assert_true (tb_test_contains (error->message, "fr-FR"));
  plugin ()->desc->instance_free (instance);
}

/* ---- set-up ----------------------------------------------------------- */

static void
load_plugin (void)
{
  g_autofree char *built = g_build_filename (TB_BUILD_ROOT, "plugins", "stt-pocketsphinx.so", NULL);
  g_autofree char *link = NULL;
  const char *dirs[] = { NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(TbPluginScan) scan = NULL;

  plugin_dir = g_dir_make_tmp ("tb-stt-XXXXXX", &error);
  g_assert_no_error (error);
  link = g_build_filename (plugin_dir, "stt-pocketsphinx.so", NULL);
  g_assert_cmpint (symlink (built, link), ==, 0);
  registry = tb_plugin_registry_new (tb_test_host ());
  dirs[0] = plugin_dir;
  scan = tb_plugin_registry_scan (registry, dirs);
  g_assert_cmpuint (scan->skipped->len, ==, 0);
  g_assert_cmpuint (scan->loaded->len, ==, 1);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  load_plugin ();
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
  tb_plugin_registry_free (registry);
  tb_test_remove_tree (plugin_dir);
  tb_test_remove_tree (audio_dir);
  g_free (plugin_dir);
  g_free (audio_dir);
  return status;
}
