/* media-chain.c — GStreamer elements driven synchronously by their caller. */
#define G_LOG_DOMAIN "tb-media"

#include "media-chain.h"

struct _TbMediaChain {
  GstBin *parent;
  GstElement *bin;
  GstPad *src;          /* ours, linked to the first element */
  GstPad *sink;         /* ours, linked from the last element */
  GstBufferPool *pool;  /* input buffers are recycled, not allocated */
  GstClockTime position;
  TbMediaChainOutput output;
  gpointer user_data;
  gboolean failed;      /* a failure was logged already */
};

static GstFlowReturn
sink_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  TbMediaChain *chain = gst_pad_get_element_private (pad);
  GstMapInfo map;

  if (gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    chain->output (map.data, map.size, chain->user_data);
    gst_buffer_unmap (buffer, &map);
  }
  gst_buffer_unref (buffer);
  return GST_FLOW_OK;
}

static gboolean
sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  /* The output's caps are fixed by the chain's last capsfilter; the other
   * events (segment, EOS) mean nothing to a caller that counts samples. */
  gst_event_unref (event);
  return TRUE;
}

static gboolean
link_pads (GstPad *src, GstPad *sink, GError **error)
{
  GstPadLinkReturn ret = gst_pad_link (src, sink);

  if (ret != GST_PAD_LINK_OK) {
    g_autofree char *from = gst_object_get_path_string (GST_OBJECT (src));
    g_autofree char *to = gst_object_get_path_string (GST_OBJECT (sink));

    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
                 "cannot link %s to %s: %s", from, to, gst_pad_link_get_name (ret));
    return FALSE;
  }
  return TRUE;
}

static gboolean
build (TbMediaChain *chain, GstCaps *input_caps, gsize max_input,
       GstElement *const *elements, guint n_elements, GError **error)
{
  g_autoptr(GstPad) first = NULL;
  g_autoptr(GstPad) last = NULL;
  g_autoptr(GstStructure) config = NULL;
  GstSegment segment;
  GstStructure *pool_config;

  for (guint i = 0; i + 1 < n_elements; i++) {
    if (!gst_element_link (elements[i], elements[i + 1])) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
                   "cannot link %s to %s", GST_ELEMENT_NAME (elements[i]),
                   GST_ELEMENT_NAME (elements[i + 1]));
      return FALSE;
    }
  }
  first = gst_element_get_static_pad (elements[0], "sink");
  last = gst_element_get_static_pad (elements[n_elements - 1], "src");
  if (!first || !last) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
                 "%s has no %s pad", GST_ELEMENT_NAME (first ? elements[n_elements - 1] : elements[0]),
                 first ? "source" : "sink");
    return FALSE;
  }
  if (!link_pads (chain->src, first, error) || !link_pads (last, chain->sink, error))
    return FALSE;

  chain->pool = gst_buffer_pool_new ();
  pool_config = gst_buffer_pool_get_config (chain->pool);
  gst_buffer_pool_config_set_params (pool_config, NULL, max_input, 2, 0);
  if (!gst_buffer_pool_set_config (chain->pool, pool_config) ||
      !gst_buffer_pool_set_active (chain->pool, TRUE)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED, "cannot set up a buffer pool");
    return FALSE;
  }

  gst_pad_set_active (chain->src, TRUE);
  gst_pad_set_active (chain->sink, TRUE);
  gst_bin_add (chain->parent, chain->bin);
  if (!gst_element_sync_state_with_parent (chain->bin)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
                 "%s cannot start", GST_ELEMENT_NAME (chain->bin));
    return FALSE;
  }

  gst_segment_init (&segment, GST_FORMAT_TIME);
  if (!gst_pad_push_event (chain->src, gst_event_new_stream_start (GST_ELEMENT_NAME (chain->bin))) ||
      !gst_pad_push_event (chain->src, gst_event_new_caps (input_caps)) ||
      !gst_pad_push_event (chain->src, gst_event_new_segment (&segment))) {
    g_autofree char *caps = gst_caps_to_string (input_caps);

    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
                 "%s does not accept %s", GST_ELEMENT_NAME (elements[0]), caps);
    return FALSE;
  }
  return TRUE;
}

TbMediaChain *
tb_media_chain_new (GstBin *parent, const char *name, GstCaps *input_caps, gsize max_input,
                    GstElement *const *elements, guint n_elements, TbMediaChainOutput output,
                    gpointer user_data, GError **error)
{
  g_autoptr(TbMediaChain) chain = g_new0 (TbMediaChain, 1);

  g_return_val_if_fail (GST_IS_BIN (parent) && n_elements > 0 && output, NULL);

  chain->parent = GST_BIN (gst_object_ref (parent));
  chain->bin = gst_object_ref_sink (gst_bin_new (name));
  chain->output = output;
  chain->user_data = user_data;
  for (guint i = 0; i < n_elements; i++)
    gst_bin_add (GST_BIN (chain->bin), elements[i]);

  chain->src = gst_object_ref_sink (gst_pad_new ("src", GST_PAD_SRC));
  chain->sink = gst_object_ref_sink (gst_pad_new ("sink", GST_PAD_SINK));
  gst_pad_set_element_private (chain->sink, chain);
  gst_pad_set_chain_function (chain->sink, sink_chain);
  gst_pad_set_event_function (chain->sink, sink_event);

  if (!build (chain, input_caps, max_input, elements, n_elements, error)) {
    g_prefix_error (error, "%s: ", name);
    return NULL;
  }
  return g_steal_pointer (&chain);
}

void
tb_media_chain_free (TbMediaChain *chain)
{
  if (!chain)
    return;
  gst_element_set_state (chain->bin, GST_STATE_NULL);
  if (GST_OBJECT_PARENT (chain->bin) == GST_OBJECT (chain->parent))
    gst_bin_remove (chain->parent, chain->bin);
  gst_pad_set_active (chain->src, FALSE);
  gst_pad_set_active (chain->sink, FALSE);
  gst_object_unref (chain->src);
  gst_object_unref (chain->sink);
  gst_object_unref (chain->bin);
  gst_object_unref (chain->parent);
  if (chain->pool) {
    gst_buffer_pool_set_active (chain->pool, FALSE);
    gst_object_unref (chain->pool);
  }
  g_free (chain);
}

gboolean
tb_media_chain_push (TbMediaChain *chain, const guint8 *data, gsize size, GstClockTime duration)
{
  GstBuffer *buffer = NULL;
  GstFlowReturn ret;

  if (gst_buffer_pool_acquire_buffer (chain->pool, &buffer, NULL) != GST_FLOW_OK)
    return FALSE;
  size = gst_buffer_fill (buffer, 0, data, size);
  gst_buffer_set_size (buffer, size);
  GST_BUFFER_PTS (buffer) = chain->position;
  GST_BUFFER_DURATION (buffer) = duration;
  chain->position += duration;

  ret = gst_pad_push (chain->src, buffer);
  if (ret != GST_FLOW_OK) {
    if (!chain->failed)
      g_warning ("%s: %s", GST_ELEMENT_NAME (chain->bin), gst_flow_get_name (ret));
    chain->failed = TRUE;
    return FALSE;
  }
  return TRUE;
}
