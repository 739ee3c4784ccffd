/* cloud-request.c — one streamed request to a cloud provider, with its
 * deadlines and retries, ending exactly once.
 *
 * Each try is an attempt with a cancellable of its own: ending or retrying
 * cancels it, which stops whatever libsoup is still doing for it (an
 * unfinished body closes the connection); its callbacks then only drop
 * their references, because their attempt is no longer the current one. */
#define G_LOG_DOMAIN "tb-cloud"

#include "cloud-http.h"

#define READ_CHUNK 16384
/* Reads in one wake-up at most; an answer pouring in faster goes on from
 * an idle, after the worker's other sources had their turn. */
#define MAX_READS_PER_WAKEUP 16
#define ERROR_BODY_MAX 4096

struct _TbCloudRequest {
  int refs;
  TbCloudClient *client;
  char *method, *url, *content_type, *accept;
  GBytes *body;
  TbCloudRequestCallbacks callbacks;
  gpointer user_data;
  GCancellable *cancellable;     /* the caller's */
  GSource *cancel_source;
  GSource *total_source;         /* the whole request, retries included */
  gint64 deadline_us;            /* of total_source */

  /* The current attempt */
  guint tries;                   /* attempts started */
  guint attempt;                 /* changes whenever an attempt is left */
  GCancellable *abort;
  SoupMessage *msg;
  GInputStream *stream;
  gboolean pollable;             /* stream can be read without blocking */
  GSource *read_source;          /* the body's: readable, or more to read */
  gboolean read_waiting;         /* read_source waits for it to be readable */
  GSource *connect_source, *first_byte_source, *retry_source;
  GByteArray *error_body;        /* a failed status's body */
  guint error_status;

  gboolean started;              /* the plugin gave the host something */
  gboolean ended;
  guint8 buffer[READ_CHUNK];
};

typedef struct {
  TbCloudRequest *request;
  guint attempt;
} Pending;

static void attempt_start (TbCloudRequest *request);

static TbCloudRequest *
request_ref (TbCloudRequest *request)
{
  request->refs++;
  return request;
}

static GSource *
timer_new (guint ms, GSourceFunc func, TbCloudRequest *request)
{
  return tb_cloud_source_attach (g_timeout_source_new (ms), func, request, NULL);
}

/* Drops what the current attempt holds; its callbacks still pending see
 * that they are stale. */
static void
attempt_clear (TbCloudRequest *request)
{
  tb_cloud_source_clear (&request->connect_source);
  tb_cloud_source_clear (&request->first_byte_source);
  tb_cloud_source_clear (&request->retry_source);
  tb_cloud_source_clear (&request->read_source);
  request->attempt++;
  if (request->msg)
    g_signal_handlers_disconnect_by_data (request->msg, request);
  if (request->abort)
    g_cancellable_cancel (request->abort);
  g_clear_object (&request->abort);
  g_clear_object (&request->stream);
  g_clear_object (&request->msg);
  g_clear_pointer (&request->error_body, g_byte_array_unref);
  request->error_status = 0;
}

static void
request_unref (TbCloudRequest *request)
{
  if (--request->refs > 0)
    return;
  attempt_clear (request);
  tb_cloud_source_clear (&request->cancel_source);
  tb_cloud_source_clear (&request->total_source);
  g_clear_object (&request->cancellable);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request->method);
  g_free (request->url);
  g_free (request->content_type);
  g_free (request->accept);
  g_free (request);
}

static Pending *
pending_new (TbCloudRequest *request)
{
  Pending *pending = g_new (Pending, 1);

  pending->request = request_ref (request);
  pending->attempt = request->attempt;
  return pending;
}

/* The request, when @pending is for its current attempt; frees @pending
 * otherwise (and returns NULL). */
static TbCloudRequest *
pending_take (Pending *pending)
{
  TbCloudRequest *request = pending->request;

  if (request->ended || pending->attempt != request->attempt) {
    request_unref (request);
    g_free (pending);
    return NULL;
  }
  g_free (pending);
  return request;
}

/* Ends the request: done() without @error, error(@error) with it. Drops
 * the request's own reference. */
static void
request_end (TbCloudRequest *request, const GError *error)
{
  if (request->ended)
    return;
  request->ended = TRUE;
  attempt_clear (request);
  tb_cloud_source_clear (&request->cancel_source);
  tb_cloud_source_clear (&request->total_source);
  if (error)
    g_debug ("%s %s: %s", request->method, request->url, error->message);
  if (error)
    request->callbacks.error (error, request->user_data);
  else
    request->callbacks.done (request->user_data);
  request_unref (request);
}

static gboolean
retry_now (gpointer data)
{
  TbCloudRequest *request = data;

  g_clear_pointer (&request->retry_source, g_source_unref);
  if (request->callbacks.restart)
    request->callbacks.restart (request->user_data);
  if (!request->ended)
    attempt_start (request);
  return G_SOURCE_REMOVE;
}

/* A try failed with @error (taken): tries again after @wait_ms when that is
 * allowed, else ends the request with it. */
static void
attempt_failed (TbCloudRequest *request, GError *error, gboolean retryable, guint wait_ms)
{
  g_autoptr(GError) owned = error;
  gint64 now = g_get_monotonic_time ();

  if (retryable && !request->started && request->tries <= request->client->max_retries &&
      now + (gint64) wait_ms * 1000 < request->deadline_us) {
    g_debug ("%s %s: %s; retrying in %u ms", request->method, request->url, error->message,
             wait_ms);
    attempt_clear (request);
    request->retry_source = timer_new (wait_ms, retry_now, request);
    return;
  }
  request_end (request, error);
}

static void
fail_timeout (TbCloudRequest *request, const char *what, guint ms)
{
  g_autoptr(GError) error = g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_TIMEOUT,
                                         "provider %s: %s within %u ms",
                                         request->client->provider, what, ms);

  request_end (request, error);
}

static gboolean
on_connect_timeout (gpointer data)
{
  TbCloudRequest *request = data;

  fail_timeout (request, "could not connect and send the request",
                request->client->connect_timeout_ms);
  return G_SOURCE_REMOVE;
}

static gboolean
on_first_byte_timeout (gpointer data)
{
  TbCloudRequest *request = data;

  fail_timeout (request, "no answer", request->client->first_byte_timeout_ms);
  return G_SOURCE_REMOVE;
}

static gboolean
on_total_timeout (gpointer data)
{
  TbCloudRequest *request = data;

  fail_timeout (request, "the answer did not end", request->client->timeout_ms);
  return G_SOURCE_REMOVE;
}

static gboolean
on_cancelled (GCancellable *cancellable, gpointer data)
{
  TbCloudRequest *request = data;
  g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                         "provider %s: cancelled", request->client->provider);

  request_end (request, error);
  return G_SOURCE_REMOVE;
}

/* Seconds of a Retry-After header (delta-seconds or an HTTP date), 1 when
 * it is missing or makes no sense. */
static guint
retry_after_ms (SoupMessage *msg)
{
  const char *value = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                    "Retry-After");
  g_autoptr(GDateTime) date = NULL;
  guint64 seconds;

  if (!value)
    return 1000;
  if (g_ascii_string_to_unsigned (value, 10, 0, 3600, &seconds, NULL))
    return (guint) seconds * 1000;
  date = soup_date_time_new_from_http_string (value);
  if (date) {
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
    GTimeSpan span = g_date_time_difference (date, now);

    return span <= 0 ? 0 : (guint) MIN (span / 1000, 3600 * 1000);
  }
  return 1000;
}

static gboolean
status_retryable (guint status)
{
  return status == 500 || status == 502 || status == 503 || status == 504 ||
         status == TB_CLOUD_STATUS_TOO_MANY_REQUESTS;
}

static void read_next (TbCloudRequest *request);

/* What a read of the body gave: @n bytes in the buffer, 0 at its end, -1
 * with @error. TRUE when the body is to be read on. */
static gboolean
take_read (TbCloudRequest *request, gssize n, const GError *error)
{
  if (n < 0) {
    g_autoptr(GError) failed = g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                                            "provider %s: the answer broke off: %s",
                                            request->client->provider, error->message);

    attempt_failed (request, g_steal_pointer (&failed), TRUE, 0);
    return FALSE;
  }
  if (request->error_status) {
    if (n > 0 && request->error_body->len < ERROR_BODY_MAX) {
      g_byte_array_append (request->error_body, request->buffer,
                           MIN ((gsize) n, ERROR_BODY_MAX - request->error_body->len));
      return TRUE;
    }
    {
      g_autoptr(GBytes) body = g_bytes_new (request->error_body->data, request->error_body->len);
      guint status = request->error_status;

      attempt_failed (request, tb_cloud_client_status_error (request->client, status, body),
                      status_retryable (status),
                      status == TB_CLOUD_STATUS_TOO_MANY_REQUESTS ? retry_after_ms (request->msg) : 0);
    }
    return FALSE;
  }
  if (n == 0) {
    request_end (request, NULL);
    return FALSE;
  }
  {
    guint attempt = request->attempt;
    gboolean go_on;

    request_ref (request);
    request->callbacks.chunk (request, request->buffer, n, request->user_data);
    /* Not when chunk() failed the request: ended, or left for a retry. */
    go_on = !request->ended && request->attempt == attempt;
    request_unref (request);
    return go_on;
  }
}

/* ---- a pollable body: everything readable now, in one wake-up ------------ */

static gboolean
on_readable (GObject *stream, gpointer data)
{
  read_next (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_more (gpointer data)
{
  TbCloudRequest *request = data;

  /* This idle is the read source: read_next() replaces or clears it. */
  request->read_waiting = FALSE;
  read_next (request);
  return G_SOURCE_REMOVE;
}

/* Waits for the body to be readable (one source for the whole body, not
 * one per read), or goes on from an idle when @more. */
static void
read_later (TbCloudRequest *request, gboolean more)
{
  GSource *source;

  if (!more && request->read_source && request->read_waiting)
    return;
  tb_cloud_source_clear (&request->read_source);
  if (more) {
    request->read_source = tb_cloud_source_attach (g_idle_source_new (), on_more, request, NULL);
    request->read_waiting = FALSE;
    return;
  }
  source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (request->stream), NULL);
  /* Not blocked around its dispatch: GLib 2.74 wakes the context twice
   * for each dispatch of a blocked source with fds. on_readable() never
   * iterates the context. */
  g_source_set_can_recurse (source, TRUE);
  request->read_source = tb_cloud_source_attach (source, G_SOURCE_FUNC (on_readable), request,
                                                 NULL);
  request->read_waiting = TRUE;
}

/* Reads until the body would block, ends or fails, or this wake-up has
 * had its share. */
static void
read_available (TbCloudRequest *request)
{
  guint attempt = request->attempt;

  request_ref (request);
  for (guint reads = 0;; reads++) {
    g_autoptr(GError) error = NULL;
    gssize n;

    if (reads == MAX_READS_PER_WAKEUP) {
      read_later (request, TRUE);
      break;
    }
    n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (request->stream),
                                                  request->buffer, sizeof request->buffer,
                                                  request->abort, &error);
    if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      read_later (request, FALSE);
      break;
    }
    if (!take_read (request, n, error) || request->ended || request->attempt != attempt)
      break;
  }
  request_unref (request);
}

/* ---- any other body: one asynchronous read after another ----------------- */

static void
on_read (GObject *source, GAsyncResult *result, gpointer data)
{
  TbCloudRequest *request = pending_take (data);
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (!request)
    return;
  request_unref (request);   /* the pending read's reference; ours remains */
  if (take_read (request, n, error))
    read_next (request);
}

static void
read_next (TbCloudRequest *request)
{
  if (request->pollable) {
    read_available (request);
    return;
  }
  g_input_stream_read_async (request->stream, request->buffer, sizeof request->buffer,
                             G_PRIORITY_DEFAULT, request->abort, on_read,
                             pending_new (request));
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  TbCloudRequest *request = pending_take (data);
  g_autoptr(GError) error = NULL;
  GInputStream *stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  guint status;

  if (!request) {
    g_clear_object (&stream);
    return;
  }
  request_unref (request);
  tb_cloud_source_clear (&request->connect_source);
  tb_cloud_source_clear (&request->first_byte_source);
  if (!stream) {
    attempt_failed (request,
                    g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                                 "provider %s: cannot reach %s: %s", request->client->provider,
                                 request->client->base_url, error->message),
                    TRUE, 0);
    return;
  }
  request->stream = stream;
  request->pollable = G_IS_POLLABLE_INPUT_STREAM (stream) &&
                      g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (stream));
  status = soup_message_get_status (request->msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status)) {
    request->error_status = status;
    request->error_body = g_byte_array_new ();
  }
  read_next (request);
}

static void
on_wrote_headers (SoupMessage *msg, gpointer data)
{
  TbCloudRequest *request = data;

  /* Connected (or on a connection reused): the connect deadline is met. */
  if (request->msg == msg)
    tb_cloud_source_clear (&request->connect_source);
}

static void
attempt_start (TbCloudRequest *request)
{
  SoupMessageHeaders *headers;

  request->tries++;
  request->abort = g_cancellable_new ();
  request->msg = soup_message_new (request->method, request->url);
  if (!request->msg) {
    /* Checked by tb_cloud_request_start: only a bad path gets here. */
    attempt_failed (request, g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                                          "provider %s: \"%s\" is not a valid URL",
                                          request->client->provider, request->url),
                    FALSE, 0);
    return;
  }
  /* A provider request may be sent again as it is: marked so, libsoup
   * sends it on a kept-alive connection (it opens a new one for every
   * request it may not resend) and resends it when that connection turns
   * out closed. */
  soup_message_add_flags (request->msg, SOUP_MESSAGE_IDEMPOTENT);
  headers = soup_message_get_request_headers (request->msg);
  tb_cloud_client_authorize (request->client, request->msg);
  if (request->accept)
    soup_message_headers_replace (headers, "Accept", request->accept);
  if (request->body)
    soup_message_set_request_body_from_bytes (request->msg, request->content_type,
                                              request->body);
  g_signal_connect (request->msg, "wrote-headers", G_CALLBACK (on_wrote_headers), request);
  request->connect_source = timer_new (request->client->connect_timeout_ms, on_connect_timeout,
                                       request);
  request->first_byte_source = timer_new (request->client->first_byte_timeout_ms,
                                          on_first_byte_timeout, request);
  soup_session_send_async (tb_cloud_client_session (request->client), request->msg,
                           G_PRIORITY_DEFAULT, request->abort, on_sent, pending_new (request));
}

static gboolean
on_start (gpointer data)
{
  TbCloudRequest *request = data;

  if (!request->ended)
    attempt_start (request);
  request_unref (request);
  return G_SOURCE_REMOVE;
}

TbCloudRequest *
tb_cloud_request_start (TbCloudClient *client, const char *method, const char *path,
                        const char *content_type, GBytes *body, const char *accept,
                        const TbCloudRequestCallbacks *callbacks, gpointer user_data,
                        GCancellable *cancellable)
{
  TbCloudRequest *request = g_new0 (TbCloudRequest, 1);
  GSource *idle;

  request->refs = 1;
  request->client = client;
  request->method = g_strdup (method);
  request->url = tb_cloud_client_url (client, path);
  request->content_type = g_strdup (content_type);
  request->body = body ? g_bytes_ref (body) : NULL;
  request->accept = g_strdup (accept);
  request->callbacks = *callbacks;
  request->user_data = user_data;
  request->deadline_us = g_get_monotonic_time () + (gint64) client->timeout_ms * 1000;
  request->total_source = timer_new (client->timeout_ms, on_total_timeout, request);
  if (cancellable) {
    request->cancellable = g_object_ref (cancellable);
    request->cancel_source = tb_cloud_source_attach (g_cancellable_source_new (cancellable),
                                                     G_SOURCE_FUNC (on_cancelled), request, NULL);
  }
  /* The first attempt starts from an idle, so that nothing (not even a bad
   * URL's error) is called back from inside this function. */
  idle = tb_cloud_source_attach (g_idle_source_new (), on_start, request_ref (request), NULL);
  g_source_unref (idle);
  return request;
}

void
tb_cloud_request_set_started (TbCloudRequest *request)
{
  request->started = TRUE;
}

void
tb_cloud_request_fail (TbCloudRequest *request, GError *error)
{
  if (request->ended) {
    g_error_free (error);
    return;
  }
  attempt_failed (request, error, TRUE, 0);
}

SoupMessageHeaders *
tb_cloud_request_response_headers (TbCloudRequest *request)
{
  return request->msg ? soup_message_get_response_headers (request->msg) : NULL;
}
