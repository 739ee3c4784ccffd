/* tools-run.c — the LLM's tool calls: each checked against its function's
 * schema (missing or wrong arguments go back to the LLM, which asks the
 * caller), run by its tool provider with a filler phrase when it is slow,
 * its result (or error) given back to the LLM for the next round, and a
 * "call" object in a result kept as an action on the call. Worker thread. */
#define G_LOG_DOMAIN "tb-dialog"

#include "conversation-private.h"

#include "provider-errors.h"
#include "schema.h"

#include <json-glib/json-glib.h>

/* LLM rounds with tool results before the agent gives up on the request. */
#define MAX_TOOL_ROUNDS 4

const TbLlmTool *
tb_dialog_tools_offer (TbConversation *c, guint *n)
{
  TbLlmTool *tools = g_new0 (TbLlmTool, c->tools->len + 1);

  for (guint i = 0; i < c->tools->len; i++) {
    TbDialogTool *tool = g_ptr_array_index (c->tools, i);

    tools[i].name = tool->function->name;
    tools[i].description = tool->function->description;
    tools[i].parameters_json = tool->function->parameters_json;
  }
  *n = c->tools->len;
  return tools;
}

static TbDialogTool *
find_tool (TbConversation *c, const char *name)
{
  for (guint i = 0; i < c->tools->len; i++) {
    TbDialogTool *tool = g_ptr_array_index (c->tools, i);

    if (g_str_equal (tool->function->name, name))
      return tool;
  }
  return NULL;
}

/* {"error": @message} as JSON text. */
static char *
error_json (const char *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static void
answer_call (TbConversation *c, const TbLlmToolCall *call, const char *content)
{
  tb_dialog_add_message (c, TB_LLM_ROLE_TOOL, content, call->id, NULL);
}

static void
stop_filler (TbConversation *c)
{
  if (c->filler_source) {
    GSource *source = g_main_context_find_source_by_id (g_main_context_get_thread_default (),
                                                        c->filler_source);

    if (source)
      g_source_destroy (source);
    c->filler_source = 0;
  }
}

static gboolean
on_filler_due (gpointer data)
{
  TbConversation *c = data;
  guint n = c->agent->fillers ? g_strv_length (c->agent->fillers) : 0;

  c->filler_source = 0;
  /* Only into silence: not over the start of the reply. */
  if (n > 0 && !tb_dialog_speaking (c))
    tb_dialog_say (c, c->agent->fillers[c->filler_next++ % n], TRUE);
  return G_SOURCE_REMOVE;
}

static void
start_filler (TbConversation *c)
{
  GSource *source;

  if (c->agent->filler_after_ms == 0)
    return;
  source = g_timeout_source_new (c->agent->filler_after_ms);
  g_source_set_callback (source, on_filler_due, c, NULL);
  c->filler_source = g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
}

/* A "call" object in a tool's result: an action for the call. */
static void
take_action (TbConversation *c, const char *result_json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root, *call;
  const char *action;

  if (!json_parser_load_from_data (parser, result_json, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  root = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (root, "call") ||
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "call")))
    return;
  call = json_object_get_object_member (root, "call");
  action = json_object_get_string_member_with_default (call, "action", NULL);
  if (g_strcmp0 (action, "hangup") == 0)
    tb_dialog_set_action (c, "hangup", NULL);
  else if (g_strcmp0 (action, "transfer") == 0)
    tb_dialog_set_action (c, "transfer",
                          json_object_get_string_member_with_default (call, "target", NULL));
  else if (g_strcmp0 (action, "dtmf") == 0)
    tb_dialog_set_action (c, "dtmf",
                          json_object_get_string_member_with_default (call, "digits", NULL));
  else if (action)
    g_warning ("call %s: a tool asked for an unknown call action '%s'",
               c->id, action);
}

static void run_next (TbConversation *c);

static void
tool_over (TbConversation *c, TbDialogToolRun *run, const TbLlmToolCall *call,
           gboolean ok, const char *content)
{
  run->ended_us = tb_dialog_now (c);
  run->ok = ok;
  run->result = g_strdup (content);
  answer_call (c, call, content);
  stop_filler (c);
  c->running_tool = FALSE;
  c->tool_index++;
  run_next (c);
}

static void
on_tool_result (const char *result_json, gpointer user_data)
{
  TbDialogOp *op = user_data;
  TbConversation *c = tb_dialog_op_live (op);

  if (c) {
    TbDialogToolRun *run = op->data;
    const TbLlmToolCall *call = g_ptr_array_index (c->tool_calls, c->tool_index);

    g_message ("call %s: tool %s answered in %" G_GINT64_FORMAT " ms", c->id,
               run->name, (tb_dialog_now (c) - run->started_us) / 1000);
    take_action (c, result_json ? result_json : "{}");
    tool_over (c, run, call, TRUE, result_json ? result_json : "{}");
  }
  tb_dialog_op_end (op);
}

static void
on_tool_error (const GError *error, gpointer user_data)
{
  TbDialogOp *op = user_data;
  TbConversation *c = tb_dialog_op_live (op);

  if (c) {
    TbDialogToolRun *run = op->data;
    const TbLlmToolCall *call = g_ptr_array_index (c->tool_calls, c->tool_index);
    g_autofree char *content = error_json (error->message);
    TbDialogTool *tool = find_tool (c, run->name);

    g_warning ("call %s: tool %s failed: %s", c->id, run->name,
               error->message);
    tb_provider_errors_add ("tool", tool ? tool->provider.config->name : run->name, c->id,
                            error->message);
    tool_over (c, run, call, FALSE, content);
  }
  tb_dialog_op_end (op);
}

static const TbToolCallbacks tool_callbacks = { on_tool_result, on_tool_error };

static void
run_next (TbConversation *c)
{
  const TbLlmToolCall *call;
  TbDialogTool *tool;
  TbDialogToolRun *run;
  TbToolInvocation invocation = { 0 };
  g_autofree char *problem = NULL;

  if (c->tool_index >= c->tool_calls->len) {
    /* Every call answered: the LLM goes on with the results. */
    if (++c->tool_rounds > MAX_TOOL_ROUNDS) {
      g_warning ("call %s: the language model kept calling tools; giving up on this request",
                 c->id);
      tb_dialog_say (c, TB_DIALOG_SORRY_TOOLS, FALSE);
      tb_dialog_reply_maybe_finished (c);
      return;
    }
    tb_dialog_reply_continue (c);
    return;
  }
  call = g_ptr_array_index (c->tool_calls, c->tool_index);
  run = g_new0 (TbDialogToolRun, 1);
  run->name = g_strdup (call->name);
  run->arguments = g_strdup (call->arguments_json);
  run->started_us = tb_dialog_now (c);
  g_ptr_array_add (c->turn->tools, run);   /* a reply always has its turn */

  tool = find_tool (c, call->name);
  if (!tool)
    problem = g_strdup_printf ("there is no tool named '%s'", call->name);
  else
    tb_dialog_schema_check (tool->function->parameters_json, call->arguments_json, &problem);
  if (problem) {
    /* Back to the LLM, which asks the caller for what is missing. */
    g_autofree char *content = error_json (problem);

    g_message ("call %s: tool %s not run: %s", c->id, call->name, problem);
    run->ended_us = run->started_us;
    run->result = g_strdup (content);
    answer_call (c, call, content);
    c->tool_index++;
    run_next (c);
    return;
  }

  invocation.call_id = c->id;
  invocation.agent = c->agent->name;
  invocation.caller = c->peer->caller;
  invocation.callee = c->peer->callee;
  invocation.function = call->name;
  invocation.arguments_json = call->arguments_json;
  c->running_tool = TRUE;
  start_filler (c);
  ((const TbToolVTable *) tool->provider.vtable)->invoke (tool->provider.instance, &invocation,
                                                          &tool_callbacks,
                                                          tb_dialog_op_new (c, c->reply, run),
                                                          c->reply);
}

void
tb_dialog_tools_run (TbConversation *c)
{
  run_next (c);
}

void
tb_dialog_tools_cancel (TbConversation *c)
{
  stop_filler (c);
  c->running_tool = FALSE;
}
