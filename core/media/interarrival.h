/* interarrival.h — how regularly RTP packets arrive: for each packet that
 * follows the one before it in sequence, the difference between the time
 * between their arrivals and the time between their RTP timestamps (the
 * packet interval jitter), kept in 0.25 ms buckets up to 50 ms so that its
 * high percentiles can be read at any time in constant memory. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TB_INTERARRIVAL_BUCKETS 200   /* of 0.25 ms; and one for more */

typedef struct {
  gboolean have_last;
  gint64 last_us;
  guint32 last_timestamp;
  guint16 last_seq;
  guint64 count;
  guint32 buckets[TB_INTERARRIVAL_BUCKETS + 1];
} TbInterarrival;

/* A packet of sequence number @seq and RTP @timestamp (@clock_rate Hz)
 * arrived at @now_us (monotonic). */
void tb_interarrival_add (TbInterarrival *ia, gint64 now_us, guint16 seq, guint32 timestamp,
                          guint clock_rate);
/* The @percentile (0-100) of the jitter in ms (the upper edge of its
 * bucket), or -1 when no interval was measured. */
double tb_interarrival_percentile_ms (const TbInterarrival *ia, double percentile);

G_END_DECLS
