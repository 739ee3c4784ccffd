/* webhook-reply.c — a webhook's reply as a tool result or as the words of
 * an error. */
#define G_LOG_DOMAIN "tb-tool-webhook"

#include "webhook-reply.h"

#include <json-glib/json-glib.h>

#define EXCERPT_BYTES 200

static gboolean
is_blank (const guint8 *data, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isspace (data[i]))
      return FALSE;
  return TRUE;
}

char *
tb_webhook_reply_to_result (const guint8 *data, gsize len, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(JsonObject) wrapper = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonNode *root;

  if (!g_utf8_validate_len ((const char *) data, len, NULL)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL, "the reply is not UTF-8 text");
    return NULL;
  }
  if (is_blank (data, len))
    return g_strdup ("{\"ok\":true}");
  if (!json_parser_load_from_data (parser, (const char *) data, len, &parse_error)) {
    g_autofree char *excerpt = tb_webhook_reply_excerpt (data, len);

    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                 "the reply is not JSON (%s): %s", parse_error->message, excerpt);
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (JSON_NODE_HOLDS_OBJECT (root))
    return json_to_string (root, FALSE);
  wrapper = json_object_new ();
  json_object_set_member (wrapper, "result", json_node_copy (root));
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, wrapper);
  return json_to_string (node, FALSE);
}

int
tb_webhook_status_error_code (guint status)
{
  switch (status) {
  case 401: /* Unauthorized */
  case 403: /* Forbidden */
    return TB_PLUGIN_ERROR_AUTH;
  case 429: /* Too Many Requests */
    return TB_PLUGIN_ERROR_RATE_LIMITED;
  default:
    return TB_PLUGIN_ERROR_FAILED;
  }
}

char *
tb_webhook_reply_excerpt (const guint8 *data, gsize len)
{
  gsize shown = MIN (len, EXCERPT_BYTES);
  g_autofree char *valid = g_utf8_make_valid ((const char *) data, shown);
  g_autoptr(GString) excerpt = g_string_new (NULL);
  gboolean space = FALSE;

  /* Runs of white space and control characters become one space. */
  for (const char *p = valid; *p; p++) {
    if (g_ascii_isspace (*p) || g_ascii_iscntrl (*p)) {
      space = excerpt->len > 0;
    } else {
      if (space)
        g_string_append_c (excerpt, ' ');
      space = FALSE;
      g_string_append_c (excerpt, *p);
    }
  }
  if (excerpt->len == 0)
    return g_strdup ("(empty reply)");
  if (len > shown)
    g_string_append (excerpt, "…");
  return g_string_free (g_steal_pointer (&excerpt), FALSE);
}
