/* test-media.c — media sessions with real GStreamer elements on loopback:
 * two sessions talking to each other for every codec, pacing, flush, DTMF,
 * garbage, timeouts, filters, direction, re-negotiation and the DOT dump.
 * The test's thread plays the call's worker. */
#include "media-session.h"
#include "reactor.h"
#include "audio-check.h"
#include "test-util.h"
#include "rtp.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <math.h>
#include <string.h>

static char *dot_dir;

/* ---- signal analysis ---------------------------------------------------- */

/* The strongest of a few candidate frequencies around and between the
 * tone's: 440 must win by far for a clean tone. */
static void
assert_tone_440 (const gint16 *samples, gsize n, guint rate)
{
  const double others[] = { 220, 330, 550, 660, 880, 1000, 1500 };
  double at_440 = tb_test_goertzel (samples, n, rate, 440);
  guint crossings = 0;

  for (guint i = 0; i < G_N_ELEMENTS (others); i++) {
    double other = tb_test_goertzel (samples, n, rate, others[i]);

    if (at_440 < 20 * other)
      g_error ("440 Hz: %g, %g Hz: %g", at_440, others[i], other);
  }
  /* And the zero crossings agree: 880 per second. */
  for (gsize i = 1; i < n; i++)
    crossings += (samples[i - 1] < 0) != (samples[i] < 0);
  g_assert_cmpfloat (fabs (crossings * (double) rate / n - 880), <, 20);
}

static gint16 *
make_tone (guint rate, guint ms, gsize *n)
{
  gint16 *samples;

  *n = (gsize) rate * ms / 1000;
  samples = g_new (gint16, *n);
  for (gsize i = 0; i < *n; i++)
    samples[i] = 8000 * sin (2 * G_PI * 440 * i / rate);
  return samples;
}

/* ---- a peer: a socket, a session and what it got -------------------------- */

typedef struct {
  GSocket *socket;
  guint port;
  TbMediaSession *session;
  guint frame_rate;
  GArray *samples;          /* every sample received */
  guint frames;
  guint bad_frames;         /* frames of the wrong size */
  GString *digits;
  guint n_digits;
  guint timeouts;
  gint64 timeout_at;
  guint drained;
  gboolean free_in_frame;   /* frees its session from the frame callback */
  const TbMediaParams *update_in_frame;  /* ... or updates it, once */
  gint64 arrival_us, lag_us;  /* the last frame's, as the session says */
} Peer;

static void
on_frame (const gint16 *samples, gsize n_samples, gpointer user_data)
{
  Peer *peer = user_data;

  peer->frames++;
  peer->arrival_us = tb_media_session_get_arrival_us (peer->session);
  peer->lag_us = tb_media_session_get_receive_lag_us (peer->session);
  if (n_samples != peer->frame_rate / 50)
    peer->bad_frames++;
  g_array_append_vals (peer->samples, samples, n_samples);
  if (peer->free_in_frame)
    g_clear_pointer (&peer->session, tb_media_session_free);
  if (peer->update_in_frame) {
    g_autoptr(GError) error = NULL;

    g_assert_true (tb_media_session_update (peer->session, peer->update_in_frame, &error));
    g_assert_no_error (error);
    peer->update_in_frame = NULL;
  }
}

static void
on_dtmf (char digit, guint duration_ms, gpointer user_data)
{
  Peer *peer = user_data;

  g_string_append_c (peer->digits, digit);
  peer->n_digits++;
  g_assert_cmpuint (duration_ms, ==, 100);
}

static void
on_timeout (gpointer user_data)
{
  Peer *peer = user_data;

  peer->timeouts++;
  peer->timeout_at = g_get_monotonic_time ();
}

static void
on_drained (gpointer user_data)
{
  Peer *peer = user_data;

  peer->drained++;
}

static const TbMediaCallbacks callbacks = { on_frame, on_dtmf, on_timeout, on_drained };

/* A socket on a port below the kernel's ephemeral range (32768 up): the
 * SIP tests running beside us take their RTP ports in that range, and their
 * peers' last packets must not land in these sessions. */
static GSocket *
loopback_socket (guint *port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);
  for (guint attempt = 0; attempt < 200; attempt++) {
    g_autoptr(GSocketAddress) at = NULL;

    *port = g_random_int_range (20000, 32000);
    at = g_inet_socket_address_new_from_string ("127.0.0.1", *port);
    if (g_socket_bind (socket, at, FALSE, NULL))
      return g_steal_pointer (&socket);
  }
  g_error ("no free UDP port in 20000-31999");
}

static void
peer_init (Peer *peer, guint frame_rate)
{
  memset (peer, 0, sizeof *peer);
  peer->socket = loopback_socket (&peer->port);
  peer->frame_rate = frame_rate;
  peer->samples = g_array_new (FALSE, FALSE, sizeof (gint16));
  peer->digits = g_string_new (NULL);
}

static void
peer_clear (Peer *peer)
{
  g_clear_pointer (&peer->session, tb_media_session_free);
  g_clear_object (&peer->socket);
  g_array_unref (peer->samples);
  g_string_free (peer->digits, TRUE);
}

typedef struct {
  TbMediaParams params;
  GSocketAddress *remote;
} Params;

static void
params_init (Params *p, const TbCodec *codec, guint frame_rate, guint remote_port,
             const char *name)
{
  memset (p, 0, sizeof *p);
  p->remote = g_inet_socket_address_new_from_string ("127.0.0.1", remote_port);
  p->params.codec = codec;
  p->params.payload_type = codec->static_payload_type;
  p->params.dtmf_payload_type = 101;
  p->params.remote = p->remote;
  p->params.direction = TB_MEDIA_SENDRECV;
  p->params.frame_rate = frame_rate;
  p->params.transmit_silence = TRUE;
  p->params.name = name;
}

static void
params_clear (Params *p)
{
  g_clear_object (&p->remote);
}

static void
peer_start (Peer *peer, const TbMediaParams *params)
{
  g_autoptr(GError) error = NULL;

  peer->session = tb_media_session_new (peer->socket, g_main_context_get_thread_default (),
                                        params, &callbacks, peer, &error);
  g_assert_no_error (error);
  g_assert_nonnull (peer->session);
  g_assert_cmpuint (tb_media_session_get_local_port (peer->session), ==, peer->port);
}

/* Two peers A and B on @codec, A sending to B and B to A. */
static void
pair_start (Peer *a, Peer *b, const TbCodec *codec, guint frame_rate)
{
  Params pa, pb;

  peer_init (a, frame_rate);
  peer_init (b, frame_rate);
  params_init (&pa, codec, frame_rate, b->port, "a");
  params_init (&pb, codec, frame_rate, a->port, "b");
  peer_start (a, &pa.params);
  peer_start (b, &pb.params);
  params_clear (&pa);
  params_clear (&pb);
}

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the thread's context (the test is the worker) for @ms. */
static void
run_for (guint ms)
{
  GMainContext *context = g_main_context_get_thread_default ();
  gboolean done = FALSE;
  GSource *timer = g_timeout_source_new (ms);

  g_source_set_callback (timer, set_flag, &done, NULL);
  g_source_attach (timer, context);
  while (!done)
    g_main_context_iteration (context, TRUE);
  g_source_unref (timer);
}

/* Runs until *@flag is at least @value, for @ms at most. */
static void
run_until (const guint *counter, guint value, guint ms)
{
  GMainContext *context = g_main_context_get_thread_default ();
  gboolean done = FALSE;
  GSource *timer = g_timeout_source_new (ms);

  g_source_set_callback (timer, set_flag, &done, NULL);
  g_source_attach (timer, context);
  while (!done && *counter < value)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);
}

static TbMediaStats
stats_of (Peer *peer)
{
  TbMediaStats stats;

  tb_media_session_get_stats (peer->session, &stats);
  return stats;
}

/* Frames of @peer from @first on, with the tone in them: the loud run. */
static void
loud_span (Peer *peer, guint first, guint *start, guint *end)
{
  guint per_frame = peer->frame_rate / 50;

  *start = *end = 0;
  for (guint f = first; f < peer->frames; f++) {
    double level = tb_test_rms (&g_array_index (peer->samples, gint16, f * per_frame), per_frame);

    if (level > 2000) {
      if (*end == 0)
        *start = f;
      *end = f + 1;
    }
  }
}

/* ---- two sessions talking ------------------------------------------------- */

typedef struct {
  TbCodecId codec;
  guint frame_rate;
} Setup;

static void
test_tone (gconstpointer data)
{
  const Setup *setup = data;
  guint rate = setup->frame_rate;
  Peer a, b;
  gsize n_tone;
  g_autofree gint16 *tone = make_tone (rate, 1000, &n_tone);
  guint start, end, per_frame = rate / 50;
  TbMediaStats stats;

  pair_start (&a, &b, tb_codec_get (setup->codec), rate);
  /* Some silence first: the sender's idle state must give way to audio. */
  run_for (200);
  tb_media_session_play (a.session, tone, n_tone);
  g_assert_cmpuint (stats_of (&a).samples_queued, ==, n_tone);
  run_until (&a.drained, 1, 3000);
  g_assert_cmpuint (a.drained, ==, 1);
  run_for (200);

  g_assert_cmpuint (b.frames, >, 0);
  g_assert_cmpuint (b.bad_frames, ==, 0);
  g_assert_cmpuint (b.samples->len, ==, b.frames * per_frame);
  loud_span (&b, 0, &start, &end);
  /* One second of tone is 50 frames; the edges may fall half in. */
  g_assert_cmpuint (end - start, >=, 49);
  g_assert_cmpuint (end - start, <=, 51);
  /* Its middle is a clean 440 Hz well above silence, and before it was silence. */
  assert_tone_440 (&g_array_index (b.samples, gint16, (start + 5) * per_frame), 40 * per_frame, rate);
  g_assert_cmpfloat (tb_test_rms (&g_array_index (b.samples, gint16, (start + 5) * per_frame), 40 * per_frame),
                     >, 3000);
  g_assert_cmpfloat (tb_test_rms (&g_array_index (b.samples, gint16, 0), MIN (start, 5) * per_frame), <, 50);
  g_assert_cmpuint (a.drained, ==, 1);

  stats = stats_of (&b);
  g_assert_cmpuint (stats.packets_received, >, 50);
  g_assert_cmpuint (stats.packets_invalid, ==, 0);
  g_assert_cmpuint (stats.packets_lost, ==, 0);
  g_assert_cmpuint (stats.frames_delivered, ==, b.frames);
  g_assert_cmpuint (stats_of (&a).samples_queued, ==, 0);
  peer_clear (&a);
  peer_clear (&b);
}

static void
test_pacing (void)
{
  Peer a, b;
  guint64 before, after;
  gint64 t0, t1;
  double per_second;

  pair_start (&a, &b, tb_codec_get (TB_CODEC_PCMU), 16000);
  run_for (100);
  before = stats_of (&b).packets_received;
  t0 = g_get_monotonic_time ();
  run_for (1000);
  after = stats_of (&b).packets_received;
  t1 = g_get_monotonic_time ();
  per_second = (after - before) * 1e6 / (t1 - t0);
  g_test_message ("%.1f packets per second", per_second);
  /* 50 expected; loose, this is not a benchmark. */
  g_assert_cmpfloat (per_second, >=, 40);
  g_assert_cmpfloat (per_second, <=, 60);
  g_assert_cmpuint (stats_of (&a).packets_sent, >=, after);
  peer_clear (&a);
  peer_clear (&b);
}

static void
test_flush (gconstpointer data)
{
  const Setup *setup = data;
  guint rate = setup->frame_rate, per_frame = rate / 50;
  Peer a, b;
  gsize n_tone;
  g_autofree gint16 *tone = make_tone (rate, 3000, &n_tone);
  guint at_flush, start, end, in_flight;
  TbMediaStats stats;

  pair_start (&a, &b, tb_codec_get (setup->codec), rate);
  tb_media_session_play (a.session, tone, n_tone);
  run_for (500);
  at_flush = b.frames;
  stats = stats_of (&a);
  in_flight = stats.packets_sent - stats_of (&b).packets_received;
  tb_media_session_flush (a.session);
  g_assert_cmpuint (stats_of (&a).samples_queued, ==, 0);
  run_for (400);

  /* The tone was there, and is gone right after the flush: what remains is
   * what was on the wire, the part of a frame B had not completed yet and
   * the resamplers' delay (a few milliseconds on either side). */
  g_assert_cmpfloat (tb_test_rms (&g_array_index (b.samples, gint16, (at_flush - 5) * per_frame),
                          5 * per_frame), >, 3000);
  loud_span (&b, 0, &start, &end);
  g_test_message ("%u packets in flight, tone until frame %d after the flush",
                  in_flight, (int) (end - at_flush));
  g_assert_cmpuint (end, <=, at_flush + in_flight + 2);
  g_assert_cmpfloat (tb_test_rms (&g_array_index (b.samples, gint16, (at_flush + in_flight + 2) * per_frame),
                          (b.frames - at_flush - in_flight - 2) * per_frame), <, 50);
  g_assert_cmpuint (b.frames - at_flush, >, 15);
  /* Flushed audio was not all sent: no drained(). */
  g_assert_cmpuint (a.drained, ==, 0);
  peer_clear (&a);
  peer_clear (&b);
}

static void
test_dtmf (void)
{
  Peer a, b;
  g_autoptr(GError) error = NULL;

  pair_start (&a, &b, tb_codec_get (TB_CODEC_PCMA), 8000);
  g_assert_true (tb_media_session_send_dtmf (a.session, "12#", &error));
  g_assert_no_error (error);
  run_until (&b.n_digits, 3, 3000);
  /* Every retransmitted end packet has arrived by now; none repeats a digit. */
  run_for (300);
  g_assert_cmpstr (b.digits->str, ==, "12#");
  g_assert_cmpstr (a.digits->str, ==, "");
  /* 3 keys of 9 packets each, and audio around them, on one sequence. */
  g_assert_cmpuint (stats_of (&b).packets_lost, ==, 0);
  g_assert_cmpuint (stats_of (&b).packets_invalid, ==, 0);

  g_assert_false (tb_media_session_send_dtmf (a.session, "1x", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  peer_clear (&a);
  peer_clear (&b);
}

static void
test_dtmf_not_agreed (void)
{
  Peer a;
  Params p;
  g_autoptr(GError) error = NULL;

  peer_init (&a, 8000);
  params_init (&p, tb_codec_get (TB_CODEC_PCMU), 8000, 9, "no-dtmf");
  p.params.dtmf_payload_type = -1;
  peer_start (&a, &p.params);
  g_assert_false (tb_media_session_send_dtmf (a.session, "1", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  params_clear (&p);
  peer_clear (&a);
}

/* Sends @n datagrams of random bytes to @port, letting the worker read
 * between bursts so none is lost to a full socket buffer. */
static void
send_garbage (GSocket *from, guint port, guint n, gboolean make_invalid)
{
  g_autoptr(GSocketAddress) to = g_inet_socket_address_new_from_string ("127.0.0.1", port);
  guint8 datagram[300];

  for (guint i = 0; i < n; i++) {
    gsize size = g_random_int_range (0, sizeof datagram);
    g_autoptr(GError) error = NULL;

    for (gsize j = 0; j < size; j++)
      datagram[j] = g_random_int_range (0, 256);
    if (make_invalid) {
      switch (i % 3) {
      case 0:   /* not version 2 */
        if (size > 0)
          datagram[0] = (datagram[0] & 0x3F) | (g_random_boolean () ? 0x40 : 0xC0);
        break;
      case 1:   /* shorter than a header */
        size = g_random_int_range (0, TB_RTP_HEADER_SIZE);
        break;
      case 2: { /* well formed, with a payload type nobody agreed */
        TbRtpPacket header = { .payload_type = 96, .seq = i, .ssrc = 42 };

        size = MAX (size, TB_RTP_HEADER_SIZE + 1);
        tb_rtp_write_header (datagram, &header);
        break;
      }
      }
    }
    g_socket_send_to (from, to, (const char *) datagram, size, NULL, &error);
    g_assert_no_error (error);
    if (i % 20 == 19)
      while (g_main_context_iteration (g_main_context_get_thread_default (), FALSE))
        ;
  }
}

/* Well-formed key presses from an address that is not the peer's (a
 * stray or forged sender) are not the caller's: no digit, counted as
 * invalid; the peer's own keys still arrive. */
static void
test_stray_sender (void)
{
  Peer a, b;
  guint port;
  g_autoptr(GSocket) stray = loopback_socket (&port);
  g_autoptr(GSocketAddress) to = NULL;
  g_autoptr(GError) error = NULL;
  guint8 datagram[TB_RTP_HEADER_SIZE + 4];

  pair_start (&a, &b, tb_codec_get (TB_CODEC_PCMU), 8000);
  run_for (100);   /* the peer has been heard from */
  to = g_inet_socket_address_new_from_string ("127.0.0.1", b.port);
  for (guint i = 0; i < 10; i++) {
    TbRtpPacket header = { .payload_type = 101, .seq = 1000 + i, .timestamp = 5000,
                           .ssrc = 4242 };
    TbRtpEvent event = { .event = 5, .end = i >= 5, .volume = 10,
                         .duration = (guint16) (160 * (i + 1)) };

    tb_rtp_write_header (datagram, &header);
    tb_rtp_event_write (datagram + TB_RTP_HEADER_SIZE, &event);
    g_socket_send_to (stray, to, (const char *) datagram, sizeof datagram, NULL, &error);
    g_assert_no_error (error);
  }
  run_for (300);
  g_assert_cmpstr (b.digits->str, ==, "");
  g_assert_cmpuint (stats_of (&b).packets_invalid, >=, 10);

  g_assert_true (tb_media_session_send_dtmf (a.session, "7", &error));
  run_until (&b.n_digits, 1, 3000);
  g_assert_cmpstr (b.digits->str, ==, "7");
  peer_clear (&a);
  peer_clear (&b);
}

/* A frame's time is when its packet reached the socket, not when a busy
 * worker got round to reading it: packets sent while the worker sleeps
 * keep their arrival times. */
static void
test_arrival_stamps (void)
{
  Peer b;
  Params pb;
  guint port;
  g_autoptr(GSocket) sender = loopback_socket (&port);
  g_autoptr(GSocketAddress) to = NULL;
  g_autoptr(GError) error = NULL;
  guint8 datagram[TB_RTP_HEADER_SIZE + 160];
  gint64 sent_us = 0;

  peer_init (&b, 8000);
  params_init (&pb, tb_codec_get (TB_CODEC_PCMU), 8000, port, "b");
  peer_start (&b, &pb.params);
  params_clear (&pb);
  to = g_inet_socket_address_new_from_string ("127.0.0.1", b.port);
  memset (datagram + TB_RTP_HEADER_SIZE, 0xff, 160);   /* µ-law silence */
  for (guint i = 0; i < 5; i++) {
    TbRtpPacket header = { .payload_type = 0, .seq = 100 + i, .timestamp = 8000 + 160 * i,
                           .ssrc = 77 };

    tb_rtp_write_header (datagram, &header);
    g_socket_send_to (sender, to, (const char *) datagram, sizeof datagram, NULL, &error);
    g_assert_no_error (error);
    sent_us = g_get_monotonic_time ();
    g_usleep (20000);
  }
  /* The worker is busy for another 60 ms. */
  g_usleep (60000);
  run_until (&b.frames, 5, 2000);
  g_assert_cmpuint (b.frames, ==, 5);
  /* The last packet arrived as it was sent, 80 ms before it was read. */
  g_assert_cmpint (b.arrival_us, <=, sent_us);
  g_assert_cmpint (b.arrival_us, >, sent_us - 5000);
  g_assert_cmpint (b.lag_us, >=, 75000);
  g_assert_cmpuint (stats_of (&b).packets_received, ==, 5);
  peer_clear (&b);
}

static guint
open_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir))
    n++;
  return n;
}

/* A session's end frees all it had: its pipeline (whose bus holds two
 * sockets) too, whatever messages the pipeline posted. Counted after a
 * first pair, so that what lives for the process (GStreamer's own, made
 * on first use) is there before. */
static void
test_nothing_left (void)
{
  guint before = 0;

  for (guint round = 0; round < 2; round++) {
    Peer a, b;

    if (round == 1)
      before = open_fds ();
    pair_start (&a, &b, tb_codec_get (TB_CODEC_PCMU), 16000);
    run_for (100);
    g_assert_cmpuint (a.frames, >, 0);
    peer_clear (&a);
    peer_clear (&b);
  }
  g_assert_cmpuint (open_fds (), ==, before);
}

static void
test_garbage (void)
{
  Peer a, b;
  guint port;
  g_autoptr(GSocket) attacker = loopback_socket (&port);
  gsize n_tone;
  g_autofree gint16 *tone = make_tone (16000, 1000, &n_tone);
  TbMediaStats stats;
  guint start, end;

  pair_start (&a, &b, tb_codec_get (TB_CODEC_PCMU), 16000);

  /* Pure noise: nothing breaks, every datagram is counted one way or the
   * other (a few random ones do look like PCMU). In bursts of 100 that the
   * socket holds until its read window ends (a flood beyond what the
   * socket holds is dropped by the kernel, uncounted). */
  for (guint i = 0; i < 30; i++) {
    send_garbage (attacker, b.port, 100, FALSE);
    run_for (2 * TB_MEDIA_REACTOR_READ_US / 1000);
  }
  stats = stats_of (&b);
  g_assert_cmpuint (stats.packets_invalid, >, 2900);
  tb_media_session_free (b.session);
  b.session = NULL;
  g_array_set_size (b.samples, 0);
  b.frames = 0;
  {
    Params p;

    params_init (&p, tb_codec_get (TB_CODEC_PCMU), 16000, a.port, "b2");
    peer_start (&b, &p.params);
    params_clear (&p);
  }

  /* Invalid datagrams in the middle of a tone: counted, and the tone
   * comes through whole. */
  tb_media_session_play (a.session, tone, n_tone);
  for (guint i = 0; i < 10; i++) {
    send_garbage (attacker, b.port, 60, TRUE);
    run_for (60);
  }
  run_until (&a.drained, 1, 2000);
  run_for (200);
  stats = stats_of (&b);
  g_assert_cmpuint (stats.packets_invalid, ==, 600);
  g_assert_cmpuint (stats.packets_lost, ==, 0);
  g_assert_cmpuint (b.bad_frames, ==, 0);
  loud_span (&b, 0, &start, &end);
  g_assert_cmpuint (end - start, >=, 49);
  assert_tone_440 (&g_array_index (b.samples, gint16, (start + 5) * 320), 40 * 320, 16000);
  peer_clear (&a);
  peer_clear (&b);
}

static void
test_timeout (void)
{
  Peer a, b;
  Params p;
  gint64 stopped;

  peer_init (&a, 8000);
  peer_init (&b, 8000);
  params_init (&p, tb_codec_get (TB_CODEC_PCMU), 8000, a.port, "b");
  p.params.rtp_timeout_ms = 300;
  peer_start (&b, &p.params);
  params_clear (&p);
  params_init (&p, tb_codec_get (TB_CODEC_PCMU), 8000, b.port, "a");
  peer_start (&a, &p.params);
  params_clear (&p);

  run_for (500);
  g_assert_cmpuint (b.timeouts, ==, 0);
  g_clear_pointer (&a.session, tb_media_session_free);
  stopped = g_get_monotonic_time ();
  run_until (&b.timeouts, 1, 2000);
  g_assert_cmpuint (b.timeouts, ==, 1);
  g_assert_cmpint (b.timeout_at - stopped, >=, 250000);
  run_for (400);
  g_assert_cmpuint (b.timeouts, ==, 1);  /* once */
  peer_clear (&a);
  peer_clear (&b);
}

/* The packets that reach a plain socket, with when they came. */
typedef struct {
  guint32 timestamp;
  gboolean marker;
  gint64 at;
  int peak;                 /* loudest sample (G.711 mu-law) */
} Heard;

static int ulaw_to_linear (guint8 byte);

/* Runs the thread's context for @ms, taking what reaches @socket. */
static void
run_hearing (GSocket *socket, guint ms, GArray *heard)
{
  GMainContext *context = g_main_context_get_thread_default ();
  gint64 end = g_get_monotonic_time () + ms * 1000;
  guint8 buffer[512];

  while (g_get_monotonic_time () < end) {
    gssize size;

    while (g_main_context_iteration (context, FALSE))
      ;
    while ((size = g_socket_receive (socket, (char *) buffer, sizeof buffer, NULL, NULL)) > 0) {
      TbRtpPacket packet;
      Heard h = { .at = g_get_monotonic_time () };

      g_assert_true (tb_rtp_parse (buffer, size, &packet));
      h.timestamp = packet.timestamp;
      h.marker = packet.marker;
      for (gsize i = 0; i < packet.payload_size; i++)
        h.peak = MAX (h.peak, ABS (ulaw_to_linear (packet.payload[i])));
      g_array_append_val (heard, h);
    }
    g_usleep (200);
  }
}

/* Silence suppression: A sends a few packets of silence and then nothing;
 * its audio goes out as soon as it is queued, the first packet marked and
 * its timestamp advanced by the time that passed; then nothing again; and
 * asleep, A still notices that nothing comes from its peer. */
static void
test_silence_suppression (void)
{
  Peer a, raw;
  Params pa;
  gsize n_tone;
  g_autofree gint16 *tone = make_tone (16000, 200, &n_tone);
  g_autoptr(GArray) heard = g_array_new (FALSE, FALSE, sizeof (Heard));
  guint before, loud = 0;
  gint64 played;
  Heard *first, *last;

  peer_init (&a, 16000);
  peer_init (&raw, 16000);
  params_init (&pa, tb_codec_get (TB_CODEC_PCMU), 16000, raw.port, "a");
  pa.params.transmit_silence = FALSE;
  pa.params.rtp_timeout_ms = 1500;
  peer_start (&a, &pa.params);
  params_clear (&pa);
  run_hearing (raw.socket, 300, heard);
  before = heard->len;
  g_assert_cmpuint (before, >, 0);
  g_assert_cmpuint (before, <=, 6);
  run_hearing (raw.socket, 300, heard);
  g_assert_cmpuint (heard->len, ==, before);

  played = g_get_monotonic_time ();
  tb_media_session_play (a.session, tone, n_tone);
  run_hearing (raw.socket, 500, heard);
  first = &g_array_index (heard, Heard, before);
  last = &g_array_index (heard, Heard, before - 1);
  g_test_message ("first packet %.1f ms after the audio was queued", (first->at - played) / 1000.0);
  /* Not at the old stream's next 20 ms point: at once (A is alone). */
  g_assert_cmpint (first->at - played, <, 8000);
  g_assert_true (first->marker);
  g_assert_cmpint (first->peak, >, 1000);
  /* The timestamp moved on by the time that passed. */
  g_assert_cmpfloat (fabs ((double) (guint32) (first->timestamp - last->timestamp) / 8000.0 -
                           (first->at - last->at) / 1e6), <, 0.004);
  for (guint i = before; i < heard->len; i++)
    loud += g_array_index (heard, Heard, i).peak > 500;
  g_assert_cmpuint (loud, ==, 10);
  g_assert_cmpuint (heard->len - before, <=, 10 + 4);   /* and a few of silence */
  before = heard->len;
  run_hearing (raw.socket, 300, heard);
  g_assert_cmpuint (heard->len, ==, before);

  /* Nothing ever came to A: its timeout, while it sleeps. */
  g_assert_cmpuint (a.timeouts, ==, 0);
  run_until (&a.timeouts, 1, 2500);
  g_assert_cmpuint (a.timeouts, ==, 1);
  peer_clear (&a);
  peer_clear (&raw);
}

/* A G.711 byte as a linear sample. */
static int
ulaw_to_linear (guint8 byte)
{
  int b = ~byte & 0xff;
  int magnitude = ((((b & 0x0f) << 3) + 0x84) << ((b >> 4) & 7)) - 0x84;

  return b & 0x80 ? -magnitude : magnitude;
}

/* The audio starts with its packet: 200 ms of tone queued after silence
 * is exactly 10 packets, loud from their first millisecond (the
 * resampler's held-back silence is not sent before it). */
static void
test_send_aligned (void)
{
  Peer a, raw;
  Params pa;
  gsize n_tone;
  g_autofree gint16 *tone = make_tone (16000, 200, &n_tone);
  guint loud_packets = 0;
  gboolean first_checked = FALSE;
  guint8 buffer[512];

  peer_init (&a, 16000);
  peer_init (&raw, 16000);
  params_init (&pa, tb_codec_get (TB_CODEC_PCMU), 16000, raw.port, "a");
  peer_start (&a, &pa.params);
  params_clear (&pa);
  run_for (100);
  while (g_socket_receive (raw.socket, (char *) buffer, sizeof buffer, NULL, NULL) > 0)
    ;
  tb_media_session_play (a.session, tone, n_tone);
  run_until (&a.drained, 1, 2000);
  run_for (100);
  for (;;) {
    gssize size = g_socket_receive (raw.socket, (char *) buffer, sizeof buffer, NULL, NULL);
    TbRtpPacket packet;
    int peak = 0, start_peak = 0;

    if (size <= 0)
      break;
    g_assert_true (tb_rtp_parse (buffer, size, &packet));
    g_assert_cmpuint (packet.payload_size, ==, 160);
    for (gsize i = 0; i < packet.payload_size; i++) {
      int sample = ABS (ulaw_to_linear (packet.payload[i]));

      peak = MAX (peak, sample);
      if (i < 8)
        start_peak = MAX (start_peak, sample);
    }
    if (peak < 500)
      continue;
    loud_packets++;
    if (!first_checked) {
      /* 440 Hz from phase 0 reaches 3000 within its first millisecond. */
      g_assert_cmpint (start_peak, >, 1000);
      first_checked = TRUE;
    }
  }
  g_assert_cmpuint (loud_packets, ==, 10);
  peer_clear (&a);
  peer_clear (&raw);
}

static void
test_timeout_on_hold (void)
{
  Peer b;
  Params p;
  g_autoptr(GError) error = NULL;
  gint64 resumed;

  /* The peer holds us (we only send): its silence is no timeout. */
  peer_init (&b, 8000);
  params_init (&p, tb_codec_get (TB_CODEC_PCMU), 8000, 9, "held");
  p.params.rtp_timeout_ms = 200;
  p.params.direction = TB_MEDIA_SENDONLY;
  peer_start (&b, &p.params);
  run_for (500);
  g_assert_cmpuint (b.timeouts, ==, 0);

  /* Off hold: the timeout counts from now. */
  p.params.direction = TB_MEDIA_SENDRECV;
  resumed = g_get_monotonic_time ();
  g_assert_true (tb_media_session_update (b.session, &p.params, &error));
  g_assert_no_error (error);
  run_until (&b.timeouts, 1, 1000);
  g_assert_cmpuint (b.timeouts, ==, 1);
  g_assert_cmpint (b.timeout_at - resumed, >=, 150000);
  params_clear (&p);
  peer_clear (&b);
}

static void
test_filters (void)
{
  Peer a, b;
  Params pa, pb;
  gsize n_tone;
  g_autofree gint16 *tone = make_tone (16000, 500, &n_tone);
  gint16 loudest = 0;

  /* B hears through a filter that mutes everything. */
  peer_init (&a, 16000);
  peer_init (&b, 16000);
  params_init (&pa, tb_codec_get (TB_CODEC_PCMU), 16000, b.port, "a");
  params_init (&pb, tb_codec_get (TB_CODEC_PCMU), 16000, a.port, "b");
  pb.params.inbound_filter = "volume volume=0.0";
  peer_start (&a, &pa.params);
  peer_start (&b, &pb.params);
  tb_media_session_play (a.session, tone, n_tone);
  run_until (&a.drained, 1, 2000);
  run_for (200);
  g_assert_cmpuint (b.frames, >, 25);
  g_assert_cmpuint (b.bad_frames, ==, 0);
  for (guint i = 0; i < b.samples->len; i++)
    loudest = MAX (loudest, ABS (g_array_index (b.samples, gint16, i)));
  g_assert_cmpint (loudest, ==, 0);
  /* ... while A, without a filter, hears B's (silent) stream all the same. */
  g_assert_cmpuint (a.frames, >, 25);
  params_clear (&pa);
  params_clear (&pb);
  peer_clear (&a);
  peer_clear (&b);

  /* A speaks through a filter that halves the level and changes the format
   * on the way (the chain converts back). */
  peer_init (&a, 16000);
  peer_init (&b, 16000);
  params_init (&pa, tb_codec_get (TB_CODEC_G722), 16000, b.port, "a");
  params_init (&pb, tb_codec_get (TB_CODEC_G722), 16000, a.port, "b");
  pa.params.outbound_filter = "audioconvert ! audio/x-raw,format=F32LE ! volume volume=0.5";
  peer_start (&a, &pa.params);
  peer_start (&b, &pb.params);
  tb_media_session_play (a.session, tone, n_tone);
  run_until (&a.drained, 1, 2000);
  run_for (200);
  {
    guint start, end;
    const gint16 *middle;
    double level;

    loud_span (&b, 0, &start, &end);
    g_assert_cmpuint (end - start, >=, 20);
    middle = &g_array_index (b.samples, gint16, (start + 3) * 320);
    level = tb_test_rms (middle, 15 * 320);
    /* 8000 peak is 5657 RMS; halved: 2828. */
    g_assert_cmpfloat (level, >, 2400);
    g_assert_cmpfloat (level, <, 3300);
    assert_tone_440 (middle, 15 * 320, 16000);
  }
  params_clear (&pa);
  params_clear (&pb);
  peer_clear (&a);
  peer_clear (&b);
}

static void
test_bad_filters (void)
{
  const struct {
    const char *description;
    const char *says;
  } bad[] = {
    { "nosuchelement ! volume", "nosuchelement" },
    { "volume volum=0.5", "volum" },
    { "volume !", "volume !" },
    { "audiotestsrc ! volume", "one free input" },
    { "volume audiotestsrc ! fakesink", "audiotestsrc is a source" },
    { "volume fakesink", "fakesink is a sink" },
    { "queue", "queue starts a thread" },
  };
  Peer a;
  Params p;

  g_assert_true (tb_media_check_filter ("volume volume=0.5", NULL));
  g_assert_true (tb_media_check_filter ("audioconvert ! volume ! audioresample", NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr(GError) error = NULL;

    g_assert_false (tb_media_check_filter (bad[i].description, &error));
    g_assert_nonnull (error);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, bad[i].description));
    g_assert_nonnull (strstr (error->message, bad[i].says));
  }

  peer_init (&a, 8000);
  params_init (&p, tb_codec_get (TB_CODEC_PCMU), 8000, 9, "bad");
  for (guint out = 0; out < 2; out++) {
    g_autoptr(GError) error = NULL;
    TbMediaSession *session;

    p.params.inbound_filter = out ? NULL : "nosuchelement";
    p.params.outbound_filter = out ? "nosuchelement" : NULL;
    session = tb_media_session_new (a.socket, NULL, &p.params, &callbacks, &a, &error);
    g_assert_null (session);
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, out ? "outbound filter 'nosuchelement'"
                                                  : "inbound filter 'nosuchelement'"));
  }
  params_clear (&p);
  peer_clear (&a);
}

static void
test_recvonly (void)
{
  Peer a, b;
  Params pa, pb;
  gsize n_tone;
  g_autofree gint16 *tone = make_tone (8000, 400, &n_tone);
  g_autoptr(GError) error = NULL;

  /* A holds the call (a=sendonly from the peer means we only receive). */
  peer_init (&a, 8000);
  peer_init (&b, 8000);
  params_init (&pa, tb_codec_get (TB_CODEC_PCMU), 8000, b.port, "a");
  params_init (&pb, tb_codec_get (TB_CODEC_PCMU), 8000, a.port, "b");
  pa.params.direction = TB_MEDIA_RECVONLY;
  pb.params.direction = TB_MEDIA_SENDONLY;
  peer_start (&a, &pa.params);
  peer_start (&b, &pb.params);
  tb_media_session_play (a.session, tone, n_tone);
  run_for (600);
  g_assert_cmpuint (stats_of (&a).packets_sent, ==, 0);
  g_assert_cmpuint (stats_of (&b).packets_received, ==, 0);
  g_assert_cmpuint (b.frames, ==, 0);
  /* The queue still plays out in time, into nowhere. */
  g_assert_cmpuint (a.drained, ==, 1);
  /* B's audio does reach A. */
  g_assert_cmpuint (a.frames, >, 20);
  g_assert_cmpuint (stats_of (&b).packets_sent, >, 20);

  /* Off hold: A sends again. */
  pa.params.direction = TB_MEDIA_SENDRECV;
  g_assert_true (tb_media_session_update (a.session, &pa.params, &error));
  g_assert_no_error (error);
  run_for (200);
  g_assert_cmpuint (stats_of (&b).packets_received, >, 5);
  params_clear (&pa);
  params_clear (&pb);
  peer_clear (&a);
  peer_clear (&b);
}

static void
test_update (void)
{
  Peer a, b, c;
  Params pa, pc;
  gsize n_tone;
  g_autofree gint16 *tone = make_tone (8000, 600, &n_tone);
  g_autoptr(GError) error = NULL;
  guint64 b_before;
  guint start, end, first;

  pair_start (&a, &b, tb_codec_get (TB_CODEC_PCMU), 8000);
  peer_init (&c, 8000);
  params_init (&pc, tb_codec_get (TB_CODEC_PCMA), 8000, a.port, "c");
  pc.params.payload_type = 8;
  peer_start (&c, &pc.params);
  run_for (200);
  g_assert_cmpuint (stats_of (&b).packets_received, >, 5);
  g_assert_cmpuint (stats_of (&c).packets_received, ==, 0);

  /* A re-INVITE moves A's stream to C, on PCMA. */
  params_init (&pa, tb_codec_get (TB_CODEC_PCMA), 8000, c.port, "a");
  g_assert_true (tb_media_session_update (a.session, &pa.params, &error));
  g_assert_no_error (error);
  while (g_main_context_iteration (g_main_context_get_thread_default (), FALSE))
    ;
  b_before = stats_of (&b).packets_received;
  first = c.frames;
  tb_media_session_play (a.session, tone, n_tone);
  run_until (&a.drained, 1, 2000);
  run_for (200);
  g_assert_cmpuint (stats_of (&b).packets_received, ==, b_before);
  g_assert_cmpuint (stats_of (&c).packets_invalid, ==, 0);
  loud_span (&c, first, &start, &end);
  g_assert_cmpuint (end - start, >=, 29);
  assert_tone_440 (&g_array_index (c.samples, gint16, (start + 3) * 160), 20 * 160, 8000);

  /* A's own receiving side now expects PCMA: B's PCMU is not its stream. */
  {
    guint64 invalid = stats_of (&a).packets_invalid;

    run_for (100);
    g_assert_cmpuint (stats_of (&a).packets_invalid, >, invalid);
  }

  /* The frame rate is the dialog's and cannot change. */
  pa.params.frame_rate = 16000;
  g_assert_false (tb_media_session_update (a.session, &pa.params, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);

  params_clear (&pa);
  params_clear (&pc);
  peer_clear (&a);
  peer_clear (&b);
  peer_clear (&c);
}

static void
test_free_in_callback (void)
{
  Peer a, b;

  pair_start (&a, &b, tb_codec_get (TB_CODEC_G722), 16000);
  b.free_in_frame = TRUE;
  run_until (&b.frames, 1, 1000);
  g_assert_null (b.session);
  run_for (100);
  g_assert_cmpuint (b.frames, ==, 1);
  peer_clear (&a);
  peer_clear (&b);
}

static void
test_update_in_callback (void)
{
  Peer a, b;
  Params pa, pb;
  gsize n_tone;
  g_autofree gint16 *tone = make_tone (16000, 600, &n_tone);
  g_autoptr(GError) error = NULL;
  guint start, end, first;

  /* B switches to G.722 from inside its frame callback (a re-INVITE
   * handled as the caller speaks); then A follows and plays a tone. */
  pair_start (&a, &b, tb_codec_get (TB_CODEC_PCMU), 16000);
  params_init (&pa, tb_codec_get (TB_CODEC_G722), 16000, b.port, "a");
  params_init (&pb, tb_codec_get (TB_CODEC_G722), 16000, a.port, "b");
  b.update_in_frame = &pb.params;
  run_until (&b.frames, 1, 1000);
  g_assert_null (b.update_in_frame);
  g_assert_true (tb_media_session_update (a.session, &pa.params, &error));
  g_assert_no_error (error);
  run_for (100);
  first = b.frames;
  tb_media_session_play (a.session, tone, n_tone);
  run_until (&a.drained, 1, 2000);
  run_for (200);
  g_assert_cmpuint (b.bad_frames, ==, 0);
  loud_span (&b, first, &start, &end);
  g_assert_cmpuint (end - start, >=, 29);
  assert_tone_440 (&g_array_index (b.samples, gint16, (start + 3) * 320), 20 * 320, 16000);
  params_clear (&pa);
  params_clear (&pb);
  peer_clear (&a);
  peer_clear (&b);
}

static void
test_dot_dump (void)
{
  Peer a;
  Params p;
  g_autofree char *path = g_build_filename (dot_dir, "talkingbits-dot-call.dot", NULL);
  g_autofree char *dot = NULL;

  peer_init (&a, 16000);
  params_init (&p, tb_codec_get (TB_CODEC_G722), 16000, 9, "dot-call");
  p.params.inbound_filter = "volume volume=2";
  peer_start (&a, &p.params);
  g_assert_true (g_file_get_contents (path, &dot, NULL, NULL));
  g_assert_nonnull (strstr (dot, "avdec_g722"));
  g_assert_nonnull (strstr (dot, "avenc_g722"));
  g_assert_nonnull (strstr (dot, "volume"));
  params_clear (&p);
  peer_clear (&a);
}

int
main (int argc, char **argv)
{
  static const Setup pcmu = { TB_CODEC_PCMU, 16000 };
  static const Setup pcma = { TB_CODEC_PCMA, 16000 };
  static const Setup g722 = { TB_CODEC_G722, 16000 };
  static const Setup pcmu_8k = { TB_CODEC_PCMU, 8000 };
  static const Setup g722_8k = { TB_CODEC_G722, 8000 };
  g_autoptr(GMainContext) worker = g_main_context_new ();
  int ret;

  /* Read by gst_init(): the DOT test looks for the session's graph there. */
  dot_dir = g_dir_make_tmp ("test-media-XXXXXX", NULL);
  g_setenv ("GST_DEBUG_DUMP_DOT_DIR", dot_dir, TRUE);
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  /* The test thread plays the call's worker. */
  g_main_context_push_thread_default (worker);

  g_test_add_data_func ("/media/tone/PCMU", &pcmu, test_tone);
  g_test_add_data_func ("/media/tone/PCMA", &pcma, test_tone);
  g_test_add_data_func ("/media/tone/G722", &g722, test_tone);
  g_test_add_data_func ("/media/tone/PCMU-8k", &pcmu_8k, test_tone);
  g_test_add_data_func ("/media/tone/G722-8k", &g722_8k, test_tone);
  g_test_add_func ("/media/pacing", test_pacing);
  g_test_add_func ("/media/arrival-stamps", test_arrival_stamps);
  g_test_add_func ("/media/nothing-left", test_nothing_left);
  g_test_add_data_func ("/media/flush/PCMU", &pcmu, test_flush);
  g_test_add_data_func ("/media/flush/G722", &g722, test_flush);
  g_test_add_func ("/media/dtmf", test_dtmf);
  g_test_add_func ("/media/stray-sender", test_stray_sender);
  g_test_add_func ("/media/dtmf/not-agreed", test_dtmf_not_agreed);
  g_test_add_func ("/media/garbage", test_garbage);
  g_test_add_func ("/media/timeout", test_timeout);
  g_test_add_func ("/media/timeout/hold", test_timeout_on_hold);
  g_test_add_func ("/media/silence-suppression", test_silence_suppression);
  g_test_add_func ("/media/send-aligned", test_send_aligned);
  g_test_add_func ("/media/filters", test_filters);
  g_test_add_func ("/media/filters/bad", test_bad_filters);
  g_test_add_func ("/media/recvonly", test_recvonly);
  g_test_add_func ("/media/update", test_update);
  g_test_add_func ("/media/free-in-callback", test_free_in_callback);
  g_test_add_func ("/media/update-in-callback", test_update_in_callback);
  g_test_add_func ("/media/dot-dump", test_dot_dump);
  ret = g_test_run ();

  g_main_context_pop_thread_default (worker);
  tb_test_remove_tree (dot_dir);
  g_free (dot_dir);
  gst_deinit ();
  return ret;
}
