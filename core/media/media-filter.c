/* media-filter.c — the configurable audio filters, checked and built. */
#define G_LOG_DOMAIN "tb-media"

#include "media-filter.h"
#include "media-session.h"

/* Elements that push from a thread of their own: their output would reach
 * the call from the wrong thread. */
static const char *const threaded[] = { "queue", "queue2", "multiqueue", NULL };

static const char *
factory_name (GstElement *element)
{
  GstElementFactory *factory = gst_element_get_factory (element);

  return factory ? gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (factory))
                 : GST_ELEMENT_NAME (element);
}

/* What disqualifies an element, in the order problems are reported. */
typedef enum {
  SOURCE,
  SINK,
  THREADED,
  N_PROBLEMS,
} Problem;

static const char *const problem_text[N_PROBLEMS] = {
  "is a source", "is a sink", "starts a thread of its own",
};

static gboolean
check_elements (const char *what, const char *description, GstBin *bin, GError **error)
{
  g_autoptr(GstIterator) it = gst_bin_iterate_recurse (bin);
  g_auto(GValue) item = G_VALUE_INIT;
  const char *found[N_PROBLEMS] = { NULL };
  gboolean done = FALSE;

  while (!done) {
    GstElement *element;

    switch (gst_iterator_next (it, &item)) {
    case GST_ITERATOR_OK:
      element = g_value_get_object (&item);
      if (GST_IS_BIN (element))
        ;
      else if (GST_OBJECT_FLAG_IS_SET (element, GST_ELEMENT_FLAG_SOURCE))
        found[SOURCE] = found[SOURCE] ? found[SOURCE] : factory_name (element);
      else if (GST_OBJECT_FLAG_IS_SET (element, GST_ELEMENT_FLAG_SINK))
        found[SINK] = found[SINK] ? found[SINK] : factory_name (element);
      else if (g_strv_contains (threaded, factory_name (element)))
        found[THREADED] = found[THREADED] ? found[THREADED] : factory_name (element);
      g_value_reset (&item);
      break;
    case GST_ITERATOR_RESYNC:
      gst_iterator_resync (it);
      break;
    case GST_ITERATOR_ERROR:
    case GST_ITERATOR_DONE:
      done = TRUE;
      break;
    }
  }
  for (guint i = 0; i < N_PROBLEMS; i++) {
    if (found[i]) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s '%s': %s %s; a filter only transforms the audio pushed through it",
                   what, description, found[i], problem_text[i]);
      return FALSE;
    }
  }
  return TRUE;
}

GstElement *
tb_media_filter_new (const char *what, const char *description, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GstElement) bin = NULL;
  g_autoptr(GstPad) sink = NULL;
  g_autoptr(GstPad) src = NULL;

  g_return_val_if_fail (description, NULL);

  /* FATAL_ERRORS: a misspelt property or a failed link is an error, not a
   * warning beside a half-built bin. */
  bin = gst_parse_bin_from_description_full (description, TRUE, NULL,
                                             GST_PARSE_FLAG_FATAL_ERRORS, &local_error);
  if (bin)
    gst_object_ref_sink (bin);
  if (local_error || !bin) {
    g_set_error (error, local_error ? local_error->domain : GST_PARSE_ERROR,
                 local_error ? local_error->code : GST_PARSE_ERROR_SYNTAX, "%s '%s': %s",
                 what, description, local_error ? local_error->message : "cannot be parsed");
    return NULL;
  }
  sink = gst_element_get_static_pad (bin, "sink");
  src = gst_element_get_static_pad (bin, "src");
  if (!sink || !src) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "%s '%s': needs one free input and one free output "
                 "(elements linked with '!', such as 'volume volume=0.5')", what, description);
    return NULL;
  }
  if (!check_elements (what, description, GST_BIN (bin), error))
    return NULL;
  /* Hand back a floating reference, as the element factories do. */
  g_object_force_floating (G_OBJECT (bin));
  return g_steal_pointer (&bin);
}

gboolean
tb_media_check_filter (const char *description, GError **error)
{
  g_autoptr(GstElement) filter = tb_media_filter_new ("filter", description, error);

  if (!filter)
    return FALSE;
  gst_object_ref_sink (filter);
  return TRUE;
}
