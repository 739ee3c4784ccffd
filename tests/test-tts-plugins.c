/* test-tts-plugins.c — the espeak and flite TTS plugins, the real .so files
 * of build/plugins loaded through the plugin registry: default and bad
 * settings, speech at 8000 and 16000 Hz that sounds like speech and arrives
 * in chunks while it is being synthesised, one terminal callback, prompt
 * cancellation, and two instances speaking from two threads at once.
 * Time to first chunk and real-time factor are reported, not asserted. */
#include "plugin.h"
#include "settings.h"
#include "audio-check.h"
#include "test-util.h"
#include "tts-harness.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#define SENTENCE "Your appointment is on Tuesday at ten thirty."
#define PARAGRAPH \
  "Thank you for calling the clinic. Your appointment is on Tuesday at ten thirty. " \
  "Please bring your insurance card and arrive ten minutes early. " \
  "If you need to change the time, call us back or press one to speak to the front desk. "
/* Long enough that even espeak-ng, which renders a sentence in a few
 * milliseconds, is still synthesising when the first chunk arrives. */
#define LONG_TEXT PARAGRAPH PARAGRAPH PARAGRAPH PARAGRAPH

static TbPluginRegistry *registry;
static char *plugin_dir;

/* ---- instances --------------------------------------------------------- */

static const TbPlugin *
engine_plugin (const char *engine)
{
  const TbPlugin *plugin = tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_TTS, engine);

  g_assert_nonnull (plugin);
  return plugin;
}

/* An instance with the settings of a [tts:test] group holding @lines. */
static gpointer
instance_new (const char *engine, const char *lines, GError **error)
{
  const TbPlugin *plugin = engine_plugin (engine);
  g_autofree char *text = g_strdup_printf ("[tts:test]\n%s", lines ? lines : "");
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(TbProblems) problems = tb_problems_new (NULL, text);
  g_autoptr(GVariant) settings = NULL;

  g_assert_true (g_key_file_load_from_data (keyfile, text, -1, G_KEY_FILE_NONE, NULL));
  settings = tb_settings_from_group (keyfile, "tts:test", plugin->desc->config_keys, NULL,
                                     problems);
  g_assert_cmpuint (tb_problems_count (problems), ==, 0);
  return plugin->desc->instance_new (tb_test_host (), settings, error);
}

static gpointer
default_instance (const char *engine)
{
  g_autoptr(GError) error = NULL;
  gpointer instance = instance_new (engine, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (instance);
  return instance;
}

static void
instance_free (const char *engine, gpointer instance)
{
  engine_plugin (engine)->desc->instance_free (instance);
}

/* ---- one synthesis ------------------------------------------------------ */

/* Runs one request on a new context pushed as this thread's default, to
 * its end, then 100 ms more to catch anything that comes after it. */
static void
run_synthesis (const char *engine, gpointer instance, TbTestTtsRun *run)
{
  g_autoptr(GMainContext) context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  tb_test_tts_synthesize (engine_plugin (engine)->desc->vtable, instance, run, 60000, 100);
  g_main_context_pop_thread_default (context);
}

/* The request ended well: one done(), no error, all audio before it. */
static void
assert_spoken (const char *engine, const TbTestTtsRun *run)
{
  if (run->error)
    g_printerr ("%s: %s\n", engine, run->error->message);
  g_assert_no_error (run->error);
  g_assert_cmpuint (run->done, ==, 1);
  g_assert_cmpuint (run->errors, ==, 0);
  g_assert_false (run->late_audio);
  g_assert_false (run->wrong_thread);
}

/* @text at @sample_rate, which must end well, into @run (run_clear() it). */
static void
speak (const char *engine, gpointer instance, const char *text, guint sample_rate,
       TbTestTtsRun *run)
{
  tb_test_tts_run_init (run, text, sample_rate);
  run_synthesis (engine, instance, run);
  assert_spoken (engine, run);
}

/* Exactly one error(CANCELLED), no done(), nothing after it. */
static void
assert_cancelled (const TbTestTtsRun *run)
{
  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (run->errors, ==, 1);
  g_assert_cmpuint (run->done, ==, 0);
  g_assert_false (run->late_audio);
  g_assert_false (run->wrong_thread);
}

/* ---- what speech looks like --------------------------------------------- */

/* Power in [lo, hi) Hz, summed over a 50 Hz grid. */
static double
band_power (const gint16 *samples, gsize n, guint rate, double lo, double hi)
{
  double sum = 0;

  for (double f = lo; f < hi; f += 50)
    sum += tb_test_goertzel (samples, n, rate, f);
  return sum;
}

static void
assert_speech (const char *engine, const TbTestTtsRun *run)
{
  const gint16 *samples = (const gint16 *) run->audio->data;
  gsize n = run->audio->len;
  double seconds = tb_test_tts_run_seconds (run), rms = tb_test_rms (samples, n);

  g_test_message ("%s at %u Hz: %u chunks, %.2f s of audio, RMS %.0f", engine,
                  run->sample_rate, run->chunks, seconds, rms);
  g_assert_cmpuint (run->chunks, >=, 3);
  g_assert_cmpfloat (seconds, >=, 1.5);
  g_assert_cmpfloat (seconds, <=, 6.0);
  /* Speech at a normal level: neither silence nor a clipped square wave. */
  g_assert_cmpfloat (rms, >, 300);
  g_assert_cmpfloat (rms, <, 16000);
  if (run->sample_rate >= 16000) {
    double low = band_power (samples, n, run->sample_rate, 100, 4000);
    double high = band_power (samples, n, run->sample_rate, 4000, run->sample_rate / 2.0);

    g_test_message ("%s: %.1f %% of the energy below 4 kHz", engine, 100 * low / (low + high));
    g_assert_cmpfloat (low / (low + high), >, 0.8);
  }
}

/* @in at 16 kHz, low-passed at 3.6 kHz (windowed sinc) and decimated by 2. */
static GArray *
decimate_16k (const GArray *in)
{
  enum { HALF = 48 };
  const gint16 *x = (const gint16 *) in->data;
  double taps[2 * HALF + 1], gain = 0;
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gint16));

  for (int k = -HALF; k <= HALF; k++) {
    double fc = 3600.0 / 16000, sinc = k ? sin (2 * G_PI * fc * k) / (G_PI * k) : 2 * fc;
    double blackman = 0.42 + 0.5 * cos (G_PI * k / HALF) + 0.08 * cos (2 * G_PI * k / HALF);

    taps[k + HALF] = sinc * blackman;
    gain += taps[k + HALF];
  }
  for (gsize i = 0; i < in->len; i += 2) {
    double acc = 0;
    gint16 y;

    for (int k = -HALF; k <= HALF; k++)
      if ((gssize) i + k >= 0 && i + k < in->len)
        acc += taps[k + HALF] * x[i + k];
    y = (gint16) CLAMP (acc / gain, -32768, 32767);
    g_array_append_val (out, y);
  }
  return out;
}

/* Loudness contour: RMS of each 10 ms. */
static GArray *
envelope (const GArray *audio, guint rate)
{
  GArray *frames = g_array_new (FALSE, FALSE, sizeof (double));
  gsize step = rate / 100;

  for (gsize i = 0; i + step <= audio->len; i += step) {
    double rms = tb_test_rms ((const gint16 *) audio->data + i, step);

    g_array_append_val (frames, rms);
  }
  return frames;
}

/* Pearson correlation of the loudness contours of @a and @b, at the best
 * shift within ±50 ms: 1 for the same speech, whatever its waveform. */
static double
envelope_likeness (const GArray *a, guint rate_a, const GArray *b, guint rate_b)
{
  g_autoptr(GArray) ea = envelope (a, rate_a);
  g_autoptr(GArray) eb = envelope (b, rate_b);
  double best = -1;

  for (int shift = -5; shift <= 5; shift++) {
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, r;
    guint n = 0;

    for (gssize i = 0; i < (gssize) ea->len; i++) {
      gssize j = i + shift;
      double x, y;

      if (j < 0 || j >= (gssize) eb->len)
        continue;
      x = g_array_index (ea, double, i);
      y = g_array_index (eb, double, j);
      sa += x;
      sb += y;
      saa += x * x;
      sbb += y * y;
      sab += x * y;
      n++;
    }
    if (n < 10)
      continue;
    r = (n * sab - sa * sb) / sqrt ((n * saa - sa * sa) * (n * sbb - sb * sb));
    best = MAX (best, r);
  }
  return best;
}

/* Share of 3.5-3.9 kHz in the energy of 100 Hz-3.9 kHz, at 8 kHz. */
static double
top_band_share (const GArray *audio)
{
  const gint16 *samples = (const gint16 *) audio->data;

  return band_power (samples, audio->len, 8000, 3500, 3900) /
         band_power (samples, audio->len, 8000, 100, 3900);
}

/* ---- the tests ---------------------------------------------------------- */

static void
test_loaded (gconstpointer data)
{
  const char *engine = data;
  const TbPlugin *plugin = engine_plugin (engine);
  g_autofree char *file = g_strdup_printf ("tts-%s.so", engine);
  g_autofree char *built = g_build_filename (TB_BUILD_ROOT, "plugins", file, NULL);
  g_autofree char *target = g_file_read_link (plugin->path, NULL);

  /* The real module of the build, through the registry. */
  g_assert_cmpstr (target, ==, built);
  g_assert_cmpint (plugin->desc->kind, ==, TB_PLUGIN_KIND_TTS);
  g_assert_nonnull (plugin->desc->config_keys);
  g_assert_cmpstr (plugin->desc->config_keys[0].name, ==, "voice");
}

static void
test_sentence (const char *engine, guint sample_rate)
{
  gpointer instance = default_instance (engine);
  TbTestTtsRun run;

  speak (engine, instance, SENTENCE, sample_rate, &run);
  assert_speech (engine, &run);
  if (sample_rate == 16000)
    g_test_message ("%s at 16 kHz: first chunk after %.1f ms, real-time factor %.4f "
                    "(%.1f ms for %.2f s of speech)", engine,
                    (run.t_first - run.t_call) / 1000.0,
                    (run.t_end - run.t_call) / 1e6 / tb_test_tts_run_seconds (&run),
                    (run.t_end - run.t_call) / 1000.0, tb_test_tts_run_seconds (&run));
  tb_test_tts_run_clear (&run);
  instance_free (engine, instance);
}

static void
test_sentence_8k (gconstpointer data)
{
  test_sentence (data, 8000);
}

static void
test_sentence_16k (gconstpointer data)
{
  test_sentence (data, 16000);
}

/* The 8 kHz output is the 16 kHz output band-limited, not folded: the same
 * loudness contour, and no more energy just under 4 kHz than a proper
 * low-pass leaves (a naive decimation of espeak-ng's 22050 Hz folds its
 * 4-11 kHz band onto 3-4 kHz: four times as much in 3.5-3.9 kHz). The
 * waveforms themselves cannot be compared: espeak-ng never renders a text
 * twice the same. */
static void
test_rates_agree (gconstpointer data)
{
  const char *engine = data;
  gpointer instance = default_instance (engine);
  g_autoptr(GArray) reference = NULL;
  TbTestTtsRun narrow, wide;
  double r, top, top_reference;

  speak (engine, instance, SENTENCE, 8000, &narrow);
  speak (engine, instance, SENTENCE, 16000, &wide);

  reference = decimate_16k (wide.audio);
  r = envelope_likeness (narrow.audio, 8000, reference, 8000);
  top = top_band_share (narrow.audio);
  top_reference = top_band_share (reference);
  g_test_message ("%s: 8 kHz vs 16 kHz output: loudness contours alike at %.3f; "
                  "3.5-3.9 kHz holds %.2f %% of the energy at 8 kHz, %.2f %% in the "
                  "16 kHz output low-passed", engine, r, 100 * top, 100 * top_reference);
  g_assert_cmpfloat (r, >, 0.9);
  g_assert_cmpfloat (top, <, 1.5 * top_reference + 0.001);
  tb_test_tts_run_clear (&narrow);
  tb_test_tts_run_clear (&wide);
  instance_free (engine, instance);
}

/* The first chunk reaches the caller before the last one exists: audio
 * comes in several wake-ups of the caller's loop, and each wake-up takes all
 * the audio there is (tts-stream empties its queue), so the first one can
 * only have had part of it. */
static void
test_streaming (gconstpointer data)
{
  const char *engine = data;
  gpointer instance = default_instance (engine);
  TbTestTtsRun run;

  speak (engine, instance, LONG_TEXT, 16000, &run);
  g_test_message ("%s, %.1f s of speech: first chunk after %.1f ms, done after %.1f ms, "
                  "%u chunks over %u wake-ups, %.1f %% of the audio in the first",
                  engine, tb_test_tts_run_seconds (&run), (run.t_first - run.t_call) / 1000.0,
                  (run.t_end - run.t_call) / 1000.0, run.chunks,
                  run.last_wakeup - run.first_wakeup + 1,
                  100.0 * run.first_wakeup_samples / run.audio->len);
  g_assert_cmpuint (run.chunks, >, 20);
  g_assert_cmpuint (run.last_wakeup, >, run.first_wakeup);
  g_assert_cmpuint (run.first_wakeup_samples, <, run.audio->len / 2);
  tb_test_tts_run_clear (&run);
  instance_free (engine, instance);
}

static void
test_bad_voice (gconstpointer data)
{
  const char *engine = data;
  g_autoptr(GError) error = NULL;
  gpointer instance = instance_new (engine, "voice=klingon-warrior\n", &error);
  TbTestTtsRun run;

  g_assert_null (instance);
  g_assert_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG);
  g_assert_true (tb_test_contains (error->message, "'klingon-warrior'"));

  /* The same voice in a request: error(), naming it, and no audio. */
  instance = default_instance (engine);
  tb_test_tts_run_init (&run, SENTENCE, 8000);
  run.voice = "klingon-warrior";
  run_synthesis (engine, instance, &run);
  g_assert_error (run.error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG);
  g_assert_true (tb_test_contains (run.error->message, "'klingon-warrior'"));
  g_assert_cmpuint (run.errors, ==, 1);
  g_assert_cmpuint (run.done + run.chunks, ==, 0);
  tb_test_tts_run_clear (&run);

  tb_test_tts_run_init (&run, SENTENCE, 7);
  run_synthesis (engine, instance, &run);
  g_assert_error (run.error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED);
  g_assert_true (tb_test_contains (run.error->message, "sample rate 7 Hz"));
  tb_test_tts_run_clear (&run);
  instance_free (engine, instance);
}

/* Nothing to say: done() and no audio. */
static void
test_empty (gconstpointer data)
{
  const char *engine = data;
  gpointer instance = default_instance (engine);
  TbTestTtsRun run;

  speak (engine, instance, "", 16000, &run);
  g_assert_cmpuint (run.audio->len, <, 1600);
  tb_test_tts_run_clear (&run);
  instance_free (engine, instance);
}

static void
test_cancel (const char *engine, TbTestTtsCancelAt at)
{
  gpointer instance = default_instance (engine);
  TbTestTtsRun run, after;

  tb_test_tts_run_init (&run, LONG_TEXT, 16000);
  run.cancel_at = at;
  run_synthesis (engine, instance, &run);
  assert_cancelled (&run);
  g_assert_cmpuint (run.chunks, ==, at == TB_TEST_TTS_CANCEL_FIRST_CHUNK ? 1 : 0);
  g_test_message ("%s: error(CANCELLED) %.1f ms after the call", engine,
                  (run.t_end - run.t_call) / 1000.0);
  tb_test_tts_run_clear (&run);

  /* The engine was left in a state to speak again, at once. */
  speak (engine, instance, SENTENCE, 16000, &after);
  assert_speech (engine, &after);
  tb_test_tts_run_clear (&after);
  instance_free (engine, instance);
}

static void
test_cancel_before (gconstpointer data)
{
  test_cancel (data, TB_TEST_TTS_CANCEL_BEFORE);
}

static void
test_cancel_after_call (gconstpointer data)
{
  test_cancel (data, TB_TEST_TTS_CANCEL_AFTER_CALL);
}

static void
test_cancel_midway (gconstpointer data)
{
  test_cancel (data, TB_TEST_TTS_CANCEL_FIRST_CHUNK);
}

static void
test_rate (gconstpointer data)
{
  const char *engine = data;
  gpointer instance = default_instance (engine);
  TbTestTtsRun normal, fast;

  speak (engine, instance, SENTENCE, 8000, &normal);
  tb_test_tts_run_init (&fast, SENTENCE, 8000);
  fast.rate = 2.0;
  run_synthesis (engine, instance, &fast);
  assert_spoken (engine, &fast);
  g_test_message ("%s: %.2f s at rate 1, %.2f s at rate 2", engine,
                  tb_test_tts_run_seconds (&normal), tb_test_tts_run_seconds (&fast));
  g_assert_cmpfloat (tb_test_tts_run_seconds (&fast), <, 0.75 * tb_test_tts_run_seconds (&normal));
  tb_test_tts_run_clear (&normal);
  tb_test_tts_run_clear (&fast);
  instance_free (engine, instance);
}

typedef struct {
  const char *engine;
  gpointer instance;
  GArray *reference;    /* the sentence spoken alone */
  guint rounds;
  double worst;         /* lowest likeness to the reference */
  gboolean ok;
} Speaker;

static gpointer
speaker_thread (gpointer data)
{
  Speaker *speaker = data;

  speaker->ok = TRUE;
  speaker->worst = 1;
  for (guint i = 0; i < speaker->rounds; i++) {
    TbTestTtsRun run;
    double r;

    tb_test_tts_run_init (&run, SENTENCE, 16000);
    run_synthesis (speaker->engine, speaker->instance, &run);
    speaker->ok &= run.done == 1 && run.errors == 0 && !run.late_audio && !run.wrong_thread;
    speaker->ok &= run.chunks >= 3;
    /* The same length within 1 %, and the same speech. */
    speaker->ok &= ABS ((double) run.audio->len - speaker->reference->len)
                   < 0.01 * speaker->reference->len;
    r = envelope_likeness (run.audio, 16000, speaker->reference, 16000);
    speaker->worst = MIN (speaker->worst, r);
    tb_test_tts_run_clear (&run);
  }
  return NULL;
}

/* Two instances on two worker threads at once: each gets the speech it
 * would get alone (espeak-ng's globals are behind the plugin's lock). */
static void
test_two_threads (gconstpointer data)
{
  const char *engine = data;
  Speaker speakers[2];
  GThread *threads[2];
  TbTestTtsRun alone;

  for (guint i = 0; i < 2; i++)
    speakers[i] = (Speaker) { engine, default_instance (engine), NULL, 4, 0, FALSE };
  speak (engine, speakers[0].instance, SENTENCE, 16000, &alone);
  speakers[0].reference = speakers[1].reference = alone.audio;

  for (guint i = 0; i < 2; i++)
    threads[i] = g_thread_new ("tb-test-speaker", speaker_thread, &speakers[i]);
  for (guint i = 0; i < 2; i++) {
    g_thread_join (threads[i]);
    g_test_message ("%s: speaker %u, %u rounds, loudness contour like the sentence "
                    "spoken alone at %.3f at worst", engine, i, speakers[i].rounds,
                    speakers[i].worst);
    g_assert_true (speakers[i].ok);
    g_assert_cmpfloat (speakers[i].worst, >, 0.95);
    instance_free (engine, speakers[i].instance);
  }
  tb_test_tts_run_clear (&alone);
}

static void
test_espeak_language (void)
{
  gpointer instance = default_instance ("espeak");
  TbTestTtsRun english, german;
  double likeness;

  speak ("espeak", instance, SENTENCE, 16000, &english);
  /* No voice named, another language: a voice of that language speaks. */
  tb_test_tts_run_init (&german, SENTENCE, 16000);
  german.language = "de-DE";
  run_synthesis ("espeak", instance, &german);
  assert_spoken ("espeak", &german);
  assert_speech ("espeak", &german);
  likeness = envelope_likeness (german.audio, 16000, english.audio, 16000);
  g_test_message ("espeak: the sentence in German is %.2f s, in English %.2f s; "
                  "loudness contours alike at %.3f", tb_test_tts_run_seconds (&german),
                  tb_test_tts_run_seconds (&english), likeness);
  g_assert_cmpfloat (likeness, <, 0.9);
  tb_test_tts_run_clear (&english);
  tb_test_tts_run_clear (&german);
  instance_free ("espeak", instance);
}

static void
test_flite_voices (void)
{
  const char *const voices[] = { "slt", "kal", "kal16", "rms", "awb" };
  gpointer instance = default_instance ("flite");
  TbTestTtsRun run;

  for (guint i = 0; i < G_N_ELEMENTS (voices); i++) {
    tb_test_tts_run_init (&run, SENTENCE, 16000);
    run.voice = voices[i];
    run_synthesis ("flite", instance, &run);
    assert_spoken ("flite", &run);
    assert_speech ("flite", &run);
    tb_test_tts_run_clear (&run);
  }
  /* English only. */
  tb_test_tts_run_init (&run, SENTENCE, 16000);
  run.language = "de-DE";
  run_synthesis ("flite", instance, &run);
  g_assert_error (run.error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG);
  g_assert_true (tb_test_contains (run.error->message, "'de-DE'"));
  tb_test_tts_run_clear (&run);
  instance_free ("flite", instance);
}

/* ---- set-up ------------------------------------------------------------- */

/* A directory with links to the two built modules, so that the registry
 * loads them and nothing else of build/plugins. */
static void
load_plugins (void)
{
  const char *const files[] = { "tts-espeak.so", "tts-flite.so" };
  const char *dirs[] = { NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(TbPluginScan) scan = NULL;

  plugin_dir = g_dir_make_tmp ("tb-tts-XXXXXX", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree char *built = g_build_filename (TB_BUILD_ROOT, "plugins", files[i], NULL);
    g_autofree char *link = g_build_filename (plugin_dir, files[i], NULL);

    g_assert_cmpint (symlink (built, link), ==, 0);
  }
  registry = tb_plugin_registry_new (tb_test_host ());
  dirs[0] = plugin_dir;
  scan = tb_plugin_registry_scan (registry, dirs);
  for (guint i = 0; i < scan->skipped->len; i++) {
    const TbPluginSkip *skip = g_ptr_array_index (scan->skipped, i);

    g_printerr ("skipped %s: %s\n", skip->path, skip->reason);
  }
  g_assert_cmpuint (scan->skipped->len, ==, 0);
  g_assert_cmpuint (scan->loaded->len, ==, 2);
}

static void
add_engine_test (const char *engine, const char *name, GTestDataFunc func)
{
  g_autofree char *path = g_strdup_printf ("/tts/%s/%s", engine, name);

  g_test_add_data_func (path, engine, func);
}

int
main (int argc, char **argv)
{
  const char *const engines[] = { "espeak", "flite" };
  int status;

  g_test_init (&argc, &argv, NULL);
  load_plugins ();
  for (guint i = 0; i < G_N_ELEMENTS (engines); i++) {
    add_engine_test (engines[i], "loaded", test_loaded);
    add_engine_test (engines[i], "sentence-8000", test_sentence_8k);
    add_engine_test (engines[i], "sentence-16000", test_sentence_16k);
    add_engine_test (engines[i], "rates-agree", test_rates_agree);
    add_engine_test (engines[i], "streaming", test_streaming);
    add_engine_test (engines[i], "bad-voice", test_bad_voice);
    add_engine_test (engines[i], "empty", test_empty);
    add_engine_test (engines[i], "cancel-before", test_cancel_before);
    add_engine_test (engines[i], "cancel-after-call", test_cancel_after_call);
    add_engine_test (engines[i], "cancel-midway", test_cancel_midway);
    add_engine_test (engines[i], "rate", test_rate);
    add_engine_test (engines[i], "two-threads", test_two_threads);
  }
  g_test_add_func ("/tts/espeak/language", test_espeak_language);
  g_test_add_func ("/tts/flite/voices", test_flite_voices);
  status = g_test_run ();

  /* Shuts the plugins down: waits for their synthesis threads. */
  tb_plugin_registry_free (registry);
  tb_test_remove_tree (plugin_dir);
  g_free (plugin_dir);
  return status;
}
