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
#include "plugin.h"
#include "settings.h"
#include "test-util.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#define ROUTE "stt-deepgram"

static TbPluginRegistry *registry;
static char *plugin_dir;
static TbFakeCloud *fake;
static GMainContext *context;   /* the "worker's", thread-default throughout */

/* ---- the plugin ----------------------------------------------------------- */

static const TbPlugin *
plugin (void)
{
  const TbPlugin *p = tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_STT, "deepgram");

  g_assert_nonnull (p);
  return p;
}

static const TbSttVTable *
stt (void)
{
  return plugin ()->desc->vtable;
}

/* An instance on the fake, with @lines added to its group. */
static gpointer
instance_new (const char *lines, GError **error)
{
  g_autofree char *text = g_strdup_printf ("[stt:test]\nbase-url=%s\napi-key-env="
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
  GPtrArray *finals;          /* char * */
  GPtrArray *partials;        /* char * */
  guint n_done, n_errors;
  guint n_after_end;          /* callbacks after the terminal one */
  GError *error;
  gboolean partial_before_final;
  gboolean wrong_context;
  gboolean inside;            /* in a call to the plugin */
  gboolean called_inside;     /* a callback came from inside one */
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
  g_ptr_array_add (run->partials, g_strdup (text));
  if (run->finals->len == 0)
    run->partial_before_final = TRUE;
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
  run->partials = g_ptr_array_new_with_free_func (g_free);
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

/* Runs the context for @ms. */
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
  /* What the plugin left to end (a connection closing) ends. */
  linger (100);
  g_object_unref (run->cancellable);
  g_ptr_array_unref (run->finals);
  g_ptr_array_unref (run->partials);
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

/* A clean end: the finals, done(), nothing after, all from the context. */
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
  g_assert_cmpuint (run->n_after_end, ==, 0);
  g_assert_false (run->called_inside);
  g_assert_false (run->wrong_context);
}

/* The session ended with one error, @code of @domain, saying @text. */
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

static void
add_tone (GArray *audio, guint rate, guint ms, double hz)
{
  gsize n = (gsize) rate * ms / 1000;

  for (gsize i = 0; i < n; i++) {
    gint16 sample = (gint16) (6000 * sin (2 * G_PI * hz * i / rate));

    g_array_append_val (audio, sample);
  }
}

static void
add_silence (GArray *audio, guint rate, guint ms)
{
  gsize n = (gsize) rate * ms / 1000;
  gsize at = audio->len;

  g_array_set_size (audio, at + n);
  memset ((gint16 *) audio->data + at, 0, n * sizeof (gint16));
}

/* What the host pushes for a turn: 300 ms before the speech, each burst
 * of @bursts_ms (0-terminated) followed by @gap_ms of silence, then the
 * silence that ended the turn. */
static GArray *
turn_audio (guint rate, const guint *bursts_ms, guint gap_ms)
{
  GArray *audio = g_array_new (FALSE, FALSE, sizeof (gint16));

  add_silence (audio, rate, 300);
  for (guint i = 0; bursts_ms[i]; i++) {
    add_tone (audio, rate, bursts_ms[i], 300 + 100 * i);
    add_silence (audio, rate, bursts_ms[i + 1] ? gap_ms : 500);
  }
  return audio;
}

static GArray *
one_burst (guint rate)
{
  return turn_audio (rate, (const guint[]) { 500, 0 }, 0);
}

/* @audio in 20 ms frames, at once. */
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

/* @audio in 20 ms frames, in real time. */
static void
push_paced (Run *run, GArray *audio)
{
  gsize frame = run->rate / 50;
  const gint16 *samples = (const gint16 *) audio->data;
  gint64 start = g_get_monotonic_time ();

  for (gsize i = 0; i < audio->len; i += frame) {
    gint64 due = start + (gint64) (i / frame) * 20000;

    while (g_get_monotonic_time () < due)
      iterate ();
    run->inside = TRUE;
    stt ()->push_audio (run->session, samples + i, MIN (frame, audio->len - i));
    run->inside = FALSE;
  }
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
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, rate);
  g_autoptr(GArray) audio = one_burst (rate);
  g_autoptr(JsonObject) summary = NULL;
  const char *expected = "book an appointment for tomorrow";

  script ("[\"book an appointment for tomorrow\"]");
  push_paced (run, audio);
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (final (run, 0), ==, expected);
  g_assert_true (run->partial_before_final);
  g_assert_cmpuint (run->partials->len, >=, 3);
  g_assert_cmpstr (g_ptr_array_index (run->partials, 0), ==, "book");
  for (guint i = 0; i < run->partials->len; i++)
    g_assert_true (g_str_has_prefix (expected, g_ptr_array_index (run->partials, i)));
  g_assert_cmpuint (run->n_done + run->n_errors, ==, 0);

  finish (run);
  assert_done (run, 2);
  g_assert_cmpstr (final (run, 1), ==, "");
  WAIT_FOR (closed (0), 2000);

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
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* A turn of two pieces (Deepgram finalizes each after its endpointing
 * silence) is one final; the next turn's final follows in order. */
static void
test_two_turns (void)
{
  gpointer inst = instance ("vad-events=true\nsmart-format=true\n");
  Run *run = run_new (inst, 8000);
  /* The gap is longer than utterance-end-ms: an UtteranceEnd comes. */
  g_autoptr(GArray) first = turn_audio (8000, (const guint[]) { 500, 600, 0 }, 1100);
  g_autoptr(GArray) second = turn_audio (8000, (const guint[]) { 400, 0 }, 0);
  g_autoptr(JsonObject) summary = NULL;

  script ("[\"I would like to book\",\"an appointment tomorrow\",\"yes please\"]");
  push (run, first);
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (final (run, 0), ==, "I would like to book an appointment tomorrow");
  push (run, second);
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 2, 5000);
  g_assert_cmpstr (final (run, 1), ==, "yes please");
  finish (run);
  assert_done (run, 3);
  g_assert_cmpstr (final (run, 2), ==, "");
  WAIT_FOR (closed (0), 2000);
  summary = connection (0);
  g_assert_cmpstr (json_object_get_string_member (summary, "vad_events"), ==, "true");
  g_assert_cmpstr (json_object_get_string_member (summary, "smart_format"), ==, "true");
  g_assert_cmpint (json_object_get_int_member (summary, "finalizes"), ==, 2);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* Both turns ended before any answer came: finals in order. */
static void
test_turns_overlap (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 16000);
  g_autoptr(GArray) first = one_burst (16000);
  g_autoptr(GArray) second = one_burst (16000);

  tb_fake_cloud_knobs (fake, ROUTE, "\"chunk_ms\":30");
  script ("[\"tomorrow\",\"at ten in the morning\"]");
  push (run, first);
  end_of_turn (run);
  push (run, second);
  end_of_turn (run);
  g_assert_cmpuint (run->finals->len, ==, 0);
  WAIT_FOR (run->finals->len == 2, 5000);
  g_assert_cmpstr (final (run, 0), ==, "tomorrow");
  g_assert_cmpstr (final (run, 1), ==, "at ten in the morning");
  finish (run);
  assert_done (run, 3);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* Deepgram's endpointing finalized all of the turn's audio: Finalize
 * gets no answer (none is promised then) and the turn is complete at
 * once, without waiting for one. */
static void
test_covered_turn (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = g_array_new (FALSE, FALSE, sizeof (gint16));
  g_autoptr(JsonObject) summary = NULL;
  gint64 asked;

  add_silence (audio, 8000, 300);
  add_tone (audio, 8000, 500, 300);
  add_silence (audio, 8000, 300);   /* exactly endpointing-ms */
  script ("[\"no thank you\"]");
  push (run, audio);
  linger (100);
  asked = g_get_monotonic_time ();
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 1, 3000);
  g_assert_cmpint (g_get_monotonic_time () - asked, <, 500000);
  g_assert_cmpstr (final (run, 0), ==, "no thank you");
  summary = connection (0);
  g_assert_cmpint (json_object_get_int_member (summary, "finalizes"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (summary, "results"), ==, 4);
  finish (run);
  assert_done (run, 2);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* Little audio left after Deepgram's last final result (no from_finalize
 * comes for it): the turn is complete a moment after Finalize, the
 * service having finalized every word it heard. */
static void
test_unanswered_finalize (void)
{
  gpointer inst = instance ("first-byte-timeout-ms=4000\n");
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = g_array_new (FALSE, FALSE, sizeof (gint16));
  gint64 asked, took;

  add_silence (audio, 8000, 300);
  add_tone (audio, 8000, 500, 300);
  add_silence (audio, 8000, 350);   /* endpointing-ms and 50 ms */
  script ("[\"at ten\"]");
  push (run, audio);
  linger (100);
  asked = g_get_monotonic_time ();
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 1, 3000);
  took = g_get_monotonic_time () - asked;
  g_assert_cmpint (took, >=, 900000);
  g_assert_cmpint (took, <, 2000000);
  g_assert_cmpstr (final (run, 0), ==, "at ten");
  g_assert_cmpint (summary_int (0, "finalizes"), ==, 1);
  g_assert_cmpint (summary_int (0, "results"), ==, 3);
  finish (run);
  assert_done (run, 2);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* An end of turn without audio: an empty final, from the context. */
static void
test_empty_turn (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 8000);

  end_of_turn (run);
  g_assert_cmpuint (run->finals->len, ==, 0);
  WAIT_FOR (run->finals->len == 1, 2000);
  g_assert_cmpstr (final (run, 0), ==, "");
  finish (run);
  assert_done (run, 2);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* No audio for a while: KeepAlive every keepalive-s, none while audio
 * flows; the session goes on after it. */
static void
test_keepalive (void)
{
  gpointer inst = instance ("keepalive-s=1\n");
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000);
  g_autoptr(JsonObject) summary = NULL;
  JsonArray *messages;

  script ("[\"hello\",\"goodbye\"]");
  push (run, audio);
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 1, 5000);
  linger (2600);
  g_assert_cmpint (summary_int (0, "keepalives"), >=, 2);
  g_assert_cmpint (summary_int (0, "keepalives"), <=, 3);
  push (run, audio);
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 2, 5000);
  g_assert_cmpstr (final (run, 1), ==, "goodbye");
  finish (run);
  assert_done (run, 3);
  WAIT_FOR (closed (0), 2000);

  /* The KeepAlives came in the silence between the turns only. */
  summary = connection (0);
  messages = json_object_get_array_member (summary, "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++) {
    JsonObject *message = json_array_get_object_element (messages, i);

    if (g_str_equal (json_object_get_string_member (message, "message"), "KeepAlive"))
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (message, "at_s"),
                                      (double) audio->len / 8000, 1e-6);
  }
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* finish() right after the audio: CloseStream finalizes the turn. */
static void
test_finish_flushes (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 16000);
  g_autoptr(GArray) audio = one_burst (16000);

  script ("[\"I need to cancel my appointment\"]");
  push (run, audio);
  finish (run);
  assert_done (run, 1);
  g_assert_cmpstr (final (run, 0), ==, "I need to cancel my appointment");
  g_assert_cmpint (summary_int (0, "finalizes"), ==, 0);
  g_assert_cmpint (summary_int (0, "close_streams"), ==, 1);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* The connection drops in the middle of the caller's second piece of
 * speech: a new connection is given the whole turn again, and the turn's
 * transcript is whole (not doubled). */
static void
test_reconnect (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = turn_audio (8000, (const guint[]) { 600, 600, 0 }, 500);
  g_autoptr(JsonObject) dropped = NULL, second = NULL;

  /* Results of the first piece: 3 interims and a final; the first
   * interim of the second piece is the 5th. */
  tb_fake_cloud_knobs (fake, ROUTE, "\"drop_after\":5,\"times\":1");
  script ("[\"book an appointment\",\"for tomorrow\",\"book an appointment\",\"for tomorrow\"]");
  push_paced (run, audio);
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (final (run, 0), ==, "book an appointment for tomorrow");
  finish (run);
  assert_done (run, 2);
  WAIT_FOR (n_connections () == 2 && closed (1), 2000);
  dropped = connection (0);
  g_assert_true (json_object_get_boolean_member (dropped, "dropped"));
  g_assert_cmpint (json_object_get_int_member (dropped, "results"), ==, 5);
  g_assert_cmpfloat (json_object_get_double_member (dropped, "audio_s"), <,
                     (double) audio->len / 8000);
  second = connection (1);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (second, "audio_s"),
                                  (double) audio->len / 8000, 1e-6);
  g_assert_cmpint (json_object_get_int_member (second, "finalizes"), ==, 1);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* Every connection drops: after reconnect-attempts, error(). */
static void
test_reconnect_fails (void)
{
  gpointer inst = instance ("reconnect-attempts=1\n");
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000);

  tb_fake_cloud_knobs (fake, ROUTE, "\"drop_after\":1");
  script ("[\"one\",\"two\",\"three\"]");
  push (run, audio);
  end_of_turn (run);
  assert_error (run, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED, "reconnections failed", 5000);
  g_assert_cmpuint (n_connections (), ==, 2);
  g_assert_cmpuint (run->finals->len, ==, 0);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* Audio pushed while the handshake is answered slowly is sent once the
 * connection is open. */
static void
test_slow_handshake (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000);

  tb_fake_cloud_knobs (fake, ROUTE, "\"first_byte_ms\":400");
  script ("[\"what are your opening hours\"]");
  push (run, audio);
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpint (g_get_monotonic_time () - run->started_us, >=, 400000);
  g_assert_cmpstr (final (run, 0), ==, "what are your opening hours");
  finish (run);
  assert_done (run, 2);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* No answer to the handshake within first-byte-timeout-ms. */
static void
test_handshake_timeout (void)
{
  gpointer inst = instance ("first-byte-timeout-ms=300\n");
  Run *run = run_new (inst, 8000);

  tb_fake_cloud_knobs (fake, ROUTE, "\"first_byte_ms\":3000");
  assert_error (run, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_TIMEOUT,
                "no answer to the connection request within 300 ms", 3000);
  g_assert_cmpint (run->terminal_us - run->started_us, <, 1000000);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* Results slowed down: the final still comes, after the partials. */
static void
test_slow_results (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 16000);
  g_autoptr(GArray) audio = one_burst (16000);

  tb_fake_cloud_knobs (fake, ROUTE, "\"chunk_ms\":100");
  script ("[\"can I speak to a doctor\"]");
  push_paced (run, audio);
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (final (run, 0), ==, "can I speak to a doctor");
  g_assert_true (run->partial_before_final);
  finish (run);
  assert_done (run, 2);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* A wrong key: the handshake is refused with 401. */
static void
test_bad_key (void)
{
  gpointer inst;
  Run *run;
  g_autoptr(JsonArray) violations = NULL;

  g_setenv ("TB_TEST_WRONG_KEY", "sk-wrong", TRUE);
  inst = instance ("api-key-env=TB_TEST_WRONG_KEY\n");
  run = run_new (inst, 8000);
  assert_error (run, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_AUTH,
                "invalid API key for provider Deepgram (401: Invalid credentials.)", 3000);
  g_assert_null (strstr (run->error->message, "sk-wrong"));
  g_assert_cmpuint (n_connections (), ==, 1);
  violations = tb_fake_cloud_violations (fake);
  g_assert_cmpuint (json_array_get_length (violations), ==, 1);
  g_assert_true (tb_test_contains (json_array_get_string_element (violations, 0),
                                   "Authorization"));
  run_free (run);
  plugin ()->desc->instance_free (inst);
  tb_fake_cloud_reset (fake);
}

/* 429 with Retry-After before anything was said: retried after it. */
static void
test_rate_limited (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000);

  tb_fake_cloud_knobs (fake, ROUTE, "\"status\":429,\"retry_after_s\":1,\"times\":1");
  script ("[\"goodbye\"]");
  push (run, audio);
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (final (run, 0), ==, "goodbye");
  g_assert_cmpint (g_get_monotonic_time () - run->started_us, >=, 1000000);
  g_assert_cmpuint (n_connections (), ==, 2);
  finish (run);
  assert_done (run, 2);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* 429 every time: the error says so once max-retries are used. */
static void
test_rate_limited_always (void)
{
  gpointer inst = instance ("max-retries=1\n");
  Run *run = run_new (inst, 8000);

  tb_fake_cloud_knobs (fake, ROUTE, "\"status\":429,\"retry_after_s\":0");
  assert_error (run, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_RATE_LIMITED,
                "provider Deepgram rate limited the request (429)", 5000);
  g_assert_cmpuint (n_connections (), ==, 2);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* 500 once is retried; 500 each time ends the session with its message. */
static void
test_server_error (void)
{
  gpointer inst = instance ("max-retries=1\n");
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000);

  tb_fake_cloud_knobs (fake, ROUTE, "\"status\":503,\"times\":1");
  script ("[\"yes\"]");
  push (run, audio);
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (final (run, 0), ==, "yes");
  run_free (run);
  fake_clean ();

  tb_fake_cloud_knobs (fake, ROUTE, "\"status\":500");
  run = run_new (inst, 8000);
  assert_error (run, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                "provider Deepgram answered 500 Internal Server Error: An internal server "
                "error occurred", 5000);
  g_assert_cmpuint (n_connections (), ==, 2);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* A message that is not JSON: a protocol error. */
static void
test_malformed (void)
{
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000);

  tb_fake_cloud_knobs (fake, ROUTE, "\"malformed_at\":1");
  script ("[\"at ten in the morning\"]");
  push (run, audio);
  end_of_turn (run);
  assert_error (run, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL, "not a JSON object", 5000);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* The service takes the audio and says nothing: Finalize unanswered
 * within first-byte-timeout-ms is a timeout. */
static void
test_stall (void)
{
  gpointer inst = instance ("first-byte-timeout-ms=500\n");
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000);
  gint64 asked;

  tb_fake_cloud_knobs (fake, ROUTE, "\"stall\":true");
  script ("[\"hello\"]");
  push (run, audio);
  linger (200);
  end_of_turn (run);
  asked = g_get_monotonic_time ();
  assert_error (run, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_TIMEOUT,
                "no answer to Finalize within 500 ms", 3000);
  g_assert_cmpint (run->terminal_us - asked, >=, 450000);
  g_assert_cmpint (run->terminal_us - asked, <, 1500000);
  g_assert_cmpuint (run->finals->len, ==, 0);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* Cancelled while the caller speaks, or before anything happened: error
 * CANCELLED, nothing after it. */
static void
test_cancel (gconstpointer data)
{
  gboolean before = GPOINTER_TO_UINT (data);
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000);

  script ("[\"I would like to book an appointment\"]");
  if (!before) {
    g_array_set_size (audio, audio->len / 2);
    push_paced (run, audio);
    WAIT_FOR (run->partials->len > 0, 3000);
  }
  g_cancellable_cancel (run->cancellable);
  end_of_turn (run);
  finish (run);
  assert_error (run, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled", 2000);
  linger (300);
  g_assert_cmpuint (run->finals->len, ==, 0);
  g_assert_cmpuint (run->n_after_end, ==, 0);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* Freed mid-stream, while connecting or connected: nothing calls back. */
static void
test_free_midway (gconstpointer data)
{
  gboolean connected = GPOINTER_TO_UINT (data);
  gpointer inst = instance (NULL);
  Run *run = run_new (inst, 16000);
  g_autoptr(GArray) audio = one_burst (16000);
  guint calls;

  /* Results slowed down: none has come when the session is freed. */
  tb_fake_cloud_knobs (fake, ROUTE, "\"chunk_ms\":200");
  script ("[\"no thank you\"]");
  if (connected)
    WAIT_FOR (n_connections () == 1, 2000);
  push (run, audio);
  end_of_turn (run);
  if (connected)
    linger (20);
  calls = run->partials->len;
  stt ()->session_free (g_steal_pointer (&run->session));
  linger (500);
  g_assert_cmpuint (run->partials->len, ==, calls);
  g_assert_cmpuint (run->finals->len + run->n_done + run->n_errors, ==, 0);
  run_free (run);
  plugin ()->desc->instance_free (inst);
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
  gpointer inst = instance ("endpointing-ms=0\nutterance-end-ms=0\ninterim-results=false\n");
  TbSttParams params = { .sample_rate = 4000 };
  g_autoptr(GError) error = NULL;

  g_assert_true (tb_settings_check_keys (plugin ()->desc->config_keys, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) local = NULL;

    g_assert_null (instance_new (cases[i].lines, &local));
    g_assert_nonnull (local);
    g_assert_true (tb_test_contains (local->message, cases[i].message));
  }
  g_assert_null (stt ()->session_new (inst, &params, &callbacks, NULL, NULL, &error));
  g_assert_true (tb_test_contains (error->message, "4000 Hz"));
  plugin ()->desc->instance_free (inst);
}

/* Endpointing off, no interim results: no partials, the turn is what
 * Finalize gives. */
static void
test_no_interim (void)
{
  gpointer inst = instance ("endpointing-ms=0\nutterance-end-ms=0\ninterim-results=false\n"
                            "language=de-DE\nmodel=nova-2-phonecall\n");
  Run *run = run_new (inst, 8000);
  g_autoptr(GArray) audio = one_burst (8000);
  g_autoptr(JsonObject) summary = NULL;

  script ("[\"guten Tag\"]");
  push (run, audio);
  end_of_turn (run);
  WAIT_FOR (run->finals->len == 1, 5000);
  g_assert_cmpstr (final (run, 0), ==, "guten Tag");
  g_assert_cmpuint (run->partials->len, ==, 0);
  summary = connection (0);
  g_assert_cmpstr (json_object_get_string_member (summary, "endpointing"), ==, "false");
  g_assert_cmpstr (json_object_get_string_member (summary, "interim_results"), ==, "false");
  g_assert_cmpstr (json_object_get_string_member (summary, "language"), ==, "de-DE");
  g_assert_cmpstr (json_object_get_string_member (summary, "model"), ==, "nova-2-phonecall");
  g_assert_false (json_object_has_member (summary, "utterance_end_ms"));
  finish (run);
  assert_done (run, 2);
  run_free (run);
  plugin ()->desc->instance_free (inst);
  fake_clean ();
}

/* ---- set-up -------------------------------------------------------------------- */

static void
load_plugin (void)
{
  registry = tb_test_shipped_registry_new ((const char *const[]) { "stt-deepgram", NULL }, &plugin_dir);
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

  g_test_add_data_func ("/stt/deepgram/happy-8000", GUINT_TO_POINTER (8000), test_happy);
  g_test_add_data_func ("/stt/deepgram/happy-16000", GUINT_TO_POINTER (16000), test_happy);
  g_test_add_func ("/stt/deepgram/two-turns", test_two_turns);
  g_test_add_func ("/stt/deepgram/turns-overlap", test_turns_overlap);
  g_test_add_func ("/stt/deepgram/covered-turn", test_covered_turn);
  g_test_add_func ("/stt/deepgram/unanswered-finalize", test_unanswered_finalize);
  g_test_add_func ("/stt/deepgram/empty-turn", test_empty_turn);
  g_test_add_func ("/stt/deepgram/no-interim", test_no_interim);
  g_test_add_func ("/stt/deepgram/keepalive", test_keepalive);
  g_test_add_func ("/stt/deepgram/finish-flushes", test_finish_flushes);
  g_test_add_func ("/stt/deepgram/reconnect", test_reconnect);
  g_test_add_func ("/stt/deepgram/reconnect-fails", test_reconnect_fails);
  g_test_add_func ("/stt/deepgram/slow-handshake", test_slow_handshake);
  g_test_add_func ("/stt/deepgram/handshake-timeout", test_handshake_timeout);
  g_test_add_func ("/stt/deepgram/slow-results", test_slow_results);
  g_test_add_func ("/stt/deepgram/bad-key", test_bad_key);
  g_test_add_func ("/stt/deepgram/rate-limited", test_rate_limited);
  g_test_add_func ("/stt/deepgram/rate-limited-always", test_rate_limited_always);
  g_test_add_func ("/stt/deepgram/server-error", test_server_error);
  g_test_add_func ("/stt/deepgram/malformed", test_malformed);
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
  tb_plugin_registry_free (registry);
  tb_test_remove_tree (plugin_dir);
  g_free (plugin_dir);
  return status;
}
