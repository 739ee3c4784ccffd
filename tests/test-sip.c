/* test-sip.c — the daemon as a SIP server, against sipp as the peer: a call
 * with RTP both ways, unknown number, no common codec, CANCEL before answer,
 * BYE from either side, hold/unhold, OPTIONS, capacity and access control. */
#include "audio-check.h"
#include "audio-file.h"
#include "test-server.h"
#include "test-util.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <math.h>
#include <signal.h>
#include <string.h>


static void
test_call_with_rtp (void)
{
  TbTestServer s = { 0 };
  g_autofree char *json = NULL;
  g_autofree char *recording = NULL;
  g_autofree gint16 *samples = NULL;
  g_autoptr(GError) error = NULL;
  gsize n = 0;

  tb_test_server_start (&s, "", "");
  g_assert_cmpint (tb_test_sipp_run (&s, "uac-call.xml", "1000", NULL), ==, 0);
  json = tb_test_server_wait_call_end (&s);
  g_assert_true (tb_test_contains (json, "\"agent\":\"reception\""));
  g_assert_true (tb_test_contains (json, "\"end_reason\":\"remote-bye\""));
  g_assert_true (tb_test_contains (json, "\"codec\":\"PCMU\""));
  g_assert_true (tb_test_contains (json, "\"answered\":true"));
  /* About 3 s of RTP from the caller at 50 packets per second; from us
   * the 1 s greeting and a few packets of silence, then nothing (silence
   * suppression, the default). */
  g_assert_cmpuint (tb_test_json_number (json, "received"), >, 100);
  g_assert_cmpuint (tb_test_json_number (json, "sent"), >=, 50);
  g_assert_cmpuint (tb_test_json_number (json, "sent"), <=, 60);

  /* The recording holds the caller's tone. */
  recording = g_strdup_printf ("%s/recordings/%.36s.wav", s.dir, strstr (json, "\"id\":\"") + 6);
  samples = tb_audio_file_read (recording, 16000, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, >, 16000 * 2);
  g_assert_cmpfloat (tb_test_rms (samples, n), >, 500);
  /* One second from 0.5 s on: the caller's tone crosses zero 2 * 300 times. */
  g_assert_cmpfloat (fabs (tb_test_zero_crossings (samples + 8000, 16000) / 2.0 - TB_TEST_CALLER_HZ), <, 30);
  tb_test_server_stop (&s);
}

/* sipp streams speech (espeak-ng, µ-law) with rtp_stream: the call
 * completes and the server's recording is that speech, found in it by
 * cross-correlation; another sentence is not. */
static void
test_call_with_speech (void)
{
  TbTestServer s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *speech = NULL, *caller = NULL, *other = NULL, *recording = NULL;
  g_autofree char *json = NULL;
  g_autofree gint16 *heard = NULL, *said = NULL, *unsaid = NULL;
  gsize n_heard = 0, n_said = 0, n_unsaid = 0, lag = 0;
  const gsize second = 8000;
  double match, mismatch;

  tb_test_server_start (&s, "", "");
  speech = g_build_filename (s.dir, "speech.wav", NULL);
  caller = g_build_filename (s.dir, "caller.wav", NULL);
  other = g_build_filename (s.dir, "other.wav", NULL);
  tb_test_write_speech (speech, caller, "Hello, I would like to book an appointment for Tuesday.");
  tb_test_write_speech (other, NULL, "Seven large boxes of oranges arrived at noon.");
  g_assert_cmpint (tb_test_sipp_run (&s, "uac-call.xml", "1000", NULL), ==, 0);
  json = tb_test_server_wait_call_end (&s);
  g_assert_true (tb_test_contains (json, "\"end_reason\":\"remote-bye\""));

  recording = g_strdup_printf ("%s/recordings/%.36s.wav", s.dir, strstr (json, "\"id\":\"") + 6);
  heard = tb_audio_file_read (recording, 8000, &n_heard, &error);
  g_assert_no_error (error);
  said = tb_audio_file_read (speech, 8000, &n_said, &error);
  g_assert_no_error (error);
  unsaid = tb_audio_file_read (other, 8000, &n_unsaid, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_said, >, second + second / 2);
  g_assert_cmpuint (n_unsaid, >, second + second / 2);
  /* One second of each sentence, from 0.5 s on. */
  match = tb_test_best_correlation (heard, n_heard, said + second / 2, second, 100, &lag);
  mismatch = tb_test_best_correlation (heard, n_heard, unsaid + second / 2, second, 100, &lag);
  g_test_message ("speech heard: correlation %.3f with what was said, %.3f with another sentence",
                  match, mismatch);
  g_assert_cmpfloat (match, >, 0.7);
  g_assert_cmpfloat (mismatch, <, 0.4);
  tb_test_server_stop (&s);
}

static void
test_unknown_number (void)
{
  TbTestServer s = { 0 };

  tb_test_server_start (&s, "", "");
  g_assert_cmpint (tb_test_sipp_run (&s, "uac-refused.xml", "9999", "404"), ==, 0);
  g_assert_true (tb_test_wait_for_log (s.log, "to 9999 refused: no agent for this number"));
  tb_test_server_stop (&s);
}

static void
test_no_common_codec (void)
{
  TbTestServer s = { 0 };

  tb_test_server_start (&s, "", "");
  g_assert_cmpint (tb_test_sipp_run (&s, "uac-g729.xml", "1000", NULL), ==, 0);
  g_assert_true (tb_test_wait_for_log (s.log, "refused: no codec in common"));
  tb_test_server_stop (&s);
}

static void
test_cancel_before_answer (void)
{
  TbTestServer s = { 0 };
  g_autofree char *json = NULL;

  tb_test_server_start (&s, "", "");
  g_assert_cmpint (tb_test_sipp_run (&s, "uac-cancel.xml", "1001", NULL), ==, 0);
  json = tb_test_server_wait_call_end (&s);
  g_assert_true (tb_test_contains (json, "\"end_reason\":\"cancelled\""));
  g_assert_true (tb_test_contains (json, "\"answered\":false"));
  tb_test_server_stop (&s);
}

static void
test_server_hangs_up (void)
{
  TbTestServer s = { 0 };
  g_autofree char *json = NULL;

  tb_test_server_start (&s, "", "rtp-timeout=1\n");
  g_assert_cmpint (tb_test_sipp_run (&s, "uac-wait-bye.xml", "1000", NULL), ==, 0);
  json = tb_test_server_wait_call_end (&s);
  g_assert_true (tb_test_contains (json, "\"end_reason\":\"rtp-timeout\""));
  tb_test_server_stop (&s);
}

static void
test_hold_unhold (void)
{
  TbTestServer s = { 0 };
  g_autofree char *json = NULL;

  tb_test_server_start (&s, "", "");
  g_assert_cmpint (tb_test_sipp_run (&s, "uac-hold.xml", "1000", NULL), ==, 0);
  json = tb_test_server_wait_call_end (&s);
  g_assert_true (tb_test_contains (json, "\"end_reason\":\"remote-bye\""));
  g_assert_true (tb_test_wait_for_log (s.log, "re-INVITE: PCMU, on hold"));
  g_assert_true (tb_test_wait_for_log (s.log, "re-INVITE: PCMU, active"));
  tb_test_server_stop (&s);
}

/* RFC 3262 and 4028 as a caller asks for them. */
static void
test_100rel_and_session_timer (void)
{
  TbTestServer s = { 0 };
  g_autofree char *json = NULL;

  tb_test_server_start (&s, "", "");
  g_assert_cmpint (tb_test_sipp_run (&s, "uac-100rel.xml", "1000", NULL), ==, 0);
  json = tb_test_server_wait_call_end (&s);
  g_assert_true (tb_test_contains (json, "\"end_reason\":\"remote-bye\""));
  tb_test_server_stop (&s);
}

/* Behind NAT: Contact and the SDP carry [sip] public-address (another
 * loopback address here, so that nothing leaves the host). */
static void
test_public_address (void)
{
  TbTestServer s = { 0 };
  const char *vars[] = { "@ADDRESS@", "127.0.0.2", NULL };
  TbTestSipp call = { .scenario = "uac-public-address.xml", .service = "1000", .vars = vars };

  tb_test_server_start (&s, "public-address=127.0.0.2\n", "");
  g_assert_cmpint (tb_test_sipp_run_with (&s, &call), ==, 0);
  tb_test_server_stop (&s);
}

static void
test_options (void)
{
  TbTestServer s = { 0 };
  TbTestSipp over_tcp = { .scenario = "options.xml", .service = "1000", .tcp = TRUE };

  tb_test_server_start (&s, "", "");
  g_assert_cmpint (tb_test_sipp_run (&s, "options.xml", "1000", NULL), ==, 0);
  g_assert_cmpint (tb_test_sipp_run_with (&s, &over_tcp), ==, 0);
  tb_test_server_stop (&s);
}

static void
test_untrusted_source (void)
{
  TbTestServer s = { 0 };

  tb_test_server_start (&s, "trusted=10.0.0.0/8\n", "");
  g_assert_cmpint (tb_test_sipp_run (&s, "uac-refused.xml", "1000", "403"), ==, 0);
  g_assert_true (tb_test_wait_for_log (s.log, "refused: source not trusted"));
  tb_test_server_stop (&s);
}

/* Key presses sent in SIP INFO reach the call, in order. */
static void
test_info_dtmf (void)
{
  TbTestServer s = { 0 };
  g_autofree char *json = NULL;
  g_autofree char *log = NULL;
  const char *expected[] = { "DTMF 1 (160 ms, SIP INFO)", "DTMF 2 (100 ms, SIP INFO)",
                             "DTMF # (0 ms, SIP INFO)", "DTMF 9 (120 ms, SIP INFO)" };
  const char *at;

  tb_test_server_start (&s, "", "");
  g_assert_cmpint (tb_test_sipp_run (&s, "uac-info-dtmf.xml", "1000", NULL), ==, 0);
  json = tb_test_server_wait_call_end (&s);
  g_assert_true (tb_test_contains (json, "\"end_reason\":\"remote-bye\""));
  g_assert_true (g_file_get_contents (s.log, &log, NULL, NULL));
  at = log;
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++) {
    at = strstr (at, expected[i]);
    g_assert_true (tb_test_contains (at ? at : "", expected[i]));
  }
  tb_test_server_stop (&s);
}

/* A caller outside trusted is challenged and let in with an account's
 * password; with a wrong one it gets 403. The password comes from the
 * environment of the daemon. */
static void
test_digest_authentication (void)
{
  TbTestServer s = { 0 };
  const char *good[] = { "@USER@", "frontdesk", "@PASSWORD@", "door-42", NULL };
  const char *wrong[] = { "@USER@", "frontdesk", "@PASSWORD@", "guess", NULL };
  const char *unknown[] = { "@USER@", "mallory", "@PASSWORD@", "door-42", NULL };
  TbTestSipp call = { .scenario = "uac-auth.xml", .service = "1000", .vars = good };
  TbTestSipp denied = { .scenario = "uac-auth-denied.xml", .service = "1000", .vars = wrong };
  g_autofree char *json = NULL;

  g_setenv ("TB_TEST_FRONTDESK_PASSWORD", "door-42", TRUE);
  tb_test_server_start_full (&s, "trusted=10.0.0.0/8\n", "",
                             "[account:frontdesk]\npassword-env=TB_TEST_FRONTDESK_PASSWORD\n");
  g_assert_cmpint (tb_test_sipp_run_with (&s, &call), ==, 0);
  g_assert_true (tb_test_wait_for_log (s.log, "authenticated as 'frontdesk'"));
  json = tb_test_server_wait_call_end (&s);
  g_assert_true (tb_test_contains (json, "\"answered\":true"));

  g_assert_cmpint (tb_test_sipp_run_with (&s, &denied), ==, 0);
  g_assert_true (tb_test_wait_for_log (s.log, "digest authentication failed for user 'frontdesk'"));
  denied.vars = unknown;
  g_assert_cmpint (tb_test_sipp_run_with (&s, &denied), ==, 0);
  g_assert_true (tb_test_wait_for_log (s.log, "digest authentication failed for user 'mallory'"));
  tb_test_server_stop (&s);
}

/* At max-calls, the next INVITE gets 503 with Retry-After; the call in
 * progress is not disturbed. */
static void
test_capacity (void)
{
  TbTestServer s = { 0 };
  g_autoptr(GSubprocess) first = NULL;
  g_autofree char *json = NULL;

  tb_test_server_start (&s, "max-calls=1\n", "");
  first = tb_test_sipp_spawn (&s, "uac-call.xml", "1000", NULL);
  g_assert_true (tb_test_wait_for_log (s.log, "(agent reception)"));
  g_assert_cmpint (tb_test_sipp_run (&s, "uac-busy.xml", "1000", NULL), ==, 0);
  g_assert_true (tb_test_wait_for_log (s.log, "refused: max-calls reached"));
  g_assert_cmpint (tb_test_sipp_wait (&s, first), ==, 0);
  json = tb_test_server_wait_call_end (&s);
  g_assert_true (tb_test_contains (json, "\"end_reason\":\"remote-bye\""));
  tb_test_server_stop (&s);
}

/* Malformed SIP: each must be dropped or answered 400, never more. */
static const char *const malformed[] = {
  "INVITE sip:1000@127.0.0.1 SIP/2.0\r\n\r\n",
  "INVITE sip:1000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\n"
  "Content-Length: 99999999\r\n\r\nv=0",
  "INVITE  SIP/2.0\r\nVia: garbage\r\nFrom: <>\r\nTo: <>\r\nCall-ID:\r\nCSeq: x INVITE\r\n\r\n",
  "BYE sip:1000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKy\r\n"
  "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: nosuchcall\r\nCSeq: 1 BYE\r\n"
  "Content-Length: 0\r\n\r\n",
  "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKz\r\nCSeq: 1 INVITE\r\n\r\n",
  "INVITE sip:1000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKw;rport\r\n"
  "From: <sip:a@127.0.0.1>;tag=9\r\nTo: <sip:1000@127.0.0.1>\r\nCall-ID: bad-sdp\r\n"
  "CSeq: 1 INVITE\r\nContact: <sip:a@127.0.0.1:9>\r\nContent-Type: application/sdp\r\n"
  "Content-Length: 41\r\n\r\nv=0\r\nm=audio 4000 FOO 0 @\r\nc=IN IP4 x\r\n",
};

static void
send_garbage (guint port)
{
  g_autoptr(GSocket) udp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                         G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) to = g_inet_socket_address_new (lo, port);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) tcp = NULL;
  GRand *rand = g_rand_new_with_seed (99);
  guint8 buffer[1500];

  for (guint i = 0; i < 2000; i++) {
    gsize len = g_rand_int_range (rand, 1, sizeof buffer);

    for (gsize k = 0; k < len; k++)
      buffer[k] = (guint8) g_rand_int_range (rand, 0, 256);
    g_socket_send_to (udp, to, (const char *) buffer, len, NULL, NULL);
    if (i % 10 == 0) {
      const char *m = malformed[(i / 10) % G_N_ELEMENTS (malformed)];

      g_socket_send_to (udp, to, m, strlen (m), NULL, NULL);
    }
    if (i % 100 == 0)
      g_usleep (1000);
  }
  tcp = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (to), NULL, NULL);
  if (tcp) {
    GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (tcp));

    for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
      g_output_stream_write_all (out, malformed[i], strlen (malformed[i]), NULL, NULL, NULL);
    g_output_stream_write_all (out, buffer, sizeof buffer, NULL, NULL, NULL);
  }
  g_rand_free (rand);
}

/* A burst of garbage and malformed SIP to the SIP port during a call: the
 * call goes on and ends normally, and the server keeps answering. */
static void
test_garbage_during_call (void)
{
  TbTestServer s = { 0 };
  g_autoptr(GSubprocess) sipp = NULL;
  g_autofree char *json = NULL;

  tb_test_server_start (&s, "", "");
  sipp = tb_test_sipp_spawn (&s, "uac-call.xml", "1000", NULL);
  g_assert_true (tb_test_wait_for_log (s.log, "(agent reception)"));
  send_garbage (s.sip_port);
  g_assert_cmpint (tb_test_sipp_wait (&s, sipp), ==, 0);
  json = tb_test_server_wait_call_end (&s);
  g_assert_true (tb_test_contains (json, "\"end_reason\":\"remote-bye\""));
  g_assert_cmpint (tb_test_sipp_run (&s, "options.xml", "1000", NULL), ==, 0);
  tb_test_server_stop (&s);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sip/call-with-rtp", test_call_with_rtp);
  g_test_add_func ("/sip/call-with-speech", test_call_with_speech);
  g_test_add_func ("/sip/unknown-number", test_unknown_number);
  g_test_add_func ("/sip/no-common-codec", test_no_common_codec);
  g_test_add_func ("/sip/cancel-before-answer", test_cancel_before_answer);
  g_test_add_func ("/sip/server-hangs-up", test_server_hangs_up);
  g_test_add_func ("/sip/hold-unhold", test_hold_unhold);
  g_test_add_func ("/sip/100rel-and-session-timer", test_100rel_and_session_timer);
  g_test_add_func ("/sip/public-address", test_public_address);
  g_test_add_func ("/sip/options", test_options);
  g_test_add_func ("/sip/untrusted-source", test_untrusted_source);
  g_test_add_func ("/sip/info-dtmf", test_info_dtmf);
  g_test_add_func ("/sip/digest-authentication", test_digest_authentication);
  g_test_add_func ("/sip/capacity", test_capacity);
  g_test_add_func ("/sip/garbage-during-call", test_garbage_during_call);
  return g_test_run ();
}
