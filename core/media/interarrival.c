/* interarrival.c — how regularly RTP packets arrive (see interarrival.h). */
#define G_LOG_DOMAIN "tb-media"

#include "interarrival.h"

#define BUCKET_US 250

void
tb_interarrival_add (TbInterarrival *ia, gint64 now_us, guint16 seq, guint32 timestamp,
                     guint clock_rate)
{
  if (ia->have_last && seq == (guint16) (ia->last_seq + 1) && clock_rate > 0) {
    gint64 expected_us = (gint64) (guint32) (timestamp - ia->last_timestamp) *
                         G_USEC_PER_SEC / clock_rate;
    gint64 jitter_us = ABS ((now_us - ia->last_us) - expected_us);
    guint bucket = (guint) MIN (jitter_us / BUCKET_US, TB_INTERARRIVAL_BUCKETS);

    ia->buckets[bucket]++;
    ia->count++;
  }
  ia->have_last = TRUE;
  ia->last_us = now_us;
  ia->last_seq = seq;
  ia->last_timestamp = timestamp;
}

double
tb_interarrival_percentile_ms (const TbInterarrival *ia, double percentile)
{
  guint64 rank, seen = 0;

  if (ia->count == 0)
    return -1;
  /* Nearest rank: the smallest value at or above the percentile. */
  rank = (guint64) (percentile / 100.0 * ia->count + 0.999999);
  rank = CLAMP (rank, 1, ia->count);
  for (guint b = 0; b <= TB_INTERARRIVAL_BUCKETS; b++) {
    seen += ia->buckets[b];
    if (seen >= rank)
      return (b + 1) * BUCKET_US / 1000.0;
  }
  return (TB_INTERARRIVAL_BUCKETS + 1) * BUCKET_US / 1000.0;
}
