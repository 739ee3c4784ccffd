/* rtp.c — RTP headers (RFC 3550) and telephone-event payloads (RFC 4733). */
#define G_LOG_DOMAIN "tb-media"

#include "rtp.h"

#include <string.h>

gboolean
tb_rtp_parse (const guint8 *data, gsize size, TbRtpPacket *packet)
{
  gsize header;
  gsize padding = 0;

  if (size < TB_RTP_HEADER_SIZE || (data[0] >> 6) != 2)
    return FALSE;

  header = TB_RTP_HEADER_SIZE + 4 * (data[0] & 0x0F);  /* CSRC list */
  if (data[0] & 0x10) {                                 /* header extension */
    if (size < header + 4)
      return FALSE;
    header += 4 + 4 * (gsize) ((data[header + 2] << 8) | data[header + 3]);
  }
  if (size < header)
    return FALSE;
  if (data[0] & 0x20) {                                 /* padding */
    padding = data[size - 1];
    if (padding == 0 || size - header < padding)
      return FALSE;
  }

  packet->marker = (data[1] & 0x80) != 0;
  packet->payload_type = data[1] & 0x7F;
  packet->seq = (data[2] << 8) | data[3];
  packet->timestamp = ((guint32) data[4] << 24) | (data[5] << 16) | (data[6] << 8) | data[7];
  packet->ssrc = ((guint32) data[8] << 24) | (data[9] << 16) | (data[10] << 8) | data[11];
  packet->payload = data + header;
  packet->payload_size = size - header - padding;
  return TRUE;
}

void
tb_rtp_write_header (guint8 *out, const TbRtpPacket *packet)
{
  out[0] = 2 << 6;
  out[1] = (packet->marker ? 0x80 : 0) | (packet->payload_type & 0x7F);
  out[2] = packet->seq >> 8;
  out[3] = packet->seq & 0xFF;
  out[4] = packet->timestamp >> 24;
  out[5] = (packet->timestamp >> 16) & 0xFF;
  out[6] = (packet->timestamp >> 8) & 0xFF;
  out[7] = packet->timestamp & 0xFF;
  out[8] = packet->ssrc >> 24;
  out[9] = (packet->ssrc >> 16) & 0xFF;
  out[10] = (packet->ssrc >> 8) & 0xFF;
  out[11] = packet->ssrc & 0xFF;
}

gboolean
tb_rtp_event_parse (const guint8 *payload, gsize size, TbRtpEvent *event)
{
  if (size < TB_RTP_EVENT_SIZE)
    return FALSE;
  event->event = payload[0];
  event->end = (payload[1] & 0x80) != 0;
  event->volume = payload[1] & 0x3F;
  event->duration = (payload[2] << 8) | payload[3];
  return TRUE;
}

void
tb_rtp_event_write (guint8 *out, const TbRtpEvent *event)
{
  out[0] = event->event;
  out[1] = (event->end ? 0x80 : 0) | (event->volume & 0x3F);
  out[2] = event->duration >> 8;
  out[3] = event->duration & 0xFF;
}

static const char digits[] = "0123456789*#ABCD";

char
tb_rtp_event_to_digit (guint8 event)
{
  return event < 16 ? digits[event] : 0;
}

gint
tb_rtp_event_from_digit (char digit)
{
  const char *found;

  if (digit == 0)
    return -1;
  found = strchr (digits, g_ascii_toupper (digit));
  return found ? (gint) (found - digits) : -1;
}
