/* sdp.h — SDP offer/answer for one audio stream: what the peer offers or
 * answers, the codec we pick, and the SDP we send. */
#pragma once

#include "codec.h"
#include "media-session.h"

G_BEGIN_DECLS

#define TB_SDP_ERROR (tb_sdp_error_quark ())
GQuark tb_sdp_error_quark (void);

typedef enum {
  TB_SDP_ERROR_PARSE,      /* not SDP, or SDP we cannot read (-> 400)      */
  TB_SDP_ERROR_NO_AUDIO,   /* no usable audio stream: none, SRTP, ... (488) */
  TB_SDP_ERROR_NO_CODEC,   /* audio, but no codec in common (-> 488)       */
} TbSdpErrorCode;

/* The audio stream of an offer or answer, from our point of view. */
typedef struct {
  char *address;             /* where the peer wants RTP     */
  guint port;
  const TbCodec *codec;      /* the one codec used           */
  guint8 payload_type;       /* its payload type on the wire */
  gint dtmf_payload_type;    /* telephone-event, -1 if none  */
  TbMediaDirection direction;/* what we may do: send, receive */
  guint ptime;               /* the peer's a=ptime, 0 if none */
} TbSdpStream;

void tb_sdp_stream_clear (TbSdpStream *stream);

/* Reads the peer's offer and picks the first codec of the offer that is in
 * @allowed (a NULL-terminated list). @stream is output only (clear it with
 * tb_sdp_stream_clear() after use). */
gboolean tb_sdp_negotiate_offer (const char *sdp, const TbCodec *const *allowed,
                                 TbSdpStream *stream, GError **error);
/* Reads the peer's answer to our offer (its codec must be one we offered). */
gboolean tb_sdp_read_answer (const char *sdp, const TbCodec *const *offered,
                             TbSdpStream *stream, GError **error);

typedef struct {
  const char *address;        /* our media address (public-address if set) */
  guint port;                 /* our RTP port                              */
  guint64 session_id;
  guint64 version;            /* increments on every new SDP of a session  */
  const TbCodec *const *codecs;  /* offer: every codec; answer: the one chosen */
  const guint8 *payload_types;   /* their payload types, same order          */
  gint dtmf_payload_type;     /* -1: no telephone-event                    */
  TbMediaDirection direction; /* our direction                             */
} TbSdpLocal;

/* Our SDP (offer or answer), CRLF line ends. */
char *tb_sdp_build (const TbSdpLocal *local);

G_END_DECLS
