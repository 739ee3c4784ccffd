/* tbctl-body.c — request bodies from options (see tbctl-body.h). */
#define G_LOG_DOMAIN "tbctl"

#include "tbctl-body.h"

#include <string.h>

/* @text parsed as a JSON object, merged member by member into @into. */
static gboolean
merge_object (JsonObject *into, const char *text, const char *what, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) parse_error = NULL;
  JsonNode *root;
  JsonObject *object;
  g_autoptr(GList) names = NULL;

  if (!json_parser_load_from_data (parser, text, -1, &parse_error)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: invalid JSON: %s", what,
                 parse_error->message);
    return FALSE;
  }
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: a JSON object is expected",
                 what);
    return FALSE;
  }
  object = json_node_get_object (root);
  names = json_object_get_members (object);
  for (GList *l = names; l; l = l->next)
    json_object_set_member (into, l->data,
                            json_node_copy (json_object_get_member (object, l->data)));
  return TRUE;
}

/* VALUE of --set: JSON when it parses, else the text as a string. */
static JsonNode *
set_value (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *node;

  if (*text && json_parser_load_from_data (parser, text, -1, NULL) &&
      json_parser_get_root (parser))
    return json_node_copy (json_parser_get_root (parser));
  node = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (node, text);
  return node;
}

static gboolean
apply_set (JsonObject *body, const char *assignment, GError **error)
{
  const char *equals = strchr (assignment, '=');
  g_autofree char *key = NULL;
  g_auto(GStrv) path = NULL;
  JsonObject *object = body;
  guint n;

  if (!equals || equals == assignment) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "--set %s: KEY=VALUE is expected", assignment);
    return FALSE;
  }
  key = g_strndup (assignment, equals - assignment);
  path = g_strsplit (key, ".", -1);
  n = g_strv_length (path);
  for (guint i = 0; i + 1 < n; i++) {
    JsonNode *inner = json_object_get_member (object, path[i]);

    if (!*path[i]) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "--set %s: an empty name in the key", assignment);
      return FALSE;
    }
    if (!inner || !JSON_NODE_HOLDS_OBJECT (inner)) {
      json_object_set_object_member (object, path[i], json_object_new ());
      inner = json_object_get_member (object, path[i]);
    }
    object = json_node_get_object (inner);
  }
  if (!*path[n - 1]) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "--set %s: an empty name in the key", assignment);
    return FALSE;
  }
  json_object_set_member (object, path[n - 1], set_value (equals + 1));
  return TRUE;
}

gboolean
tbctl_body_given (const TbctlOptions *options)
{
  return options->file || options->data || (options->set && options->set[0]);
}

JsonNode *
tbctl_body_build (const TbctlOptions *options, GError **error)
{
  g_autoptr(JsonObject) body = json_object_new ();

  if (options->file) {
    g_autofree char *text = NULL;
    g_autofree char *what = g_strdup_printf ("--file %s", options->file);

    if (!g_file_get_contents (options->file, &text, NULL, error)) {
      g_prefix_error (error, "--file: ");
      return NULL;
    }
    if (!merge_object (body, text, what, error))
      return NULL;
  }
  if (options->data && !merge_object (body, options->data, "--data", error))
    return NULL;
  for (guint i = 0; options->set && options->set[i]; i++)
    if (!apply_set (body, options->set[i], error))
      return NULL;
  return json_node_init_object (json_node_alloc (), body);
}
