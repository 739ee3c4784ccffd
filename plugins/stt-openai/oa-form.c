/* oa-form.c — see oa-form.h. */
#define G_LOG_DOMAIN "tb-stt-openai"

#include "oa-form.h"

#include <talkingbits-plugin.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#define EXCERPT_CHARS 80

static void
put_le32 (guint8 *p, guint32 value)
{
  p[0] = value & 0xff;
  p[1] = (value >> 8) & 0xff;
  p[2] = (value >> 16) & 0xff;
  p[3] = (value >> 24) & 0xff;
}

static void
put_le16 (guint8 *p, guint16 value)
{
  p[0] = value & 0xff;
  p[1] = (value >> 8) & 0xff;
}

GBytes *
oa_wav_new (const gint16 *samples, gsize n_samples, guint rate)
{
  gsize data_size = n_samples * sizeof (gint16);
  guint8 *wav = g_malloc (44 + data_size);

  memcpy (wav, "RIFF", 4);
  put_le32 (wav + 4, (guint32) (36 + data_size));
  memcpy (wav + 8, "WAVEfmt ", 8);
  put_le32 (wav + 16, 16);            /* fmt chunk size */
  put_le16 (wav + 20, 1);             /* PCM */
  put_le16 (wav + 22, 1);             /* mono */
  put_le32 (wav + 24, rate);
  put_le32 (wav + 28, rate * 2);      /* bytes per second */
  put_le16 (wav + 32, 2);             /* block align */
  put_le16 (wav + 34, 16);            /* bits per sample */
  memcpy (wav + 36, "data", 4);
  put_le32 (wav + 40, (guint32) data_size);
  for (gsize i = 0; i < n_samples; i++)
    put_le16 (wav + 44 + 2 * i, (guint16) samples[i]);
  return g_bytes_new_take (wav, 44 + data_size);
}

char *
oa_language_code (const char *bcp47)
{
  gsize len;

  if (!bcp47)
    return NULL;
  len = strcspn (bcp47, "-_");
  if (len != 2 || !g_ascii_isalpha (bcp47[0]) || !g_ascii_isalpha (bcp47[1]))
    return NULL;
  return g_ascii_strdown (bcp47, 2);
}

GBytes *
oa_form_new (GBytes *wav, const char *model, const char *language, const char *prompt,
             char **content_type)
{
  g_autoptr(SoupMultipart) form = soup_multipart_new ("multipart/form-data");
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  GBytes *body = NULL;

  soup_multipart_append_form_file (form, "file", "turn.wav", "audio/wav", wav);
  soup_multipart_append_form_string (form, "model", model);
  if (language)
    soup_multipart_append_form_string (form, "language", language);
  if (prompt && *prompt)
    soup_multipart_append_form_string (form, "prompt", prompt);
  soup_multipart_append_form_string (form, "response_format", "json");
  soup_multipart_to_message (form, headers, &body);
  *content_type = g_strdup (soup_message_headers_get_one (headers, "Content-Type"));
  return body;
}

char *
oa_answer_text (const guint8 *data, gsize len, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *text = NULL;

  if (json_parser_load_from_data (parser, (const char *) data, len, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    text = json_object_get_member (json_node_get_object (json_parser_get_root (parser)), "text");
  if (!text || !JSON_NODE_HOLDS_VALUE (text) || json_node_get_value_type (text) != G_TYPE_STRING) {
    g_autofree char *excerpt = g_strndup ((const char *) data, MIN (len, EXCERPT_CHARS));

    for (char *p = excerpt; *p; p++)
      if (!g_ascii_isprint (*p))
        *p = ' ';
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                 "provider OpenAI answered without a transcript (%s)", excerpt);
    return NULL;
  }
  return g_strstrip (g_strdup (json_node_get_string (text)));
}
