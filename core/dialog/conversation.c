/* conversation.c — the agent on one call: providers, listening (VAD,
 * STT, end of turn, barge-in), turns, call events and the actions tools ask
 * for. Thinking and speaking are in reply.c, tools in tools-run.c. Worker
 * thread. */
#define G_LOG_DOMAIN "tb-dialog"

#include "conversation-private.h"

#include "chain.h"
#include "metrics.h"

#include <string.h>

#define FRAME_MS 20
/* Audio kept from before speech is detected, so its start is not lost. */
#define PREROLL_MS 300
/* Giving up on a broken recogniser after this many restarts. */
#define STT_MAX_RESTARTS 3

/* ---- requests in flight ------------------------------------------------ */

TbDialogOp *
tb_dialog_op_new (TbConversation *c, GCancellable *cancellable, gpointer data)
{
  TbDialogOp *op = g_new0 (TbDialogOp, 1);

  op->c = c;
  op->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  op->data = data;
  g_ptr_array_add (c->ops, op);
  return op;
}

TbConversation *
tb_dialog_op_live (TbDialogOp *op)
{
  if (!op->c || (op->cancellable && g_cancellable_is_cancelled (op->cancellable)))
    return NULL;
  return op->c;
}

void
tb_dialog_op_detach (TbDialogOp *op)
{
  if (op->c)
    g_ptr_array_remove_fast (op->c->ops, op);
  op->c = NULL;
}

static gboolean
timer_dispatch (GSource *source, GSourceFunc func, gpointer data)
{
  return func (data);
}

static GSourceFuncs timer_funcs = { .dispatch = timer_dispatch };

GSource *
tb_dialog_watchdog_us (gint64 us, GSourceFunc func, gpointer data)
{
  GSource *source = g_source_new (&timer_funcs, sizeof (GSource));

  g_source_set_ready_time (source, g_get_monotonic_time () + us);
  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

GSource *
tb_dialog_watchdog (guint ms, GSourceFunc func, gpointer data)
{
  return tb_dialog_watchdog_us ((gint64) ms * 1000, func, data);
}

void
tb_dialog_watchdog_clear (GSource **source)
{
  if (*source) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

void
tb_dialog_op_end (TbDialogOp *op)
{
  if (op->c)
    g_ptr_array_remove_fast (op->c->ops, op);
  g_clear_object (&op->cancellable);
  g_free (op);
}

/* ---- providers --------------------------------------------------------- */

gboolean
tb_conversation_wanted (const TbAgentConfig *agent)
{
  return agent->llm && agent->llm[0] && agent->tts && agent->tts[0];
}

static void
open_tools (TbConversation *c)
{
  for (guint i = 0; c->agent->tools && c->agent->tools[i]; i++) {
    TbDialogProvider provider = { 0 };
    g_autoptr(GError) error = NULL;
    const TbToolFunction *functions;

    if (!tb_dialog_provider_open (c, TB_PLUGIN_KIND_TOOL, c->agent->tools[i], &provider,
                                  &error)) {
      g_warning ("call %s: tool %s left out: %s", c->id, c->agent->tools[i],
                 error->message);
      continue;
    }
    functions = ((const TbToolVTable *) provider.vtable)->functions (provider.instance);
    for (guint f = 0; functions && functions[f].name; f++) {
      TbDialogTool *tool = g_new0 (TbDialogTool, 1);

      tool->provider = provider;
      tool->function = &functions[f];
      g_ptr_array_add (c->tools, tool);
    }
  }
}

/* ---- listening ----------------------------------------------------------- */

static void stt_start (TbConversation *c);

static void
on_stt_partial (const char *text, gpointer user_data)
{
  TbConversation *c = user_data;

  g_free (c->partial);
  c->partial = g_strdup (text);
}

static void caller_said (TbConversation *c, const char *text, gint64 start, gint64 end);

static void
on_stt_final (const char *text, double confidence, gpointer user_data)
{
  TbConversation *c = user_data;
  g_autofree char *clean = g_strstrip (g_strdup (text ? text : ""));

  tb_dialog_watchdog_clear (&c->stt_watchdog);
  tb_dialog_chain_success (&c->stt_chain, c->stt);
  c->awaiting_final = FALSE;
  if (!c->capturing)
    g_array_set_size (c->utterance, 0);
  g_clear_pointer (&c->partial, g_free);
  g_message ("call %s: caller said \"%s\" (confidence %.2f)", c->id, clean,
             confidence);
  if (*clean)
    caller_said (c, clean, c->vad_speech_start_us, c->vad_speech_end_us);
}

static void
on_stt_done (gpointer user_data)
{
}

static const TbSttCallbacks stt_callbacks;
static gboolean on_stt_late (gpointer data);

/* A session of @provider; FALSE (said) when it cannot start. */
static gboolean
stt_open (TbConversation *c, const TbDialogProvider *provider, GError **error)
{
  const TbSttVTable *stt = provider->vtable;
  TbSttParams params = {
    .sample_rate = c->rate, .language = c->agent->language, .phrases = c->phrases,
    .line_rate = c->peer->line_rate ? c->peer->line_rate (c->peer_data) : 0,
  };

  c->stt = provider;
  c->stt_session = stt->session_new (provider->instance, &params, &stt_callbacks, c, NULL,
                                     error);
  return c->stt_session != NULL;
}

static void
stt_close (TbConversation *c)
{
  if (c->stt_session)
    ((const TbSttVTable *) c->stt->vtable)->session_free (c->stt_session);
  c->stt_session = NULL;
}

static void
stt_start (TbConversation *c)
{
  g_autoptr(GError) error = NULL;

  if (!c->have_stt)
    return;
  if (!stt_open (c, tb_dialog_chain_first (c, &c->stt_chain), &error))
    g_warning ("call %s: no speech recognition: %s", c->id, error->message);
}

/* The STT provider hearing the caller failed (@why): the next one of the
 * chain, when there is one, gets a session and the speech in progress (and
 * the end of the turn, when it had come), so the turn is not lost. FALSE
 * when there is none that starts. */
static gboolean
stt_fall_back (TbConversation *c, const char *why)
{
  const TbDialogProvider *next = c->stt;
  g_autofree char *reason = g_strdup (why);

  stt_close (c);
  while ((next = tb_dialog_chain_fallback (c, &c->stt_chain, next, reason))) {
    g_autoptr(GError) error = NULL;
    const TbSttVTable *stt = next->vtable;

    if (!stt_open (c, next, &error)) {
      g_free (reason);
      reason = g_strdup (error->message);
      continue;
    }
    if (c->capturing || c->awaiting_final)
      stt->push_audio (c->stt_session, (const gint16 *) c->utterance->data, c->utterance->len);
    if (c->awaiting_final) {
      tb_dialog_watchdog_clear (&c->stt_watchdog);
      c->stt_watchdog = tb_dialog_watchdog (TB_DIALOG_STT_TIMEOUT_MS, on_stt_late, c);
      stt->end_of_turn (c->stt_session);
    }
    return TRUE;
  }
  return FALSE;
}

static void
on_stt_error (const GError *error, gpointer user_data)
{
  TbConversation *c = user_data;

  g_warning ("call %s: speech recognition (%s) failed: %s", c->id,
             c->stt->config->name, error->message);
  if (stt_fall_back (c, error->message))
    return;
  /* The session is over; the call goes on with a new one. */
  c->capturing = FALSE;
  if (c->awaiting_final) {
    c->awaiting_final = FALSE;
    tb_dialog_say (c, TB_DIALOG_SORRY_STT, FALSE);
  }
  if (c->stt_restarts++ < STT_MAX_RESTARTS)
    stt_start (c);
}

/* No transcript in time: the next provider of the chain hears the turn
 * again; without one, start over with a new session, and say so. */
static gboolean
on_stt_late (gpointer data)
{
  TbConversation *c = data;
  g_autofree char *why = g_strdup_printf ("no transcript in %u ms", TB_DIALOG_STT_TIMEOUT_MS);

  g_clear_pointer (&c->stt_watchdog, g_source_unref);
  g_warning ("call %s: speech recognition (%s) gave %s", c->id, c->stt->config->name, why);
  if (stt_fall_back (c, why))
    return G_SOURCE_REMOVE;
  c->awaiting_final = FALSE;
  if (!tb_dialog_reply_active (c)) {
    g_clear_object (&c->reply);
    c->reply = g_cancellable_new ();
    tb_dialog_say (c, TB_DIALOG_SORRY_STT, FALSE);
  }
  stt_start (c);
  return G_SOURCE_REMOVE;
}

static const TbSttCallbacks stt_callbacks = {
  on_stt_partial, on_stt_final, on_stt_done, on_stt_error,
};

/* Speech more than this is not kept for a provider taking over. */
#define UTTERANCE_MAX_S 60

static void
stt_push (TbConversation *c, const gint16 *samples, gsize n)
{
  if (c->stt_chain.n > 1 && c->utterance->len < c->rate * UTTERANCE_MAX_S)
    g_array_append_vals (c->utterance, samples, n);
  if (c->stt_session)
    ((const TbSttVTable *) c->stt->vtable)->push_audio (c->stt_session, samples, n);
}

/* Silence that ends the caller's turn: longer while they seem mid-sentence. */
static guint
endpoint_ms (TbConversation *c)
{
  return tb_vad_endpoint_ms (c->agent->endpointing_ms, c->partial);
}

static void
barge_in (TbConversation *c)
{
  gint64 now = tb_dialog_now (c);
  guint64 unplayed = tb_dialog_unplayed (c);

  if (c->turn) {
    c->turn->barge_in_speech_us = c->vad_speech_start_us;
    c->turn->barge_in_stop_us = now;
  }
  g_message ("call %s: barge-in: the caller spoke for %u ms; %" G_GUINT64_FORMAT
             " ms of the reply not played", c->id,
             c->vad.speech_frames * FRAME_MS, unplayed * 1000 / c->rate);
  tb_dialog_reply_cancel (c, TRUE);
}

/* The caller's turn is over: @speech_end_us, when they went silent; @now,
 * when their silence reached the endpoint. */
static void
end_of_speech (TbConversation *c, gint64 speech_end_us, gint64 now)
{
  tb_dialog_watchdog_clear (&c->endpoint_timer);
  tb_vad_end (&c->vad);
  c->vad_speech_end_us = speech_end_us;
  c->vad_turn_end_us = now;
  c->capturing = FALSE;
  if (c->stt_session) {
    c->awaiting_final = TRUE;
    tb_dialog_watchdog_clear (&c->stt_watchdog);
    c->stt_watchdog = tb_dialog_watchdog (TB_DIALOG_STT_TIMEOUT_MS, on_stt_late, c);
    ((const TbSttVTable *) c->stt->vtable)->end_of_turn (c->stt_session);
  }
}

static gboolean
on_endpoint (gpointer user_data)
{
  TbConversation *c = user_data;
  gint64 now = tb_dialog_now (c);

  g_clear_pointer (&c->endpoint_timer, g_source_unref);
  /* A transcript that came since may have made the endpoint longer: then
   * the next frame decides. The main loop wakes to the millisecond. */
  if (c->endpoint_silent_since_us + (gint64) endpoint_ms (c) * 1000 <= now + 1000)
    end_of_speech (c, c->endpoint_silent_since_us, now);
  return G_SOURCE_REMOVE;
}

/* The frames come 20 ms at a time: the end of the caller's turn, when
 * their silence reaches the endpoint, is declared at that moment, on a
 * timer, when it falls before the next frame, and at once when a frame
 * shows it passed. @heard_us: when the end of the frame was on the line. */
static void
watch_endpoint (TbConversation *c, gint64 heard_us, gint64 now)
{
  guint endpoint;
  gint64 due;

  tb_dialog_watchdog_clear (&c->endpoint_timer);
  /* Only in speech that went silent (the endpoint reads the transcript). */
  if (!c->vad.in_speech || tb_vad_silence_ms (&c->vad) == 0)
    return;
  endpoint = endpoint_ms (c);
  due = tb_vad_end_due_us (&c->vad, heard_us, endpoint);
  if (due <= now)
    end_of_speech (c, due - (gint64) endpoint * 1000, now);
  else if (due - now < FRAME_MS * 1000) {
    c->endpoint_silent_since_us = due - (gint64) endpoint * 1000;
    c->endpoint_timer = tb_dialog_watchdog_us (due - now, on_endpoint, c);
  }
}

void
tb_conversation_frame (TbConversation *c, const gint16 *samples, gsize n)
{
  TbVadEvent event = tb_vad_push (&c->vad, samples, n);
  gint64 now = tb_dialog_now (c);
  gint64 heard = now - (c->peer->receive_lag_us ? c->peer->receive_lag_us (c->peer_data) : 0);

  if (event == TB_VAD_SPEECH_START) {
    c->vad_speech_start_us = heard - (gint64) c->vad.loud_run * FRAME_MS * 1000;
    c->capturing = TRUE;
    c->barged = FALSE;
    g_array_set_size (c->utterance, 0);
    stt_push (c, (const gint16 *) c->preroll->data, c->preroll->len);
    g_array_set_size (c->preroll, 0);
  }
  if (c->capturing && event != TB_VAD_SPEECH_START)
    stt_push (c, samples, n);
  if (!c->capturing) {
    gsize keep = c->rate * PREROLL_MS / 1000;

    g_array_append_vals (c->preroll, samples, n);
    if (c->preroll->len > keep)
      g_array_remove_range (c->preroll, 0, c->preroll->len - keep);
  }

  /* Barge-in: the caller talks over a reply long enough. */
  if (c->vad.in_speech && !c->barged && c->agent->interruptible &&
      c->vad.speech_frames * FRAME_MS >= c->agent->barge_in_min_ms &&
      tb_dialog_reply_active (c)) {
    c->barged = TRUE;
    barge_in (c);
  }

  watch_endpoint (c, heard, now);
}

/* ---- turns --------------------------------------------------------------- */

static void
begin_turn (TbConversation *c, const char *text, gint64 start, gint64 end)
{
  TbDialogTurn *turn = tb_dialog_turn_new (c, FALSE);

  turn->caller_text = g_strdup (text);
  turn->speech_start_us = start;
  turn->speech_end_us = end;
  turn->stt_final_us = start ? tb_dialog_now (c) : 0;
  turn->end_of_turn_us = start && end > start ? c->vad_turn_end_us : 0;  /* not for keys */
  c->turn = turn;
  tb_dialog_add_message (c, TB_LLM_ROLE_USER, text, NULL, NULL);
  tb_dialog_reply_start (c);
}

/* The caller said @text: answered now, or after the reply being spoken
 * when it did not interrupt it. */
static void
caller_said (TbConversation *c, const char *text, gint64 start, gint64 end)
{
  if (tb_dialog_reply_active (c) && !c->barged) {
    if (c->pending_caller->len)
      g_string_append_c (c->pending_caller, ' ');
    g_string_append (c->pending_caller, text);
    c->pending_start_us = c->pending_start_us ? c->pending_start_us : start;
    c->pending_end_us = end;
    return;
  }
  begin_turn (c, text, start, end);
}

void
tb_dialog_reply_finished (TbConversation *c)
{
  if (c->pending_caller->len) {
    g_autofree char *text = g_strdup (c->pending_caller->str);

    g_string_truncate (c->pending_caller, 0);
    begin_turn (c, text, c->pending_start_us, c->pending_end_us);
    c->pending_start_us = c->pending_end_us = 0;
    return;
  }
  if (c->action && tb_dialog_unplayed (c) == 0) {
    g_autofree char *action = g_steal_pointer (&c->action);
    g_autofree char *argument = g_steal_pointer (&c->action_argument);
    g_autoptr(GError) error = NULL;

    g_message ("call %s: doing what the tool asked: %s%s%s", c->id, action,
               argument ? " " : "", argument ? argument : "");
    if (g_str_equal (action, "hangup"))
      c->peer->hangup (c->peer_data, "agent-hangup");
    else if (g_str_equal (action, "transfer") && argument)
      c->peer->transfer (c->peer_data, argument);
    else if (g_str_equal (action, "dtmf") && argument &&
             !c->peer->send_dtmf (c->peer_data, argument, &error))
      g_warning ("call %s: DTMF not sent: %s", c->id, error->message);
  }
}

void
tb_dialog_set_action (TbConversation *c, const char *action, const char *argument)
{
  g_free (c->action);
  g_free (c->action_argument);
  c->action = g_strdup (action);
  c->action_argument = g_strdup (argument);
}

void
tb_conversation_drained (TbConversation *c)
{
  if (!tb_dialog_reply_active (c))
    tb_dialog_reply_finished (c);
}

void
tb_conversation_event (TbConversation *c, const TbCallEvent *event)
{
  switch (event->type) {
  case TB_CALL_EVENT_DTMF: {
    g_autofree char *text = g_strdup_printf ("[DTMF %c]", event->digit);
    gint64 now = tb_dialog_now (c);

    /* A key press interrupts like speech does. */
    if (tb_dialog_reply_active (c) && c->agent->interruptible) {
      c->barged = TRUE;
      if (c->turn) {
        c->turn->barge_in_speech_us = now;
        c->turn->barge_in_stop_us = now;
      }
      tb_dialog_reply_cancel (c, TRUE);
    }
    caller_said (c, text, now, now);
    c->barged = FALSE;
    break;
  }
  case TB_CALL_EVENT_TRANSFER_FAILED: {
    const char *sorry = "Sorry, I could not put you through. Can I help you with anything else?";

    tb_dialog_add_message (c, TB_LLM_ROLE_ASSISTANT, sorry, NULL, NULL);
    if (!c->turn || !tb_dialog_reply_active (c)) {
      g_clear_object (&c->reply);
      c->reply = g_cancellable_new ();
    }
    tb_dialog_say (c, sorry, FALSE);
    break;
  }
  }
}

/* ---- life ---------------------------------------------------------------- */

TbConversation *
tb_conversation_new (TbConfig *config, const TbAgentConfig *agent, const TbHost *host,
                     const TbConversationPeer *peer, gpointer peer_data, GError **error)
{
  g_autoptr(TbConversation) c = g_new0 (TbConversation, 1);
  const TbLlmVTable *llm;

  c->id = peer->call_id;
  c->peer = peer;
  c->peer_data = peer_data;
  c->config = tb_config_ref (config);
  c->agent = agent;
  c->host = host;
  c->rate = config->media.sample_rate;
  c->start_us = tb_dialog_now (c);
  c->ops = g_ptr_array_new ();
  c->tools = g_ptr_array_new_with_free_func (g_free);
  c->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) tb_dialog_message_free);
  c->turns = g_ptr_array_new_with_free_func ((GDestroyNotify) tb_dialog_turn_free);
  c->spoken = g_ptr_array_new_with_free_func ((GDestroyNotify) tb_dialog_spoken_free);
  c->preroll = g_array_new (FALSE, FALSE, sizeof (gint16));
  c->utterance = g_array_new (FALSE, FALSE, sizeof (gint16));
  c->pending_caller = g_string_new (NULL);
  c->round_text = g_string_new (NULL);
  c->assistant_message = -1;
  g_queue_init (&c->speech_queue);
  tb_vad_init (&c->vad);

  if (!tb_dialog_chain_open (c, TB_PLUGIN_KIND_LLM, agent->llm, &c->llm_chain, error) ||
      !tb_dialog_chain_open (c, TB_PLUGIN_KIND_TTS, agent->tts, &c->tts_chain, error))
    return NULL;
  c->llm = tb_dialog_chain_first (c, &c->llm_chain);
  c->tts = tb_dialog_chain_first (c, &c->tts_chain);
  if (agent->stt && agent->stt[0]) {
    g_autoptr(GError) stt_error = NULL;

    c->have_stt = tb_dialog_chain_open (c, TB_PLUGIN_KIND_STT, agent->stt, &c->stt_chain,
                                        &stt_error);
    if (!c->have_stt)
      g_warning ("call %s: the caller will not be understood: %s", peer->call_id,
                 stt_error->message);
  }
  /* What the first choice expects callers to say (a rules dialogue's
   * phrases) guides speech recognition. */
  llm = c->llm_chain.members[0].vtable;
  if (llm->version >= 2 && llm->phrases)
    c->phrases = llm->phrases (c->llm_chain.members[0].instance);
  open_tools (c);
  if (agent->system_prompt && *agent->system_prompt)
    tb_dialog_add_message (c, TB_LLM_ROLE_SYSTEM, agent->system_prompt, NULL, NULL);

  stt_start (c);
  tb_dialog_speak_greeting (c);
  return g_steal_pointer (&c);
}

void
tb_conversation_free (TbConversation *c)
{
  TbDialogSpoken *spoken;

  if (!c)
    return;
  if (c->reply)
    g_cancellable_cancel (c->reply);
  tb_dialog_tools_cancel (c);
  tb_dialog_watchdog_clear (&c->llm_watchdog);
  tb_dialog_watchdog_clear (&c->tts_watchdog);
  tb_dialog_watchdog_clear (&c->stt_watchdog);
  tb_dialog_watchdog_clear (&c->endpoint_timer);
  /* Requests still in flight end on their own; they no longer see us. */
  for (guint i = 0; i < c->ops->len; i++)
    ((TbDialogOp *) g_ptr_array_index (c->ops, i))->c = NULL;
  g_ptr_array_unref (c->ops);
  stt_close (c);
  while ((spoken = g_queue_pop_head (&c->speech_queue)))
    tb_dialog_spoken_free (spoken);
  g_clear_object (&c->reply);
  g_clear_pointer (&c->sentences, tb_sentences_free);
  g_clear_pointer (&c->tool_calls, g_ptr_array_unref);
  g_ptr_array_unref (c->tools);
  g_ptr_array_unref (c->messages);
  g_ptr_array_unref (c->turns);
  g_ptr_array_unref (c->spoken);
  g_array_unref (c->preroll);
  g_array_unref (c->utterance);
  tb_dialog_chain_clear (&c->llm_chain);
  tb_dialog_chain_clear (&c->tts_chain);
  tb_dialog_chain_clear (&c->stt_chain);
  g_string_free (c->pending_caller, TRUE);
  g_string_free (c->round_text, TRUE);
  g_clear_pointer (&c->greeting_audio, g_byte_array_unref);
  g_free (c->greeting_key);
  g_free (c->partial);
  g_free (c->action);
  g_free (c->action_argument);
  tb_config_unref (c->config);
  g_free (c);
}
