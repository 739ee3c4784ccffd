/* scripted-llm.c — test LLM "scripted": after a tool result it says what
 * the tool answered; when the caller's last words contain a key of its
 * `tools` setting ("book=slow_tool:{\"day\":\"tuesday\"}") it calls that
 * tool; otherwise it answers "You said <words>. Anything else?", streamed
 * word by word. `fail=true` fails every request. */
#include "scripted.h"

#include <string.h>

typedef struct {
  char **tools;
  gboolean fail;
  gint64 delay_ms;
} Scripted;

typedef struct {
  TbLlmCallbacks callbacks;
  gpointer user_data;
  GCancellable *cancellable;
  char **words;
  guint next;
  TbLlmToolCall call;
  char *call_name, *call_args;
  gboolean fail;
  guint source;
} Job;

static const TbConfigKey keys[] = {
  { .name = "tools", .type = TB_CONFIG_TYPE_STRING_LIST, .default_value = "",
    .help = "KEYWORD=FUNCTION:ARGUMENTS: a tool call when the caller says KEYWORD" },
  { .name = "fail", .type = TB_CONFIG_TYPE_BOOL, .default_value = "false",
    .help = "Every request fails" },
  { .name = "first-token-delay-ms", .type = TB_CONFIG_TYPE_INT, .default_value = "20",
    .min = 0, .max = 60000, .help = "Time before the first word" },
  { NULL }
};

static const char *const phrases[] = { "hello", "book me in", "goodbye", NULL };

static gpointer
instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  Scripted *scripted = g_new0 (Scripted, 1);

  g_variant_lookup (settings, "tools", "^as", &scripted->tools);
  g_variant_lookup (settings, "fail", "b", &scripted->fail);
  g_variant_lookup (settings, "first-token-delay-ms", "x", &scripted->delay_ms);
  return scripted;
}

static void
instance_free (gpointer instance)
{
  Scripted *scripted = instance;

  g_strfreev (scripted->tools);
  g_free (scripted);
}

static void
job_free (Job *job)
{
  g_strfreev (job->words);
  g_free (job->call_name);
  g_free (job->call_args);
  g_clear_object (&job->cancellable);
  g_free (job);
}

static gboolean
step (gpointer data)
{
  Job *job = data;

  if (g_cancellable_is_cancelled (job->cancellable) || job->fail) {
    g_autoptr(GError) error = job->fail
      ? g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_TIMEOUT, "the model did not answer")
      : scripted_cancelled ();

    job->callbacks.error (error, job->user_data);
    job_free (job);
    return G_SOURCE_REMOVE;
  }
  if (job->words && job->words[job->next]) {
    g_autofree char *word = g_strdup_printf ("%s%s", job->next ? " " : "",
                                             job->words[job->next]);

    job->next++;
    job->callbacks.delta (word, job->user_data);
    return G_SOURCE_CONTINUE;
  }
  if (job->call_name) {
    job->call.id = "call_1";
    job->call.name = job->call_name;
    job->call.arguments_json = job->call_args;
    job->callbacks.tool_call (&job->call, job->user_data);
  }
  job->callbacks.done (job->user_data);
  job_free (job);
  return G_SOURCE_REMOVE;
}

static gboolean
start (gpointer data)
{
  scripted_later (5, step, data);
  return G_SOURCE_REMOVE;
}

static void
chat (gpointer instance, const TbLlmRequest *request, const TbLlmCallbacks *callbacks,
      gpointer user_data, GCancellable *cancellable)
{
  Scripted *scripted = instance;
  Job *job = g_new0 (Job, 1);
  const TbLlmMessage *last = request->n_messages ? &request->messages[request->n_messages - 1]
                                                 : NULL;
  g_autofree char *reply = NULL;

  job->callbacks = *callbacks;
  job->user_data = user_data;
  job->cancellable = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
  job->fail = scripted->fail;
  if (last && last->role == TB_LLM_ROLE_TOOL) {
    reply = g_strdup_printf ("The tool said %s.", last->content ? last->content : "nothing");
  } else if (last && last->role == TB_LLM_ROLE_USER && last->content) {
    for (guint i = 0; scripted->tools && scripted->tools[i] && !job->call_name; i++) {
      g_auto(GStrv) rule = g_strsplit (scripted->tools[i], "=", 2);
      g_auto(GStrv) call = rule[1] ? g_strsplit (rule[1], ":", 2) : NULL;

      if (call && strstr (last->content, rule[0])) {
        for (guint t = 0; t < request->n_tools; t++)
          if (g_str_equal (request->tools[t].name, call[0])) {
            job->call_name = g_strdup (call[0]);
            job->call_args = g_strdup (call[1] ? call[1] : "{}");
          }
      }
    }
    if (!job->call_name)
      reply = g_strdup_printf ("You said %s. Anything else?", last->content);
  } else {
    reply = g_strdup ("Hello.");
  }
  job->words = reply ? g_strsplit (reply, " ", -1) : NULL;
  scripted_wait ((guint) scripted->delay_ms, job->cancellable, start, job);
}

static const char *const *
get_phrases (gpointer instance)
{
  return phrases;
}

static const TbLlmVTable vtable = {
  .version = TB_LLM_VTABLE_VERSION, .chat = chat, .phrases = get_phrases,
};

static const TbPluginDesc desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_LLM,
  .name = "scripted",
  .version = "1.0",
  .description = "Test LLM: echoes the caller, calls tools on keywords",
  .license = "MIT",
  .config_keys = keys,
  .instance_new = instance_new,
  .instance_free = instance_free,
  .vtable = &vtable,
};

TB_PLUGIN_DEFINE (desc)
