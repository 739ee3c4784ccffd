/* dtmf.c — RFC 4733 key presses, received and sent. */
#define G_LOG_DOMAIN "tb-media"

#include "dtmf.h"

/* Volume of the events we send, in -dBm0 (RFC 4733 2.5.2.2: 0 to -63). */
#define SEND_VOLUME 10

static gboolean
take_digit (TbDtmfReceiver *receiver, guint clock_rate, TbDtmfDigit *digit)
{
  receiver->reported = TRUE;
  digit->digit = tb_rtp_event_to_digit (receiver->last.event);
  digit->duration_ms = (guint) ((guint64) receiver->last.duration * 1000 / clock_rate);
  /* Events that are not keys (flash, tones) are followed but not given out. */
  return digit->digit != 0;
}

guint
tb_dtmf_receiver_event (TbDtmfReceiver *receiver, guint32 timestamp, guint clock_rate,
                        const TbRtpEvent *event, TbDtmfDigit digits[2])
{
  guint n = 0;

  if (!receiver->active || timestamp != receiver->timestamp) {
    if (receiver->active && !receiver->reported && take_digit (receiver, clock_rate, &digits[n]))
      n++;
    receiver->active = TRUE;
    receiver->reported = FALSE;
    receiver->timestamp = timestamp;
  }
  if (receiver->reported)
    return n;  /* a retransmitted end packet */
  receiver->last = *event;
  if (event->end && take_digit (receiver, clock_rate, &digits[n]))
    n++;
  return n;
}

gboolean
tb_dtmf_receiver_audio (TbDtmfReceiver *receiver, guint clock_rate, TbDtmfDigit *digit)
{
  if (!receiver->active || receiver->reported)
    return FALSE;
  return take_digit (receiver, clock_rate, digit);
}

void
tb_dtmf_sender_init (TbDtmfSender *sender)
{
  sender->digits = g_string_new (NULL);
  sender->packet = 0;
}

void
tb_dtmf_sender_clear (TbDtmfSender *sender)
{
  if (sender->digits)
    g_string_free (sender->digits, TRUE);
  sender->digits = NULL;
}

gboolean
tb_dtmf_sender_add (TbDtmfSender *sender, const char *digits)
{
  for (const char *c = digits; *c; c++)
    if (tb_rtp_event_from_digit (*c) < 0)
      return FALSE;
  g_string_append (sender->digits, digits);
  return TRUE;
}

gboolean
tb_dtmf_sender_busy (const TbDtmfSender *sender)
{
  return sender->digits->len > 0;
}

gboolean
tb_dtmf_sender_tick (TbDtmfSender *sender, guint32 timestamp, guint samples_per_packet,
                     TbRtpEvent *event, guint32 *event_timestamp, gboolean *marker)
{
  guint packet = sender->packet++;
  guint sent = MIN (packet + 1, TB_DTMF_TONE_PACKETS);

  g_return_val_if_fail (tb_dtmf_sender_busy (sender), FALSE);

  if (packet == 0)
    sender->timestamp = timestamp;
  if (packet >= TB_DTMF_TONE_PACKETS + TB_DTMF_END_REPEATS) {
    if (packet + 1 == TB_DTMF_TONE_PACKETS + TB_DTMF_END_REPEATS + TB_DTMF_PAUSE_PACKETS) {
      g_string_erase (sender->digits, 0, 1);
      sender->packet = 0;
    }
    return FALSE;
  }
  event->event = tb_rtp_event_from_digit (sender->digits->str[0]);
  event->end = packet + 1 >= TB_DTMF_TONE_PACKETS;
  event->volume = SEND_VOLUME;
  event->duration = sent * samples_per_packet;
  *event_timestamp = sender->timestamp;
  *marker = packet == 0;
  return TRUE;
}
