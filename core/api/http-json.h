/* http-json.h — JSON in and out of the HTTP server's handlers: replies
 * with a JSON body, {"error": "..."} replies, and request bodies read as
 * JSON objects (400 with the parser's message when they are not). */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Replies @status with @node as application/json. */
void tb_http_reply_json (SoupServerMessage *msg, guint status, JsonNode *node);
/* Same, with the value @builder has built. */
void tb_http_reply_builder (SoupServerMessage *msg, guint status, JsonBuilder *builder);
/* Replies @status with @bytes as @content_type. */
void tb_http_reply_bytes (SoupServerMessage *msg, guint status, const char *content_type,
                          GBytes *bytes);
/* Replies @status with no body (204). */
void tb_http_reply_empty (SoupServerMessage *msg, guint status);
/* Replies @status with {"error": MESSAGE}. */
void tb_http_reply_error (SoupServerMessage *msg, guint status, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

/* A handler that answers later (after a database query): pauses @msg; a
 * tb_http_reply_*() call sets the answer and resumes it. When the client
 * has gone away by then, the reply is dropped. The handler keeps a
 * reference to @msg until it replies. */
void tb_http_defer (SoupServerMessage *msg);

/* Replies 400 with {"error": "MESSAGE: FIELD: WHY; ...", "fields":
 * {FIELD: WHY, ...}}: what is wrong with each field of the request. */
void tb_http_reply_invalid (SoupServerMessage *msg, const char *what, JsonObject *fields);

/* The request body parsed as JSON; it must be an object. Otherwise NULL,
 * after replying 400 with what is wrong ("invalid JSON: <line:column>: ..."). */
JsonNode *tb_http_read_json_object (SoupServerMessage *msg);
/* The same for a body that may be left out: TRUE with @object NULL when
 * there is none, with the object when it is one; FALSE after replying 400
 * when it is something else. */
gboolean tb_http_read_optional_json_object (SoupServerMessage *msg, JsonNode **object);

G_END_DECLS
