/* test-tbcall.c — tb-call, the softphone, against the daemon: a call with
 * audio both ways and its analysis, the time to a response, DTMF over RFC 4733 and SIP INFO, an
 * unknown number, no answer in time, a hang-up from the far end, digest
 * authentication, codecs, and bad arguments. */
#include "audio-check.h"
#include "audio-file.h"
#include "test-server.h"
#include "test-tbcall-run.h"
#include "test-util.h"

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <string.h>

static gint64
member_int (JsonObject *object, const char *name)
{
  g_assert_true (json_object_has_member (object, name));
  return json_object_get_int_member (object, name);
}

static gboolean
member_is_null (JsonObject *object, const char *name)
{
  return json_object_has_member (object, name) && json_object_get_null_member (object, name);
}

/* The daemon's id of the call, from its end-of-call line. */
static char *
daemon_call_id (const char *end_json)
{
  const char *id = strstr (end_json, "\"id\":\"");

  g_assert_nonnull (id);
  return g_strndup (id + 6, strcspn (id + 6, "\""));
}

static void
assert_near (gint64 got, gint64 expected, gint64 slack)
{
  g_assert_cmpint (got, >=, expected - slack);
  g_assert_cmpint (got, <=, expected + slack);
}

/* @samples hold @hz rather than @other_hz, clearly. */
static gboolean
holds_tone (const gint16 *samples, gsize n, double hz, double other_hz)
{
  double power = tb_test_goertzel (samples, n, 16000, hz);
  double other = tb_test_goertzel (samples, n, 16000, other_hz);

  g_test_message ("%.0f Hz: %.3g, %.0f Hz: %.3g", hz, power, other_hz, other);
  return power > 50 * other && tb_test_rms (samples, n) > 300;
}

static void
test_call_with_audio (void)
{
  TbTestServer s = { 0 };
  g_autofree char *caller = NULL;
  g_autofree char *heard = NULL;
  g_autofree char *end = NULL;
  g_autofree char *id = NULL;
  g_autofree char *recording = NULL;
  g_autofree gint16 *samples = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *timings, *rtp;
  JsonArray *utterances;
  gint64 trying, ringing, answered, first_audio;
  gsize n = 0;
  TbTestRun run;

  tb_test_server_start (&s, "", "");
  /* Two bursts of 1 s with 1 s between them, at 8 kHz (tb-call resamples). */
  caller = g_build_filename (s.dir, "two-bursts.wav", NULL);
  tb_test_write_bursts (caller, 8000, TB_TEST_CALLER_HZ, (const guint[]) { 500, 1500, 2500, 3500, 0, 0 },
                4000);
  heard = g_build_filename (s.dir, "heard.wav", NULL);
  {
    const char *const args[] = { "--play", caller, "--record", heard, "--hangup-after", "5",
                                 NULL };

    tb_test_run_tb_call (&s, "1000", args, &run);
  }
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (run.json);
  g_assert_cmpint (member_int (run.json, "status"), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (run.json, "reason"), ==, "OK");
  g_assert_cmpstr (json_object_get_string_member (run.json, "codec"), ==, "PCMU");
  g_assert_cmpstr (json_object_get_string_member (run.json, "hangup"), ==, "local");
  g_assert_cmpstr (json_object_get_string_member (run.json, "dtmf_sent"), ==, "");
  assert_near (member_int (run.json, "duration_ms"), 5000, 500);

  /* INVITE -> 100 -> 180 -> 200, in that order. */
  timings = json_object_get_object_member (run.json, "timings_ms");
  trying = member_int (timings, "trying");
  ringing = member_int (timings, "ringing");
  answered = member_int (timings, "answered");
  g_assert_cmpint (0, <=, trying);
  g_assert_cmpint (trying, <=, ringing);
  g_assert_cmpint (ringing, <=, answered);

  /* The greeting starts at the answer. */
  first_audio = member_int (run.json, "first_audio_ms");
  g_assert_cmpint (first_audio, >=, 0);
  g_assert_cmpint (first_audio, <=, 1000);

  /* The two bursts; the daemon says nothing after its greeting. */
  utterances = json_object_get_array_member (run.json, "utterances");
  g_assert_cmpuint (json_array_get_length (utterances), ==, 2);
  for (guint i = 0; i < 2; i++) {
    JsonObject *u = json_array_get_object_element (utterances, i);

    assert_near (member_int (u, "start_ms"), 500 + 2000 * i, 80);
    assert_near (member_int (u, "end_ms"), 1500 + 2000 * i, 80);
    g_assert_true (member_is_null (u, "response_ms"));
  }
  rtp = json_object_get_object_member (run.json, "rtp");
  g_assert_cmpint (member_int (rtp, "sent"), >, 200);
  /* The 1 s greeting and a few packets of silence; then the daemon sends
   * nothing (silence suppression). */
  g_assert_cmpint (member_int (rtp, "received"), >=, 50);
  g_assert_cmpint (member_int (rtp, "received"), <=, 60);
  g_assert_cmpint (member_int (rtp, "lost"), ==, 0);

  /* What tb-call heard: the 440 Hz greeting, from its first onset. */
  samples = tb_audio_file_read (heard, 16000, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, >, 16000 * 4);
  g_assert_true (holds_tone (samples + first_audio * 16 + 1600, 12800, TB_TEST_TONE_HZ,
                             TB_TEST_CALLER_HZ));
  g_clear_pointer (&samples, g_free);

  /* What the daemon heard: the caller's bursts. Same call. */
  end = tb_test_server_wait_call_end (&s);
  g_assert_true (tb_test_contains (end, "\"end_reason\":\"remote-bye\""));
  g_assert_true (tb_test_contains (end, json_object_get_string_member (run.json, "call_id")));
  id = daemon_call_id (end);
  recording = g_strdup_printf ("%s/recordings/%s.wav", s.dir, id);
  samples = tb_audio_file_read (recording, 16000, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, >, 16000 * 4);
  g_assert_true (holds_tone (samples, n, TB_TEST_CALLER_HZ, TB_TEST_TONE_HZ));

  tb_test_run_clear (&run);
  tb_test_server_stop (&s);
}

/* An agent whose greeting starts 1.5 s after the answer: the caller's
 * utterance (200-800 ms) is answered 700 ms after it ends. No
 * --hangup-after: the call ends 3 s after the played file. */
static void
test_response_time (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tb-tbcall-XXXXXX", &error);
  g_autofree char *greeting = g_build_filename (dir, "late-greeting.wav", NULL);
  g_autofree char *caller = g_build_filename (dir, "caller.wav", NULL);
  g_autofree char *agent = g_strdup_printf ("[agent:late]\nnumbers=1002\ngreeting-file=%s\n",
                                            greeting);
  const char *const args[] = { "--play", caller, NULL };
  TbTestServer s = { 0 };
  JsonArray *utterances;
  JsonObject *u;
  TbTestRun run;

  g_assert_no_error (error);
  tb_test_write_bursts (greeting, 16000, TB_TEST_TONE_HZ, (const guint[]) { 1500, 2500, 0, 0 }, 2500);
  tb_test_write_bursts (caller, 16000, TB_TEST_CALLER_HZ, (const guint[]) { 200, 800, 0, 0 }, 3000);
  tb_test_server_start_full (&s, "", "", agent);
  tb_test_run_tb_call (&s, "1002", args, &run);
  g_assert_cmpint (run.status, ==, 0);
  assert_near (member_int (run.json, "first_audio_ms"), 1500, 150);
  utterances = json_object_get_array_member (run.json, "utterances");
  g_assert_cmpuint (json_array_get_length (utterances), ==, 1);
  u = json_array_get_object_element (utterances, 0);
  assert_near (member_int (u, "start_ms"), 200, 80);
  assert_near (member_int (u, "end_ms"), 800, 80);
  assert_near (member_int (u, "response_ms"), 700, 150);
  /* By default tb-call hangs up 3 s after it has sent the 3 s it plays. */
  assert_near (member_int (run.json, "duration_ms"), 6000, 500);
  tb_test_run_clear (&run);
  tb_test_server_stop (&s);
  tb_test_remove_tree (dir);
}

/* The daemon logged "call ID: DTMF K (" for each of @keys, in order. */
static void
assert_keys_logged (TbTestServer *s, const char *keys)
{
  g_autofree char *end = tb_test_server_wait_call_end (s);
  g_autofree char *id = daemon_call_id (end);
  g_autofree char *log = NULL;
  const char *at;

  g_assert_true (g_file_get_contents (s->log, &log, NULL, NULL));
  at = log;
  for (const char *key = keys; *key; key++) {
    g_autofree char *line = g_strdup_printf ("call %s: DTMF %c (", id, *key);

    g_assert_true (tb_test_contains (at, line));
    at = strstr (at, line) + strlen (line);
  }
}

static void
test_dtmf (gconstpointer data)
{
  const char *mode = data;
  TbTestServer s = { 0 };
  const char *const args[] = { "--dtmf", "12#9", "--dtmf-at", "0.5", "--dtmf-mode", mode,
                               "--hangup-after", "3", NULL };
  TbTestRun run;

  tb_test_server_start (&s, "", "");
  tb_test_run_tb_call (&s, "1000", args, &run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpint (member_int (run.json, "status"), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (run.json, "dtmf_sent"), ==, "12#9");
  assert_keys_logged (&s, "12#9");
  tb_test_run_clear (&run);
  tb_test_server_stop (&s);
}

static void
test_unknown_number (void)
{
  TbTestServer s = { 0 };
  TbTestRun run;

  tb_test_server_start (&s, "", "");
  tb_test_run_tb_call (&s, "9999", NULL, &run);
  g_assert_cmpint (run.status, !=, 0);
  g_assert_nonnull (run.json);
  g_assert_cmpint (member_int (run.json, "status"), ==, 404);
  g_assert_true (member_is_null (run.json, "hangup"));
  g_assert_true (member_is_null (run.json, "codec"));
  g_assert_false (json_object_has_member (json_object_get_object_member (run.json, "timings_ms"),
                                          "answered"));
  g_assert_true (tb_test_contains (run.err, "not answered: 404"));
  tb_test_run_clear (&run);
  tb_test_server_stop (&s);
}

/* Agent "slow" answers after 10 s: tb-call cancels after 1 s. */
static void
test_answer_timeout (void)
{
  TbTestServer s = { 0 };
  const char *const args[] = { "--answer-timeout", "1", NULL };
  g_autofree char *end = NULL;
  TbTestRun run;

  tb_test_server_start (&s, "", "");
  tb_test_run_tb_call (&s, "1001", args, &run);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_cmpint (member_int (run.json, "status"), ==, 487);
  g_assert_true (tb_test_contains (run.err, "no answer in 1.0 s"));
  end = tb_test_server_wait_call_end (&s);
  g_assert_true (tb_test_contains (end, "\"end_reason\":\"cancelled\""));
  tb_test_run_clear (&run);
  tb_test_server_stop (&s);
}

/* The daemon stops during the call and hangs up: BYE from the far end. */
static void
test_remote_hangup (void)
{
  TbTestServer s = { 0 };
  const char *const args[] = { "--hangup-after", "20", NULL };
  g_autoptr(GPtrArray) argv = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  TbTestRun run = { 0 };

  tb_test_server_start (&s, "", "");
  argv = tb_test_tb_call_argv (&s, "1000", args);
  process = g_subprocess_newv ((const char *const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_assert_true (tb_test_wait_for_log (s.log, "(agent reception)"));
  g_usleep (500 * 1000);
  tb_test_stop_daemon (s.daemon, SIGTERM);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &run.out, &run.err, &error);
  g_assert_no_error (error);
  run.status = g_subprocess_get_exit_status (process);
  g_test_message ("tb-call exit %d, stdout:\n%s\nstderr:\n%s", run.status, run.out, run.err);
  tb_test_run_parse (&run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (run.json, "hangup"), ==, "remote");
  g_assert_cmpint (member_int (run.json, "duration_ms"), <, 10000);
  tb_test_run_clear (&run);
  tb_test_server_stop (&s);
}

/* Outside [sip] trusted, the daemon challenges; tb-call answers with the
 * account's password, which it never prints. */
static void
test_digest_auth (void)
{
  TbTestServer s = { 0 };
  const char *const good[] = { "--auth-user", "frontdesk", "--password-env", "TB_TEST_SECRET",
                               "--hangup-after", "1", NULL };
  const char *const bad[] = { "--auth-user", "frontdesk", "--password-env", "TB_TEST_WRONG",
                              "--hangup-after", "1", NULL };
  TbTestRun run;

  g_setenv ("TB_TEST_SECRET", "s3cret-pa55", TRUE);
  g_setenv ("TB_TEST_WRONG", "not-it", TRUE);
  tb_test_server_start_full (&s, "trusted=10.0.0.0/8\n", "",
                             "[account:frontdesk]\npassword-env=TB_TEST_SECRET\n");
  tb_test_run_tb_call (&s, "1000", NULL, &run);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_cmpint (member_int (run.json, "status"), ==, 401);
  tb_test_run_clear (&run);

  tb_test_run_tb_call (&s, "1000", good, &run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpint (member_int (run.json, "status"), ==, 200);
  g_assert_null (strstr (run.out, "s3cret"));
  g_assert_null (strstr (run.err, "s3cret"));
  tb_test_run_clear (&run);

  tb_test_run_tb_call (&s, "1000", bad, &run);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_cmpint (member_int (run.json, "status"), ==, 403);
  tb_test_run_clear (&run);
  tb_test_server_stop (&s);
}

/* --codec restricts the offer; the daemon takes the first it accepts. */
static void
test_codecs (void)
{
  static const struct {
    const char *codecs;
    const char *chosen;
  } cases[] = {
    { "PCMA", "PCMA" },
    { "G722,PCMU", "G722" },
  };
  TbTestServer s = { 0 };
  TbTestRun run;

  tb_test_server_start (&s, "", "");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const char *const args[] = { "--codec", cases[i].codecs, "--hangup-after", "1.5", NULL };

    tb_test_run_tb_call (&s, "1000", args, &run);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_cmpstr (json_object_get_string_member (run.json, "codec"), ==, cases[i].chosen);
    /* The greeting is heard whatever the codec. */
    g_assert_cmpint (member_int (run.json, "first_audio_ms"), <=, 1000);
    tb_test_run_clear (&run);
  }
  tb_test_server_stop (&s);
}

/* Bad arguments: exit 2, a message, no call. An unreadable file: exit 1. */
static void
test_bad_arguments (void)
{
  static const struct {
    const char *args[5];
    const char *message;
  } cases[] = {
    { { "--codec", "G729" }, "--codec G729: unknown codec" },
    { { "--dtmf", "12x" }, "--dtmf 12x: expected DTMF keys" },
    { { "--dtmf-mode", "sms" }, "--dtmf-mode sms: expected rfc4733 or info" },
    { { "--hangup-after", "0" }, "--hangup-after 0: expected seconds" },
    { { "--auth-user", "x" }, "--auth-user and --password-env go together" },
    { { "--auth-user", "x", "--password-env", "TB_TEST_UNSET_VARIABLE" },
      "TB_TEST_UNSET_VARIABLE: that environment variable is not set" },
    { { "--rtp-ports", "9-3" }, "--rtp-ports 9-3: expected FIRST-LAST" },
  };
  TbTestRun run;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    tb_test_run_tb_call (NULL, "1000", cases[i].args, &run);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_cmpstr (run.out, ==, "");
    g_assert_true (tb_test_contains (run.err, cases[i].message));
    tb_test_run_clear (&run);
  }
  {
    const char *const args[] = { "--play", "/nonexistent/caller.wav", NULL };

    tb_test_run_tb_call (NULL, "1000", args, &run);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_cmpstr (run.out, ==, "");
    g_assert_true (tb_test_contains (run.err, "/nonexistent/caller.wav"));
    tb_test_run_clear (&run);
  }
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tbcall/call-with-audio", test_call_with_audio);
  g_test_add_func ("/tbcall/response-time", test_response_time);
  g_test_add_data_func ("/tbcall/dtmf-rfc4733", "rfc4733", test_dtmf);
  g_test_add_data_func ("/tbcall/dtmf-info", "info", test_dtmf);
  g_test_add_func ("/tbcall/unknown-number", test_unknown_number);
  g_test_add_func ("/tbcall/answer-timeout", test_answer_timeout);
  g_test_add_func ("/tbcall/remote-hangup", test_remote_hangup);
  g_test_add_func ("/tbcall/digest-auth", test_digest_auth);
  g_test_add_func ("/tbcall/codecs", test_codecs);
  g_test_add_func ("/tbcall/bad-arguments", test_bad_arguments);
  return g_test_run ();
}
