/* test-stt-openai.c — the openai STT plugin (the real .so, loaded through
 * the registry) against tb-fake-cloud's /v1/audio/transcriptions. Each
 * turn's audio goes out as a WAV file in a multipart form, which the fake
 * checks (RIFF/WAVE 16-bit PCM mono with data, model, an ISO-639-1
 * language); its answer is the turn's final. Covered: a turn at 8 and
 * 16 kHz and what the request held, turns whose requests overlap (finals
 * in order), an empty turn, finish with audio pending, the settings sent
 * (model, language, prompt), every fault knob (bad key, 429 with
 * Retry-After, 500, a drop, a malformed answer, a stall, a slow answer),
 * cancellation and freeing mid-request with nothing called back
 * afterwards, and bad settings. */
#include "fake-cloud.h"
#include "plugin.h"
#include "settings.h"
#include "test-util.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#define ROUTE "stt-openai"

static TbPluginRegistry *registry;
static char *plugin_dir;
static TbFakeCloud *fake;
static GMainContext *context;   /* the "worker's", thread-default throughout */

/* ---- the plugin ----------------------------------------------------------- */

static const TbPlugin *
plugin (void)
{
  const TbPlugin *p = tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_STT, "openai");

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
  g_autofree char *text = g_strdup_printf ("[stt:test]\nbase-url=%s/v1\napi-key-env="
                                           TB_FAKE_API_KEY_ENV "\n%s",
                                           tb_fake_cloud_url (fake), lines ? lines : "");
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(TbProblems) problems = tb_problems_new (NULL, text);
  g_autoptr(GVariant) settings = NULL;

  g_assert_true (g_key_file_load_from_data (keyfile, text, -1, G_KEY_FILE_NONE, NULL));
  settings = tb_settings_from_group (keyfile, "stt:test", plugin ()->desc->config_keys, NULL,
                                     problems);
  g_assert_cmpuint (tb_problems_count (problems), ==, 0);
  return plugin ()->desc->instance_new (tb_test_host (), settings, error);
}

static gpointer
instance (const char *lines)
{
  g_autoptr(GError) error = NULL;
  gpointer instance = instance_new (lines, &error);

  g_assert_no_error (error);
  g_assert_nonnull (instance);
  return instance;
}

/* ---- a session and what it calls back ------------------------------------------ */

typedef struct {
  TbSttSession *session;
  GCancellable *cancellable;
  guint rate;
  GPtrArray *finals;
  guint n_partials, n_done, n_errors, n_after_end;
  GError *error;
  gboolean wrong_context, inside, called_inside;
  gint64 started_us, terminal_us;
} Run;

static void
callback_check (Run *run)
{
  if (g_main_context_get_thread_default () != context)
    run->wrong_context = TRUE;
  if (run->inside)
    run->called_inside = TRUE;
  if (run->n_done + run->n_errors > 0)
    run->n_after_end++;
}

static void
on_partial (const char *text, gpointer data)
{
  Run *run = data;

  callback_check (run);
  run->n_partials++;
}

static void
on_final (const char *text, double confidence, gpointer data)
{
  Run *run = data;

  callback_check (run);
  g_assert_cmpfloat (confidence, >=, 0);
  g_assert_cmpfloat (confidence, <=, 1);
  g_ptr_array_add (run->finals, g_strdup (text));
}

static void
on_done (gpointer data)
{
  Run *run = data;

  callback_check (run);
  run->n_done++;
  run->terminal_us = g_get_monotonic_time ();
}

static void
on_error (const GError *error, gpointer data)
{
  Run *run = data;

  callback_check (run);
  run->n_errors++;
  g_clear_error (&run->error);
  run->error = g_error_copy (error);
  run->terminal_us = g_get_monotonic_time ();
}

static const TbSttCallbacks callbacks = { on_partial, on_final, on_done, on_error };

static Run *
run_new (gpointer instance, guint rate)
{
  Run *run = g_new0 (Run, 1);
  TbSttParams params = { .sample_rate = rate, .language = "en-US" };
  g_autoptr(GError) error = NULL;

  run->rate = rate;
  run->cancellable = g_cancellable_new ();
  run->finals = g_ptr_array_new_with_free_func (g_free);
  run->started_us = g_get_monotonic_time ();
  run->inside = TRUE;
  run->session = stt ()->session_new (instance, &params, &callbacks, run, run->cancellable,
                                      &error);
  run->inside = FALSE;
  g_assert_no_error (error);
  g_assert_nonnull (run->session);
  return run;
}

static void
iterate (void)
{
  g_main_context_iteration (context, FALSE);
  g_usleep (1000);
}

static void
linger (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    iterate ();
}

#define WAIT_FOR(cond, ms) G_STMT_START { \
    gint64 until_ = g_get_monotonic_time () + (gint64) (ms) * 1000; \
    while (!(cond) && g_get_monotonic_time () < until_) \
      iterate (); \
    g_assert_true (cond); \
  } G_STMT_END

static void
run_free (Run *run)
{
  if (run->session) {
    run->inside = TRUE;
    stt ()->session_free (run->session);
    run->inside = FALSE;
  }
  /* Requests the session cancelled end (and free what they hold). */
  linger (100);
  g_object_unref (run->cancellable);
  g_ptr_array_unref (run->finals);
  g_clear_error (&run->error);
  g_free (run);
}

static void
end_of_turn (Run *run)
{
  run->inside = TRUE;
  stt ()->end_of_turn (run->session);
  run->inside = FALSE;
}

static void
finish (Run *run)
{
  run->inside = TRUE;
  stt ()->finish (run->session);
  run->inside = FALSE;
}

static void
assert_done (Run *run, guint n_finals)
{
  WAIT_FOR (run->n_done + run->n_errors > 0, 10000);
  linger (100);
  if (run->error)
    g_printerr ("error: %s\n", run->error->message);
  g_assert_cmpuint (run->n_errors, ==, 0);
  g_assert_cmpuint (run->n_done, ==, 1);
  g_assert_cmpuint (run->finals->len, ==, n_finals);
  g_assert_cmpuint (run->n_partials, ==, 0);
  g_assert_cmpuint (run->n_after_end, ==, 0);
  g_assert_false (run->called_inside);
  g_assert_false (run->wrong_context);
}

static void
assert_error (Run *run, GQuark domain, int code, const char *text, guint ms)
{
  WAIT_FOR (run->n_done + run->n_errors > 0, ms);
  linger (150);
  g_assert_cmpuint (run->n_done, ==, 0);
  g_assert_cmpuint (run->n_errors, ==, 1);
  g_assert_error (run->error, domain, code);
  g_assert_true (tb_test_contains (run->error->message, text));
  g_assert_cmpuint (run->n_after_end, ==, 0);
  g_assert_false (run->called_inside);
  g_assert_false (run->wrong_context);
}

static const char *
final (Run *run, guint i)
{
  g_assert_cmpuint (i, <, run->finals->len);
  return g_ptr_array_index (run->finals, i);
}

/* ---- the caller's speech ---------------------------------------------------- */

/* What the host pushes for a turn: silence, a burst of tone, silence. */
static GArray *
turn_audio (guint rate, guint burst_ms)
{
  GArray *audio = g_array_new (FALSE, FALSE, sizeof (gint16));
  gsize before = rate * 300 / 1000, burst = (gsize) rate * burst_ms / 1000;
  gsize after = rate * 500 / 1000;

  g_array_set_size (audio, before + burst + after);
  memset (audio->data, 0, audio->len * sizeof (gint16));
  for (gsize i = 0; i < burst; i++)
    g_array_index (audio, gint16, before + i) = (gint16) (6000 * sin (2 * G_PI * 440 * i / rate));
  return audio;
}

static void
push (Run *run, GArray *audio)
{
  gsize frame = run->rate / 50;
  const gint16 *samples = (const gint16 *) audio->data;

  run->inside = TRUE;
  for (gsize i = 0; i < audio->len; i += frame)
    stt ()->push_audio (run->session, samples + i, MIN (frame, audio->len - i));
  run->inside = FALSE;
}

/* ---- what the fake saw ------------------------------------------------------ */

static void
script (const char *items)
{
  tb_fake_cloud_script (fake, ROUTE, items);
}

static guint
n_requests (void)
{
  g_autoptr(JsonArray) requests = tb_fake_cloud_requests (fake, ROUTE);

  return json_array_get_length (requests);
}

static JsonObject *
request (guint i)
{
  g_autoptr(JsonArray) requests = tb_fake_cloud_requests (fake, ROUTE);
  JsonObject *entry;

  g_assert_cmpuint (i, <, json_array_get_length (requests));
  entry = json_array_get_object_element (requests, i);
  g_assert_cmpstr (json_object_get_string_member (entry, "method"), ==, "POST");
  g_assert_cmpstr (json_object_get_string_member (entry, "path"), ==, "/v1/audio/transcriptions");
  return json_object_ref (json_object_get_object_member (entry, "summary"));
}

static void
fake_clean (void)
{
  tb_fake_cloud_assert_clean (fake);
  tb_fake_cloud_reset (fake);
}

/* ---- tests --------------------------------------------------------------------- */

/* A turn: its WAV file and the form's fields, the answer as its final. */
static void
test_turn (gconstpointer data)
{
  guint rate = GPOINTER_TO_UINT (data);
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, rate);
  g_autoptr(GArray) audio = turn_audio (rate, 600);
  g_autoptr(JsonObject) summary = NULL;

  script ("[\"I would like to book an appointment.\"]");
  push (run, audio);
  end_of_turn (run);
  g_assert_cmpuint (run->finals->len, ==, 0);
  WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (final (run, 0), ==, "I would like to book an appointment.");
  finish (run);
  assert_done (run, 2);
  g_assert_cmpstr (final (run, 1), ==, "");

  /* One request (the empty last turn needs none), with the turn's audio. */
  g_assert_cmpuint (n_requests (), ==, 1);
  summary = request (0);
  g_assert_cmpstr (json_object_get_string_member (summary, "model"), ==, "whisper-1");
  g_assert_cmpstr (json_object_get_string_member (summary, "language"), ==, "en");
  g_assert_cmpstr (json_object_get_string_member (summary, "response_format"), ==, "json");
  g_assert_cmpstr (json_object_get_string_member (summary, "filename"), ==, "turn.wav");
  g_assert_cmpstr (json_object_get_string_member (summary, "file_type"), ==, "audio/wav");
  g_assert_false (json_object_has_member (summary, "prompt"));
  g_assert_cmpint (json_object_get_int_member (summary, "rate"), ==, rate);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (summary, "audio_s"),
                                  (double) audio->len / rate, 1e-6);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* Two turns ended before the first answer: the finals in turn order,
 * though the second request is answered first. */
static void
test_turns_in_order (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) first = turn_audio (8000, 800);
  g_autoptr(GArray) second = turn_audio (8000, 300);

  /* The first request is answered 400 ms late; the knob is back to no
   * delay when the second comes, whose answer is then the first in. */
  script ("[\"first\",\"second\"]");
  tb_fake_cloud_knobs (fake, ROUTE, "\"first_byte_ms\":400");
  push (run, first);
  end_of_turn (run);
  WAIT_FOR (n_requests () == 1, 2000);
  tb_fake_cloud_knobs (fake, ROUTE, "");
  push (run, second);
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 2, 5000);
  g_assert_cmpstr (final (run, 0), ==, "first");
  g_assert_cmpstr (final (run, 1), ==, "second");
  finish (run);
  assert_done (run, 3);
  g_assert_cmpuint (n_requests (), ==, 2);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* No audio in a turn: "" without a request, from the context. */
static void
test_empty_turn (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 16000);

  end_of_turn (run);
  g_assert_cmpuint (run->finals->len, ==, 0);
  WAIT_FOR (run->finals->len == 1, 2000);
  g_assert_cmpstr (final (run, 0), ==, "");
  finish (run);
  assert_done (run, 2);
  g_assert_cmpuint (n_requests (), ==, 0);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* finish() with audio pending: its final, then done. */
static void
test_finish_flushes (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = turn_audio (8000, 500);

  script ("[\"Goodbye.\"]");
  push (run, audio);
  finish (run);
  assert_done (run, 1);
  g_assert_cmpstr (final (run, 0), ==, "Goodbye.");
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* The model, the language (ISO-639-1 of the setting), the prompt. */
static void
test_settings_sent (void)
{
  gpointer inst = instance ("model=gpt-4o-transcribe\nlanguage=de-DE\n"
                            "prompt=Greenfield Clinic, Dr. Novak\n");
  Run *run = run_new (inst, 16000);
  g_autoptr(GArray) audio = turn_audio (16000, 400);
  g_autoptr(JsonObject) summary = NULL;

  script ("[\"Guten Tag.\"]");
  push (run, audio);
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (final (run, 0), ==, "Guten Tag.");
  summary = request (0);
  g_assert_cmpstr (json_object_get_string_member (summary, "model"), ==, "gpt-4o-transcribe");
  g_assert_cmpstr (json_object_get_string_member (summary, "language"), ==, "de");
  g_assert_cmpstr (json_object_get_string_member (summary, "prompt"), ==,
                   "Greenfield Clinic, Dr. Novak");
  run_free (run);
  plugin ()->desc->instance_free (inst);

  /* A language without an ISO-639-1 code is left to the model. */
  inst = instance ("language=yue-HK\n");
  run = run_new (inst, 16000);
  push (run, audio);
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 1, 5000);
  g_clear_pointer (&summary, json_object_unref);
  summary = request (1);
  g_assert_false (json_object_has_member (summary, "language"));
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

static void
test_bad_key (void)
{
  gpointer inst;
  Run *run;
  g_autoptr(GArray) audio = turn_audio (8000, 300);
  g_autoptr(JsonArray) violations = NULL;

  g_setenv ("TB_TEST_WRONG_KEY", "sk-wrong", TRUE);
  inst = instance ("api-key-env=TB_TEST_WRONG_KEY\n");
  run = run_new (inst, 8000);
  push (run, audio);
  end_of_turn (run);
  assert_error (run, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_AUTH,
                "invalid API key for provider OpenAI (401: Incorrect API key provided", 5000);
  g_assert_null (strstr (run->error->message, "sk-wrong"));
  g_assert_cmpuint (n_requests (), ==, 1);
  violations = tb_fake_cloud_violations (fake);
  g_assert_cmpuint (json_array_get_length (violations), ==, 1);
  g_assert_true (tb_test_contains (json_array_get_string_element (violations, 0),
                                   "Authorization"));
  run_free (run);
  plugin ()->desc->instance_free (inst);
  tb_fake_cloud_reset (fake);
}

static void
test_rate_limited (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = turn_audio (8000, 300);
  gint64 asked;

  tb_fake_cloud_knobs (fake, ROUTE, "\"status\":429,\"retry_after_s\":1,\"times\":1");
  script ("[\"Yes, please.\"]");
  push (run, audio);
  asked = g_get_monotonic_time ();
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpint (g_get_monotonic_time () - asked, >=, 1000000);
  g_assert_cmpstr (final (run, 0), ==, "Yes, please.");
  g_assert_cmpuint (n_requests (), ==, 2);
  finish (run);
  assert_done (run, 2);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

static void
test_server_error (void)
{
  gpointer inst = instance ("max-retries=1\n");
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = turn_audio (8000, 300);

  tb_fake_cloud_knobs (fake, ROUTE, "\"status\":500");
  push (run, audio);
  end_of_turn (run);
  assert_error (run, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                "provider OpenAI answered 500 Internal Server Error: The server had an error "
                "while processing your request", 5000);
  g_assert_cmpuint (n_requests (), ==, 2);
  g_assert_cmpuint (run->finals->len, ==, 0);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* The answer breaks off (between two chunks, which libsoup takes for
 * the end of the body: what came is half a JSON object): asked again, the
 * turn transcribed; every time: the error once max-retries are used. */
static void
test_drop (void)
{
  gpointer inst = instance ("max-retries=1\n");
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = turn_audio (8000, 300);

  tb_fake_cloud_knobs (fake, ROUTE, "\"drop_after\":1,\"times\":1");
  script ("[\"lost\",\"At ten in the morning.\"]");
  push (run, audio);
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (final (run, 0), ==, "At ten in the morning.");
  g_assert_cmpuint (n_requests (), ==, 2);
  run_free (run);
  fake_clean ();

  tb_fake_cloud_knobs (fake, ROUTE, "\"drop_after\":1");
  run = run_new (inst, 8000);
  push (run, audio);
  end_of_turn (run);
  assert_error (run, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                "provider OpenAI answered without a transcript ({\"t", 5000);
  g_assert_cmpuint (n_requests (), ==, 2);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

static void
test_malformed (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = turn_audio (8000, 300);

  tb_fake_cloud_knobs (fake, ROUTE, "\"malformed_at\":1");
  script ("[\"Tomorrow.\",\"Tomorrow.\"]");
  push (run, audio);
  end_of_turn (run);
  assert_error (run, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                "provider OpenAI answered without a transcript", 5000);
  /* Asked again (max-retries), then given up. */
  g_assert_cmpuint (n_requests (), ==, 2);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

static void
test_stall (void)
{
  gpointer inst = instance ("first-byte-timeout-ms=300\n");
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = turn_audio (8000, 300);
  gint64 asked;

  tb_fake_cloud_knobs (fake, ROUTE, "\"stall\":true");
  push (run, audio);
  asked = g_get_monotonic_time ();
  end_of_turn (run);
  assert_error (run, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_TIMEOUT, "no answer within 300 ms", 3000);
  g_assert_cmpint (run->terminal_us - asked, >=, 280000);
  g_assert_cmpint (run->terminal_us - asked, <, 1500000);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* The answer is slow and comes in pieces: still the final. */
static void
test_slow_answer (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 16000);
  g_autoptr(GArray) audio = turn_audio (16000, 300);

  tb_fake_cloud_knobs (fake, ROUTE, "\"first_byte_ms\":300,\"chunk_ms\":100");
  script ("[\"What are your opening hours?\"]");
  push (run, audio);
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (final (run, 0), ==, "What are your opening hours?");
  g_assert_cmpint (g_get_monotonic_time () - run->started_us, >=, 500000);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* Cancelled while a request is out: error CANCELLED, nothing after. */
static void
test_cancel (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = turn_audio (8000, 300);

  tb_fake_cloud_knobs (fake, ROUTE, "\"first_byte_ms\":1000");
  script ("[\"never heard\"]");
  push (run, audio);
  end_of_turn (run);
  WAIT_FOR (n_requests () == 1, 2000);
  g_cancellable_cancel (run->cancellable);
  finish (run);
  assert_error (run, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled", 2000);
  linger (1200);
  g_assert_cmpuint (run->finals->len, ==, 0);
  g_assert_cmpuint (run->n_after_end, ==, 0);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* Freed while a request is out: nothing calls back. */
static void
test_free_midway (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = turn_audio (8000, 300);

  tb_fake_cloud_knobs (fake, ROUTE, "\"first_byte_ms\":500");
  script ("[\"never heard\"]");
  push (run, audio);
  end_of_turn (run);
  push (run, audio);
  WAIT_FOR (n_requests () == 1, 2000);
  stt ()->session_free (g_steal_pointer (&run->session));
  linger (800);
  g_assert_cmpuint (run->finals->len + run->n_done + run->n_errors, ==, 0);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

static void
test_bad_settings (void)
{
  static const struct { const char *lines, *message; } cases[] = {
    { "base-url=ftp://api.openai.com/v1\n", "is not an http://, https://, ws:// or wss:// URL" },
    { "model=\n", "model must be set" },
  };
  gpointer inst = instance (NULL);
  TbSttParams params = { .sample_rate = 96000 };
  g_autoptr(GError) error = NULL;

  g_assert_true (tb_settings_check_keys (plugin ()->desc->config_keys, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) local = NULL;

    g_assert_null (instance_new (cases[i].lines, &local));
    g_assert_nonnull (local);
    g_assert_true (tb_test_contains (local->message, cases[i].message));
  }
  g_assert_null (stt ()->session_new (inst, &params, &callbacks, NULL, NULL, &error));
  g_assert_true (tb_test_contains (error->message, "96000 Hz"));
  plugin ()->desc->instance_free (inst);
}

/* ---- set-up -------------------------------------------------------------------- */

static void
load_plugin (void)
{
  registry = tb_test_shipped_registry_new ((const char *const[]) { "stt-openai", NULL }, &plugin_dir);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  load_plugin ();
  fake = tb_fake_cloud_start ();
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);

  g_test_add_data_func ("/stt/openai/turn-8000", GUINT_TO_POINTER (8000), test_turn);
  g_test_add_data_func ("/stt/openai/turn-16000", GUINT_TO_POINTER (16000), test_turn);
  g_test_add_func ("/stt/openai/turns-in-order", test_turns_in_order);
  g_test_add_func ("/stt/openai/empty-turn", test_empty_turn);
  g_test_add_func ("/stt/openai/finish-flushes", test_finish_flushes);
  g_test_add_func ("/stt/openai/settings-sent", test_settings_sent);
  g_test_add_func ("/stt/openai/bad-key", test_bad_key);
  g_test_add_func ("/stt/openai/rate-limited", test_rate_limited);
  g_test_add_func ("/stt/openai/server-error", test_server_error);
  g_test_add_func ("/stt/openai/drop", test_drop);
  g_test_add_func ("/stt/openai/malformed", test_malformed);
  g_test_add_func ("/stt/openai/stall", test_stall);
  g_test_add_func ("/stt/openai/slow-answer", test_slow_answer);
  g_test_add_func ("/stt/openai/cancel", test_cancel);
  g_test_add_func ("/stt/openai/free-midway", test_free_midway);
  g_test_add_func ("/stt/openai/bad-settings", test_bad_settings);
  status = g_test_run ();

  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  tb_fake_cloud_stop (fake);
  tb_plugin_registry_free (registry);
  tb_test_remove_tree (plugin_dir);
  g_free (plugin_dir);
  return status;
}
