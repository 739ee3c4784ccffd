/* webhook-envelope.h — what the tool-webhook plugin posts, as a built-in
 * webhook receives it: a JSON object {"call_id", "agent", "caller",
 * "callee", "tool", "arguments": {...}} and, when the webhook has a
 * secret, the header X-Talkingbits-Signature: sha256=<hex HMAC-SHA256 of
 * the body with the secret>. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define TB_WEBHOOK_SIGNATURE_HEADER "X-Talkingbits-Signature"

typedef struct {
  JsonNode *root;
  /* Borrowed from root; "" when the request does not carry them. */
  const char *call_id;
  const char *agent;
  const char *caller;
  const char *callee;
  const char *tool;
  JsonObject *arguments;   /* never NULL; empty when absent */
} TbWebhookEnvelope;

/* Reads @msg's body. With @secret (NULL: none), a request whose signature
 * is missing or wrong is refused with 401; a body that is not such an
 * object (bad JSON, "arguments" not an object, a field of the wrong type)
 * with 400. Returns NULL after replying in those cases. */
TbWebhookEnvelope *tb_webhook_envelope_read (SoupServerMessage *msg, const char *secret);
void tb_webhook_envelope_free (TbWebhookEnvelope *request);

/* "sha256=" and the hex HMAC-SHA256 of @body with @secret: the header
 * value the tool-webhook plugin sends. */
char *tb_webhook_signature (const char *secret, GBytes *body);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbWebhookEnvelope, tb_webhook_envelope_free)

G_END_DECLS
