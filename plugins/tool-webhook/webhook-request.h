/* webhook-request.h — one webhook POST on the thread-default context: the
 * exchange with its deadline, cancellation and reply limit, and the reply
 * turned into a tool result or a TB_PLUGIN_ERROR. */
#pragma once

#include <talkingbits-plugin.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct {
  SoupSession *session;            /* made on the thread-default context   */
  GUri *uri;
  const char *display_url;         /* the URL without userinfo and query,
                                    * for messages                         */
  GBytes *body;                    /* JSON, sent as it is                  */
  const char *signature;           /* X-Talkingbits-Signature; may be NULL */
  const char *const *header_names; /* extra headers, NULL-terminated       */
  const char *const *header_values;
  guint timeout_ms;                /* for the whole exchange               */
  gsize max_reply_bytes;
} TbWebhookPost;

/* Sends @post and ends with exactly one of @callbacks, never from inside
 * this function: result() with the reply (a JSON object; another JSON
 * value v becomes {"result": v}; an empty reply {"ok": true}), or error():
 * G_IO_ERROR_CANCELLED once @cancellable is cancelled (the exchange is
 * dropped at once), TB_PLUGIN_ERROR_TIMEOUT past the deadline,
 * TB_PLUGIN_ERROR_PROTOCOL for a reply that is not JSON or is larger than
 * the limit (reading stops there), TB_PLUGIN_ERROR_AUTH (401, 403),
 * TB_PLUGIN_ERROR_RATE_LIMITED (429) or TB_PLUGIN_ERROR_FAILED (another
 * status, with an excerpt of the reply; no connection). */
void tb_webhook_post (const TbWebhookPost *post, const TbToolCallbacks *callbacks,
                      gpointer user_data, GCancellable *cancellable);

G_END_DECLS
