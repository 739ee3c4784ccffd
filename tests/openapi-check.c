/* openapi-check.c — the tests' OpenAPI checker (see openapi-check.h). */
#define G_LOG_DOMAIN "tb-test-openapi"

#include "openapi-check.h"

#include <string.h>

struct _TbOpenApi {
  JsonParser *parser;
  JsonNode *root;
};

/* Keywords a schema may hold: those validated, and annotations. */
static const char *const schema_keywords[] = {
  "type", "nullable", "properties", "required", "additionalProperties", "items", "enum",
  "pattern", "minimum", "maximum", "format", "$ref",
  "description", "readOnly", "writeOnly", "title", "example", "default", "deprecated", NULL
};
static const char *const known_formats[] = { "date-time", "date", "uuid", NULL };
static const char *const methods[] = {
  "get", "put", "post", "patch", "delete", "head", "options", NULL
};

static TbOpenApi *
load (JsonParser *parser, GError **error)
{
  TbOpenApi *api;
  JsonNode *root = json_parser_get_root (parser);

  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                 "an OpenAPI document is a JSON object");
    g_object_unref (parser);
    return NULL;
  }
  api = g_new0 (TbOpenApi, 1);
  api->parser = parser;
  api->root = root;
  return api;
}

TbOpenApi *
tb_openapi_load (const char *path, GError **error)
{
  JsonParser *parser = json_parser_new ();

  if (!json_parser_load_from_file (parser, path, error)) {
    g_prefix_error (error, "%s: ", path);
    g_object_unref (parser);
    return NULL;
  }
  return load (parser, error);
}

TbOpenApi *
tb_openapi_load_data (const char *json, GError **error)
{
  JsonParser *parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, json, -1, error)) {
    g_object_unref (parser);
    return NULL;
  }
  return load (parser, error);
}

void
tb_openapi_free (TbOpenApi *api)
{
  if (!api)
    return;
  g_object_unref (api->parser);
  g_free (api);
}

/* ---- references -------------------------------------------------------- */

/* The node "#/a/b" points to in the document, or NULL. */
static JsonNode *
resolve (TbOpenApi *api, const char *ref)
{
  g_auto(GStrv) parts = NULL;
  JsonNode *node = api->root;

  if (!g_str_has_prefix (ref, "#/"))
    return NULL;
  parts = g_strsplit (ref + 2, "/", -1);
  for (guint i = 0; parts[i] && node; i++) {
    g_autoptr(GString) key = g_string_new (parts[i]);

    g_string_replace (key, "~1", "/", 0);
    g_string_replace (key, "~0", "~", 0);
    if (JSON_NODE_HOLDS_OBJECT (node)) {
      node = json_object_get_member (json_node_get_object (node), key->str);
    } else if (JSON_NODE_HOLDS_ARRAY (node)) {
      JsonArray *array = json_node_get_array (node);
      guint64 index;

      if (!g_ascii_string_to_unsigned (key->str, 10, 0, G_MAXUINT, &index, NULL) ||
          index >= json_array_get_length (array))
        return NULL;
      node = json_array_get_element (array, (guint) index);
    } else {
      return NULL;
    }
  }
  return node;
}

/* @node with its $ref followed (several times, at most 16); NULL when a
 * reference does not resolve. */
static JsonNode *
deref (TbOpenApi *api, JsonNode *node)
{
  for (guint hops = 0; node && JSON_NODE_HOLDS_OBJECT (node) && hops < 16; hops++) {
    JsonObject *object = json_node_get_object (node);

    if (!json_object_has_member (object, "$ref"))
      return node;
    node = resolve (api, json_object_get_string_member_with_default (object, "$ref", ""));
  }
  return node;
}

JsonNode *
tb_openapi_component (TbOpenApi *api, const char *name)
{
  g_autofree char *ref = g_strconcat ("#/components/schemas/", name, NULL);

  return resolve (api, ref);
}

/* ---- the document ------------------------------------------------------ */

static void
problem (GPtrArray *problems, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
problem (GPtrArray *problems, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (problems, g_strdup_vprintf (format, args));
  va_end (args);
}

/* Every {"$ref": ...} under @node resolves. */
static void
check_refs (TbOpenApi *api, JsonNode *node, const char *where, GPtrArray *problems)
{
  if (JSON_NODE_HOLDS_OBJECT (node)) {
    JsonObject *object = json_node_get_object (node);
    g_autoptr(GList) names = json_object_get_members (object);

    for (GList *l = names; l; l = l->next) {
      JsonNode *member = json_object_get_member (object, l->data);
      g_autofree char *inner = g_strdup_printf ("%s/%s", where, (char *) l->data);

      if (g_str_equal (l->data, "$ref")) {
        const char *ref = JSON_NODE_HOLDS_VALUE (member) ? json_node_get_string (member) : NULL;

        if (!ref || !resolve (api, ref))
          problem (problems, "%s: $ref %s does not resolve", where, ref ? ref : "(not a string)");
      } else {
        check_refs (api, member, inner, problems);
      }
    }
  } else if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *array = json_node_get_array (node);

    for (guint i = 0; i < json_array_get_length (array); i++) {
      g_autofree char *inner = g_strdup_printf ("%s/%u", where, i);

      check_refs (api, json_array_get_element (array, i), inner, problems);
    }
  }
}

/* A schema's keywords are all understood; its inner schemas too. */
static void
check_schema (JsonNode *schema, const char *where, GPtrArray *problems)
{
  JsonObject *object;
  g_autoptr(GList) names = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (schema)) {
    problem (problems, "%s: a schema is an object", where);
    return;
  }
  object = json_node_get_object (schema);
  names = json_object_get_members (object);
  for (GList *l = names; l; l = l->next) {
    const char *name = l->data;
    JsonNode *member = json_object_get_member (object, name);
    g_autofree char *inner = g_strdup_printf ("%s/%s", where, name);

    if (!g_strv_contains (schema_keywords, name))
      problem (problems, "%s: keyword %s is not understood by the checker", where, name);
    else if (g_str_equal (name, "properties") && JSON_NODE_HOLDS_OBJECT (member)) {
      JsonObject *properties = json_node_get_object (member);
      g_autoptr(GList) keys = json_object_get_members (properties);

      for (GList *k = keys; k; k = k->next) {
        g_autofree char *property = g_strdup_printf ("%s/%s", inner, (char *) k->data);

        check_schema (json_object_get_member (properties, k->data), property, problems);
      }
    } else if (g_str_equal (name, "items") ||
               (g_str_equal (name, "additionalProperties") && JSON_NODE_HOLDS_OBJECT (member))) {
      check_schema (member, inner, problems);
    } else if (g_str_equal (name, "format") &&
               (!JSON_NODE_HOLDS_VALUE (member) ||
                json_node_get_value_type (member) != G_TYPE_STRING ||
                !g_strv_contains (known_formats, json_node_get_string (member)))) {
      g_autofree char *text = json_to_string (member, FALSE);

      problem (problems, "%s: format %s is not understood by the checker", where, text);
    } else if (g_str_equal (name, "required") && JSON_NODE_HOLDS_ARRAY (member)) {
      JsonNode *props = json_object_get_member (object, "properties");
      JsonArray *required = json_node_get_array (member);

      for (guint i = 0; i < json_array_get_length (required); i++) {
        const char *field = json_array_get_string_element (required, i);

        if (!props || !JSON_NODE_HOLDS_OBJECT (props) ||
            !json_object_has_member (json_node_get_object (props), field))
          problem (problems, "%s: required %s is not among the properties", where, field);
      }
    }
  }
}

/* The {name} parameters of a path template. */
static GPtrArray *
template_parameters (const char *template)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  for (const char *p = strchr (template, '{'); p; p = strchr (p + 1, '{')) {
    const char *end = strchr (p, '}');

    if (end)
      g_ptr_array_add (names, g_strndup (p + 1, end - p - 1));
  }
  return names;
}

/* TRUE when @parameters (a "parameters" array, maybe NULL) declares the
 * path parameter @name. */
static gboolean
declares_path_parameter (TbOpenApi *api, JsonNode *parameters, const char *name)
{
  JsonArray *array;

  if (!parameters || !JSON_NODE_HOLDS_ARRAY (parameters))
    return FALSE;
  array = json_node_get_array (parameters);
  for (guint i = 0; i < json_array_get_length (array); i++) {
    JsonNode *p = deref (api, json_array_get_element (array, i));
    JsonObject *o = p && JSON_NODE_HOLDS_OBJECT (p) ? json_node_get_object (p) : NULL;

    if (o && g_strcmp0 (json_object_get_string_member_with_default (o, "in", ""), "path") == 0 &&
        g_strcmp0 (json_object_get_string_member_with_default (o, "name", ""), name) == 0)
      return TRUE;
  }
  return FALSE;
}

static void
check_operation (TbOpenApi *api, const char *template, const char *method, JsonObject *item,
                 GPtrArray *problems)
{
  JsonNode *node = json_object_get_member (item, method);
  JsonObject *operation = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonNode *responses = operation ? json_object_get_member (operation, "responses") : NULL;
  g_autoptr(GPtrArray) names = template_parameters (template);
  g_autoptr(GList) codes = NULL;

  if (!responses || !JSON_NODE_HOLDS_OBJECT (responses) ||
      json_object_get_size (json_node_get_object (responses)) == 0) {
    problem (problems, "%s %s: no responses", method, template);
    return;
  }
  for (guint i = 0; i < names->len; i++)
    if (!declares_path_parameter (api, json_object_get_member (item, "parameters"),
                                  names->pdata[i]) &&
        !declares_path_parameter (api, json_object_get_member (operation, "parameters"),
                                  names->pdata[i]))
      problem (problems, "%s %s: path parameter %s is not declared", method, template,
               (char *) names->pdata[i]);
  codes = json_object_get_members (json_node_get_object (responses));
  for (GList *l = codes; l; l = l->next) {
    JsonNode *response = deref (api, json_object_get_member (json_node_get_object (responses),
                                                             l->data));
    JsonObject *r = response && JSON_NODE_HOLDS_OBJECT (response)
                      ? json_node_get_object (response) : NULL;

    if (!r || !json_object_has_member (r, "description"))
      problem (problems, "%s %s %s: a response needs a description", method, template,
               (char *) l->data);
  }
}

GPtrArray *
tb_openapi_check_document (TbOpenApi *api)
{
  GPtrArray *problems = g_ptr_array_new_with_free_func (g_free);
  JsonObject *root = json_node_get_object (api->root);
  JsonNode *paths = json_object_get_member (root, "paths");
  JsonNode *schemas = resolve (api, "#/components/schemas");

  if (g_strcmp0 (json_object_get_string_member_with_default (root, "openapi", ""), "3.0.3") != 0)
    problem (problems, "openapi is not 3.0.3");
  if (!json_object_has_member (root, "info"))
    problem (problems, "no info");
  check_refs (api, api->root, "#", problems);
  if (!paths || !JSON_NODE_HOLDS_OBJECT (paths) ||
      json_object_get_size (json_node_get_object (paths)) == 0) {
    problem (problems, "no paths");
  } else {
    g_autoptr(GList) templates = json_object_get_members (json_node_get_object (paths));

    for (GList *l = templates; l; l = l->next) {
      JsonNode *item = json_object_get_member (json_node_get_object (paths), l->data);
      guint n = 0;

      if (!JSON_NODE_HOLDS_OBJECT (item)) {
        problem (problems, "%s: a path item is an object", (char *) l->data);
        continue;
      }
      for (guint i = 0; methods[i]; i++)
        if (json_object_has_member (json_node_get_object (item), methods[i])) {
          check_operation (api, l->data, methods[i], json_node_get_object (item), problems);
          n++;
        }
      if (n == 0)
        problem (problems, "%s: no operations", (char *) l->data);
    }
  }
  if (schemas && JSON_NODE_HOLDS_OBJECT (schemas)) {
    g_autoptr(GList) names = json_object_get_members (json_node_get_object (schemas));

    for (GList *l = names; l; l = l->next) {
      g_autofree char *where = g_strdup_printf ("#/components/schemas/%s", (char *) l->data);

      check_schema (json_object_get_member (json_node_get_object (schemas), l->data), where,
                    problems);
    }
  }
  return problems;
}

/* ---- values against schemas -------------------------------------------- */

static const char *
type_of (JsonNode *value)
{
  if (JSON_NODE_HOLDS_NULL (value))
    return "null";
  if (JSON_NODE_HOLDS_OBJECT (value))
    return "object";
  if (JSON_NODE_HOLDS_ARRAY (value))
    return "array";
  switch (json_node_get_value_type (value)) {
  case G_TYPE_STRING:
    return "string";
  case G_TYPE_BOOLEAN:
    return "boolean";
  case G_TYPE_INT64:
    return "integer";
  case G_TYPE_DOUBLE:
    return "number";
  default:
    return "unknown";
  }
}

static gboolean
has_type (JsonNode *value, const char *type)
{
  const char *actual = type_of (value);

  return g_str_equal (actual, type) ||
         (g_str_equal (type, "number") && g_str_equal (actual, "integer"));
}

static gboolean
matches (const char *pattern, const char *text)
{
  return g_regex_match_simple (pattern, text, 0, 0);
}

static gboolean
format_holds (const char *format, const char *text)
{
  if (g_str_equal (format, "date-time"))
    return matches ("^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?"
                    "(Z|[+-][0-9]{2}(:?[0-9]{2})?)$", text);
  if (g_str_equal (format, "date"))
    return matches ("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", text);
  if (g_str_equal (format, "uuid"))
    return matches ("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                    "[0-9a-fA-F]{12}$", text);
  return TRUE;
}

static double
number_of (JsonNode *value)
{
  return json_node_get_value_type (value) == G_TYPE_INT64 ? (double) json_node_get_int (value)
                                                          : json_node_get_double (value);
}

static char *
short_text (JsonNode *value)
{
  g_autofree char *text = json_to_string (value, FALSE);

  if (strlen (text) > 60)
    return g_strdup_printf ("%.57s...", text);
  return g_steal_pointer (&text);
}

static void validate (TbOpenApi *api, JsonNode *schema, JsonNode *value, const char *where,
                      GPtrArray *problems);

static void
validate_object (TbOpenApi *api, JsonObject *s, JsonObject *object, const char *where,
                 GPtrArray *problems)
{
  JsonNode *properties_node = json_object_get_member (s, "properties");
  JsonObject *properties = properties_node && JSON_NODE_HOLDS_OBJECT (properties_node)
                             ? json_node_get_object (properties_node) : NULL;
  JsonNode *required = json_object_get_member (s, "required");
  JsonNode *additional = json_object_get_member (s, "additionalProperties");
  g_autoptr(GList) names = json_object_get_members (object);

  if (required && JSON_NODE_HOLDS_ARRAY (required)) {
    JsonArray *array = json_node_get_array (required);

    for (guint i = 0; i < json_array_get_length (array); i++) {
      const char *name = json_array_get_string_element (array, i);

      if (!json_object_has_member (object, name))
        problem (problems, "%s: the required field %s is missing", where, name);
    }
  }
  for (GList *l = names; l; l = l->next) {
    const char *name = l->data;
    JsonNode *member = json_object_get_member (object, name);
    g_autofree char *inner = g_strdup_printf ("%s.%s", where, name);

    if (properties && json_object_has_member (properties, name))
      validate (api, json_object_get_member (properties, name), member, inner, problems);
    else if (additional && JSON_NODE_HOLDS_VALUE (additional) &&
             json_node_get_value_type (additional) == G_TYPE_BOOLEAN &&
             !json_node_get_boolean (additional))
      problem (problems, "%s: the field %s is not in the schema", where, name);
    else if (additional && JSON_NODE_HOLDS_OBJECT (additional))
      validate (api, additional, member, inner, problems);
  }
}

static void
validate (TbOpenApi *api, JsonNode *schema_node, JsonNode *value, const char *where,
          GPtrArray *problems)
{
  JsonNode *resolved = deref (api, schema_node);
  JsonObject *s;
  const char *type;
  JsonNode *enumeration;

  if (!resolved || !JSON_NODE_HOLDS_OBJECT (resolved)) {
    problem (problems, "%s: the schema does not resolve", where);
    return;
  }
  s = json_node_get_object (resolved);
  type = json_object_get_string_member_with_default (s, "type", NULL);
  if (JSON_NODE_HOLDS_NULL (value)) {
    if (!json_object_get_boolean_member_with_default (s, "nullable", FALSE))
      problem (problems, "%s: null where %s is expected (not nullable)", where,
               type ? type : "a value");
    return;
  }
  if (type && !has_type (value, type)) {
    g_autofree char *text = short_text (value);

    problem (problems, "%s: %s where %s is expected: %s", where, type_of (value), type, text);
    return;
  }
  enumeration = json_object_get_member (s, "enum");
  if (enumeration && JSON_NODE_HOLDS_ARRAY (enumeration)) {
    JsonArray *array = json_node_get_array (enumeration);
    gboolean found = FALSE;

    for (guint i = 0; i < json_array_get_length (array) && !found; i++)
      found = json_node_equal (json_array_get_element (array, i), value);
    if (!found) {
      g_autofree char *text = short_text (value);
      g_autofree char *allowed = json_to_string (enumeration, FALSE);

      problem (problems, "%s: %s is not one of %s", where, text, allowed);
    }
  }
  if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING) {
    const char *text = json_node_get_string (value);
    const char *format = json_object_get_string_member_with_default (s, "format", NULL);
    const char *pattern = json_object_get_string_member_with_default (s, "pattern", NULL);

    if (format && !format_holds (format, text))
      problem (problems, "%s: \"%s\" is not a %s", where, text, format);
    if (pattern && !matches (pattern, text))
      problem (problems, "%s: \"%s\" does not match %s", where, text, pattern);
  }
  if (has_type (value, "number")) {
    double n = number_of (value);

    if (json_object_has_member (s, "minimum") &&
        n < json_object_get_double_member (s, "minimum"))
      problem (problems, "%s: %g is below the minimum %g", where, n,
               json_object_get_double_member (s, "minimum"));
    if (json_object_has_member (s, "maximum") &&
        n > json_object_get_double_member (s, "maximum"))
      problem (problems, "%s: %g is above the maximum %g", where, n,
               json_object_get_double_member (s, "maximum"));
  }
  if (JSON_NODE_HOLDS_OBJECT (value))
    validate_object (api, s, json_node_get_object (value), where, problems);
  if (JSON_NODE_HOLDS_ARRAY (value) && json_object_has_member (s, "items")) {
    JsonArray *array = json_node_get_array (value);

    for (guint i = 0; i < json_array_get_length (array); i++) {
      g_autofree char *inner = g_strdup_printf ("%s[%u]", where, i);

      validate (api, json_object_get_member (s, "items"), json_array_get_element (array, i),
                inner, problems);
    }
  }
}

gboolean
tb_openapi_validate (TbOpenApi *api, JsonNode *schema, JsonNode *value, GPtrArray *problems)
{
  guint before = problems->len;

  validate (api, schema, value, "$", problems);
  return problems->len == before;
}

/* ---- operations ---------------------------------------------------------- */

/* How many literal segments @template has when it matches @path; -1 when
 * it does not. */
static int
template_score (const char *template, const char *path)
{
  g_auto(GStrv) t = g_strsplit (template, "/", -1);
  g_auto(GStrv) p = g_strsplit (path, "/", -1);
  int literal = 0;

  if (g_strv_length (t) != g_strv_length (p))
    return -1;
  for (guint i = 0; t[i]; i++) {
    if (t[i][0] == '{' && g_str_has_suffix (t[i], "}")) {
      if (!*p[i])
        return -1;
    } else if (!g_str_equal (t[i], p[i])) {
      return -1;
    } else {
      literal++;
    }
  }
  return literal;
}

const char *
tb_openapi_match_path (TbOpenApi *api, const char *path)
{
  JsonNode *paths = json_object_get_member (json_node_get_object (api->root), "paths");
  g_autoptr(GList) templates = NULL;
  const char *best = NULL;
  int best_score = -1;

  if (!paths || !JSON_NODE_HOLDS_OBJECT (paths))
    return NULL;
  templates = json_object_get_members (json_node_get_object (paths));
  for (GList *l = templates; l; l = l->next) {
    int score = template_score (l->data, path);

    if (score > best_score) {
      best_score = score;
      best = l->data;
    }
  }
  return best;
}

/* The response object of @operation for @status: exact, then "4XX", then
 * "default"; NULL when none. */
static JsonObject *
find_response (TbOpenApi *api, JsonObject *operation, guint status)
{
  JsonNode *responses = json_object_get_member (operation, "responses");
  g_autofree char *exact = g_strdup_printf ("%u", status);
  g_autofree char *range = g_strdup_printf ("%uXX", status / 100);
  const char *const keys[] = { exact, range, "default", NULL };

  if (!responses || !JSON_NODE_HOLDS_OBJECT (responses))
    return NULL;
  for (guint i = 0; keys[i]; i++) {
    JsonNode *node = json_object_get_member (json_node_get_object (responses), keys[i]);

    node = node ? deref (api, node) : NULL;
    if (node && JSON_NODE_HOLDS_OBJECT (node))
      return json_node_get_object (node);
  }
  return NULL;
}

gboolean
tb_openapi_check_response (TbOpenApi *api, const char *method, const char *path,
                           guint status, const char *content_type, JsonNode *body,
                           GPtrArray *problems)
{
  guint before = problems->len;
  const char *template = tb_openapi_match_path (api, path);
  g_autofree char *lower = g_ascii_strdown (method, -1);
  g_autofree char *prefix = g_strdup_printf ("%s %s %u: ", method, path, status);
  JsonNode *item, *operation_node, *content, *media, *schema;
  JsonObject *response;

  if (!template) {
    problem (problems, "%sno path of the document matches", prefix);
    return FALSE;
  }
  item = json_object_get_member (
    json_node_get_object (json_object_get_member (json_node_get_object (api->root), "paths")),
    template);
  operation_node = json_object_get_member (json_node_get_object (item), lower);
  if (!operation_node || !JSON_NODE_HOLDS_OBJECT (operation_node)) {
    problem (problems, "%s%s has no %s operation", prefix, template, method);
    return FALSE;
  }
  response = find_response (api, json_node_get_object (operation_node), status);
  if (!response) {
    problem (problems, "%s%s %s does not list this status", prefix, method, template);
    return FALSE;
  }
  content = json_object_get_member (response, "content");
  if (!content || !JSON_NODE_HOLDS_OBJECT (content)) {
    if (content_type)
      problem (problems, "%sa body (%s) where the document describes none", prefix,
               content_type);
    return problems->len == before;
  }
  if (!content_type) {
    problem (problems, "%sno body where the document describes one", prefix);
    return FALSE;
  }
  media = json_object_get_member (json_node_get_object (content), content_type);
  if (!media || !JSON_NODE_HOLDS_OBJECT (media)) {
    problem (problems, "%scontent type %s is not the document's", prefix, content_type);
    return FALSE;
  }
  schema = json_object_get_member (json_node_get_object (media), "schema");
  if (schema && g_str_equal (content_type, "application/json")) {
    g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);

    if (!body) {
      problem (problems, "%sthe body is not JSON", prefix);
      return FALSE;
    }
    validate (api, schema, body, "$", found);
    for (guint i = 0; i < found->len; i++)
      problem (problems, "%s%s", prefix, (char *) found->pdata[i]);
  }
  return problems->len == before;
}
