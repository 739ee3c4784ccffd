/* clock-time.c — the "current_time" tool function: the current date,
 * weekday and time in an IANA time zone, as JSON. Shared by the clock and
 * call-control plugins. */
#define G_LOG_DOMAIN "tb-clock-time"

#include "clock-time.h"
#include "tool-args.h"

const TbToolFunction tb_clock_current_time_function = {
  .name = "current_time",
  .description = "The current date, weekday and time in a time zone",
  .parameters_json =
    "{\"type\":\"object\",\"properties\":{\"timezone\":{\"type\":\"string\","
    "\"description\":\"IANA time zone such as America/New_York; omit for the business's own\"}},"
    "\"required\":[],\"additionalProperties\":false}",
};

gboolean
tb_clock_check_default_zone (const char *zone, GError **error)
{
  g_autoptr(GTimeZone) tz = zone ? g_time_zone_new_identifier (zone) : NULL;

  if (!tz) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "default-timezone: unknown time zone '%s'", zone ? zone : "");
    return FALSE;
  }
  return TRUE;
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

char *
tb_clock_current_time (const char *default_zone, const char *arguments_json, GError **error)
{
  const char *function = tb_clock_current_time_function.name;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  JsonObject *args;
  const char *zone;

  args = tb_tool_args_parse (parser, function, arguments_json, error);
  if (!args)
    return NULL;
  zone = tb_tool_args_get_string (args, function, "timezone", &local_error);
  if (local_error) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return NULL;
  }
  return describe_now (zone && *zone ? zone : default_zone, error);
}
