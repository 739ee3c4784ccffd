/* dg-session.c — a caller stream on Deepgram's live WebSocket: the
 * caller's turns and what the host hears of them (dg-stream.c has the
 * connection).
 *
 * Audio goes out as binary frames of little-endian 16-bit PCM as soon as
 * it is pushed (queued while the connection is being made). Each end of
 * turn sends {"type":"Finalize"}; the turn's final() is its is_final
 * parts joined, given when the result marked from_finalize comes (or
 * final results cover the turn's audio; or, the service being alive and
 * every word it heard final, a moment later). finish() sends CloseStream
 * and ends with done() once the service has closed the stream.
 *
 * Everything runs on the context the session was made on; every callback
 * comes from one of its sources, and after session_free none does. */
#define G_LOG_DOMAIN "tb-stt-deepgram"

#include "dg-session-private.h"

#define MAX_KEPT_S 60          /* audio of an open turn kept for a reconnection */
#define FINALIZE_GRACE_MS 1000 /* answer to Finalize that may never come */

/* ---- life ---------------------------------------------------------------- */

TbSttSession *
dg_session_ref (TbSttSession *session)
{
  session->refs++;
  return session;
}

void
dg_session_unref (TbSttSession *session)
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

GSource *
dg_session_timer (TbSttSession *session, gint64 ms, GSourceFunc func)
{
  return tb_cloud_source_attach (g_timeout_source_new ((guint) CLAMP (ms, 0, G_MAXUINT)), func,
                                 session, session->context);
}

/* No callback may follow. */
static void
teardown (TbSttSession *session)
{
  session->ended = TRUE;
  dg_stream_close (session);
  tb_cloud_source_clear (&session->answer_timer);
  tb_cloud_source_clear (&session->deliver_idle);
  tb_cloud_source_clear (&session->cancel_source);
}

void
dg_session_fail (TbSttSession *session, const GError *error)
{
  if (session->ended)
    return;
  g_debug ("session ends: %s", error->message);
  teardown (session);
  session->callbacks.error (error, session->user_data);
}

void
dg_session_fail_with (TbSttSession *session, GQuark domain, int code, const char *format, ...)
{
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (domain, code, format, args);
  va_end (args);
  dg_session_fail (session, error);
}

static gboolean
on_cancelled (GCancellable *cancellable, gpointer data)
{
  dg_session_fail_with (data, G_IO_ERROR, G_IO_ERROR_CANCELLED, "provider Deepgram: cancelled");
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
void
dg_session_finish_complete (TbSttSession *session)
{
  dg_session_ref (session);
  while (!session->ended && dg_turns_head (&session->turns) != dg_turns_open (&session->turns))
    deliver_head (session);
  if (!session->ended) {
    teardown (session);
    session->callbacks.done (session->user_data);
  }
  dg_session_unref (session);
}

/* ---- waiting for answers ------------------------------------------------- */

/* What the session waited for did not come: "@what within N ms@after". */
static gboolean
answer_timed_out (TbSttSession *session, const char *what, const char *after)
{
  g_clear_pointer (&session->answer_timer, g_source_unref);
  dg_session_fail_with (session, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_TIMEOUT,
                        "provider Deepgram: %s within %u ms%s", what,
                        session->config->client.first_byte_timeout_ms, after);
  return G_SOURCE_REMOVE;
}

static gboolean
on_close_timeout (gpointer data)
{
  return answer_timed_out (data, "the stream did not end", " of CloseStream");
}

static gboolean
on_answer_timeout (gpointer data)
{
  return answer_timed_out (data, "no answer to Finalize", "");
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
  dg_session_ref (session);
  deliver_head (session);
  if (!session->ended)
    dg_session_deliver_ready (session);
  dg_session_unref (session);
  return G_SOURCE_REMOVE;
}

/* The deadline of what the session waits for on the connection, if
 * anything: the end of the stream after CloseStream, or the answer to the
 * oldest turn's Finalize. */
void
dg_session_arm_answer_timer (TbSttSession *session)
{
  gint64 timeout_us = (gint64) session->config->client.first_byte_timeout_ms * 1000;
  gint64 now = g_get_monotonic_time ();
  DgTurn *head = dg_turns_head (&session->turns);

  tb_cloud_source_clear (&session->answer_timer);
  if (!dg_stream_is_open (session))
    return;
  if (session->close_sent) {
    gint64 since = MAX (session->close_sent_us, session->last_message_us);

    session->answer_timer = dg_session_timer (session, (since + timeout_us - now) / 1000,
                                              on_close_timeout);
  } else if (head && head->end != DG_TURN_OPEN && head->finalize_sent) {
    gint64 since = head->finalize_us - now;
    gboolean alive = session->last_message_us &&
                     session->last_message_us + timeout_us >= head->finalize_us;

    /* Words heard but not final yet: the answer is sure to come. */
    if (alive && !head->unfinalized)
      session->answer_timer = dg_session_timer (session, since / 1000 + FINALIZE_GRACE_MS,
                                                on_finalize_grace);
    else
      session->answer_timer = dg_session_timer (session, (since + timeout_us) / 1000,
                                                on_answer_timeout);
  }
}

/* Gives the final() of every complete turn, oldest first. */
void
dg_session_deliver_ready (TbSttSession *session)
{
  dg_session_ref (session);
  while (!session->ended && dg_turns_head_complete (&session->turns))
    deliver_head (session);
  if (!session->ended)
    dg_session_arm_answer_timer (session);
  dg_session_unref (session);
}

static gboolean
on_deliver_idle (gpointer data)
{
  TbSttSession *session = data;

  g_clear_pointer (&session->deliver_idle, g_source_unref);
  dg_session_deliver_ready (session);
  return G_SOURCE_REMOVE;
}

/* ---- results ------------------------------------------------------------- */

void
dg_session_results (TbSttSession *session, const DgMessage *message)
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
    session->cancel_source = tb_cloud_source_attach (g_cancellable_source_new (cancellable),
                                                     G_SOURCE_FUNC (on_cancelled), session,
                                                     session->context);
  }
  dg_stream_connect (session);
  return session;
}

void
dg_session_push_audio (TbSttSession *session, const gint16 *samples, gsize n_samples)
{
  if (session->ended || session->finishing || n_samples == 0)
    return;
  dg_turns_push (&session->turns, samples, n_samples);
  dg_stream_send_pending (session);
}

void
dg_session_end_of_turn (TbSttSession *session)
{
  if (session->ended || session->finishing)
    return;
  dg_turns_end_turn (&session->turns);
  dg_stream_send_pending (session);
  dg_session_arm_answer_timer (session);
  /* A turn without audio, or covered already, is complete at once: its
   * final() comes from an idle, never from inside this function. */
  if (!session->deliver_idle)
    session->deliver_idle = tb_cloud_source_attach (g_idle_source_new (), on_deliver_idle, session,
                                                    session->context);
}

void
dg_session_finish (TbSttSession *session)
{
  if (session->ended || session->finishing)
    return;
  session->finishing = TRUE;
  dg_turns_end_turn (&session->turns)->by_close = TRUE;
  dg_stream_send_pending (session);
  dg_session_arm_answer_timer (session);
}

void
dg_session_free (TbSttSession *session)
{
  if (!session)
    return;
  teardown (session);
  dg_session_unref (session);
}
