/* scripted-tool.c — test tool "scripted": `slow_tool` (a required "day")
 * answers after `delay-ms`; `hang_up` asks the host to end the call. */
#include "scripted.h"

#include <json-glib/json-glib.h>

typedef struct {
  gint64 delay_ms;
} Scripted;

typedef struct {
  TbToolCallbacks callbacks;
  gpointer user_data;
  GCancellable *cancellable;
  char *result;
} Job;

static const TbConfigKey keys[] = {
  { .name = "delay-ms", .type = TB_CONFIG_TYPE_INT, .default_value = "100", .min = 0,
    .max = 60000, .help = "How long slow_tool takes" },
  { NULL }
};

static const TbToolFunction functions[] = {
  { "slow_tool", "Books a day",
    "{\"type\":\"object\",\"properties\":{\"day\":{\"type\":\"string\"}},"
    "\"required\":[\"day\"],\"additionalProperties\":false}" },
  { "hang_up", "Ends the call", "{\"type\":\"object\",\"properties\":{}}" },
  { NULL }
};

static gpointer
instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  Scripted *scripted = g_new0 (Scripted, 1);

  g_variant_lookup (settings, "delay-ms", "x", &scripted->delay_ms);
  return scripted;
}

static void
instance_free (gpointer instance)
{
  g_free (instance);
}

static const TbToolFunction *
get_functions (gpointer instance)
{
  return functions;
}

static gboolean
answer (gpointer data)
{
  Job *job = data;

  if (g_cancellable_is_cancelled (job->cancellable)) {
    g_autoptr(GError) error = scripted_cancelled ();

    job->callbacks.error (error, job->user_data);
  } else {
    job->callbacks.result (job->result, job->user_data);
  }
  g_clear_object (&job->cancellable);
  g_free (job->result);
  g_free (job);
  return G_SOURCE_REMOVE;
}

static void
invoke (gpointer instance, const TbToolInvocation *invocation, const TbToolCallbacks *callbacks,
        gpointer user_data, GCancellable *cancellable)
{
  Scripted *scripted = instance;
  Job *job = g_new0 (Job, 1);
  gboolean hang_up = g_str_equal (invocation->function, "hang_up");

  job->callbacks = *callbacks;
  job->user_data = user_data;
  job->cancellable = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
  job->result = hang_up ? g_strdup ("{\"ok\":true,\"call\":{\"action\":\"hangup\"}}")
                        : g_strdup_printf ("{\"ok\":true,\"booked\":%s}",
                                           invocation->arguments_json);
  scripted_wait (hang_up ? 0 : (guint) scripted->delay_ms, job->cancellable, answer, job);
}

static const TbToolVTable vtable = { TB_TOOL_VTABLE_VERSION, get_functions, invoke };

static const TbPluginDesc desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_TOOL,
  .name = "scripted",
  .version = "1.0",
  .description = "Test tools: a slow one, and one that hangs up",
  .license = "MIT",
  .config_keys = keys,
  .instance_new = instance_new,
  .instance_free = instance_free,
  .vtable = &vtable,
};

TB_PLUGIN_DEFINE (desc)
