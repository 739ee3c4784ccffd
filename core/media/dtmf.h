/* dtmf.h — RFC 4733 key presses: which received event packets make a digit,
 * and which packets to send for a string of digits. */
#pragma once

#include "rtp.h"

G_BEGIN_DECLS

/* ---- receiving ---------------------------------------------------------- */

typedef struct {
  char digit;
  guint duration_ms;
} TbDtmfDigit;

typedef struct {
  gboolean active;       /* an event has been seen */
  gboolean reported;     /* ... and its digit given out */
  guint32 timestamp;     /* RTP timestamp of that event: its identity */
  TbRtpEvent last;       /* its latest packet */
} TbDtmfReceiver;

/* An event packet with RTP @timestamp. Writes the digits it completes to
 * @digits (at most 2: the previous event when its end packets were all lost,
 * and this one when it ends) and returns how many. A digit is given out once
 * per event, at its first end packet; retransmitted end packets give
 * nothing. */
guint tb_dtmf_receiver_event (TbDtmfReceiver *receiver, guint32 timestamp, guint clock_rate,
                              const TbRtpEvent *event, TbDtmfDigit digits[2]);
/* An audio packet arrived: an event whose end packets were lost is over.
 * TRUE with @digit filled when that completes one. */
gboolean tb_dtmf_receiver_audio (TbDtmfReceiver *receiver, guint clock_rate,
                                 TbDtmfDigit *digit);

/* ---- sending ------------------------------------------------------------ */

/* Per key: 5 packets of tone (100 ms, the last one with the end bit), the
 * end packet twice more, then 2 packets' time of pause before the next. */
#define TB_DTMF_TONE_PACKETS 5
#define TB_DTMF_END_REPEATS 2
#define TB_DTMF_PAUSE_PACKETS 2

typedef struct {
  GString *digits;       /* waiting to be sent, the first one in progress */
  guint packet;          /* packets sent of the first digit */
  guint32 timestamp;     /* RTP timestamp of the first digit's event */
} TbDtmfSender;

void tb_dtmf_sender_init (TbDtmfSender *sender);
void tb_dtmf_sender_clear (TbDtmfSender *sender);
/* FALSE when a character is not a DTMF key; then nothing is queued. */
gboolean tb_dtmf_sender_add (TbDtmfSender *sender, const char *digits);
gboolean tb_dtmf_sender_busy (const TbDtmfSender *sender);

/* One packet interval while busy. @timestamp is this interval's RTP
 * timestamp and @samples_per_packet its length in RTP clock units. TRUE
 * when an event packet is due: @event, @event_timestamp and @marker say
 * what to send. FALSE during the pause between keys. */
gboolean tb_dtmf_sender_tick (TbDtmfSender *sender, guint32 timestamp,
                              guint samples_per_packet, TbRtpEvent *event,
                              guint32 *event_timestamp, gboolean *marker);

G_END_DECLS
