/* history.c — the conversation's messages (what the LLM sees) and its
 * turns (what the call log shows), and the clock they are measured by. */
#define G_LOG_DOMAIN "tb-dialog"

#include "conversation-private.h"

gint64
tb_dialog_now (TbConversation *c)
{
  return c->host && c->host->now_us ? c->host->now_us (c->host) : g_get_monotonic_time ();
}

gint64
tb_dialog_send_time (TbConversation *c)
{
  if (c->peer->send_time)
    return c->peer->send_time (c->peer_data);
  /* Sent after what is still queued. */
  return tb_dialog_now (c) + (gint64) (tb_dialog_unplayed (c) * G_USEC_PER_SEC / c->rate);
}

void
tb_dialog_tool_call_clear (TbLlmToolCall *call)
{
  g_free ((char *) call->id);
  g_free ((char *) call->name);
  g_free ((char *) call->arguments_json);
}

void
tb_dialog_message_free (TbDialogMessage *message)
{
  g_free (message->content);
  g_free (message->tool_call_id);
  if (message->tool_calls)
    g_array_unref (message->tool_calls);
  g_free (message);
}

void
tb_dialog_add_message (TbConversation *c, TbLlmRole role, const char *content,
                       const char *tool_call_id, const GPtrArray *tool_calls)
{
  TbDialogMessage *message = g_new0 (TbDialogMessage, 1);

  message->role = role;
  message->content = g_strdup (content);
  message->tool_call_id = g_strdup (tool_call_id);
  if (tool_calls && tool_calls->len > 0) {
    message->tool_calls = g_array_new (FALSE, TRUE, sizeof (TbLlmToolCall));
    g_array_set_clear_func (message->tool_calls, (GDestroyNotify) tb_dialog_tool_call_clear);
    for (guint i = 0; i < tool_calls->len; i++) {
      const TbLlmToolCall *from = g_ptr_array_index (tool_calls, i);
      TbLlmToolCall copy = { g_strdup (from->id), g_strdup (from->name),
                             g_strdup (from->arguments_json) };

      g_array_append_val (message->tool_calls, copy);
    }
  }
  g_ptr_array_add (c->messages, message);
}

TbLlmMessage *
tb_dialog_messages_view (TbConversation *c, guint *n)
{
  TbLlmMessage *view = g_new0 (TbLlmMessage, c->messages->len + 1);

  for (guint i = 0; i < c->messages->len; i++) {
    TbDialogMessage *message = g_ptr_array_index (c->messages, i);

    view[i].role = message->role;
    view[i].content = message->content;
    view[i].tool_call_id = message->tool_call_id;
    if (message->tool_calls) {
      view[i].tool_calls = (const TbLlmToolCall *) message->tool_calls->data;
      view[i].n_tool_calls = message->tool_calls->len;
    }
  }
  *n = c->messages->len;
  return view;
}

static void
tool_run_free (TbDialogToolRun *run)
{
  g_free (run->name);
  g_free (run->arguments);
  g_free (run->result);
  g_free (run);
}

TbDialogTurn *
tb_dialog_turn_new (TbConversation *c, gboolean greeting)
{
  TbDialogTurn *turn = g_new0 (TbDialogTurn, 1);

  turn->index = c->turns->len;
  turn->greeting = greeting;
  turn->reply_text = g_string_new (NULL);
  turn->tools = g_ptr_array_new_with_free_func ((GDestroyNotify) tool_run_free);
  g_ptr_array_add (c->turns, turn);
  return turn;
}

void
tb_dialog_turn_free (TbDialogTurn *turn)
{
  g_free (turn->caller_text);
  g_string_free (turn->reply_text, TRUE);
  g_free (turn->heard_text);
  g_ptr_array_unref (turn->tools);
  g_free (turn->failure);
  g_free (turn);
}

/* Milliseconds from the start of the conversation, or null. */
static void
add_time (TbConversation *c, JsonBuilder *b, const char *name, gint64 us)
{
  json_builder_set_member_name (b, name);
  if (us)
    json_builder_add_int_value (b, (us - c->start_us) / 1000);
  else
    json_builder_add_null_value (b);
}

/* Milliseconds from @from to @to, or null when either is unknown. */
static void
add_latency (JsonBuilder *b, const char *name, gint64 from, gint64 to)
{
  json_builder_set_member_name (b, name);
  if (from && to && to >= from)
    json_builder_add_int_value (b, (to - from) / 1000);
  else
    json_builder_add_null_value (b);
}

static void
add_text (JsonBuilder *b, const char *name, const char *text)
{
  json_builder_set_member_name (b, name);
  if (text)
    json_builder_add_string_value (b, text);
  else
    json_builder_add_null_value (b);
}

static void
add_turn (TbConversation *c, JsonBuilder *b, TbDialogTurn *turn)
{
  /* The reply starts when the caller stops, or (greeting) at answer. */
  gint64 reply_from = turn->greeting ? c->start_us : turn->speech_end_us;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "n");
  json_builder_add_int_value (b, turn->index);
  add_text (b, "caller", turn->caller_text);
  add_text (b, "agent", turn->reply_text->len ? turn->reply_text->str : NULL);
  if (turn->interrupted)
    add_text (b, "heard", turn->heard_text ? turn->heard_text : "");
  add_time (c, b, "speech_start_ms", turn->speech_start_us);
  add_time (c, b, "speech_end_ms", turn->speech_end_us);
  /* Recognition: from the end of turn to the transcript. */
  add_latency (b, "stt_final_ms", turn->end_of_turn_us, turn->stt_final_us);
  add_latency (b, "llm_first_token_ms", turn->llm_request_us, turn->llm_first_token_us);
  add_latency (b, "tts_first_audio_ms", turn->tts_request_us, turn->tts_first_audio_us);
  add_latency (b, "response_ms", reply_from, turn->first_audio_out_us);
  json_builder_set_member_name (b, "interrupted");
  json_builder_add_boolean_value (b, turn->interrupted);
  if (turn->interrupted)
    add_latency (b, "barge_in_stop_ms", turn->barge_in_speech_us, turn->barge_in_stop_us);
  json_builder_set_member_name (b, "tools");
  json_builder_begin_array (b);
  for (guint i = 0; i < turn->tools->len; i++) {
    TbDialogToolRun *run = g_ptr_array_index (turn->tools, i);

    json_builder_begin_object (b);
    add_text (b, "name", run->name);
    add_text (b, "arguments", run->arguments);
    add_text (b, "result", run->result);
    json_builder_set_member_name (b, "ok");
    json_builder_add_boolean_value (b, run->ok);
    add_latency (b, "ms", run->started_us, run->ended_us);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  if (turn->failure)
    add_text (b, "failure", turn->failure);
  json_builder_end_object (b);
}

void
tb_conversation_add_turns (TbConversation *c, JsonBuilder *b)
{
  json_builder_set_member_name (b, "turns");
  json_builder_begin_array (b);
  for (guint i = 0; i < c->turns->len; i++)
    add_turn (c, b, g_ptr_array_index (c->turns, i));
  json_builder_end_array (b);
}
