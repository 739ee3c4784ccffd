/* test-cloud-call.c — whole phone calls over real SIP on the cloud
 * plugins, against tb-fake-cloud on loopback: the clinic's agent with
 * Deepgram (speech to text), OpenAI (the language model, calling the
 * booking webhook the daemon serves) and ElevenLabs (its voice) books an
 * appointment and hangs up; then the same agent with fallback chains keeps
 * the call going when the language model answers 500 (the rules dialogue
 * answers in the same turn) and the voice stalls (espeak-ng speaks). */
#include "audio-check.h"
#include "audio-file.h"
#include "fake-cloud.h"
#include "test-server.h"
#include "test-tbcall-run.h"
#include "test-util.h"

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <string.h>

#define RATE 16000
#define FAKE_TONE_HZ 440.0   /* the fake voices' tone */

typedef struct {
  TbTestServer s;
  TbFakeCloud *fake;
  JsonParser *parser;
  JsonObject *end;           /* the end-of-call line */
  TbTestRun run;
  char *heard;               /* what tb-call recorded */
} Fixture;

/* The providers' groups, pointed at the fake. */
static char *
cloud_groups (Fixture *f, const char *llm_extra, const char *tts_extra)
{
  const char *url = tb_fake_cloud_url (f->fake);
  g_autofree char *ws_url = g_strconcat ("ws", url + strlen ("http"), NULL);

  return g_strdup_printf (
    "[stt:deepgram]\nbase-url=%s\napi-key-env=" TB_FAKE_API_KEY_ENV "\n"
    "[llm:openai]\nbase-url=%s/v1\napi-key-env=" TB_FAKE_API_KEY_ENV "\nmodel=gpt-4o-mini\n%s"
    "[tts:elevenlabs]\nbase-url=%s\napi-key-env=" TB_FAKE_API_KEY_ENV "\n%s"
    "[tool:booking]\nplugin=webhook\nurl=http://127.0.0.1:%u/webhooks/appointments/book\n"
    "function=book_appointment\ndescription=Book an appointment.\n"
    "parameters={\"type\":\"object\",\"properties\":{\"day\":{\"type\":\"string\"},"
    "\"time\":{\"type\":\"string\"}},\"required\":[\"day\",\"time\"]}\n"
    "[tool:phone]\nplugin=call-control\nfunctions=end_call;transfer_call\n"
    "allowed-numbers=+15550100\n",
    ws_url, url, llm_extra, url, tts_extra, f->s.http_port);
}

static void
start (Fixture *f, const char *agent, const char *llm_extra, const char *tts_extra)
{
  g_autofree char *groups = NULL;
  g_autofree char *text = NULL;

  f->fake = tb_fake_cloud_start ();
  f->s.plugin_path = TB_BUILD_ROOT "/plugins";
  f->s.http_port = tb_test_free_port ();
  groups = cloud_groups (f, llm_extra, tts_extra);
  text = g_strdup_printf ("%s%s", agent, groups);
  tb_test_server_start_full (&f->s, "", "", text);
}

/* Calls 3000 playing tone bursts (@bursts_ms) as the caller's speech; ends
 * after @total_ms unless the agent hangs up first. */
static void
call (Fixture *f, const guint *bursts_ms, guint total_ms)
{
  g_autofree char *caller = g_build_filename (f->s.dir, "caller.wav", NULL);
  g_autofree char *end = NULL;

  f->heard = g_build_filename (f->s.dir, "heard.wav", NULL);
  tb_test_write_bursts (caller, RATE, 300.0, bursts_ms, total_ms);
  end = tb_test_run_call (&f->s, "3000", caller, f->heard, total_ms / 1000.0 + 1.0, NULL, &f->run);
  f->parser = tb_test_parse_object (end, &f->end);
}

static void
stop (Fixture *f)
{
  tb_test_server_stop (&f->s);
  tb_fake_cloud_stop (f->fake);
  tb_test_run_clear (&f->run);
  g_clear_object (&f->parser);
  g_free (f->heard);
}

static JsonObject *
turn (Fixture *f, guint n)
{
  JsonArray *turns = json_object_get_array_member (f->end, "turns");

  g_assert_cmpuint (json_array_get_length (turns), >, n);
  return json_array_get_object_element (turns, n);
}

static const char *
member_text (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node && !JSON_NODE_HOLDS_NULL (node) ? json_node_get_string (node) : NULL;
}

/* GET @path of the daemon's HTTP server. */
static char *
http_get (Fixture *f, const char *path)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", f->s.http_port, path);
  const char *argv[] = { "curl", "-s", url, NULL };
  char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (tb_test_run (argv, "", &out, &err), ==, 0);
  return out;
}

/* Where in what the caller heard the fake voices' tone is first clear, in
 * ms from the start; -1 when nowhere. */
static int
tone_heard_at (const gint16 *heard, gsize n)
{
  for (gsize at = 0; at + 640 <= n; at += 640) {
    double tone = tb_test_goertzel (heard + at, 640, RATE, FAKE_TONE_HZ);

    if (tone > 1e6 && tone > 20 * tb_test_goertzel (heard + at, 640, RATE, 1000))
      return (int) (at * 1000 / RATE);
  }
  return -1;
}

/* The clinic's agent on the cloud plugins books an appointment. */
static void
test_booking (void)
{
  Fixture f = { 0 };
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) tomorrow = g_date_time_add_days (now, 1);
  g_autofree char *day = g_date_time_format (tomorrow, "%Y-%m-%d");
  g_autofree char *llm_script = NULL;
  g_autofree char *book = NULL;
  g_autofree gint16 *heard = NULL;
  g_autoptr(JsonArray) llm = NULL, stt = NULL, tts = NULL;
  g_autoptr(GError) error = NULL;
  /* "I would like to book an appointment tomorrow at ten", then "no,
   * that's all, goodbye", as tone bursts. */
  const guint bursts[] = { 3000, 4600, 11000, 12000, 0, 0 };
  JsonObject *booked, *request;
  gsize n = 0;
  int greeting_at;

  start (&f, "[agent:clinic]\nnumbers=3000\ngreeting=Hello, Greenfield Clinic.\n"
             "stt=deepgram\ntts=elevenlabs\nllm=openai\ntools=booking;phone\n"
             "interruptible=false\n", "", "");
  tb_fake_cloud_script (f.fake, "stt-deepgram",
                        "[\"I would like to book an appointment tomorrow at ten\","
                        "\"no that's all goodbye\"]");
  llm_script = g_strdup_printf (
    "[{\"tool_calls\":[{\"name\":\"book_appointment\","
    "\"arguments\":{\"day\":\"%s\",\"time\":\"10:00\"}}]},"
    "{\"text\":\"You are booked for tomorrow at ten. Anything else?\"},"
    "{\"tool_calls\":[{\"name\":\"end_call\",\"arguments\":{}}]},"
    "{\"text\":\"Goodbye, see you tomorrow.\"}]", day);
  tb_fake_cloud_script (f.fake, "llm", llm_script);

  call (&f, bursts, 20000);

  /* The agent hung up after its goodbye, and booked the day and time. */
  g_assert_cmpstr (member_text (f.end, "end_reason"), ==, "agent-hangup");
  g_assert_cmpstr (member_text (turn (&f, 1), "caller"), ==,
                   "I would like to book an appointment tomorrow at ten");
  g_assert_cmpstr (member_text (turn (&f, 1), "agent"), ==,
                   "You are booked for tomorrow at ten. Anything else?");
  g_assert_cmpstr (member_text (turn (&f, 2), "agent"), ==, "Goodbye, see you tomorrow.");
  book = http_get (&f, "/api/v1/appointments");
  g_test_message ("appointments: %s", book);
  g_assert_true (tb_test_contains (book, day));
  g_assert_true (tb_test_contains (book, "\"10:00\""));
  booked = json_array_get_object_element (
    json_object_get_array_member (turn (&f, 1), "tools"), 0);
  g_assert_cmpstr (json_object_get_string_member (booked, "name"), ==, "book_appointment");
  g_test_message ("response times: %" G_GINT64_FORMAT " ms, %" G_GINT64_FORMAT " ms",
                  json_object_get_int_member (turn (&f, 1), "response_ms"),
                  json_object_get_int_member (turn (&f, 2), "response_ms"));

  /* What the providers were asked. */
  stt = tb_fake_cloud_requests (f.fake, "stt-deepgram");
  g_assert_cmpuint (json_array_get_length (stt), ==, 1);
  request = json_array_get_object_element (stt, 0);
  g_assert_true (tb_test_contains (json_object_get_string_member (request, "query"),
                                   "sample_rate=16000"));
  g_assert_true (tb_test_contains (json_object_get_string_member (request, "query"),
                                   "encoding=linear16"));
  llm = tb_fake_cloud_requests (f.fake, "llm");
  g_assert_cmpuint (json_array_get_length (llm), ==, 4);
  tts = tb_fake_cloud_requests (f.fake, "tts-elevenlabs");
  g_assert_cmpuint (json_array_get_length (tts), >=, 3);

  /* The greeting in the fake voice is what the caller heard first. */
  heard = tb_audio_file_read (f.heard, RATE, &n, &error);
  g_assert_no_error (error);
  greeting_at = tone_heard_at (heard, n);
  g_test_message ("the greeting's voice heard %d ms after the answer", greeting_at);
  g_assert_cmpint (greeting_at, >=, 0);
  g_assert_cmpint (greeting_at, <, 1500);
  stop (&f);
}

/* The language model answers 500: the rules dialogue answers the same
 * turn. The voice stalls: espeak-ng speaks in its place. */
static void
test_fallback (void)
{
  Fixture f = { 0 };
  g_autofree char *metrics = NULL;
  g_autofree char *errors = NULL;
  g_autofree gint16 *heard = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) tts = NULL;
  const guint bursts[] = { 4000, 5200, 0, 0 };
  gsize n = 0;
  double voice = 0;

  start (&f, "[agent:clinic]\nnumbers=3000\ngreeting=Hello, Greenfield Clinic.\n"
             "stt=deepgram\ntts=elevenlabs,espeak\nllm=openai,reception\n"
             "tools=booking;phone\ninterruptible=false\n"
             "[llm:reception]\nplugin=rules\nrules-file=" TB_SOURCE_ROOT "/data/demo-rules.conf\n"
             "[tts:espeak]\n",
             "max-retries=0\n", "first-byte-timeout-ms=800\n");
  tb_fake_cloud_script (f.fake, "stt-deepgram", "[\"what are your opening hours\"]");
  tb_fake_cloud_knobs (f.fake, "llm", "\"status\":500");
  tb_fake_cloud_knobs (f.fake, "tts-elevenlabs", "\"stall\":true");

  call (&f, bursts, 14000);

  g_assert_null (member_text (turn (&f, 0), "failure"));
  g_assert_null (member_text (turn (&f, 1), "failure"));
  g_assert_cmpstr (member_text (turn (&f, 1), "caller"), ==, "what are your opening hours");
  g_assert_true (g_str_has_prefix (member_text (turn (&f, 1), "agent"),
                                   "We are open Monday to Friday"));
  g_test_message ("response time with both fallbacks: %" G_GINT64_FORMAT " ms",
                  json_object_get_int_member (turn (&f, 1), "response_ms"));
  metrics = http_get (&f, "/metrics");
  g_assert_true (tb_test_contains (metrics,
    "talkingbits_provider_fallbacks_total{kind=\"llm\",from=\"openai\",to=\"reception\"} 1\n"));
  g_assert_true (tb_test_contains (metrics,
    "talkingbits_provider_fallbacks_total{kind=\"tts\",from=\"elevenlabs\",to=\"espeak\"}"));
  /* The same failures, with their call and why, for the dashboard. */
  errors = http_get (&f, "/api/v1/providers/errors");
  g_test_message ("provider errors: %s", errors);
  g_assert_true (tb_test_contains (errors, "\"kind\":\"llm\",\"provider\":\"openai\""));
  g_assert_true (tb_test_contains (errors, "500"));
  g_assert_true (tb_test_contains (errors, "\"kind\":\"tts\",\"provider\":\"elevenlabs\""));
  g_assert_true (tb_test_contains (errors, "\"call_id\":\""));

  /* The stalled voice was asked; the caller heard espeak-ng, not silence. */
  g_assert_cmpuint (json_array_get_length (tts = tb_fake_cloud_requests (f.fake, "tts-elevenlabs")),
                    >=, 1);
  heard = tb_audio_file_read (f.heard, RATE, &n, &error);
  g_assert_no_error (error);
  voice = tb_test_rms (heard, MIN (n, (gsize) 4 * RATE));
  g_test_message ("loudness of the first 4 s heard: %.0f", voice);
  g_assert_cmpfloat (voice, >, 300);
  stop (&f);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cloud-call/booking", test_booking);
  g_test_add_func ("/cloud-call/fallback", test_fallback);
  return g_test_run ();
}
