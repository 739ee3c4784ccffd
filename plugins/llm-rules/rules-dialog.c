/* rules-dialog.c — the reply of the rules to a conversation so far. The
 * plugin keeps no state between requests: the state is replayed from the
 * request's messages every time.
 *
 * - A caller's turn that matches an intent starts it (a task). Tasks stack:
 *   the active one is the last started that has not completed. An intent
 *   without a tool completes as soon as its slots are filled, and the task
 *   below it, if any, is asked for its next slot again.
 * - Slots are filled from every turn of the caller once their intent has
 *   started, several at once ("tomorrow at 10"), and can be corrected. A
 *   bare answer ("ten", "the 3rd") only fills the slot just asked for. A
 *   turn that fills nothing gets the awaited slot's retry prompt, or the
 *   fallback response when no intent is active.
 * - With its slots filled, an intent with a tool says its response and
 *   calls the tool (only when the agent offers it; otherwise it says its
 *   unavailable-response). The tool's result (the TOOL message answering
 *   the call) gets result-response, or error-response when the result has
 *   an "error" member or "ok"/"success" false. An error that is about the
 *   arguments (it names an argument and says missing, invalid, required,
 *   ...) empties the slots of that argument and asks for them again;
 *   another error empties the intent's error-slots, if it has any, and asks
 *   for them ("that time is taken" -> which other time?). A completed tool
 *   intent ends every task. */
#define G_LOG_DOMAIN "tb-llm-rules"

#include "rules.h"

#include <string.h>

typedef enum {
  TASK_FILLING,  /* slots missing                          */
  TASK_READY,    /* slots filled, tool call just requested */
  TASK_CALLING,  /* the call was made, result awaited      */
} TaskState;

typedef struct {
  const RulesIntent *intent;
  RulesValue *values;   /* one per intent->slots */
  TaskState state;
  char *call_id;
} Task;

typedef struct {
  const RulesSet *set;
  const TbLlmRequest *request;
  const GDate *today;
  GPtrArray *stack;       /* Task *, the active one last */
  /* The reply to the latest message. */
  GString *text;
  TbLlmToolCall *call;
  char *unoffered_tool;
  /* What templates are rendered with. */
  const Task *task;
  JsonNode *result;
} Dialog;

static Task *
task_new (const RulesIntent *intent)
{
  Task *task = g_new0 (Task, 1);

  task->intent = intent;
  task->values = g_new0 (RulesValue, intent->slots->len);
  return task;
}

static void
task_free (gpointer data)
{
  Task *task = data;

  for (guint i = 0; i < task->intent->slots->len; i++)
    rules_value_clear (&task->values[i]);
  g_free (task->values);
  g_free (task->call_id);
  g_free (task);
}

static Task *
active_task (Dialog *d)
{
  return d->stack->len ? g_ptr_array_index (d->stack, d->stack->len - 1) : NULL;
}

/* The index of the first slot without a value, or -1. */
static gint
first_missing (const Task *task)
{
  for (guint i = 0; i < task->intent->slots->len; i++)
    if (!task->values[i].value)
      return (gint) i;
  return -1;
}

static void
call_free (TbLlmToolCall *call)
{
  if (!call)
    return;
  g_free ((char *) call->id);
  g_free ((char *) call->name);
  g_free ((char *) call->arguments_json);
  g_free (call);
}

static void
reset_reply (Dialog *d)
{
  g_string_truncate (d->text, 0);
  g_clear_pointer (&d->call, call_free);
  g_clear_pointer (&d->unoffered_tool, g_free);
}

/* ---- templates --------------------------------------------------------- */

static char *
lookup (const char *name, gpointer data)
{
  Dialog *d = data;

  if (g_str_equal (name, "result") || g_str_has_prefix (name, "result.")) {
    g_auto(GStrv) path = g_strsplit (name, ".", -1);
    JsonNode *node = d->result;

    for (guint i = 1; path[i] && node; i++) {
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return NULL;
      node = json_object_get_member (json_node_get_object (node), path[i]);
    }
    return rules_result_text (node);
  }
  for (guint i = 0; d->task && i < d->task->intent->slots->len; i++) {
    const RulesSlot *slot = g_ptr_array_index (d->task->intent->slots, i);
    gsize len = strlen (slot->name);

    if (strncmp (name, slot->name, len) != 0 || (name[len] && !g_str_equal (name + len, ".value")))
      continue;
    return g_strdup (name[len] ? d->task->values[i].value : d->task->values[i].spoken);
  }
  return NULL;
}

/* Appends the rendered @template to the reply. */
static void
say (Dialog *d, const char *template, const Task *task)
{
  g_autofree char *text = NULL;

  if (!template)
    return;
  d->task = task;
  text = rules_template_render (template, lookup, d);
  d->task = NULL;
  if (d->text->len)
    g_string_append_c (d->text, ' ');
  g_string_append (d->text, text);
}

static void
ask (Dialog *d, const Task *task, gboolean again)
{
  gint missing = first_missing (task);
  const RulesSlot *slot;

  if (missing < 0)
    return;
  slot = g_ptr_array_index (task->intent->slots, missing);
  say (d, again ? slot->retry : slot->prompt, task);
}

/* Renders the argument templates; a number slot alone becomes a number. */
static void
render_arguments (Dialog *d, JsonNode *node)
{
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING) {
    g_autofree char *sole = rules_template_sole_placeholder (json_node_get_string (node));
    g_autofree char *text = rules_template_render (json_node_get_string (node), lookup, d);

    for (guint i = 0; sole && i < d->task->intent->slots->len; i++) {
      const RulesSlot *slot = g_ptr_array_index (d->task->intent->slots, i);

      if (slot->type == RULES_SLOT_NUMBER && d->task->values[i].value
          && g_str_has_prefix (sole, slot->name)
          && (sole[strlen (slot->name)] == '\0' || g_str_equal (sole + strlen (slot->name), ".value"))) {
        json_node_set_int (node, g_ascii_strtoll (d->task->values[i].value, NULL, 10));
        return;
      }
    }
    json_node_set_string (node, text);
  } else if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *array = json_node_get_array (node);

    for (guint i = 0; i < json_array_get_length (array); i++)
      render_arguments (d, json_array_get_element (array, i));
  } else if (JSON_NODE_HOLDS_OBJECT (node)) {
    JsonObject *object = json_node_get_object (node);
    g_autoptr(GList) members = json_object_get_members (object);

    for (GList *m = members; m; m = m->next)
      render_arguments (d, json_object_get_member (object, m->data));
  }
}

static char *
arguments_json (Dialog *d, const Task *task)
{
  g_autoptr(JsonNode) root = json_from_string (task->intent->arguments, NULL);

  d->task = task;
  render_arguments (d, root);
  d->task = NULL;
  return json_to_string (root, FALSE);
}

/* ---- completing intents ------------------------------------------------ */

static gboolean
tool_offered (Dialog *d, const char *name)
{
  for (guint i = 0; i < d->request->n_tools; i++)
    if (g_strcmp0 (d->request->tools[i].name, name) == 0)
      return TRUE;
  return FALSE;
}

/* An intent without a tool is done: the task below it asks again. */
static void
pop_and_resume (Dialog *d)
{
  Task *below;

  g_ptr_array_remove_index (d->stack, d->stack->len - 1);
  below = active_task (d);
  if (below && below->state == TASK_FILLING)
    ask (d, below, FALSE);
}

static void
complete (Dialog *d, Task *task, guint index)
{
  TbLlmToolCall *call;

  if (!task->intent->tool) {
    say (d, task->intent->response, task);
    pop_and_resume (d);
    return;
  }
  if (!tool_offered (d, task->intent->tool)) {
    say (d, task->intent->unavailable_response, task);
    d->unoffered_tool = g_strdup (task->intent->tool);
    pop_and_resume (d);
    return;
  }
  say (d, task->intent->response, task);
  call = g_new0 (TbLlmToolCall, 1);
  call->id = g_strdup_printf ("rules-%u-%s", index, task->intent->name);
  call->name = g_strdup (task->intent->tool);
  call->arguments_json = arguments_json (d, task);
  d->call = call;
  task->state = TASK_READY;
}

/* ---- the caller's turn ------------------------------------------------- */

static void
start_task (Dialog *d, const RulesIntent *intent)
{
  for (guint i = 0; i < d->stack->len; i++) {
    if (((Task *) g_ptr_array_index (d->stack, i))->intent == intent) {
      g_ptr_array_remove_index (d->stack, i);
      break;
    }
  }
  g_ptr_array_add (d->stack, task_new (intent));
}

/* The intent the turn asks for, if any, and whether it is clearly asked. */
static const RulesIntent *
turn_intent (Dialog *d, const char *text, const char *dtmf, gboolean *strong)
{
  RulesMatch match;

  *strong = TRUE;
  if (dtmf)
    return rules_match_dtmf (d->set, dtmf);
  if (!rules_match_intent (d->set, text, &match))
    return NULL;
  *strong = match.strong;
  return match.intent;
}

/* Fills the slots of @task from @text; the one at @awaited (or -1) takes
 * bare answers. */
static gboolean
fill_slots (Dialog *d, Task *task, const char *text, gint awaited)
{
  gboolean filled = FALSE;

  for (guint i = 0; i < task->intent->slots->len; i++) {
    RulesValue value = { NULL, NULL };

    if (!rules_slot_parse (g_ptr_array_index (task->intent->slots, i), text,
                           (gint) i == awaited, d->today, &value))
      continue;
    rules_value_clear (&task->values[i]);
    task->values[i] = value;
    filled = TRUE;
  }
  return filled;
}

static void
on_user (Dialog *d, const char *text, guint index)
{
  g_autofree char *dtmf = rules_dtmf_digits (text);
  const RulesIntent *intent;
  Task *active;
  gint awaited = -1;
  gboolean strong = FALSE, started = FALSE, filled;

  /* A tool call that was asked for and never answered is abandoned. */
  for (guint i = d->stack->len; i > 0; i--)
    if (((Task *) g_ptr_array_index (d->stack, i - 1))->state != TASK_FILLING)
      g_ptr_array_remove_index (d->stack, i - 1);

  active = active_task (d);
  if (active)
    awaited = first_missing (active);
  /* Keys pressed when a number is asked for are that number. */
  if (dtmf && awaited >= 0
      && ((const RulesSlot *) g_ptr_array_index (active->intent->slots, awaited))->type
         == RULES_SLOT_NUMBER)
    intent = NULL;
  else
    intent = turn_intent (d, text, dtmf, &strong);
  if (intent && (!active || intent != active->intent)) {
    RulesValue answer = { NULL, NULL };

    /* "at ten" answers the question asked even if it sounds a bit like
     * another intent; a keyword or a close example does not. */
    if (active && !strong && awaited >= 0
        && rules_slot_parse (g_ptr_array_index (active->intent->slots, awaited), text, TRUE,
                             d->today, &answer)) {
      rules_value_clear (&answer);
    } else {
      start_task (d, intent);
      active = active_task (d);
      awaited = -1; /* nothing of the new intent was asked yet */
      started = TRUE;
    }
  }
  if (!active) {
    say (d, d->set->fallback_response, NULL);
    return;
  }
  filled = fill_slots (d, active, text, awaited);
  if (!started && !filled && intent != active->intent) {
    ask (d, active, TRUE);
    return;
  }
  if (first_missing (active) >= 0)
    ask (d, active, FALSE);
  else
    complete (d, active, index);
}

/* ---- the agent's turn and tool results --------------------------------- */

static void
on_assistant (Dialog *d, const TbLlmMessage *message)
{
  for (guint c = 0; c < message->n_tool_calls; c++) {
    const TbLlmToolCall *call = &message->tool_calls[c];

    for (guint i = 0; i < d->stack->len; i++) {
      Task *task = g_ptr_array_index (d->stack, i);

      if (task->state == TASK_READY && g_strcmp0 (task->intent->tool, call->name) == 0) {
        task->state = TASK_CALLING;
        g_free (task->call_id);
        task->call_id = g_strdup (call->id);
        break;
      }
    }
  }
}

static Task *
task_of_call (Dialog *d, const char *call_id)
{
  Task *latest = NULL;

  for (guint i = 0; i < d->stack->len; i++) {
    Task *task = g_ptr_array_index (d->stack, i);

    if (task->state != TASK_CALLING)
      continue;
    if (call_id && g_strcmp0 (task->call_id, call_id) == 0)
      return task;
    latest = task;
  }
  return latest;
}

/* Empties @slots (const RulesSlot *) of @task, to be asked again. */
static void
clear_slots (Task *task, GPtrArray *slots)
{
  for (guint i = 0; i < slots->len; i++) {
    guint index;

    if (g_ptr_array_find (task->intent->slots, g_ptr_array_index (slots, i), &index))
      rules_value_clear (&task->values[index]);
  }
  task->state = TASK_FILLING;
  g_clear_pointer (&task->call_id, g_free);
}

static void
on_tool (Dialog *d, const TbLlmMessage *message)
{
  Task *task = task_of_call (d, message->tool_call_id);
  g_autofree char *error = NULL;
  g_autoptr(GPtrArray) rejected = NULL;

  if (!task)
    return; /* a call the rules did not make */
  d->result = json_from_string (message->content ? message->content : "", NULL);
  error = rules_result_error (d->result);
  if (error)
    rejected = rules_rejected_slots (task->intent, error);
  if (rejected && rejected->len) {
    /* "missing required argument 'time'": the engine refused the call. */
    clear_slots (task, rejected);
    ask (d, task, TRUE);
  } else if (error && task->intent->error_slots->len) {
    /* "That time is taken": ask for another one. */
    say (d, task->intent->error_response, task);
    clear_slots (task, task->intent->error_slots);
    ask (d, task, FALSE);
  } else {
    say (d, error ? task->intent->error_response : task->intent->result_response, task);
    g_ptr_array_set_size (d->stack, 0);
  }
  g_clear_pointer (&d->result, json_node_unref);
}

/* ---- the reply --------------------------------------------------------- */

static char *
tidy (const char *text)
{
  g_auto(GStrv) words = g_strsplit_set (text, " \t\n", -1);
  g_autoptr(GStrvBuilder) kept = g_strv_builder_new ();
  g_auto(GStrv) list = NULL;

  for (guint i = 0; words[i]; i++)
    if (*words[i])
      g_strv_builder_add (kept, words[i]);
  list = g_strv_builder_end (kept);
  return g_strjoinv (" ", list);
}

RulesReply *
rules_dialog_reply (const RulesSet *set, const TbLlmRequest *request, const GDate *today)
{
  Dialog d = { set, request, today, g_ptr_array_new_with_free_func (task_free),
               g_string_new (NULL), NULL, NULL, NULL, NULL };
  RulesReply *reply = g_new0 (RulesReply, 1);

  for (guint i = 0; i < request->n_messages; i++) {
    const TbLlmMessage *message = &request->messages[i];

    reset_reply (&d);
    switch (message->role) {
    case TB_LLM_ROLE_USER:
      on_user (&d, message->content ? message->content : "", i);
      break;
    case TB_LLM_ROLE_ASSISTANT:
      on_assistant (&d, message);
      break;
    case TB_LLM_ROLE_TOOL:
      on_tool (&d, message);
      break;
    default:
      break;
    }
  }
  reply->text = tidy (d.text->str);
  reply->call = g_steal_pointer (&d.call);
  reply->unoffered_tool = g_steal_pointer (&d.unoffered_tool);
  g_string_free (d.text, TRUE);
  g_ptr_array_unref (d.stack);
  return reply;
}

void
rules_reply_free (RulesReply *reply)
{
  if (!reply)
    return;
  g_free (reply->text);
  call_free (reply->call);
  g_free (reply->unoffered_tool);
  g_free (reply);
}
