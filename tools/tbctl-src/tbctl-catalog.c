/* tbctl-catalog.c — tbctl agents|numbers|tools list|show|create|update|
 * delete, and tbctl providers: the catalog as tables and key: value
 * lists, or the API's JSON with --json. */
#define G_LOG_DOMAIN "tbctl"

#include "tbctl-body.h"
#include "tbctl-http.h"
#include "tbctl-table.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  const char *kind;                 /* "agents": the path and the list's member */
  const char *singular;
  const char *const *headers;
  const char *const *members;       /* the member shown in each column */
} Kind;

static const Kind kinds[] = {
  { "agents", "agent",
    (const char *const[]) { "NAME", "NUMBERS", "STT", "TTS", "LLM", "TOOLS", "CONFIG", NULL },
    (const char *const[]) { "name", "numbers", "stt", "tts", "llm", "tools", "config_managed",
                            NULL } },
  { "numbers", "number",
    (const char *const[]) { "NUMBER", "AGENT", "DIRECTION", "CONFIG", NULL },
    (const char *const[]) { "number", "agent", "direction", "config_managed", NULL } },
  { "tools", "tool",
    (const char *const[]) { "NAME", "PLUGIN", "URL", "TIMEOUT MS", "USED BY", "CONFIG", NULL },
    (const char *const[]) { "name", "plugin", "url", "timeout_ms", "used_by", "config_managed",
                            NULL } },
};

/* "key: value" lines, keys aligned; a text of several lines goes below
 * its key, indented. */
static void
print_object (JsonObject *object)
{
  g_autoptr(GList) names = json_object_get_members (object);
  glong width = 0;

  for (GList *l = names; l; l = l->next)
    width = MAX (width, (glong) strlen (l->data));
  for (GList *l = names; l; l = l->next) {
    g_autofree char *value = tbctl_member_text (object, l->data);

    if (strchr (value, '\n')) {
      g_auto(GStrv) lines = g_strsplit (value, "\n", -1);

      printf ("%s:\n", (char *) l->data);
      for (guint i = 0; lines[i]; i++)
        printf ("    %s\n", lines[i]);
    } else {
      printf ("%s:%*s %s\n", (char *) l->data, (int) (width - strlen (l->data)), "", value);
    }
  }
}

static void
print_node (Tbctl *t, JsonNode *node)
{
  if (t->options->json)
    tbctl_print_json (node);
  else if (node && JSON_NODE_HOLDS_OBJECT (node))
    print_object (json_node_get_object (node));
}

int
tbctl_list_print (Tbctl *t, const char *path, const char *list, const char *const *headers,
                  const char *const *members, const char *empty)
{
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(TbctlTable) table = tbctl_table_new (headers);

  if (!tbctl_request (t, "GET", path, NULL, &reply))
    return TBCTL_EXIT_FAILED;
  if (t->options->json) {
    tbctl_print_json (reply);
    return TBCTL_EXIT_OK;
  }
  tbctl_table_add_list (table, reply, list, members);
  tbctl_table_print (table, empty);
  return TBCTL_EXIT_OK;
}

static int
list (Tbctl *t, const Kind *kind)
{
  g_autofree char *path = g_strconcat ("/api/v1/", kind->kind, NULL);
  g_autofree char *empty = g_strdup_printf ("no %s", kind->kind);

  return tbctl_list_print (t, path, kind->kind, kind->headers, kind->members, empty);
}

static char *
item_path (const Kind *kind, const char *key)
{
  g_autofree char *escaped = tbctl_path_escape (key);

  return g_strdup_printf ("/api/v1/%s/%s", kind->kind, escaped);
}

static int
show (Tbctl *t, const Kind *kind, const char *key)
{
  g_autofree char *path = item_path (kind, key);
  g_autoptr(JsonNode) reply = NULL;

  if (!tbctl_request (t, "GET", path, NULL, &reply))
    return TBCTL_EXIT_FAILED;
  print_node (t, reply);
  return TBCTL_EXIT_OK;
}

/* create [KEY] and update KEY: POST or PATCH with the options' body. */
static int
write_item (Tbctl *t, const Kind *kind, const char *key, gboolean create)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *path = NULL;

  if (!tbctl_body_given (t->options) && !(create && key))
    return tbctl_usage_error ("%s %s: give the %s with --set KEY=VALUE, --data JSON or "
                              "--file FILE", kind->kind, create ? "create" : "update",
                              kind->singular);
  body = tbctl_body_build (t->options, &error);
  if (!body)
    return tbctl_usage_error ("%s", error->message);
  if (create && key) {
    /* agents create NAME: the name (or number) from the command line. */
    const char *member = g_str_equal (kind->kind, "numbers") ? "number" : "name";

    json_object_set_string_member (json_node_get_object (body), member, key);
  }
  path = create ? g_strconcat ("/api/v1/", kind->kind, NULL) : item_path (kind, key);
  if (!tbctl_request (t, create ? "POST" : "PATCH", path, body, &reply))
    return TBCTL_EXIT_FAILED;
  if (!t->options->json) {
    JsonObject *object = reply && JSON_NODE_HOLDS_OBJECT (reply)
                           ? json_node_get_object (reply) : NULL;
    const char *member = g_str_equal (kind->kind, "numbers") ? "number" : "name";
    const char *name = object ? json_object_get_string_member_with_default (object, member, key)
                              : key;

    printf ("%s %s '%s'\n", create ? "created" : "updated", kind->singular, name ? name : "");
  }
  print_node (t, reply);
  return TBCTL_EXIT_OK;
}

static int
delete_item (Tbctl *t, const Kind *kind, const char *key)
{
  g_autofree char *path = item_path (kind, key);
  g_autoptr(JsonNode) reply = NULL;

  if (!tbctl_request (t, "DELETE", path, NULL, &reply))
    return TBCTL_EXIT_FAILED;
  if (!t->options->json)
    printf ("deleted %s '%s'\n", kind->singular, key);
  return TBCTL_EXIT_OK;
}

int
tbctl_catalog_run (Tbctl *t, const char *name, char **args)
{
  const Kind *kind = NULL;
  const char *verb = args[0] ? args[0] : "list";
  guint n = g_strv_length (args);
  g_autofree char *command = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_str_equal (kinds[i].kind, name))
      kind = &kinds[i];
  g_assert (kind);
  command = g_strdup_printf ("%s %s", name, verb);
  if (!tbctl_options_allowed (t, command, g_str_equal (verb, "create") ||
                                          g_str_equal (verb, "update") ? TBCTL_OPT_BODY : 0))
    return TBCTL_EXIT_USAGE;
  if (g_str_equal (verb, "list"))
    return n <= 1 ? list (t, kind)
                  : tbctl_usage_error ("%s list takes no argument", name);
  if (g_str_equal (verb, "create"))
    return n <= 2 ? write_item (t, kind, args[1], TRUE)
                  : tbctl_usage_error ("%s create takes at most one argument", name);
  if (!g_str_equal (verb, "show") && !g_str_equal (verb, "update") &&
      !g_str_equal (verb, "delete"))
    return tbctl_usage_error ("%s: unknown command '%s' (list, show, create, update, delete)",
                              name, verb);
  if (n != 2)
    return tbctl_usage_error ("%s %s takes one argument", name, verb);
  if (g_str_equal (verb, "show"))
    return show (t, kind, args[1]);
  if (g_str_equal (verb, "update"))
    return write_item (t, kind, args[1], FALSE);
  return delete_item (t, kind, args[1]);
}

int
tbctl_providers_run (Tbctl *t, char **args)
{
  static const char *const headers[] = {
    "KIND", "NAME", "PLUGIN", "VERSION", "CONFIGURED", "DESCRIPTION", NULL
  };
  static const char *const members[] = {
    "kind", "name", "plugin", "version", "configured", "description", NULL
  };

  if (args[0])
    return tbctl_usage_error ("providers takes no argument");
  if (!tbctl_options_allowed (t, "providers", 0))
    return TBCTL_EXIT_USAGE;
  return tbctl_list_print (t, "/api/v1/providers", "providers", headers, members,
                           "no providers");
}
