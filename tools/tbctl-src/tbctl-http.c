/* tbctl-http.c — tbctl's requests to the API (see tbctl-http.h). */
#define G_LOG_DOMAIN "tbctl"

#include "tbctl-http.h"

#include <stdio.h>
#include <string.h>

/* The API's {"error": ..., "fields": {...}} on stderr, or what there was. */
static void
print_refusal (Tbctl *t, guint status, const char *reason, const char *text, JsonNode *json)
{
  JsonObject *object = json && JSON_NODE_HOLDS_OBJECT (json) ? json_node_get_object (json) : NULL;
  const char *message = object ? json_object_get_string_member_with_default (object, "error",
                                                                             NULL) : NULL;
  JsonObject *fields = object && json_object_has_member (object, "fields") &&
                       JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "fields"))
                         ? json_object_get_object_member (object, "fields") : NULL;

  if (message)
    g_printerr ("tbctl: %s\n", message);
  else
    g_printerr ("tbctl: HTTP %u %s%s%.200s\n", status, reason ? reason : "",
                text && *text ? ": " : "", text ? text : "");
  if (fields) {
    g_autoptr(GList) names = json_object_get_members (fields);

    for (GList *l = names; l; l = l->next) {
      JsonNode *why = json_object_get_member (fields, l->data);

      g_printerr ("  %s: %s\n", (char *) l->data,
                  JSON_NODE_HOLDS_VALUE (why) && json_node_get_value_type (why) == G_TYPE_STRING
                    ? json_node_get_string (why) : "invalid");
    }
  }
  if (status == SOUP_STATUS_UNAUTHORIZED)
    g_printerr ("tbctl: the API wants a token: set TALKINGBITS_API_TOKEN (or --token)%s\n",
                t->options->token ? "; the one given was refused" : "");
}

gboolean
tbctl_request (Tbctl *t, const char *method, const char *path, JsonNode *body, JsonNode **out)
{
  g_autofree char *base = g_strdup (t->options->url);
  g_autofree char *uri = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *text = NULL;
  const char *type;
  gsize length = 0;
  const char *data;
  guint status;

  *out = NULL;
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  uri = g_strconcat (base, path, NULL);
  msg = soup_message_new (method, uri);
  if (!msg) {
    g_printerr ("tbctl: %s is not a URL (--url or TALKINGBITS_URL)\n", t->options->url);
    return FALSE;
  }
  if (body) {
    g_autofree char *json_text = json_to_string (body, FALSE);
    gsize n = strlen (json_text);

    soup_message_set_request_body_from_bytes (
      msg, "application/json", g_bytes_new_take (g_steal_pointer (&json_text), n));
  }
  if (t->options->token && *t->options->token) {
    g_autofree char *bearer = g_strconcat ("Bearer ", t->options->token, NULL);

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  bearer);
  }
  answer = soup_session_send_and_read (t->session, msg, NULL, &error);
  if (!answer) {
    g_printerr ("tbctl: cannot reach the Talkingbits API at %s: %s\n", base, error->message);
    return FALSE;
  }
  status = soup_message_get_status (msg);
  data = g_bytes_get_data (answer, &length);
  text = g_strndup (data ? data : "", length);
  type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  if (length > 0 && g_strcmp0 (type, "application/json") == 0) {
    g_autoptr(JsonParser) parser = json_parser_new ();

    if (json_parser_load_from_data (parser, text, (gssize) length, NULL))
      json = json_node_copy (json_parser_get_root (parser));
  }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status)) {
    print_refusal (t, status, soup_message_get_reason_phrase (msg), text, json);
    return FALSE;
  }
  if (length > 0 && !json) {
    g_printerr ("tbctl: %s %s: the answer is not JSON: %.200s\n", method, path, text);
    return FALSE;
  }
  *out = g_steal_pointer (&json);
  return TRUE;
}

void
tbctl_query_add (GString *path, const char *name, const char *value)
{
  g_autofree char *escaped = NULL;

  if (!value)
    return;
  escaped = g_uri_escape_string (value, NULL, FALSE);
  g_string_append_printf (path, "%c%s=%s", strchr (path->str, '?') ? '&' : '?', name, escaped);
}

char *
tbctl_path_escape (const char *segment)
{
  return g_uri_escape_string (segment, NULL, FALSE);
}

void
tbctl_print_json (JsonNode *node)
{
  g_autofree char *text = NULL;

  if (!node)
    return;
  text = json_to_string (node, TRUE);
  printf ("%s\n", text);
}
