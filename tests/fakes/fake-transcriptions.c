/* fake-transcriptions.c — route "stt-openai": OpenAI's POST
 * /v1/audio/transcriptions, a multipart/form-data body with the file (a
 * WAV file: RIFF/WAVE, 16-bit PCM, mono, with data), model, language
 * (ISO-639-1), prompt and response_format (json or text). The answer is
 * {"text": next script item} (a string; none left: "").
 *
 * Knobs: status (OpenAI's error body; 429 with Retry-After), first_byte_ms,
 * chunk_ms (between the pieces of the answer's body), drop_after (pieces
 * sent before the connection is cut), malformed_at (that piece is not
 * JSON), stall (no answer). Summary: model, language, prompt,
 * response_format, filename, file_type, rate, channels, bits, audio_s. */
#define G_LOG_DOMAIN "tb-fake-cloud"

#include "fake.h"

#include <string.h>

#define OA_ROUTE "stt-openai"
#define OA_REQUEST_ID "req_fake_transcription"
#define OA_PIECES 3

typedef struct {
  char *message;
  const char *param;
} Refusal;

static gboolean
oa_check_key (TbFakeRoute *route, SoupServerMessage *msg)
{
  if (tb_fake_check_key (route, msg, "Authorization", "Bearer "))
    return TRUE;
  tb_fake_openai_reply_error (msg, 401, OA_REQUEST_ID, "Incorrect API key provided. You can "
                              "find your API key at https://platform.openai.com/account/"
                              "api-keys.", "invalid_request_error", NULL, "invalid_api_key");
  return FALSE;
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static guint16
le16 (const guint8 *p)
{
  return (guint16) (p[0] | p[1] << 8);
}

/* A WAV file as OpenAI decodes it: RIFF/WAVE, a fmt chunk of 16-bit PCM
 * mono, a data chunk with audio. */
static gboolean
oa_check_wav (GBytes *file, JsonObject *summary, char **problem)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (file, &len);
  gsize pos = 12;
  gboolean have_fmt = FALSE;
  guint16 format = 0, channels = 0, bits = 0;
  guint32 rate = 0;

  if (len < 12 || memcmp (data, "RIFF", 4) != 0 || memcmp (data + 8, "WAVE", 4) != 0) {
    *problem = g_strdup ("the file is not a RIFF/WAVE file");
    return FALSE;
  }
  if (le32 (data + 4) != len - 8) {
    *problem = g_strdup_printf ("the RIFF size says %u bytes, the file has %" G_GSIZE_FORMAT,
                                le32 (data + 4), len - 8);
    return FALSE;
  }
  while (pos + 8 <= len) {
    guint32 size = le32 (data + pos + 4);
    const guint8 *body = data + pos + 8;

    if (pos + 8 + size > len) {
      *problem = g_strdup_printf ("chunk %.4s runs past the end of the file", data + pos);
      return FALSE;
    }
    if (memcmp (data + pos, "fmt ", 4) == 0 && size >= 16) {
      format = le16 (body);
      channels = le16 (body + 2);
      rate = le32 (body + 4);
      bits = le16 (body + 14);
      have_fmt = TRUE;
      if (le32 (body + 8) != rate * channels * bits / 8 ||
          le16 (body + 12) != channels * bits / 8) {
        *problem = g_strdup ("the fmt chunk's byte rate or block align does not match");
        return FALSE;
      }
    } else if (memcmp (data + pos, "data", 4) == 0) {
      if (!have_fmt) {
        *problem = g_strdup ("the data chunk comes before a fmt chunk");
        return FALSE;
      }
      if (format != 1 || channels != 1 || bits != 16) {
        *problem = g_strdup_printf ("audio is format %u, %u channels, %u bits: 16-bit PCM "
                                    "mono is what is sent", format, channels, bits);
        return FALSE;
      }
      if (rate < 8000 || rate > 48000) {
        *problem = g_strdup_printf ("sample rate %u", rate);
        return FALSE;
      }
      if (size == 0 || size % 2) {
        *problem = g_strdup_printf ("the data chunk has %u bytes", size);
        return FALSE;
      }
      json_object_set_int_member (summary, "rate", rate);
      json_object_set_int_member (summary, "channels", channels);
      json_object_set_int_member (summary, "bits", bits);
      json_object_set_double_member (summary, "audio_s", (double) size / 2 / rate);
      return TRUE;
    }
    pos += 8 + size + (size & 1);
  }
  *problem = g_strdup ("no data chunk");
  return FALSE;
}

/* The answer: its body, sent in OA_PIECES pieces. */
typedef struct {
  char *body;
  char *model;
  gboolean text_format;
} OaAnswer;

static void
oa_answer_free (OaAnswer *answer)
{
  g_free (answer->body);
  g_free (answer->model);
  g_free (answer);
}

static void
oa_reply_status (SoupServerMessage *msg, const TbFakeKnobs *knobs, gpointer data)
{
  OaAnswer *answer = data;

  tb_fake_openai_reply_status (msg, knobs, OA_REQUEST_ID, answer->model);
}

static GPtrArray *
oa_answer_pieces (SoupServerMessage *msg, gpointer data)
{
  OaAnswer *answer = data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  GPtrArray *pieces = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gsize len = strlen (answer->body);

  soup_message_headers_set_content_type (headers, answer->text_format
                                         ? "text/plain; charset=utf-8" : "application/json",
                                         NULL);
  soup_message_headers_replace (headers, "x-request-id", OA_REQUEST_ID);
  for (guint i = 0; i < OA_PIECES; i++) {
    gsize from = len * i / OA_PIECES, to = len * (i + 1) / OA_PIECES;

    g_ptr_array_add (pieces, g_bytes_new (answer->body + from, to - from));
  }
  return pieces;
}

static const TbFakeStreamClass oa_stream_class = {
  .reply_status = oa_reply_status,
  .answer = oa_answer_pieces,
  .malformed = "<html>upstream error</html>",
};

static char *
oa_text_body (const char *text, gboolean text_format)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;

  if (text_format)
    return g_strconcat (text, "\n", NULL);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, text);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static gboolean
is_iso639_1 (const char *language)
{
  return strlen (language) == 2 && g_ascii_islower (language[0]) && g_ascii_islower (language[1]);
}

/* The multipart form's parts: fields (name -> text) and the file. */
static gboolean
oa_read_form (SoupServerMessage *msg, GHashTable *fields, GBytes **file, char **filename,
              char **file_type, Refusal *refusal)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *request_body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (request_body);
  g_autoptr(SoupMultipart) multipart = soup_multipart_new_from_message (request_headers, body);

  if (!multipart) {
    refusal->message = g_strdup ("Could not parse multipart form");
    return FALSE;
  }
  for (int i = 0; i < soup_multipart_get_length (multipart); i++) {
    SoupMessageHeaders *headers;
    GBytes *part;
    g_autofree char *disposition = NULL;
    g_autoptr(GHashTable) params = NULL;
    const char *name;

    if (!soup_multipart_get_part (multipart, i, &headers, &part) ||
        !soup_message_headers_get_content_disposition (headers, &disposition, &params) ||
        g_strcmp0 (disposition, "form-data") != 0 ||
        !(name = g_hash_table_lookup (params, "name"))) {
      refusal->message = g_strdup ("Could not parse multipart form: a part without "
                                   "Content-Disposition: form-data; name=...");
      return FALSE;
    }
    if (g_str_equal (name, "file")) {
      const char *type = soup_message_headers_get_content_type (headers, NULL);

      g_clear_pointer (file, g_bytes_unref);
      *file = g_bytes_ref (part);
      g_free (*filename);
      *filename = g_strdup (g_hash_table_lookup (params, "filename"));
      g_free (*file_type);
      *file_type = g_strdup (type);
    } else {
      g_hash_table_replace (fields, g_strdup (name),
                            g_strndup (g_bytes_get_data (part, NULL), g_bytes_get_size (part)));
    }
  }
  return TRUE;
}

static gboolean
oa_check_form (GHashTable *fields, GBytes *file, const char *filename, JsonObject *summary,
               Refusal *refusal)
{
  const char *model = g_hash_table_lookup (fields, "model");
  const char *language = g_hash_table_lookup (fields, "language");
  const char *format = g_hash_table_lookup (fields, "response_format");
  g_autofree char *problem = NULL;

  if (!file) {
    refusal->message = g_strdup ("1 validation error for Request\nbody -> file\n  field required");
    refusal->param = "file";
    return FALSE;
  }
  if (!model || !*model) {
    refusal->message = g_strdup ("you must provide a model parameter");
    refusal->param = "model";
    return FALSE;
  }
  if (!filename || !g_str_has_suffix (filename, ".wav")) {
    refusal->message = g_strdup_printf ("Unrecognized file format (%s). Supported formats: "
                                        "['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', "
                                        "'ogg', 'wav', 'webm']", filename ? filename : "no name");
    refusal->param = "file";
    return FALSE;
  }
  if (!oa_check_wav (file, summary, &problem)) {
    refusal->message = g_strdup_printf ("Audio file might be corrupted or unsupported: %s",
                                        problem);
    refusal->param = "file";
    return FALSE;
  }
  if (language && !is_iso639_1 (language)) {
    refusal->message = g_strdup_printf ("Invalid language '%s'. Language parameter must be "
                                        "specified in ISO-639-1 format.", language);
    refusal->param = "language";
    return FALSE;
  }
  if (format && !g_str_equal (format, "json") && !g_str_equal (format, "text")) {
    refusal->message = g_strdup_printf ("response_format %s is not json or text (the fake "
                                        "serves those)", format);
    refusal->param = "response_format";
    return FALSE;
  }
  return TRUE;
}

static void
oa_on_transcriptions (SoupServer *server, SoupServerMessage *msg, const char *path,
                      GHashTable *query, gpointer data)
{
  TbFakeRoute *route = tb_fake_route (OA_ROUTE);
  g_autoptr(GHashTable) fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GBytes) file = NULL;
  g_autofree char *filename = NULL, *file_type = NULL;
  JsonObject *summary = json_object_new ();
  Refusal refusal = { NULL, NULL };
  const char *const names[] = { "model", "language", "prompt", "response_format" };
  JsonNode *item;
  OaAnswer *answer;
  gboolean fault;

  if (g_strcmp0 (soup_server_message_get_method (msg), "POST") != 0) {
    tb_fake_log_request (route, msg, summary);
    tb_fake_violation (route, "%s %s: only POST is served", soup_server_message_get_method (msg),
                       path);
    tb_fake_openai_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, OA_REQUEST_ID,
                                "Method Not Allowed", "invalid_request_error", NULL,
                                "method_not_supported");
    return;
  }
  if (!oa_read_form (msg, fields, &file, &filename, &file_type, &refusal)) {
    tb_fake_log_request (route, msg, summary);
    tb_fake_violation (route, "%s", refusal.message);
    tb_fake_openai_reply_error (msg, SOUP_STATUS_BAD_REQUEST, OA_REQUEST_ID, refusal.message,
                                "invalid_request_error", NULL, NULL);
    g_free (refusal.message);
    return;
  }
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_hash_table_lookup (fields, names[i]))
      json_object_set_string_member (summary, names[i], g_hash_table_lookup (fields, names[i]));
  if (filename)
    json_object_set_string_member (summary, "filename", filename);
  if (file_type)
    json_object_set_string_member (summary, "file_type", file_type);
  if (!oa_check_key (route, msg)) {
    tb_fake_log_request (route, msg, summary);
    return;
  }
  if (!oa_check_form (fields, file, filename, summary, &refusal)) {
    tb_fake_log_request (route, msg, summary);
    tb_fake_violation (route, "%s", refusal.message);
    tb_fake_openai_reply_error (msg, SOUP_STATUS_BAD_REQUEST, OA_REQUEST_ID, refusal.message,
                                "invalid_request_error", refusal.param, NULL);
    g_free (refusal.message);
    return;
  }
  tb_fake_log_request (route, msg, summary);

  fault = tb_fake_route_take_fault (route);
  item = fault && route->knobs.status ? NULL : tb_fake_route_next_item (route);
  answer = g_new0 (OaAnswer, 1);
  answer->model = g_strdup (g_hash_table_lookup (fields, "model"));
  answer->text_format = g_strcmp0 (g_hash_table_lookup (fields, "response_format"), "text") == 0;
  answer->body = oa_text_body (item && JSON_NODE_HOLDS_VALUE (item) &&
                               json_node_get_value_type (item) == G_TYPE_STRING
                               ? json_node_get_string (item) : "", answer->text_format);
  tb_fake_stream_start (msg, route, fault, &oa_stream_class, answer,
                        (GDestroyNotify) oa_answer_free);
}

void
tb_fake_transcriptions_register (SoupServer *server)
{
  soup_server_add_handler (server, "/v1/audio/transcriptions", oa_on_transcriptions, NULL, NULL);
}
