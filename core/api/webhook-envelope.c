/* webhook-envelope.c — a tool-webhook request received by a built-in
 * webhook: its signature checked, its envelope read. */
#define G_LOG_DOMAIN "tb-http"

#include "webhook-envelope.h"

#include "http-json.h"

#include <string.h>

static const char *const string_fields[] = { "call_id", "agent", "caller", "callee", "tool" };

char *
tb_webhook_signature (const char *secret, GBytes *body)
{
  gsize length = 0;
  const guchar *data = g_bytes_get_data (body, &length);
  g_autofree char *hex = g_compute_hmac_for_data (G_CHECKSUM_SHA256, (const guchar *) secret,
                                                  strlen (secret), data, length);

  return g_strconcat ("sha256=", hex, NULL);
}

/* Compares in a time that does not depend on where they differ. */
static gboolean
equal_secret (const char *a, const char *b)
{
  gsize length = strlen (a);
  guchar diff = 0;

  if (length != strlen (b))
    return FALSE;
  for (gsize i = 0; i < length; i++)
    diff |= (guchar) (g_ascii_tolower (a[i]) ^ g_ascii_tolower (b[i]));
  return diff == 0;
}

static gboolean
signature_valid (SoupServerMessage *msg, const char *secret)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *given = soup_message_headers_get_one (headers, TB_WEBHOOK_SIGNATURE_HEADER);
  g_autoptr(GBytes) body = NULL;
  g_autofree char *expected = NULL;

  if (!given)
    return FALSE;
  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  expected = tb_webhook_signature (secret, body);
  return equal_secret (expected, given);
}

void
tb_webhook_envelope_free (TbWebhookEnvelope *request)
{
  if (!request)
    return;
  g_clear_pointer (&request->arguments, json_object_unref);
  g_clear_pointer (&request->root, json_node_unref);
  g_free (request);
}

TbWebhookEnvelope *
tb_webhook_envelope_read (SoupServerMessage *msg, const char *secret)
{
  g_autoptr(TbWebhookEnvelope) request = NULL;
  JsonObject *object;
  JsonNode *arguments;
  const char **fields[G_N_ELEMENTS (string_fields)];

  if (secret && !signature_valid (msg, secret)) {
    tb_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED,
                         "missing or wrong " TB_WEBHOOK_SIGNATURE_HEADER " header");
    return NULL;
  }
  request = g_new0 (TbWebhookEnvelope, 1);
  request->root = tb_http_read_json_object (msg);
  if (!request->root)
    return NULL;
  object = json_node_get_object (request->root);
  fields[0] = &request->call_id;
  fields[1] = &request->agent;
  fields[2] = &request->caller;
  fields[3] = &request->callee;
  fields[4] = &request->tool;

  for (guint i = 0; i < G_N_ELEMENTS (string_fields); i++) {
    JsonNode *node = json_object_get_member (object, string_fields[i]);

    if (node && !JSON_NODE_HOLDS_NULL (node) &&
        !(JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)) {
      tb_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "\"%s\" must be a string",
                           string_fields[i]);
      return NULL;
    }
    *fields[i] = node && !JSON_NODE_HOLDS_NULL (node) ? json_node_get_string (node) : "";
  }

  arguments = json_object_get_member (object, "arguments");
  if (arguments && !JSON_NODE_HOLDS_OBJECT (arguments)) {
    tb_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "\"arguments\" must be a JSON object");
    return NULL;
  }
  request->arguments = arguments ? json_object_ref (json_node_get_object (arguments))
                                 : json_object_new ();
  return g_steal_pointer (&request);
}
