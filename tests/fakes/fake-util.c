/* fake-util.c — what the route files share: JSON in and out, OpenAI's
 * error answers (its chat and its transcriptions speak the same errors),
 * cutting a connection, and a streamed answer paced by the knobs. See
 * fake.h. */
#define G_LOG_DOMAIN "tb-fake-cloud"

#include "fake.h"

#include <string.h>

/* ---- JSON in and out ------------------------------------------------------ */

JsonObject *
tb_fake_request_object (SoupServerMessage *msg, JsonParser *parser)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  if (!json_parser_load_from_data (parser, body->data, body->length, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  return json_node_get_object (json_parser_get_root (parser));
}

void
tb_fake_reply_json (SoupServerMessage *msg, guint status, JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text,
                                    strlen (text));
}

void
tb_fake_set_retry_after (SoupServerMessage *msg, guint seconds)
{
  g_autofree char *text = NULL;

  if (!seconds)
    return;
  text = g_strdup_printf ("%u", seconds);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                text);
}

/* ---- OpenAI's errors ------------------------------------------------------- */

JsonNode *
tb_fake_openai_error (const char *message, const char *type, const char *param,
                      const char *code)
{
  JsonObject *error = json_object_new (), *root = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (error, "message", message);
  json_object_set_string_member (error, "type", type);
  if (param)
    json_object_set_string_member (error, "param", param);
  else
    json_object_set_null_member (error, "param");
  if (code)
    json_object_set_string_member (error, "code", code);
  else
    json_object_set_null_member (error, "code");
  json_object_set_object_member (root, "error", error);
  json_node_take_object (node, root);
  return node;
}

void
tb_fake_openai_reply_error (SoupServerMessage *msg, guint status, const char *request_id,
                            const char *message, const char *type, const char *param,
                            const char *code)
{
  g_autoptr(JsonNode) node = tb_fake_openai_error (message, type, param, code);

  tb_fake_reply_json (msg, status, node);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "x-request-id",
                                request_id);
}

void
tb_fake_openai_reply_status (SoupServerMessage *msg, const TbFakeKnobs *knobs,
                             const char *request_id, const char *model)
{
  switch (knobs->status) {
  case 401:
    tb_fake_openai_reply_error (msg, 401, request_id, "Incorrect API key provided: "
                                "sk-abc***********wxyz. You can find your API key at "
                                "https://platform.openai.com/account/api-keys.",
                                "invalid_request_error", NULL, "invalid_api_key");
    break;
  case 429: {
    g_autofree char *message = g_strdup_printf (
      "Rate limit reached for %s in organization org-fake on requests per min (RPM): "
      "Limit 3, Used 3, Requested 1. Please try again in %us. Visit "
      "https://platform.openai.com/account/rate-limits to learn more.",
      model ? model : "the model", knobs->retry_after_s);

    tb_fake_openai_reply_error (msg, 429, request_id, message, "requests", "requests",
                                "rate_limit_exceeded");
    tb_fake_set_retry_after (msg, knobs->retry_after_s);
    break;
  }
  case 500:
    tb_fake_openai_reply_error (msg, 500, request_id, "The server had an error while "
                                "processing your request. Sorry about that!", "server_error",
                                NULL, NULL);
    break;
  case 503:
    tb_fake_openai_reply_error (msg, 503, request_id, "The engine is currently overloaded, "
                                "please try again later.", "server_error", NULL, NULL);
    break;
  default:
    tb_fake_openai_reply_error (msg, knobs->status, request_id,
                                soup_status_get_phrase (knobs->status)
                                ? soup_status_get_phrase (knobs->status) : "error",
                                "invalid_request_error", NULL, NULL);
    break;
  }
}

/* ---- cutting a connection ----------------------------------------------------- */

void
tb_fake_cut_connection (SoupServerMessage *msg)
{
  g_autoptr(GIOStream) connection = NULL;
  GSocket *socket = soup_server_message_get_socket (msg);

  /* Shut first: letting go of the message ends its chunked body properly
   * ("0\r\n\r\n"), which a cut connection never does. */
  if (socket)
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
  connection = soup_server_message_steal_connection (msg);
  if (connection)
    g_io_stream_close (connection, NULL, NULL);
}

/* ---- a streamed answer ------------------------------------------------------------ */

typedef struct {
  SoupServerMessage *msg;
  const TbFakeStreamClass *klass;
  gpointer data;
  GDestroyNotify destroy;
  TbFakeKnobs knobs;      /* the route's, when the request came */
  gboolean fault;         /* the faults of the knobs apply      */
  GPtrArray *chunks;      /* GBytes: the 200's body             */
  guint next;             /* chunks appended so far             */
  guint written;          /* chunks libsoup has written         */
  gboolean headers_written;
  gboolean dropping;      /* cut once what was appended is out  */
  guint source;
} TbFakeStream;

static void
stream_free (TbFakeStream *stream)
{
  if (stream->source)
    g_source_remove (stream->source);
  g_signal_handlers_disconnect_by_data (stream->msg, stream);
  g_object_unref (stream->msg);
  g_clear_pointer (&stream->chunks, g_ptr_array_unref);
  if (stream->destroy)
    stream->destroy (stream->data);
  g_free (stream);
}

static void
on_finished (SoupServerMessage *msg, gpointer data)
{
  stream_free (data);
}

/* The client sees the body end without its last chunk. */
static gboolean
drop_now (gpointer data)
{
  TbFakeStream *stream = data;

  stream->source = 0;
  g_signal_handlers_disconnect_by_data (stream->msg, stream);
  tb_fake_cut_connection (stream->msg);
  stream_free (stream);
  return G_SOURCE_REMOVE;
}

static void
maybe_drop (TbFakeStream *stream)
{
  if (stream->dropping && stream->headers_written && stream->written == stream->next &&
      !stream->source)
    stream->source = g_idle_add (drop_now, stream);
}

static void
on_wrote_headers (SoupServerMessage *msg, gpointer data)
{
  TbFakeStream *stream = data;

  stream->headers_written = TRUE;
  maybe_drop (stream);
}

static void
on_wrote_chunk (SoupServerMessage *msg, gpointer data)
{
  TbFakeStream *stream = data;

  stream->written++;
  maybe_drop (stream);
}

/* Every event in one write (tb_fake_knobs_at_once). */
static void
send_all (TbFakeStream *stream, SoupMessageBody *body)
{
  g_autoptr(GByteArray) all = g_byte_array_new ();

  for (; stream->next < stream->chunks->len; stream->next++) {
    gsize len;
    const guint8 *bytes = g_bytes_get_data (g_ptr_array_index (stream->chunks, stream->next),
                                            &len);

    g_byte_array_append (all, bytes, len);
  }
  soup_message_body_append (body, SOUP_MEMORY_COPY, all->data, all->len);
  soup_message_body_complete (body);
  soup_server_message_unpause (stream->msg);
}

static gboolean
send_next (gpointer data)
{
  TbFakeStream *stream = data;
  SoupMessageBody *body = soup_server_message_get_response_body (stream->msg);

  stream->source = 0;
  if (tb_fake_knobs_at_once (&stream->knobs, stream->fault)) {
    send_all (stream, body);
    return G_SOURCE_REMOVE;
  }
  if (stream->fault && stream->knobs.drop_after >= 0 &&
      stream->next >= (guint) stream->knobs.drop_after) {
    stream->dropping = TRUE;
    maybe_drop (stream);
    return G_SOURCE_REMOVE;
  }
  if (stream->next == stream->chunks->len) {
    soup_message_body_complete (body);
    soup_server_message_unpause (stream->msg);
    return G_SOURCE_REMOVE;
  }
  if (stream->fault && stream->knobs.malformed_at == (int) stream->next)
    soup_message_body_append (body, SOUP_MEMORY_STATIC, stream->klass->malformed,
                              strlen (stream->klass->malformed));
  else
    soup_message_body_append_bytes (body, g_ptr_array_index (stream->chunks, stream->next));
  stream->next++;
  soup_server_message_unpause (stream->msg);
  stream->source = tb_fake_after (stream->knobs.chunk_ms, send_next, stream);
  return G_SOURCE_REMOVE;
}

/* The status line, after first_byte_ms: an error, nothing at all (stall),
 * or the streamed body. */
static gboolean
answer_now (gpointer data)
{
  TbFakeStream *stream = data;

  stream->source = 0;
  if (stream->fault && stream->knobs.stall)
    return G_SOURCE_REMOVE;     /* until the client gives up */
  if (stream->fault && stream->knobs.status) {
    stream->klass->reply_status (stream->msg, &stream->knobs, stream->data);
    soup_server_message_unpause (stream->msg);
    return G_SOURCE_REMOVE;
  }
  stream->chunks = stream->klass->answer (stream->msg, stream->data);
  soup_server_message_set_status (stream->msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_encoding (soup_server_message_get_response_headers (stream->msg),
                                     SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (stream->msg), FALSE);
  soup_server_message_unpause (stream->msg);
  return send_next (stream);
}

void
tb_fake_stream_start (SoupServerMessage *msg, TbFakeRoute *route, gboolean fault,
                      const TbFakeStreamClass *klass, gpointer data, GDestroyNotify destroy)
{
  TbFakeStream *stream = g_new0 (TbFakeStream, 1);

  stream->msg = g_object_ref (msg);
  stream->klass = klass;
  stream->data = data;
  stream->destroy = destroy;
  stream->knobs = route->knobs;
  stream->fault = fault;
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), stream);
  g_signal_connect (msg, "wrote-headers", G_CALLBACK (on_wrote_headers), stream);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), stream);
  soup_server_message_pause (msg);
  stream->source = tb_fake_after (stream->knobs.first_byte_ms, answer_now, stream);
}
