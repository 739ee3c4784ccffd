/* test-server.c — the daemon as a test server on free ports, sipp as its
 * peer, and the test audio both use. */
#include "test-server.h"

#include "audio-file.h"
#include "test-util.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <math.h>
#include <signal.h>
#include <string.h>

gint16 *
tb_test_sweep (double from_hz, double to_hz, double seconds, guint rate, gsize *n_samples)
{
  gsize n = (gsize) (seconds * rate);
  gint16 *samples = g_new (gint16, n);

  /* The phase of a linear sweep: 2 pi (f0 t + (f1 - f0) t^2 / 2T). */
  for (gsize i = 0; i < n; i++) {
    double t = (double) i / rate;

    samples[i] = (gint16) (8000 * sin (2 * G_PI * (from_hz * t +
                                                   (to_hz - from_hz) * t * t / (2 * seconds))));
  }
  *n_samples = n;
  return samples;
}

void
tb_test_write_sweep (const char *path, double from_hz, double to_hz, double seconds, guint rate)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TbWavWriter) writer = tb_wav_writer_new (path, rate, &error);
  gsize n = 0;
  g_autofree gint16 *samples = tb_test_sweep (from_hz, to_hz, seconds, rate, &n);

  g_assert_no_error (error);
  g_assert_true (tb_wav_writer_write (writer, samples, n, &error));
  g_assert_true (tb_wav_writer_close (writer, &error));
}

void
tb_test_write_tone (const char *path, double hz, double seconds, guint rate)
{
  tb_test_write_sweep (path, hz, hz, seconds, rate);
}

/* Runs a gst-launch pipeline to its end. */
static void
run_pipeline (const char *description)
{
  g_autoptr(GError) error = NULL;
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

void
tb_test_write_mulaw_wav (const char *path, double hz, double seconds)
{
  g_autofree char *description = g_strdup_printf (
    "audiotestsrc freq=%f volume=0.3 num-buffers=%d samplesperbuffer=160 "
    "! audio/x-raw,rate=8000,channels=1 ! mulawenc ! wavenc ! filesink location=%s",
    hz, (int) (seconds * 50), path);

  run_pipeline (description);
}

void
tb_test_write_speech (const char *path, const char *mulaw_path, const char *text)
{
  const char *argv[] = { "espeak-ng", "-v", "en-us", "-w", path, text, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *description = NULL;

  g_assert_cmpint (tb_test_run (argv, "", &out, &err), ==, 0);
  if (!mulaw_path)
    return;
  description = g_strdup_printf (
    "filesrc location=%s ! wavparse ! audioconvert ! audioresample "
    "! audio/x-raw,rate=8000,channels=1 ! mulawenc ! wavenc ! filesink location=%s",
    path, mulaw_path);
  run_pipeline (description);
}

char *
tb_test_server_make_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("tb-sip-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
tb_test_server_start_full (TbTestServer *s, const char *sip_extra, const char *media_extra,
                           const char *groups)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;
  g_autofree char *caller = NULL;
  g_autofree char *recordings = NULL;
  g_autofree char *text = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *ready = NULL;
  g_autofree char *http = s->http_port ? g_strdup_printf ("127.0.0.1:%u", s->http_port)
                                       : g_strdup ("");
  /* 50000-59999 for the server, 40000-49999 for sipp: apart from the
   * ranges the RTP unit tests use (20000-39999) when run in parallel. */
  guint first_rtp = 50000 + 100 * g_random_int_range (0, 99);

  if (!s->dir)
    s->dir = tb_test_server_make_dir ();
  greeting = g_build_filename (s->dir, "greeting.wav", NULL);
  tb_test_write_tone (greeting, TB_TEST_TONE_HZ, 1.0, 16000);
  caller = g_build_filename (s->dir, "caller.wav", NULL);
  tb_test_write_mulaw_wav (caller, TB_TEST_CALLER_HZ, 2.0);
  recordings = g_build_filename (s->dir, "recordings", NULL);
  g_mkdir (recordings, 0700);
  s->sip_port = tb_test_free_port ();
  text = g_strdup_printf (
    "[talkingbits]\nplugin-path=\nrecordings-dir=recordings\n"
    "[sip]\nlisten=127.0.0.1:%u\n%s"
    "[http]\nlisten=%s\n"
    "[media]\nrtp-ports=%u-%u\n%s"
    "[agent:reception]\nnumbers=1000\ngreeting-file=greeting.wav\n"
    "[agent:slow]\nnumbers=1001\nanswer-delay-ms=10000\n%s",
    s->sip_port, sip_extra, http, first_rtp, first_rtp + 99, media_extra, groups);
  conf = tb_test_write_file (s->dir, "t.conf", text);
  s->log = g_build_filename (s->dir, "daemon.log", NULL);
  s->daemon = tb_test_start_daemon (conf, s->plugin_path ? s->plugin_path : "", s->log);
  ready = tb_test_wait_for_text (s->log, " ready (pid ");
  g_assert_nonnull (ready);
}

void
tb_test_server_start (TbTestServer *s, const char *sip_extra, const char *media_extra)
{
  tb_test_server_start_full (s, sip_extra, media_extra, "");
}

void
tb_test_server_stop (TbTestServer *s)
{
  if (s->daemon)
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
guint
tb_test_free_media_ports (void)
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

GSubprocess *
tb_test_sipp_start (TbTestServer *s, const TbTestSipp *options)
{
  g_autofree char *template = g_build_filename (TB_SOURCE_ROOT, "tests", "sipp",
                                                options->scenario, NULL);
  g_autofree char *xml = NULL;
  g_autofree char *scenario = g_build_filename (s->dir, options->scenario, NULL);
  g_autofree char *target = g_strdup_printf ("127.0.0.1:%u", s->sip_port);
  g_autofree char *port = g_strdup_printf ("%u", options->port ? options->port
                                                               : tb_test_free_port ());
  g_autofree char *media_port = g_strdup_printf ("%u", tb_test_free_media_ports ());
  g_autofree char *calls = g_strdup_printf ("%u", options->calls ? options->calls : 1);
  g_autofree char *rate = g_strdup_printf ("%u", options->rate);
  g_autofree char *timeout = g_strdup_printf ("%us", options->timeout_s ? options->timeout_s : 30);
  g_autofree char *errors_file = g_build_filename (s->dir, "sipp-errors.log", NULL);
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *sipp;
  GString *text;

  g_assert_true (g_file_get_contents (template, &xml, NULL, NULL));
  text = g_string_new (xml);
  for (guint i = 0; options->vars && options->vars[i]; i += 2)
    g_string_replace (text, options->vars[i], options->vars[i + 1], 0);
  g_assert_true (g_file_set_contents (scenario, text->str, -1, NULL));
  g_string_free (text, TRUE);

  g_ptr_array_add (argv, "sipp");
  g_ptr_array_add (argv, "-sf");
  g_ptr_array_add (argv, scenario);
  if (options->service) {
    g_ptr_array_add (argv, "-s");
    g_ptr_array_add (argv, (gpointer) options->service);
  }
  for (const char *const *a = (const char *const[]) {
         "-i", "127.0.0.1", "-p", port, "-mi", "127.0.0.1", "-mp", media_port, "-m", calls,
         "-timeout", timeout, "-timeout_error", "-nostdin", "-trace_err", "-error_file",
         errors_file, NULL }; *a; a++)
    g_ptr_array_add (argv, (gpointer) *a);
  if (options->rate) {
    for (const char *const *a = (const char *const[]) { "-r", rate, "-l", calls, NULL }; *a; a++)
      g_ptr_array_add (argv, (gpointer) *a);
  }
  if (options->tcp) {
    g_ptr_array_add (argv, "-t");
    g_ptr_array_add (argv, "t1");
  }
  /* TB_TEST_SIPP_TRACE=1 keeps every message in <dir>/<scenario>_<pid>_messages.log. */
  if (g_getenv ("TB_TEST_SIPP_TRACE"))
    g_ptr_array_add (argv, "-trace_msg");
  /* A client calls the server; without a service sipp waits for requests. */
  if (options->service)
    g_ptr_array_add (argv, target);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_set_cwd (launcher, s->dir);
  sipp = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  return sipp;
}

int
tb_test_sipp_run_with (TbTestServer *s, const TbTestSipp *options)
{
  g_autoptr(GSubprocess) sipp = tb_test_sipp_start (s, options);

  return tb_test_sipp_wait (s, sipp);
}

GSubprocess *
tb_test_sipp_spawn (TbTestServer *s, const char *name, const char *service, const char *status)
{
  const char *vars[] = { "@STATUS@", status ? status : "", NULL };
  TbTestSipp options = { .scenario = name, .service = service, .vars = vars };

  return tb_test_sipp_start (s, &options);
}

int
tb_test_sipp_wait (TbTestServer *s, GSubprocess *sipp)
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

int
tb_test_sipp_run (TbTestServer *s, const char *name, const char *service, const char *status)
{
  g_autoptr(GSubprocess) sipp = tb_test_sipp_spawn (s, name, service, status);

  return tb_test_sipp_wait (s, sipp);
}

#define CALL_END " ended: {"

/* The JSON of the end-of-call line at @at, to the end of the line. */
static char *
call_end_json (const char *at)
{
  const char *start = at + strlen (CALL_END) - 1;
  const char *end = strchr (start, '\n');

  return g_strndup (start, end ? (gsize) (end - start) : strlen (start));
}

char *
tb_test_server_wait_call_end (TbTestServer *s)
{
  g_autofree char *text = tb_test_wait_for_text (s->log, CALL_END);

  g_assert_nonnull (text);
  return call_end_json (strstr (text, CALL_END));
}

GPtrArray *
tb_test_server_wait_call_ends (TbTestServer *s, guint n, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  g_autoptr(GPtrArray) ends = g_ptr_array_new_with_free_func (g_free);

  for (;;) {
    g_autofree char *text = NULL;

    g_ptr_array_set_size (ends, 0);
    if (g_file_get_contents (s->log, &text, NULL, NULL)) {
      for (const char *at = strstr (text, CALL_END); at; at = strstr (at + 1, CALL_END))
        g_ptr_array_add (ends, call_end_json (at));
    }
    if (ends->len >= n || g_get_monotonic_time () >= deadline)
      break;
    g_usleep (100 * 1000);
  }
  if (ends->len < n)
    g_printerr ("waited in vain for %u ends of calls in %s: %u\n", n, s->log, ends->len);
  return g_steal_pointer (&ends);
}

guint64
tb_test_json_number (const char *json, const char *key)
{
  g_autofree char *pattern = g_strdup_printf ("\"%s\":", key);
  const char *at = strstr (json, pattern);

  g_assert_nonnull (at);
  return g_ascii_strtoull (at + strlen (pattern), NULL, 10);
}

