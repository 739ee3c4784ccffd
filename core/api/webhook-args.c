/* webhook-args.c — a built-in webhook's arguments checked, with every
 * problem named by its field. */
#define G_LOG_DOMAIN "tb-webhooks"

#include "webhook-args.h"

#include "business-hours.h"
#include "http-json.h"

#include <string.h>

static const char expected_day[] = "a date as YYYY-MM-DD";
static const char expected_time[] = "a time of day as HH:MM (24-hour clock)";

void
tb_webhook_args_init (TbWebhookArgs *args, JsonObject *arguments)
{
  args->arguments = arguments;
  args->fields = json_object_new ();
  args->message = g_string_new (NULL);
}

void
tb_webhook_args_clear (TbWebhookArgs *args)
{
  g_clear_pointer (&args->fields, json_object_unref);
  if (args->message)
    g_string_free (g_steal_pointer (&args->message), TRUE);
}

void
tb_webhook_args_fail (TbWebhookArgs *args, const char *name, const char *why)
{
  if (json_object_has_member (args->fields, name))
    return;
  /* "arguments.day is missing", "arguments.day: 'x' is not ..." */
  g_string_append_printf (args->message, "%sarguments.%s%s%s", args->message->len ? "; " : "",
                          name, why[0] == ':' ? "" : " ", why);
  if (why[0] == ':')
    why += 2;
  json_object_set_string_member (args->fields, name, why);
}

gboolean
tb_webhook_args_has (TbWebhookArgs *args, const char *name)
{
  JsonNode *node = json_object_get_member (args->arguments, name);

  return node && !JSON_NODE_HOLDS_NULL (node);
}

const char *
tb_webhook_args_string (TbWebhookArgs *args, const char *name, gboolean required,
                        const char *expected, guint max_chars)
{
  JsonNode *node = json_object_get_member (args->arguments, name);
  const char *text;

  if (!node || JSON_NODE_HOLDS_NULL (node)) {
    if (required) {
      g_autofree char *why = g_strdup_printf ("is missing: %s is expected", expected);

      tb_webhook_args_fail (args, name, why);
    }
    return NULL;
  }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING) {
    g_autofree char *why = g_strdup_printf ("must be a string: %s", expected);

    tb_webhook_args_fail (args, name, why);
    return NULL;
  }
  text = json_node_get_string (node);
  if (g_utf8_strlen (text, -1) > (glong) max_chars) {
    g_autofree char *why = g_strdup_printf ("is too long: at most %u characters", max_chars);

    tb_webhook_args_fail (args, name, why);
    return NULL;
  }
  return text;
}

gboolean
tb_webhook_args_value (TbWebhookArgs *args, const char *name, const char *text, gboolean valid,
                       const char *expected)
{
  if (text && !valid) {
    g_autofree char *why = g_strdup_printf (": '%s' is not %s", text, expected);

    tb_webhook_args_fail (args, name, why);
  }
  return text && valid;
}

gboolean
tb_webhook_args_day (TbWebhookArgs *args, const char *name, gboolean required, GDate *day)
{
  const char *text = tb_webhook_args_string (args, name, required, expected_day, 64);

  return tb_webhook_args_value (args, name, text, text && tb_day_parse (text, day),
                                expected_day);
}

gboolean
tb_webhook_args_time (TbWebhookArgs *args, const char *name, gboolean required, guint *minute)
{
  const char *text = tb_webhook_args_string (args, name, required, expected_time, 64);

  return tb_webhook_args_value (args, name, text, text && tb_minute_parse (text, minute),
                                expected_time);
}

gboolean
tb_webhook_args_id (TbWebhookArgs *args, const char *name, guint64 *id)
{
  JsonNode *node = json_object_get_member (args->arguments, name);
  const char *text;
  char *end = NULL;

  *id = 0;
  if (!node || JSON_NODE_HOLDS_NULL (node))
    return FALSE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64) {
    gint64 n = json_node_get_int (node);

    *id = n > 0 ? (guint64) n : 0;
  } else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING) {
    text = json_node_get_string (node);
    if (g_ascii_isdigit (text[0]))
      *id = g_ascii_strtoull (text, &end, 10);
    if (!end || *end)
      *id = 0;
  }
  if (*id == 0 || *id > G_MAXINT64) {
    *id = 0;
    tb_webhook_args_fail (args, name, "must be an appointment number, a whole number above 0");
    return FALSE;
  }
  return TRUE;
}

gboolean
tb_webhook_args_reply_invalid (TbWebhookArgs *args, SoupServerMessage *msg)
{
  g_autoptr(JsonBuilder) builder = NULL;

  if (args->message->len == 0)
    return FALSE;
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, args->message->str);
  json_builder_set_member_name (builder, "fields");
  json_builder_add_value (builder, json_node_init_object (json_node_alloc (), args->fields));
  json_builder_end_object (builder);
  tb_http_reply_builder (msg, SOUP_STATUS_BAD_REQUEST, builder);
  return TRUE;
}
