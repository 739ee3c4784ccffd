/* rules-result.c — what a tool's result (the JSON of a TOOL message) says
 * to the rules: success or an error, its fields as words to speak, and
 * which slots an error about the call's arguments is about. */
#define G_LOG_DOMAIN "tb-llm-rules"

#include "rules.h"

#include <string.h>

char *
rules_result_text (JsonNode *node)
{
  if (!node || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (JSON_NODE_HOLDS_OBJECT (node)) {
    JsonObject *object = json_node_get_object (node);

    if (json_object_has_member (object, "message"))
      return rules_result_text (json_object_get_member (object, "message"));
    return json_to_string (node, FALSE);
  }
  if (JSON_NODE_HOLDS_ARRAY (node)) {
    /* ["10:30", "11:00", "11:30"] -> "10:30, 11:00 or 11:30" */
    JsonArray *array = json_node_get_array (node);
    guint n = json_array_get_length (array);
    GString *list = g_string_new (NULL);

    for (guint i = 0; i < n; i++) {
      g_autofree char *item = rules_result_text (json_array_get_element (array, i));

      if (i)
        g_string_append (list, i == n - 1 ? " or " : ", ");
      g_string_append (list, item ? item : "");
    }
    return g_string_free (list, FALSE);
  }
  switch (json_node_get_value_type (node)) {
  case G_TYPE_STRING:
    return g_strdup (json_node_get_string (node));
  case G_TYPE_INT64:
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  case G_TYPE_DOUBLE:
    return g_strdup_printf ("%g", json_node_get_double (node));
  case G_TYPE_BOOLEAN:
    return g_strdup (json_node_get_boolean (node) ? "yes" : "no");
  default:
    return NULL;
  }
}

char *
rules_result_error (JsonNode *result)
{
  JsonObject *object;
  JsonNode *error;

  if (!result || !JSON_NODE_HOLDS_OBJECT (result))
    return NULL;
  object = json_node_get_object (result);
  error = json_object_get_member (object, "error");
  if (error && !JSON_NODE_HOLDS_NULL (error)
      && !(JSON_NODE_HOLDS_VALUE (error) && json_node_get_value_type (error) == G_TYPE_BOOLEAN
           && !json_node_get_boolean (error))) {
    char *text = rules_result_text (error);

    return text ? text : g_strdup ("error");
  }
  for (guint i = 0; i < 2; i++) {
    JsonNode *flag = json_object_get_member (object, i ? "success" : "ok");
    char *message;

    if (!flag || !JSON_NODE_HOLDS_VALUE (flag) || json_node_get_value_type (flag) != G_TYPE_BOOLEAN
        || json_node_get_boolean (flag))
      continue;
    message = rules_result_text (json_object_get_member (object, "message"));
    return message ? message : g_strdup ("failed");
  }
  return NULL;
}

/* TRUE when @word occurs in @text as a word of its own. */
static gboolean
mentions (const char *text, const char *word)
{
  gsize len = strlen (word);

  for (const char *p = strstr (text, word); p; p = strstr (p + 1, word)) {
    gboolean before = p == text || !(g_ascii_isalnum (p[-1]) || p[-1] == '_');
    gboolean after = !(g_ascii_isalnum (p[len]) || p[len] == '_');

    if (before && after)
      return TRUE;
  }
  return FALSE;
}

GPtrArray *
rules_rejected_slots (const RulesIntent *intent, const char *error)
{
  static const char *const rejection[] = {
    "argument", "missing", "invalid", "required", "parameter", "schema", "expected", NULL,
  };
  g_autofree char *lower = g_ascii_strdown (error, -1);
  GPtrArray *slots = g_ptr_array_new ();
  gboolean about_arguments = FALSE;

  for (guint i = 0; rejection[i]; i++)
    if (strstr (lower, rejection[i]))
      about_arguments = TRUE;
  for (guint a = 0; about_arguments && a < intent->argument_slots->len; a++) {
    const RulesArgument *argument = g_ptr_array_index (intent->argument_slots, a);
    g_autofree char *name = g_ascii_strdown (argument->argument, -1);

    if (!mentions (lower, name))
      continue;
    for (guint s = 0; s < argument->slots->len; s++)
      if (!g_ptr_array_find (slots, g_ptr_array_index (argument->slots, s), NULL))
        g_ptr_array_add (slots, g_ptr_array_index (argument->slots, s));
  }
  return slots;
}
