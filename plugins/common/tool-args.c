/* tool-args.c — reading the arguments object a language model passed to a
 * tool function. */
#define G_LOG_DOMAIN "tb-tool-args"

#include "tool-args.h"

JsonObject *
tb_tool_args_parse (JsonParser *parser, const char *function, const char *arguments_json,
                    GError **error)
{
  g_autoptr(GError) parse_error = NULL;
  JsonNode *root;

  if (!arguments_json || !*arguments_json)
    arguments_json = "{}";
  if (!json_parser_load_from_data (parser, arguments_json, -1, &parse_error)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "%s: the arguments are not valid JSON: %s", function, parse_error->message);
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "%s: the arguments must be a JSON object", function);
    return NULL;
  }
  return json_node_get_object (root);
}

const char *
tb_tool_args_get_string (JsonObject *args, const char *function, const char *name,
                         GError **error)
{
  JsonNode *node = json_object_get_member (args, name);

  if (!node)
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "%s: argument '%s' must be a string", function, name);
    return NULL;
  }
  return json_node_get_string (node);
}
