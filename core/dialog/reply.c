/* reply.c — thinking and speaking: the LLM request with the history and
 * the tools, its text cut into sentences as it streams, each sentence
 * synthesised in order as soon as it is complete and its audio handed to
 * the call as it comes; and stopping all of it when the caller barges in,
 * keeping in the history only what was heard. Worker thread. */
#define G_LOG_DOMAIN "tb-dialog"

#include "conversation-private.h"

#include "chain.h"
#include "greetings.h"
#include "provider-errors.h"

#include <string.h>

/* ---- speaking ----------------------------------------------------------- */

guint64
tb_dialog_unplayed (TbConversation *c)
{
  return c->peer->unplayed (c->peer_data);
}

gboolean
tb_dialog_speaking (TbConversation *c)
{
  return c->synthesizing || !g_queue_is_empty (&c->speech_queue) || tb_dialog_unplayed (c) > 0;
}

gboolean
tb_dialog_reply_active (TbConversation *c)
{
  return c->thinking || c->running_tool || tb_dialog_speaking (c);
}

void
tb_dialog_spoken_free (TbDialogSpoken *spoken)
{
  g_free (spoken->text);
  g_free (spoken);
}

static void pump (TbConversation *c);

static void
on_tts_audio (const gint16 *samples, gsize n, gpointer user_data)
{
  TbDialogOp *op = user_data;
  TbConversation *c = tb_dialog_op_live (op);
  TbDialogTurn *turn;

  if (!c || n == 0)
    return;
  op->started = TRUE;
  if (op == c->tts_op)
    tb_dialog_watchdog_clear (&c->tts_watchdog);
  turn = c->turn;
  if (turn && !turn->tts_first_audio_us)
    turn->tts_first_audio_us = tb_dialog_now (c);
  if (turn && !turn->first_audio_out_us)
    turn->first_audio_out_us = tb_dialog_send_time (c);
  c->peer->play (c->peer_data, samples, n);
  c->samples_queued += n;
  if (c->greeting_audio)
    g_byte_array_append (c->greeting_audio, (const guint8 *) samples, n * sizeof (gint16));
}

static void
synthesis_over (TbConversation *c, TbDialogSpoken *spoken)
{
  tb_dialog_watchdog_clear (&c->tts_watchdog);
  c->tts_op = NULL;
  spoken->end_sample = c->samples_queued;
  g_ptr_array_add (c->spoken, spoken);
  c->synthesizing = FALSE;
  if (c->greeting_audio) {
    g_autoptr(GBytes) audio = g_byte_array_free_to_bytes (g_steal_pointer (&c->greeting_audio));

    if (g_bytes_get_size (audio) > 0)
      tb_dialog_greeting_store (c->greeting_key, audio);
  }
  pump (c);
  tb_dialog_reply_maybe_finished (c);
}

static void synthesize (TbConversation *c, TbDialogSpoken *spoken,
                        const TbDialogProvider *provider);

/* The TTS provider of @op gave no audio for its sentence (@why): the next
 * one of the chain says it. FALSE when there is none. */
static gboolean
tts_fall_back (TbConversation *c, TbDialogOp *op, const char *why)
{
  const TbDialogProvider *next;

  if (op->started ||
      !(next = tb_dialog_chain_fallback (c, &c->tts_chain, op->provider, why)))
    return FALSE;
  /* The greeting's cache is for the first choice's voice. */
  g_clear_pointer (&c->greeting_audio, g_byte_array_unref);
  tb_dialog_watchdog_clear (&c->tts_watchdog);
  synthesize (c, op->data, next);
  return TRUE;
}

static void
on_tts_done (gpointer user_data)
{
  TbDialogOp *op = user_data;
  TbConversation *c = tb_dialog_op_live (op);

  if (c) {
    tb_dialog_chain_success (&c->tts_chain, op->provider);
    synthesis_over (c, op->data);
  } else {
    tb_dialog_spoken_free (op->data);
  }
  tb_dialog_op_end (op);
}

static void
on_tts_error (const GError *error, gpointer user_data)
{
  TbDialogOp *op = user_data;
  TbConversation *c = tb_dialog_op_live (op);

  if (c) {
    g_warning ("call %s: text-to-speech (%s) failed: %s", c->id,
               op->provider->config->name, error->message);
    if (!tts_fall_back (c, op, error->message)) {
      if (op->started)
        tb_provider_errors_add ("tts", op->provider->config->name, c->id, error->message);
      if (c->turn && !c->turn->failure)
        c->turn->failure = g_strdup_printf ("tts: %s", error->message);
      g_clear_pointer (&c->greeting_audio, g_byte_array_unref);
      synthesis_over (c, op->data);
    }
  } else {
    tb_dialog_spoken_free (op->data);
  }
  tb_dialog_op_end (op);
}

static const TbTtsCallbacks tts_callbacks = { on_tts_audio, on_tts_done, on_tts_error };

/* A sentence whose audio does not come in time goes to the next provider
 * of the chain, or is skipped. */
static gboolean
on_tts_late (gpointer data)
{
  TbConversation *c = data;
  TbDialogOp *op = c->tts_op;
  TbDialogSpoken *spoken = op->data;
  g_autofree char *why = g_strdup_printf ("no audio in %u ms", TB_DIALOG_TTS_TIMEOUT_MS);

  g_clear_pointer (&c->tts_watchdog, g_source_unref);
  g_warning ("call %s: text-to-speech (%s) gave %s", c->id, op->provider->config->name, why);
  /* The request goes on without us; its sentence is ours now. */
  op->data = g_new0 (TbDialogSpoken, 1);
  tb_dialog_op_detach (op);
  {
    TbDialogOp late = { .c = c, .data = spoken, .provider = op->provider };

    if (tts_fall_back (c, &late, why))
      return G_SOURCE_REMOVE;
  }
  g_warning ("call %s: sentence skipped", c->id);
  if (c->turn && !c->turn->failure)
    c->turn->failure = g_strdup ("tts: no audio in time");
  synthesis_over (c, spoken);
  return G_SOURCE_REMOVE;
}

void
tb_dialog_tts_request_init (TbTtsRequest *request, const TbAgentConfig *agent, const char *text,
                            guint sample_rate)
{
  *request = (TbTtsRequest) {
    .text = text,
    .voice = agent->voice && *agent->voice ? agent->voice : NULL,
    .language = agent->language,
    .rate = agent->speaking_rate,
    .sample_rate = sample_rate,
  };
}

static void
synthesize (TbConversation *c, TbDialogSpoken *spoken, const TbDialogProvider *provider)
{
  const TbTtsVTable *tts = provider->vtable;
  TbTtsRequest request;

  tb_dialog_tts_request_init (&request, c->agent, spoken->text, c->rate);
  c->tts = provider;
  c->tts_op = tb_dialog_op_new (c, c->reply, spoken);
  c->tts_op->provider = provider;
  c->tts_watchdog = tb_dialog_watchdog (TB_DIALOG_TTS_TIMEOUT_MS, on_tts_late, c);
  tts->synthesize (provider->instance, &request, &tts_callbacks, c->tts_op, c->reply);
}

static void
pump (TbConversation *c)
{
  TbDialogSpoken *spoken;

  if (c->synthesizing || !(spoken = g_queue_pop_head (&c->speech_queue)))
    return;
  if (c->turn && !c->turn->tts_request_us)
    c->turn->tts_request_us = tb_dialog_now (c);
  c->synthesizing = TRUE;
  synthesize (c, spoken, tb_dialog_chain_first (c, &c->tts_chain));
}

void
tb_dialog_say (TbConversation *c, const char *text, gboolean filler)
{
  TbDialogSpoken *spoken = g_new0 (TbDialogSpoken, 1);

  spoken->text = g_strdup (text);
  spoken->filler = filler;
  g_queue_push_tail (&c->speech_queue, spoken);
  pump (c);
}

void
tb_dialog_speak_greeting (TbConversation *c)
{
  g_autoptr(GBytes) cached = NULL;
  g_autofree char *settings = NULL;
  const char *text = c->agent->greeting;

  c->tts = tb_dialog_chain_first (c, &c->tts_chain);
  settings = g_variant_print (c->tts->config->settings, FALSE);

  c->turn = tb_dialog_turn_new (c, TRUE);
  g_string_assign (c->turn->reply_text, text);
  tb_dialog_add_message (c, TB_LLM_ROLE_ASSISTANT, text, NULL, NULL);
  c->reply = g_cancellable_new ();
  c->greeting_key = g_strdup_printf ("%s|%s|%s|%g|%u|%s", c->tts->config->group, settings,
                                     c->agent->voice ? c->agent->voice : "",
                                     c->agent->speaking_rate, c->rate, text);
  cached = tb_dialog_greeting_lookup (c->greeting_key);
  if (cached) {
    gsize size = 0;
    const gint16 *samples = g_bytes_get_data (cached, &size);
    TbDialogSpoken *spoken = g_new0 (TbDialogSpoken, 1);

    c->turn->tts_request_us = c->turn->tts_first_audio_us = tb_dialog_now (c);
    c->turn->first_audio_out_us = tb_dialog_send_time (c);
    c->peer->play (c->peer_data, samples, size / sizeof (gint16));
    c->samples_queued += size / sizeof (gint16);
    spoken->text = g_strdup (text);
    spoken->end_sample = c->samples_queued;
    g_ptr_array_add (c->spoken, spoken);
    return;
  }
  c->greeting_audio = g_byte_array_new ();
  tb_dialog_say (c, text, FALSE);
}

/* ---- thinking ----------------------------------------------------------- */

static void llm_request (TbConversation *c, const TbDialogProvider *provider);

static void
on_sentence (const char *sentence, gpointer user_data)
{
  tb_dialog_say (user_data, sentence, FALSE);
}

static void
first_token (TbConversation *c)
{
  tb_dialog_watchdog_clear (&c->llm_watchdog);
  if (c->turn && !c->turn->llm_first_token_us)
    c->turn->llm_first_token_us = tb_dialog_now (c);
}

static void
on_llm_delta (const char *text, gpointer user_data)
{
  TbConversation *c = tb_dialog_op_live (user_data);

  if (!c || !text)
    return;
  ((TbDialogOp *) user_data)->started = TRUE;
  first_token (c);
  /* A later round's text starts a new sentence of the same reply. */
  if (c->turn && c->round_text->len == 0 && c->turn->reply_text->len > 0 &&
      !g_ascii_isspace (c->turn->reply_text->str[c->turn->reply_text->len - 1]) &&
      !g_ascii_isspace (text[0]))
    g_string_append_c (c->turn->reply_text, ' ');
  g_string_append (c->round_text, text);
  if (c->turn)
    g_string_append (c->turn->reply_text, text);
  tb_sentences_push (c->sentences, text);
}

static void
on_llm_tool_call (const TbLlmToolCall *call, gpointer user_data)
{
  TbConversation *c = tb_dialog_op_live (user_data);
  TbLlmToolCall *copy;

  if (!c || !call || !call->name)
    return;
  ((TbDialogOp *) user_data)->started = TRUE;
  first_token (c);
  copy = g_new0 (TbLlmToolCall, 1);
  copy->id = call->id ? g_strdup (call->id)
                      : g_strdup_printf ("call_%u_%u", c->turns->len, c->tool_calls->len);
  copy->name = g_strdup (call->name);
  copy->arguments_json = g_strdup (call->arguments_json ? call->arguments_json : "{}");
  g_ptr_array_add (c->tool_calls, copy);
}

static void
on_llm_done (gpointer user_data)
{
  TbDialogOp *op = user_data;
  TbConversation *c = tb_dialog_op_live (op);

  if (c) {
    tb_dialog_watchdog_clear (&c->llm_watchdog);
    tb_dialog_chain_success (&c->llm_chain, op->provider);
    c->llm_op = NULL;
    tb_sentences_flush (c->sentences);
    c->thinking = FALSE;
    if (c->round_text->len || c->tool_calls->len) {
      tb_dialog_add_message (c, TB_LLM_ROLE_ASSISTANT,
                             c->round_text->len ? c->round_text->str : NULL, NULL,
                             c->tool_calls);
      c->assistant_message = c->messages->len - 1;
    }
    if (c->tool_calls->len > 0) {
      c->tool_index = 0;
      tb_dialog_tools_run (c);
    } else {
      tb_dialog_reply_maybe_finished (c);
    }
  }
  tb_dialog_op_end (op);
}

static void
on_llm_error (const GError *error, gpointer user_data)
{
  TbDialogOp *op = user_data;
  TbConversation *c = tb_dialog_op_live (op);

  if (c) {
    const TbDialogProvider *next = NULL;

    tb_dialog_watchdog_clear (&c->llm_watchdog);
    c->llm_op = NULL;
    g_warning ("call %s: language model (%s) failed: %s", c->id,
               op->provider->config->name, error->message);
    /* Nothing of this round was said or done: the next one of the chain
     * answers the same request. */
    if (!op->started)
      next = tb_dialog_chain_fallback (c, &c->llm_chain, op->provider, error->message);
    else
      tb_provider_errors_add ("llm", op->provider->config->name, c->id, error->message);
    if (next) {
      llm_request (c, next);
      tb_dialog_op_end (op);
      return;
    }
    if (c->turn && !c->turn->failure)
      c->turn->failure = g_strdup_printf ("llm: %s", error->message);
    c->thinking = FALSE;
    tb_sentences_flush (c->sentences);
    /* Never dead air: when nothing of the reply was said, apologise. */
    if (c->round_text->len == 0)
      tb_dialog_say (c, TB_DIALOG_SORRY_LLM, FALSE);
    tb_dialog_reply_maybe_finished (c);
  }
  tb_dialog_op_end (op);
}

static const TbLlmCallbacks llm_callbacks = {
  on_llm_delta, on_llm_tool_call, on_llm_done, on_llm_error,
};

/* The LLM said nothing in time: it is left behind; the next one of the
 * chain answers, or the caller hears an apology. */
static gboolean
on_llm_late (gpointer data)
{
  TbConversation *c = data;
  g_autofree char *why = g_strdup_printf ("nothing in %u ms", TB_DIALOG_LLM_TIMEOUT_MS);
  const TbDialogProvider *next;

  g_clear_pointer (&c->llm_watchdog, g_source_unref);
  g_warning ("call %s: language model (%s) gave %s", c->id, c->llm->config->name, why);
  if (c->llm_op)
    tb_dialog_op_detach (c->llm_op);
  c->llm_op = NULL;
  next = tb_dialog_chain_fallback (c, &c->llm_chain, c->llm, why);
  if (next) {
    llm_request (c, next);
    return G_SOURCE_REMOVE;
  }
  if (c->turn && !c->turn->failure)
    c->turn->failure = g_strdup ("llm: no answer in time");
  c->thinking = FALSE;
  tb_dialog_say (c, TB_DIALOG_SORRY_LLM, FALSE);
  return G_SOURCE_REMOVE;
}

static void
tool_call_free (TbLlmToolCall *call)
{
  tb_dialog_tool_call_clear (call);
  g_free (call);
}

static void
llm_request (TbConversation *c, const TbDialogProvider *provider)
{
  const TbLlmVTable *llm = provider->vtable;
  guint n_messages = 0, n_tools = 0;
  g_autofree TbLlmMessage *messages = tb_dialog_messages_view (c, &n_messages);
  g_autofree TbLlmTool *tools = (TbLlmTool *) tb_dialog_tools_offer (c, &n_tools);
  TbLlmRequest request = { messages, n_messages, tools, n_tools };

  g_clear_pointer (&c->sentences, tb_sentences_free);
  c->sentences = tb_sentences_new (on_sentence, c);
  g_clear_pointer (&c->tool_calls, g_ptr_array_unref);
  c->tool_calls = g_ptr_array_new_with_free_func ((GDestroyNotify) tool_call_free);
  g_string_truncate (c->round_text, 0);
  if (c->turn && !c->turn->llm_request_us)
    c->turn->llm_request_us = tb_dialog_now (c);
  c->thinking = TRUE;
  c->llm = provider;
  c->llm_op = tb_dialog_op_new (c, c->reply, NULL);
  c->llm_op->provider = provider;
  tb_dialog_watchdog_clear (&c->llm_watchdog);
  c->llm_watchdog = tb_dialog_watchdog (TB_DIALOG_LLM_TIMEOUT_MS, on_llm_late, c);
  llm->chat (provider->instance, &request, &llm_callbacks, c->llm_op, c->reply);
}

void
tb_dialog_reply_start (TbConversation *c)
{
  g_clear_object (&c->reply);
  c->reply = g_cancellable_new ();
  g_ptr_array_set_size (c->spoken, 0);
  c->spoken_start = c->samples_queued;
  c->tool_rounds = 0;
  c->assistant_message = -1;
  llm_request (c, tb_dialog_chain_first (c, &c->llm_chain));
}

/* Another LLM round with the tools' results. */
void
tb_dialog_reply_continue (TbConversation *c)
{
  llm_request (c, tb_dialog_chain_first (c, &c->llm_chain));
}

void
tb_dialog_reply_maybe_finished (TbConversation *c)
{
  if (c->thinking || c->running_tool || c->synthesizing || !g_queue_is_empty (&c->speech_queue))
    return;
  tb_dialog_reply_finished (c);
}

/* ---- barge-in ----------------------------------------------------------- */

/* The first @fraction of @text's words. */
static char *
first_words (const char *text, double fraction)
{
  g_auto(GStrv) words = g_strsplit (text, " ", -1);
  guint n = g_strv_length (words);
  guint keep = (guint) (n * CLAMP (fraction, 0.0, 1.0));

  if (keep == 0)
    return NULL;
  g_free (words[keep]);
  words[keep] = NULL;
  for (guint i = keep + 1; i < n; i++)
    g_clear_pointer (&words[i], g_free);
  return g_strjoinv (" ", words);
}

/* What the caller heard of this reply: the sentences played in full, and
 * the words of the one cut off in proportion to its audio played. */
static char *
heard_text (TbConversation *c, guint64 played)
{
  GString *heard = g_string_new (NULL);
  guint64 start = c->spoken_start;

  for (guint i = 0; i < c->spoken->len; i++) {
    TbDialogSpoken *spoken = g_ptr_array_index (c->spoken, i);
    g_autofree char *part = NULL;

    if (spoken->filler) {
      start = spoken->end_sample;
      continue;
    }
    if (spoken->end_sample <= played) {
      g_string_append_printf (heard, "%s%s", heard->len ? " " : "", spoken->text);
    } else {
      if (spoken->end_sample > start && played > start)
        part = first_words (spoken->text, (double) (played - start) /
                                          (double) (spoken->end_sample - start));
      if (part)
        g_string_append_printf (heard, "%s%s", heard->len ? " " : "", part);
      break;
    }
    start = spoken->end_sample;
  }
  return g_string_free (heard, FALSE);
}

void
tb_dialog_reply_cancel (TbConversation *c, gboolean heard_only)
{
  guint64 played = c->samples_queued - MIN (c->samples_queued, tb_dialog_unplayed (c));
  g_autofree char *heard = heard_text (c, played);
  TbDialogSpoken *spoken;

  c->peer->flush (c->peer_data);
  if (c->reply)
    g_cancellable_cancel (c->reply);
  tb_dialog_tools_cancel (c);
  tb_dialog_watchdog_clear (&c->llm_watchdog);
  tb_dialog_watchdog_clear (&c->tts_watchdog);
  c->llm_op = c->tts_op = NULL;
  c->thinking = FALSE;
  c->synthesizing = FALSE;
  while ((spoken = g_queue_pop_head (&c->speech_queue)))
    tb_dialog_spoken_free (spoken);
  g_ptr_array_set_size (c->spoken, 0);
  c->spoken_start = c->samples_queued;
  g_clear_pointer (&c->greeting_audio, g_byte_array_unref);
  g_clear_pointer (&c->action, g_free);
  g_clear_pointer (&c->action_argument, g_free);

  if (c->turn) {
    c->turn->interrupted = TRUE;
    c->turn->heard_text = g_strdup (heard);
  }
  if (!heard_only)
    return;
  /* The history keeps what the caller heard, not what was meant. */
  if (c->assistant_message >= 0) {
    TbDialogMessage *message = g_ptr_array_index (c->messages, c->assistant_message);

    g_free (message->content);
    message->content = *heard ? g_strdup (heard) : NULL;
  } else if (*heard) {
    tb_dialog_add_message (c, TB_LLM_ROLE_ASSISTANT, heard, NULL, NULL);
  }
  if (c->turn && c->turn->greeting && c->messages->len > 0) {
    TbDialogMessage *greeting = g_ptr_array_index (c->messages, 0);

    g_free (greeting->content);
    greeting->content = g_strdup (heard);
  }
}
