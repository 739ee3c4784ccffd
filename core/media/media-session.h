/* media-session.h — one call's audio: RTP in and out on a UDP socket, coded
 * and decoded by GStreamer elements that are driven synchronously on the
 * call's worker thread (no streaming threads per call).
 *
 * Caller -> dialog: RTP packets read from the socket on @context, reordered,
 *   decoded (mulawdec/alawdec/avdec_g722 ! audioconvert ! audioresample !
 *   [inbound-filter]) and delivered as 20 ms mono S16LE frames at
 *   frame_rate. RFC 4733 events with the negotiated payload type become
 *   digits.
 * Dialog -> caller: audio queued with tb_media_session_play() at frame_rate
 *   is sent paced in real time, one 20 ms RTP packet every 20 ms
 *   ([outbound-filter] ! audioconvert ! audioresample ! encoder). While
 *   nothing is queued, either encoded silence keeps the stream going
 *   (transmit_silence), or, after a few packets of it, nothing is sent
 *   (silence suppression, RFC 3551 4.1): the next audio then goes out as
 *   soon as it is queued rather than at the old grid's next 20 ms point,
 *   its first packet marked as a talkspurt's start and its timestamp
 *   advanced by the time that passed. Symmetric RTP:
 *   packets leave from the socket they arrive on. Packets are taken from
 *   the peer only: from its SDP address, or (behind NAT) from the first
 *   address that sent until something comes from the SDP's; a stray
 *   sender's are dropped and counted as invalid.
 *
 * Every function must be called on the thread that runs @context; every
 * callback is invoked there, never from inside the function that caused it
 * to be due. A callback may call any function here, tb_media_session_free()
 * included.
 *
 * The program must have called gst_init() (the daemon's main does, and so
 * does every test that uses this), before any function here, including
 * tb_media_check_filter(). */
#pragma once

#include "codec.h"

#include <gio/gio.h>

G_BEGIN_DECLS

#define TB_MEDIA_FRAME_MS 20

typedef enum {
  TB_MEDIA_SENDRECV,
  TB_MEDIA_SENDONLY,  /* we send, the peer does not (peer put us on hold: a=recvonly) */
  TB_MEDIA_RECVONLY,  /* the peer sends, we do not (peer holds: a=sendonly) */
  TB_MEDIA_INACTIVE,
} TbMediaDirection;

typedef struct {
  const TbCodec *codec;
  guint8 payload_type;          /* negotiated PT of the audio codec          */
  gint dtmf_payload_type;       /* telephone-event PT, -1 when not agreed    */
  GSocketAddress *remote;       /* where to send RTP (from the peer's SDP)   */
  TbMediaDirection direction;
  guint frame_rate;             /* rate of frames in and out, e.g. 16000     */
  const char *inbound_filter;   /* gst-launch bin description, or NULL       */
  const char *outbound_filter;  /* gst-launch bin description, or NULL       */
  guint rtp_timeout_ms;         /* no RTP for this long -> timeout(); 0 = off */
  gboolean transmit_silence;    /* packets of silence while nothing is queued */
  const char *name;             /* for logs and the DOT dump, the call id    */
} TbMediaParams;

typedef struct {
  /* A 20 ms frame of the caller's audio: frame_rate / 50 samples. */
  void (*frame) (const gint16 *samples, gsize n_samples, gpointer user_data);
  /* A DTMF digit ('0'-'9', '*', '#', 'A'-'D'), once per key press. */
  void (*dtmf) (char digit, guint duration_ms, gpointer user_data);
  /* No RTP arrived for rtp_timeout_ms (not while the peer holds the call). */
  void (*timeout) (gpointer user_data);
  /* Everything queued with play() has been sent (or, while we do not
   * send, played out in real time). Not called for audio dropped by flush(). */
  void (*drained) (gpointer user_data);
} TbMediaCallbacks;

typedef struct {
  guint64 packets_received;
  guint64 packets_sent;
  guint64 packets_lost;        /* sequence gaps never filled */
  guint64 packets_invalid;     /* not RTP, or an unexpected payload type */
  guint64 frames_delivered;
  guint64 samples_queued;      /* audio waiting to be sent, at frame_rate */
  /* 99th percentile of the peer's audio packets' interval jitter (arrival
   * interval against timestamp interval), ms; -1 before two in a row. */
  double interval_jitter_p99_ms;
} TbMediaStats;

typedef struct _TbMediaSession TbMediaSession;

/* Uses @socket (bound, non-blocking; see TbRtpPorts), keeping a reference
 * to it. Builds the element chains (a bad filter description is an error
 * naming it) and, when the GST_DEBUG_DUMP_DOT_DIR environment variable was
 * set when gst_init() ran, writes "talkingbits-<params->name>.dot" there.
 * Sending and receiving start at once. @context is the worker's (NULL: the
 * thread-default context). The strings in @params are copied. */
TbMediaSession *tb_media_session_new (GSocket *socket, GMainContext *context,
                                      const TbMediaParams *params,
                                      const TbMediaCallbacks *callbacks, gpointer user_data,
                                      GError **error);
void tb_media_session_free (TbMediaSession *session);

/* A new offer/answer (re-INVITE): remote address, direction, codec and
 * payload types, RTP timeout. The frame rate and the filters stay as they
 * were (a different frame rate is G_IO_ERROR_NOT_SUPPORTED). A remote
 * address of all zeros means "send nothing" (RFC 2543 hold). */
gboolean tb_media_session_update (TbMediaSession *session, const TbMediaParams *params,
                                  GError **error);

/* Queues audio (mono S16LE at frame_rate) to send after what is queued. */
void tb_media_session_play (TbMediaSession *session, const gint16 *samples, gsize n_samples);
/* Drops everything queued at once (barge-in); the next packet is silence. */
void tb_media_session_flush (TbMediaSession *session);
/* Sends RFC 4733 events for @digits (needs dtmf_payload_type >= 0). */
gboolean tb_media_session_send_dtmf (TbMediaSession *session, const char *digits,
                                     GError **error);

/* When audio queued now would start going out (the monotonic clock): the
 * next packet's time, after what is queued already. */
gint64 tb_media_session_get_send_time (TbMediaSession *session);

/* Inside the frame callback: how long before now the frame's end was
 * heard. The packet waited that long in the socket (a busy thread reads
 * it late), and the decoder holds back part of each packet till the next
 * (a resampler's delay). */
gint64 tb_media_session_get_receive_lag_us (TbMediaSession *session);
/* Inside the frame callback: when the packet that completed the frame
 * reached the socket (the monotonic clock; the time it was read when the
 * kernel gave no stamp). */
gint64 tb_media_session_get_arrival_us (TbMediaSession *session);

guint tb_media_session_get_local_port (TbMediaSession *session);
void tb_media_session_get_stats (TbMediaSession *session, TbMediaStats *stats);

/* Checks a gst-launch filter description (for config validation). */
gboolean tb_media_check_filter (const char *description, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbMediaSession, tb_media_session_free)

G_END_DECLS
