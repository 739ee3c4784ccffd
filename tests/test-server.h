/* test-server.h — the daemon as a test server on free ports, sipp as its
 * peer, and the test audio both use. The server's config has agent
 * "reception" on 1000 (greeting: a 1 s TB_TEST_TONE_HZ tone) and agent
 * "slow" on 1001 (answers after 10 s); calls are recorded in
 * <dir>/recordings, and <dir>/caller.wav is a 2 s TB_TEST_CALLER_HZ µ-law
 * tone for sipp's rtp_stream. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TB_TEST_TONE_HZ 440.0
#define TB_TEST_CALLER_HZ 300.0

typedef struct {
  char *dir;
  guint sip_port;
  char *log;
  GSubprocess *daemon;
  const char *plugin_path;   /* TALKINGBITS_PLUGIN_PATH of the daemon; NULL: none */
  guint http_port;           /* [http] listen on 127.0.0.1; 0: no HTTP server */
} TbTestServer;

/* A WAV of a @hz tone, @seconds long, at @rate, written with our writer. */
void tb_test_write_tone (const char *path, double hz, double seconds, guint rate);
/* A sweep (chirp) from @from_hz to @to_hz, linear in frequency: its
 * samples, or a WAV of it. A tone is a sweep from one frequency to itself. */
gint16 *tb_test_sweep (double from_hz, double to_hz, double seconds, guint rate, gsize *n_samples);
void tb_test_write_sweep (const char *path, double from_hz, double to_hz, double seconds,
                          guint rate);
/* sipp's rtp_stream sends a WAV's data as RTP payload: it must be µ-law. */
void tb_test_write_mulaw_wav (const char *path, double hz, double seconds);

/* A new temporary directory for a server. */
char *tb_test_server_make_dir (void);
/* @text spoken by espeak-ng into the WAV @path and, unless NULL, as
 * 8 kHz µ-law into @mulaw_path (for sipp's rtp_stream). */
void tb_test_write_speech (const char *path, const char *mulaw_path, const char *text);

/* Starts a daemon on free ports, in s->dir (made when NULL); @sip_extra and @media_extra are lines
 * added to the [sip] and [media] groups. */
void tb_test_server_start (TbTestServer *s, const char *sip_extra, const char *media_extra);
/* Same, with @groups (whole groups: "[trunk:x]\n...") appended. */
void tb_test_server_start_full (TbTestServer *s, const char *sip_extra, const char *media_extra,
                                const char *groups);
/* Stops it (printing its log when the test failed) and removes its dir. */
void tb_test_server_stop (TbTestServer *s);
/* The JSON of the first end-of-call log line. */
char *tb_test_server_wait_call_end (TbTestServer *s);
/* The JSON of every end-of-call line, once there are @n of them or after
 * @timeout_s seconds (then fewer, and the count is printed). */
GPtrArray *tb_test_server_wait_call_ends (TbTestServer *s, guint n, guint timeout_s);
/* The unsigned number after "@key": in @json. */
guint64 tb_test_json_number (const char *json, const char *key);

/* Four free consecutive UDP ports in 40000-49999 (sipp's media ports). */
guint tb_test_free_media_ports (void);
typedef struct {
  const char *scenario;         /* file name in tests/sipp/                    */
  const char *service;          /* number called; NULL: sipp waits for calls   */
  const char *const *vars;      /* "@NAME@", "value", ..., NULL: replaced in it */
  guint port;                   /* sipp's SIP port; 0: any free one             */
  guint calls;                  /* calls to make or take; 0: 1                  */
  gboolean tcp;                 /* SIP over TCP instead of UDP                  */
  guint rate;                   /* new calls a second, and all of them up at
                                 * once at the most; 0: sipp's default (10)     */
  guint timeout_s;              /* sipp gives up after this; 0: 30 s            */
} TbTestSipp;

GSubprocess *tb_test_sipp_start (TbTestServer *s, const TbTestSipp *options);
/* Starts sipp and waits for it; its exit status. */
int tb_test_sipp_run_with (TbTestServer *s, const TbTestSipp *options);
/* Starts sipp with scenario @name (tests/sipp/, with @STATUS@ replaced)
 * calling @service, for one call. */
GSubprocess *tb_test_sipp_spawn (TbTestServer *s, const char *name, const char *service,
                                 const char *status);
/* Waits for sipp; returns its exit status (0: every call as scripted). */
int tb_test_sipp_wait (TbTestServer *s, GSubprocess *sipp);
int tb_test_sipp_run (TbTestServer *s, const char *name, const char *service,
                      const char *status);

G_END_DECLS
