/* media-receive.c — caller -> dialog: RTP from the socket, reordered,
 * decoded by GStreamer elements on this thread, cut into 20 ms frames; RFC
 * 4733 events become digits; silence from the peer becomes a timeout. */
#define G_LOG_DOMAIN "tb-media"

#include "media-session-private.h"
#include "media-filter.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* Packets read per wake-up at most, so that a flood on one call cannot
 * starve the other calls of its worker; the rest wait for the next turn. */
#define MAX_PACKETS_PER_WAKEUP 64

static void
on_decoded (const guint8 *data, gsize size, gpointer user_data)
{
  TbMediaSession *session = user_data;

  tb_media_bytes_append (&session->decoded, data, size);
}

TbMediaChain *
tb_media_receive_chain_new (TbMediaSession *session, const TbCodec *codec, GError **error)
{
  g_autoptr(GstCaps) input = gst_caps_from_string (codec->caps);
  g_autoptr(GstCaps) output = tb_media_raw_caps (session->frame_rate);
  g_autofree char *name = g_strdup_printf ("inbound-%s", codec->encoding_name);
  GstElement *elements[8];
  guint n = 0;
  gboolean ok;

  ok = (elements[n++] = tb_media_make (codec->decoder, error)) &&
       (elements[n++] = tb_media_make ("audioconvert", error)) &&
       (elements[n++] = tb_media_make ("audioresample", error)) &&
       (elements[n++] = tb_media_make ("capsfilter", error));
  if (ok)
    g_object_set (elements[n - 1], "caps", output, NULL);
  /* The filter sees the frames' format; whatever it puts out is brought
   * back to it. */
  if (ok && session->inbound_filter)
    ok = (elements[n++] = tb_media_filter_new ("inbound filter", session->inbound_filter, error)) &&
         (elements[n++] = tb_media_make ("audioconvert", error)) &&
         (elements[n++] = tb_media_make ("audioresample", error)) &&
         (elements[n++] = tb_media_make ("capsfilter", error));
  if (!ok) {
    for (guint i = 0; i + 1 < n; i++)
      gst_object_unref (gst_object_ref_sink (elements[i]));
    return NULL;
  }
  if (session->inbound_filter)
    g_object_set (elements[n - 1], "caps", output, NULL);

  return tb_media_chain_new (GST_BIN (session->pipeline), name, input, TB_REORDER_MAX_PAYLOAD,
                             elements, n, on_decoded, session, error);
}

static gboolean
report_digit (TbMediaSession *session, const TbDtmfDigit *digit)
{
  g_debug ("media %s: DTMF %c, %u ms", session->name, digit->digit, digit->duration_ms);
  if (session->callbacks.dtmf)
    session->callbacks.dtmf (digit->digit, digit->duration_ms, session->user_data);
  return !session->freed;
}

static void
receive_event (TbMediaSession *session, const TbRtpPacket *packet)
{
  TbRtpEvent event;
  TbDtmfDigit digits[2];
  guint n;

  if (!tb_rtp_event_parse (packet->payload, packet->payload_size, &event))
    return;
  n = tb_dtmf_receiver_event (&session->dtmf_in, packet->timestamp, session->codec->clock_rate,
                              &event, digits);
  for (guint i = 0; i < n && report_digit (session, &digits[i]); i++)
    ;
}

static void
deliver_frames (TbMediaSession *session)
{
  gsize frame_bytes = session->frame_samples * sizeof (gint16);
  gsize done = 0;

  while (session->decoded.len - done >= frame_bytes) {
    session->stats.frames_delivered++;
    if (session->callbacks.frame)
      session->callbacks.frame ((const gint16 *) (tb_media_bytes_peek (&session->decoded) + done),
                                session->frame_samples, session->user_data);
    if (session->freed)
      return;
    done += frame_bytes;
  }
  tb_media_bytes_consume (&session->decoded, done);
}

static void
receive_audio (TbMediaSession *session, const TbRtpPacket *packet)
{
  const TbCodec *codec = session->codec;
  TbDtmfDigit digit;
  gsize before = session->decoded.len;

  /* Audio after an event whose end packets never came: the key is up. */
  if (tb_dtmf_receiver_audio (&session->dtmf_in, codec->clock_rate, &digit) &&
      !report_digit (session, &digit))
    return;
  if (!tb_media_chain_push (session->decoder, packet->payload, packet->payload_size,
                            gst_util_uint64_scale (packet->payload_size, TB_MEDIA_FRAME_MS * GST_MSECOND,
                                                   codec->bytes_per_20ms)))
    return;
  if (!session->decoder_primed) {
    /* A resampler holds back a few samples of each packet until the next
     * one comes: each frame would only be whole, and given, a packet
     * later (20 ms late). Silence for what the first packet came short of
     * puts every packet's audio in the frame given when it arrives
     * (shifted by those few samples). */
    gsize expected = session->frame_samples * sizeof (gint16) * packet->payload_size /
                     codec->bytes_per_20ms;
    gsize got = session->decoded.len - before;

    if (got > 0 && got < expected) {
      tb_media_bytes_insert_zeros (&session->decoded, before, (expected - got) & ~(gsize) 1);
      session->decoder_lag = (expected - got) / sizeof (gint16);
    }
    session->decoder_primed = got > 0;
  }
  deliver_frames (session);
}

static void
receive_in_order (TbMediaSession *session, const TbRtpPacket *packet)
{
  if (packet->payload_type == session->payload_type)
    receive_audio (session, packet);
  else
    receive_event (session, packet);
}

static gboolean
same_address (const struct sockaddr_storage *a, socklen_t a_len,
              const struct sockaddr_storage *b, socklen_t b_len)
{
  return a_len == b_len && a_len > 0 && memcmp (a, b, a_len) == 0;
}

/* Whether a packet from @from is the peer's: from the SDP's address (the
 * peer from then on), or, while nothing came from there, from the first
 * address that sent (the peer behind NAT). */
static gboolean
from_peer (TbMediaSession *session, const struct sockaddr_storage *from, socklen_t from_len)
{
  if (same_address (from, from_len, &session->expected, session->expected_len)) {
    if (!session->latched_expected) {
      memcpy (&session->latched, from, from_len);
      session->latched_len = from_len;
      session->latched_expected = TRUE;
    }
    return TRUE;
  }
  if (session->latched_len == 0) {
    memcpy (&session->latched, from, from_len);
    session->latched_len = from_len;
    return TRUE;
  }
  return same_address (from, from_len, &session->latched, session->latched_len);
}

static void
receive_datagram (TbMediaSession *session, const guint8 *data, gsize size,
                  const struct sockaddr_storage *from, socklen_t from_len)
{
  TbRtpPacket packet;
  const TbRtpPacket *ready;

  if (!from_peer (session, from, from_len) || !tb_rtp_parse (data, size, &packet) ||
      packet.payload_size == 0 ||
      (packet.payload_type != session->payload_type &&
       packet.payload_type != session->dtmf_payload_type)) {
    session->stats.packets_invalid++;
    return;
  }
  session->stats.packets_received++;
  session->last_received_us = tb_media_reactor_get_time (session->reactor);

  if (!session->have_remote_ssrc || packet.ssrc != session->remote_ssrc) {
    /* A new source (the peer restarted, or a transfer): a new sequence. */
    tb_reorder_reset (session->reorder);
    session->arrivals.have_last = FALSE;
    session->have_remote_ssrc = TRUE;
    session->remote_ssrc = packet.ssrc;
  }

  /* Every codec here has an 8000 Hz RTP clock (G.722's too, RFC 3551). */
  if (packet.payload_type == session->payload_type)
    tb_interarrival_add (&session->arrivals, session->arrived_us, packet.seq,
                         packet.timestamp, 8000);

  switch (tb_reorder_push (session->reorder, &packet)) {
  case TB_REORDER_IN_ORDER:
    receive_in_order (session, &packet);
    break;
  case TB_REORDER_KEPT:
    while (!session->freed && (ready = tb_reorder_pop (session->reorder)))
      receive_in_order (session, ready);
    break;
  case TB_REORDER_DROPPED:
    break;
  }
}

void
tb_media_receive_stamp_arrivals (TbMediaSession *session)
{
  int on = 1;

  if (setsockopt (session->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0)
    g_debug ("media: fd %d: no arrival stamps: %s", session->fd, g_strerror (errno));
}

/* When the datagram of @msg reached the socket, on the monotonic clock:
 * its kernel stamp is on the real-time clock, which read @real_us when the
 * monotonic one read @mono_us. Without a stamp, or with one the real-time
 * clock's steps make absurd, @mono_us. */
static gint64
arrival_us (struct msghdr *msg, gint64 mono_us, gint64 real_us)
{
  for (struct cmsghdr *c = CMSG_FIRSTHDR (msg); c; c = CMSG_NXTHDR (msg, c)) {
    struct timespec stamp;
    gint64 age_us;

    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
      continue;
    memcpy (&stamp, CMSG_DATA (c), sizeof stamp);
    age_us = real_us - ((gint64) stamp.tv_sec * G_USEC_PER_SEC + stamp.tv_nsec / 1000);
    return age_us >= 0 && age_us < G_USEC_PER_SEC ? mono_us - age_us : mono_us;
  }
  return mono_us;
}

/* The socket is readable: what it holds, up to MAX_PACKETS_PER_WAKEUP;
 * TRUE when it stopped there. */
gboolean
tb_media_receive_readable (gpointer user_data)
{
  TbMediaSession *session = user_data;
  /* One reading of both clocks: their difference is what converts the
   * stamps, however long the packets take to handle. */
  gint64 mono_us = g_get_monotonic_time ();
  gint64 real_us = g_get_real_time ();
  guint i;

  tb_media_session_enter (session);
  for (i = 0; i < MAX_PACKETS_PER_WAKEUP && !session->freed; i++) {
    /* recvmsg() rather than g_socket_receive_message(): "nothing more to
     * read" is the normal end of every wake-up and should not allocate a
     * GError. */
    struct sockaddr_storage from;
    struct iovec iov = { session->datagram, sizeof session->datagram };
    union {
      char buf[CMSG_SPACE (sizeof (struct timespec))];
      struct cmsghdr align;
    } control;
    struct msghdr msg = {
      .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
      .msg_control = control.buf, .msg_controllen = sizeof control.buf,
    };
    gssize size = recvmsg (session->fd, &msg, MSG_DONTWAIT);

    if (size < 0) {
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        g_debug ("media %s: receive: %s", session->name, g_strerror (errno));
      break;
    }
    session->arrived_us = arrival_us (&msg, mono_us, real_us);
    receive_datagram (session, session->datagram, size, &from, msg.msg_namelen);
  }
  return tb_media_session_leave (session) && i == MAX_PACKETS_PER_WAKEUP;
}

void
tb_media_receive_check_timeout (TbMediaSession *session, gint64 now_us)
{
  gboolean peer_sends = session->direction == TB_MEDIA_SENDRECV ||
                        session->direction == TB_MEDIA_RECVONLY;

  if (session->rtp_timeout_ms == 0 || session->timed_out || !peer_sends)
    return;
  if (now_us - session->last_received_us < (gint64) session->rtp_timeout_ms * 1000)
    return;
  session->timed_out = TRUE;
  g_debug ("media %s: no RTP for %u ms", session->name, session->rtp_timeout_ms);
  if (session->callbacks.timeout)
    session->callbacks.timeout (session->user_data);
}
