/* audio-file.c — audio files in and out of a call: any file GStreamer can
 * decode, read as mono S16LE; recordings written as WAV. */
#define G_LOG_DOMAIN "tb-media"

#include "audio-file.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <string.h>

/* ---- reading ------------------------------------------------------------ */

/* A pipeline that neither ends nor fails becomes an error after this
 * long: a floor, and more for bigger files. Decoding runs far faster than
 * real time, so only a stuck pipeline gets there. */
#define READ_LIMIT_FLOOR_S 10
#define READ_LIMIT_S_PER_MIB 2

/* One attempt at decoding a file. The flags are set from streaming
 * threads. */
typedef struct {
  GstElement *pipeline;
  GstElement *convert;   /* the first element after decodebin */
  GstAppSink *sink;
  gint linked;           /* atomic: a decoded pad feeds audioconvert */
  gint drained;          /* atomic: decodebin has put out all it ever will */
  guint rate;            /* of the samples */
} Decoding;

static void
on_pad_added (GstElement *decodebin, GstPad *pad, gpointer user_data)
{
  Decoding *decoding = user_data;
  g_autoptr(GstPad) sink = gst_element_get_static_pad (decoding->convert, "sink");
  GstPadLinkReturn result;

  /* The first audio stream; further ones stay unlinked. The pad may have
   * no caps yet (wavparse can add one and end it at once), so the link
   * decides: it compares what the pad can carry with what audioconvert
   * takes, and refuses video or text. */
  if (gst_pad_is_linked (sink))
    return;
  result = gst_pad_link (pad, sink);
  if (GST_PAD_LINK_SUCCESSFUL (result))
    g_atomic_int_set (&decoding->linked, TRUE);
  else
    g_debug ("%s: not decoded: %s", GST_PAD_NAME (pad), gst_pad_link_get_name (result));
}

static void
on_drained (GstElement *decodebin, gpointer user_data)
{
  Decoding *decoding = user_data;

  g_atomic_int_set (&decoding->drained, TRUE);
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

/* The source of a push-mode read: the file as a stream that cannot seek,
 * so decodebin cannot pull from it. A queue after filesrc would also make
 * it push, but a queue drops the end-of-stream that reaches it after its
 * downstream said end-of-stream (wavparse does when its data chunk is
 * read), and the read would never end. The source itself sends the
 * end-of-stream when told so. */
static GstElement *
make_stream_source (GstBin *bin, const char *path, GError **error)
{
  g_autoptr(GInputStream) stream = NULL;
  GstElement *source;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);

  if (fd < 0) {
    int saved_errno = errno;

    g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                         g_strerror (saved_errno));
    return NULL;
  }
  stream = g_unix_input_stream_new (fd, TRUE);
  if (!(source = make (bin, "giostreamsrc", error)))
    return NULL;
  g_object_set (source, "stream", stream, NULL);
  return source;
}

/* source ! decodebin ! audioconvert ! audioresample ! appsink, where the
 * source is filesrc (decodebin pulls) or, for @push, a stream source. */
static gboolean
build_reader (Decoding *decoding, const char *path, guint rate, gboolean push, GError **error)
{
  g_autoptr(GstElement) pipeline = gst_object_ref_sink (gst_pipeline_new ("audio-file"));
  g_autoptr(GstCaps) caps = gst_caps_new_simple ("audio/x-raw",
                                                 "format", G_TYPE_STRING, "S16LE",
                                                 "layout", G_TYPE_STRING, "interleaved",
                                                 "channels", G_TYPE_INT, 1,
                                                 "rate", G_TYPE_INT, (gint) rate, NULL);
  GstBin *bin = GST_BIN (pipeline);
  GstElement *source, *decode, *resample, *sink;

  source = push ? make_stream_source (bin, path, error) : make (bin, "filesrc", error);
  if (!source || !(decode = make (bin, "decodebin", error)) ||
      !(decoding->convert = make (bin, "audioconvert", error)) ||
      !(resample = make (bin, "audioresample", error)) || !(sink = make (bin, "appsink", error)))
    return FALSE;
  if (!push)
    g_object_set (source, "location", path, NULL);
  /* Nothing is played out: take the samples as fast as they decode. */
  g_object_set (sink, "caps", caps, "sync", FALSE, NULL);
  g_signal_connect (decode, "pad-added", G_CALLBACK (on_pad_added), decoding);
  g_signal_connect (decode, "drained", G_CALLBACK (on_drained), decoding);
  if (!gst_element_link (source, decode) ||
      !gst_element_link_many (decoding->convert, resample, sink, NULL)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION, "cannot link the decoder");
    return FALSE;
  }
  decoding->sink = GST_APP_SINK (sink);
  decoding->rate = rate;
  decoding->pipeline = g_steal_pointer (&pipeline);
  return TRUE;
}

/* The pipeline's first error, or FALSE when it has none. GStreamer's
 * messages are generic ("general stream error"): the last line of the
 * debug text, which says what went wrong, is added to it. */
static gboolean
take_error (GstElement *pipeline, GError **error)
{
  g_autoptr(GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr(GstMessage) message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_autoptr(GError) gst_error = NULL;
  g_autofree char *debug = NULL;
  const char *detail;

  if (!message)
    return FALSE;
  gst_message_parse_error (message, &gst_error, &debug);
  g_debug ("%s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), debug ? debug : "");
  detail = debug ? strrchr (debug, '\n') : NULL;
  if (detail && detail[1])
    g_set_error (error, gst_error->domain, gst_error->code, "%s (%s)", gst_error->message,
                 detail + 1);
  else
    g_propagate_error (error, g_steal_pointer (&gst_error));
  return TRUE;
}

/* Appends the decoded samples until the end of the stream; FALSE on an
 * error, or when @deadline (monotonic time) passes first. */
static gboolean
pull_samples (Decoding *decoding, gint64 deadline, GByteArray *samples, GError **error)
{
  while (!take_error (decoding->pipeline, error)) {
    /* A timeout rather than a blocking pull: an error stops the stream
     * without an end-of-stream, and must be noticed. */
    g_autoptr(GstSample) sample = gst_app_sink_try_pull_sample (decoding->sink, 50 * GST_MSECOND);
    GstMapInfo map;

    if (sample && gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ)) {
      g_byte_array_append (samples, map.data, map.size);
      gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
    }
    if (sample)
      continue;
    if (gst_app_sink_is_eos (decoding->sink))
      return TRUE;
    /* Decoding is over, but no pad was linked (no audio in the file): no
     * end-of-stream will reach the appsink. */
    if (g_atomic_int_get (&decoding->drained) && !g_atomic_int_get (&decoding->linked))
      return TRUE;
    if (g_get_monotonic_time () >= deadline) {
      g_debug ("decoding given up: linked %d, drained %d, %u bytes so far",
               g_atomic_int_get (&decoding->linked), g_atomic_int_get (&decoding->drained),
               samples->len);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           "decoding neither ended nor failed in time; given up");
      return FALSE;
    }
  }
  return FALSE;
}

/* Decodes @path once, in pull or in push mode, appending to @samples. */
static gboolean
decode (const char *path, guint rate, gboolean push, gint64 deadline, GByteArray *samples,
        GError **error)
{
  Decoding decoding = { 0 };
  gboolean ok;

  if (!build_reader (&decoding, path, rate, push, error))
    return FALSE;
  ok = gst_element_set_state (decoding.pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
  if (ok)
    ok = pull_samples (&decoding, deadline, samples, error);
  else if (!take_error (decoding.pipeline, error))
    g_set_error_literal (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
                         "the decoding pipeline did not start");
  /* Stops the streaming threads: none touches @decoding after this. */
  gst_element_set_state (decoding.pipeline, GST_STATE_NULL);
  gst_object_unref (decoding.pipeline);
  return ok;
}

/* How long reading @path may take (see READ_LIMIT_FLOOR_S), or -1 when
 * it is no regular file: a FIFO would block filesrc for good. */
static gint64
read_limit (const char *path, GError **error)
{
  GStatBuf info;

  if (g_stat (path, &info) != 0) {
    int saved_errno = errno;

    g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                         g_strerror (saved_errno));
    return -1;
  }
  if (!S_ISREG (info.st_mode)) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "not a regular file");
    return -1;
  }
  return (READ_LIMIT_FLOOR_S + READ_LIMIT_S_PER_MIB * (info.st_size >> 20)) * G_USEC_PER_SEC;
}

static gboolean
read_samples (const char *path, guint rate, GByteArray *samples, GError **error)
{
  gint64 limit = read_limit (path, error);

  if (limit < 0)
    return FALSE;
  /* Pull mode first, as decodebin prefers, then push mode when that gave
   * nothing: wavparse 1.22, pulling, ends a file whose data chunk has an
   * odd size (and its pad byte after it) before the first sample, and
   * reads it whole when pushed (baresip's ring.wav). */
  for (guint push = 0; push <= 1 && samples->len == 0; push++) {
    if (!decode (path, rate, push, g_get_monotonic_time () + limit, samples, error))
      return FALSE;
  }
  if (samples->len > 0)
    return TRUE;
  g_set_error_literal (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
                       "no audio stream could be decoded");
  return FALSE;
}

gint16 *
tb_audio_file_read (const char *path, guint rate, gsize *n_samples, GError **error)
{
  g_autoptr(GByteArray) samples = g_byte_array_new ();

  g_return_val_if_fail (path && rate > 0 && n_samples, NULL);

  if (!read_samples (path, rate, samples, error)) {
    g_prefix_error (error, "%s: ", path);
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

GBytes *
tb_wav_bytes_new (const gint16 *samples, gsize n_samples, guint rate)
{
  gsize data_size = MIN (n_samples * sizeof (gint16), G_MAXUINT32 - WAV_HEADER_SIZE);
  guint8 *wav = g_malloc (WAV_HEADER_SIZE + data_size);

  fill_header (wav, rate, (guint32) data_size);
  for (gsize i = 0; i < data_size / sizeof (gint16); i++)
    put_le16 (wav + WAV_HEADER_SIZE + 2 * i, (guint16) samples[i]);
  return g_bytes_new_take (wav, WAV_HEADER_SIZE + data_size);
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
