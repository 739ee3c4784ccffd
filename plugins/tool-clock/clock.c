/* clock.c — tool plugin "clock": the current date and time in a time zone,
 * so an agent can answer "what time is it in Madrid?" or reason about
 * "tomorrow" without guessing. */
#define G_LOG_DOMAIN "tb-tool-clock"

#include <talkingbits-plugin.h>
#include <json-glib/json-glib.h>

typedef struct {
  char *default_timezone;
  TbToolFunction functions[2];
} Clock;

typedef struct {
  TbToolCallbacks callbacks;
  gpointer user_data;
  char *result;
  GError *error;
  GCancellable *cancellable;
} Reply;

static const TbConfigKey clock_keys[] = {
  { .name = "default-timezone", .type = TB_CONFIG_TYPE_STRING, .default_value = "UTC",
    .help = "IANA time zone used when the caller names none, for example Europe/Madrid" },
  { NULL }
};

static const char current_time_schema[] =
  "{\"type\":\"object\",\"properties\":{\"timezone\":{\"type\":\"string\","
  "\"description\":\"IANA time zone such as America/New_York; omit for the business's own\"}},"
  "\"additionalProperties\":false}";

static gpointer
clock_instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  const char *zone = NULL;
  g_autoptr(GTimeZone) tz = NULL;
  Clock *clock;

  g_variant_lookup (settings, "default-timezone", "&s", &zone);
  tz = g_time_zone_new_identifier (zone);
  if (!tz) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "default-timezone: unknown time zone '%s'", zone);
    return NULL;
  }
  clock = g_new0 (Clock, 1);
  clock->default_timezone = g_strdup (zone);
  clock->functions[0] = (TbToolFunction) {
    "current_time", "The current date, weekday and time in a time zone", current_time_schema
  };
  return clock;
}

static void
clock_instance_free (gpointer instance)
{
  Clock *clock = instance;

  g_free (clock->default_timezone);
  g_free (clock);
}

static const TbToolFunction *
clock_functions (gpointer instance)
{
  return ((Clock *) instance)->functions;
}

static char *
describe_now (const char *zone, GError **error)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier (zone);
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *iso = NULL, *date = NULL, *time = NULL, *weekday = NULL;

  if (!tz) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "unknown time zone '%s'", zone);
    return NULL;
  }
  now = g_date_time_new_now (tz);
  iso = g_date_time_format_iso8601 (now);
  date = g_date_time_format (now, "%Y-%m-%d");
  time = g_date_time_format (now, "%H:%M");
  weekday = g_date_time_format (now, "%A");

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "timezone");
  json_builder_add_string_value (builder, zone);
  json_builder_set_member_name (builder, "iso8601");
  json_builder_add_string_value (builder, iso);
  json_builder_set_member_name (builder, "date");
  json_builder_add_string_value (builder, date);
  json_builder_set_member_name (builder, "weekday");
  json_builder_add_string_value (builder, weekday);
  json_builder_set_member_name (builder, "time");
  json_builder_add_string_value (builder, time);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static gboolean
reply_dispatch (gpointer data)
{
  Reply *reply = data;

  if (g_cancellable_is_cancelled (reply->cancellable)) {
    g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                       "cancelled");

    reply->callbacks.error (cancelled, reply->user_data);
  } else if (reply->error) {
    reply->callbacks.error (reply->error, reply->user_data);
  } else {
    reply->callbacks.result (reply->result, reply->user_data);
  }
  return G_SOURCE_REMOVE;
}

static void
reply_free (gpointer data)
{
  Reply *reply = data;

  g_free (reply->result);
  g_clear_error (&reply->error);
  g_clear_object (&reply->cancellable);
  g_free (reply);
}

/* The zone named in the arguments, or NULL when none is named. */
static char *
requested_zone (const char *arguments_json, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *object;

  if (!arguments_json || !*arguments_json)
    return NULL;
  if (!json_parser_load_from_data (parser, arguments_json, -1, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED, "arguments must be an object");
    return NULL;
  }
  object = json_node_get_object (root);
  if (!json_object_has_member (object, "timezone"))
    return NULL;
  return g_strdup (json_object_get_string_member_with_default (object, "timezone", ""));
}

static void
clock_invoke (gpointer instance, const TbToolInvocation *invocation,
              const TbToolCallbacks *callbacks, gpointer user_data,
              GCancellable *cancellable)
{
  Clock *clock = instance;
  Reply *reply = g_new0 (Reply, 1);
  g_autofree char *zone = NULL;
  GSource *source;

  reply->callbacks = *callbacks;
  reply->user_data = user_data;
  reply->cancellable = cancellable ? g_object_ref (cancellable) : NULL;

  if (g_strcmp0 (invocation->function, "current_time") != 0) {
    g_set_error (&reply->error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "no function '%s' in the clock tool", invocation->function);
  } else {
    zone = requested_zone (invocation->arguments_json, &reply->error);
    if (!reply->error)
      reply->result = describe_now (zone && *zone ? zone : clock->default_timezone,
                                    &reply->error);
  }

  source = g_idle_source_new ();
  g_source_set_callback (source, reply_dispatch, reply, reply_free);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
}

static const TbToolVTable clock_vtable = {
  .version = TB_TOOL_VTABLE_VERSION,
  .functions = clock_functions,
  .invoke = clock_invoke,
};

static const TbPluginDesc clock_desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_TOOL,
  .name = "clock",
  .version = "0.1.0",
  .description = "Current date, weekday and time in any time zone",
  .license = "LGPL-2.1-or-later",
  .config_keys = clock_keys,
  .instance_new = clock_instance_new,
  .instance_free = clock_instance_free,
  .vtable = &clock_vtable,
};

TB_PLUGIN_DEFINE (clock_desc)
