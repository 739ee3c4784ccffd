/* test-stt-deepgram.c — the deepgram STT plugin (the real .so, loaded
 * through the registry) against tb-fake-cloud's Deepgram live WebSocket.
 * The caller's speech is tone bursts between silences, pushed the way the
 * host pushes it (20 ms frames, only while the caller speaks, with some
 * silence before); the fake recognises each burst as the next transcript
 * of its script. Covered: partials then the turn's final at 8 and 16 kHz,
 * the connection's parameters, turns made of several pieces, two turns in
 * one session, KeepAlive in a silence, Finalize per turn and CloseStream at
 * the end, audio queued before the connection is open, reconnection after
 * a drop mid-utterance with the turn still transcribed, every fault knob
 * (bad key, 429 with Retry-After, 500, a drop, a malformed message, a
 * stall, a slow handshake), cancellation and freeing mid-stream with
 * nothing called back afterwards, and settings Deepgram would refuse. */
#include "fake-cloud.h"
#include "settings.h"
#include "stt-harness.h"
#include "test-util.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define ROUTE "stt-deepgram"

static TbTestStt *stt;
static TbFakeCloud *fake;
static GMainContext *context;   /* the "worker's", thread-default throughout */

/* One burst of 500 ms: a turn of one piece. */
static GArray *
one_burst (guint rate)
{
  return tb_test_stt_turn_audio (rate, (const guint[]) { 500, 0 }, 0);
}

/* ---- what the fake saw ------------------------------------------------------ */

static void
script (const char *items)
{
  tb_fake_cloud_script (fake, ROUTE, items);
}

static guint
n_connections (void)
{
  g_autoptr(JsonArray) requests = tb_fake_cloud_requests (fake, ROUTE);

  return json_array_get_length (requests);
}

/* The summary of connection @i (its handshake and what followed). */
static JsonObject *
connection (guint i)
{
  g_autoptr(JsonArray) requests = tb_fake_cloud_requests (fake, ROUTE);

  g_assert_cmpuint (i, <, json_array_get_length (requests));
  return json_object_ref (json_object_get_object_member (
    json_array_get_object_element (requests, i), "summary"));
}

static gint64
summary_int (guint i, const char *name)
{
  g_autoptr(JsonObject) summary = connection (i);

  return json_object_has_member (summary, name) ? json_object_get_int_member (summary, name) : -1;
}

static gboolean
closed (guint i)
{
  g_autoptr(JsonObject) summary = connection (i);

  return json_object_has_member (summary, "closed");
}

/* Ends a test: no violations, a fresh fake for the next. */
static void
fake_clean (void)
{
  tb_fake_cloud_assert_clean (fake);
  tb_fake_cloud_reset (fake);
}

/* ---- tests --------------------------------------------------------------------- */

/* Partials while the caller speaks, the turn's final after end_of_turn,
 * finish: CloseStream, a last (empty) final, done. */
static void
test_happy (gconstpointer data)
{
  guint rate = GPOINTER_TO_UINT (data);
  gpointer inst = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, rate);
  g_autoptr(GArray) audio = one_burst (rate);
  g_autoptr(JsonObject) summary = NULL;
  const char *expected = "book an appointment for tomorrow";

  script ("[\"book an appointment for tomorrow\"]");
  tb_test_stt_push_paced (run, audio);
  tb_test_stt_end_of_turn (run);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (tb_test_stt_final (run, 0), ==, expected);
  g_assert_true (run->partial_before_final);
  g_assert_cmpuint (run->partials->len, >=, 3);
  g_assert_cmpstr (g_ptr_array_index (run->partials, 0), ==, "book");
  for (guint i = 0; i < run->partials->len; i++)
    g_assert_true (g_str_has_prefix (expected, g_ptr_array_index (run->partials, i)));
  g_assert_cmpuint (run->n_done + run->n_errors, ==, 0);

  tb_test_stt_finish (run);
  tb_test_stt_assert_done (run, 2);
  g_assert_cmpstr (tb_test_stt_final (run, 1), ==, "");
  TB_TEST_STT_WAIT_FOR (closed (0), 2000);

  /* One connection, asking for what the plugin sends. */
  g_assert_cmpuint (n_connections (), ==, 1);
  summary = connection (0);
  g_assert_cmpstr (json_object_get_string_member (summary, "encoding"), ==, "linear16");
  g_assert_cmpint (g_ascii_strtoll (json_object_get_string_member (summary, "sample_rate"),
                                    NULL, 10), ==, rate);
  g_assert_cmpstr (json_object_get_string_member (summary, "channels"), ==, "1");
  g_assert_cmpstr (json_object_get_string_member (summary, "model"), ==, "nova-2");
  g_assert_cmpstr (json_object_get_string_member (summary, "language"), ==, "en-US");
  g_assert_cmpstr (json_object_get_string_member (summary, "interim_results"), ==, "true");
  g_assert_cmpstr (json_object_get_string_member (summary, "endpointing"), ==, "300");
  g_assert_cmpstr (json_object_get_string_member (summary, "utterance_end_ms"), ==, "1000");
  g_assert_cmpint (json_object_get_int_member (summary, "finalizes"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (summary, "close_streams"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (summary, "keepalives"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (summary, "close_code"), ==, 1000);
  /* All the audio came, at the rate the connection announced. */
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (summary, "audio_s"),
                                  (double) audio->len / rate, 1e-6);
  /* Pushed in 20 ms frames, sent in pieces of 100 ms (audio-chunk-ms),
   * the rest at the end of the turn. */
  g_assert_cmpint (json_object_get_int_member (summary, "frames"), ==,
                   (audio->len + rate / 10 - 1) / (rate / 10));
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* audio-chunk-ms: the open turn's audio goes out in pieces of that size;
 * what is left goes with the end of the turn, right away. */
static void
test_audio_chunk (gconstpointer data)
{
  guint chunk_ms = GPOINTER_TO_UINT (data);
  g_autofree char *settings = g_strdup_printf ("audio-chunk-ms=%u\n", chunk_ms);
  gpointer inst = tb_test_stt_instance_new (stt, settings);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 16000);
  /* 510 ms: not a whole number of pieces of either size. */
  g_autoptr(GArray) audio = tb_test_stt_turn_audio (16000, (const guint[]) { 490, 0 }, 20);
  gsize chunk = 16000 * chunk_ms / 1000;
  g_autoptr(JsonObject) summary = NULL;

  g_assert_cmpuint (audio->len % chunk, !=, 0);
  script ("[\"what time do you open\"]");
  tb_test_stt_push_paced (run, audio);
  tb_test_stt_end_of_turn (run);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (tb_test_stt_final (run, 0), ==, "what time do you open");
  tb_test_stt_finish (run);
  tb_test_stt_assert_done (run, 2);
  TB_TEST_STT_WAIT_FOR (closed (0), 2000);
  summary = connection (0);
  g_assert_cmpint (json_object_get_int_member (summary, "frames"), ==,
                   (audio->len + chunk - 1) / chunk);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (summary, "audio_s"),
                                  (double) audio->len / 16000, 1e-6);
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* A turn of two pieces (Deepgram finalizes each after its endpointing
 * silence) is one final; the next turn's final follows in order. */
static void
test_two_turns (void)
{
  gpointer inst = tb_test_stt_instance_new (stt, "vad-events=true\nsmart-format=true\n");
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 8000);
  /* The gap is longer than utterance-end-ms: an UtteranceEnd comes. */
  g_autoptr(GArray) first = tb_test_stt_turn_audio (8000, (const guint[]) { 500, 600, 0 }, 1100);
  g_autoptr(GArray) second = tb_test_stt_turn_audio (8000, (const guint[]) { 400, 0 }, 0);
  g_autoptr(JsonObject) summary = NULL;

  script ("[\"I would like to book\",\"an appointment tomorrow\",\"yes please\"]");
  tb_test_stt_push (run, first);
  tb_test_stt_end_of_turn (run);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (tb_test_stt_final (run, 0), ==, "I would like to book an appointment tomorrow");
  tb_test_stt_push (run, second);
  tb_test_stt_end_of_turn (run);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 2, 5000);
  g_assert_cmpstr (tb_test_stt_final (run, 1), ==, "yes please");
  tb_test_stt_finish (run);
  tb_test_stt_assert_done (run, 3);
  g_assert_cmpstr (tb_test_stt_final (run, 2), ==, "");
  TB_TEST_STT_WAIT_FOR (closed (0), 2000);
  summary = connection (0);
  g_assert_cmpstr (json_object_get_string_member (summary, "vad_events"), ==, "true");
  g_assert_cmpstr (json_object_get_string_member (summary, "smart_format"), ==, "true");
  g_assert_cmpint (json_object_get_int_member (summary, "finalizes"), ==, 2);
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* Both turns ended before any answer came: finals in order. */
static void
test_turns_overlap (void)
{
  gpointer inst = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 16000);
  g_autoptr(GArray) first = one_burst (16000);
  g_autoptr(GArray) second = one_burst (16000);

  tb_fake_cloud_knobs (fake, ROUTE, "\"chunk_ms\":30");
  script ("[\"tomorrow\",\"at ten in the morning\"]");
  tb_test_stt_push (run, first);
  tb_test_stt_end_of_turn (run);
  tb_test_stt_push (run, second);
  tb_test_stt_end_of_turn (run);
  g_assert_cmpuint (run->finals->len, ==, 0);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 2, 5000);
  g_assert_cmpstr (tb_test_stt_final (run, 0), ==, "tomorrow");
  g_assert_cmpstr (tb_test_stt_final (run, 1), ==, "at ten in the morning");
  tb_test_stt_finish (run);
  tb_test_stt_assert_done (run, 3);
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* Deepgram's endpointing finalized all of the turn's audio: Finalize
 * gets no answer (none is promised then) and the turn is complete at
 * once, without waiting for one. */
static void
test_covered_turn (void)
{
  gpointer inst = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 8000);
  g_autoptr(GArray) audio = g_array_new (FALSE, FALSE, sizeof (gint16));
  g_autoptr(JsonObject) summary = NULL;
  gint64 asked;

  tb_test_stt_add_silence (audio, 8000, 300);
  tb_test_stt_add_tone (audio, 8000, 500, 300);
  tb_test_stt_add_silence (audio, 8000, 300);   /* exactly endpointing-ms */
  script ("[\"no thank you\"]");
  tb_test_stt_push (run, audio);
  tb_test_stt_linger (100);
  asked = g_get_monotonic_time ();
  tb_test_stt_end_of_turn (run);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 1, 3000);
  g_assert_cmpint (g_get_monotonic_time () - asked, <, 500000);
  g_assert_cmpstr (tb_test_stt_final (run, 0), ==, "no thank you");
  summary = connection (0);
  g_assert_cmpint (json_object_get_int_member (summary, "finalizes"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (summary, "results"), ==, 4);
  tb_test_stt_finish (run);
  tb_test_stt_assert_done (run, 2);
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* Little audio left after Deepgram's last final result (no from_finalize
 * comes for it): the turn is complete a moment after Finalize, the
 * service having finalized every word it heard. */
static void
test_unanswered_finalize (void)
{
  gpointer inst = tb_test_stt_instance_new (stt, "first-byte-timeout-ms=4000\n");
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 8000);
  g_autoptr(GArray) audio = g_array_new (FALSE, FALSE, sizeof (gint16));
  gint64 asked, took;

  tb_test_stt_add_silence (audio, 8000, 300);
  tb_test_stt_add_tone (audio, 8000, 500, 300);
  tb_test_stt_add_silence (audio, 8000, 350);   /* endpointing-ms and 50 ms */
  script ("[\"at ten\"]");
  tb_test_stt_push (run, audio);
  tb_test_stt_linger (100);
  asked = g_get_monotonic_time ();
  tb_test_stt_end_of_turn (run);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 1, 3000);
  took = g_get_monotonic_time () - asked;
  g_assert_cmpint (took, >=, 900000);
  g_assert_cmpint (took, <, 2000000);
  g_assert_cmpstr (tb_test_stt_final (run, 0), ==, "at ten");
  g_assert_cmpint (summary_int (0, "finalizes"), ==, 1);
  g_assert_cmpint (summary_int (0, "results"), ==, 3);
  tb_test_stt_finish (run);
  tb_test_stt_assert_done (run, 2);
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* An end of turn without audio: an empty final, from the context. */
static void
test_empty_turn (void)
{
  gpointer inst = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 8000);

  tb_test_stt_end_of_turn (run);
  g_assert_cmpuint (run->finals->len, ==, 0);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 1, 2000);
  g_assert_cmpstr (tb_test_stt_final (run, 0), ==, "");
  tb_test_stt_finish (run);
  tb_test_stt_assert_done (run, 2);
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* No audio for a while: KeepAlive every keepalive-s, none while audio
 * flows; the session goes on after it. */
static void
test_keepalive (void)
{
  gpointer inst = tb_test_stt_instance_new (stt, "keepalive-s=1\n");
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000);
  g_autoptr(JsonObject) summary = NULL;
  JsonArray *messages;

  script ("[\"hello\",\"goodbye\"]");
  tb_test_stt_push (run, audio);
  tb_test_stt_end_of_turn (run);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 1, 5000);
  tb_test_stt_linger (2600);
  g_assert_cmpint (summary_int (0, "keepalives"), >=, 2);
  g_assert_cmpint (summary_int (0, "keepalives"), <=, 3);
  tb_test_stt_push (run, audio);
  tb_test_stt_end_of_turn (run);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 2, 5000);
  g_assert_cmpstr (tb_test_stt_final (run, 1), ==, "goodbye");
  tb_test_stt_finish (run);
  tb_test_stt_assert_done (run, 3);
  TB_TEST_STT_WAIT_FOR (closed (0), 2000);

  /* The KeepAlives came in the silence between the turns only. */
  summary = connection (0);
  messages = json_object_get_array_member (summary, "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++) {
    JsonObject *message = json_array_get_object_element (messages, i);

    if (g_str_equal (json_object_get_string_member (message, "message"), "KeepAlive"))
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (message, "at_s"),
                                      (double) audio->len / 8000, 1e-6);
  }
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* finish() right after the audio: CloseStream finalizes the turn. */
static void
test_finish_flushes (void)
{
  gpointer inst = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 16000);
  g_autoptr(GArray) audio = one_burst (16000);

  script ("[\"I need to cancel my appointment\"]");
  tb_test_stt_push (run, audio);
  tb_test_stt_finish (run);
  tb_test_stt_assert_done (run, 1);
  g_assert_cmpstr (tb_test_stt_final (run, 0), ==, "I need to cancel my appointment");
  g_assert_cmpint (summary_int (0, "finalizes"), ==, 0);
  g_assert_cmpint (summary_int (0, "close_streams"), ==, 1);
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* The connection drops in the middle of the caller's second piece of
 * speech: a new connection is given the whole turn again, and the turn's
 * transcript is whole (not doubled). */
static void
test_reconnect (void)
{
  gpointer inst = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 8000);
  g_autoptr(GArray) audio = tb_test_stt_turn_audio (8000, (const guint[]) { 600, 600, 0 }, 500);
  g_autoptr(JsonObject) dropped = NULL, second = NULL;

  /* Results of the first piece: 3 interims and a final; the first
   * interim of the second piece is the 5th. */
  tb_fake_cloud_knobs (fake, ROUTE, "\"drop_after\":5,\"times\":1");
  script ("[\"book an appointment\",\"for tomorrow\",\"book an appointment\",\"for tomorrow\"]");
  tb_test_stt_push_paced (run, audio);
  tb_test_stt_end_of_turn (run);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (tb_test_stt_final (run, 0), ==, "book an appointment for tomorrow");
  tb_test_stt_finish (run);
  tb_test_stt_assert_done (run, 2);
  TB_TEST_STT_WAIT_FOR (n_connections () == 2 && closed (1), 2000);
  dropped = connection (0);
  g_assert_true (json_object_get_boolean_member (dropped, "dropped"));
  g_assert_cmpint (json_object_get_int_member (dropped, "results"), ==, 5);
  g_assert_cmpfloat (json_object_get_double_member (dropped, "audio_s"), <,
                     (double) audio->len / 8000);
  second = connection (1);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (second, "audio_s"),
                                  (double) audio->len / 8000, 1e-6);
  g_assert_cmpint (json_object_get_int_member (second, "finalizes"), ==, 1);
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* A fault of the fake's and what the session makes of it: the turn
 * transcribed after all (@final), or one error (@code, @message). */
typedef struct {
  const char *path;
  const char *lines;          /* the instance's settings */
  const char *knobs;
  const char *items;          /* the script; NULL: the caller says nothing */
  guint rate;
  gboolean paced;             /* the caller speaks in real time: partials come first */
  const char *final;          /* NULL: the session ends with an error */
  int code;
  const char *message;
  guint n_connections;        /* 0: not checked */
  guint min_ms;               /* the final comes this long after the start at least */
  guint max_ms;               /* the error within this long of it (0: not checked) */
} Fault;

static const Fault faults[] = {
  /* Every connection drops: after reconnect-attempts, error(). */
  { "/stt/deepgram/reconnect-fails", "reconnect-attempts=1\n", "\"drop_after\":1",
    "[\"one\",\"two\",\"three\"]", 8000, FALSE, NULL,
    TB_PLUGIN_ERROR_FAILED, "reconnections failed", 2, 0, 0 },
  /* Audio pushed while the handshake is answered slowly is sent once the
   * connection is open. */
  { "/stt/deepgram/slow-handshake", NULL, "\"first_byte_ms\":400",
    "[\"what are your opening hours\"]", 8000, FALSE, "what are your opening hours",
    0, NULL, 0, 400, 0 },
  /* No answer to the handshake within first-byte-timeout-ms. */
  { "/stt/deepgram/handshake-timeout", "first-byte-timeout-ms=300\n", "\"first_byte_ms\":3000",
    NULL, 8000, FALSE, NULL,
    TB_PLUGIN_ERROR_TIMEOUT, "no answer to the connection request within 300 ms", 0, 0, 1000 },
  /* Results slowed down: the final still comes, after the partials. */
  { "/stt/deepgram/slow-results", NULL, "\"chunk_ms\":100",
    "[\"can I speak to a doctor\"]", 16000, TRUE, "can I speak to a doctor",
    0, NULL, 0, 0, 0 },
  /* 429 with Retry-After before anything was said: retried after it. */
  { "/stt/deepgram/rate-limited", NULL, "\"status\":429,\"retry_after_s\":1,\"times\":1",
    "[\"goodbye\"]", 8000, FALSE, "goodbye", 0, NULL, 2, 1000, 0 },
  /* 429 every time: the error says so once max-retries are used. */
  { "/stt/deepgram/rate-limited-always", "max-retries=1\n", "\"status\":429,\"retry_after_s\":0",
    NULL, 8000, FALSE, NULL,
    TB_PLUGIN_ERROR_RATE_LIMITED, "provider Deepgram rate limited the request (429)", 2, 0, 0 },
  /* A message that is not JSON: a protocol error. */
  { "/stt/deepgram/malformed", NULL, "\"malformed_at\":1",
    "[\"at ten in the morning\"]", 8000, FALSE, NULL,
    TB_PLUGIN_ERROR_PROTOCOL, "not a JSON object", 0, 0, 0 },
};

/* 500 (503) once is retried; 500 each time ends the session with its
 * message. */
static const Fault server_error_once = {
  NULL, "max-retries=1\n", "\"status\":503,\"times\":1", "[\"yes\"]", 8000, FALSE, "yes",
  0, NULL, 0, 0, 0
}, server_error_always = {
  NULL, "max-retries=1\n", "\"status\":500", NULL, 8000, FALSE, NULL, TB_PLUGIN_ERROR_FAILED,
  "provider Deepgram answered 500 Internal Server Error: An internal server error occurred",
  2, 0, 0
};

static void
test_fault (gconstpointer data)
{
  const Fault *fault = data;
  gpointer inst = tb_test_stt_instance_new (stt, fault->lines);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, fault->rate);
  g_autoptr(GArray) audio = one_burst (fault->rate);

  tb_fake_cloud_knobs (fake, ROUTE, fault->knobs);
  if (fault->items) {
    script (fault->items);
    if (fault->paced)
      tb_test_stt_push_paced (run, audio);
    else
      tb_test_stt_push (run, audio);
    tb_test_stt_end_of_turn (run);
  }
  if (fault->final) {
    TB_TEST_STT_WAIT_FOR (run->finals->len == 1, 5000);
    g_assert_cmpint (g_get_monotonic_time () - run->started_us, >=, fault->min_ms * 1000);
    g_assert_cmpstr (tb_test_stt_final (run, 0), ==, fault->final);
    if (fault->paced)
      g_assert_true (run->partial_before_final);
  } else {
    tb_test_stt_assert_error (run, TB_PLUGIN_ERROR, fault->code, fault->message, 5000);
    if (fault->max_ms)
      g_assert_cmpint (run->terminal_us - run->started_us, <, fault->max_ms * 1000);
    g_assert_cmpuint (run->finals->len, ==, 0);
  }
  if (fault->n_connections)
    g_assert_cmpuint (n_connections (), ==, fault->n_connections);
  if (fault->final) {
    tb_test_stt_finish (run);
    tb_test_stt_assert_done (run, 2);
  }
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

static void
test_server_error (void)
{
  test_fault (&server_error_once);
  test_fault (&server_error_always);
}

/* A wrong key: the handshake is refused with 401. */
static void
test_bad_key (void)
{
  gpointer inst;
  TbTestSttRun *run;
  g_autoptr(JsonArray) violations = NULL;

  g_setenv ("TB_TEST_WRONG_KEY", "sk-wrong", TRUE);
  inst = tb_test_stt_instance_new (stt, "api-key-env=TB_TEST_WRONG_KEY\n");
  run = tb_test_stt_run_new (stt, inst, 8000);
  tb_test_stt_assert_error (run, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_AUTH,
                            "invalid API key for provider Deepgram (401: Invalid credentials.)",
                            3000);
  g_assert_null (strstr (run->error->message, "sk-wrong"));
  g_assert_cmpuint (n_connections (), ==, 1);
  violations = tb_fake_cloud_violations (fake);
  g_assert_cmpuint (json_array_get_length (violations), ==, 1);
  g_assert_true (tb_test_contains (json_array_get_string_element (violations, 0),
                                   "Authorization"));
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  tb_fake_cloud_reset (fake);
}

/* The service takes the audio and says nothing: Finalize unanswered
 * within first-byte-timeout-ms is a timeout. */
static void
test_stall (void)
{
  gpointer inst = tb_test_stt_instance_new (stt, "first-byte-timeout-ms=500\n");
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000);
  gint64 asked;

  tb_fake_cloud_knobs (fake, ROUTE, "\"stall\":true");
  script ("[\"hello\"]");
  tb_test_stt_push (run, audio);
  tb_test_stt_linger (200);
  tb_test_stt_end_of_turn (run);
  asked = g_get_monotonic_time ();
  tb_test_stt_assert_error (run, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_TIMEOUT,
                            "no answer to Finalize within 500 ms", 3000);
  g_assert_cmpint (run->terminal_us - asked, >=, 450000);
  g_assert_cmpint (run->terminal_us - asked, <, 1500000);
  g_assert_cmpuint (run->finals->len, ==, 0);
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* Cancelled while the caller speaks, or before anything happened: error
 * CANCELLED, nothing after it. */
static void
test_cancel (gconstpointer data)
{
  gboolean before = GPOINTER_TO_UINT (data);
  gpointer inst = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000);

  script ("[\"I would like to book an appointment\"]");
  if (!before) {
    g_array_set_size (audio, audio->len / 2);
    tb_test_stt_push_paced (run, audio);
    TB_TEST_STT_WAIT_FOR (run->partials->len > 0, 3000);
  }
  g_cancellable_cancel (run->cancellable);
  tb_test_stt_end_of_turn (run);
  tb_test_stt_finish (run);
  tb_test_stt_assert_error (run, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled", 2000);
  tb_test_stt_linger (300);
  g_assert_cmpuint (run->finals->len, ==, 0);
  g_assert_cmpuint (run->n_after_end, ==, 0);
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* Freed mid-stream, while connecting or connected: nothing calls back. */
static void
test_free_midway (gconstpointer data)
{
  gboolean connected = GPOINTER_TO_UINT (data);
  gpointer inst = tb_test_stt_instance_new (stt, NULL);
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 16000);
  g_autoptr(GArray) audio = one_burst (16000);
  guint calls;

  /* Results slowed down: none has come when the session is freed. */
  tb_fake_cloud_knobs (fake, ROUTE, "\"chunk_ms\":200");
  script ("[\"no thank you\"]");
  if (connected)
    TB_TEST_STT_WAIT_FOR (n_connections () == 1, 2000);
  tb_test_stt_push (run, audio);
  tb_test_stt_end_of_turn (run);
  if (connected)
    tb_test_stt_linger (20);
  calls = run->partials->len;
  tb_test_stt_vtable (stt)->session_free (g_steal_pointer (&run->session));
  tb_test_stt_linger (500);
  g_assert_cmpuint (run->partials->len, ==, calls);
  g_assert_cmpuint (run->finals->len + run->n_done + run->n_errors, ==, 0);
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

static void
test_bad_settings (void)
{
  static const struct { const char *lines, *message; } cases[] = {
    { "utterance-end-ms=500\n", "utterance-end-ms must be 0 or at least 1000" },
    { "base-url=ftp://api.deepgram.com\n", "is not an http://, https://, ws:// or wss:// URL" },
    { "model=\n", "model must be set" },
  };
  gpointer inst = tb_test_stt_instance_new (stt, "endpointing-ms=0\nutterance-end-ms=0\n"
                                            "interim-results=false\n");
  TbSttParams params = { .sample_rate = 4000 };
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
  g_assert_true (tb_test_contains (error->message, "4000 Hz"));
  tb_test_stt_instance_free (stt, inst);
}

/* Endpointing off, no interim results: no partials, the turn is what
 * Finalize gives. */
static void
test_no_interim (void)
{
  gpointer inst = tb_test_stt_instance_new (stt, "endpointing-ms=0\nutterance-end-ms=0\n"
                                            "interim-results=false\n"
                                            "language=de-DE\nmodel=nova-2-phonecall\n");
  TbTestSttRun *run = tb_test_stt_run_new (stt, inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000);
  g_autoptr(JsonObject) summary = NULL;

  script ("[\"guten Tag\"]");
  tb_test_stt_push (run, audio);
  tb_test_stt_end_of_turn (run);
  TB_TEST_STT_WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (tb_test_stt_final (run, 0), ==, "guten Tag");
  g_assert_cmpuint (run->partials->len, ==, 0);
  summary = connection (0);
  g_assert_cmpstr (json_object_get_string_member (summary, "endpointing"), ==, "false");
  g_assert_cmpstr (json_object_get_string_member (summary, "interim_results"), ==, "false");
  g_assert_cmpstr (json_object_get_string_member (summary, "language"), ==, "de-DE");
  g_assert_cmpstr (json_object_get_string_member (summary, "model"), ==, "nova-2-phonecall");
  g_assert_false (json_object_has_member (summary, "utterance_end_ms"));
  tb_test_stt_finish (run);
  tb_test_stt_assert_done (run, 2);
  tb_test_stt_run_free (run);
  tb_test_stt_instance_free (stt, inst);
  fake_clean ();
}

/* ---- set-up -------------------------------------------------------------------- */

int
main (int argc, char **argv)
{
  g_autofree char *defaults = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  stt = tb_test_stt_new ("stt-deepgram", "deepgram");
  fake = tb_fake_cloud_start ();
  defaults = g_strdup_printf ("base-url=%s\napi-key-env=" TB_FAKE_API_KEY_ENV "\n",
                              tb_fake_cloud_url (fake));
  tb_test_stt_set_defaults (stt, defaults);
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);

  g_test_add_data_func ("/stt/deepgram/happy-8000", GUINT_TO_POINTER (8000), test_happy);
  g_test_add_data_func ("/stt/deepgram/happy-16000", GUINT_TO_POINTER (16000), test_happy);
  g_test_add_data_func ("/stt/deepgram/audio-chunk-20", GUINT_TO_POINTER (20), test_audio_chunk);
  g_test_add_data_func ("/stt/deepgram/audio-chunk-250", GUINT_TO_POINTER (250), test_audio_chunk);
  g_test_add_func ("/stt/deepgram/two-turns", test_two_turns);
  g_test_add_func ("/stt/deepgram/turns-overlap", test_turns_overlap);
  g_test_add_func ("/stt/deepgram/covered-turn", test_covered_turn);
  g_test_add_func ("/stt/deepgram/unanswered-finalize", test_unanswered_finalize);
  g_test_add_func ("/stt/deepgram/empty-turn", test_empty_turn);
  g_test_add_func ("/stt/deepgram/no-interim", test_no_interim);
  g_test_add_func ("/stt/deepgram/keepalive", test_keepalive);
  g_test_add_func ("/stt/deepgram/finish-flushes", test_finish_flushes);
  g_test_add_func ("/stt/deepgram/reconnect", test_reconnect);
  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    g_test_add_data_func (faults[i].path, &faults[i], test_fault);
  g_test_add_func ("/stt/deepgram/bad-key", test_bad_key);
  g_test_add_func ("/stt/deepgram/server-error", test_server_error);
  g_test_add_func ("/stt/deepgram/stall", test_stall);
  g_test_add_data_func ("/stt/deepgram/cancel-midway", GUINT_TO_POINTER (FALSE), test_cancel);
  g_test_add_data_func ("/stt/deepgram/cancel-before", GUINT_TO_POINTER (TRUE), test_cancel);
  g_test_add_data_func ("/stt/deepgram/free-connecting", GUINT_TO_POINTER (FALSE),
                        test_free_midway);
  g_test_add_data_func ("/stt/deepgram/free-connected", GUINT_TO_POINTER (TRUE),
                        test_free_midway);
  g_test_add_func ("/stt/deepgram/bad-settings", test_bad_settings);
  status = g_test_run ();

  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  tb_fake_cloud_stop (fake);
  tb_test_stt_free (stt);
  return status;
}
