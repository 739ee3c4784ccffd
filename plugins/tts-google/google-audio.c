/* google-audio.c — Google's text:synthesize answer to PCM: JSON, then
 * base64 (checked: g_base64_decode() skips what is not base64 silently),
 * then the WAV file's chunks, walked to "fmt " and "data". */
#define G_LOG_DOMAIN "tb-tts-google"

#include <talkingbits-plugin.h>
#include "google-audio.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define WAVE_FORMAT_PCM 1
#define WAVE_FORMAT_EXTENSIBLE 0xfffe

static gboolean
protocol_error (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
protocol_error (GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL, "provider Google: %s", message);
  return FALSE;
}

static guint16
le16 (const guint8 *p)
{
  return (guint16) (p[0] | (p[1] << 8));
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

/* The "fmt " chunk @p (@size bytes): 16-bit mono PCM, with its rate. */
static gboolean
read_format (const guint8 *p, guint32 size, guint *rate, GError **error)
{
  guint format, channels, bits;

  if (size < 16)
    return protocol_error (error, "the WAV file's fmt chunk is %u bytes long", size);
  format = le16 (p);
  channels = le16 (p + 2);
  *rate = le32 (p + 4);
  bits = le16 (p + 14);
  /* WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of its
   * sub-format GUID. */
  if (format == WAVE_FORMAT_EXTENSIBLE && size >= 26)
    format = le16 (p + 24);
  if (format != WAVE_FORMAT_PCM || bits != 16 || channels != 1)
    return protocol_error (error, "the WAV file holds format %u, %u bits, %u channels, "
                           "not 16-bit mono PCM (LINEAR16)", format, bits, channels);
  if (*rate < 1000 || *rate > 192000)
    return protocol_error (error, "the WAV file's rate %u Hz makes no sense", *rate);
  return TRUE;
}

GBytes *
google_wav_pcm (GBytes *wav, guint *rate, GError **error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (wav, &size);
  gboolean have_format = FALSE;
  gsize offset = 12;

  if (size < 12 || memcmp (data, "RIFF", 4) != 0 || memcmp (data + 8, "WAVE", 4) != 0) {
    protocol_error (error, "audioContent is not a WAV file (no RIFF/WAVE header)");
    return NULL;
  }
  while (offset + 8 <= size) {
    const guint8 *chunk = data + offset;
    guint32 chunk_size = le32 (chunk + 4);
    gsize available = size - offset - 8;

    if (memcmp (chunk, "fmt ", 4) == 0) {
      if (chunk_size > available) {
        protocol_error (error, "the WAV file's fmt chunk is cut short");
        return NULL;
      }
      if (!read_format (chunk + 8, chunk_size, rate, error))
        return NULL;
      have_format = TRUE;
    } else if (memcmp (chunk, "data", 4) == 0) {
      if (!have_format) {
        protocol_error (error, "the WAV file has its data before its format");
        return NULL;
      }
      /* Writers that stream set the size before they know it (0 or
       * 0xffffffff): the samples are what is there. Whole samples only. */
      if (chunk_size == 0 || chunk_size > available)
        chunk_size = available;
      return g_bytes_new_from_bytes (wav, offset + 8, chunk_size & ~1u);
    }
    /* Other chunks (LIST, fact, ...) are skipped; chunks are padded to an
     * even length. */
    if (chunk_size > available)
      break;
    offset += 8 + (gsize) chunk_size + (chunk_size & 1);
  }
  protocol_error (error, "the WAV file has no %s chunk", have_format ? "data" : "fmt");
  return NULL;
}

static gboolean
is_base64 (const char *text)
{
  gsize len = strlen (text), pad = 0;

  if (len == 0 || len % 4 != 0)
    return FALSE;
  while (pad < 2 && text[len - 1 - pad] == '=')
    pad++;
  for (gsize i = 0; i < len - pad; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/')
      return FALSE;
  return TRUE;
}

GBytes *
google_answer_pcm (GBytes *body, guint *rate, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(GBytes) wav = NULL;
  JsonNode *root, *content;
  const char *text;
  guchar *decoded;
  gsize len;

  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                   &parse_error)) {
    protocol_error (error, "the answer is not JSON: %s", parse_error->message);
    return NULL;
  }
  root = json_parser_get_root (parser);
  content = root && JSON_NODE_HOLDS_OBJECT (root)
            ? json_object_get_member (json_node_get_object (root), "audioContent") : NULL;
  if (!content || !JSON_NODE_HOLDS_VALUE (content) ||
      json_node_get_value_type (content) != G_TYPE_STRING) {
    protocol_error (error, "the answer has no audioContent");
    return NULL;
  }
  text = json_node_get_string (content);
  if (!is_base64 (text)) {
    protocol_error (error, "audioContent is not base64");
    return NULL;
  }
  decoded = g_base64_decode (text, &len);
  wav = g_bytes_new_take (decoded, len);
  return google_wav_pcm (wav, rate, error);
}
