/* oa-session.c — the caller's turns, each one request.
 *
 * Audio is kept until the end of the turn, which sends it as a WAV file;
 * the answer's text is the turn's final() (no partials: the API has
 * none for a file). Requests of consecutive turns may overlap; their
 * finals come in the order of the turns. finish() sends what is left as a
 * last turn and ends with done() once every turn is delivered. A turn
 * whose request fails ends the session with its error (after retries, per
 * cloud-http.h: nothing was given to the host for that turn yet).
 *
 * An answer that is not the JSON expected is asked for again like one
 * that broke off (max-retries): libsoup takes a connection closed between
 * two chunks of a chunked body for the body's end, so a cut answer may
 * end "well" with half of its JSON.
 *
 * A turn outlives the session when its request is still running: the
 * session cancels it, and the request's last callback frees it. */
#define G_LOG_DOMAIN "tb-stt-openai"

#include "oa-session.h"

#include "oa-form.h"

#define MAX_TURN_S 120                 /* a file stays far below OpenAI's 25 MB */
#define MAX_ANSWER_BYTES (256 * 1024)

typedef struct {
  TbSttSession *session;    /* NULL once nobody waits for it */
  GCancellable *abort;
  GBytes *body;             /* the request's form */
  char *content_type;
  guint attempts;           /* requests made for the turn */
  GByteArray *answer;
  gboolean ended;           /* its request's terminal callback ran (or it had none) */
  gboolean complete;        /* its text, or its error, is known */
  char *text;
  GError *error;
  double seconds;
} Turn;

struct _TbSttSession {
  int refs;
  OaConfig *config;
  guint rate;
  char *language;           /* ISO-639-1, or NULL */
  GMainContext *context;
  TbSttCallbacks callbacks;
  gpointer user_data;
  GCancellable *cancellable;
  GSource *cancel_source;
  GArray *audio;            /* gint16: the turn going on */
  GQueue turns;             /* Turn *, oldest first */
  GSource *deliver_idle;
  gboolean finishing;
  gboolean ended;           /* a terminal callback ran, or session_free */
};

static void
turn_free (Turn *turn)
{
  g_clear_object (&turn->abort);
  g_clear_pointer (&turn->body, g_bytes_unref);
  g_free (turn->content_type);
  g_clear_pointer (&turn->answer, g_byte_array_unref);
  g_free (turn->text);
  g_clear_error (&turn->error);
  g_free (turn);
}

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
  g_array_unref (session->audio);
  g_free (session->language);
  g_clear_object (&session->cancellable);
  g_main_context_unref (session->context);
  g_free (session);
}

/* No callback may follow: turns still waiting for their answer are
 * cancelled and left to free themselves. */
static void
teardown (TbSttSession *session)
{
  Turn *turn;

  session->ended = TRUE;
  tb_cloud_source_clear (&session->cancel_source);
  tb_cloud_source_clear (&session->deliver_idle);
  while ((turn = g_queue_pop_head (&session->turns))) {
    if (turn->ended) {
      turn_free (turn);
    } else {
      turn->session = NULL;
      g_cancellable_cancel (turn->abort);
    }
  }
}

static void
fail (TbSttSession *session, const GError *error)
{
  if (session->ended)
    return;
  teardown (session);
  session->callbacks.error (error, session->user_data);
}

/* The finals of the turns whose answers are in, in order; done() after
 * the last one once finishing. */
static void
deliver_ready (TbSttSession *session)
{
  Turn *turn;

  session_ref (session);
  while (!session->ended && (turn = g_queue_peek_head (&session->turns)) && turn->complete) {
    g_queue_pop_head (&session->turns);
    if (turn->error) {
      fail (session, turn->error);
    } else {
      g_debug ("turn of %.2f s: \"%s\"", turn->seconds, turn->text);
      /* The API gives no confidence for a transcript. */
      session->callbacks.final (turn->text, *turn->text ? 1.0 : 0.0, session->user_data);
    }
    turn_free (turn);
  }
  if (!session->ended && session->finishing && g_queue_is_empty (&session->turns)) {
    teardown (session);
    session->callbacks.done (session->user_data);
  }
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

static void
deliver_soon (TbSttSession *session)
{
  if (session->deliver_idle)
    return;
  session->deliver_idle = tb_cloud_source_attach (g_idle_source_new (), on_deliver_idle, session,
                                                  session->context);
}

static gboolean
on_cancelled (GCancellable *cancellable, gpointer data)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                 "provider OpenAI: cancelled");

  fail (data, error);
  return G_SOURCE_REMOVE;
}

/* ---- a turn's request ------------------------------------------------------- */

static void
on_restart (gpointer data)
{
  Turn *turn = data;

  g_byte_array_set_size (turn->answer, 0);
}

static void
on_chunk (TbCloudRequest *request, const guint8 *data, gsize len, gpointer user_data)
{
  Turn *turn = user_data;

  if (turn->answer->len + len > MAX_ANSWER_BYTES) {
    tb_cloud_request_fail (request, g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                                                 "provider OpenAI: the answer is longer than "
                                                 "%u bytes", MAX_ANSWER_BYTES));
    return;
  }
  g_byte_array_append (turn->answer, data, len);
}

/* The request's end: the turn is complete, or freed when the session is
 * gone. */
static gboolean
turn_ended (Turn *turn)
{
  turn->ended = TRUE;
  if (turn->session)
    return TRUE;
  turn_free (turn);
  return FALSE;
}

static void turn_request (Turn *turn);

static void
on_done (gpointer data)
{
  Turn *turn = data;
  g_autoptr(GError) error = NULL;

  if (!turn_ended (turn))
    return;
  turn->text = oa_answer_text (turn->answer->data, turn->answer->len, &error);
  if (!turn->text && turn->attempts <= turn->session->config->client.max_retries) {
    g_debug ("%s; asking again", error->message);
    turn_request (turn);
    return;
  }
  turn->error = g_steal_pointer (&error);
  turn->complete = TRUE;
  deliver_ready (turn->session);
}

static void
on_error (const GError *error, gpointer data)
{
  Turn *turn = data;

  if (!turn_ended (turn))
    return;
  turn->error = g_error_copy (error);
  turn->complete = TRUE;
  deliver_ready (turn->session);
}

static const TbCloudRequestCallbacks request_callbacks = {
  .restart = on_restart,
  .chunk = on_chunk,
  .done = on_done,
  .error = on_error,
};

static void
turn_request (Turn *turn)
{
  turn->attempts++;
  turn->ended = FALSE;
  g_byte_array_set_size (turn->answer, 0);
  tb_cloud_request_start (&turn->session->config->client, "POST", "/audio/transcriptions",
                          turn->content_type, turn->body, "application/json",
                          &request_callbacks, turn, turn->abort);
}

/* Ends the turn going on: its audio goes out in a request, or, without
 * audio, its final is "" at once. */
static void
turn_start (TbSttSession *session)
{
  Turn *turn = g_new0 (Turn, 1);

  turn->session = session;
  turn->seconds = (double) session->audio->len / session->rate;
  g_queue_push_tail (&session->turns, turn);
  if (session->audio->len == 0) {
    turn->text = g_strdup ("");
    turn->ended = turn->complete = TRUE;
    deliver_soon (session);
    return;
  }
  {
    g_autoptr(GBytes) wav = oa_wav_new ((const gint16 *) session->audio->data,
                                        session->audio->len, session->rate);

    turn->body = oa_form_new (wav, session->config->model, session->language,
                              session->config->prompt, &turn->content_type);
  }
  turn->abort = g_cancellable_new ();
  turn->answer = g_byte_array_new ();
  turn_request (turn);
  g_array_set_size (session->audio, 0);
}

/* ---- the vtable ------------------------------------------------------------- */

TbSttSession *
oa_session_new (OaConfig *config, const TbSttParams *params, const TbSttCallbacks *callbacks,
                gpointer user_data, GCancellable *cancellable, GError **error)
{
  TbSttSession *session;
  const char *language = config->language && *config->language ? config->language
                                                                : params->language;

  if (params->sample_rate < 8000 || params->sample_rate > 48000) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "provider OpenAI: cannot take %u Hz audio (8000 to 48000 Hz)",
                 params->sample_rate);
    return NULL;
  }
  session = g_new0 (TbSttSession, 1);
  session->refs = 1;
  session->config = config;
  session->rate = params->sample_rate;
  session->language = oa_language_code (language);
  session->context = g_main_context_ref_thread_default ();
  session->callbacks = *callbacks;
  session->user_data = user_data;
  session->audio = g_array_new (FALSE, FALSE, sizeof (gint16));
  g_queue_init (&session->turns);
  if (cancellable) {
    session->cancellable = g_object_ref (cancellable);
    session->cancel_source = tb_cloud_source_attach (g_cancellable_source_new (cancellable),
                                                     G_SOURCE_FUNC (on_cancelled), session,
                                                     session->context);
  }
  return session;
}

void
oa_session_push_audio (TbSttSession *session, const gint16 *samples, gsize n_samples)
{
  gsize max = (gsize) session->rate * MAX_TURN_S;

  if (session->ended || session->finishing || n_samples == 0)
    return;
  g_array_append_vals (session->audio, samples, n_samples);
  /* A turn that never ends keeps its last MAX_TURN_S. */
  if (session->audio->len > max)
    g_array_remove_range (session->audio, 0, session->audio->len - max);
}

void
oa_session_end_of_turn (TbSttSession *session)
{
  if (session->ended || session->finishing)
    return;
  turn_start (session);
}

void
oa_session_finish (TbSttSession *session)
{
  if (session->ended || session->finishing)
    return;
  session->finishing = TRUE;
  turn_start (session);
  deliver_soon (session);
}

void
oa_session_free (TbSttSession *session)
{
  if (!session)
    return;
  teardown (session);
  session_unref (session);
}
