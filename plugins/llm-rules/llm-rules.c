/* llm-rules.c — LLM plugin "rules": a deterministic dialogue written in a
 * rules file (intents with example phrases, keywords and keys; slots such
 * as a day or a time; responses; tool calls) that speaks the same interface
 * as a language model: streamed text, tool calls, done. It is the demo
 * receptionist's brain, and an agent's fallback when a cloud model is
 * unreachable. The file format is described in data/demo-rules.conf. */
#define G_LOG_DOMAIN "tb-llm-rules"

#include "rules.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  RulesSet *rules;
  GTimeZone *zone;
  GDate today;          /* fixed by the today= key, else invalid */
  char **phrases;
} Rules;

typedef struct {
  TbLlmCallbacks callbacks;
  gpointer user_data;
  GCancellable *cancellable;
  char **deltas;        /* the reply's words, each with the space before it */
  guint next;
  RulesReply *reply;
} Job;

static const TbConfigKey rules_keys[] = {
  { .name = "rules-file", .type = TB_CONFIG_TYPE_STRING, .default_value = "demo-rules.conf",
    .help = "The dialogue's rules file ([rules], [intent:NAME] and [slot:NAME] groups, "
            "described in the shipped demo-rules.conf): an absolute path, or relative to the "
            "daemon's working directory, else looked up in the TALKINGBITS_DATA_PATH "
            "directories and the installed data directory" },
  { .name = "timezone", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "IANA time zone in which 'today' and 'tomorrow' are meant, for example "
            "Europe/Madrid; empty: the system's" },
  { .name = "today", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "A fixed date (YYYY-MM-DD) taken as today, for demonstrations and tests; "
            "empty: the current date" },
  { NULL }
};

/* Tools the rules wanted but an agent lacked, warned about once per process
 * (instances live on several worker threads). */
static GHashTable *warned_tools;
G_LOCK_DEFINE_STATIC (warned_tools);

static char *
find_rules_file (const TbHost *host, const char *name)
{
  g_auto(GStrv) dirs = NULL;
  const char *env = g_getenv ("TALKINGBITS_DATA_PATH");

  if (g_path_is_absolute (name) || g_file_test (name, G_FILE_TEST_EXISTS))
    return g_strdup (name);
  dirs = g_strsplit (env ? env : "", ":", -1);
  for (guint i = 0; dirs[i]; i++) {
    g_autofree char *candidate = NULL;

    if (!*dirs[i])
      continue;
    candidate = g_build_filename (dirs[i], name, NULL);
    if (g_file_test (candidate, G_FILE_TEST_EXISTS))
      return g_steal_pointer (&candidate);
  }
  if (host && host->data_dir) {
    g_autofree char *installed = g_build_filename (host->data_dir, name, NULL);

    if (g_file_test (installed, G_FILE_TEST_EXISTS))
      return g_steal_pointer (&installed);
  }
  return g_strdup (name);
}

/* Everything callers are expected to say, each phrase once. */
static char **
collect_phrases (const RulesSet *set)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean types_seen[RULES_SLOT_TEXT + 1] = { FALSE };
  GPtrArray *phrases = g_ptr_array_new ();

  for (guint i = 0; i < set->intents->len; i++) {
    const RulesIntent *intent = g_ptr_array_index (set->intents, i);

    for (guint e = 0; intent->examples[e]; e++)
      g_ptr_array_add (all, g_strdup (intent->examples[e]));
    for (guint k = 0; intent->keywords[k]; k++)
      g_ptr_array_add (all, g_strdup (intent->keywords[k]));
  }
  for (guint i = 0; i < set->slots->len; i++) {
    const RulesSlot *slot = g_ptr_array_index (set->slots, i);

    for (guint e = 0; slot->examples[e]; e++)
      g_ptr_array_add (all, g_strdup (slot->examples[e]));
    if (!types_seen[slot->type])
      rules_slot_type_phrases (slot->type, all);
    types_seen[slot->type] = TRUE;
  }
  for (guint i = 0; i < all->len; i++) {
    char *phrase = g_ptr_array_index (all, i);

    if (g_hash_table_add (seen, phrase))
      g_ptr_array_add (phrases, g_strdup (phrase));
  }
  g_ptr_array_add (phrases, NULL);
  return (char **) g_ptr_array_free (phrases, FALSE);
}

static gboolean
parse_date (const char *text, GDate *date)
{
  gint y, m, d;
  char tail;

  if (sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || !g_date_valid_dmy (d, m, y))
    return FALSE;
  g_date_set_dmy (date, d, m, y);
  return TRUE;
}

static void
rules_instance_free (gpointer instance)
{
  Rules *rules = instance;

  rules_set_free (rules->rules);
  if (rules->zone)
    g_time_zone_unref (rules->zone);
  g_strfreev (rules->phrases);
  g_free (rules);
}

static gpointer
rules_instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  const char *file = "demo-rules.conf", *zone = "", *today = "";
  g_autofree char *path = NULL;
  g_autoptr(GError) local = NULL;
  Rules *rules;

  g_variant_lookup (settings, "rules-file", "&s", &file);
  g_variant_lookup (settings, "timezone", "&s", &zone);
  g_variant_lookup (settings, "today", "&s", &today);

  rules = g_new0 (Rules, 1);
  g_date_clear (&rules->today, 1);
  rules->zone = *zone ? g_time_zone_new_identifier (zone) : g_time_zone_new_local ();
  if (!rules->zone) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "timezone: unknown time zone '%s'", zone);
    goto fail;
  }
  if (*today && !parse_date (today, &rules->today)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "today: '%s' is not a date written YYYY-MM-DD", today);
    goto fail;
  }
  path = find_rules_file (host, file);
  rules->rules = rules_set_load (path, &local);
  if (!rules->rules) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG, "rules-file: %s",
                 local->message);
    goto fail;
  }
  rules->phrases = collect_phrases (rules->rules);
  return rules;

fail:
  rules_instance_free (rules);
  return NULL;
}

static void
today_in (Rules *rules, GDate *today)
{
  g_autoptr(GDateTime) now = NULL;

  if (g_date_valid (&rules->today)) {
    *today = rules->today;
    return;
  }
  now = g_date_time_new_now (rules->zone);
  g_date_clear (today, 1);
  g_date_set_dmy (today, g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                  g_date_time_get_year (now));
}

static void
warn_unoffered (const RulesSet *set, const char *tool)
{
  g_autofree char *key = g_strconcat (set->path, "\n", tool, NULL);
  gboolean first;

  G_LOCK (warned_tools);
  if (!warned_tools)
    warned_tools = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  first = g_hash_table_add (warned_tools, g_steal_pointer (&key));
  G_UNLOCK (warned_tools);
  if (first)
    g_warning ("%s: the rules call the tool '%s', which the agent does not offer; "
               "its intents answer with their unavailable-response", set->path, tool);
}

/* ---- streaming --------------------------------------------------------- */

static char **
split_deltas (const char *text)
{
  g_auto(GStrv) words = g_strsplit (text, " ", -1);
  GPtrArray *deltas = g_ptr_array_new ();

  for (guint i = 0; words[i]; i++)
    if (*words[i])
      g_ptr_array_add (deltas, deltas->len ? g_strconcat (" ", words[i], NULL)
                                           : g_strdup (words[i]));
  g_ptr_array_add (deltas, NULL);
  return (char **) g_ptr_array_free (deltas, FALSE);
}

static void
job_free (gpointer data)
{
  Job *job = data;

  g_clear_object (&job->cancellable);
  g_strfreev (job->deltas);
  rules_reply_free (job->reply);
  g_free (job);
}

/* One word per main loop iteration, then the tool call and done(). */
static gboolean
job_step (gpointer data)
{
  Job *job = data;

  if (g_cancellable_is_cancelled (job->cancellable)) {
    g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                       "cancelled");

    job->callbacks.error (cancelled, job->user_data);
    return G_SOURCE_REMOVE;
  }
  if (job->deltas[job->next]) {
    job->callbacks.delta (job->deltas[job->next++], job->user_data);
    return G_SOURCE_CONTINUE;
  }
  if (job->reply->call)
    job->callbacks.tool_call (job->reply->call, job->user_data);
  job->callbacks.done (job->user_data);
  return G_SOURCE_REMOVE;
}

static void
rules_chat (gpointer instance, const TbLlmRequest *request, const TbLlmCallbacks *callbacks,
            gpointer user_data, GCancellable *cancellable)
{
  Rules *rules = instance;
  Job *job = g_new0 (Job, 1);
  GSource *source;
  GDate today;

  today_in (rules, &today);
  job->callbacks = *callbacks;
  job->user_data = user_data;
  job->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  job->reply = rules_dialog_reply (rules->rules, request, &today);
  job->deltas = split_deltas (job->reply->text);
  if (job->reply->unoffered_tool)
    warn_unoffered (rules->rules, job->reply->unoffered_tool);

  source = g_idle_source_new ();
  g_source_set_callback (source, job_step, job, job_free);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
}

static const char *const *
rules_phrases (gpointer instance)
{
  return (const char *const *) ((Rules *) instance)->phrases;
}

static void
rules_shutdown (void)
{
  G_LOCK (warned_tools);
  g_clear_pointer (&warned_tools, g_hash_table_unref);
  G_UNLOCK (warned_tools);
}

static const TbLlmVTable rules_vtable = {
  .version = TB_LLM_VTABLE_VERSION,
  .chat = rules_chat,
  .phrases = rules_phrases,
};

static const TbPluginDesc rules_desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_LLM,
  .name = "rules",
  .version = "0.1.0",
  .description = "Deterministic dialogue from a rules file: intents, slots, responses, tool calls",
  .license = "LGPL-2.1-or-later",
  .config_keys = rules_keys,
  .shutdown = rules_shutdown,
  .instance_new = rules_instance_new,
  .instance_free = rules_instance_free,
  .vtable = &rules_vtable,
};

TB_PLUGIN_DEFINE (rules_desc)
