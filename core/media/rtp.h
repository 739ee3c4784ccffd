/* rtp.h — RTP headers (RFC 3550) and telephone-event payloads (RFC 4733),
 * parsed and built by hand: twelve bytes do not need a GStreamer element. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TB_RTP_HEADER_SIZE 12
#define TB_RTP_EVENT_SIZE 4

typedef struct {
  gboolean marker;
  guint8 payload_type;
  guint16 seq;
  guint32 timestamp;
  guint32 ssrc;
  const guint8 *payload;  /* points into the parsed datagram */
  gsize payload_size;
} TbRtpPacket;

/* Fills @packet from a datagram: version 2, CSRCs, header extension and
 * padding skipped. FALSE when @data is not a well-formed RTP packet. */
gboolean tb_rtp_parse (const guint8 *data, gsize size, TbRtpPacket *packet);

/* Writes the 12-byte header of @packet (payload fields ignored) to @out. */
void tb_rtp_write_header (guint8 *out, const TbRtpPacket *packet);

typedef struct {
  guint8 event;       /* 0-9, 10 '*', 11 '#', 12-15 'A'-'D', others exist */
  gboolean end;
  guint8 volume;      /* 0-63, -dBm0 */
  guint16 duration;   /* in RTP clock units since the event's timestamp */
} TbRtpEvent;

/* FALSE when the payload is shorter than an event. */
gboolean tb_rtp_event_parse (const guint8 *payload, gsize size, TbRtpEvent *event);
void tb_rtp_event_write (guint8 *out, const TbRtpEvent *event);

/* The DTMF character of an event code, or 0 when it is not a DTMF key. */
char tb_rtp_event_to_digit (guint8 event);
/* The event code of a DTMF character (case-insensitive), or -1. */
gint tb_rtp_event_from_digit (char digit);

G_END_DECLS
