/* ps-session.c — a session's decoding thread and the way its results get
 * back. The caller's thread queues commands (audio, end of turn, finish);
 * the thread decodes them in order and queues events, which one idle
 * source on the caller's context delivers. Only the caller's thread calls
 * back, so session_free() there makes sure nothing follows it. */
#define G_LOG_DOMAIN "tb-stt-pocketsphinx"

#include "ps-session.h"

#include "ps-upsample.h"

#include <string.h>

typedef enum { COMMAND_AUDIO, COMMAND_END_OF_TURN, COMMAND_FINISH, COMMAND_STOP } CommandType;
typedef enum { EVENT_PARTIAL, EVENT_FINAL, EVENT_DONE, EVENT_ERROR } EventType;

typedef struct {
  CommandType type;
  gsize n_samples;
  gint16 samples[];
} Command;

typedef struct {
  EventType type;
  char *text;
  double confidence;
  GError *error;
} Event;

struct _TbSttSession {
  gatomicrefcount refs;
  TbPsEngine *engine;
  TbPsGrammar *grammar;
  guint sample_rate;
  guint line_rate;           /* the host's word on the line, 0: measure */
  gint64 partial_interval_us;
  GAsyncQueue *commands;     /* Command *, to the thread */
  gint stop;                 /* atomic: the thread drops what is left */

  /* The caller's thread only. */
  GMainContext *context;
  TbSttCallbacks callbacks;
  gpointer user_data;
  GCancellable *cancellable;
  GSource *cancel_source;
  gboolean finishing;        /* finish() was called */
  gboolean ended;            /* the terminal callback ran, or free() */

  /* Events, from the thread to the caller's context. */
  GMutex lock;
  GQueue events;             /* Event * */
  GSource *dispatch_source;  /* pending delivery, or NULL */
  gboolean closed;           /* nobody listens any more */
};

static void
event_free (Event *event)
{
  g_free (event->text);
  g_clear_error (&event->error);
  g_free (event);
}

static TbSttSession *
session_ref (TbSttSession *session)
{
  g_atomic_ref_count_inc (&session->refs);
  return session;
}

static void
session_unref (gpointer data)
{
  TbSttSession *session = data;

  if (!g_atomic_ref_count_dec (&session->refs))
    return;
  g_async_queue_unref (session->commands);
  g_queue_clear_full (&session->events, (GDestroyNotify) event_free);
  g_mutex_clear (&session->lock);
  tb_ps_grammar_free (session->grammar);
  g_clear_object (&session->cancellable);
  g_main_context_unref (session->context);
  g_free (session);
}

/* ---- the caller's thread ---------------------------------------------- */

/* No more callbacks; the thread stops at its next command. */
static void
session_close (TbSttSession *session)
{
  GSource *pending;
  Command *stop = g_new0 (Command, 1);

  session->ended = TRUE;
  g_atomic_int_set (&session->stop, 1);
  stop->type = COMMAND_STOP;
  g_async_queue_push_front (session->commands, stop);

  g_mutex_lock (&session->lock);
  session->closed = TRUE;
  pending = g_steal_pointer (&session->dispatch_source);
  g_mutex_unlock (&session->lock);
  if (pending) {
    g_source_destroy (pending);
    g_source_unref (pending);
  }
  if (session->cancel_source) {
    g_source_destroy (session->cancel_source);
    g_clear_pointer (&session->cancel_source, g_source_unref);
  }
}

static void
deliver_cancelled (TbSttSession *session)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                 "speech recognition cancelled");
  TbSttCallbacks callbacks = session->callbacks;
  gpointer user_data = session->user_data;

  session_close (session);
  callbacks.error (error, user_data);
}

static gboolean
on_cancelled (GCancellable *cancellable, gpointer data)
{
  TbSttSession *session = data;

  if (!session->ended)
    deliver_cancelled (session);
  return G_SOURCE_REMOVE;
}

/* Calls back for one event; FALSE once the session has ended. */
static gboolean
deliver (TbSttSession *session, const Event *event)
{
  TbSttCallbacks callbacks = session->callbacks;
  gpointer user_data = session->user_data;

  if (session->ended)
    return FALSE;
  if (g_cancellable_is_cancelled (session->cancellable)) {
    deliver_cancelled (session);
    return FALSE;
  }
  switch (event->type) {
  case EVENT_PARTIAL:
    if (callbacks.partial)
      callbacks.partial (event->text, user_data);
    break;
  case EVENT_FINAL:
    callbacks.final (event->text, event->confidence, user_data);
    break;
  case EVENT_DONE:
    session_close (session);
    callbacks.done (user_data);
    return FALSE;
  case EVENT_ERROR:
    session_close (session);
    callbacks.error (event->error, user_data);
    return FALSE;
  }
  /* A callback may have freed the session (it holds our reference). */
  return !session->ended;
}

static gboolean
dispatch_events (gpointer data)
{
  TbSttSession *session = data;
  GQueue events = G_QUEUE_INIT;
  GSource *source;
  Event *event;
  gboolean going = TRUE;

  g_mutex_lock (&session->lock);
  events = session->events;
  g_queue_init (&session->events);
  source = g_steal_pointer (&session->dispatch_source);
  g_mutex_unlock (&session->lock);
  if (source)
    g_source_unref (source);

  while ((event = g_queue_pop_head (&events))) {
    if (going)
      going = deliver (session, event);
    event_free (event);
  }
  return G_SOURCE_REMOVE;
}

/* ---- the decoding thread ---------------------------------------------- */

static void
post (TbSttSession *session, EventType type, const char *text, double confidence,
      const GError *error)
{
  Event *event = g_new0 (Event, 1);

  event->type = type;
  event->text = g_strdup (text ? text : "");
  event->confidence = confidence;
  event->error = error ? g_error_copy (error) : NULL;

  g_mutex_lock (&session->lock);
  if (session->closed) {
    g_mutex_unlock (&session->lock);
    event_free (event);
    return;
  }
  g_queue_push_tail (&session->events, event);
  if (!session->dispatch_source) {
    session->dispatch_source = g_idle_source_new ();
    g_source_set_priority (session->dispatch_source, G_PRIORITY_DEFAULT);
    g_source_set_callback (session->dispatch_source, dispatch_events,
                           session_ref (session), session_unref);
    g_source_attach (session->dispatch_source, session->context);
  }
  g_mutex_unlock (&session->lock);
}

/* 16 kHz audio may be wideband speech or phone audio resampled; which one
 * it is decides the cepstral means to start from. Measured on espeak-ng and
 * flite speech: the share of energy above 4 kHz stays under 2.1e-6 for
 * phone audio resampled (sox, GStreamer) and over 7.6e-5 for wideband. */
#define NARROWBAND_SHARE 1e-5
#define LOUD_RMS 200          /* a 20 ms frame with something in it */
#define LOUD_FRAMES_NEEDED 15 /* 300 ms of them decide */
#define MAX_HELD_SAMPLES (3 * 16000)

typedef struct {
  ps_decoder_t *decoder;
  TbPsUpsampler *upsampler;  /* 8 kHz sessions */
  TbPsLowpass *lowpass;      /* 16 kHz sessions of phone audio */
  gint16 *wide;              /* upsampled audio */
  gsize wide_size;
  gboolean started;          /* CMN set, an utterance open */
  gboolean in_utterance;
  GArray *held;              /* gint16: 16 kHz audio before the decision */
  gsize measured;            /* samples of it looked at, in 20 ms frames */
  guint loud_frames;
  gint64 last_partial_us;
  char *last_partial;
  guint n_utterances;
  gint64 n_samples;          /* of this utterance, at the session's rate */
} Decoding;

static void
start_utterance (Decoding *d)
{
  ps_start_utt (d->decoder);
  d->in_utterance = TRUE;
  d->last_partial_us = g_get_monotonic_time ();
  g_clear_pointer (&d->last_partial, g_free);
  d->n_samples = 0;
}

/* Decodes @n samples at the session's rate; a partial when it is time. */
static void
feed (TbSttSession *session, Decoding *d, const gint16 *samples, gsize n)
{
  const char *hyp;
  gint64 now;

  d->n_samples += n;
  if (d->upsampler) {
    if (d->wide_size < 2 * n) {
      d->wide_size = 2 * n;
      d->wide = g_renew (gint16, d->wide, d->wide_size);
    }
    tb_ps_upsampler_process (d->upsampler, samples, n, d->wide);
    samples = d->wide;
    n *= 2;
  } else if (d->lowpass) {
    if (d->wide_size < n) {
      d->wide_size = n;
      d->wide = g_renew (gint16, d->wide, d->wide_size);
    }
    tb_ps_lowpass_process (d->lowpass, samples, n, d->wide);
    samples = d->wide;
  }
  ps_process_raw (d->decoder, samples, n, FALSE, FALSE);

  now = g_get_monotonic_time ();
  if (now - d->last_partial_us < session->partial_interval_us)
    return;
  d->last_partial_us = now;
  hyp = ps_get_hyp (d->decoder, NULL);
  if (hyp && *hyp && g_strcmp0 (hyp, d->last_partial) != 0) {
    g_free (d->last_partial);
    d->last_partial = g_strdup (hyp);
    post (session, EVENT_PARTIAL, hyp, 0, NULL);
  }
}

static void
start_decoding (TbSttSession *session, Decoding *d, gboolean narrowband)
{
  tb_ps_engine_reset_decoder (session->engine, d->decoder, narrowband);
  d->started = TRUE;
  start_utterance (d);
  if (d->held) {
    feed (session, d, (const gint16 *) d->held->data, d->held->len);
    g_clear_pointer (&d->held, g_array_unref);
  }
}

/* 16 kHz audio with the bandwidth to measure: held until there is enough
 * sound to tell, or until the turn ends. */
static void
decide_bandwidth (TbSttSession *session, Decoding *d, gboolean turn_ended)
{
  double share;

  if (d->loud_frames < LOUD_FRAMES_NEEDED && d->held->len < MAX_HELD_SAMPLES && !turn_ended)
    return;
  share = tb_ps_high_band_share ((const gint16 *) d->held->data, d->held->len);
  g_debug ("16 kHz audio with %.2g of its energy above 4 kHz (%u loud frames): %s", share,
           d->loud_frames, share < NARROWBAND_SHARE ? "phone band" : "wideband");
  start_decoding (session, d, d->loud_frames == 0 || share < NARROWBAND_SHARE);
}

static void
hold (TbSttSession *session, Decoding *d, const gint16 *samples, gsize n)
{
  const gint16 *held;

  g_array_append_vals (d->held, samples, n);
  held = (const gint16 *) d->held->data;
  for (; d->measured + 320 <= d->held->len; d->measured += 320) {
    double energy = 0;

    for (gsize k = d->measured; k < d->measured + 320; k++)
      energy += (double) held[k] * held[k];
    if (energy / 320 >= LOUD_RMS * LOUD_RMS)
      d->loud_frames++;
  }
  decide_bandwidth (session, d, FALSE);
}

static void
end_utterance (TbSttSession *session, Decoding *d)
{
  gint64 started = g_get_monotonic_time ();
  const char *hyp;
  double confidence = 0;

  if (!d->started)
    decide_bandwidth (session, d, TRUE);
  ps_end_utt (d->decoder);
  d->in_utterance = FALSE;
  hyp = ps_get_hyp (d->decoder, NULL);
  if (hyp && *hyp)
    confidence = logmath_exp (ps_get_logmath (d->decoder), ps_get_prob (d->decoder));
  d->n_utterances++;
  g_debug ("utterance %u (%.2f s): '%s' (confidence %.2f), %.1f ms after its end",
           d->n_utterances, (double) d->n_samples / session->sample_rate, hyp ? hyp : "",
           confidence, (g_get_monotonic_time () - started) / 1000.0);
  post (session, EVENT_FINAL, hyp, CLAMP (confidence, 0.0, 1.0), NULL);
}

static gboolean
decoding_begin (TbSttSession *session, Decoding *d, GError **error)
{
  TbPsBandwidth bandwidth = tb_ps_engine_get_bandwidth (session->engine);

  d->decoder = tb_ps_engine_take_decoder (session->engine, session->grammar, error);
  if (!d->decoder)
    return FALSE;
  if (session->sample_rate == 8000) {
    d->upsampler = tb_ps_upsampler_new ();
    start_decoding (session, d, TRUE);
  } else if (bandwidth != TB_PS_BANDWIDTH_AUTO) {
    start_decoding (session, d, bandwidth == TB_PS_BANDWIDTH_NARROW);
  } else if (session->line_rate) {
    /* The host knows the codec: G.711 is phone audio however resampled
     * (a resampler's images can look like wideband energy: they are
     * filtered out). */
    if (session->line_rate <= 8000)
      d->lowpass = tb_ps_lowpass_new ();
    start_decoding (session, d, session->line_rate <= 8000);
  } else {
    d->held = g_array_new (FALSE, FALSE, sizeof (gint16));
  }
  return TRUE;
}

static void
decoding_end (TbSttSession *session, Decoding *d)
{
  if (d->decoder) {
    g_autofree char *cmn = NULL;

    if (d->in_utterance)
      ps_end_utt (d->decoder);
    cmn = tb_ps_decoder_describe_cmn (d->decoder);
    g_debug ("session ends after %u utterances; its CMN estimate: %s", d->n_utterances, cmn);
    tb_ps_engine_return_decoder (session->engine, d->decoder, session->grammar != NULL);
  }
  g_free (d->last_partial);
  g_free (d->wide);
  g_clear_pointer (&d->held, g_array_unref);
  g_clear_pointer (&d->upsampler, tb_ps_upsampler_free);
  g_clear_pointer (&d->lowpass, tb_ps_lowpass_free);
}

static gpointer
session_thread (gpointer data)
{
  TbSttSession *session = data;
  g_autoptr(GError) error = NULL;
  Decoding d = { 0 };
  gboolean running = decoding_begin (session, &d, &error);

  if (!running)
    post (session, EVENT_ERROR, NULL, 0, error);
  while (running && !g_atomic_int_get (&session->stop)) {
    Command *command = g_async_queue_pop (session->commands);

    switch (command->type) {
    case COMMAND_AUDIO:
      if (d.started)
        feed (session, &d, command->samples, command->n_samples);
      else
        hold (session, &d, command->samples, command->n_samples);
      break;
    case COMMAND_END_OF_TURN:
      end_utterance (session, &d);
      start_utterance (&d);
      break;
    case COMMAND_FINISH:
      end_utterance (session, &d);
      post (session, EVENT_DONE, NULL, 0, NULL);
      running = FALSE;
      break;
    case COMMAND_STOP:
      running = FALSE;
      break;
    }
    g_free (command);
  }
  decoding_end (session, &d);
  tb_ps_engine_thread_ended (session->engine);
  session_unref (session);
  return NULL;
}

/* ---- the vtable ------------------------------------------------------- */

TbSttSession *
tb_ps_session_new (TbPsEngine *engine, TbPsGrammar *grammar, guint sample_rate,
                   guint line_rate, gint64 partial_interval_us, const TbSttCallbacks *callbacks,
                   gpointer user_data, GCancellable *cancellable)
{
  TbSttSession *session = g_new0 (TbSttSession, 1);

  g_atomic_ref_count_init (&session->refs);
  session->engine = engine;
  session->grammar = grammar;
  session->sample_rate = sample_rate;
  session->line_rate = line_rate;
  session->partial_interval_us = partial_interval_us;
  session->commands = g_async_queue_new_full (g_free);
  session->context = g_main_context_ref_thread_default ();
  session->callbacks = *callbacks;
  session->user_data = user_data;
  session->cancellable = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
  g_mutex_init (&session->lock);

  session->cancel_source = g_cancellable_source_new (session->cancellable);
  g_source_set_callback (session->cancel_source, G_SOURCE_FUNC (on_cancelled),
                         session_ref (session), session_unref);
  g_source_attach (session->cancel_source, session->context);

  tb_ps_engine_thread_started (engine);
  g_thread_unref (g_thread_new ("tb-pocketsphinx", session_thread, session_ref (session)));
  return session;
}

static void
push_command (TbSttSession *session, CommandType type, const gint16 *samples, gsize n_samples)
{
  Command *command = g_malloc (sizeof (Command) + n_samples * sizeof (gint16));

  command->type = type;
  command->n_samples = n_samples;
  if (n_samples)
    memcpy (command->samples, samples, n_samples * sizeof (gint16));
  g_async_queue_push (session->commands, command);
}

void
tb_ps_session_push_audio (TbSttSession *session, const gint16 *samples, gsize n_samples)
{
  if (!session->ended && !session->finishing && n_samples > 0)
    push_command (session, COMMAND_AUDIO, samples, n_samples);
}

void
tb_ps_session_end_of_turn (TbSttSession *session)
{
  if (!session->ended && !session->finishing)
    push_command (session, COMMAND_END_OF_TURN, NULL, 0);
}

void
tb_ps_session_finish (TbSttSession *session)
{
  if (session->ended || session->finishing)
    return;
  session->finishing = TRUE;
  push_command (session, COMMAND_FINISH, NULL, 0);
}

void
tb_ps_session_free (TbSttSession *session)
{
  if (!session)
    return;
  session_close (session);
  session_unref (session);
}
