/* media-send.c — dialog -> caller: queued audio (or silence) sent as one
 * RTP packet per 20 ms on the reactor's drift-free ticks, encoded by
 * GStreamer elements on this thread; RFC 4733 events for DTMF; silence
 * suppression between talkspurts. */
#define G_LOG_DOMAIN "tb-media"

#include "media-session-private.h"
#include "media-filter.h"

#include <string.h>

/* The encoder's output for silence is taken as steady once this many
 * packets in a row came out the same; from then on it is sent as is and the
 * elements rest until there is audio again. */
#define SAME_PAYLOADS_FOR_IDLE 3

/* Asleep, a session still ticks this often, to notice an RTP timeout. */
#define ASLEEP_TICK_US G_USEC_PER_SEC

static void
on_encoded (const guint8 *data, gsize size, gpointer user_data)
{
  TbMediaSession *session = user_data;

  tb_media_bytes_append (&session->encoded, data, size);
}

TbMediaChain *
tb_media_send_chain_new (TbMediaSession *session, const TbCodec *codec, GError **error)
{
  g_autoptr(GstCaps) input = tb_media_raw_caps (session->frame_rate);
  g_autoptr(GstCaps) coded = tb_media_raw_caps (codec->sample_rate);
  g_autofree char *name = g_strdup_printf ("outbound-%s", codec->encoding_name);
  GstElement *elements[5];
  guint n = 0;
  gboolean ok = TRUE;

  if (session->outbound_filter)
    ok = (elements[n++] = tb_media_filter_new ("outbound filter", session->outbound_filter, error)) != NULL;
  ok = ok &&
       (elements[n++] = tb_media_make ("audioconvert", error)) &&
       (elements[n++] = tb_media_make ("audioresample", error)) &&
       (elements[n++] = tb_media_make ("capsfilter", error)) &&
       (elements[n++] = tb_media_make (codec->encoder, error));
  if (!ok) {
    for (guint i = 0; i + 1 < n; i++)
      gst_object_unref (gst_object_ref_sink (elements[i]));
    return NULL;
  }
  g_object_set (elements[n - 2], "caps", coded, NULL);

  return tb_media_chain_new (GST_BIN (session->pipeline), name, input,
                             session->frame_samples * sizeof (gint16), elements, n,
                             on_encoded, session, error);
}

static void
encode (TbMediaSession *session, const gint16 *frame)
{
  tb_media_chain_push (session->encoder, (const guint8 *) frame,
                       session->frame_samples * sizeof (gint16), TB_MEDIA_FRAME_MS * GST_MSECOND);
}

void
tb_media_send_reset (TbMediaSession *session, gboolean new_chain)
{
  gsize need = session->codec->bytes_per_20ms;

  tb_media_bytes_consume (&session->encoded, session->encoded.len);
  session->idle = FALSE;
  session->same_payloads = 0;
  g_free (session->idle_payload);
  session->idle_payload = g_malloc (need);
  session->last_input_silent = TRUE;
  if (new_chain)
    session->encoder_delay = 0;   /* G.722 keeps its frame ahead instead */
  /* A codec without a silent byte value (G.722) cannot be padded when the
   * resampler has not given enough yet: encode a frame of silence ahead, so
   * the encoder's output stays a frame ahead of what is sent. */
  if (session->codec->id == TB_CODEC_G722) {
    encode (session, session->silence);
    return;
  }
  if (new_chain) {
    /* How much a frame comes short by is what its resampler holds back
     * (none when the rates agree). That silence is dropped. */
    encode (session, session->silence);
    session->encoder_delay = session->encoded.len < need ? need - session->encoded.len : 0;
    tb_media_bytes_consume (&session->encoded, session->encoded.len);
  }
}

/* The first frame of audio after silence. Its packet would start with the
 * silence the resampler held back, and every packet after it would carry
 * audio that much late (4 ms from 16 kHz to 8 kHz): the samples after the
 * frame that make up for it are encoded with it, and the held-back silence
 * is dropped, so the audio starts with the packet. */
static void
encode_ahead (TbMediaSession *session, const gint16 *frame)
{
  const TbCodec *codec = session->codec;
  gsize ahead = (session->encoder_delay * session->frame_rate + codec->sample_rate - 1) /
                codec->sample_rate * sizeof (gint16);
  gsize queued = MIN (ahead, session->queue.len & ~(gsize) 1);
  gsize need = codec->bytes_per_20ms;
  guint64 per_byte_ns = TB_MEDIA_FRAME_MS * GST_MSECOND / (session->frame_samples * sizeof (gint16));

  encode (session, frame);
  if (queued > 0)
    tb_media_chain_push (session->encoder, tb_media_bytes_peek (&session->queue), queued,
                         queued * per_byte_ns);
  tb_media_bytes_consume (&session->queue, queued);
  if (ahead > queued)
    tb_media_chain_push (session->encoder, (const guint8 *) session->silence, ahead - queued,
                         (ahead - queued) * per_byte_ns);
  if (session->encoded.len > need)
    tb_media_bytes_consume (&session->encoded, session->encoded.len - need);
}

static void
send_packet (TbMediaSession *session, guint8 payload_type, gboolean marker, guint32 timestamp,
             const guint8 *payload, gsize size)
{
  TbRtpPacket header = {
    .marker = marker,
    .payload_type = payload_type,
    .seq = session->seq++,
    .timestamp = timestamp,
    .ssrc = session->ssrc,
  };
  g_autoptr(GError) error = NULL;

  tb_rtp_write_header (session->packet, &header);
  memcpy (session->packet + TB_RTP_HEADER_SIZE, payload, size);
  if (g_socket_send_to (session->socket, session->remote, (const char *) session->packet,
                        TB_RTP_HEADER_SIZE + size, NULL, &error) < 0) {
    /* Once per session above debug level: a peer that went away would
     * otherwise log 50 lines a second. */
    if (!session->send_failed)
      g_warning ("media %s: cannot send RTP: %s", session->name, error->message);
    else
      g_debug ("media %s: cannot send RTP: %s", session->name, error->message);
    session->send_failed = TRUE;
    return;
  }
  session->stats.packets_sent++;
}

/* The next packet's worth of encoded audio for @frame, or NULL. */
static const guint8 *
encoded_payload (TbMediaSession *session, const gint16 *frame)
{
  const TbCodec *codec = session->codec;
  gsize need = codec->bytes_per_20ms;

  if (session->idle && frame == session->silence)
    return session->idle_payload;

  if (frame != session->silence && session->last_input_silent && session->encoder_delay > 0 &&
      session->encoder_delay < need)
    encode_ahead (session, frame);
  else
    encode (session, frame);
  session->last_input_silent = frame == session->silence;
  if (session->encoded.len < need) {
    if (codec->id == TB_CODEC_G722) {
      g_debug ("media %s: encoder %" G_GSIZE_FORMAT " bytes short", session->name,
               need - session->encoded.len);
      return NULL;
    }
    /* The resampler holds back a few samples at the start. */
    g_debug ("media %s: %" G_GSIZE_FORMAT " bytes of padding", session->name,
             need - session->encoded.len);
    while (session->encoded.len < need)
      tb_media_bytes_append (&session->encoded, &codec->silence_byte, 1);
  }
  if (session->encoded.len > 4 * need)  /* never expected; bounds the lag */
    tb_media_bytes_consume (&session->encoded, session->encoded.len - need);

  if (frame == session->silence &&
      memcmp (session->idle_payload, tb_media_bytes_peek (&session->encoded), need) == 0) {
    if (++session->same_payloads + 1 >= SAME_PAYLOADS_FOR_IDLE)
      session->idle = TRUE;
  } else {
    session->same_payloads = 0;
    memcpy (session->idle_payload, tb_media_bytes_peek (&session->encoded), need);
  }
  return tb_media_bytes_peek (&session->encoded);
}

static void
send_audio (TbMediaSession *session, const gint16 *frame)
{
  const guint8 *payload = encoded_payload (session, frame);

  if (!payload)
    return;
  send_packet (session, session->payload_type, session->marker, session->timestamp,
               payload, session->codec->bytes_per_20ms);
  session->marker = FALSE;
  if (payload != session->idle_payload)
    tb_media_bytes_consume (&session->encoded, session->codec->bytes_per_20ms);
}

/* The next frame of queued audio, or the silence frame. */
static const gint16 *
take_frame (TbMediaSession *session)
{
  gsize frame_bytes = session->frame_samples * sizeof (gint16);
  gsize size = MIN (frame_bytes, session->queue.len);

  if (size == 0)
    return session->silence;
  memcpy (session->frame, tb_media_bytes_peek (&session->queue), size);
  memset ((guint8 *) session->frame + size, 0, frame_bytes - size);
  tb_media_bytes_consume (&session->queue, size);
  return session->frame;
}

static void
send_event (TbMediaSession *session, gboolean sending)
{
  TbRtpEvent event;
  guint32 timestamp;
  gboolean marker;
  guint8 payload[TB_RTP_EVENT_SIZE];

  if (!tb_dtmf_sender_tick (&session->dtmf_out, session->timestamp,
                            session->codec->clock_rate / (1000 / TB_MEDIA_FRAME_MS),
                            &event, &timestamp, &marker)) {
    /* The pause between two keys. */
    if (sending)
      send_audio (session, session->silence);
    return;
  }
  tb_rtp_event_write (payload, &event);
  if (sending)
    send_packet (session, session->dtmf_payload_type, marker, timestamp, payload, sizeof payload);
}

/* Nothing queued, no keys, and the encoder gives steady silence: with
 * silence suppression, nothing more is sent until there is audio. */
static gboolean
may_sleep (TbMediaSession *session)
{
  return !session->transmit_silence && session->idle && session->queue.len == 0 &&
         !tb_dtmf_sender_busy (&session->dtmf_out);
}

void
tb_media_send_wake (TbMediaSession *session)
{
  guint32 rate = session->codec->clock_rate;
  gint64 due;

  if (!session->asleep || !session->member)
    return;
  /* Never closer to the last packet than a packet's length. */
  due = MAX (tb_media_reactor_place (session->reactor, g_get_monotonic_time ()),
             session->wake_due);
  session->timestamp += (guint32) ((due - session->wake_due) * rate / G_USEC_PER_SEC);
  session->marker = TRUE;
  session->asleep = FALSE;
  tb_media_reactor_schedule (session->reactor, session->member, due);
}

gint64
tb_media_send_next_time (TbMediaSession *session)
{
  gint64 now = g_get_monotonic_time ();

  if (session->asleep)
    return MAX (tb_media_reactor_place (session->reactor, now), session->wake_due);
  /* An overdue tick comes at once. */
  return MAX (tb_media_reactor_get_due (session->member), now);
}

gboolean
tb_media_send_tick (guint skipped, gpointer user_data)
{
  TbMediaSession *session = user_data;
  guint32 per_packet = session->codec->clock_rate / (1000 / TB_MEDIA_FRAME_MS);
  /* On hold (or before the peer gave an address) the queue still plays
   * out in real time, into nowhere, so the dialog's timing holds. */
  gboolean sending = session->remote &&
                     (session->direction == TB_MEDIA_SENDRECV ||
                      session->direction == TB_MEDIA_SENDONLY);

  tb_media_session_enter (session);
  tb_media_receive_check_timeout (session, tb_media_reactor_get_time (session->reactor));
  if (!session->asleep && !session->freed && may_sleep (session)) {
    /* This tick's packet is the one not sent; the timestamp stays its. */
    session->wake_due = tb_media_reactor_get_due (session->member) - TB_MEDIA_REACTOR_PERIOD_US;
    session->asleep = TRUE;
  }
  if (session->asleep) {
    if (!session->freed)
      tb_media_reactor_schedule (session->reactor, session->member,
                                 tb_media_reactor_get_time (session->reactor) + ASLEEP_TICK_US);
    return tb_media_session_leave (session);
  }
  session->timestamp += skipped * per_packet;

  if (!session->freed && tb_dtmf_sender_busy (&session->dtmf_out)) {
    /* The audio queue waits while keys are sent (RFC 4733 2.5.1.4). */
    send_event (session, sending);
  } else if (!session->freed) {
    const gint16 *frame = take_frame (session);

    if (sending)
      send_audio (session, frame);
    if (session->draining && session->queue.len == 0) {
      session->draining = FALSE;
      if (session->callbacks.drained)
        session->callbacks.drained (session->user_data);
    }
  }
  session->timestamp += per_packet;
  return tb_media_session_leave (session);
}
