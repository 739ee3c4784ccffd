/* dg-stream.c — a session's WebSocket to Deepgram: connecting (with
 * retries before the first connection, per max-retries), sending what the
 * connection has not had yet, KeepAlive while no audio goes out (Deepgram
 * closes a silent stream after 10 s), receiving, and connecting again
 * when the connection drops: the new one is given the audio of the turns
 * not yet delivered, so that no turn is lost; when that cannot be done the
 * session ends with error(). */
#define G_LOG_DOMAIN "tb-stt-deepgram"

#include "dg-session-private.h"

#include <string.h>

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 2000
#define STABLE_CONNECTION_S 10 /* a connection that lasted this long worked */

#define MSG_FINALIZE "{\"type\":\"Finalize\"}"
#define MSG_CLOSE_STREAM "{\"type\":\"CloseStream\"}"
#define MSG_KEEPALIVE "{\"type\":\"KeepAlive\"}"

typedef struct {
  TbSttSession *session;
  guint attempt;
} Pending;

/* ---- the connection ------------------------------------------------------ */

/* Forgets the connection request; @abort stops what libsoup still does
 * for it (not once it has succeeded: the connection is ours then). */
static void
drop_handshake (TbSttSession *session, gboolean abort)
{
  if (session->connect_abort && abort)
    g_cancellable_cancel (session->connect_abort);
  g_clear_object (&session->connect_abort);
  if (session->handshake)
    g_signal_handlers_disconnect_by_data (session->handshake, session);
  g_clear_object (&session->handshake);
  tb_cloud_source_clear (&session->connect_timer);
}

/* Forgets the connection; an open one is closed by its last reference. */
static void
drop_connection (TbSttSession *session)
{
  tb_cloud_source_clear (&session->keepalive_timer);
  tb_cloud_source_clear (&session->answer_timer);
  if (session->ws) {
    g_signal_handlers_disconnect_by_data (session->ws, session);
    g_clear_object (&session->ws);
  }
  session->last_message_us = 0;
}

/* The session ends: nothing of the connection calls back any more. */
void
dg_stream_close (TbSttSession *session)
{
  session->attempt++;
  drop_handshake (session, TRUE);
  drop_connection (session);
  tb_cloud_source_clear (&session->retry_timer);
}

/* ---- sending ------------------------------------------------------------- */

gboolean
dg_stream_is_open (TbSttSession *session)
{
  return session->ws &&
         soup_websocket_connection_get_state (session->ws) == SOUP_WEBSOCKET_STATE_OPEN;
}

static void
send_text (TbSttSession *session, const char *text)
{
  soup_websocket_connection_send_text (session->ws, text);
  session->last_send_us = g_get_monotonic_time ();
}

/* Samples in a piece of audio-chunk-ms. */
static gsize
chunk_samples (TbSttSession *session)
{
  return MAX (session->rate * session->config->audio_chunk_ms / 1000, 1);
}

/* The audio kept up to position @to, in frames of at most audio-chunk-ms. */
static void
send_audio_upto (TbSttSession *session, gsize to)
{
  DgTurns *turns = &session->turns;
  gsize chunk = chunk_samples (session);

  while (turns->sent < to) {
    gsize n = MIN (to - turns->sent, chunk);
    const gint16 *samples = dg_turns_audio (turns, turns->sent);
#if G_BYTE_ORDER == G_BIG_ENDIAN
    g_autofree gint16 *le = g_new (gint16, n);

    for (gsize i = 0; i < n; i++)
      le[i] = GINT16_TO_LE (samples[i]);
    samples = le;
#endif
    soup_websocket_connection_send_binary (session->ws, samples, n * sizeof (gint16));
    turns->sent += n;
  }
  session->last_send_us = g_get_monotonic_time ();
}

/* Whatever the connection has not had yet: audio, the Finalize of each
 * ended turn after its audio, CloseStream once finishing. Audio of the
 * open turn goes in whole pieces of audio-chunk-ms; the rest waits for
 * more, or for the turn's end. */
void
dg_stream_send_pending (TbSttSession *session)
{
  DgTurns *turns = &session->turns;
  gsize end, chunk = chunk_samples (session);

  if (!dg_stream_is_open (session) || session->close_sent)
    return;
  for (GList *l = turns->turns.head; l; l = l->next) {
    DgTurn *turn = l->data;

    if (turn->end == DG_TURN_OPEN)
      break;
    if (turn->by_close || turn->finalize_sent || turn->end == turn->start)
      continue;
    send_audio_upto (session, turn->end);
    send_text (session, MSG_FINALIZE);
    turn->finalize_sent = TRUE;
    turn->finalize_us = g_get_monotonic_time ();
  }
  end = dg_turns_end (turns);
  if (!session->finishing)
    end = turns->sent + (end - turns->sent) / chunk * chunk;
  if (turns->sent < end)
    send_audio_upto (session, end);
  if (session->finishing) {
    send_text (session, MSG_CLOSE_STREAM);
    session->close_sent = TRUE;
    session->close_sent_us = g_get_monotonic_time ();
  }
}

static void arm_keepalive (TbSttSession *session);

static gboolean
on_keepalive (gpointer data)
{
  TbSttSession *session = data;

  g_clear_pointer (&session->keepalive_timer, g_source_unref);
  if (!dg_stream_is_open (session) || session->close_sent)
    return G_SOURCE_REMOVE;
  if (g_get_monotonic_time () - session->last_send_us >=
      (gint64) session->config->keepalive_s * G_USEC_PER_SEC - 10000)
    send_text (session, MSG_KEEPALIVE);
  arm_keepalive (session);
  return G_SOURCE_REMOVE;
}

/* Wakes keepalive-s after the last thing sent. */
static void
arm_keepalive (TbSttSession *session)
{
  gint64 due = session->last_send_us + (gint64) session->config->keepalive_s * G_USEC_PER_SEC;

  tb_cloud_source_clear (&session->keepalive_timer);
  session->keepalive_timer = dg_session_timer (session, (due - g_get_monotonic_time ()) / 1000,
                                               on_keepalive);
}

/* ---- receiving ----------------------------------------------------------- */

static void
on_message (SoupWebsocketConnection *ws, SoupWebsocketDataType type, GBytes *bytes,
            gpointer data)
{
  TbSttSession *session = data;
  g_autoptr(GError) error = NULL;
  DgMessage message;
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);

  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    g_debug ("ignoring a binary message of %" G_GSIZE_FORMAT " bytes", len);
    return;
  }
  if (!dg_message_parse (text, len, &message, &error)) {
    dg_session_fail (session, error);
    return;
  }
  session->last_message_us = g_get_monotonic_time ();
  dg_session_ref (session);
  switch (message.type) {
  case DG_MESSAGE_RESULTS:
    dg_session_results (session, &message);
    break;
  case DG_MESSAGE_UTTERANCE_END:
    g_debug ("utterance end: the last word ended at %.2f s", message.time);
    break;
  case DG_MESSAGE_SPEECH_STARTED:
    g_debug ("speech started at %.2f s", message.time);
    break;
  case DG_MESSAGE_METADATA:
    g_debug ("request %s: %.2f s of audio", message.request_id ? message.request_id : "?",
             message.duration);
    break;
  case DG_MESSAGE_ERROR:
    dg_session_fail_with (session, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                          "provider Deepgram reported an error: %s",
                          message.description ? message.description : "(no description)");
    break;
  case DG_MESSAGE_OTHER:
    g_debug ("ignoring a message of type %s", message.type_name);
    break;
  }
  if (!session->ended)
    dg_session_deliver_ready (session);
  dg_message_clear (&message);
  dg_session_unref (session);
}

static void
on_ws_error (SoupWebsocketConnection *ws, GError *error, gpointer data)
{
  g_debug ("WebSocket error: %s", error->message);
}

static guint
backoff_ms (guint failures)
{
  return MIN (BACKOFF_FIRST_MS << MIN (failures > 0 ? failures - 1 : 0, 5), BACKOFF_MAX_MS);
}

static gboolean
on_retry (gpointer data)
{
  TbSttSession *session = data;

  g_clear_pointer (&session->retry_timer, g_source_unref);
  dg_stream_connect (session);
  return G_SOURCE_REMOVE;
}

static void
retry_after (TbSttSession *session, guint ms)
{
  tb_cloud_source_clear (&session->retry_timer);
  session->retry_timer = dg_session_timer (session, ms, on_retry);
}

static void
on_closed (SoupWebsocketConnection *ws, gpointer data)
{
  TbSttSession *session = data;
  gushort code = soup_websocket_connection_get_close_code (ws);
  g_autofree char *reason = g_strdup (soup_websocket_connection_get_close_data (ws));

  drop_connection (session);
  if (session->close_sent && code == SOUP_WEBSOCKET_CLOSE_NORMAL) {
    dg_session_finish_complete (session);
    return;
  }
  if (code == SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA ||
      code == SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION || code == SOUP_WEBSOCKET_CLOSE_TOO_BIG) {
    /* What we sent is wrong: sending it again would not help. */
    dg_session_fail_with (session, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                          "provider Deepgram closed the stream: %u %s", code,
                          reason ? reason : "");
    return;
  }
  if (g_get_monotonic_time () - session->opened_us >= STABLE_CONNECTION_S * G_USEC_PER_SEC)
    session->failures = 0;
  session->failures++;
  if (session->failures > session->config->reconnect_attempts) {
    dg_session_fail_with (session, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                          "provider Deepgram: the stream closed (%u%s%s) and %u "
                          "reconnections failed", code, reason && *reason ? " " : "",
                          reason ? reason : "", session->config->reconnect_attempts);
    return;
  }
  g_message ("provider Deepgram: the stream closed unexpectedly (%u%s%s); reconnecting with "
             "%.1f s of audio to send again", code, reason && *reason ? " " : "",
             reason ? reason : "",
             (double) (dg_turns_end (&session->turns) - session->turns.base) / session->rate);
  retry_after (session, backoff_ms (session->failures));
}

/* ---- connecting ---------------------------------------------------------- */

static void
opened (TbSttSession *session, SoupWebsocketConnection *ws)
{
  session->ws = ws;
  session->connected_once = TRUE;
  session->opened_us = g_get_monotonic_time ();
  session->close_sent = FALSE;
  session->last_message_us = 0;
  session->last_send_us = g_get_monotonic_time ();
  g_signal_connect (ws, "message", G_CALLBACK (on_message), session);
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), session);
  g_signal_connect (ws, "error", G_CALLBACK (on_ws_error), session);
  /* The new connection is given every turn not delivered yet. */
  dg_turns_restart (&session->turns);
  dg_stream_send_pending (session);
  arm_keepalive (session);
  dg_session_arm_answer_timer (session);
}

/* A try failed with @error (taken): tries again when that is allowed (a
 * first connection per max-retries, later ones per reconnect-attempts),
 * else the session ends with it. */
static void
connection_failed (TbSttSession *session, GError *error, gboolean retryable, guint wait_ms)
{
  g_autoptr(GError) owned = error;
  guint limit = session->connected_once ? session->config->reconnect_attempts
                                        : session->config->client.max_retries;

  drop_handshake (session, TRUE);
  session->failures++;
  if (retryable && session->failures <= limit) {
    guint delay = MAX (wait_ms, backoff_ms (session->failures));

    g_debug ("%s; trying again in %u ms", error->message, delay);
    retry_after (session, delay);
    return;
  }
  dg_session_fail (session, error);
}

static guint
retry_after_ms (SoupMessage *msg)
{
  const char *value = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                    "Retry-After");
  guint64 seconds;

  if (value && g_ascii_string_to_unsigned (value, 10, 0, 3600, &seconds, NULL))
    return (guint) seconds * 1000;
  return 1000;
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer data)
{
  Pending *pending = data;
  TbSttSession *session = pending->session;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *ws = soup_session_websocket_connect_finish (SOUP_SESSION (source),
                                                                       result, &error);
  guint status;

  if (session->ended || pending->attempt != session->attempt) {
    g_clear_object (&ws);
    goto out;
  }
  tb_cloud_source_clear (&session->connect_timer);
  if (ws) {
    drop_handshake (session, FALSE);
    opened (session, ws);
    goto out;
  }
  status = soup_message_get_status (session->handshake);
  if (status >= 300) {
    /* The refusal's reason is in Deepgram's dg-error header (libsoup
     * does not keep a refused handshake's body). */
    const char *reason = soup_message_headers_get_one (
        soup_message_get_response_headers (session->handshake), "dg-error");
    g_autoptr(GBytes) body = reason ? g_bytes_new (reason, strlen (reason)) : NULL;
    GError *status_error = tb_cloud_client_status_error (&session->config->client, status, body);

    connection_failed (session, status_error,
                       status == TB_CLOUD_STATUS_TOO_MANY_REQUESTS || status >= 500,
                       status == TB_CLOUD_STATUS_TOO_MANY_REQUESTS
                         ? retry_after_ms (session->handshake) : 0);
  } else {
    connection_failed (session,
                       g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                                    "provider Deepgram: cannot reach %s: %s",
                                    session->config->client.base_url, error->message),
                       TRUE, 0);
  }

out:
  dg_session_unref (session);
  g_free (pending);
}

/* The connection attempt took too long: "@what within @ms ms". */
static gboolean
connect_timed_out (TbSttSession *session, const char *what, guint ms)
{
  g_clear_pointer (&session->connect_timer, g_source_unref);
  session->attempt++;
  connection_failed (session,
                     g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_TIMEOUT,
                                  "provider Deepgram: %s within %u ms", what, ms),
                     FALSE, 0);
  return G_SOURCE_REMOVE;
}

static gboolean
on_handshake_timeout (gpointer data)
{
  TbSttSession *session = data;

  return connect_timed_out (session, "no answer to the connection request",
                            session->config->client.first_byte_timeout_ms);
}

static gboolean
on_connect_timeout (gpointer data)
{
  TbSttSession *session = data;

  return connect_timed_out (session, "could not connect",
                            session->config->client.connect_timeout_ms);
}

/* The request is written: from now on the handshake's answer is awaited. */
static void
on_wrote_headers (SoupMessage *msg, gpointer data)
{
  TbSttSession *session = data;

  tb_cloud_source_clear (&session->connect_timer);
  session->connect_timer = dg_session_timer (session,
                                             session->config->client.first_byte_timeout_ms,
                                             on_handshake_timeout);
}

void
dg_stream_connect (TbSttSession *session)
{
  Pending *pending = g_new (Pending, 1);

  drop_handshake (session, TRUE);
  session->attempt++;
  session->handshake = soup_message_new (SOUP_METHOD_GET, session->url);
  tb_cloud_client_authorize (&session->config->client, session->handshake);
  g_signal_connect (session->handshake, "wrote-headers", G_CALLBACK (on_wrote_headers), session);
  session->connect_abort = g_cancellable_new ();
  session->connect_timer = dg_session_timer (session, session->config->client.connect_timeout_ms,
                                             on_connect_timeout);
  pending->session = dg_session_ref (session);
  pending->attempt = session->attempt;
  soup_session_websocket_connect_async (tb_cloud_client_session (&session->config->client),
                                        session->handshake, NULL, NULL, G_PRIORITY_DEFAULT,
                                        session->connect_abort, on_connected, pending);
}
