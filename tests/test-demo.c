/* test-demo.c — the demo receptionist end to end over real SIP, on the
 * real local providers (pocketsphinx, espeak, the rules dialogue, the
 * booking webhook served by the daemon itself, call control): tb-call plays
 * espeak-spoken caller turns ("I would like to book an appointment",
 * "tomorrow", "at ten in the morning", "goodbye"); the appointment book has
 * the booking for tomorrow at 10:00, the agent hung up, and what tb-call
 * heard first is the greeting (its loudness contour matches the greeting
 * spoken by espeak-ng, not another sentence). */
#include "audio-check.h"
#include "audio-file.h"
#include "test-server.h"
#include "test-tbcall-run.h"
#include "test-util.h"

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#define RATE 16000
#define GREETING "Hello, Greenfield Clinic. How can I help you?"
/* The agent speaks at 1.25 x 160 words per minute. */
#define AGENT_WPM "200"

/* The caller's turns and when they start, in seconds from the answer:
 * after the agent's replies, with room to spare (and the agent is not
 * interruptible here, so a slow reply cannot be cut off). Spoken at 150
 * words per minute: at 160, pocketsphinx's small model heard "at ten in
 * the morning" or not depending on a few samples' shift of the audio. */
static const struct { double at; const char *text; } turns[] = {
  { 3.5, "I would like to book an appointment" },
  { 10.5, "tomorrow" },
  { 17.5, "at ten in the morning" },
  { 27.5, "goodbye" },
};
#define CALLER_SECONDS 30

static gint16 *
speak (const char *dir, const char *name, const char *text, const char *wpm, gsize *n)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  const char *argv[] = { "espeak-ng", "-v", "en-us", "-s", wpm, "-w", path, text, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  gint16 *samples;

  g_assert_cmpint (tb_test_run (argv, "", &out, &err), ==, 0);
  samples = tb_audio_file_read (path, RATE, n, &error);
  g_assert_no_error (error);
  return samples;
}

/* The caller's side of the call: each turn at its time. */
static char *
write_caller (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "caller-turns.wav", NULL);
  gsize total = CALLER_SECONDS * RATE;
  g_autofree gint16 *line = g_new0 (gint16, total);
  g_autoptr(TbWavWriter) writer = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (turns); i++) {
    gsize n = 0, at = (gsize) (turns[i].at * RATE);
    g_autofree gint16 *said = speak (dir, "turn.wav", turns[i].text, "150", &n);

    g_assert_cmpuint (at + n, <, total);
    memcpy (line + at, said, n * sizeof (gint16));
  }
  writer = tb_wav_writer_new (path, RATE, &error);
  g_assert_no_error (error);
  g_assert_true (tb_wav_writer_write (writer, line, total, &error));
  g_assert_true (tb_wav_writer_close (writer, &error));
  return g_steal_pointer (&path);
}

/* Loudness every 10 ms. */
static gint16 *
contour (const gint16 *samples, gsize n, gsize *n_out)
{
  gsize step = RATE / 100;
  gint16 *out = g_new0 (gint16, n / step + 1);

  *n_out = n / step;
  for (gsize i = 0; i < *n_out; i++)
    out[i] = (gint16) MIN (tb_test_rms (samples + i * step, step), 32767);
  return out;
}

static JsonArray *
appointments (guint port)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/api/v1/appointments", port);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read (session, message, NULL, &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                             g_bytes_get_size (body), &error));
  root = json_parser_get_root (parser);
  g_test_message ("appointments: %s", (const char *) g_bytes_get_data (body, NULL));
  if (JSON_NODE_HOLDS_OBJECT (root)) {
    JsonObject *object = json_node_get_object (root);

    g_assert_true (json_object_has_member (object, "appointments"));
    return json_array_ref (json_object_get_array_member (object, "appointments"));
  }
  return json_array_ref (json_node_get_array (root));
}

static void
test_booking_call (void)
{
  TbTestServer s = { 0 };
  g_autofree char *groups = NULL;
  g_autofree char *caller = NULL, *heard_path = NULL, *end = NULL;
  g_autofree gint16 *heard = NULL, *greeting = NULL, *other = NULL;
  g_autofree gint16 *heard_contour = NULL, *greeting_contour = NULL, *other_contour = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) booked = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) tomorrow = g_date_time_add_days (now, 1);
  g_autofree char *tomorrow_text = g_date_time_format (tomorrow, "%Y-%m-%d");
  gsize n_heard = 0, n_greeting = 0, n_other = 0, n_hc = 0, n_gc = 0, n_oc = 0, lag = 0;
  JsonObject *appointment;
  TbTestRun run;
  double match, mismatch;

  s.plugin_path = TB_BUILD_ROOT "/plugins";
  s.http_port = tb_test_free_port ();
  s.dir = tb_test_server_make_dir ();
  groups = g_strdup_printf (
    "[agent:clinic]\nnumbers=3000\ngreeting=" GREETING "\n"
    "stt=pocketsphinx\ntts=espeak\nllm=reception\ntools=booking;phone\n"
    "speaking-rate=1.25\ninterruptible=false\n"
    "[stt:pocketsphinx]\n"
    "[tts:espeak]\n"
    "[llm:reception]\nplugin=rules\nrules-file=" TB_SOURCE_ROOT "/data/demo-rules.conf\n"
    "[tool:booking]\nplugin=webhook\nurl=http://127.0.0.1:%u/webhooks/appointments/book\n"
    "function=book_appointment\ndescription=Book an appointment.\n"
    "parameters={\"type\":\"object\",\"properties\":{\"day\":{\"type\":\"string\"},"
    "\"time\":{\"type\":\"string\"}},\"required\":[\"day\",\"time\"]}\n"
    "[tool:phone]\nplugin=call-control\nfunctions=end_call;transfer_call\n"
    "allowed-numbers=+15550100\n", s.http_port);
  tb_test_server_start_full (&s, "", "", groups);

  caller = write_caller (s.dir);
  heard_path = g_build_filename (s.dir, "heard.wav", NULL);
  end = tb_test_run_call (&s, "3000", caller, heard_path, 45, NULL, &run);
  /* The agent said goodbye and hung up. */
  g_assert_cmpstr (json_object_get_string_member (run.json, "hangup"), ==, "remote");
  g_assert_true (tb_test_contains (end, "\"end_reason\":\"agent-hangup\""));
  g_assert_true (tb_test_contains (end, "\"name\":\"book_appointment\""));

  /* The booking tool got the day and the time. */
  booked = appointments (s.http_port);
  g_assert_cmpuint (json_array_get_length (booked), ==, 1);
  appointment = json_array_get_object_element (booked, 0);
  g_assert_cmpstr (json_object_get_string_member (appointment, "day"), ==, tomorrow_text);
  g_assert_cmpstr (json_object_get_string_member (appointment, "time"), ==, "10:00");

  /* What the caller heard first is the greeting. */
  heard = tb_audio_file_read (heard_path, RATE, &n_heard, &error);
  g_assert_no_error (error);
  greeting = speak (s.dir, "greeting.wav", GREETING, AGENT_WPM, &n_greeting);
  other = speak (s.dir, "other.wav", "Seven large boxes of oranges arrived at noon today.",
                 AGENT_WPM, &n_other);
  heard_contour = contour (heard, MIN (n_heard, (gsize) 4 * RATE), &n_hc);
  greeting_contour = contour (greeting, n_greeting, &n_gc);
  other_contour = contour (other, n_other, &n_oc);
  match = tb_test_best_correlation (heard_contour, n_hc, greeting_contour, n_gc, 1, &lag);
  mismatch = tb_test_best_correlation (heard_contour, n_hc, other_contour, MIN (n_oc, n_gc), 1,
                                       &lag);
  g_test_message ("the first 4 s heard against the greeting: %.3f; against another sentence: "
                  "%.3f", match, mismatch);
  g_assert_cmpfloat (match, >, 0.8);
  g_assert_cmpfloat (match, >, mismatch + 0.1);
  tb_test_run_clear (&run);
  tb_test_server_stop (&s);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/demo/booking-call", test_booking_call);
  return g_test_run ();
}
