/* http-server.h — the daemon's HTTP server: a SoupServer on the main
 * context listening on [http] listen, with a small router (method + path
 * prefix -> handler) that the Web API and the built-in webhooks register
 * with. It answers /healthz, unknown paths (404), wrong methods (405 with
 * Allow), bodies over TB_HTTP_MAX_BODY (413) and requests without the
 * bearer token (401) itself, all in JSON. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Request bodies larger than this are refused with 413 before a handler
 * runs (and are not kept in memory). */
#define TB_HTTP_MAX_BODY (1024 * 1024)

typedef struct _TbHttpServer TbHttpServer;

/* A route's handler. It runs on the main context with the whole request
 * body read; it must set a status (tb_http_reply_*() in http-json.h).
 * @path is the request's path, at or below the route's prefix; @query its
 * decoded query parameters (name -> value), NULL when it has none. */
typedef void (*TbHttpHandler) (SoupServerMessage *msg, const char *path, GHashTable *query,
                               gpointer user_data);

/* Listens on @host:@port (port 0: any free one). On failure @error names
 * the address and the reason. */
TbHttpServer *tb_http_server_new (const char *host, guint port, GError **error);

/* Requests with @method (HEAD is served by GET routes) whose path is
 * @prefix or below it ("/a" covers "/a" and "/a/b", not "/ab") go to
 * @handler; among matching routes the longest prefix wins. */
void tb_http_server_add_route (TbHttpServer *server, const char *method, const char *prefix,
                               TbHttpHandler handler, gpointer user_data);
/* Requests for @path itself only ("/" without everything below it). */
void tb_http_server_add_exact_route (TbHttpServer *server, const char *method, const char *path,
                                     TbHttpHandler handler, gpointer user_data);

/* Requests for paths under /api (and under the prefixes given to
 * tb_http_server_require_token()) need "Authorization: Bearer @token"
 * (compared in constant time) while @token is set: others get 401 with
 * WWW-Authenticate before their body is read. NULL: no token needed. */
void tb_http_server_set_token (TbHttpServer *server, const char *token);
/* Paths under @prefix need the token too. */
void tb_http_server_require_token (TbHttpServer *server, const char *prefix);
/* Whether the server listens on a loopback address only. */
gboolean tb_http_server_is_loopback (TbHttpServer *server);

/* The port actually listened on. */
guint tb_http_server_get_port (TbHttpServer *server);

/* Stops taking new requests (they get 503), lets those in progress finish
 * for up to @timeout_ms while iterating the thread-default main context,
 * then closes every connection and the listening socket. */
void tb_http_server_shutdown (TbHttpServer *server, guint timeout_ms);
void tb_http_server_free (TbHttpServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbHttpServer, tb_http_server_free)

G_END_DECLS
