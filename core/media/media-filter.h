/* media-filter.h — the configurable audio filters ([media] inbound-filter,
 * outbound-filter): gst-launch descriptions made into a bin. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* A floating bin with one "sink" and one "src" pad made from
 * @description, or NULL with an error that starts with @what and the
 * description. Sources, sinks and elements that start threads of their own
 * are refused: a filter runs on the call's worker thread, driven by the
 * buffers pushed into it. */
GstElement *tb_media_filter_new (const char *what, const char *description, GError **error);

G_END_DECLS
