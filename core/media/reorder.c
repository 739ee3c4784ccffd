/* reorder.c — a small reorder window for the RTP packets of one stream. */
#define G_LOG_DOMAIN "tb-media"

#include "reorder.h"

#include <string.h>

/* A jump this far ahead or behind is a new stream (the peer restarted its
 * sequence), not loss. */
#define RESTART_DISTANCE 1000

typedef struct {
  gboolean used;
  TbRtpPacket packet;
  guint8 payload[TB_REORDER_MAX_PAYLOAD];
} Slot;

struct _TbReorder {
  guint window;
  guint kept;
  gboolean started;
  guint16 next;       /* sequence number expected next */
  guint64 lost;
  Slot *slots;        /* @window of them, unordered: a linear scan is cheap */
};

TbReorder *
tb_reorder_new (guint window)
{
  TbReorder *reorder = g_new0 (TbReorder, 1);

  g_return_val_if_fail (window > 0, NULL);
  reorder->window = window;
  reorder->slots = g_new0 (Slot, window);
  return reorder;
}

void
tb_reorder_free (TbReorder *reorder)
{
  if (!reorder)
    return;
  g_free (reorder->slots);
  g_free (reorder);
}

void
tb_reorder_reset (TbReorder *reorder)
{
  for (guint i = 0; i < reorder->window; i++)
    reorder->slots[i].used = FALSE;
  reorder->kept = 0;
  reorder->started = FALSE;
}

TbReorderResult
tb_reorder_push (TbReorder *reorder, const TbRtpPacket *packet)
{
  gint16 distance;
  Slot *free_slot = NULL;

  if (!reorder->started) {
    reorder->started = TRUE;
    reorder->next = packet->seq;
  }
  distance = (gint16) (guint16) (packet->seq - reorder->next);
  if (distance >= RESTART_DISTANCE || distance <= -RESTART_DISTANCE) {
    tb_reorder_reset (reorder);
    reorder->started = TRUE;
    reorder->next = packet->seq;
    distance = 0;
  }
  if (distance < 0)
    return TB_REORDER_DROPPED;
  if (distance == 0 && reorder->kept == 0) {
    reorder->next++;
    return TB_REORDER_IN_ORDER;
  }
  if (packet->payload_size > TB_REORDER_MAX_PAYLOAD)
    return TB_REORDER_DROPPED;

  for (guint i = 0; i < reorder->window; i++) {
    Slot *slot = &reorder->slots[i];

    if (!slot->used)
      free_slot = free_slot ? free_slot : slot;
    else if (slot->packet.seq == packet->seq)
      return TB_REORDER_DROPPED;
  }
  /* tb_reorder_pop() never leaves the window full, so there is room. */
  g_assert (free_slot);
  free_slot->used = TRUE;
  free_slot->packet = *packet;
  memcpy (free_slot->payload, packet->payload, packet->payload_size);
  free_slot->packet.payload = free_slot->payload;
  reorder->kept++;
  return TB_REORDER_KEPT;
}

const TbRtpPacket *
tb_reorder_pop (TbReorder *reorder)
{
  while (reorder->kept > 0) {
    for (guint i = 0; i < reorder->window; i++) {
      Slot *slot = &reorder->slots[i];

      if (slot->used && slot->packet.seq == reorder->next) {
        /* The payload stays in place until a later push reuses the slot. */
        slot->used = FALSE;
        reorder->kept--;
        reorder->next++;
        return &slot->packet;
      }
    }
    if (reorder->kept < reorder->window)
      return NULL;
    /* Full and still missing the next one: it is lost. */
    reorder->lost++;
    reorder->next++;
  }
  return NULL;
}

guint64
tb_reorder_get_lost (TbReorder *reorder)
{
  return reorder->lost;
}
