/* dg-session.c — a caller stream on Deepgram's live WebSocket.
 *
 * Audio goes out as binary frames of little-endian 16-bit PCM as soon as
 * it is pushed (queued while the connection is being made). Each end of
 * turn sends {"type":"Finalize"}; the turn's final() is its is_final
 * parts joined, given when the result marked from_finalize comes (or
 * final results cover the turn's audio; or, the service being alive but
 * saying nothing more, a moment later). finish() sends CloseStream and
 * ends with done() once the service has closed the stream.
 *
 * A connection that drops is made again, and is given the audio of the
 * turns not yet delivered, so that no turn is lost; one that cannot be
 * made again ends the session with error(). While no audio goes out,
 * KeepAlive messages keep the connection open (Deepgram closes a silent
 * one after 10 s).
 *
 * Everything runs on the context the session was made on; every callback
 * comes from one of its sources, and after session_free none does. */
#define G_LOG_DOMAIN "tb-stt-deepgram"

#include "dg-session.h"

#include "dg-message.h"
#include "dg-turns.h"

#include <string.h>

#define MAX_KEPT_S 60          /* audio of an open turn kept for a reconnection */
#define SEND_CHUNK_MS 100      /* frames of audio sent again after reconnecting */
#define FINALIZE_GRACE_MS 1000 /* answer to Finalize that may never come */
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 2000
#define STABLE_CONNECTION_S 10 /* a connection that lasted this long worked */

#define MSG_FINALIZE "{\"type\":\"Finalize\"}"
#define MSG_CLOSE_STREAM "{\"type\":\"CloseStream\"}"
#define MSG_KEEPALIVE "{\"type\":\"KeepAlive\"}"

struct _TbSttSession {
  int refs;
  DgConfig *config;
  char *url;
  guint rate;
  GMainContext *context;
  TbSttCallbacks callbacks;
  gpointer user_data;
  GCancellable *cancellable;   /* the caller's, or NULL */
  GSource *cancel_source;
  gboolean ended;              /* a terminal callback ran, or session_free */

  DgTurns turns;
  char *last_partial;
  gboolean finishing;          /* finish() was called */
  gboolean close_sent;         /* CloseStream, on the current connection */
  gint64 close_sent_us;

  /* The connection */
  guint attempt;               /* bumped by each try: older callbacks are stale */
  guint failures;              /* failed tries and drops since the last progress */
  gboolean connected_once;
  gint64 opened_us;
  GCancellable *connect_abort;
  SoupMessage *handshake;
  SoupWebsocketConnection *ws;
  gint64 last_send_us;
  gint64 last_message_us;      /* 0: none on this connection */

  GSource *connect_timer, *retry_timer, *keepalive_timer, *answer_timer, *deliver_idle;
};

typedef struct {
  TbSttSession *session;
  guint attempt;
} Pending;

static void connect_start (TbSttSession *session);
static void deliver_ready (TbSttSession *session);

/* ---- life ---------------------------------------------------------------- */

static TbSttSession *
session_ref (TbSttSession *session)
{
  session->refs++;
  return session;
}

static void
session_unref (TbSttSession *session)
{
  if (--session->refs > 0)
    return;
  dg_turns_clear (&session->turns);
  g_free (session->last_partial);
  g_free (session->url);
  g_clear_object (&session->cancellable);
  g_main_context_unref (session->context);
  g_free (session);
}

static void
clear_source (GSource **source)
{
  if (*source) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

static GSource *
timer_new (TbSttSession *session, gint64 ms, GSourceFunc func)
{
  GSource *source = g_timeout_source_new ((guint) CLAMP (ms, 0, G_MAXUINT));

  g_source_set_callback (source, func, session, NULL);
  g_source_attach (source, session->context);
  return source;
}

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
  clear_source (&session->connect_timer);
}

/* Forgets the connection; an open one is closed by its last reference. */
static void
drop_connection (TbSttSession *session)
{
  clear_source (&session->keepalive_timer);
  clear_source (&session->answer_timer);
  if (session->ws) {
    g_signal_handlers_disconnect_by_data (session->ws, session);
    g_clear_object (&session->ws);
  }
  session->last_message_us = 0;
}

/* No callback may follow. */
static void
teardown (TbSttSession *session)
{
  session->ended = TRUE;
  session->attempt++;
  drop_handshake (session, TRUE);
  drop_connection (session);
  clear_source (&session->retry_timer);
  clear_source (&session->deliver_idle);
  clear_source (&session->cancel_source);
}

static void
fail (TbSttSession *session, const GError *error)
{
  if (session->ended)
    return;
  g_debug ("session ends: %s", error->message);
  teardown (session);
  session->callbacks.error (error, session->user_data);
}

static void
fail_with (TbSttSession *session, GQuark domain, int code, const char *format, ...)
  G_GNUC_PRINTF (4, 5);

static void
fail_with (TbSttSession *session, GQuark domain, int code, const char *format, ...)
{
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (domain, code, format, args);
  va_end (args);
  fail (session, error);
}

static gboolean
on_cancelled (GCancellable *cancellable, gpointer data)
{
  fail_with (data, G_IO_ERROR, G_IO_ERROR_CANCELLED, "provider Deepgram: cancelled");
  return G_SOURCE_REMOVE;
}

/* ---- what the host hears ------------------------------------------------- */

static void
emit_partial (TbSttSession *session, char *text)
{
  if (!*text || g_strcmp0 (text, session->last_partial) == 0) {
    g_free (text);
    return;
  }
  g_free (session->last_partial);
  session->last_partial = text;
  if (session->callbacks.partial)
    session->callbacks.partial (text, session->user_data);
}

/* Gives the oldest turn's final(). The callback may free the session:
 * the caller holds a reference and checks session->ended. */
static void
deliver_head (TbSttSession *session)
{
  DgTurn *turn = dg_turns_pop (&session->turns);

  /* Progress: the drops and failures before it are forgiven. */
  session->failures = 0;
  g_clear_pointer (&session->last_partial, g_free);
  g_debug ("turn of %.2f s: \"%s\"", (double) (turn->end - turn->start) / session->rate,
           turn->text->str);
  session->callbacks.final (turn->text->str, dg_turn_confidence (turn), session->user_data);
  dg_turn_free (turn);
}

/* After CloseStream was answered: every turn's final(), then done(). */
static void
finish_complete (TbSttSession *session)
{
  session_ref (session);
  while (!session->ended && dg_turns_head (&session->turns) != dg_turns_open (&session->turns))
    deliver_head (session);
  if (!session->ended) {
    teardown (session);
    session->callbacks.done (session->user_data);
  }
  session_unref (session);
}

/* ---- sending ------------------------------------------------------------- */

static gboolean
connection_open (TbSttSession *session)
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

/* The audio kept up to position @to, in frames of at most SEND_CHUNK_MS. */
static void
send_audio_upto (TbSttSession *session, gsize to)
{
  DgTurns *turns = &session->turns;
  gsize chunk = MAX (session->rate * SEND_CHUNK_MS / 1000, 1);

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
 * ended turn after its audio, CloseStream once finishing. */
static void
send_pending (TbSttSession *session)
{
  DgTurns *turns = &session->turns;

  if (!connection_open (session) || session->close_sent)
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
  if (turns->sent < dg_turns_end (turns))
    send_audio_upto (session, dg_turns_end (turns));
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
  if (!connection_open (session) || session->close_sent)
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

  clear_source (&session->keepalive_timer);
  session->keepalive_timer = timer_new (session, (due - g_get_monotonic_time ()) / 1000,
                                        on_keepalive);
}

/* ---- waiting for answers ------------------------------------------------- */

static gboolean
on_close_timeout (gpointer data)
{
  TbSttSession *session = data;

  g_clear_pointer (&session->answer_timer, g_source_unref);
  fail_with (session, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_TIMEOUT,
             "provider Deepgram: the stream did not end within %u ms of CloseStream",
             session->config->client.first_byte_timeout_ms);
  return G_SOURCE_REMOVE;
}

static gboolean
on_answer_timeout (gpointer data)
{
  TbSttSession *session = data;

  g_clear_pointer (&session->answer_timer, g_source_unref);
  fail_with (session, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_TIMEOUT,
             "provider Deepgram: no answer to Finalize within %u ms",
             session->config->client.first_byte_timeout_ms);
  return G_SOURCE_REMOVE;
}

/* Deepgram does not promise an answer to Finalize when little audio was
 * left to process: the service being alive and every word it heard of the
 * turn final, the turn is what it has said. */
static gboolean
on_finalize_grace (gpointer data)
{
  TbSttSession *session = data;

  g_clear_pointer (&session->answer_timer, g_source_unref);
  g_debug ("no from_finalize result within %u ms: the turn is complete as it is",
           FINALIZE_GRACE_MS);
  session_ref (session);
  deliver_head (session);
  if (!session->ended)
    deliver_ready (session);
  session_unref (session);
  return G_SOURCE_REMOVE;
}

/* The deadline of what the session waits for on the connection, if
 * anything: the end of the stream after CloseStream, or the answer to the
 * oldest turn's Finalize. */
static void
arm_answer_timer (TbSttSession *session)
{
  gint64 timeout_us = (gint64) session->config->client.first_byte_timeout_ms * 1000;
  gint64 now = g_get_monotonic_time ();
  DgTurn *head = dg_turns_head (&session->turns);

  clear_source (&session->answer_timer);
  if (!connection_open (session))
    return;
  if (session->close_sent) {
    gint64 since = MAX (session->close_sent_us, session->last_message_us);

    session->answer_timer = timer_new (session, (since + timeout_us - now) / 1000,
                                       on_close_timeout);
  } else if (head && head->end != DG_TURN_OPEN && head->finalize_sent) {
    gboolean alive = session->last_message_us &&
                     session->last_message_us + timeout_us >= head->finalize_us;

    /* Words heard but not final yet: the answer is sure to come. */
    if (alive && !head->unfinalized)
      session->answer_timer = timer_new (session,
                                         (head->finalize_us - now) / 1000 + FINALIZE_GRACE_MS,
                                         on_finalize_grace);
    else
      session->answer_timer = timer_new (session, (head->finalize_us + timeout_us - now) / 1000,
                                         on_answer_timeout);
  }
}

/* Gives the final() of every complete turn, oldest first. */
static void
deliver_ready (TbSttSession *session)
{
  session_ref (session);
  while (!session->ended && dg_turns_head_complete (&session->turns))
    deliver_head (session);
  if (!session->ended)
    arm_answer_timer (session);
  session_unref (session);
}

static gboolean
on_deliver_idle (gpointer data)
{
  TbSttSession *session = data;

  g_clear_pointer (&session->deliver_idle, g_source_unref);
  deliver_ready (session);
  return G_SOURCE_REMOVE;
}

/* ---- receiving ----------------------------------------------------------- */

static void
on_results (TbSttSession *session, const DgMessage *message)
{
  DgTurns *turns = &session->turns;
  DgTurn *turn = dg_turns_find (turns, message->start, message->duration);

  if (!turn) {
    g_debug ("a result for audio of a turn already delivered: \"%s\"", message->transcript);
    return;
  }
  if (message->is_final)
    dg_turns_add_final (turns, turn, message->transcript, message->confidence,
                        message->start + message->duration);
  turn->unfinalized = message->is_final ? FALSE : turn->unfinalized || *message->transcript;
  if (message->from_finalize)
    turn->from_finalize = TRUE;
  if (turn == dg_turns_open (turns) && *message->transcript)
    emit_partial (session, dg_turn_text_with (turn, message->is_final ? NULL
                                                                      : message->transcript));
}

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
    fail (session, error);
    return;
  }
  session->last_message_us = g_get_monotonic_time ();
  session_ref (session);
  switch (message.type) {
  case DG_MESSAGE_RESULTS:
    on_results (session, &message);
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
    fail_with (session, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
               "provider Deepgram reported an error: %s",
               message.description ? message.description : "(no description)");
    break;
  case DG_MESSAGE_OTHER:
    g_debug ("ignoring a message of type %s", message.type_name);
    break;
  }
  if (!session->ended)
    deliver_ready (session);
  dg_message_clear (&message);
  session_unref (session);
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
  connect_start (session);
  return G_SOURCE_REMOVE;
}

static void
retry_after (TbSttSession *session, guint ms)
{
  clear_source (&session->retry_timer);
  session->retry_timer = timer_new (session, ms, on_retry);
}

static void
on_closed (SoupWebsocketConnection *ws, gpointer data)
{
  TbSttSession *session = data;
  gushort code = soup_websocket_connection_get_close_code (ws);
  g_autofree char *reason = g_strdup (soup_websocket_connection_get_close_data (ws));

  drop_connection (session);
  if (session->close_sent && code == SOUP_WEBSOCKET_CLOSE_NORMAL) {
    finish_complete (session);
    return;
  }
  if (code == SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA || code == SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION ||
      code == SOUP_WEBSOCKET_CLOSE_TOO_BIG) {
    /* What we sent is wrong: sending it again would not help. */
    fail_with (session, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
               "provider Deepgram closed the stream: %u %s", code, reason ? reason : "");
    return;
  }
  if (g_get_monotonic_time () - session->opened_us >= STABLE_CONNECTION_S * G_USEC_PER_SEC)
    session->failures = 0;
  session->failures++;
  if (session->failures > session->config->reconnect_attempts) {
    fail_with (session, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
               "provider Deepgram: the stream closed (%u%s%s) and %u reconnections failed",
               code, reason && *reason ? " " : "", reason ? reason : "",
               session->config->reconnect_attempts);
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
  send_pending (session);
  arm_keepalive (session);
  arm_answer_timer (session);
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
  fail (session, error);
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
  clear_source (&session->connect_timer);
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
  session_unref (session);
  g_free (pending);
}

static gboolean
on_handshake_timeout (gpointer data)
{
  TbSttSession *session = data;

  g_clear_pointer (&session->connect_timer, g_source_unref);
  session->attempt++;
  connection_failed (session,
                     g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_TIMEOUT,
                                  "provider Deepgram: no answer to the connection request "
                                  "within %u ms",
                                  session->config->client.first_byte_timeout_ms),
                     FALSE, 0);
  return G_SOURCE_REMOVE;
}

static gboolean
on_connect_timeout (gpointer data)
{
  TbSttSession *session = data;

  g_clear_pointer (&session->connect_timer, g_source_unref);
  session->attempt++;
  connection_failed (session,
                     g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_TIMEOUT,
                                  "provider Deepgram: could not connect within %u ms",
                                  session->config->client.connect_timeout_ms),
                     FALSE, 0);
  return G_SOURCE_REMOVE;
}

/* The request is written: from now on the handshake's answer is awaited. */
static void
on_wrote_headers (SoupMessage *msg, gpointer data)
{
  TbSttSession *session = data;

  clear_source (&session->connect_timer);
  session->connect_timer = timer_new (session, session->config->client.first_byte_timeout_ms,
                                      on_handshake_timeout);
}

static void
connect_start (TbSttSession *session)
{
  Pending *pending = g_new (Pending, 1);

  drop_handshake (session, TRUE);
  session->attempt++;
  session->handshake = soup_message_new (SOUP_METHOD_GET, session->url);
  tb_cloud_client_authorize (&session->config->client, session->handshake);
  g_signal_connect (session->handshake, "wrote-headers", G_CALLBACK (on_wrote_headers), session);
  session->connect_abort = g_cancellable_new ();
  session->connect_timer = timer_new (session, session->config->client.connect_timeout_ms,
                                      on_connect_timeout);
  pending->session = session_ref (session);
  pending->attempt = session->attempt;
  soup_session_websocket_connect_async (tb_cloud_client_session (&session->config->client),
                                        session->handshake, NULL, NULL, G_PRIORITY_DEFAULT,
                                        session->connect_abort, on_connected, pending);
}

/* ---- the vtable ---------------------------------------------------------- */

TbSttSession *
dg_session_new (DgConfig *config, const char *url, guint rate, const TbSttCallbacks *callbacks,
                gpointer user_data, GCancellable *cancellable, GError **error)
{
  g_autoptr(SoupMessage) probe = soup_message_new (SOUP_METHOD_GET, url);
  TbSttSession *session;

  if (!probe) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "provider Deepgram: \"%s\" is not a valid URL", config->client.base_url);
    return NULL;
  }
  session = g_new0 (TbSttSession, 1);
  session->refs = 1;
  session->config = config;
  session->url = g_strdup (url);
  session->rate = rate;
  session->context = g_main_context_ref_thread_default ();
  session->callbacks = *callbacks;
  session->user_data = user_data;
  dg_turns_init (&session->turns, rate, MAX_KEPT_S);
  if (cancellable) {
    session->cancellable = g_object_ref (cancellable);
    session->cancel_source = g_cancellable_source_new (cancellable);
    g_source_set_callback (session->cancel_source, G_SOURCE_FUNC (on_cancelled), session, NULL);
    g_source_attach (session->cancel_source, session->context);
  }
  connect_start (session);
  return session;
}

void
dg_session_push_audio (TbSttSession *session, const gint16 *samples, gsize n_samples)
{
  if (session->ended || session->finishing || n_samples == 0)
    return;
  dg_turns_push (&session->turns, samples, n_samples);
  send_pending (session);
}

void
dg_session_end_of_turn (TbSttSession *session)
{
  if (session->ended || session->finishing)
    return;
  dg_turns_end_turn (&session->turns);
  send_pending (session);
  arm_answer_timer (session);
  /* A turn without audio, or covered already, is complete at once: its
   * final() comes from an idle, never from inside this function. */
  if (!session->deliver_idle) {
    session->deliver_idle = g_idle_source_new ();
    g_source_set_callback (session->deliver_idle, on_deliver_idle, session, NULL);
    g_source_attach (session->deliver_idle, session->context);
  }
}

void
dg_session_finish (TbSttSession *session)
{
  if (session->ended || session->finishing)
    return;
  session->finishing = TRUE;
  dg_turns_end_turn (&session->turns)->by_close = TRUE;
  send_pending (session);
  arm_answer_timer (session);
}

void
dg_session_free (TbSttSession *session)
{
  if (!session)
    return;
  teardown (session);
  session_unref (session);
}
