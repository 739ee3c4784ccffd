/* clock-time.h — the "current_time" tool function shared by the clock and
 * call-control plugins: its description, its schema, and its answer (date,
 * weekday and time in an IANA time zone) as JSON. */
#pragma once

#include <talkingbits-plugin.h>

G_BEGIN_DECLS

/* Name, description and arguments schema of "current_time". */
extern const TbToolFunction tb_clock_current_time_function;

/* The config key both plugins declare for the zone used when the caller
 * names none. */
#define TB_CLOCK_DEFAULT_TIMEZONE_KEY \
  { .name = "default-timezone", .type = TB_CONFIG_TYPE_STRING, .default_value = "UTC", \
    .help = "IANA time zone used when the caller names none, for example Europe/Madrid" }

/* Checks the "default-timezone" setting; on failure sets a
 * TB_PLUGIN_ERROR_CONFIG error naming the key. */
gboolean tb_clock_check_default_zone (const char *zone, GError **error);

/* The result of "current_time" called with @arguments_json (a JSON object,
 * optionally naming "timezone"; NULL or empty: no arguments), in
 * @default_zone when the arguments name none: a JSON object with timezone,
 * iso8601, date, weekday and time. NULL with @error set for bad arguments or
 * an unknown zone. */
char *tb_clock_current_time (const char *default_zone, const char *arguments_json,
                             GError **error);

G_END_DECLS
