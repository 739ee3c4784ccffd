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
#include "settings.h"
#include "stt-harness.h"
#include "test-util.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define ROUTE "stt-openai"

static TbTestStt *stt;
static TbFakeCloud *fake;
static GMainContext *context;   /* the "worker's", thread-default throughout */

/* A clean end (tb_test_stt_assert_done()), and no partials: the
 * transcriptions API has none. */
static void
assert_done (TbTestSttRun *run, guint n_finals)
{
  tb_test_stt_assert_done (run, n_finals);
  g_assert_cmpuint (run->partials->len, ==, 0);
}

/* A turn of one burst of @burst_ms. */
static GArray *
one_burst (guint rate, guint burst_ms)
{
  return tb_test_stt_turn_audio (rate, (const guint[]) { burst_ms, 0 }, 0);
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
  gpointer inst = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, rate);
  g_autoptr(GArray) audio = one_burst (rate, 600);
  g_autoptr(JsonObject) summary = NULL;

  script ("[\"I would like to book an appointment.\"]");
  tb_test_stt_push (run, audio);
  tb_test_stt_end_of_turn (run);
  g_assert_cmpuint (run->finals->len, ==, 0);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (tb_test_stt_final (run, 0), ==, "I would like to book an appointment.");
  tb_test_stt_finish (run);
  assert_done (run, 2);
  g_assert_cmpstr (tb_test_stt_final (run, 1), ==, "");

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
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* Two turns ended before the first answer: the finals in turn order,
 * though the second request is answered first. */
static void
test_turns_in_order (void)
{
  gpointer inst = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 8000);
  g_autoptr(GArray) first = one_burst (8000, 800);
  g_autoptr(GArray) second = one_burst (8000, 300);

  /* The first request is answered 400 ms late; the knob is back to no
   * delay when the second comes, whose answer is then the first in. */
  script ("[\"first\",\"second\"]");
  tb_fake_cloud_knobs (fake, ROUTE, "\"first_byte_ms\":400");
  tb_test_stt_push (run, first);
  tb_test_stt_end_of_turn (run);
  TB_TEST_STT_WAIT_FOR (n_requests () == 1, 2000);
  tb_fake_cloud_knobs (fake, ROUTE, "");
  tb_test_stt_push (run, second);
  tb_test_stt_end_of_turn (run);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 2, 5000);
  g_assert_cmpstr (tb_test_stt_final (run, 0), ==, "first");
  g_assert_cmpstr (tb_test_stt_final (run, 1), ==, "second");
  tb_test_stt_finish (run);
  assert_done (run, 3);
  g_assert_cmpuint (n_requests (), ==, 2);
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* No audio in a turn: "" without a request, from the context. */
static void
test_empty_turn (void)
{
  gpointer inst = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 16000);

  tb_test_stt_end_of_turn (run);
  g_assert_cmpuint (run->finals->len, ==, 0);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 1, 2000);
  g_assert_cmpstr (tb_test_stt_final (run, 0), ==, "");
  tb_test_stt_finish (run);
  assert_done (run, 2);
  g_assert_cmpuint (n_requests (), ==, 0);
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* finish() with audio pending: its final, then done. */
static void
test_finish_flushes (void)
{
  gpointer inst = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000, 500);

  script ("[\"Goodbye.\"]");
  tb_test_stt_push (run, audio);
  tb_test_stt_finish (run);
  assert_done (run, 1);
  g_assert_cmpstr (tb_test_stt_final (run, 0), ==, "Goodbye.");
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* The model, the language (ISO-639-1 of the setting), the prompt. */
static void
test_settings_sent (void)
{
  gpointer inst = tb_test_stt_instance_new (stt, "model=gpt-4o-transcribe\nlanguage=de-DE\n"
                                            "prompt=Greenfield Clinic, Dr. Novak\n");
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 16000);
  g_autoptr(GArray) audio = one_burst (16000, 400);
  g_autoptr(JsonObject) summary = NULL;

  script ("[\"Guten Tag.\"]");
  tb_test_stt_push (run, audio);
  tb_test_stt_end_of_turn (run);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (tb_test_stt_final (run, 0), ==, "Guten Tag.");
  summary = request (0);
  g_assert_cmpstr (json_object_get_string_member (summary, "model"), ==, "gpt-4o-transcribe");
  g_assert_cmpstr (json_object_get_string_member (summary, "language"), ==, "de");
  g_assert_cmpstr (json_object_get_string_member (summary, "prompt"), ==,
                   "Greenfield Clinic, Dr. Novak");
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);

  /* A language without an ISO-639-1 code is left to the model. */
  inst = tb_test_stt_instance_new (stt, "language=yue-HK\n");
  run = tb_test_stt_run_new (stt, inst, 16000);
  tb_test_stt_push (run, audio);
  tb_test_stt_end_of_turn (run);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 1, 5000);
  g_clear_pointer (&summary, json_object_unref);
  summary = request (1);
  g_assert_false (json_object_has_member (summary, "language"));
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

static void
test_bad_key (void)
{
  gpointer inst;
  TbTestSttRun *run;
  g_autoptr(GArray) audio = one_burst (8000, 300);
  g_autoptr(JsonArray) violations = NULL;

  g_setenv ("TB_TEST_WRONG_KEY", "sk-wrong", TRUE);
  inst = tb_test_stt_instance_new (stt, "api-key-env=TB_TEST_WRONG_KEY\n");
  run = tb_test_stt_run_new (stt, inst, 8000);
  tb_test_stt_push (run, audio);
  tb_test_stt_end_of_turn (run);
  tb_test_stt_assert_error (run, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_AUTH,
                            "invalid API key for provider OpenAI (401: Incorrect API key provided",
                            5000);
  g_assert_null (strstr (run->error->message, "sk-wrong"));
  g_assert_cmpuint (n_requests (), ==, 1);
  violations = tb_fake_cloud_violations (fake);
  g_assert_cmpuint (json_array_get_length (violations), ==, 1);
  g_assert_true (tb_test_contains (json_array_get_string_element (violations, 0),
                                   "Authorization"));
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  tb_fake_cloud_reset (fake);
}

/* A fault of the fake's and what the session makes of a turn: its
 * transcript after all (@final), or one error (@code, @message). */
typedef struct {
  const char *path;
  const char *lines;          /* the instance's settings */
  const char *knobs;
  const char *items;          /* the script (NULL: none) */
  const char *final;          /* NULL: the session ends with an error */
  int code;
  const char *message;
  guint n_requests;           /* 0: not checked */
  guint min_ms;               /* the end of the turn to the final or the error, at least */
  guint max_ms;               /* ... and at most (0: not checked) */
} Fault;

static const Fault faults[] = {
  /* 429 with Retry-After: asked again after it. */
  { "/stt/openai/rate-limited", NULL, "\"status\":429,\"retry_after_s\":1,\"times\":1",
    "[\"Yes, please.\"]", "Yes, please.", 0, NULL, 2, 1000, 0 },
  { "/stt/openai/server-error", "max-retries=1\n", "\"status\":500", NULL, NULL,
    TB_PLUGIN_ERROR_FAILED, "provider OpenAI answered 500 Internal Server Error: The server had "
    "an error while processing your request", 2, 0, 0 },
  /* Asked again (max-retries), then given up. */
  { "/stt/openai/malformed", NULL, "\"malformed_at\":1", "[\"Tomorrow.\",\"Tomorrow.\"]", NULL,
    TB_PLUGIN_ERROR_PROTOCOL, "provider OpenAI answered without a transcript", 2, 0, 0 },
  { "/stt/openai/stall", "first-byte-timeout-ms=300\n", "\"stall\":true", NULL, NULL,
    TB_PLUGIN_ERROR_TIMEOUT, "no answer within 300 ms", 0, 280, 1500 },
  /* The answer is slow and comes in pieces: still the final. */
  { "/stt/openai/slow-answer", NULL, "\"first_byte_ms\":300,\"chunk_ms\":100",
    "[\"What are your opening hours?\"]", "What are your opening hours?", 0, NULL, 0, 500, 0 },
};

/* The answer breaks off (between two chunks, which libsoup takes for
 * the end of the body: what came is half a JSON object): asked again, the
 * turn transcribed; every time: the error once max-retries are used. */
static const Fault drop_once = {
  NULL, "max-retries=1\n", "\"drop_after\":1,\"times\":1",
  "[\"lost\",\"At ten in the morning.\"]", "At ten in the morning.", 0, NULL, 2, 0, 0
}, drop_always = {
  NULL, "max-retries=1\n", "\"drop_after\":1", NULL, NULL, TB_PLUGIN_ERROR_PROTOCOL,
  "provider OpenAI answered without a transcript ({\"t", 2, 0, 0
};

static void
test_fault (gconstpointer data)
{
  const Fault *fault = data;
  gpointer inst = tb_test_stt_instance_new (stt, fault->lines);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000, 300);
  gint64 asked;

  tb_fake_cloud_knobs (fake, ROUTE, fault->knobs);
  if (fault->items)
    script (fault->items);
  tb_test_stt_push (run, audio);
  asked = g_get_monotonic_time ();
  tb_test_stt_end_of_turn (run);
  if (fault->final) {
    TB_TEST_STT_WAIT_FOR (run->finals->len == 1, 5000);
    g_assert_cmpint (g_get_monotonic_time () - asked, >=, fault->min_ms * 1000);
    g_assert_cmpstr (tb_test_stt_final (run, 0), ==, fault->final);
  } else {
    tb_test_stt_assert_error (run, TB_PLUGIN_ERROR, fault->code, fault->message, 5000);
    g_assert_cmpint (run->terminal_us - asked, >=, fault->min_ms * 1000);
    if (fault->max_ms)
      g_assert_cmpint (run->terminal_us - asked, <, fault->max_ms * 1000);
    g_assert_cmpuint (run->finals->len, ==, 0);
  }
  if (fault->n_requests)
    g_assert_cmpuint (n_requests (), ==, fault->n_requests);
  if (fault->final) {
    tb_test_stt_finish (run);
    assert_done (run, 2);
  }
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

static void
test_drop (void)
{
  test_fault (&drop_once);
  test_fault (&drop_always);
}

/* Cancelled while a request is out: error CANCELLED, nothing after. */
static void
test_cancel (void)
{
  gpointer inst = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000, 300);

  tb_fake_cloud_knobs (fake, ROUTE, "\"first_byte_ms\":1000");
  script ("[\"never heard\"]");
  tb_test_stt_push (run, audio);
  tb_test_stt_end_of_turn (run);
  TB_TEST_STT_WAIT_FOR (n_requests () == 1, 2000);
  g_cancellable_cancel (run->cancellable);
  tb_test_stt_finish (run);
  tb_test_stt_assert_error (run, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled", 2000);
  tb_test_stt_linger (1200);
  g_assert_cmpuint (run->finals->len, ==, 0);
  g_assert_cmpuint (run->n_after_end, ==, 0);
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* Freed while a request is out: nothing calls back. */
static void
test_free_midway (void)
{
  gpointer inst = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000, 300);

  tb_fake_cloud_knobs (fake, ROUTE, "\"first_byte_ms\":500");
  script ("[\"never heard\"]");
  tb_test_stt_push (run, audio);
  tb_test_stt_end_of_turn (run);
  tb_test_stt_push (run, audio);
  TB_TEST_STT_WAIT_FOR (n_requests () == 1, 2000);
  tb_test_stt_vtable (stt)->session_free (g_steal_pointer (&run->session));
  tb_test_stt_linger (800);
  g_assert_cmpuint (run->finals->len + run->n_done + run->n_errors, ==, 0);
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

static void
test_bad_settings (void)
{
  static const struct { const char *lines, *message; } cases[] = {
    { "base-url=ftp://api.openai.com/v1\n", "is not an http://, https://, ws:// or wss:// URL" },
    { "model=\n", "model must be set" },
  };
  gpointer inst = tb_test_stt_instance_new (stt, NULL);
  TbSttParams params = { .sample_rate = 96000 };
  g_autoptr(GError) error = NULL;

  g_assert_true (tb_settings_check_keys (tb_test_stt_desc (stt)->config_keys, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) local = NULL;

    g_assert_null (tb_test_stt_instance_try (stt, cases[i].lines, &local));
    g_assert_nonnull (local);
    g_assert_true (tb_test_contains (local->message, cases[i].message));
  }
  g_assert_null (tb_test_stt_vtable (stt)->session_new (inst, &params, &tb_test_stt_callbacks, NULL,
                                                        NULL, &error));
  g_assert_true (tb_test_contains (error->message, "96000 Hz"));
  tb_test_stt_instance_free (stt, inst);
}

/* ---- set-up -------------------------------------------------------------------- */

int
main (int argc, char **argv)
{
  g_autofree char *defaults = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  stt = tb_test_stt_new ("stt-openai", "openai");
  fake = tb_fake_cloud_start ();
  defaults = g_strdup_printf ("base-url=%s/v1\napi-key-env=" TB_FAKE_API_KEY_ENV "\n",
                              tb_fake_cloud_url (fake));
  tb_test_stt_set_defaults (stt, defaults);
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);

  g_test_add_data_func ("/stt/openai/turn-8000", GUINT_TO_POINTER (8000), test_turn);
  g_test_add_data_func ("/stt/openai/turn-16000", GUINT_TO_POINTER (16000), test_turn);
  g_test_add_func ("/stt/openai/turns-in-order", test_turns_in_order);
  g_test_add_func ("/stt/openai/empty-turn", test_empty_turn);
  g_test_add_func ("/stt/openai/finish-flushes", test_finish_flushes);
  g_test_add_func ("/stt/openai/settings-sent", test_settings_sent);
  g_test_add_func ("/stt/openai/bad-key", test_bad_key);
  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    g_test_add_data_func (faults[i].path, &faults[i], test_fault);
  g_test_add_func ("/stt/openai/drop", test_drop);
  g_test_add_func ("/stt/openai/cancel", test_cancel);
  g_test_add_func ("/stt/openai/free-midway", test_free_midway);
  g_test_add_func ("/stt/openai/bad-settings", test_bad_settings);
  status = g_test_run ();

  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  tb_fake_cloud_stop (fake);
  tb_test_stt_free (stt);
  return status;
}
