/* audio-file.c — audio files in and out of a call: any file GStreamer can
 * decode, read as mono S16LE; recordings written as WAV. */
#define G_LOG_DOMAIN "tb-media"

#include "audio-file.h"

#include <gio/gio.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <string.h>

/* ---- reading ------------------------------------------------------------ */

static void
on_pad_added (GstElement *decodebin, GstPad *pad, gpointer user_data)
{
  GstElement *convert = user_data;
  g_autoptr(GstPad) sink = gst_element_get_static_pad (convert, "sink");
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps (pad);
  const GstStructure *structure = caps ? gst_caps_get_structure (caps, 0) : NULL;

  /* The first audio stream; video and further audio stay unlinked. */
  if (structure && g_str_has_prefix (gst_structure_get_name (structure), "audio/") &&
      !gst_pad_is_linked (sink))
    gst_pad_link (pad, sink);
}

static GstElement *
make (GstBin *bin, const char *factory, GError **error)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (!element) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                 "no GStreamer element '%s' (is its plugin installed?)", factory);
    return NULL;
  }
  gst_bin_add (bin, element);
  return element;
}

static GstElement *
build_reader (const char *path, guint rate, GstAppSink **appsink, GError **error)
{
  g_autoptr(GstElement) pipeline = gst_object_ref_sink (gst_pipeline_new ("audio-file"));
  g_autoptr(GstCaps) caps = gst_caps_new_simple ("audio/x-raw",
                                                 "format", G_TYPE_STRING, "S16LE",
                                                 "layout", G_TYPE_STRING, "interleaved",
                                                 "channels", G_TYPE_INT, 1,
                                                 "rate", G_TYPE_INT, (gint) rate, NULL);
  GstBin *bin = GST_BIN (pipeline);
  GstElement *source, *decode, *convert, *resample, *sink;

  if (!(source = make (bin, "filesrc", error)) || !(decode = make (bin, "decodebin", error)) ||
      !(convert = make (bin, "audioconvert", error)) ||
      !(resample = make (bin, "audioresample", error)) || !(sink = make (bin, "appsink", error)))
    return NULL;
  g_object_set (source, "location", path, NULL);
  /* Nothing is played out: take the samples as fast as they decode. */
  g_object_set (sink, "caps", caps, "sync", FALSE, NULL);
  g_signal_connect (decode, "pad-added", G_CALLBACK (on_pad_added), convert);
  if (!gst_element_link (source, decode) || !gst_element_link_many (convert, resample, sink, NULL)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION, "cannot link the decoder");
    return NULL;
  }
  *appsink = GST_APP_SINK (sink);
  return g_steal_pointer (&pipeline);
}

/* The pipeline's first error, or FALSE when it has none. */
static gboolean
take_error (GstElement *pipeline, GError **error)
{
  g_autoptr(GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr(GstMessage) message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

  if (!message)
    return FALSE;
  gst_message_parse_error (message, error, NULL);
  return TRUE;
}

gint16 *
tb_audio_file_read (const char *path, guint rate, gsize *n_samples, GError **error)
{
  g_autoptr(GstElement) pipeline = NULL;
  g_autoptr(GByteArray) samples = g_byte_array_new ();
  g_autoptr(GError) local_error = NULL;
  GstAppSink *sink = NULL;

  g_return_val_if_fail (path && rate > 0 && n_samples, NULL);

  pipeline = build_reader (path, rate, &sink, &local_error);
  if (!pipeline)
    goto out;
  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  while (!take_error (pipeline, &local_error)) {
    /* A timeout rather than a blocking pull: an error stops the stream
     * without an end-of-stream, and must be noticed. */
    g_autoptr(GstSample) sample = gst_app_sink_try_pull_sample (sink, 100 * GST_MSECOND);
    GstMapInfo map;

    if (!sample) {
      if (gst_app_sink_is_eos (sink))
        break;
      continue;
    }
    if (gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ)) {
      g_byte_array_append (samples, map.data, map.size);
      gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
    }
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (!local_error && samples->len == 0)
    local_error = g_error_new_literal (GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
                                       "no audio in it");

out:
  if (local_error) {
    g_set_error (error, local_error->domain, local_error->code, "%s: %s", path,
                 local_error->message);
    return NULL;
  }
#if G_BYTE_ORDER == G_BIG_ENDIAN
  for (guint i = 0; i + 1 < samples->len; i += 2) {
    guint8 low = samples->data[i];

    samples->data[i] = samples->data[i + 1];
    samples->data[i + 1] = low;
  }
#endif
  *n_samples = samples->len / sizeof (gint16);
  return (gint16 *) g_byte_array_free (g_steal_pointer (&samples), FALSE);
}

/* ---- writing WAV ---------------------------------------------------------- */

#define WAV_HEADER_SIZE 44

struct _TbWavWriter {
  char *path;
  guint rate;
  GOutputStream *stream;   /* buffered: recordings are written a frame at a time */
  guint64 data_size;
};

static void
put_le32 (guint8 *out, guint32 value)
{
  out[0] = value & 0xFF;
  out[1] = (value >> 8) & 0xFF;
  out[2] = (value >> 16) & 0xFF;
  out[3] = value >> 24;
}

static void
put_le16 (guint8 *out, guint16 value)
{
  out[0] = value & 0xFF;
  out[1] = value >> 8;
}

/* RIFF/WAVE, one "fmt " chunk (PCM, mono, 16 bits) and the "data" chunk's
 * header. Until the writer is closed the sizes say the file is empty. */
static void
fill_header (guint8 *header, guint rate, guint32 data_size)
{
  memcpy (header, "RIFF", 4);
  put_le32 (header + 4, 36 + data_size);
  memcpy (header + 8, "WAVEfmt ", 8);
  put_le32 (header + 16, 16);         /* fmt chunk size */
  put_le16 (header + 20, 1);          /* PCM */
  put_le16 (header + 22, 1);          /* channels */
  put_le32 (header + 24, rate);
  put_le32 (header + 28, rate * 2);   /* bytes per second */
  put_le16 (header + 32, 2);          /* bytes per sample frame */
  put_le16 (header + 34, 16);         /* bits per sample */
  memcpy (header + 36, "data", 4);
  put_le32 (header + 40, data_size);
}

TbWavWriter *
tb_wav_writer_new (const char *path, guint rate, GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileOutputStream) output = NULL;
  g_autoptr(GError) local_error = NULL;
  TbWavWriter *writer;
  guint8 header[WAV_HEADER_SIZE];

  g_return_val_if_fail (path && rate > 0, NULL);

  output = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &local_error);
  if (!output) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return NULL;
  }
  writer = g_new0 (TbWavWriter, 1);
  writer->path = g_strdup (path);
  writer->rate = rate;
  writer->stream = g_buffered_output_stream_new_sized (G_OUTPUT_STREAM (output), 16384);
  fill_header (header, rate, 0);
  if (!g_output_stream_write_all (writer->stream, header, sizeof header, NULL, NULL, error)) {
    g_clear_object (&writer->stream);
    tb_wav_writer_free (writer);
    return NULL;
  }
  return writer;
}

static gboolean
check_open (TbWavWriter *writer, GError **error)
{
  if (writer->stream)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "%s: already closed", writer->path);
  return FALSE;
}

gboolean
tb_wav_writer_write (TbWavWriter *writer, const gint16 *samples, gsize n_samples, GError **error)
{
  g_return_val_if_fail (writer && (samples || n_samples == 0), FALSE);
  if (!check_open (writer, error))
    return FALSE;
#if G_BYTE_ORDER == G_BIG_ENDIAN
  for (gsize i = 0; i < n_samples; i++) {
    gint16 le = GINT16_TO_LE (samples[i]);

    if (!g_output_stream_write_all (writer->stream, &le, sizeof le, NULL, NULL, error))
      return FALSE;
  }
#else
  if (!g_output_stream_write_all (writer->stream, samples, n_samples * sizeof (gint16),
                                  NULL, NULL, error))
    return FALSE;
#endif
  writer->data_size += n_samples * sizeof (gint16);
  return TRUE;
}

gboolean
tb_wav_writer_close (TbWavWriter *writer, GError **error)
{
  g_autoptr(GOutputStream) stream = NULL;
  /* A RIFF size is 32 bits: a longer recording keeps its first 4 GiB readable. */
  guint32 data_size = MIN (writer->data_size, (G_MAXUINT32 - 36) & ~1u);
  guint8 header[WAV_HEADER_SIZE];

  g_return_val_if_fail (writer, FALSE);
  if (!check_open (writer, error))
    return FALSE;
  stream = g_steal_pointer (&writer->stream);
  fill_header (header, writer->rate, data_size);
  if (!g_seekable_seek (G_SEEKABLE (stream), 0, G_SEEK_SET, NULL, error) ||
      !g_output_stream_write_all (stream, header, sizeof header, NULL, NULL, error) ||
      !g_output_stream_close (stream, NULL, error)) {
    g_prefix_error (error, "%s: ", writer->path);
    return FALSE;
  }
  return TRUE;
}

void
tb_wav_writer_free (TbWavWriter *writer)
{
  g_autoptr(GError) error = NULL;

  if (!writer)
    return;
  if (writer->stream && !tb_wav_writer_close (writer, &error))
    g_warning ("%s", error->message);
  g_free (writer->path);
  g_free (writer);
}
