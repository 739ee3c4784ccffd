/* media-chain.h — GStreamer elements driven synchronously by their caller.
 *
 * A chain is a bin of linked elements without sources or sinks, fed from a
 * pad of ours with gst_pad_push() and drained by the chain function of
 * another pad of ours, the way GstHarness drives an element. Pushing runs
 * every element on the calling thread, so a call's media costs no
 * streaming thread and no wake-up of its own. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _TbMediaChain TbMediaChain;

/* Output of the last element, called from inside tb_media_chain_push(). */
typedef void (*TbMediaChainOutput) (const guint8 *data, gsize size, gpointer user_data);

/* Puts @elements (their floating references are taken), linked in order,
 * into a bin named @name inside @parent, which must already be PLAYING.
 * Buffers pushed are described by @input_caps and hold at most @max_input
 * bytes. */
TbMediaChain *tb_media_chain_new (GstBin *parent, const char *name, GstCaps *input_caps,
                                  gsize max_input, GstElement *const *elements,
                                  guint n_elements, TbMediaChainOutput output,
                                  gpointer user_data, GError **error);
/* Removes the bin from its parent and frees it. */
void tb_media_chain_free (TbMediaChain *chain);

/* Runs @size bytes lasting @duration through the chain; the output
 * callback has been called for whatever came out when this returns. FALSE
 * when an element failed (the first failure is logged). */
gboolean tb_media_chain_push (TbMediaChain *chain, const guint8 *data, gsize size,
                              GstClockTime duration);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbMediaChain, tb_media_chain_free)

G_END_DECLS
