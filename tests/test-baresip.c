/* test-baresip.c — baresip, a real softphone, calls the daemon: it sends a
 * tone from a WAV file (aufile), records what it hears (sndfile), hangs up
 * when its file ends, and the recording must be the agent's greeting — a
 * chirp, found by normalised cross-correlation — not silence or noise. */
#include "audio-check.h"
#include "audio-file.h"
#include "test-server.h"
#include "test-util.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

/* The greeting: a rising chirp inside the telephone band, which matches
 * itself at one lag only. The negative control is the falling one. */
#define CHIRP_LOW_HZ 400.0
#define CHIRP_HIGH_HZ 3000.0
#define CHIRP_SECONDS 1.5
/* What baresip sends, and so how long the call lasts: it hangs up at the
 * end of its file. */
#define CALLER_SECONDS 3.0
/* baresip's audio: G.711 at 8 kHz; everything is compared at this rate. */
#define RATE 8000
/* Windows quieter than this RMS have no correlation worth the name. */
#define QUIET_RMS 100.0

/* ---- baresip, headless, in a directory of its own ---------------------- */

typedef struct {
  char *dir;         /* -f: config and accounts          */
  char *dump_dir;    /* sndfile's recordings             */
  char *log;
  GSubprocess *process;
} Baresip;

/* No audio hardware: the source is aufile, the player aubridge (a device
 * nobody listens to, clocked like a sound card), and sndfile dumps both
 * directions, as decoded and before encoding, to WAV files. SIP, RTP and
 * the address in the SDP stay on 127.0.0.1. */
static void
baresip_start (Baresip *b, TbTestServer *s, const char *send_wav)
{
  guint sip_port = tb_test_free_port ();
  guint rtp_port = tb_test_free_media_ports ();
  g_autofree char *config = NULL;
  g_autofree char *accounts = NULL;
  g_autofree char *text = NULL;
  g_autofree char *dial = g_strdup_printf ("/dial sip:1000@127.0.0.1:%u", s->sip_port);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;

  b->dir = g_build_filename (s->dir, "baresip", NULL);
  b->dump_dir = g_build_filename (b->dir, "dump", NULL);
  b->log = g_build_filename (s->dir, "baresip.log", NULL);
  g_assert_cmpint (g_mkdir_with_parents (b->dump_dir, 0700), ==, 0);
  text = g_strdup_printf ("poll_method epoll\n"
                          "net_interface 127.0.0.1\n"
                          "sip_listen 127.0.0.1:%u\n"
                          "sip_transports udp\n"
                          "rtp_ports %u-%u\n"
                          "audio_source aufile,%s\n"
                          "audio_player aubridge,nobody\n"
                          "audio_alert aubridge,nobody\n"
                          "module_path /usr/lib/baresip/modules\n"
                          "module g711.so\n"
                          "module aufile.so\n"
                          "module aubridge.so\n"
                          "module sndfile.so\n"
                          "module_app account.so\n"
                          "module_app menu.so\n"
                          "snd_path %s\n",
                          sip_port, rtp_port, rtp_port + 3, send_wav, b->dump_dir);
  config = tb_test_write_file (b->dir, "config", text);
  /* regint=0: no REGISTER, it only calls. */
  accounts = tb_test_write_file (b->dir, "accounts", "<sip:5551234@127.0.0.1>;regint=0\n");

  g_subprocess_launcher_set_child_setup (launcher, tb_test_die_with_parent, NULL, NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, b->log);
  g_subprocess_launcher_set_stderr_file_path (launcher, b->log);
  /* menu runs the -e command; -t quits in case the test never stops it. */
  b->process = g_subprocess_launcher_spawn (launcher, &error, "baresip", "-f", b->dir,
                                            "-e", dial, "-t", "30", NULL);
  g_assert_no_error (error);
}

/* Stops baresip (it has hung up already) and returns the path of what it
 * heard: sndfile's dump-TIME-dec.wav. */
static char *
baresip_stop (Baresip *b)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  char *heard = NULL;

  g_subprocess_send_signal (b->process, SIGTERM);
  g_subprocess_wait (b->process, NULL, &error);
  g_assert_no_error (error);
  dir = g_dir_open (b->dump_dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)))
    if (g_str_has_suffix (name, "-dec.wav"))
      heard = g_build_filename (b->dump_dir, name, NULL);
  if (!heard || g_test_failed ()) {
    g_autofree char *log = NULL;

    g_file_get_contents (b->log, &log, NULL, NULL);
    g_printerr ("baresip's output:\n%s\n", log ? log : "");
  }
  g_clear_object (&b->process);
  g_free (b->dir);
  g_free (b->dump_dir);
  g_free (b->log);
  return heard;
}

/* ---- the test --------------------------------------------------------- */

/* What baresip heard is the greeting as the agent sent it, loud and from
 * the start of the call, and not something else. */
static void
check_heard_greeting (const char *heard, const char *greeting)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  gsize n = 0, n_chirp = 0, n_falling = 0, lag = 0, other_lag = 0;
  g_autofree gint16 *recording = NULL;
  g_autofree gint16 *chirp = NULL;
  g_autofree gint16 *falling = tb_test_sweep (CHIRP_HIGH_HZ, CHIRP_LOW_HZ, CHIRP_SECONDS, RATE,
                                              &n_falling);
  g_autofree gint16 *noise = NULL;
  double match, with_falling, with_noise, level = 0;

  recording = tb_audio_file_read (heard, RATE, &n, &error);
  g_assert_no_error (error);
  chirp = tb_audio_file_read (greeting, RATE, &n_chirp, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, >, n_chirp);
  match = tb_test_best_correlation (recording, n, chirp, n_chirp, QUIET_RMS, &lag);
  for (gsize i = 0; i < n_chirp; i++)
    level += (double) recording[lag + i] * recording[lag + i];
  level = sqrt (level / n_chirp);
  /* Controls: the recording against the falling chirp, and the greeting
   * against noise as long and as loud as the recording. */
  with_falling = tb_test_best_correlation (recording, n, falling, n_falling, QUIET_RMS, &other_lag);
  noise = g_new (gint16, n);
  for (gsize i = 0; i < n; i++)
    noise[i] = (gint16) g_rand_int_range (rand, -8000, 8001);
  with_noise = tb_test_best_correlation (noise, n, chirp, n_chirp, QUIET_RMS, &other_lag);
  g_test_message ("recording %.2f s; greeting matched %.3f at %.3f s (RMS %.0f); "
                  "falling chirp %.3f; noise %.3f",
                  (double) n / RATE, match, (double) lag / RATE, level, with_falling, with_noise);

  g_assert_cmpfloat (match, >, 0.8);
  g_assert_cmpfloat (level, >, 2000);
  g_assert_cmpuint (lag, <, RATE);
  g_assert_cmpfloat (with_falling, <, 0.3);
  g_assert_cmpfloat (with_noise, <, 0.3);
}

static void
test_baresip_hears_greeting (void)
{
  TbTestServer s = { 0 };
  Baresip b = { 0 };
  g_autofree char *greeting = NULL;
  g_autofree char *send = NULL;
  g_autofree char *json = NULL;
  g_autofree char *heard = NULL;

  tb_test_server_start (&s, "", "transmit-silence=true\n");
  /* The agent's greeting is read when its first call starts: replace the
   * 440 Hz tone before calling. */
  greeting = g_build_filename (s.dir, "greeting.wav", NULL);
  tb_test_write_sweep (greeting, CHIRP_LOW_HZ, CHIRP_HIGH_HZ, CHIRP_SECONDS, 16000);
  /* aufile wants S16LE at the codec's rate. */
  send = g_build_filename (s.dir, "send.wav", NULL);
  tb_test_write_tone (send, TB_TEST_CALLER_HZ, CALLER_SECONDS, RATE);

  baresip_start (&b, &s, send);
  json = tb_test_server_wait_call_end (&s);
  heard = baresip_stop (&b);
  g_assert_true (tb_test_contains (json, "\"agent\":\"reception\""));
  g_assert_true (tb_test_contains (json, "\"answered\":true"));
  g_assert_true (tb_test_contains (json, "\"end_reason\":\"remote-bye\""));
  g_assert_true (tb_test_contains (json, "\"codec\":\"PCMU\""));
  /* Its file lasts 3 s: about 150 packets each way at 50 a second (we
   * send silence after the greeting: transmit-silence). */
  g_assert_cmpuint (tb_test_json_number (json, "received"), >, 100);
  g_assert_cmpuint (tb_test_json_number (json, "sent"), >, 100);
  g_assert_nonnull (heard);
  check_heard_greeting (heard, greeting);
  tb_test_server_stop (&s);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/baresip/hears-greeting", test_baresip_hears_greeting);
  return g_test_run ();
}
