/* schema.c — a tool's arguments checked against its JSON schema. */
#define G_LOG_DOMAIN "tb-dialog"

#include "schema.h"

#include <json-glib/json-glib.h>
#include <string.h>

static const char *
type_of (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node)) {
  case JSON_NODE_OBJECT: return "object";
  case JSON_NODE_ARRAY: return "array";
  case JSON_NODE_NULL: return "null";
  default:
    break;
  }
  switch (json_node_get_value_type (node)) {
  case G_TYPE_BOOLEAN: return "boolean";
  case G_TYPE_INT64: return "integer";
  case G_TYPE_DOUBLE: return "number";
  default: return "string";
  }
}

static gboolean
has_type (JsonNode *node, const char *type)
{
  const char *actual = type_of (node);

  if (g_str_equal (type, "number"))
    return g_str_equal (actual, "number") || g_str_equal (actual, "integer");
  if (g_str_equal (type, "integer") && g_str_equal (actual, "number")) {
    double v = json_node_get_double (node);

    return v == (double) (gint64) v;
  }
  return g_str_equal (type, actual);
}

static gboolean check (JsonObject *schema, JsonNode *value, const char *where, char **problem);

/* Members of a schema, NULL when absent or of another kind: a sloppy
 * schema is not a reason to crash. */
static JsonArray *
member_array (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
member_object (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING ? json_node_get_string (node) : NULL;
}

static gboolean
member_number (JsonObject *object, const char *name, double *number)
{
  JsonNode *node = json_object_get_member (object, name);

  if (!node || !JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_INT64 &&
       json_node_get_value_type (node) != G_TYPE_DOUBLE))
    return FALSE;
  *number = json_node_get_double (node);
  return TRUE;
}

static gboolean
check_type (JsonObject *schema, JsonNode *value, const char *where, char **problem)
{
  JsonNode *type = json_object_get_member (schema, "type");

  if (!type)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (type) && json_node_get_value_type (type) == G_TYPE_STRING) {
    if (has_type (value, json_node_get_string (type)))
      return TRUE;
    *problem = g_strdup_printf ("%s must be a%s %s", where,
                                strchr ("aeiou", json_node_get_string (type)[0]) ? "n" : "",
                                json_node_get_string (type));
    return FALSE;
  }
  if (JSON_NODE_HOLDS_ARRAY (type)) {
    JsonArray *types = json_node_get_array (type);

    for (guint i = 0; i < json_array_get_length (types); i++) {
      JsonNode *one = json_array_get_element (types, i);

      if (JSON_NODE_HOLDS_VALUE (one) && json_node_get_value_type (one) == G_TYPE_STRING &&
          has_type (value, json_node_get_string (one)))
        return TRUE;
    }
    *problem = g_strdup_printf ("%s has the wrong type", where);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_enum (JsonObject *schema, JsonNode *value, const char *where, char **problem)
{
  JsonArray *choices;
  g_autoptr(GString) list = NULL;

  choices = member_array (schema, "enum");
  if (!choices)
    return TRUE;
  list = g_string_new (NULL);
  for (guint i = 0; i < json_array_get_length (choices); i++) {
    JsonNode *choice = json_array_get_element (choices, i);
    g_autofree char *text = json_to_string (choice, FALSE);

    if (json_node_equal (choice, value))
      return TRUE;
    g_string_append_printf (list, "%s%s", list->len ? ", " : "", text);
  }
  *problem = g_strdup_printf ("%s must be one of %s", where, list->str);
  return FALSE;
}

static gboolean
check_string (JsonObject *schema, const char *text, const char *where, char **problem)
{
  glong length = g_utf8_strlen (text, -1);
  const char *pattern = member_string (schema, "pattern");
  double limit;

  if (member_number (schema, "minLength", &limit) && length < limit) {
    *problem = g_strdup_printf ("%s is too short", where);
    return FALSE;
  }
  if (member_number (schema, "maxLength", &limit) && length > limit) {
    *problem = g_strdup_printf ("%s is too long", where);
    return FALSE;
  }
  if (pattern) {
    g_autoptr(GRegex) regex = g_regex_new (pattern, 0, 0, NULL);

    if (regex && !g_regex_match (regex, text, 0, NULL)) {
      *problem = g_strdup_printf ("%s '%s' is not in the expected form", where, text);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
check_number (JsonObject *schema, double number, const char *where, char **problem)
{
  double limit;

  if (member_number (schema, "minimum", &limit) && number < limit) {
    *problem = g_strdup_printf ("%s is below %g", where, limit);
    return FALSE;
  }
  if (member_number (schema, "maximum", &limit) && number > limit) {
    *problem = g_strdup_printf ("%s is above %g", where, limit);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_object (JsonObject *schema, JsonObject *object, const char *where, char **problem)
{
  JsonObject *properties = member_object (schema, "properties");
  JsonArray *required = member_array (schema, "required");
  JsonNode *additional = json_object_get_member (schema, "additionalProperties");
  g_autoptr(GList) members = json_object_get_members (object);

  for (guint i = 0; required && i < json_array_get_length (required); i++) {
    JsonNode *entry = json_array_get_element (required, i);
    const char *name = JSON_NODE_HOLDS_VALUE (entry) &&
                       json_node_get_value_type (entry) == G_TYPE_STRING
                       ? json_node_get_string (entry) : NULL;
    JsonNode *member = name ? json_object_get_member (object, name) : NULL;

    if (name && (!member || JSON_NODE_HOLDS_NULL (member) ||
                 (JSON_NODE_HOLDS_VALUE (member) &&
                  json_node_get_value_type (member) == G_TYPE_STRING &&
                  !*json_node_get_string (member)))) {
      *problem = g_strdup_printf ("missing required argument '%s'", name);
      return FALSE;
    }
  }
  for (GList *l = members; l; l = l->next) {
    const char *name = l->data;
    JsonObject *property = properties ? member_object (properties, name) : NULL;
    g_autofree char *inner = g_strdup_printf ("argument '%s'", name);

    if (!property) {
      if (additional && JSON_NODE_HOLDS_VALUE (additional) &&
          !json_node_get_boolean (additional)) {
        *problem = g_strdup_printf ("unknown argument '%s'", name);
        return FALSE;
      }
      continue;
    }
    if (!check (property, json_object_get_member (object, name), inner, problem))
      return FALSE;
  }
  return TRUE;
}

static gboolean
check (JsonObject *schema, JsonNode *value, const char *where, char **problem)
{
  if (!check_type (schema, value, where, problem) || !check_enum (schema, value, where, problem))
    return FALSE;
  if (JSON_NODE_HOLDS_OBJECT (value))
    return check_object (schema, json_node_get_object (value), where, problem);
  if (JSON_NODE_HOLDS_ARRAY (value) && member_object (schema, "items")) {
    JsonArray *items = json_node_get_array (value);
    JsonObject *item_schema = member_object (schema, "items");

    for (guint i = 0; i < json_array_get_length (items); i++) {
      g_autofree char *inner = g_strdup_printf ("%s[%u]", where, i);

      if (!check (item_schema, json_array_get_element (items, i), inner, problem))
        return FALSE;
    }
    return TRUE;
  }
  if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
    return check_string (schema, json_node_get_string (value), where, problem);
  if (JSON_NODE_HOLDS_VALUE (value) && (json_node_get_value_type (value) == G_TYPE_INT64 ||
                                        json_node_get_value_type (value) == G_TYPE_DOUBLE))
    return check_number (schema, json_node_get_double (value), where, problem);
  return TRUE;
}

gboolean
tb_dialog_schema_check (const char *schema_json, const char *arguments_json, char **problem)
{
  g_autoptr(JsonParser) schema_parser = json_parser_new ();
  g_autoptr(JsonParser) arguments_parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *schema, *arguments;

  *problem = NULL;
  if (!json_parser_load_from_data (schema_parser, schema_json ? schema_json : "", -1, &error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (schema_parser))) {
    *problem = g_strdup_printf ("the tool's parameter schema is not a JSON object%s%s",
                                error ? ": " : "", error ? error->message : "");
    return FALSE;
  }
  schema = json_parser_get_root (schema_parser);
  if (!json_parser_load_from_data (arguments_parser,
                                   arguments_json && *arguments_json ? arguments_json : "{}",
                                   -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (arguments_parser))) {
    *problem = g_strdup ("the arguments are not a JSON object");
    return FALSE;
  }
  arguments = json_parser_get_root (arguments_parser);
  return check (json_node_get_object (schema), arguments, "the arguments", problem);
}
