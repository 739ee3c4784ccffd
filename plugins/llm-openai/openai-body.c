/* openai-body.c — the host's chat request as OpenAI's JSON. */
#define G_LOG_DOMAIN "tb-llm-openai"

#include "openai-body.h"

#include <json-glib/json-glib.h>
#include <string.h>

static const char *const role_names[] = {
  [TB_LLM_ROLE_SYSTEM] = "system",
  [TB_LLM_ROLE_USER] = "user",
  [TB_LLM_ROLE_ASSISTANT] = "assistant",
  [TB_LLM_ROLE_TOOL] = "tool",
};

static void
add_string (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
add_tool_calls (JsonBuilder *builder, const TbLlmMessage *message)
{
  json_builder_set_member_name (builder, "tool_calls");
  json_builder_begin_array (builder);
  for (guint i = 0; i < message->n_tool_calls; i++) {
    const TbLlmToolCall *call = &message->tool_calls[i];

    json_builder_begin_object (builder);
    add_string (builder, "id", call->id ? call->id : "");
    add_string (builder, "type", "function");
    json_builder_set_member_name (builder, "function");
    json_builder_begin_object (builder);
    add_string (builder, "name", call->name ? call->name : "");
    /* OpenAI wants the arguments as text, the way it sent them. */
    add_string (builder, "arguments",
                call->arguments_json && *call->arguments_json ? call->arguments_json : "{}");
    json_builder_end_object (builder);
    json_builder_end_object (builder);
  }
  json_builder_end_array (builder);
}

static gboolean
add_message (JsonBuilder *builder, const TbLlmMessage *message, guint n, GError **error)
{
  if (message->role < TB_LLM_ROLE_SYSTEM || message->role > TB_LLM_ROLE_TOOL) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "message %u has an unknown role (%d)", n, message->role);
    return FALSE;
  }
  if (message->role == TB_LLM_ROLE_TOOL && (!message->tool_call_id || !*message->tool_call_id)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "message %u is a tool result without the id of the call it answers", n);
    return FALSE;
  }
  json_builder_begin_object (builder);
  add_string (builder, "role", role_names[message->role]);
  json_builder_set_member_name (builder, "content");
  if (message->role == TB_LLM_ROLE_ASSISTANT && message->n_tool_calls > 0 && !message->content)
    json_builder_add_null_value (builder);      /* a turn of calls only */
  else
    json_builder_add_string_value (builder, message->content ? message->content : "");
  if (message->role == TB_LLM_ROLE_ASSISTANT && message->n_tool_calls > 0)
    add_tool_calls (builder, message);
  if (message->role == TB_LLM_ROLE_TOOL)
    add_string (builder, "tool_call_id", message->tool_call_id);
  json_builder_end_object (builder);
  return TRUE;
}

/* The tool's parameters schema, parsed: it goes into the body as JSON. */
static JsonNode *
tool_parameters (const TbLlmTool *tool, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *text = tool->parameters_json;

  if (!text || !*text)
    text = "{\"type\":\"object\",\"properties\":{}}";
  if (!json_parser_load_from_data (parser, text, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "tool %s: its parameters are not a JSON object", tool->name);
    return NULL;
  }
  return json_node_copy (json_parser_get_root (parser));
}

static gboolean
add_tools (JsonBuilder *builder, const TbLlmRequest *request, GError **error)
{
  json_builder_set_member_name (builder, "tools");
  json_builder_begin_array (builder);
  for (guint i = 0; i < request->n_tools; i++) {
    const TbLlmTool *tool = &request->tools[i];
    JsonNode *parameters;

    if (!tool->name || !*tool->name) {
      g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED, "tool %u has no name", i);
      return FALSE;
    }
    parameters = tool_parameters (tool, error);
    if (!parameters)
      return FALSE;
    json_builder_begin_object (builder);
    add_string (builder, "type", "function");
    json_builder_set_member_name (builder, "function");
    json_builder_begin_object (builder);
    add_string (builder, "name", tool->name);
    if (tool->description && *tool->description)
      add_string (builder, "description", tool->description);
    json_builder_set_member_name (builder, "parameters");
    json_builder_add_value (builder, parameters);
    json_builder_end_object (builder);
    json_builder_end_object (builder);
  }
  json_builder_end_array (builder);
  return TRUE;
}

GBytes *
tb_openai_body_new (const TbOpenaiBodyOptions *options, const TbLlmRequest *request,
                    GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  char *text;

  json_builder_begin_object (builder);
  add_string (builder, "model", options->model);
  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  for (guint i = 0; i < request->n_messages; i++)
    if (!add_message (builder, &request->messages[i], i, error))
      return NULL;
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "stream");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "temperature");
  json_builder_add_double_value (builder, options->temperature);
  if (options->max_tokens > 0) {
    json_builder_set_member_name (builder, "max_tokens");
    json_builder_add_int_value (builder, options->max_tokens);
  }
  if (request->n_tools > 0 && !add_tools (builder, request, error))
    return NULL;
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  return g_bytes_new_take (text, strlen (text));
}
