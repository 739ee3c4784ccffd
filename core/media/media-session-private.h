/* media-session-private.h — the state of a media session, shared by its
 * receiving half (media-receive.c) and its sending half (media-send.c). */
#pragma once

#include <sys/socket.h>

#include "media-session.h"
#include "interarrival.h"
#include "media-chain.h"
#include "reorder.h"
#include "reactor.h"
#include "dtmf.h"

/* Growable FIFOs of samples or bytes, reused so that the steady state of a
 * call allocates nothing. Taking from the front moves an offset, not the
 * data: the play queue can hold minutes of audio. */
typedef struct {
  guint8 *data;
  gsize start;       /* offset of the first byte held */
  gsize len;         /* bytes held */
  gsize capacity;
} TbMediaBytes;

static inline guint8 *
tb_media_bytes_peek (const TbMediaBytes *bytes)
{
  return bytes->data + bytes->start;
}

void tb_media_bytes_append (TbMediaBytes *bytes, const void *data, gsize size);
/* @size zero bytes at @offset (from the first byte held). Allocates:
 * not for every packet. */
void tb_media_bytes_insert_zeros (TbMediaBytes *bytes, gsize offset, gsize size);
void tb_media_bytes_consume (TbMediaBytes *bytes, gsize size);
void tb_media_bytes_clear (TbMediaBytes *bytes);

struct _TbMediaSession {
  /* From the parameters. */
  GMainContext *context;
  GSocket *socket;
  int fd;
  guint local_port;
  TbMediaCallbacks callbacks;
  gpointer user_data;
  char *name;
  const TbCodec *codec;
  guint8 payload_type;
  gint dtmf_payload_type;
  GSocketAddress *remote;      /* NULL when the peer gave no address (hold) */
  TbMediaDirection direction;
  guint frame_rate;
  guint frame_samples;         /* frame_rate / 50 */
  char *inbound_filter;
  char *outbound_filter;
  guint rtp_timeout_ms;

  GstElement *pipeline;
  TbMediaChain *decoder;       /* payload -> frames at frame_rate */
  TbMediaChain *encoder;       /* frames -> payload bytes */
  TbMediaReactor *reactor;     /* of the context: the socket and the ticks */
  TbMediaMember *member;

  /* tb_media_session_free() from inside a callback is deferred until the
   * dispatch that called it unwinds. */
  guint busy;
  gboolean freed;

  /* Receiving. Packets come from the address in the peer's SDP, or (a
   * peer behind NAT) from the first address that sent any; others are not
   * the peer's and are dropped. */
  struct sockaddr_storage expected;   /* the SDP's address, native */
  socklen_t expected_len;             /* 0: none */
  struct sockaddr_storage latched;    /* where the peer's packets come from */
  socklen_t latched_len;              /* 0: nothing received yet */
  gboolean latched_expected;          /* ... and it is the SDP's address */
  TbReorder *reorder;
  gboolean have_remote_ssrc;
  guint32 remote_ssrc;
  gint64 last_received_us;
  gboolean timed_out;
  TbDtmfReceiver dtmf_in;
  TbMediaBytes decoded;        /* samples not yet delivered as a frame */
  gboolean decoder_primed;     /* the decoder chain's delay is made up for */
  guint decoder_lag;           /* samples of each packet the decoder holds
                                * back till the next (a resampler's delay) */
  guint8 datagram[2048];
  gint64 arrived_us;           /* the packet being received reached the
                                * socket (the kernel's stamp, monotonic) */

  /* Sending. */
  guint32 ssrc;
  guint16 seq;
  guint32 timestamp;
  gboolean marker;             /* the next audio packet starts a talkspurt */
  TbMediaBytes queue;          /* samples from play() */
  gboolean draining;           /* drained() is owed when the queue empties */
  TbMediaBytes encoded;        /* encoder output not yet sent */
  gsize encoder_delay;         /* bytes of output the encoder chain holds back */
  gboolean last_input_silent;  /* what the encoder was given last was silence */
  gint16 *frame;               /* one frame, for the queue's last bit */
  gint16 *silence;             /* one frame of zeros */
  guint8 *idle_payload;        /* the encoder's steady answer to silence */
  guint same_payloads;         /* how many times in a row it came out */
  gboolean idle;               /* send idle_payload without encoding */
  gboolean transmit_silence;   /* ... or, when idle, send nothing: */
  gboolean asleep;             /* nothing is sent until there is audio */
  gint64 wake_due;             /* the time of the packet not sent for it */
  TbDtmfSender dtmf_out;
  gboolean send_failed;        /* a send error was logged */
  guint8 packet[TB_RTP_HEADER_SIZE + TB_REORDER_MAX_PAYLOAD];

  TbMediaStats stats;
  TbInterarrival arrivals;     /* of the peer's audio packets */
};

/* Around every dispatch from the reactor (readable, tick); leave() returns FALSE
 * when the session was freed meanwhile (and frees it). */
void tb_media_session_enter (TbMediaSession *session);
gboolean tb_media_session_leave (TbMediaSession *session);

/* Media-receive.c: the decoder chain, and reading the socket. */
TbMediaChain *tb_media_receive_chain_new (TbMediaSession *session, const TbCodec *codec,
                                          GError **error);
/* Asks the kernel to stamp each datagram's arrival. */
void tb_media_receive_stamp_arrivals (TbMediaSession *session);
gboolean tb_media_receive_readable (gpointer session);
void tb_media_receive_check_timeout (TbMediaSession *session, gint64 now_us);

/* Media-send.c: the encoder chain, and a packet every tick. */
TbMediaChain *tb_media_send_chain_new (TbMediaSession *session, const TbCodec *codec,
                                       GError **error);
/* After the encoder chain was made (@new_chain: its delay is measured) or
 * what was queued was dropped. */
void tb_media_send_reset (TbMediaSession *session, gboolean new_chain);
gboolean tb_media_send_tick (guint skipped, gpointer session);
/* Audio or keys to send: a session asleep (silence suppression) sends
 * again, from as soon as the reactor can place it. */
void tb_media_send_wake (TbMediaSession *session);
/* When the next packet goes (the monotonic clock, never before now). */
gint64 tb_media_send_next_time (TbMediaSession *session);


/* A raw audio caps string for mono S16LE at @rate. */
GstCaps *tb_media_raw_caps (guint rate);
/* The element made by @factory, or NULL with an error naming it. */
GstElement *tb_media_make (const char *factory, GError **error);
