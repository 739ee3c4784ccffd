/* webhook-reply.h — what a webhook's reply means for the tool call: its
 * JSON as a tool result, an error code for its HTTP status, and a short
 * excerpt of it for error messages. */
#pragma once

#include <talkingbits-plugin.h>

G_BEGIN_DECLS

/* The tool result for a successful reply of @len bytes: a JSON object as
 * it is (compacted), another JSON value v as {"result": v}, an empty reply
 * as {"ok": true}. NULL with a TB_PLUGIN_ERROR_PROTOCOL error when the
 * reply is not UTF-8 JSON. */
char *tb_webhook_reply_to_result (const guint8 *data, gsize len, GError **error);

/* The TbPluginErrorCode for a failing HTTP @status. */
int tb_webhook_status_error_code (guint status);

/* Up to 200 bytes of @data on one line ("…" when there is more), or
 * "(empty reply)". */
char *tb_webhook_reply_excerpt (const guint8 *data, gsize len);

G_END_DECLS
