/* http-json.c — JSON replies and JSON request bodies for the HTTP server. */
#define G_LOG_DOMAIN "tb-http"

#include "http-json.h"

#define DEFERRED "tb-http-deferred"
#define GONE "tb-http-gone"

static void
on_disconnected (SoupServerMessage *msg, gpointer user_data)
{
  g_object_set_data (G_OBJECT (msg), GONE, GINT_TO_POINTER (1));
}

void
tb_http_defer (SoupServerMessage *msg)
{
  g_object_set_data (G_OBJECT (msg), DEFERRED, GINT_TO_POINTER (1));
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_disconnected), NULL);
  g_signal_connect (msg, "finished", G_CALLBACK (on_disconnected), NULL);
  soup_server_message_pause (msg);
}

/* Sets the answer of @msg (@body with @type; NULL: none), and resumes it
 * when it was deferred; dropped when the client has gone away meanwhile. */
static void
reply (SoupServerMessage *msg, guint status, const char *type, GBytes *body)
{
  gboolean deferred = g_object_get_data (G_OBJECT (msg), DEFERRED) != NULL;

  if (deferred && g_object_get_data (G_OBJECT (msg), GONE))
    return;
  soup_server_message_set_status (msg, status, NULL);
  if (body) {
    soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg), type,
                                           NULL);
    soup_message_body_append_bytes (soup_server_message_get_response_body (msg), body);
  }
  if (deferred) {
    g_object_set_data (G_OBJECT (msg), DEFERRED, NULL);
    soup_server_message_unpause (msg);
  }
}

void
tb_http_reply_json (SoupServerMessage *msg, guint status, JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GBytes) body = NULL;
  gsize length = 0;
  char *text;

  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, &length);
  body = g_bytes_new_take (text, length);
  reply (msg, status, "application/json", body);
}

void
tb_http_reply_bytes (SoupServerMessage *msg, guint status, const char *content_type,
                     GBytes *bytes)
{
  reply (msg, status, content_type, bytes);
}

void
tb_http_reply_empty (SoupServerMessage *msg, guint status)
{
  reply (msg, status, NULL, NULL);
}

void
tb_http_reply_invalid (SoupServerMessage *msg, const char *what, JsonObject *fields)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GString) message = g_string_new (what);
  g_autoptr(GList) names = json_object_get_members (fields);

  g_string_append_c (message, ':');
  for (GList *l = names; l; l = l->next)
    g_string_append_printf (message, "%s %s: %s", l == names ? "" : ";", (const char *) l->data,
                            json_object_get_string_member (fields, l->data));
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, message->str);
  json_builder_set_member_name (builder, "fields");
  json_builder_add_value (builder, json_node_init_object (json_node_alloc (), fields));
  json_builder_end_object (builder);
  tb_http_reply_builder (msg, SOUP_STATUS_BAD_REQUEST, builder);
}

void
tb_http_reply_builder (SoupServerMessage *msg, guint status, JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  tb_http_reply_json (msg, status, root);
}

void
tb_http_reply_error (SoupServerMessage *msg, guint status, const char *format, ...)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  tb_http_reply_builder (msg, status, builder);
}

JsonNode *
tb_http_read_json_object (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  const char *data = g_bytes_get_data (bytes, &length);

  if (length == 0) {
    tb_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "the request has no body; "
                         "a JSON object is expected");
    return NULL;
  }
  if (!json_parser_load_from_data (parser, data, (gssize) length, &error)) {
    tb_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid JSON: %s", error->message);
    return NULL;
  }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    tb_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "the body must be a JSON object");
    return NULL;
  }
  return json_parser_steal_root (parser);
}

gboolean
tb_http_read_optional_json_object (SoupServerMessage *msg, JsonNode **object)
{
  *object = NULL;
  if (soup_server_message_get_request_body (msg)->length == 0)
    return TRUE;
  *object = tb_http_read_json_object (msg);
  return *object != NULL;
}
