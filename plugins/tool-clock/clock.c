/* clock.c — tool plugin "clock": the current date and time in a time zone,
 * so an agent can answer "what time is it in Madrid?" or reason about
 * "tomorrow" without guessing. The function itself lives in
 * plugins/common/clock-time.c, shared with the call-control plugin. */
#define G_LOG_DOMAIN "tb-tool-clock"

#include <talkingbits-plugin.h>

#include "clock-time.h"
#include "tool-reply.h"

typedef struct {
  char *default_timezone;
  TbToolFunction functions[2];
} Clock;

static const TbConfigKey clock_keys[] = {
  TB_CLOCK_DEFAULT_TIMEZONE_KEY,
  { NULL }
};

static gpointer
clock_instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  const char *zone = NULL;
  Clock *clock;

  g_variant_lookup (settings, "default-timezone", "&s", &zone);
  if (!tb_clock_check_default_zone (zone, error))
    return NULL;
  clock = g_new0 (Clock, 1);
  clock->default_timezone = g_strdup (zone);
  clock->functions[0] = tb_clock_current_time_function;
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

static void
clock_invoke (gpointer instance, const TbToolInvocation *invocation,
              const TbToolCallbacks *callbacks, gpointer user_data,
              GCancellable *cancellable)
{
  Clock *clock = instance;
  GError *error = NULL;
  char *result = NULL;

  if (g_strcmp0 (invocation->function, tb_clock_current_time_function.name) != 0)
    g_set_error (&error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "no function '%s' in the clock tool", invocation->function);
  else
    result = tb_clock_current_time (clock->default_timezone, invocation->arguments_json, &error);
  tb_tool_reply_later (callbacks, user_data, cancellable, result, error);
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
