/* webhook-request.c — one webhook POST, asynchronous on the thread-default
 * context. The request ends exactly once (request_end), whichever comes
 * first: the reply, an I/O error, the deadline or the caller's cancellable.
 * Ending cancels our own cancellable, which stops whatever libsoup is still
 * doing; the callbacks libsoup then calls only drop their reference. */
#define G_LOG_DOMAIN "tb-tool-webhook"

#include "webhook-request.h"
#include "webhook-reply.h"

#define READ_CHUNK 16384
#define EXCERPT_BYTES 200

typedef struct {
  int refs;
  TbToolCallbacks callbacks;
  gpointer user_data;
  gboolean ended;
  GCancellable *abort;         /* ours: cancels libsoup's I/O             */
  GSource *cancel_source;      /* watches the caller's cancellable        */
  GSource *timeout_source;
  SoupMessage *message;
  GInputStream *body;
  GByteArray *reply;
  gsize limit;                 /* bytes of reply wanted at the most       */
  gsize max_reply_bytes;
  guint timeout_ms;
  char *display_url;
  gint64 started_us;
} Request;

static Request *
request_ref (Request *request)
{
  request->refs++;
  return request;
}

static void
request_unref (gpointer data)
{
  Request *request = data;

  if (--request->refs > 0)
    return;
  /* No read is pending any more: closing drops an unfinished reply
   * without reading the rest (libsoup then closes the connection). */
  if (request->body)
    g_input_stream_close (request->body, NULL, NULL);
  g_clear_object (&request->body);
  g_clear_object (&request->message);
  g_clear_object (&request->abort);
  g_byte_array_unref (request->reply);
  g_free (request->display_url);
  g_free (request);
}

static void
clear_source (GSource **source)
{
  if (*source) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

/* Calls the terminal callback, once: @result_json or @error. */
static void
request_end (Request *request, const char *result_json, const GError *error)
{
  if (request->ended)
    return;
  request->ended = TRUE;
  clear_source (&request->cancel_source);
  clear_source (&request->timeout_source);
  g_cancellable_cancel (request->abort);
  g_debug ("POST %s: %s after %.1f ms", request->display_url,
           error ? error->message : "result",
           (g_get_monotonic_time () - request->started_us) / 1000.0);
  if (error)
    request->callbacks.error (error, request->user_data);
  else
    request->callbacks.result (result_json, request->user_data);
}

static GError *request_error (Request *request, GQuark domain, int code,
                              const char *format, ...) G_GNUC_PRINTF (4, 5);

/* An error about this webhook: "webhook URL: ...". */
static GError *
request_error (Request *request, GQuark domain, int code, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  return g_error_new (domain, code, "webhook %s: %s", request->display_url, message);
}

#define request_fail(request, ...) G_STMT_START { \
    g_autoptr(GError) fail_error_ = request_error ((request), __VA_ARGS__); \
    request_end ((request), NULL, fail_error_); \
  } G_STMT_END

static gboolean
on_cancelled (GCancellable *cancellable, gpointer data)
{
  request_fail ((Request *) data, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  return G_SOURCE_REMOVE;
}

static gboolean
on_timeout (gpointer data)
{
  Request *request = data;

  request_fail (request, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_TIMEOUT,
                "no complete answer within %u ms", request->timeout_ms);
  return G_SOURCE_REMOVE;
}

/* The reply has been read (to its end, or as much as an error message
 * needs): the result, or the error its status or content means. */
static void
reply_complete (Request *request)
{
  guint status = soup_message_get_status (request->message);
  g_autoptr(GError) reply_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *result = NULL;

  if (!SOUP_STATUS_IS_SUCCESSFUL (status)) {
    g_autofree char *excerpt = tb_webhook_reply_excerpt (request->reply->data,
                                                         request->reply->len);

    error = request_error (request, TB_PLUGIN_ERROR, tb_webhook_status_error_code (status),
                           "answered %u %s: %s", status,
                           soup_message_get_reason_phrase (request->message), excerpt);
  } else {
    result = tb_webhook_reply_to_result (request->reply->data, request->reply->len,
                                         &reply_error);
    if (!result)
      error = request_error (request, reply_error->domain, reply_error->code, "%s",
                             reply_error->message);
  }
  request_end (request, result, error);
}

static void read_more (Request *request);

static void
on_read (GObject *source, GAsyncResult *result, gpointer data)
{
  Request *request = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source),
                                                              result, &error);
  gboolean success = SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (request->message));

  if (request->ended) {
    /* Ended meanwhile (deadline, cancellation): nothing more to do. */
  } else if (!bytes) {
    request_fail (request, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                  "the reply broke off: %s", error->message);
  } else if (g_bytes_get_size (bytes) == 0) {
    /* The end: closing now lets libsoup put the connection back in its
     * pool before the caller hears of the result. */
    g_input_stream_close (request->body, NULL, NULL);
    reply_complete (request);
  } else {
    g_byte_array_append (request->reply, g_bytes_get_data (bytes, NULL),
                         g_bytes_get_size (bytes));
    if (success && request->reply->len > request->limit)
      request_fail (request, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                    "the reply is larger than max-reply-bytes (%" G_GSIZE_FORMAT "); "
                    "stopped reading it", request->max_reply_bytes);
    else if (!success && request->reply->len >= request->limit)
      reply_complete (request);
    else
      read_more (request);
  }
  request_unref (request);
}

/* Reads on until there is more than the limit: one byte past it tells
 * a reply that is too long from one that is exactly as long as allowed. */
static void
read_more (Request *request)
{
  gsize wanted = MIN (READ_CHUNK, request->limit + 1 - request->reply->len);

  g_input_stream_read_bytes_async (request->body, wanted, G_PRIORITY_DEFAULT, request->abort,
                                   on_read, request_ref (request));
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  Request *request = data;
  g_autoptr(GError) error = NULL;
  GInputStream *body = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  SoupMessageHeaders *headers;
  gboolean success;

  request->body = body;
  if (request->ended) {
    /* Ended meanwhile; request_unref closes the body, if any. */
  } else if (!body) {
    request_fail (request, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                  "no answer: %s", error->message);
  } else {
    success = SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (request->message));
    headers = soup_message_get_response_headers (request->message);
    request->limit = success ? request->max_reply_bytes : EXCERPT_BYTES;
    if (success &&
        soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
        soup_message_headers_get_content_length (headers) > (goffset) request->limit)
      request_fail (request, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                    "the reply (%" G_GOFFSET_FORMAT " bytes) is larger than max-reply-bytes "
                    "(%" G_GSIZE_FORMAT "); not reading it",
                    soup_message_headers_get_content_length (headers), request->limit);
    else
      read_more (request);
  }
  request_unref (request);
}

static GSource *
attach (GSource *source, GSourceFunc func, Request *request)
{
  g_source_set_callback (source, func, request_ref (request), request_unref);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

static SoupMessage *
new_message (const TbWebhookPost *post)
{
  SoupMessage *message = soup_message_new_from_uri (SOUP_METHOD_POST, post->uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);

  /* A redirect would send the signed body somewhere else, as a GET.
   * IDEMPOTENT lets libsoup send it on a kept-alive connection (it never
   * resends a POST by itself, flag or not). */
  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT | SOUP_MESSAGE_IDEMPOTENT);
  soup_message_set_request_body_from_bytes (message, "application/json", post->body);
  soup_message_headers_replace (headers, "Accept", "application/json");
  for (guint i = 0; post->header_names && post->header_names[i]; i++)
    soup_message_headers_replace (headers, post->header_names[i], post->header_values[i]);
  if (post->signature)
    soup_message_headers_replace (headers, "X-Talkingbits-Signature", post->signature);
  return message;
}

void
tb_webhook_post (const TbWebhookPost *post, const TbToolCallbacks *callbacks,
                 gpointer user_data, GCancellable *cancellable)
{
  Request *request = g_new0 (Request, 1);

  request->refs = 1;
  request->callbacks = *callbacks;
  request->user_data = user_data;
  request->abort = g_cancellable_new ();
  request->reply = g_byte_array_new ();
  request->max_reply_bytes = post->max_reply_bytes;
  request->timeout_ms = post->timeout_ms;
  request->display_url = g_strdup (post->display_url);
  request->started_us = g_get_monotonic_time ();
  request->message = new_message (post);

  /* When @cancellable is already cancelled this source is ready at once:
   * the request still ends from the main loop, never from here. */
  if (cancellable)
    request->cancel_source = attach (g_cancellable_source_new (cancellable),
                                     G_SOURCE_FUNC (on_cancelled), request);
  request->timeout_source = attach (g_timeout_source_new (post->timeout_ms), on_timeout,
                                    request);
  soup_session_send_async (post->session, request->message, G_PRIORITY_DEFAULT, request->abort,
                           on_sent, request_ref (request));
  request_unref (request);
}
