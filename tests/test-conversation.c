/* test-conversation.c — the conversation engine end to end over real SIP:
 * tb-call plays the caller (tone bursts as speech), the daemon's agent runs
 * on scripted providers (tests/plugins/scripted-*.c: transcripts by turn, a
 * tone as voice, an echoing LLM that calls tools on keywords). Checked: the
 * turns and their metrics in the end-of-call line, barge-in over the
 * greeting (the agent's audio stops), tools with a filler, arguments
 * refused by the schema, a tool that hangs up, a failing LLM, a silent one,
 * DTMF. */
#include "audio-check.h"
#include "audio-file.h"
#include "test-server.h"
#include "test-tbcall-run.h"
#include "test-util.h"

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <string.h>

#define AGENT_HZ 440.0   /* the scripted voice */
#define CALLER_HZ 300.0

static const char *const plugins[] = {
  "stt-scripted", "tts-scripted", "llm-scripted", "tool-scripted", NULL
};

typedef struct {
  TbTestServer s;
  char *plugin_dir;
  JsonParser *parser;
  JsonObject *end;          /* the end-of-call line */
  TbTestRun run;
} Fixture;

/* A daemon whose agent "talker" on 2000 uses the scripted providers with
 * @extra lines appended to the config (the scripted groups and agent keys);
 * @stages, when not NULL, replaces its stt=, tts= and llm= lines, and
 * @talkingbits_keys go into [talkingbits]. */
static void
start_with (Fixture *f, const char *stages, const char *agent_keys, const char *groups,
            const char *talkingbits_keys)
{
  g_autofree char *text = g_strdup_printf (
    "[agent:talker]\nnumbers=2000\n%s%s%s", stages ? stages
    : "stt=scripted\ntts=scripted\nllm=scripted\n", agent_keys, groups);
  g_autofree char *sip_extra = g_strdup_printf ("[talkingbits]\n%s[sip]\n",
                                                talkingbits_keys ? talkingbits_keys : "");

  f->plugin_dir = tb_test_plugin_dir_new (plugins);
  f->s.plugin_path = f->plugin_dir;
  tb_test_server_start_full (&f->s, sip_extra, "", text);
}

static void
start (Fixture *f, const char *agent_keys, const char *groups)
{
  start_with (f, NULL, agent_keys, groups, NULL);
}

/* Calls 2000 playing @bursts_ms of caller "speech" in a @total_ms file,
 * then reads the daemon's end-of-call line. */
static void
call (Fixture *f, const guint *bursts_ms, guint total_ms, const char *const *more_args)
{
  g_autofree char *caller = g_build_filename (f->s.dir, "talk.wav", NULL);
  g_autofree char *heard = g_build_filename (f->s.dir, "heard.wav", NULL);
  g_autofree char *end = NULL;

  tb_test_write_bursts (caller, 16000, CALLER_HZ, bursts_ms, total_ms);
  end = tb_test_run_call (&f->s, "2000", caller, heard, total_ms / 1000.0 + 1.0, more_args,
                          &f->run);
  f->parser = tb_test_parse_object (end, &f->end);
}

static void
stop (Fixture *f)
{
  tb_test_server_stop (&f->s);
  tb_test_run_clear (&f->run);
  g_clear_object (&f->parser);
  tb_test_remove_tree (f->plugin_dir);
  g_free (f->plugin_dir);
}

static JsonObject *
turn (Fixture *f, guint n)
{
  JsonArray *turns;

  g_assert_true (json_object_has_member (f->end, "turns"));
  turns = json_object_get_array_member (f->end, "turns");
  g_assert_cmpuint (json_array_get_length (turns), >, n);
  return json_array_get_object_element (turns, n);
}

static guint
n_turns (Fixture *f)
{
  return json_array_get_length (json_object_get_array_member (f->end, "turns"));
}

static gboolean
is_null (JsonObject *object, const char *member)
{
  return !json_object_has_member (object, member) || json_object_get_null_member (object, member);
}

static const char *
text (JsonObject *object, const char *member)
{
  return is_null (object, member) ? NULL : json_object_get_string_member (object, member);
}

/* Greeting, then one caller turn answered: text and every metric. */
static void
test_turns (void)
{
  Fixture f = { 0 };
  const guint bursts[] = { 2500, 3300, 0, 0 };
  JsonObject *greeting, *answer, *utterance;

  start (&f, "", "[stt:scripted]\ntranscripts=hello there\n");
  call (&f, bursts, 7000, NULL);
  greeting = turn (&f, 0);
  g_assert_cmpstr (text (greeting, "agent"), ==, "Hello, how can I help you?");
  g_assert_null (text (greeting, "caller"));
  g_assert_false (is_null (greeting, "response_ms"));
  g_test_message ("first response (answer -> greeting audio): %" G_GINT64_FORMAT " ms",
                  json_object_get_int_member (greeting, "response_ms"));

  answer = turn (&f, 1);
  g_assert_cmpstr (text (answer, "caller"), ==, "hello there");
  g_assert_cmpstr (text (answer, "agent"), ==, "You said hello there. Anything else?");
  g_assert_false (json_object_get_boolean_member (answer, "interrupted"));
  for (const char *const *m = (const char *const[]) { "speech_start_ms", "speech_end_ms",
       "stt_final_ms", "llm_first_token_ms", "tts_first_audio_ms", "response_ms", NULL }; *m; m++)
    g_assert_false (is_null (answer, *m));
  /* The caller spoke from 2.5 s to 3.3 s of the call (give or take the
   * time to answer and the detector's 60 ms). */
  g_assert_cmpint (json_object_get_int_member (answer, "speech_end_ms") -
                   json_object_get_int_member (answer, "speech_start_ms"), >=, 600);
  /* Not before the end of turn: endpointing is 700 ms. */
  g_assert_cmpint (json_object_get_int_member (answer, "response_ms"), >=, 700);
  g_test_message ("response (speech end -> first reply audio): %" G_GINT64_FORMAT " ms",
                  json_object_get_int_member (answer, "response_ms"));

  /* tb-call heard the reply after its utterance. */
  utterance = json_array_get_object_element (
    json_object_get_array_member (f.run.json, "utterances"), 0);
  g_assert_false (is_null (utterance, "response_ms"));
  g_test_message ("tb-call: response %" G_GINT64_FORMAT " ms after the utterance",
                  json_object_get_int_member (utterance, "response_ms"));
  stop (&f);
}

/* The caller talks over a long greeting: it stops, the turn says what was
 * heard, and the caller's words get their answer. */
static void
test_barge_in (void)
{
  Fixture f = { 0 };
  const guint bursts[] = { 1500, 2700, 0, 0 };
  g_autofree char *heard_path = NULL;
  g_autofree gint16 *heard = NULL;
  g_autoptr(GError) error = NULL;
  gsize n = 0, onset = 16000 * 1500 / 1000, stopped = 0;
  JsonObject *greeting;
  const char *heard_text;

  start (&f, "greeting=Thank you for calling the clinic. Our opening hours are nine to five "
             "on weekdays, and we are closed at the weekend.\n",
         "[stt:scripted]\ntranscripts=stop please\n");
  call (&f, bursts, 6000, NULL);
  greeting = turn (&f, 0);
  g_assert_true (json_object_get_boolean_member (greeting, "interrupted"));
  heard_text = text (greeting, "heard");
  g_assert_nonnull (heard_text);
  g_assert_cmpuint (strlen (heard_text), <, strlen (text (greeting, "agent")));
  g_assert_false (is_null (greeting, "barge_in_stop_ms"));
  g_test_message ("barge-in: playback stopped %" G_GINT64_FORMAT " ms after the caller's "
                  "speech began (barge-in-min-ms 240); heard: \"%s\"",
                  json_object_get_int_member (greeting, "barge_in_stop_ms"), heard_text);
  g_assert_cmpstr (text (turn (&f, 1), "caller"), ==, "stop please");

  /* In what tb-call heard: the voice, then from some time after the caller
   * started, none of it until the answer. Find where it stopped. */
  heard_path = g_build_filename (f.s.dir, "heard.wav", NULL);
  heard = tb_audio_file_read (heard_path, 16000, &n, &error);
  g_assert_no_error (error);
  for (gsize at = onset; at + 320 <= n; at += 320)
    if (tb_test_goertzel (heard + at, 320, 16000, AGENT_HZ) < 1e5) {
      stopped = at;
      break;
    }
  g_assert_cmpuint (stopped, >, 0);
  g_test_message ("in the recording, the agent stopped %" G_GSIZE_FORMAT " ms after the "
                  "caller began", (stopped - onset) * 1000 / 16000);
  /* Generous: the detector needs 240 ms of speech, then RTP and jitter. */
  g_assert_cmpuint ((stopped - onset) * 1000 / 16000, <, 1000);
  stop (&f);
}

/* A slow tool gets a filler; a call without its required argument is not
 * run and the LLM hears why. */
static void
test_tools (void)
{
  Fixture f = { 0 };
  const guint bursts[] = { 2500, 3000, 8000, 8500, 0, 0 };
  JsonObject *booked, *refused, *run;
  g_autofree char *log = NULL;

  start (&f, "tools=scripted\nfiller-after-ms=500\n",
         "[stt:scripted]\ntranscripts=book it;missing day\n"
         "[llm:scripted]\ntools=book=slow_tool:{\"day\":\"tuesday\"};"
         "missing=slow_tool:{}\n"
         "[tool:scripted]\ndelay-ms=1500\n");
  call (&f, bursts, 12000, NULL);
  booked = turn (&f, 1);
  g_assert_cmpstr (text (booked, "caller"), ==, "book it");
  run = json_array_get_object_element (json_object_get_array_member (booked, "tools"), 0);
  g_assert_cmpstr (text (run, "name"), ==, "slow_tool");
  g_assert_true (json_object_get_boolean_member (run, "ok"));
  g_assert_cmpint (json_object_get_int_member (run, "ms"), >=, 1500);
  g_assert_nonnull (strstr (text (booked, "agent"), "The tool said"));
  g_assert_nonnull (strstr (text (booked, "agent"), "tuesday"));
  /* The filler came before the tool answered: the first audio of the
   * reply is well before the tool's 1.5 s. */
  g_assert_cmpint (json_object_get_int_member (booked, "response_ms"), <,
                   json_object_get_int_member (booked, "response_ms") +
                   json_object_get_int_member (run, "ms"));
  g_assert_true (g_file_get_contents (f.s.log, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "tool slow_tool answered"));

  refused = turn (&f, 2);
  g_assert_cmpstr (text (refused, "caller"), ==, "missing day");
  run = json_array_get_object_element (json_object_get_array_member (refused, "tools"), 0);
  g_assert_false (json_object_get_boolean_member (run, "ok"));
  g_assert_nonnull (strstr (text (run, "result"), "missing required argument 'day'"));
  g_assert_nonnull (strstr (text (refused, "agent"), "missing required argument"));
  stop (&f);
}

/* A tool that hangs up: the agent ends the call after its reply. */
static void
test_tool_hangs_up (void)
{
  Fixture f = { 0 };
  const guint bursts[] = { 2500, 3000, 0, 0 };

  start (&f, "tools=scripted\n",
         "[stt:scripted]\ntranscripts=bye now\n"
         "[llm:scripted]\ntools=bye=hang_up:{}\n");
  call (&f, bursts, 9000, NULL);
  g_assert_cmpstr (json_object_get_string_member (f.end, "end_reason"), ==, "agent-hangup");
  g_assert_cmpstr (json_object_get_string_member (f.run.json, "hangup"), ==, "remote");
  stop (&f);
}

/* The LLM fails: the caller hears an apology, the call goes on. */
static void
test_llm_fails (void)
{
  Fixture f = { 0 };
  const guint bursts[] = { 2500, 3000, 0, 0 };
  JsonObject *failed, *utterance;

  start (&f, "", "[stt:scripted]\ntranscripts=hello\n[llm:scripted]\nfail=true\n");
  call (&f, bursts, 7000, NULL);
  failed = turn (&f, 1);
  g_assert_nonnull (strstr (text (failed, "failure"), "the model did not answer"));
  g_assert_false (is_null (failed, "response_ms"));
  utterance = json_array_get_object_element (
    json_object_get_array_member (f.run.json, "utterances"), 0);
  g_assert_false (is_null (utterance, "response_ms"));
  g_assert_cmpstr (json_object_get_string_member (f.end, "end_reason"), ==, "remote-bye");
  stop (&f);
}

/* An LLM that says nothing: after the watchdog's 8 s the caller hears an
 * apology rather than silence. */
static void
test_llm_silent (void)
{
  Fixture f = { 0 };
  const guint bursts[] = { 2500, 3000, 0, 0 };
  JsonObject *late, *utterance;

  start (&f, "", "[stt:scripted]\ntranscripts=hello\n[llm:scripted]\nfirst-token-delay-ms=30000\n");
  call (&f, bursts, 14000, NULL);
  late = turn (&f, 1);
  g_assert_cmpstr (text (late, "failure"), ==, "llm: no answer in time");
  g_assert_cmpint (json_object_get_int_member (late, "response_ms"), >=, 8000);
  utterance = json_array_get_object_element (
    json_object_get_array_member (f.run.json, "utterances"), 0);
  g_assert_false (is_null (utterance, "response_ms"));
  stop (&f);
}

/* The daemon's /metrics (its HTTP server on s.http_port). */
static char *
metrics (Fixture *f)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/metrics", f->s.http_port);
  const char *argv[] = { "curl", "-s", url, NULL };
  char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (tb_test_run (argv, "", &out, &err), ==, 0);
  return out;
}

/* The first LLM of the agent's chain fails every request: the second
 * answers each turn in its place, and after provider-failures (2) failures
 * in a row the first is skipped altogether. */
static void
test_llm_fallback (void)
{
  Fixture f = { 0 };
  const guint bursts[] = { 2500, 3300, 6500, 7300, 10500, 11300, 0, 0 };
  g_autofree char *exposition = NULL;

  f.s.http_port = tb_test_free_port ();
  start_with (&f, "stt=scripted\ntts=scripted\nllm=broken,scripted\n", "",
              "[stt:scripted]\ntranscripts=hello there;good morning;thanks\n"
              "[llm:broken]\nplugin=scripted\nfail=true\n",
              "provider-failures=2\nprovider-cooldown-s=600\n");
  call (&f, bursts, 14000, NULL);
  g_assert_cmpuint (n_turns (&f), ==, 4);
  g_assert_cmpstr (text (turn (&f, 1), "agent"), ==, "You said hello there. Anything else?");
  g_assert_cmpstr (text (turn (&f, 2), "agent"), ==, "You said good morning. Anything else?");
  g_assert_cmpstr (text (turn (&f, 3), "agent"), ==, "You said thanks. Anything else?");
  for (guint t = 1; t <= 3; t++)
    g_assert_null (text (turn (&f, t), "failure"));

  exposition = metrics (&f);
  g_assert_true (tb_test_contains (exposition,
    "talkingbits_provider_errors_total{kind=\"llm\",provider=\"broken\"} 2\n"));
  g_assert_true (tb_test_contains (exposition,
    "talkingbits_provider_fallbacks_total{kind=\"llm\",from=\"broken\",to=\"scripted\"} 2\n"));
  g_assert_true (tb_test_contains (exposition,
    "talkingbits_provider_skipped{kind=\"llm\",provider=\"broken\"} 1\n"));
  g_assert_true (tb_test_wait_for_log (f.s.log, "llm provider broken failed 2 times in a row"));
  stop (&f);
}

/* The first voice of the chain cannot say the greeting: the second says
 * it (its tone is what the caller hears first), and the first still says
 * what it can. */
static void
test_tts_fallback (void)
{
  Fixture f = { 0 };
  const guint bursts[] = { 3000, 3800, 0, 0 };
  g_autofree char *heard_path = NULL;
  g_autofree gint16 *heard = NULL;
  g_autoptr(GError) error = NULL;
  gsize n = 0, greeting_at = 0, reply_at = 0;

  start_with (&f, "stt=scripted\ntts=broken;backup\nllm=scripted\n", "",
              "[stt:scripted]\ntranscripts=hello there\n"
              "[tts:broken]\nplugin=scripted\nfail-on=Hello\n"
              "[tts:backup]\nplugin=scripted\nhz=700\n", NULL);
  call (&f, bursts, 8000, NULL);
  g_assert_null (text (turn (&f, 0), "failure"));
  g_assert_cmpstr (text (turn (&f, 1), "agent"), ==, "You said hello there. Anything else?");

  heard_path = g_build_filename (f.s.dir, "heard.wav", NULL);
  heard = tb_audio_file_read (heard_path, 16000, &n, &error);
  g_assert_no_error (error);
  /* 40 ms windows: 25 Hz apart, the two tones are told apart. */
  for (gsize at = 0; at + 640 <= n && !(greeting_at && reply_at); at += 640) {
    double backup = tb_test_goertzel (heard + at, 640, 16000, 700);
    double first = tb_test_goertzel (heard + at, 640, 16000, AGENT_HZ);

    if (!greeting_at && backup > 1e5 && backup > 10 * first)
      greeting_at = at;
    if (!reply_at && first > 1e5 && first > 10 * backup)
      reply_at = at;
  }
  g_test_message ("the backup voice from %" G_GSIZE_FORMAT " ms, the first from %" G_GSIZE_FORMAT
                  " ms", greeting_at / 16, reply_at / 16);
  g_assert_cmpuint (greeting_at, >, 0);
  g_assert_cmpuint (reply_at, >, greeting_at);
  /* The greeting is over before the caller's turn: the reply comes after it. */
  g_assert_cmpuint (reply_at / 16, >, 3800);
  g_assert_true (tb_test_wait_for_log (f.s.log, "tts provider broken"));
  stop (&f);
}

/* The first recogniser of the chain fails at the end of the caller's
 * turn: the second gets the whole turn's audio and the end of the turn, and
 * the caller is answered as if nothing had happened. */
static void
test_stt_fallback (void)
{
  Fixture f = { 0 };
  const guint bursts[] = { 2500, 3300, 0, 0 };
  const char *caller;
  guint64 samples;

  start_with (&f, "stt=broken,backup\ntts=scripted\nllm=scripted\n", "",
              "[stt:broken]\nplugin=scripted\nfail=true\n"
              "[stt:backup]\nplugin=scripted\ntranscripts=hello there\nsay-samples=true\n",
              NULL);
  call (&f, bursts, 7000, NULL);
  g_assert_cmpuint (n_turns (&f), ==, 2);
  caller = text (turn (&f, 1), "caller");
  g_assert_nonnull (caller);
  g_assert_true (g_str_has_prefix (caller, "hello there "));
  samples = g_ascii_strtoull (caller + strlen ("hello there "), NULL, 10);
  g_test_message ("the second recogniser got %" G_GUINT64_FORMAT " samples of the turn",
                  samples);
  /* 800 ms of speech and the 300 ms before it, at 16 kHz; less the
   * detector's own frames at the edges. */
  g_assert_cmpuint (samples, >=, 16000 * 900 / 1000);
  g_assert_null (text (turn (&f, 1), "failure"));
  g_assert_true (tb_test_wait_for_log (f.s.log, "stt provider broken: the recogniser went away; "
                                                "backup takes over"));
  stop (&f);
}

/* A key press is a caller turn of its own. */
static void
test_dtmf (void)
{
  Fixture f = { 0 };
  const guint bursts[] = { 0, 0 };
  const char *const args[] = { "--dtmf", "5", "--dtmf-at", "2.5", NULL };
  gboolean found = FALSE;

  start (&f, "", "");
  call (&f, bursts, 6000, args);
  for (guint i = 1; i < n_turns (&f); i++)
    found |= g_strcmp0 (text (turn (&f, i), "caller"), "[DTMF 5]") == 0 &&
             g_strcmp0 (text (turn (&f, i), "agent"), "You said [DTMF 5]. Anything else?") == 0;
  g_assert_true (found);
  stop (&f);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/conversation/turns", test_turns);
  g_test_add_func ("/conversation/barge-in", test_barge_in);
  g_test_add_func ("/conversation/tools", test_tools);
  g_test_add_func ("/conversation/tool-hangs-up", test_tool_hangs_up);
  g_test_add_func ("/conversation/llm-fails", test_llm_fails);
  g_test_add_func ("/conversation/llm-silent", test_llm_silent);
  g_test_add_func ("/conversation/dtmf", test_dtmf);
  g_test_add_func ("/conversation/llm-fallback", test_llm_fallback);
  g_test_add_func ("/conversation/tts-fallback", test_tts_fallback);
  g_test_add_func ("/conversation/stt-fallback", test_stt_fallback);
  return g_test_run ();
}
