/* test-tts-cloud.c — the cloud TTS plugins (elevenlabs, openai, google),
 * the real .so files loaded through the plugin registry, against
 * tb-fake-cloud's providers (tests/fakes/fake-tts.c), which answer with a
 * 440 Hz tone of 60 ms per character of the text:
 *
 * - audio at 8000, 16000 and 48000 Hz as long as the text asks, a clean
 *   tone (frequency, level, no glitch where a sample was cut in two across
 *   chunks), in chunks that arrive while the answer streams in (ElevenLabs,
 *   OpenAI) or in 100 ms pieces (Google); ElevenLabs in mu-law too;
 * - what the fake was asked (voice, model, format, rate, the provider's
 *   settings; a request's voice, language and rate);
 * - settings refused with messages that name the key, and providers'
 *   refusals (unknown voice) passed on clearly;
 * - every fault: a wrong key and 401 ("invalid API key for provider X"),
 *   429 with Retry-After retried, 500 retried or not per max-retries, a
 *   connection cut mid-stream (an error after the audio so far, no retry
 *   once audio was played), malformed answers, a provider that never
 *   answers or answers too late (a timeout within first-byte-timeout-ms);
 * - cancellation before, right after, and during a synthesis; empty text;
 * - always exactly one terminal callback, never from inside synthesize(),
 *   nothing after it; the fake saw nothing a provider would refuse.
 * Time to the first chunk is reported, not asserted. */
#include "plugin.h"
#include "settings.h"
#include "audio-check.h"
#include "fake-cloud.h"
#include "test-util.h"
#include "tts-harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SENTENCE "Your appointment is on Tuesday at ten thirty."
/* What the fake says for a text (fake-tts.c). */
#define MS_PER_CHARACTER 60
#define TONE_HZ 440.0
#define TONE_AMPLITUDE 8000.0
/* A small first-byte deadline, so that a stalled provider fails fast. */
#define FIRST_BYTE_TIMEOUT_MS 400
#define WRONG_KEY_ENV "TB_TEST_WRONG_CLOUD_KEY"
#define WRONG_KEY "sk-wrong-key-4242"

typedef struct {
  const char *name;         /* the plugin's: [tts:...] provider */
  const char *route;        /* the fake's route, and the plugin's file name */
  const char *provider;     /* in messages */
  gboolean streams;         /* audio arrives while the answer streams in */
  const char *url_suffix;   /* after the fake's URL in base-url */
  const char *model;        /* the default model, as the fake logs it (or NULL) */
  const char *voice;        /* the default voice, as the fake logs it (or NULL) */
  const char *other_voice;  /* a voice for a request's own */
} Engine;

static const Engine engines[] = {
  { "elevenlabs", "tts-elevenlabs", "ElevenLabs", TRUE, "", "eleven_flash_v2_5",
    "21m00Tcm4TlvDq8ikWAM", "pNInz6obpgDQGcFmaJgB" },
  { "openai", "tts-openai", "OpenAI", TRUE, "/v1", "gpt-4o-mini-tts", "alloy", "nova" },
  { "google", "tts-google", "Google", FALSE, "", NULL, NULL, "en-GB-Neural2-A" },
};

static TbPluginRegistry *registry;
static char *plugin_dir;
static TbFakeCloud *fake;
static GMainContext *context;   /* every instance's (a session stays on its context) */

/* ---- instances ------------------------------------------------------------------ */

static const TbPlugin *
engine_plugin (const Engine *engine)
{
  const TbPlugin *plugin = tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_TTS,
                                                      engine->name);

  g_assert_nonnull (plugin);
  return plugin;
}

/* The settings of a [tts:test] group for the fake, with @overrides
 * ("key=value" lines; "-key" removes a key) applied. Problems the host
 * finds go to @problems. */
static GVariant *
settings_new (const Engine *engine, const char *overrides, TbProblems *problems)
{
  g_autofree char *text = g_strdup_printf (
    "[tts:test]\nbase-url=%s%s\napi-key-env=%s\nconnect-timeout-ms=2000\n"
    "first-byte-timeout-ms=%d\ntimeout-ms=10000\nmax-retries=1\n",
    tb_fake_cloud_url (fake), engine->url_suffix, TB_FAKE_API_KEY_ENV, FIRST_BYTE_TIMEOUT_MS);
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_auto(GStrv) lines = g_strsplit (overrides ? overrides : "", "\n", -1);

  g_assert_true (g_key_file_load_from_data (keyfile, text, -1, G_KEY_FILE_NONE, NULL));
  for (guint i = 0; lines[i]; i++) {
    g_auto(GStrv) pair = g_strsplit (lines[i], "=", 2);

    if (!*lines[i])
      continue;
    if (lines[i][0] == '-')
      g_key_file_remove_key (keyfile, "tts:test", lines[i] + 1, NULL);
    else
      g_key_file_set_value (keyfile, "tts:test", pair[0], pair[1] ? pair[1] : "");
  }
  return tb_settings_from_group (keyfile, "tts:test", engine_plugin (engine)->desc->config_keys,
                                 NULL, problems);
}

static gpointer
instance_new (const Engine *engine, const char *overrides, GError **error)
{
  g_autoptr(TbProblems) problems = tb_problems_new (NULL, NULL);
  g_autoptr(GVariant) settings = settings_new (engine, overrides, problems);
  const GPtrArray *list = tb_problems_get_list (problems);

  for (guint i = 0; i < list->len; i++)
    g_printerr ("%s\n", ((TbProblem *) g_ptr_array_index (list, i))->message);
  g_assert_cmpuint (tb_problems_count (problems), ==, 0);
  return engine_plugin (engine)->desc->instance_new (tb_test_host (), settings, error);
}

static gpointer
good_instance (const Engine *engine, const char *overrides)
{
  g_autoptr(GError) error = NULL;
  gpointer instance = instance_new (engine, overrides, &error);

  g_assert_no_error (error);
  g_assert_nonnull (instance);
  return instance;
}

static void
instance_free (const Engine *engine, gpointer instance)
{
  engine_plugin (engine)->desc->instance_free (instance);
}

/* ---- one synthesis -------------------------------------------------------------- */

/* Runs one request to its end, then 60 ms more (three of the fake's chunk
 * intervals) to catch anything after it:
 * exactly one terminal callback, nothing after it. */
static void
run_synthesis (const Engine *engine, gpointer instance, TbTestTtsRun *run)
{
  tb_test_tts_synthesize (engine_plugin (engine)->desc->vtable, instance, run, 30000, 60);
  g_assert_cmpuint (run->done + run->errors, ==, 1);
  g_assert_false (run->late_audio);
  if (run->chunks)
    g_test_message ("%s: first audio %.1f ms after the call", engine->name,
                    (run->t_first - run->t_call) / 1000.0);
}

static void
assert_done (const Engine *engine, const TbTestTtsRun *run)
{
  if (run->error)
    g_printerr ("%s: %s\n", engine->name, run->error->message);
  g_assert_no_error (run->error);
  g_assert_cmpuint (run->done, ==, 1);
}

/* The request ended with error @code of TB_PLUGIN_ERROR whose message holds
 * @words. */
static void
assert_failed (const Engine *engine, const TbTestTtsRun *run, int code, const char *words)
{
  g_assert_cmpuint (run->done, ==, 0);
  g_assert_nonnull (run->error);
  g_test_message ("%s: %s", engine->name, run->error->message);
  g_assert_error (run->error, TB_PLUGIN_ERROR, code);
  g_assert_true (tb_test_contains (run->error->message, words));
}

static void
assert_cancelled (const TbTestTtsRun *run)
{
  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (run->done, ==, 0);
}

/* ---- what the fake saw ---------------------------------------------------------- */

static guint
count_requests (const Engine *engine)
{
  g_autoptr(JsonArray) requests = tb_fake_cloud_requests (fake, engine->route);

  return json_array_get_length (requests);
}

/* The summary of the last request the fake logged for @engine. */
static JsonObject *
last_summary (const Engine *engine)
{
  g_autoptr(JsonArray) requests = tb_fake_cloud_requests (fake, engine->route);
  guint n = json_array_get_length (requests);
  JsonObject *entry;

  g_assert_cmpuint (n, >, 0);
  entry = json_array_get_object_element (requests, n - 1);
  return json_object_ref (json_object_get_object_member (entry, "summary"));
}

static const char *
summary_string (JsonObject *summary, const char *member)
{
  return json_object_has_member (summary, member)
         ? json_object_get_string_member (summary, member) : NULL;
}

/* Each test starts with a fake without knobs, scripts or log. */
static void
fake_reset (void)
{
  tb_fake_cloud_reset (fake);
}

static void
knobs (const Engine *engine, const char *json)
{
  tb_fake_cloud_knobs (fake, engine->route, json);
}

/* ---- what the tone looks like --------------------------------------------------- */

static double
expected_seconds (const char *text, double speed)
{
  return g_utf8_strlen (text, -1) * MS_PER_CHARACTER / 1000.0 / speed;
}

/* @run's audio is the fake's tone, @seconds long: its frequency from the
 * zero crossings, its level, and no sample-to-sample jump a 440 Hz sine
 * cannot make (a byte lost or a sample assembled from the wrong bytes makes
 * one of thousands). The edges (where the tone starts and is cut off, and
 * the resampler rings) are left out. */
static void
assert_tone (const Engine *engine, const TbTestTtsRun *run, double seconds)
{
  const gint16 *samples = (const gint16 *) run->audio->data;
  guint rate = run->sample_rate;
  gsize edge = rate / 20, n = run->audio->len;
  double got = tb_test_tts_run_seconds (run), hz, rms;
  double slope = TONE_AMPLITUDE * 2 * G_PI * TONE_HZ / rate;
  int jump = 0;

  g_test_message ("%s at %u Hz: %u chunks, %.3f s of audio (%.3f s asked for)", engine->name,
                  rate, run->chunks, got, seconds);
  g_assert_cmpfloat (fabs (got - seconds), <, 0.03 + 0.02 * seconds);
  g_assert_cmpuint (n, >, 4 * edge);
  hz = tb_test_zero_crossings (samples + edge, n - 2 * edge) / 2.0
       / ((n - 2 * edge) / (double) rate);
  rms = tb_test_rms (samples + edge, n - 2 * edge);
  for (gsize i = edge + 1; i < n - edge; i++)
    jump = MAX (jump, abs (samples[i] - samples[i - 1]));
  g_test_message ("%s: %.1f Hz, RMS %.0f, largest step %d (a sine's: %.0f)", engine->name, hz,
                  rms, jump, slope);
  g_assert_cmpfloat (fabs (hz - TONE_HZ), <, 10);
  g_assert_cmpfloat (fabs (rms - TONE_AMPLITUDE / G_SQRT2), <, 0.1 * TONE_AMPLITUDE / G_SQRT2);
  /* mu-law's steps near the peak are 256 apart: room for them. */
  g_assert_cmpfloat (jump, <, 1.15 * slope + 400);
}

/* The audio arrived while the answer was streaming: in chunks over several
 * iterations of the context, not all at once at the end. */
static void
assert_streamed (const Engine *engine, const TbTestTtsRun *run)
{
  g_assert_cmpuint (run->chunks, >=, 3);
  if (engine->streams)
    g_assert_cmpuint (run->last_wakeup, >, run->first_wakeup + 2);
}

/* ---- speaking ------------------------------------------------------------------- */

static void
test_loaded (gconstpointer data)
{
  const Engine *engine = data;
  const TbPluginDesc *desc = engine_plugin (engine)->desc;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (desc->kind, ==, TB_PLUGIN_KIND_TTS);
  g_assert_cmpstr (desc->name, ==, engine->name);
  g_assert_true (tb_settings_check_keys (desc->config_keys, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (((const TbTtsVTable *) desc->vtable)->version, ==, TB_TTS_VTABLE_VERSION);
}

/* SENTENCE at @rate on a new instance with @overrides; checks the tone and
 * what the fake was asked; returns the fake's summary. */
static JsonObject *
speak_and_check (const Engine *engine, const char *overrides, guint rate)
{
  gpointer instance = good_instance (engine, overrides);
  JsonObject *summary;
  TbTestTtsRun run;

  /* Chunks 5 ms apart: the answer takes a while to stream in. */
  knobs (engine, "\"chunk_ms\":5");
  tb_test_tts_run_init (&run, SENTENCE, rate);
  run_synthesis (engine, instance, &run);
  assert_done (engine, &run);
  assert_tone (engine, &run, expected_seconds (SENTENCE, 1.0));
  assert_streamed (engine, &run);
  tb_test_tts_run_clear (&run);
  instance_free (engine, instance);

  summary = last_summary (engine);
  g_assert_cmpstr (summary_string (summary, "text"), ==, SENTENCE);
  if (engine->model && !(overrides && strstr (overrides, "model")))
    g_assert_cmpstr (summary_string (summary, "model"), ==, engine->model);
  if (engine->voice)
    g_assert_cmpstr (summary_string (summary, "voice"), ==, engine->voice);
  tb_fake_cloud_assert_clean (fake);
  return summary;
}

static void
test_speak (gconstpointer data, guint rate, const char *elevenlabs_format, guint provider_rate)
{
  const Engine *engine = data;
  g_autoptr(JsonObject) summary = NULL;

  fake_reset ();
  summary = speak_and_check (engine, NULL, rate);
  g_assert_cmpuint (count_requests (engine), ==, 1);
  if (g_str_equal (engine->name, "elevenlabs")) {
    /* The rate asked for when ElevenLabs has it, else the nearest. */
    g_assert_cmpstr (summary_string (summary, "format"), ==, elevenlabs_format);
  } else if (g_str_equal (engine->name, "openai")) {
    g_assert_cmpstr (summary_string (summary, "format"), ==, "pcm");
  } else {
    g_assert_cmpstr (summary_string (summary, "format"), ==, "LINEAR16");
    g_assert_cmpstr (summary_string (summary, "language"), ==, "en-US");
  }
  g_assert_cmpint (json_object_get_int_member (summary, "rate"), ==,
                   g_str_equal (engine->name, "openai") ? 24000 : provider_rate);
}

static void
test_speak_8000 (gconstpointer data)
{
  test_speak (data, 8000, "pcm_8000", 8000);
}

static void
test_speak_16000 (gconstpointer data)
{
  test_speak (data, 16000, "pcm_16000", 16000);
}

static void
test_speak_48000 (gconstpointer data)
{
  /* ElevenLabs' nearest is 44100, resampled. */
  test_speak (data, 48000, "pcm_44100", g_str_equal (((const Engine *) data)->name,
                                                     "elevenlabs") ? 44100 : 48000);
}

/* One instance, several requests in a row (its connection is reused). */
static void
test_twice (gconstpointer data)
{
  const Engine *engine = data;
  gpointer instance = good_instance (engine, NULL);

  fake_reset ();
  for (guint i = 0; i < 3; i++) {
    TbTestTtsRun run;

    tb_test_tts_run_init (&run, i == 1 ? "Thank you." : SENTENCE, i == 2 ? 8000 : 16000);
    run_synthesis (engine, instance, &run);
    assert_done (engine, &run);
    assert_tone (engine, &run, expected_seconds (run.text, 1.0));
    tb_test_tts_run_clear (&run);
  }
  g_assert_cmpuint (count_requests (engine), ==, 3);
  instance_free (engine, instance);
  tb_fake_cloud_assert_clean (fake);
}

/* ElevenLabs' mu-law: ulaw_8000, decoded, resampled when 16 kHz is asked. */
static void
test_elevenlabs_ulaw (gconstpointer data)
{
  const Engine *engine = data;

  fake_reset ();
  for (guint rate = 8000; rate <= 16000; rate += 8000) {
    g_autoptr(JsonObject) summary = speak_and_check (engine, "output-format=ulaw", rate);

    g_assert_cmpstr (summary_string (summary, "format"), ==, "ulaw_8000");
  }
}

/* The voice settings and the latency optimisation as configured. */
static void
test_elevenlabs_settings (gconstpointer data)
{
  const Engine *engine = data;
  g_autoptr(JsonObject) summary = NULL;

  fake_reset ();
  summary = speak_and_check (engine, "stability=0.25\nsimilarity-boost=0.5\nstyle=0.125\n"
                                     "use-speaker-boost=false\noptimize-streaming-latency=3\n"
                                     "model-id=eleven_turbo_v2_5", 16000);
  g_assert_cmpstr (summary_string (summary, "latency"), ==, "3");
  g_assert_cmpfloat (json_object_get_double_member (summary, "stability"), ==, 0.25);
  g_assert_cmpfloat (json_object_get_double_member (summary, "similarity_boost"), ==, 0.5);
  g_assert_cmpfloat (json_object_get_double_member (summary, "style"), ==, 0.125);
  g_assert_false (json_object_get_boolean_member (summary, "use_speaker_boost"));
  g_assert_cmpstr (summary_string (summary, "model"), ==, "eleven_turbo_v2_5");
  g_assert_false (json_object_has_member (summary, "speed"));
}

static void
test_openai_instructions (gconstpointer data)
{
  const Engine *engine = data;
  g_autoptr(JsonObject) summary = NULL;

  fake_reset ();
  summary = speak_and_check (engine, "instructions=Speak warmly and calmly.", 8000);
  g_assert_cmpstr (summary_string (summary, "instructions"), ==, "Speak warmly and calmly.");
  g_assert_cmpfloat (json_object_get_double_member (summary, "speed"), ==, 1.0);
}

/* Google's language: the configured one, else the voice's, else the call's. */
static void
test_google_language (gconstpointer data)
{
  const Engine *engine = data;
  const struct {
    const char *overrides, *request_voice, *request_language;
    const char *language, *voice, *gender;
  } cases[] = {
    { NULL, NULL, "de-DE", "de-DE", NULL, NULL },
    { "language-code=fr-FR\nssml-gender=female", NULL, "de-DE", "fr-FR", NULL, "FEMALE" },
    { "voice-name=en-AU-Neural2-B", NULL, "de-DE", "en-AU", "en-AU-Neural2-B", NULL },
    { "voice-name=en-AU-Neural2-B", "en-GB-Neural2-A", NULL, "en-GB", "en-GB-Neural2-A", NULL },
  };

  fake_reset ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gpointer instance = good_instance (engine, cases[i].overrides);
    g_autoptr(JsonObject) summary = NULL;
    TbTestTtsRun run;

    tb_test_tts_run_init (&run, "Guten Tag.", 16000);
    run.voice = cases[i].request_voice;
    run.language = cases[i].request_language;
    run_synthesis (engine, instance, &run);
    assert_done (engine, &run);
    summary = last_summary (engine);
    g_assert_cmpstr (summary_string (summary, "language"), ==, cases[i].language);
    g_assert_cmpstr (summary_string (summary, "voice"), ==, cases[i].voice);
    g_assert_cmpstr (summary_string (summary, "gender"), ==, cases[i].gender);
    tb_test_tts_run_clear (&run);
    instance_free (engine, instance);
  }
  tb_fake_cloud_assert_clean (fake);
}

/* A request's own voice. */
static void
test_voice (gconstpointer data)
{
  const Engine *engine = data;
  gpointer instance = good_instance (engine, NULL);
  g_autoptr(JsonObject) summary = NULL;
  TbTestTtsRun run;

  fake_reset ();
  tb_test_tts_run_init (&run, SENTENCE, 16000);
  run.voice = engine->other_voice;
  run_synthesis (engine, instance, &run);
  assert_done (engine, &run);
  assert_tone (engine, &run, expected_seconds (SENTENCE, 1.0));
  summary = last_summary (engine);
  g_assert_cmpstr (summary_string (summary, "voice"), ==, engine->other_voice);
  tb_test_tts_run_clear (&run);
  instance_free (engine, instance);
  tb_fake_cloud_assert_clean (fake);
}

/* A request's rate: twice as fast (ElevenLabs' speed stops at 1.2). */
static void
test_rate (gconstpointer data)
{
  const Engine *engine = data;
  gboolean elevenlabs = g_str_equal (engine->name, "elevenlabs");
  gboolean google = g_str_equal (engine->name, "google");
  gpointer instance = good_instance (engine, google ? "speaking-rate=1.25" : NULL);
  double speed = elevenlabs ? 1.2 : google ? 2.5 : 2.0;
  g_autoptr(JsonObject) summary = NULL;
  TbTestTtsRun run;

  fake_reset ();
  tb_test_tts_run_init (&run, SENTENCE, 16000);
  run.rate = 2.0;
  run_synthesis (engine, instance, &run);
  assert_done (engine, &run);
  assert_tone (engine, &run, expected_seconds (SENTENCE, speed));
  summary = last_summary (engine);
  g_assert_cmpfloat (json_object_get_double_member (summary, google ? "speaking_rate" : "speed"),
                     ==, speed);
  tb_test_tts_run_clear (&run);
  instance_free (engine, instance);
  tb_fake_cloud_assert_clean (fake);
}

/* Nothing to say: done() without audio, and the provider is not asked. */
static void
test_empty (gconstpointer data)
{
  const Engine *engine = data;
  gpointer instance = good_instance (engine, NULL);
  const char *const texts[] = { "", "  \n\t " };

  fake_reset ();
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++) {
    TbTestTtsRun run;

    tb_test_tts_run_init (&run, texts[i], 16000);
    run_synthesis (engine, instance, &run);
    assert_done (engine, &run);
    g_assert_cmpuint (run.audio->len, ==, 0);
    tb_test_tts_run_clear (&run);
  }
  g_assert_cmpuint (count_requests (engine), ==, 0);
  instance_free (engine, instance);
}

/* ---- settings ------------------------------------------------------------------- */

/* Settings the host refuses: the problem names the key. */
static void
assert_host_refuses (const Engine *engine, const char *overrides, const char *key)
{
  g_autoptr(TbProblems) problems = tb_problems_new (NULL, NULL);
  g_autoptr(GVariant) settings = settings_new (engine, overrides, problems);
  const GPtrArray *list = tb_problems_get_list (problems);
  const TbProblem *problem;

  g_assert_cmpuint (list->len, ==, 1);
  problem = g_ptr_array_index (list, 0);
  g_test_message ("%s: %s: %s", engine->name, problem->key, problem->message);
  g_assert_cmpstr (problem->key, ==, key);
}

/* Settings the plugin refuses: a TB_PLUGIN_ERROR_CONFIG naming the key. */
static void
assert_plugin_refuses (const Engine *engine, const char *overrides, const char *words)
{
  g_autoptr(GError) error = NULL;
  gpointer instance = instance_new (engine, overrides, &error);

  g_assert_null (instance);
  g_test_message ("%s: %s", engine->name, error->message);
  g_assert_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG);
  g_assert_true (tb_test_contains (error->message, words));
}

static void
test_bad_settings (gconstpointer data)
{
  const Engine *engine = data;

  assert_plugin_refuses (engine, "base-url=ftp://example.com", "base-url");
  assert_host_refuses (engine, "max-retries=9", "max-retries");
  assert_host_refuses (engine, "api-key-env=NO_SUCH_VARIABLE_FOR_TTS", "api-key-env");
  if (g_str_equal (engine->name, "elevenlabs")) {
    assert_host_refuses (engine, "-api-key-env", "api-key-env");
    assert_plugin_refuses (engine, "voice-id=../../v1/user", "voice-id");
    assert_plugin_refuses (engine, "model-id=eleven turbo", "model-id");
    assert_host_refuses (engine, "stability=1.5", "stability");
    assert_host_refuses (engine, "optimize-streaming-latency=7", "optimize-streaming-latency");
    assert_host_refuses (engine, "output-format=mp3", "output-format");
  } else if (g_str_equal (engine->name, "openai")) {
    assert_plugin_refuses (engine, "voice=", "voice");
    assert_plugin_refuses (engine, "model=", "model");
    assert_plugin_refuses (engine, "model=tts-1\ninstructions=Whisper.", "instructions");
    assert_host_refuses (engine, "speed=5", "speed");
  } else {
    assert_host_refuses (engine, "-api-key-env", "api-key-env");
    assert_plugin_refuses (engine, "voice-name=en US voice", "voice-name");
    assert_plugin_refuses (engine, "language-code=en_US!", "language-code");
    assert_host_refuses (engine, "ssml-gender=robot", "ssml-gender");
    assert_host_refuses (engine, "pitch=30", "pitch");
    assert_host_refuses (engine, "speaking-rate=0.1", "speaking-rate");
  }
}

/* A voice the provider does not have: its refusal, passed on clearly. */
static void
test_unknown_voice (gconstpointer data)
{
  const Engine *engine = data;
  gpointer instance = good_instance (engine, g_str_equal (engine->name, "google")
                                             ? "language-code=en-US" : NULL);
  TbTestTtsRun run;

  fake_reset ();
  tb_test_tts_run_init (&run, SENTENCE, 8000);
  if (g_str_equal (engine->name, "elevenlabs")) {
    run.voice = "nosuchvoice";
    run_synthesis (engine, instance, &run);
    assert_failed (engine, &run, TB_PLUGIN_ERROR_FAILED,
                   "provider ElevenLabs answered 404 Not Found: "
                   "A voice with the voice_id nosuchvoice was not found.");
  } else if (g_str_equal (engine->name, "openai")) {
    run.voice = "robot";
    run_synthesis (engine, instance, &run);
    assert_failed (engine, &run, TB_PLUGIN_ERROR_FAILED,
                   "provider OpenAI answered 400 Bad Request: Invalid value: 'robot'");
  } else {
    run.voice = "de-DE-Wavenet-B";
    run_synthesis (engine, instance, &run);
    assert_failed (engine, &run, TB_PLUGIN_ERROR_FAILED,
                   "provider Google answered 400 Bad Request: Requested language code 'en-US' "
                   "doesn't match the voice 'de-DE-Wavenet-B'");
  }
  tb_test_tts_run_clear (&run);
  /* Not retried: another try would fail the same way. */
  g_assert_cmpuint (count_requests (engine), ==, 1);

  /* A voice that cannot be one never leaves the plugin. */
  if (!g_str_equal (engine->name, "openai")) {
    tb_test_tts_run_init (&run, SENTENCE, 8000);
    run.voice = "a/b?c";
    run_synthesis (engine, instance, &run);
    assert_failed (engine, &run, TB_PLUGIN_ERROR_CONFIG, "'a/b?c'");
    tb_test_tts_run_clear (&run);
    g_assert_cmpuint (count_requests (engine), ==, 1);
  }
  instance_free (engine, instance);
  tb_fake_cloud_assert_clean (fake);
}

/* ---- faults --------------------------------------------------------------------- */

/* SENTENCE at 16 kHz on an instance with @overrides; the result in @run
 * (run_clear() it). */
static void
speak_once (const Engine *engine, const char *overrides, TbTestTtsRun *run)
{
  gpointer instance = good_instance (engine, overrides);

  tb_test_tts_run_init (run, SENTENCE, 16000);
  run_synthesis (engine, instance, run);
  instance_free (engine, instance);
}

/* The fake refuses a wrong key (and records it); the plugin says so
 * without the key. OpenAI's plugin may go without a key (self-hosted
 * servers): the real OpenAI refuses that too. */
static void
test_wrong_key (gconstpointer data)
{
  const Engine *engine = data;
  g_autofree char *expected = g_strdup_printf ("invalid API key for provider %s",
                                               engine->provider);
  g_autoptr(JsonArray) violations = NULL;
  TbTestTtsRun run;

  fake_reset ();
  speak_once (engine, "api-key-env=" WRONG_KEY_ENV, &run);
  assert_failed (engine, &run, TB_PLUGIN_ERROR_AUTH, expected);
  g_assert_null (strstr (run.error->message, WRONG_KEY));
  g_assert_cmpuint (run.audio->len, ==, 0);
  tb_test_tts_run_clear (&run);
  g_assert_cmpuint (count_requests (engine), ==, 1);
  violations = tb_fake_cloud_violations (fake);
  g_assert_cmpuint (json_array_get_length (violations), ==, 1);

  if (g_str_equal (engine->name, "openai")) {
    speak_once (engine, "-api-key-env", &run);
    assert_failed (engine, &run, TB_PLUGIN_ERROR_AUTH, "invalid API key for provider OpenAI "
                   "(401: You didn't provide an API key.");
    tb_test_tts_run_clear (&run);
  }
  /* The violations were the point: the next test starts clean. */
  fake_reset ();
}

/* SENTENCE on an instance with @overrides while the fake's route has
 * @knob_json: it fails with @code, its message holding @words, after
 * @n_requests requests (0: not counted). The result in @run (run_clear()
 * it). */
static void
speak_failing (const Engine *engine, const char *knob_json, const char *overrides, int code,
               const char *words, guint n_requests, TbTestTtsRun *run)
{
  fake_reset ();
  knobs (engine, knob_json);
  speak_once (engine, overrides, run);
  assert_failed (engine, run, code, words);
  if (n_requests)
    g_assert_cmpuint (count_requests (engine), ==, n_requests);
}

/* The same, a fault the plugin gets over: the whole tone comes, after
 * @n_requests requests. */
static void
speak_recovering (const Engine *engine, const char *knob_json, guint n_requests, TbTestTtsRun *run)
{
  fake_reset ();
  knobs (engine, knob_json);
  speak_once (engine, NULL, run);
  assert_done (engine, run);
  assert_tone (engine, run, expected_seconds (SENTENCE, 1.0));
  g_assert_cmpuint (count_requests (engine), ==, n_requests);
}

static void
test_status_401 (gconstpointer data)
{
  const Engine *engine = data;
  g_autofree char *expected = g_strdup_printf ("invalid API key for provider %s (401",
                                               engine->provider);
  TbTestTtsRun run;

  speak_failing (engine, "\"status\":401", NULL, TB_PLUGIN_ERROR_AUTH, expected, 1, &run);
  tb_test_tts_run_clear (&run);
  tb_fake_cloud_assert_clean (fake);
}

/* 429 with Retry-After: the plugin waits as long and tries again (nothing
 * was said yet); a provider that keeps refusing is reported. */
static void
test_status_429 (gconstpointer data)
{
  const Engine *engine = data;
  g_autofree char *expected = g_strdup_printf ("provider %s rate limited the request (429)",
                                               engine->provider);
  TbTestTtsRun run;

  speak_recovering (engine, "\"status\":429,\"retry_after_s\":1,\"times\":1", 2, &run);
  g_test_message ("%s: done %.0f ms after the call", engine->name,
                  (run.t_end - run.t_call) / 1000.0);
  g_assert_cmpint (run.t_first - run.t_call, >=, 950 * 1000);
  tb_test_tts_run_clear (&run);

  speak_failing (engine, "\"status\":429,\"retry_after_s\":1", NULL, TB_PLUGIN_ERROR_RATE_LIMITED,
                 expected, 2, &run);
  tb_test_tts_run_clear (&run);
  tb_fake_cloud_assert_clean (fake);
}

/* 500: retried max-retries times. */
static void
test_status_500 (gconstpointer data)
{
  const Engine *engine = data;
  g_autofree char *expected = g_strdup_printf ("provider %s answered 500", engine->provider);
  TbTestTtsRun run;

  speak_recovering (engine, "\"status\":500,\"times\":1", 2, &run);
  tb_test_tts_run_clear (&run);

  for (guint retries = 0; retries <= 2; retries++) {
    g_autofree char *overrides = g_strdup_printf ("max-retries=%u", retries);

    speak_failing (engine, "\"status\":500", overrides, TB_PLUGIN_ERROR_FAILED, expected,
                   retries + 1, &run);
    tb_test_tts_run_clear (&run);
  }
  tb_fake_cloud_assert_clean (fake);
}

/* The connection cut mid-answer. A stream ends with an error after the
 * audio so far, and is not tried again (the caller heard the start);
 * Google's answer, cut before any of it was played, is tried again. */
static void
test_drop (gconstpointer data)
{
  const Engine *engine = data;
  TbTestTtsRun run;

  speak_failing (engine, "\"drop_after\":3,\"chunk_ms\":10", NULL, TB_PLUGIN_ERROR_FAILED,
                 "the answer broke off", engine->streams ? 1 : 2, &run);
  if (engine->streams) {
    g_assert_cmpuint (run.chunks, >=, 1);
    g_assert_cmpfloat (tb_test_tts_run_seconds (&run), <, 0.3);
  } else {
    g_assert_cmpuint (run.chunks, ==, 0);
  }
  tb_test_tts_run_clear (&run);

  /* Cut once: a stream cut before its first chunk is tried again too. */
  speak_recovering (engine, engine->streams ? "\"drop_after\":0,\"times\":1"
                                            : "\"drop_after\":1,\"times\":1", 2, &run);
  tb_test_tts_run_clear (&run);
  tb_fake_cloud_assert_clean (fake);
}

/* Answers that make no sense end with TB_PLUGIN_ERROR_PROTOCOL. */
static void
test_malformed (gconstpointer data)
{
  const Engine *engine = data;
  const struct { int at; const char *words; } stream_cases[] = {
    { 0, "sent application/json instead of audio" },
    { 3, "ended inside a sample" },
  }, google_cases[] = {
    { 0, "audioContent is not base64" },
    { 1, "the WAV file has no data chunk" },
    { 2, "the answer is not JSON" },
  };
  guint n = engine->streams ? G_N_ELEMENTS (stream_cases) : G_N_ELEMENTS (google_cases);

  for (guint i = 0; i < n; i++) {
    int at = engine->streams ? stream_cases[i].at : google_cases[i].at;
    const char *words = engine->streams ? stream_cases[i].words : google_cases[i].words;
    g_autofree char *json = g_strdup_printf ("\"malformed_at\":%d,\"chunk_ms\":5", at);
    TbTestTtsRun run;

    speak_failing (engine, json, NULL, TB_PLUGIN_ERROR_PROTOCOL, words, 0, &run);
    /* Audio is only played before the fault of a stream. */
    if (at == 0 || !engine->streams)
      g_assert_cmpuint (run.chunks, ==, 0);
    else
      g_assert_cmpuint (run.chunks, >=, 1);
    tb_test_tts_run_clear (&run);
  }
  tb_fake_cloud_assert_clean (fake);
}

/* A provider that never answers, or too late: a timeout after
 * first-byte-timeout-ms, not retried (the next provider of the agent does
 * better). */
static void
test_stall (gconstpointer data)
{
  const Engine *engine = data;
  double ms;
  TbTestTtsRun run;

  speak_failing (engine, "\"stall\":true", NULL, TB_PLUGIN_ERROR_TIMEOUT,
                 "no answer within 400 ms", 1, &run);
  ms = (run.t_end - run.t_call) / 1000.0;
  g_test_message ("%s: timed out after %.0f ms", engine->name, ms);
  g_assert_cmpfloat (ms, >=, FIRST_BYTE_TIMEOUT_MS - 20);
  g_assert_cmpfloat (ms, <, FIRST_BYTE_TIMEOUT_MS + 600);
  tb_test_tts_run_clear (&run);

  /* Slower than the deadline: the same; slow within it: speech, later. */
  speak_failing (engine, "\"first_byte_ms\":700", NULL, TB_PLUGIN_ERROR_TIMEOUT,
                 "no answer within 400 ms", 0, &run);
  tb_test_tts_run_clear (&run);
  knobs (engine, "\"first_byte_ms\":200");
  speak_once (engine, NULL, &run);
  assert_done (engine, &run);
  g_assert_cmpint (run.t_first - run.t_call, >=, 200 * 1000);
  tb_test_tts_run_clear (&run);
  tb_fake_cloud_assert_clean (fake);
}

/* ---- cancellation --------------------------------------------------------------- */

static void
test_cancel (gconstpointer data)
{
  const Engine *engine = data;
  const TbTestTtsCancelAt ats[] = {
    TB_TEST_TTS_CANCEL_BEFORE, TB_TEST_TTS_CANCEL_AFTER_CALL, TB_TEST_TTS_CANCEL_FIRST_CHUNK,
  };
  gpointer instance = good_instance (engine, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (ats); i++) {
    TbTestTtsRun run, after;

    fake_reset ();
    knobs (engine, "\"chunk_ms\":20");
    tb_test_tts_run_init (&run, SENTENCE, 16000);
    run.cancel_at = ats[i];
    run_synthesis (engine, instance, &run);
    assert_cancelled (&run);
    g_assert_cmpuint (run.chunks, ==, ats[i] == TB_TEST_TTS_CANCEL_FIRST_CHUNK ? 1 : 0);
    g_test_message ("%s: error(CANCELLED) %.1f ms after the call", engine->name,
                    (run.t_end - run.t_call) / 1000.0);
    tb_test_tts_run_clear (&run);

    /* The instance goes on working. */
    knobs (engine, "");
    tb_test_tts_run_init (&after, "Thank you.", 8000);
    run_synthesis (engine, instance, &after);
    assert_done (engine, &after);
    assert_tone (engine, &after, expected_seconds ("Thank you.", 1.0));
    tb_test_tts_run_clear (&after);
  }
  instance_free (engine, instance);
  tb_fake_cloud_assert_clean (fake);
}

/* ---- set-up --------------------------------------------------------------------- */

/* A directory with links to the three built modules, so that the registry
 * loads them and nothing else. */
static void
load_plugins (void)
{
  const char *files[G_N_ELEMENTS (engines) + 1] = { NULL };

  for (guint i = 0; i < G_N_ELEMENTS (engines); i++)
    files[i] = engines[i].route;
  registry = tb_test_shipped_registry_new (files, &plugin_dir);
}

static void
add (const Engine *engine, const char *name, GTestDataFunc func)
{
  g_autofree char *path = g_strdup_printf ("/tts-cloud/%s/%s", engine->name, name);

  g_test_add_data_func (path, engine, func);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* One context for the whole run: each instance's session lives on the
   * context it was first used on, as on a worker thread. */
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  fake = tb_fake_cloud_start ();
  g_setenv (WRONG_KEY_ENV, WRONG_KEY, TRUE);
  load_plugins ();

  for (guint i = 0; i < G_N_ELEMENTS (engines); i++) {
    const Engine *engine = &engines[i];

    add (engine, "loaded", test_loaded);
    add (engine, "speak-8000", test_speak_8000);
    add (engine, "speak-16000", test_speak_16000);
    add (engine, "speak-48000", test_speak_48000);
    add (engine, "twice", test_twice);
    add (engine, "voice", test_voice);
    add (engine, "rate", test_rate);
    add (engine, "empty", test_empty);
    add (engine, "bad-settings", test_bad_settings);
    add (engine, "unknown-voice", test_unknown_voice);
    add (engine, "wrong-key", test_wrong_key);
    add (engine, "status-401", test_status_401);
    add (engine, "status-429", test_status_429);
    add (engine, "status-500", test_status_500);
    add (engine, "drop", test_drop);
    add (engine, "malformed", test_malformed);
    add (engine, "stall", test_stall);
    add (engine, "cancel", test_cancel);
  }
  add (&engines[0], "ulaw", test_elevenlabs_ulaw);
  add (&engines[0], "settings", test_elevenlabs_settings);
  add (&engines[1], "instructions", test_openai_instructions);
  add (&engines[2], "language", test_google_language);
  status = g_test_run ();

  tb_plugin_registry_free (registry);
  tb_test_remove_tree (plugin_dir);
  g_free (plugin_dir);
  tb_fake_cloud_stop (fake);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return status;
}
