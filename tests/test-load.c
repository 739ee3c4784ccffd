/* test-load.c — 100 concurrent calls from sipp, each with RTP both ways for
 * 30 s (the caller's tone in, the greeting and then silence out): every call
 * must be answered and end with the caller's BYE. The daemon's CPU time, peak
 * memory and threads over the calls are reported, not asserted (timings
 * belong to benchmarks). */
#include "test-server.h"
#include "test-util.h"

#include <gst/gst.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CALLS 100
#define CALL_SECONDS 30
/* New calls a second: all of them are up within 2 s. */
#define CALL_RATE 50

/* ---- the daemon's resources, from /proc ------------------------------- */

typedef struct {
  guint64 cpu_ticks;   /* utime + stime, in clock ticks */
  guint64 peak_rss_kib;  /* VmHWM */
  guint threads;
} ProcSample;

static void
proc_sample (int pid, ProcSample *sample)
{
  g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *status_path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *stat = NULL;
  g_autofree char *status = NULL;
  g_auto(GStrv) fields = NULL;
  const char *at;

  g_assert_true (g_file_get_contents (stat_path, &stat, NULL, NULL));
  g_assert_true (g_file_get_contents (status_path, &status, NULL, NULL));
  /* After "pid (comm) ", whose comm may hold spaces: field 3 (state) on;
   * utime and stime are fields 14 and 15. */
  at = strrchr (stat, ')');
  g_assert_nonnull (at);
  fields = g_strsplit (at + 2, " ", 0);
  g_assert_cmpuint (g_strv_length (fields), >, 12);
  sample->cpu_ticks = g_ascii_strtoull (fields[11], NULL, 10) +
                      g_ascii_strtoull (fields[12], NULL, 10);
  at = strstr (status, "VmHWM:");
  g_assert_nonnull (at);
  sample->peak_rss_kib = g_ascii_strtoull (at + strlen ("VmHWM:"), NULL, 10);
  at = strstr (status, "Threads:");
  g_assert_nonnull (at);
  sample->threads = (guint) g_ascii_strtoull (at + strlen ("Threads:"), NULL, 10);
}

/* Samples the thread count while the calls run, keeping the highest. */
typedef struct {
  int pid;
  gint stop;
  guint max_threads;
} Sampler;

static gpointer
sampler_run (gpointer data)
{
  Sampler *sampler = data;

  while (!g_atomic_int_get (&sampler->stop)) {
    ProcSample now;

    proc_sample (sampler->pid, &now);
    sampler->max_threads = MAX (sampler->max_threads, now.threads);
    g_usleep (200 * 1000);
  }
  return NULL;
}

/* ---- the test --------------------------------------------------------- */

static void
test_concurrent_calls (void)
{
  TbTestServer s = { 0 };
  TbTestSipp load = { .scenario = "uac-load.xml", .service = "1000", .calls = CALLS,
                      .rate = CALL_RATE, .timeout_s = CALL_SECONDS + 60 };
  g_autoptr(GPtrArray) ends = NULL;
  g_autoptr(GThread) thread = NULL;
  GSubprocess *sipp;
  Sampler sampler = { 0 };
  ProcSample before, after;
  gint64 started, finished;
  guint64 least_received = G_MAXUINT64, least_sent = G_MAXUINT64;
  double cpu_ms, wall_s, talk_s = 0, per_call_second;
  g_autofree char *summary = NULL;
  int status;

  /* Each call takes an even port: room for all of them. The later key
   * wins over the test server's own range of 100 ports. */
  tb_test_server_start (&s, "", "rtp-ports=50000-50399\ntransmit-silence=true\n");
  sampler.pid = atoi (g_subprocess_get_identifier (s.daemon));
  proc_sample (sampler.pid, &before);

  started = g_get_monotonic_time ();
  thread = g_thread_new ("sampler", sampler_run, &sampler);
  sipp = tb_test_sipp_start (&s, &load);
  status = tb_test_sipp_wait (&s, sipp);
  finished = g_get_monotonic_time ();
  proc_sample (sampler.pid, &after);
  g_atomic_int_set (&sampler.stop, 1);
  g_thread_join (g_steal_pointer (&thread));
  g_object_unref (sipp);
  g_assert_cmpint (status, ==, 0);

  ends = tb_test_server_wait_call_ends (&s, CALLS, 30);
  g_assert_cmpuint (ends->len, ==, CALLS);
  for (guint i = 0; i < ends->len; i++) {
    const char *json = ends->pdata[i];
    guint64 received = tb_test_json_number (json, "received");
    guint64 sent = tb_test_json_number (json, "sent");

    g_assert_true (tb_test_contains (json, "\"answered\":true"));
    g_assert_true (tb_test_contains (json, "\"end_reason\":\"remote-bye\""));
    /* 50 packets a second each way for 30 s is 1500; allow a fifth less
     * (a loaded machine, the first packets) and no duplicates to speak of. */
    g_assert_cmpuint (received, >, 1200);
    g_assert_cmpuint (received, <, 1600);
    g_assert_cmpuint (sent, >, 1200);
    g_assert_cmpuint (sent, <, 1600);
    least_received = MIN (least_received, received);
    least_sent = MIN (least_sent, sent);
    talk_s += tb_test_json_number (json, "talk_ms") / 1000.0;
  }

  cpu_ms = (after.cpu_ticks - before.cpu_ticks) * 1000.0 / sysconf (_SC_CLK_TCK);
  wall_s = (finished - started) / (double) G_USEC_PER_SEC;
  per_call_second = cpu_ms / talk_s;
  summary = g_strdup_printf ("%u calls x %u s: CPU %.2f ms per call-second, peak RSS %.1f MiB, "
                             "%u threads",
                             CALLS, CALL_SECONDS, per_call_second, after.peak_rss_kib / 1024.0,
                             sampler.max_threads);
  g_test_message ("%s", summary);
  g_test_message ("daemon: %.0f ms CPU in %.1f s (%.0f%% of one core) for %.0f call-seconds; "
                  "%u threads before the calls; RTP packets per call at the least: "
                  "%" G_GUINT64_FORMAT " received, %" G_GUINT64_FORMAT " sent",
                  cpu_ms, wall_s, cpu_ms / 10.0 / wall_s, talk_s, before.threads,
                  least_received, least_sent);
  printf ("%s\n", summary);
  fflush (stdout);
  tb_test_server_stop (&s);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/load/concurrent-calls", test_concurrent_calls);
  return g_test_run ();
}
