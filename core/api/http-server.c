/* http-server.c — the daemon's HTTP server: listening, routing by method
 * and path prefix, the request size limit, the bearer token, /healthz, and
 * draining. */
#define G_LOG_DOMAIN "tb-http"

#include "http-server.h"

#include "http-json.h"
#include "tb-build-config.h"

#include <string.h>

/* A handler that runs this long is reported: it blocks the main context. */
#define SLOW_HANDLER_MS 200

typedef struct {
  char *method;
  char *prefix;
  gsize prefix_len;
  TbHttpHandler handler;
  gpointer user_data;
  gboolean exact;         /* the path itself only, not what is below it */
} Route;

struct _TbHttpServer {
  SoupServer *soup;
  GPtrArray *routes;      /* Route * */
  guint port;
  GHashTable *in_progress; /* SoupServerMessage * started, not yet finished */
  gboolean stopping;      /* new requests get 503 */
  char *token;            /* bearer token of the protected paths; NULL: none */
  GPtrArray *protected;   /* char *: prefixes of the paths that need it */
  gboolean loopback;      /* listening on a loopback address */
};

static void
route_free (Route *route)
{
  g_free (route->method);
  g_free (route->prefix);
  g_free (route);
}

static gboolean
path_under (const char *prefix, gsize prefix_len, const char *path)
{
  if (strncmp (path, prefix, prefix_len) != 0)
    return FALSE;
  /* "/a" covers "/a" and "/a/..." but not "/ab"; "/" covers everything. */
  return path[prefix_len] == '\0' || path[prefix_len] == '/' || prefix[prefix_len - 1] == '/';
}

static gboolean
prefix_matches (const Route *route, const char *path)
{
  if (route->exact)
    return g_str_equal (route->prefix, path);
  return path_under (route->prefix, route->prefix_len, path);
}

static gboolean
method_matches (const Route *route, const char *method)
{
  return g_str_equal (route->method, method) ||
         (g_str_equal (method, SOUP_METHOD_HEAD) && g_str_equal (route->method, SOUP_METHOD_GET));
}

/* The route of the longest prefix covering @path with @method, or NULL;
 * then @allowed holds the methods of the routes covering @path. */
static const Route *
find_route (TbHttpServer *server, const char *method, const char *path, GPtrArray *allowed)
{
  const Route *best = NULL;

  for (guint i = 0; i < server->routes->len; i++) {
    Route *route = g_ptr_array_index (server->routes, i);

    if (!prefix_matches (route, path))
      continue;
    if (method_matches (route, method)) {
      if (!best || route->prefix_len > best->prefix_len)
        best = route;
    } else if (!g_ptr_array_find_with_equal_func (allowed, route->method, g_str_equal, NULL)) {
      g_ptr_array_add (allowed, route->method);
    }
  }
  return best;
}

static void
on_request (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
            gpointer user_data)
{
  TbHttpServer *server = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(GPtrArray) allowed = g_ptr_array_new ();
  const Route *route = find_route (server, method, path, allowed);

  if (route) {
    gint64 start = g_get_monotonic_time ();
    gint64 took_ms;

    route->handler (msg, path, query, route->user_data);
    /* The main context (and every other request) waited that long. */
    took_ms = (g_get_monotonic_time () - start) / 1000;
    if (took_ms >= SLOW_HANDLER_MS)
      g_message ("%s %s held the main context for %" G_GINT64_FORMAT " ms", method, path,
                 took_ms);
    if (soup_server_message_get_status (msg) == 0 &&
        !g_object_get_data (G_OBJECT (msg), "tb-http-deferred"))
      tb_http_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "the handler gave no answer");
  } else if (allowed->len) {
    g_autofree char *list = NULL;

    g_ptr_array_add (allowed, NULL);
    list = g_strjoinv (", ", (char **) allowed->pdata);
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", list);
    tb_http_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                         "method %s is not allowed on %s (allowed: %s)", method, path, list);
  } else {
    tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such path: %s", path);
  }
}

static void
refuse_too_large (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  /* Read the rest to keep the connection usable, but do not keep it. */
  soup_message_body_set_accumulate (body, FALSE);
  soup_message_body_truncate (body);
  tb_http_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                       "the request body is larger than %u bytes", TB_HTTP_MAX_BODY);
}

static void
on_got_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  if (soup_server_message_get_request_body (msg)->length > TB_HTTP_MAX_BODY)
    refuse_too_large (msg);
}

/* Whether @given is @token, in a time that depends on their lengths only:
 * every byte is compared, without an early exit. */
static gboolean
token_equal (const char *given, const char *token)
{
  gsize given_len = strlen (given);
  gsize token_len = strlen (token);
  volatile guint8 diff = given_len != token_len;

  for (gsize i = 0; i < token_len; i++)
    diff |= (guint8) token[i] ^ (guint8) (i < given_len ? given[i] : 0);
  return diff == 0;
}

static gboolean
needs_token (TbHttpServer *server, const char *path)
{
  if (!server->token)
    return FALSE;
  for (guint i = 0; i < server->protected->len; i++) {
    const char *prefix = g_ptr_array_index (server->protected, i);

    if (path_under (prefix, strlen (prefix), path))
      return TRUE;
  }
  return FALSE;
}

/* The token of an "Authorization: Bearer TOKEN" header, or NULL. */
static char *
bearer_token (SoupMessageHeaders *headers)
{
  const char *value = soup_message_headers_get_one (headers, "Authorization");

  if (!value)
    return NULL;
  while (*value == ' ' || *value == '\t')
    value++;
  if (g_ascii_strncasecmp (value, "Bearer", 6) != 0 || (value[6] != ' ' && value[6] != '\t'))
    return NULL;
  return g_strstrip (g_strdup (value + 6));
}

/* TRUE when @msg may go on; otherwise it has its 401. */
static gboolean
check_token (TbHttpServer *server, SoupServerMessage *msg, const char *path)
{
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  g_autofree char *given = NULL;

  if (!needs_token (server, path))
    return TRUE;
  given = bearer_token (soup_server_message_get_request_headers (msg));
  if (given && token_equal (given, server->token))
    return TRUE;
  if (!given) {
    soup_message_headers_replace (response, "WWW-Authenticate", "Bearer realm=\"talkingbits\"");
    tb_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED,
                         "%s needs a bearer token (Authorization: Bearer TOKEN)", path);
  } else {
    soup_message_headers_replace (response, "WWW-Authenticate",
                                  "Bearer realm=\"talkingbits\", error=\"invalid_token\"");
    tb_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, "the bearer token is not valid");
  }
  return FALSE;
}

/* Runs once the request headers are read, before the body. */
static void
on_headers (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
            gpointer user_data)
{
  TbHttpServer *server = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (server->stopping) {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Connection", "close");
    tb_http_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "the server is shutting down");
    return;
  }
  if (!check_token (server, msg, path))
    return;
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > TB_HTTP_MAX_BODY) {
    refuse_too_large (msg);
    return;
  }
  /* Chunked bodies are counted as they come. */
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), NULL);
}

/* A request that ends before its request line is complete gets neither
 * request-finished nor request-aborted: it leaves when its message goes. */
static void
on_message_gone (gpointer user_data, GObject *where_the_message_was)
{
  g_hash_table_remove (((TbHttpServer *) user_data)->in_progress, where_the_message_was);
}

static void
on_request_started (SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
  TbHttpServer *server = user_data;

  g_object_weak_ref (G_OBJECT (msg), on_message_gone, server);
  g_hash_table_add (server->in_progress, msg);
}

static void
on_request_ended (SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
  TbHttpServer *server = user_data;
  GUri *uri = soup_server_message_get_uri (msg);

  if (g_hash_table_remove (server->in_progress, msg))
    g_object_weak_unref (G_OBJECT (msg), on_message_gone, server);
  g_debug ("%s %s -> %u", soup_server_message_get_method (msg),
           uri ? g_uri_get_path (uri) : "?", soup_server_message_get_status (msg));
}

static void
forget_in_progress (TbHttpServer *server)
{
  GHashTableIter iter;
  gpointer msg;

  g_hash_table_iter_init (&iter, server->in_progress);
  while (g_hash_table_iter_next (&iter, &msg, NULL)) {
    g_object_weak_unref (msg, on_message_gone, server);
    g_hash_table_iter_remove (&iter);
  }
}

static void
on_healthz (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "ok");
  json_builder_end_object (builder);
  tb_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

static char *
format_address (const char *host, guint port)
{
  return strchr (host, ':') ? g_strdup_printf ("[%s]:%u", host, port)
                            : g_strdup_printf ("%s:%u", host, port);
}

TbHttpServer *
tb_http_server_new (const char *host, guint port, GError **error)
{
  g_autoptr(TbHttpServer) server = g_new0 (TbHttpServer, 1);
  g_autofree char *address = format_address (host, port);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (host);
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GError) local = NULL;
  GSList *uris;

  server->routes = g_ptr_array_new_with_free_func ((GDestroyNotify) route_free);
  server->in_progress = g_hash_table_new (NULL, NULL);
  server->protected = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (server->protected, g_strdup ("/api"));
  server->soup = soup_server_new ("server-header", "Talkingbits/" TB_VERSION, NULL);
  soup_server_add_early_handler (server->soup, "/", on_headers, server, NULL);
  soup_server_add_handler (server->soup, "/", on_request, server, NULL);
  g_signal_connect (server->soup, "request-started", G_CALLBACK (on_request_started), server);
  g_signal_connect (server->soup, "request-finished", G_CALLBACK (on_request_ended), server);
  g_signal_connect (server->soup, "request-aborted", G_CALLBACK (on_request_ended), server);
  tb_http_server_add_route (server, SOUP_METHOD_GET, "/healthz", on_healthz, NULL);

  if (!inet) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "cannot listen for HTTP on %s: not an IP address", address);
    return NULL;
  }
  server->loopback = g_inet_address_get_is_loopback (inet);
  socket_address = g_inet_socket_address_new (inet, port);
  if (!soup_server_listen (server->soup, socket_address, 0, &local)) {
    g_set_error (error, local->domain, local->code,
                 "cannot listen for HTTP on %s ([http] listen): %s", address, local->message);
    return NULL;
  }
  uris = soup_server_get_uris (server->soup);
  server->port = uris ? (guint) g_uri_get_port (uris->data) : port;
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_clear_pointer (&address, g_free);
  address = format_address (host, server->port);
  g_message ("HTTP listening on http://%s/", address);
  return g_steal_pointer (&server);
}

static void
add_route (TbHttpServer *server, const char *method, const char *prefix, gboolean exact,
           TbHttpHandler handler, gpointer user_data)
{
  Route *route;

  g_return_if_fail (prefix && prefix[0] == '/');
  route = g_new0 (Route, 1);
  route->method = g_strdup (method);
  route->prefix = g_strdup (prefix);
  route->prefix_len = strlen (prefix);
  route->exact = exact;
  route->handler = handler;
  route->user_data = user_data;
  g_ptr_array_add (server->routes, route);
}

void
tb_http_server_add_route (TbHttpServer *server, const char *method, const char *prefix,
                          TbHttpHandler handler, gpointer user_data)
{
  add_route (server, method, prefix, FALSE, handler, user_data);
}

void
tb_http_server_add_exact_route (TbHttpServer *server, const char *method, const char *path,
                                TbHttpHandler handler, gpointer user_data)
{
  add_route (server, method, path, TRUE, handler, user_data);
}

void
tb_http_server_set_token (TbHttpServer *server, const char *token)
{
  if (server->token)
    memset (server->token, 0, strlen (server->token));
  g_free (server->token);
  server->token = token && *token ? g_strdup (token) : NULL;
}

void
tb_http_server_require_token (TbHttpServer *server, const char *prefix)
{
  g_return_if_fail (prefix && prefix[0] == '/');
  g_ptr_array_add (server->protected, g_strdup (prefix));
}

gboolean
tb_http_server_is_loopback (TbHttpServer *server)
{
  return server->loopback;
}

guint
tb_http_server_get_port (TbHttpServer *server)
{
  return server->port;
}

static gboolean
on_deadline (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

void
tb_http_server_shutdown (TbHttpServer *server, guint timeout_ms)
{
  GMainContext *context = g_main_context_get_thread_default ();
  g_autoptr(GSource) timer = NULL;
  gboolean expired = FALSE;

  if (!server->soup || server->stopping)
    return;
  server->stopping = TRUE;
  if (g_hash_table_size (server->in_progress) > 0) {
    g_message ("waiting for %u HTTP requests to finish", g_hash_table_size (server->in_progress));
    timer = g_timeout_source_new (timeout_ms);
    g_source_set_callback (timer, on_deadline, &expired, NULL);
    g_source_attach (timer, context);
    while (g_hash_table_size (server->in_progress) > 0 && !expired)
      g_main_context_iteration (context, TRUE);
    g_source_destroy (timer);
    if (g_hash_table_size (server->in_progress) > 0)
      g_warning ("%u HTTP requests did not finish in time",
                 g_hash_table_size (server->in_progress));
  }
  soup_server_disconnect (server->soup);
}

void
tb_http_server_free (TbHttpServer *server)
{
  if (!server)
    return;
  if (server->in_progress)
    forget_in_progress (server);
  if (server->soup) {
    g_signal_handlers_disconnect_by_data (server->soup, server);
    soup_server_disconnect (server->soup);
    soup_server_remove_handler (server->soup, "/");
  }
  g_clear_object (&server->soup);
  g_clear_pointer (&server->routes, g_ptr_array_unref);
  g_clear_pointer (&server->in_progress, g_hash_table_unref);
  g_clear_pointer (&server->protected, g_ptr_array_unref);
  tb_http_server_set_token (server, NULL);
  g_free (server);
}
