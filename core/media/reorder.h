/* reorder.h — a small reorder window for the RTP packets of one stream.
 *
 * Packets that arrive in order pass straight through (no copy). A packet
 * that arrives early is kept until the ones before it come or until the
 * window is full; then the missing ones are counted as lost and skipped.
 * Packets older than the next expected one are dropped. */
#pragma once

#include "rtp.h"

G_BEGIN_DECLS

#define TB_REORDER_MAX_PAYLOAD 1472  /* a UDP datagram in a 1500-byte MTU */

typedef enum {
  TB_REORDER_IN_ORDER,  /* the next expected packet: use it now */
  TB_REORDER_KEPT,      /* copied; take what is ready with tb_reorder_pop() */
  TB_REORDER_DROPPED,   /* late, duplicate, or too large */
} TbReorderResult;

typedef struct _TbReorder TbReorder;

TbReorder *tb_reorder_new (guint window);
void tb_reorder_free (TbReorder *reorder);
/* Forgets every kept packet and the sequence (a new SSRC). */
void tb_reorder_reset (TbReorder *reorder);

TbReorderResult tb_reorder_push (TbReorder *reorder, const TbRtpPacket *packet);
/* The next packet in order, or NULL. Valid until the next push or pop. */
const TbRtpPacket *tb_reorder_pop (TbReorder *reorder);
/* Packets skipped because they never came in time. */
guint64 tb_reorder_get_lost (TbReorder *reorder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbReorder, tb_reorder_free)

G_END_DECLS
