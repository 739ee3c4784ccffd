/* test-sip.c — the daemon as a SIP server, against sipp as the peer: a call
 * with RTP both ways, unknown number, no common codec, CANCEL before answer,
 * BYE from either side, hold/unhold, OPTIONS, capacity and access control. */
#include "audio-check.h"
#include "audio-file.h"
#include "test-util.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#define TONE_HZ 440.0
#define CALLER_HZ 300.0

typedef struct {
  char *dir;
  guint sip_port;
  char *log;
  GSubprocess *daemon;
} Server;

/* A WAV of a @hz tone, @seconds long, at @rate, written with our writer. */
static void
write_tone (const char *path, double hz, double seconds, guint rate)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TbWavWriter) writer = tb_wav_writer_new (path, rate, &error);
  gsize n = (gsize) (seconds * rate);
  g_autofree gint16 *samples = g_new (gint16, n);

  g_assert_no_error (error);
  for (gsize i = 0; i < n; i++)
    samples[i] = (gint16) (8000 * sin (2 * G_PI * hz * i / rate));
  g_assert_true (tb_wav_writer_write (writer, samples, n, &error));
  g_assert_true (tb_wav_writer_close (writer, &error));
}

/* sipp's rtp_stream sends a WAV's data as RTP payload: it must be µ-law. */
static void
write_mulaw_wav (const char *path, double hz, double seconds)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *description = g_strdup_printf (
    "audiotestsrc freq=%f volume=0.3 num-buffers=%d samplesperbuffer=160 "
    "! audio/x-raw,rate=8000,channels=1 ! mulawenc ! wavenc ! filesink location=%s",
    hz, (int) (seconds * 50), path);
  g_autoptr(GstElement) pipeline = gst_parse_launch (description, &error);
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstMessage) message = NULL;

  g_assert_no_error (error);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipeline);
  message = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (message);
  g_assert_cmpint (GST_MESSAGE_TYPE (message), ==, GST_MESSAGE_EOS);
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

/* Starts a daemon on free ports; @sip_extra and @media_extra are lines
 * added to the [sip] and [media] groups. */
static void
server_start (Server *s, const char *sip_extra, const char *media_extra)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;
  g_autofree char *caller = NULL;
  g_autofree char *recordings = NULL;
  g_autofree char *text = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *ready = NULL;
  /* 50000-59999 for the server, 40000-49999 for sipp: apart from the
   * ranges the RTP unit tests use (20000-39999) when run in parallel. */
  guint first_rtp = 50000 + 100 * g_random_int_range (0, 99);

  s->dir = g_dir_make_tmp ("tb-sip-XXXXXX", &error);
  g_assert_no_error (error);
  greeting = g_build_filename (s->dir, "greeting.wav", NULL);
  write_tone (greeting, TONE_HZ, 1.0, 16000);
  caller = g_build_filename (s->dir, "caller.wav", NULL);
  write_mulaw_wav (caller, CALLER_HZ, 2.0);
  recordings = g_build_filename (s->dir, "recordings", NULL);
  g_mkdir (recordings, 0700);
  s->sip_port = tb_test_free_port ();
  text = g_strdup_printf (
    "[talkingbits]\nplugin-path=\nrecordings-dir=recordings\n"
    "[sip]\nlisten=127.0.0.1:%u\n%s"
    "[media]\nrtp-ports=%u-%u\n%s"
    "[agent:reception]\nnumbers=1000\ngreeting-file=greeting.wav\n"
    "[agent:slow]\nnumbers=1001\nanswer-delay-ms=10000\n",
    s->sip_port, sip_extra, first_rtp, first_rtp + 99, media_extra);
  conf = tb_test_write_file (s->dir, "t.conf", text);
  s->log = g_build_filename (s->dir, "daemon.log", NULL);
  s->daemon = tb_test_start_daemon (conf, "", s->log);
  ready = tb_test_wait_for_text (s->log, "ready");
  g_assert_nonnull (ready);
}

static void
server_stop (Server *s)
{
  tb_test_stop_daemon (s->daemon, SIGTERM);
  g_clear_object (&s->daemon);
  if (g_test_failed ()) {
    g_autofree char *text = NULL;

    g_file_get_contents (s->log, &text, NULL, NULL);
    g_printerr ("daemon log:\n%s\n", text);
  }
  tb_test_remove_tree (s->dir);
  g_free (s->dir);
  g_free (s->log);
}

/* sipp binds four UDP ports from its media port up (audio and video, RTP
 * and RTCP): find four free ones in 40000-49999. */
static guint
free_media_ports (void)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  for (guint attempt = 0; attempt < 100; attempt++) {
    guint first = 40000 + 4 * g_random_int_range (0, 2500);
    gboolean all_free = TRUE;

    for (guint i = 0; i < 4 && all_free; i++) {
      g_autoptr(GSocket) probe = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                               G_SOCKET_PROTOCOL_UDP, NULL);
      g_autoptr(GSocketAddress) at = g_inet_socket_address_new (lo, first + i);

      all_free = probe && g_socket_bind (probe, at, FALSE, NULL);
    }
    if (all_free)
      return first;
  }
  g_error ("no four free UDP ports in 40000-49999");
}

/* Starts sipp with scenario @name (tests/sipp/, with @STATUS@ replaced)
 * calling @service, for one call. */
static GSubprocess *
spawn_sipp (Server *s, const char *name, const char *service, const char *status)
{
  g_autofree char *template = g_build_filename (TB_SOURCE_ROOT, "tests", "sipp", name, NULL);
  g_autofree char *xml = NULL;
  g_autofree char *scenario = g_build_filename (s->dir, name, NULL);
  g_autofree char *target = g_strdup_printf ("127.0.0.1:%u", s->sip_port);
  g_autofree char *port = g_strdup_printf ("%u", tb_test_free_port ());
  g_autofree char *media_port = g_strdup_printf ("%u", free_media_ports ());
  g_autofree char *errors_file = g_build_filename (s->dir, "sipp-errors.log", NULL);
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GError) error = NULL;
  GSubprocess *sipp;
  GString *text;

  g_assert_true (g_file_get_contents (template, &xml, NULL, NULL));
  text = g_string_new (xml);
  g_string_replace (text, "@STATUS@", status ? status : "", 0);
  g_assert_true (g_file_set_contents (scenario, text->str, -1, NULL));
  g_string_free (text, TRUE);

  g_subprocess_launcher_set_cwd (launcher, s->dir);
  sipp = g_subprocess_launcher_spawn (launcher, &error, "sipp", "-sf", scenario, "-s", service,
                                      "-i", "127.0.0.1", "-p", port, "-mi", "127.0.0.1",
                                      "-mp", media_port, "-m", "1", "-timeout", "30s",
                                      "-timeout_error", "-nostdin", "-trace_err",
                                      "-error_file", errors_file, target, NULL);
  g_assert_no_error (error);
  return sipp;
}

/* Waits for sipp; returns its exit status (0: every call as scripted). */
static int
wait_sipp (Server *s, GSubprocess *sipp)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;

  g_subprocess_communicate_utf8 (sipp, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  if (g_subprocess_get_exit_status (sipp) != 0) {
    g_autofree char *errors_file = g_build_filename (s->dir, "sipp-errors.log", NULL);
    g_autofree char *errors = NULL;

    g_file_get_contents (errors_file, &errors, NULL, NULL);
    g_printerr ("sipp failed (%d):\n%s\n%s\n", g_subprocess_get_exit_status (sipp), err,
                errors ? errors : "");
  }
  return g_subprocess_get_exit_status (sipp);
}

static int
run_sipp (Server *s, const char *name, const char *service, const char *status)
{
  g_autoptr(GSubprocess) sipp = spawn_sipp (s, name, service, status);

  return wait_sipp (s, sipp);
}

/* The JSON of the call's end-of-call log line. */
static char *
wait_call_end (Server *s)
{
  g_autofree char *text = tb_test_wait_for_text (s->log, " ended: {");
  const char *start, *end;

  g_assert_nonnull (text);
  start = strstr (text, " ended: {") + strlen (" ended: ");
  end = strchr (start, '\n');
  return g_strndup (start, end ? (gsize) (end - start) : strlen (start));
}

static guint64
json_number (const char *json, const char *key)
{
  g_autofree char *pattern = g_strdup_printf ("\"%s\":", key);
  const char *at = strstr (json, pattern);

  g_assert_nonnull (at);
  return g_ascii_strtoull (at + strlen (pattern), NULL, 10);
}

static void
test_call_with_rtp (void)
{
  Server s = { 0 };
  g_autofree char *json = NULL;
  g_autofree char *recording = NULL;
  g_autofree gint16 *samples = NULL;
  g_autoptr(GError) error = NULL;
  gsize n = 0;

  server_start (&s, "", "");
  g_assert_cmpint (run_sipp (&s, "uac-call.xml", "1000", NULL), ==, 0);
  json = wait_call_end (&s);
  g_assert_true (tb_test_contains (json, "\"agent\":\"reception\""));
  g_assert_true (tb_test_contains (json, "\"end_reason\":\"remote-bye\""));
  g_assert_true (tb_test_contains (json, "\"codec\":\"PCMU\""));
  g_assert_true (tb_test_contains (json, "\"answered\":true"));
  /* About 3 s of RTP each way at 50 packets per second. */
  g_assert_cmpuint (json_number (json, "received"), >, 100);
  g_assert_cmpuint (json_number (json, "sent"), >, 100);

  /* The recording holds the caller's tone. */
  recording = g_strdup_printf ("%s/recordings/%.36s.wav", s.dir, strstr (json, "\"id\":\"") + 6);
  samples = tb_audio_file_read (recording, 16000, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, >, 16000 * 2);
  g_assert_cmpfloat (tb_test_rms (samples, n), >, 500);
  /* One second from 0.5 s on: the caller's tone crosses zero 2 * 300 times. */
  g_assert_cmpfloat (fabs (tb_test_zero_crossings (samples + 8000, 16000) / 2.0 - CALLER_HZ), <, 30);
  server_stop (&s);
}

static void
test_unknown_number (void)
{
  Server s = { 0 };

  server_start (&s, "", "");
  g_assert_cmpint (run_sipp (&s, "uac-refused.xml", "9999", "404"), ==, 0);
  g_assert_true (tb_test_wait_for_log (s.log, "to 9999 refused: no agent for this number"));
  server_stop (&s);
}

static void
test_no_common_codec (void)
{
  Server s = { 0 };

  server_start (&s, "", "");
  g_assert_cmpint (run_sipp (&s, "uac-g729.xml", "1000", NULL), ==, 0);
  g_assert_true (tb_test_wait_for_log (s.log, "refused: no codec in common"));
  server_stop (&s);
}

static void
test_cancel_before_answer (void)
{
  Server s = { 0 };
  g_autofree char *json = NULL;

  server_start (&s, "", "");
  g_assert_cmpint (run_sipp (&s, "uac-cancel.xml", "1001", NULL), ==, 0);
  json = wait_call_end (&s);
  g_assert_true (tb_test_contains (json, "\"end_reason\":\"cancelled\""));
  g_assert_true (tb_test_contains (json, "\"answered\":false"));
  server_stop (&s);
}

static void
test_server_hangs_up (void)
{
  Server s = { 0 };
  g_autofree char *json = NULL;

  server_start (&s, "", "rtp-timeout=1\n");
  g_assert_cmpint (run_sipp (&s, "uac-wait-bye.xml", "1000", NULL), ==, 0);
  json = wait_call_end (&s);
  g_assert_true (tb_test_contains (json, "\"end_reason\":\"rtp-timeout\""));
  server_stop (&s);
}

static void
test_hold_unhold (void)
{
  Server s = { 0 };
  g_autofree char *json = NULL;

  server_start (&s, "", "");
  g_assert_cmpint (run_sipp (&s, "uac-hold.xml", "1000", NULL), ==, 0);
  json = wait_call_end (&s);
  g_assert_true (tb_test_contains (json, "\"end_reason\":\"remote-bye\""));
  g_assert_true (tb_test_wait_for_log (s.log, "re-INVITE: PCMU, on hold"));
  g_assert_true (tb_test_wait_for_log (s.log, "re-INVITE: PCMU, active"));
  server_stop (&s);
}

static void
test_options (void)
{
  Server s = { 0 };

  server_start (&s, "", "");
  g_assert_cmpint (run_sipp (&s, "options.xml", "1000", NULL), ==, 0);
  server_stop (&s);
}

static void
test_untrusted_source (void)
{
  Server s = { 0 };

  server_start (&s, "trusted=10.0.0.0/8\n", "");
  g_assert_cmpint (run_sipp (&s, "uac-refused.xml", "1000", "403"), ==, 0);
  g_assert_true (tb_test_wait_for_log (s.log, "refused: source not trusted"));
  server_stop (&s);
}

/* At max-calls, the next INVITE gets 503 with Retry-After; the call in
 * progress is not disturbed. */
static void
test_capacity (void)
{
  Server s = { 0 };
  g_autoptr(GSubprocess) first = NULL;
  g_autofree char *json = NULL;

  server_start (&s, "max-calls=1\n", "");
  first = spawn_sipp (&s, "uac-call.xml", "1000", NULL);
  g_assert_true (tb_test_wait_for_log (s.log, "(agent reception)"));
  g_assert_cmpint (run_sipp (&s, "uac-busy.xml", "1000", NULL), ==, 0);
  g_assert_true (tb_test_wait_for_log (s.log, "refused: max-calls reached"));
  g_assert_cmpint (wait_sipp (&s, first), ==, 0);
  json = wait_call_end (&s);
  g_assert_true (tb_test_contains (json, "\"end_reason\":\"remote-bye\""));
  server_stop (&s);
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
  Server s = { 0 };
  g_autoptr(GSubprocess) sipp = NULL;
  g_autofree char *json = NULL;

  server_start (&s, "", "");
  sipp = spawn_sipp (&s, "uac-call.xml", "1000", NULL);
  g_assert_true (tb_test_wait_for_log (s.log, "(agent reception)"));
  send_garbage (s.sip_port);
  g_assert_cmpint (wait_sipp (&s, sipp), ==, 0);
  json = wait_call_end (&s);
  g_assert_true (tb_test_contains (json, "\"end_reason\":\"remote-bye\""));
  g_assert_cmpint (run_sipp (&s, "options.xml", "1000", NULL), ==, 0);
  server_stop (&s);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sip/call-with-rtp", test_call_with_rtp);
  g_test_add_func ("/sip/unknown-number", test_unknown_number);
  g_test_add_func ("/sip/no-common-codec", test_no_common_codec);
  g_test_add_func ("/sip/cancel-before-answer", test_cancel_before_answer);
  g_test_add_func ("/sip/server-hangs-up", test_server_hangs_up);
  g_test_add_func ("/sip/hold-unhold", test_hold_unhold);
  g_test_add_func ("/sip/options", test_options);
  g_test_add_func ("/sip/untrusted-source", test_untrusted_source);
  g_test_add_func ("/sip/capacity", test_capacity);
  g_test_add_func ("/sip/garbage-during-call", test_garbage_during_call);
  return g_test_run ();
}
