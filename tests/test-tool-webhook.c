/* test-tool-webhook.c — the webhook tool plugin (build/plugins/
 * tool-webhook.so, loaded by the registry) against a libsoup server on
 * 127.0.0.1 in this process: the body and its signature as a receiver
 * checks them, JSON replies, failing statuses, a slow receiver, replies
 * that are not JSON or far too long, a refused connection, cancellation
 * in the middle of a request, and connection reuse. */
#include "tool-harness.h"
#include "test-util.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sys/socket.h>
#include <unistd.h>

#define SECRET "correct horse battery staple"
#define SECRET_ENV "TB_TEST_WEBHOOK_SECRET"
#define HUGE_BYTES (10 * 1024 * 1024)
#define HUGE_CHUNK 65536
#define SLOW_MS 1500

/* The receiver: what it saw and what it did. */
typedef struct {
  SoupServer *server;
  char *base_url;
  const char *secret;         /* the key it checks signatures with; NULL: none */
  GHashTable *peers;          /* client ports seen: one per connection */
  guint requests;
  char *body;                 /* the last request's body */
  char *signature;            /* its X-Talkingbits-Signature, or NULL */
  gboolean signature_ok;
  GPtrArray *sources;         /* its timers and socket watches */
  guint hangs;                /* /hang requests received */
  gboolean hang_closed;       /* a /hang client closed its connection */
  gint64 hang_closed_us;
  gsize huge_sent;            /* bytes of the /huge body written */
  gboolean huge_finished;     /* the /huge response ended, one way or another */
} Server;

typedef struct {
  GMainContext *context;
  Server server;
  TbTestTool *tool;
  gpointer instance;
  TbTestToolOutcome outcome;
} Fixture;

static void
reply (SoupServerMessage *msg, guint status, const char *type, const char *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, text, strlen (text));
}

static gboolean
signature_valid (const char *secret, GBytes *body, const char *header)
{
  g_autofree char *hex = g_compute_hmac_for_data (G_CHECKSUM_SHA256, (const guchar *) secret,
                                                  strlen (secret),
                                                  g_bytes_get_data (body, NULL),
                                                  g_bytes_get_size (body));
  g_autofree char *expected = g_strconcat ("sha256=", hex, NULL);

  return g_strcmp0 (header, expected) == 0;
}

/* A booking service: checks the signature like a real receiver would,
 * answers with pretty-printed JSON carrying a "call" object. */
static void
handle_book (Server *s, SoupServerMessage *msg, GBytes *body)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  g_free (s->signature);
  s->signature = g_strdup (soup_message_headers_get_one (headers, "X-Talkingbits-Signature"));
  if (s->secret) {
    s->signature_ok = signature_valid (s->secret, body, s->signature);
    if (!s->signature_ok) {
      reply (msg, SOUP_STATUS_UNAUTHORIZED, "application/json",
             "{\"error\": \"bad signature\"}");
      return;
    }
  }
  reply (msg, SOUP_STATUS_OK, "application/json",
         "{\n  \"booked\": true,\n  \"table\": 7,\n"
         "  \"call\": {\"action\": \"transfer\", \"target\": \"+15550100\"}\n}\n");
}

static gboolean
answer_late (gpointer data)
{
  SoupServerMessage *msg = data;

  reply (msg, SOUP_STATUS_OK, "application/json", "{\"late\":true}");
  soup_server_message_unpause (msg);
  return G_SOURCE_REMOVE;
}

/* Answers after SLOW_MS. */
static void
handle_slow (Server *s, SoupServerMessage *msg)
{
  GSource *source = g_timeout_source_new (SLOW_MS);

  soup_server_message_pause (msg);
  g_source_set_callback (source, answer_late, g_object_ref (msg), g_object_unref);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_ptr_array_add (s->sources, source);
}

static gboolean
hang_watch (GSocket *socket, GIOCondition condition, gpointer data)
{
  Server *s = data;
  char c;

  if (recv (g_socket_get_fd (socket), &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
    return G_SOURCE_CONTINUE;
  s->hang_closed = TRUE;
  s->hang_closed_us = g_get_monotonic_time ();
  return G_SOURCE_REMOVE;
}

/* Never answers; notes when the client closes the connection. */
static void
handle_hang (Server *s, SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  GSource *source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);

  s->hangs++;
  soup_server_message_pause (msg);
  g_source_set_callback (source, G_SOURCE_FUNC (hang_watch), s, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_ptr_array_add (s->sources, source);
}

static void
huge_wrote_data (SoupServerMessage *msg, guint size, gpointer data)
{
  ((Server *) data)->huge_sent += size;
}

/* One chunk at a time, so that the server itself never holds 10 MB. */
static void
huge_wrote_chunk (SoupServerMessage *msg, gpointer data)
{
  Server *s = data;
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  static char chunk[HUGE_CHUNK];

  memset (chunk, '7', sizeof chunk);
  if (s->huge_sent < HUGE_BYTES)
    soup_message_body_append (body, SOUP_MEMORY_STATIC, chunk, sizeof chunk);
  else
    soup_message_body_complete (body);
}

static void
huge_finished (SoupServerMessage *msg, gpointer data)
{
  ((Server *) data)->huge_finished = TRUE;
}

/* A 10 MB JSON-looking number, streamed; with @declared its length is in
 * Content-Length, otherwise it is chunked. */
static void
handle_huge (Server *s, SoupServerMessage *msg, gboolean declared)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  if (declared)
    soup_message_headers_set_content_length (headers, HUGE_BYTES);
  else
    soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (body, FALSE);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (huge_wrote_data), s);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (huge_wrote_chunk), s);
  g_signal_connect (msg, "finished", G_CALLBACK (huge_finished), s);
  huge_wrote_chunk (msg, s);
}

static void
handle (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
        gpointer data)
{
  Server *s = data;
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  s->requests++;
  g_free (s->body);
  s->body = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  if (g_str_equal (path, "/book")) {
    handle_book (s, msg, body);
  } else if (g_str_equal (path, "/fail")) {
    reply (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "text/plain",
           "database exploded\n\tat line 12\n");
  } else if (g_str_equal (path, "/slow")) {
    handle_slow (s, msg);
  } else if (g_str_equal (path, "/hang")) {
    handle_hang (s, msg);
  } else if (g_str_equal (path, "/html")) {
    reply (msg, SOUP_STATUS_OK, "text/html", "<html><body>Welcome!</body></html>");
  } else if (g_str_equal (path, "/number")) {
    reply (msg, SOUP_STATUS_OK, "application/json", " 42\n");
  } else if (g_str_equal (path, "/nothing")) {
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
  } else if (g_str_equal (path, "/huge")) {
    handle_huge (s, msg, FALSE);
  } else if (g_str_equal (path, "/huge-declared")) {
    handle_huge (s, msg, TRUE);
  } else {
    reply (msg, SOUP_STATUS_NOT_FOUND, "text/plain", "no such hook");
  }
}

static void
request_started (SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  Server *s = data;
  GSocketAddress *address = soup_server_message_get_remote_address (msg);

  g_hash_table_add (s->peers, GUINT_TO_POINTER (g_inet_socket_address_get_port (
                                                  G_INET_SOCKET_ADDRESS (address))));
}

static void
server_start (Server *s)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;

  s->server = soup_server_new ("server-header", "test-receiver", NULL);
  s->peers = g_hash_table_new (NULL, NULL);
  s->sources = g_ptr_array_new ();
  soup_server_add_handler (s->server, NULL, handle, s, NULL);
  g_signal_connect (s->server, "request-started", G_CALLBACK (request_started), s);
  /* Port 0: the system picks a free one. */
  soup_server_listen_local (s->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (s->server);
  g_assert_nonnull (uris);
  s->base_url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
}

static void
server_stop (Server *s)
{
  for (guint i = 0; i < s->sources->len; i++) {
    g_source_destroy (g_ptr_array_index (s->sources, i));
    g_source_unref (g_ptr_array_index (s->sources, i));
  }
  g_ptr_array_unref (s->sources);
  soup_server_disconnect (s->server);
  g_clear_object (&s->server);
  g_hash_table_unref (s->peers);
  g_free (s->base_url);
  g_free (s->body);
  g_free (s->signature);
}

static void
set_up (Fixture *f, gconstpointer data)
{
  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  server_start (&f->server);
  f->tool = tb_test_tool_new ("tool-webhook", "webhook");
}

static void
tear_down (Fixture *f, gconstpointer data)
{
  tb_test_tool_outcome_clear (&f->outcome);
  if (f->instance)
    tb_test_tool_instance_free (f->tool, f->instance);
  tb_test_tool_free (f->tool);
  server_stop (&f->server);
  /* What the server and the session still had to say (closing, freeing). */
  while (g_main_context_iteration (f->context, FALSE))
    ;
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);
}

/* An instance for @path on the test server, with @extra keys. */
static void
configure (Fixture *f, const char *path, const char *extra)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strdup_printf ("url=%s%s\nfunction=book_table\n"
                                           "parameters={\"type\":\"object\",\"properties\":"
                                           "{\"party\":{\"type\":\"integer\"}},"
                                           "\"required\":[\"party\"],"
                                           "\"additionalProperties\":false}\n%s",
                                           f->server.base_url, path, extra ? extra : "");

  f->instance = tb_test_tool_instance_new (f->tool, text, &error);
  g_assert_no_error (error);
}

static void
call (Fixture *f)
{
  tb_test_tool_call (f->tool, f->instance, "book_table", "{\"party\":4}", &f->outcome);
}

static void
assert_error (Fixture *f, int code, const char *text)
{
  g_assert_null (f->outcome.result);
  g_assert_nonnull (f->outcome.error);
  g_test_message ("error: %s", f->outcome.error->message);
  g_assert_error (f->outcome.error, TB_PLUGIN_ERROR, code);
  g_assert_true (tb_test_contains (f->outcome.error->message, text));
}

static void
test_good_reply (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) body = NULL;
  JsonObject *object;
  const TbToolFunction *functions;

  f->server.secret = SECRET;
  configure (f, "/book", "description=Books a table\nsecret-env=" SECRET_ENV "\n"
             "headers=X-Shop: 12;Accept-Language: en\n");
  functions = tb_test_tool_functions (f->tool, f->instance);
  g_assert_cmpstr (functions[0].name, ==, "book_table");
  g_assert_cmpstr (functions[0].description, ==, "Books a table");
  g_assert_true (tb_test_contains (functions[0].parameters_json, "\"required\":[\"party\"]"));
  g_assert_null (functions[1].name);

  call (f);
  g_assert_no_error (f->outcome.error);
  /* The reply, compacted, carries the receiver's "call" object. */
  g_assert_cmpstr (f->outcome.result, ==,
                   "{\"booked\":true,\"table\":7,"
                   "\"call\":{\"action\":\"transfer\",\"target\":\"+15550100\"}}");

  /* The receiver got a body it can trust. */
  g_assert_true (f->server.signature_ok);
  g_assert_true (g_str_has_prefix (f->server.signature, "sha256="));
  g_assert_cmpuint (strlen (f->server.signature), ==, 7 + 64);
  body = json_from_string (f->server.body, NULL);
  g_assert_nonnull (body);
  object = json_node_get_object (body);
  g_assert_cmpstr (json_object_get_string_member (object, "call_id"), ==, "call-1234");
  g_assert_cmpstr (json_object_get_string_member (object, "agent"), ==, "reception");
  g_assert_cmpstr (json_object_get_string_member (object, "caller"), ==, "+15550111");
  g_assert_cmpstr (json_object_get_string_member (object, "callee"), ==, "1000");
  g_assert_cmpstr (json_object_get_string_member (object, "tool"), ==, "book_table");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (object,
                                                                              "arguments"),
                                               "party"), ==, 4);
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (object, "id")));
  g_assert_cmpint (ABS (json_object_get_int_member (object, "timestamp") -
                        g_get_real_time () / G_USEC_PER_SEC), <=, 5);

  /* A JSON value that is not an object is wrapped; nothing is {"ok":true}. */
  tb_test_tool_instance_free (f->tool, f->instance);
  configure (f, "/number", NULL);
  call (f);
  g_assert_cmpstr (f->outcome.result, ==, "{\"result\":42}");
  tb_test_tool_instance_free (f->tool, f->instance);
  configure (f, "/nothing", NULL);
  call (f);
  g_assert_cmpstr (f->outcome.result, ==, "{\"ok\":true}");
}

static void
test_unsigned (Fixture *f, gconstpointer data)
{
  configure (f, "/book", NULL);
  call (f);
  g_assert_no_error (f->outcome.error);
  g_assert_null (f->server.signature);
}

/* The receiver expects another secret: it refuses the signature, and the
 * plugin reports that as an authentication failure. */
static void
test_wrong_secret (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) body = NULL;

  f->server.secret = "another secret";
  configure (f, "/book", "secret-env=" SECRET_ENV "\n");
  call (f);
  g_assert_false (f->server.signature_ok);
  g_assert_nonnull (f->server.signature);
  /* It is the right signature for the secret the plugin has. */
  body = g_bytes_new_static (f->server.body, strlen (f->server.body));
  g_assert_true (signature_valid (SECRET, body, f->server.signature));
  assert_error (f, TB_PLUGIN_ERROR_AUTH, "answered 401 Unauthorized: {\"error\": \"bad signature\"}");
  /* The secret is nowhere in what the plugin says. */
  g_assert_null (strstr (f->outcome.error->message, SECRET));
}

static void
test_status_500 (Fixture *f, gconstpointer data)
{
  g_autofree char *expected = NULL;

  configure (f, "/fail", NULL);
  call (f);
  expected = g_strdup_printf ("webhook %s/fail: answered 500 Internal Server Error: "
                              "database exploded at line 12", f->server.base_url);
  assert_error (f, TB_PLUGIN_ERROR_FAILED, expected);
}

static void
test_timeout (Fixture *f, gconstpointer data)
{
  gint64 started;

  configure (f, "/slow", "timeout-ms=300\n");
  started = g_get_monotonic_time ();
  tb_test_tool_start (f->tool, f->instance, "book_table", "{\"party\":4}", NULL, &f->outcome);
  tb_test_tool_wait (&f->outcome, 0);
  g_test_message ("timed out after %.0f ms (timeout-ms 300)",
                  (f->outcome.ended_us - started) / 1000.0);
  assert_error (f, TB_PLUGIN_ERROR_TIMEOUT, "no complete answer within 300 ms");
  /* The late answer comes to nothing: still one terminal callback. */
  tb_test_iterate_for (SLOW_MS);
  g_assert_cmpuint (f->outcome.results + f->outcome.errors, ==, 1);
}

static void
test_not_json (Fixture *f, gconstpointer data)
{
  configure (f, "/html", NULL);
  call (f);
  assert_error (f, TB_PLUGIN_ERROR_PROTOCOL, "the reply is not JSON");
  g_assert_true (tb_test_contains (f->outcome.error->message,
                                   "<html><body>Welcome!</body></html>"));
}

static gsize
resident_bytes (void)
{
  g_autofree char *statm = NULL;
  g_auto(GStrv) fields = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL));
  fields = g_strsplit (statm, " ", -1);
  return g_ascii_strtoull (fields[1], NULL, 10) * sysconf (_SC_PAGESIZE);
}

static gboolean
huge_finished_yet (gpointer data)
{
  return ((Server *) data)->huge_finished;
}

static void
huge_case (Fixture *f, const char *path, const char *expected)
{
  gsize before = resident_bytes ();
  double grown_mib;

  configure (f, path, NULL);
  call (f);
  assert_error (f, TB_PLUGIN_ERROR_PROTOCOL, expected);
  g_assert_true (tb_test_contains (f->outcome.error->message, "max-reply-bytes (65536)"));
  /* The server finds out that nobody reads the rest. */
  tb_test_iterate_until (huge_finished_yet, &f->server);
  grown_mib = ((double) resident_bytes () - before) / (1 << 20);
  g_test_message ("%s: the server wrote %" G_GSIZE_FORMAT " of %d bytes before the client "
                  "hung up; resident memory grew by %.1f MiB", path, f->server.huge_sent,
                  HUGE_BYTES, grown_mib);
  /* Not read to the end, and not held: a plugin that kept the 10 MB would
   * have grown by at least that much. */
  g_assert_cmpuint (f->server.huge_sent, <, HUGE_BYTES);
  g_assert_cmpfloat (grown_mib, <, 8.0);
}

static void
test_huge (Fixture *f, gconstpointer data)
{
  huge_case (f, "/huge", "the reply is larger than max-reply-bytes");
}

static void
test_huge_declared (Fixture *f, gconstpointer data)
{
  huge_case (f, "/huge-declared",
             "the reply (10485760 bytes) is larger than max-reply-bytes (65536); not reading it");
}

static void
test_refused (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strdup_printf ("url=http://127.0.0.1:%u/book\nfunction=book_table\n",
                                           tb_test_free_port ());

  f->instance = tb_test_tool_instance_new (f->tool, text, &error);
  g_assert_no_error (error);
  call (f);
  assert_error (f, TB_PLUGIN_ERROR_FAILED, "no answer: ");
  g_assert_true (tb_test_contains (f->outcome.error->message, "refused"));
}

static gboolean
hang_received (gpointer data)
{
  return ((Server *) data)->hangs > 0;
}

static gboolean
hang_closed (gpointer data)
{
  return ((Server *) data)->hang_closed;
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gint64 cancelled;

  configure (f, "/hang", NULL);
  tb_test_tool_start (f->tool, f->instance, "book_table", "{\"party\":4}", cancellable,
                      &f->outcome);
  tb_test_iterate_until (hang_received, &f->server);
  g_assert_cmpuint (f->outcome.results + f->outcome.errors, ==, 0);

  cancelled = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  tb_test_tool_wait (&f->outcome, 0);
  g_assert_error (f->outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* The request is dropped: the server sees the connection close. */
  tb_test_iterate_until (hang_closed, &f->server);
  g_test_message ("cancelled: error after %.1f ms, connection closed after %.1f ms",
                  (f->outcome.ended_us - cancelled) / 1000.0,
                  (f->server.hang_closed_us - cancelled) / 1000.0);
  tb_test_iterate_for (200);
  g_assert_cmpuint (f->outcome.errors, ==, 1);
  g_assert_cmpuint (f->outcome.results, ==, 0);

  /* Cancelled before it starts: one error too, never from invoke(), and
   * nothing sent. */
  tb_test_tool_start (f->tool, f->instance, "book_table", "{\"party\":4}", cancellable,
                      &f->outcome);
  tb_test_tool_wait (&f->outcome, 100);
  g_assert_error (f->outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (f->outcome.errors + f->outcome.results, ==, 1);
  g_assert_cmpuint (f->server.requests, ==, 1);
}

static void
test_reuse (Fixture *f, gconstpointer data)
{
  configure (f, "/book", NULL);
  for (guint i = 0; i < 3; i++) {
    call (f);
    g_assert_no_error (f->outcome.error);
  }
  g_assert_cmpuint (f->server.requests, ==, 3);
  g_assert_cmpuint (g_hash_table_size (f->server.peers), ==, 1);
}

static void
test_bad_arguments (Fixture *f, gconstpointer data)
{
  configure (f, "/book", NULL);
  tb_test_tool_call (f->tool, f->instance, "book_table", "[4]", &f->outcome);
  assert_error (f, TB_PLUGIN_ERROR_FAILED, "book_table: the arguments must be a JSON object");
  tb_test_tool_call (f->tool, f->instance, "cancel_table", "{}", &f->outcome);
  assert_error (f, TB_PLUGIN_ERROR_FAILED, "no function 'cancel_table'");
  g_assert_cmpuint (f->server.requests, ==, 0);
}

static const TbTestToolBadConfig bad_configs[] = {
  { "function=f\n", "[tool:test] url: required key is missing" },
  { "url=ftp://example.com/x\nfunction=f\n",
    "url: 'ftp://example.com/x' is not an http:// or https:// URL" },
  { "url=http://exa mple.com/\nfunction=f\n", "url: 'http://exa mple.com/' has spaces" },
  { "url=http://example.com:99999/\nfunction=f\n", "url: not a valid URL" },
  { "url=http://127.0.0.1/\nfunction=book a table\n", "function: 'book a table' is not a "
    "function name" },
  { "url=http://127.0.0.1/\nfunction=f\nparameters={\"type\":\"object\",\n",
    "parameters: not valid JSON: " },
  { "url=http://127.0.0.1/\nfunction=f\nparameters={\"type\":\"string\"}\n",
    "parameters: the schema of the arguments must be a JSON object with \"type\": \"object\"" },
  { "url=http://127.0.0.1/\nfunction=f\nheaders=X-Ok: 1;no colon\n",
    "headers: 'no colon' is not 'Name: value'" },
  { "url=http://127.0.0.1/\nfunction=f\nheaders=Content-Type: text/plain\n",
    "headers: Content-Type is set by the plugin" },
  { "url=http://127.0.0.1/\nfunction=f\ntimeout-ms=5\n", "timeout-ms: 5 is out of range" },
  { "url=http://127.0.0.1/\nfunction=f\nsecret-env=TB_TEST_UNSET_WEBHOOK_SECRET\n",
    "secret-env: environment variable TB_TEST_UNSET_WEBHOOK_SECRET is not set" },
};

static void
test_bad_config (Fixture *f, gconstpointer data)
{
  tb_test_tool_assert_refused (f->tool, bad_configs, G_N_ELEMENTS (bad_configs));
}

int
main (int argc, char **argv)
{
  g_setenv (SECRET_ENV, SECRET, TRUE);
  g_unsetenv ("TB_TEST_UNSET_WEBHOOK_SECRET");
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/webhook/good-reply", Fixture, NULL, set_up, test_good_reply, tear_down);
  g_test_add ("/webhook/unsigned", Fixture, NULL, set_up, test_unsigned, tear_down);
  g_test_add ("/webhook/wrong-secret", Fixture, NULL, set_up, test_wrong_secret, tear_down);
  g_test_add ("/webhook/status-500", Fixture, NULL, set_up, test_status_500, tear_down);
  g_test_add ("/webhook/timeout", Fixture, NULL, set_up, test_timeout, tear_down);
  g_test_add ("/webhook/not-json", Fixture, NULL, set_up, test_not_json, tear_down);
  g_test_add ("/webhook/huge", Fixture, NULL, set_up, test_huge, tear_down);
  g_test_add ("/webhook/huge-declared", Fixture, NULL, set_up, test_huge_declared, tear_down);
  g_test_add ("/webhook/refused", Fixture, NULL, set_up, test_refused, tear_down);
  g_test_add ("/webhook/cancel", Fixture, NULL, set_up, test_cancel, tear_down);
  g_test_add ("/webhook/reuse", Fixture, NULL, set_up, test_reuse, tear_down);
  g_test_add ("/webhook/bad-arguments", Fixture, NULL, set_up, test_bad_arguments, tear_down);
  g_test_add ("/webhook/bad-config", Fixture, NULL, set_up, test_bad_config, tear_down);
  return g_test_run ();
}
