/* metrics.c — the process's counters and latency histograms, kept under
 * one lock, and their Prometheus text exposition (format 0.0.4). */
#define G_LOG_DOMAIN "tb-metrics"

#include "metrics.h"

#include <string.h>

/* The conversation's latency stages, in the order they are written. */
typedef enum {
  STAGE_STT,
  STAGE_LLM,
  STAGE_TTS,
  STAGE_RESPONSE,
  STAGE_FIRST_RESPONSE,
  STAGE_TOOL,
  N_STAGES
} Stage;

static const char *const stage_names[N_STAGES] = {
  "stt", "llm", "tts", "response", "first_response", "tool",
};

/* Upper bounds of the histogram buckets, in seconds; +Inf follows. */
static const double bucket_bounds[] = { 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define N_BUCKETS (G_N_ELEMENTS (bucket_bounds) + 1)

typedef struct {
  guint64 buckets[N_BUCKETS];   /* per bucket, not cumulative; last: +Inf */
  guint64 sum_ms;
  guint64 count;
} Histogram;

static GMutex lock;
static GHashTable *calls_by_reason;   /* end reason -> guint64 * */
static GHashTable *provider_errors;   /* "KIND\nPROVIDER" -> guint64 * */
static GHashTable *provider_fallbacks; /* "KIND\nFROM\nTO" -> guint64 * */
static Histogram stages[N_STAGES];

static void
ensure_tables (void)
{
  if (calls_by_reason)
    return;
  calls_by_reason = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  provider_errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  provider_fallbacks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/* Under the lock. */
static void
count (GHashTable *table, const char *key)
{
  guint64 *n = g_hash_table_lookup (table, key);

  if (!n) {
    n = g_new0 (guint64, 1);
    g_hash_table_insert (table, g_strdup (key), n);
  }
  (*n)++;
}

/* Under the lock. */
static void
observe (Stage stage, gint64 ms)
{
  Histogram *h = &stages[stage];
  guint i = 0;

  while (i < G_N_ELEMENTS (bucket_bounds) && ms > bucket_bounds[i] * 1000)
    i++;
  h->buckets[i]++;
  h->sum_ms += (guint64) ms;
  h->count++;
}

/* @object's member @name when it is an array, else NULL. */
static JsonArray *
member_array (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* @object's member @name when it is a number of milliseconds, else -1. */
static gint64
member_ms (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;
  return MAX (json_node_get_int (node), 0);
}

static void
observe_member (Stage stage, JsonObject *object, const char *name)
{
  gint64 ms = member_ms (object, name);

  if (ms >= 0)
    observe (stage, ms);
}

/* Under the lock: the latencies of one turn of the record. */
static void
add_turn (JsonObject *turn)
{
  JsonArray *tools = member_array (turn, "tools");
  gboolean greeting = json_object_get_string_member_with_default (turn, "caller", NULL) == NULL;

  observe_member (STAGE_STT, turn, "stt_final_ms");
  observe_member (STAGE_LLM, turn, "llm_first_token_ms");
  observe_member (STAGE_TTS, turn, "tts_first_audio_ms");
  observe_member (greeting ? STAGE_FIRST_RESPONSE : STAGE_RESPONSE, turn, "response_ms");
  for (guint i = 0; tools && i < json_array_get_length (tools); i++) {
    JsonNode *run = json_array_get_element (tools, i);

    if (JSON_NODE_HOLDS_OBJECT (run))
      observe_member (STAGE_TOOL, json_node_get_object (run), "ms");
  }
}

void
tb_metrics_add_call (JsonNode *record)
{
  JsonObject *object;
  JsonArray *turns;
  const char *reason;

  g_return_if_fail (record && JSON_NODE_HOLDS_OBJECT (record));
  object = json_node_get_object (record);
  reason = json_object_get_string_member_with_default (object, "end_reason", "");
  turns = member_array (object, "turns");

  g_mutex_lock (&lock);
  ensure_tables ();
  count (calls_by_reason, reason && *reason ? reason : "unknown");
  for (guint i = 0; turns && i < json_array_get_length (turns); i++) {
    JsonNode *turn = json_array_get_element (turns, i);

    if (JSON_NODE_HOLDS_OBJECT (turn))
      add_turn (json_node_get_object (turn));
  }
  g_mutex_unlock (&lock);
}

void
tb_metrics_provider_error (const char *kind, const char *provider)
{
  g_autofree char *key = g_strdup_printf ("%s\n%s", kind, provider ? provider : "");

  g_mutex_lock (&lock);
  ensure_tables ();
  count (provider_errors, key);
  g_mutex_unlock (&lock);
}

void
tb_metrics_provider_fallback (const char *kind, const char *from, const char *to)
{
  g_autofree char *key = g_strdup_printf ("%s\n%s\n%s", kind, from, to);

  g_mutex_lock (&lock);
  ensure_tables ();
  count (provider_fallbacks, key);
  g_mutex_unlock (&lock);
}

/* A label value with \, " and newline escaped, as the format wants. */
static void
append_label_value (GString *out, const char *value)
{
  for (const char *p = value; *p; p++) {
    if (*p == '\\')
      g_string_append (out, "\\\\");
    else if (*p == '"')
      g_string_append (out, "\\\"");
    else if (*p == '\n')
      g_string_append (out, "\\n");
    else
      g_string_append_c (out, *p);
  }
}

void
tb_metrics_write_header (GString *out, const char *name, const char *type, const char *help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* @value in the C locale; 15 digits keep sums of milliseconds exact
 * without printing 0.025 as 0.025000000000000001. */
static void
append_double (GString *out, double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, g_ascii_formatd (buffer, sizeof buffer, "%.15g", value));
}

void
tb_metrics_write_gauge (GString *out, const char *name, const char *help, double value)
{
  tb_metrics_write_header (out, name, "gauge", help);
  g_string_append_printf (out, "%s ", name);
  append_double (out, value);
  g_string_append_c (out, '\n');
}

void
tb_metrics_write_sample (GString *out, const char *name, const char *label,
                         const char *label_value, double value)
{
  g_string_append_printf (out, "%s{%s=\"", name, label);
  append_label_value (out, label_value);
  g_string_append (out, "\"} ");
  append_double (out, value);
  g_string_append_c (out, '\n');
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The keys of @table, sorted, so the output is stable. */
static GPtrArray *
sorted_keys (GHashTable *table)
{
  GPtrArray *keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);
  return keys;
}

/* Under the lock. */
static void
write_calls (GString *out)
{
  g_autoptr(GPtrArray) reasons = sorted_keys (calls_by_reason);

  tb_metrics_write_header (out, "talkingbits_calls_total", "counter", "Calls ended, by end reason");
  for (guint i = 0; i < reasons->len; i++) {
    const char *reason = g_ptr_array_index (reasons, i);

    tb_metrics_write_sample (out, "talkingbits_calls_total", "end_reason", reason,
                             *(guint64 *) g_hash_table_lookup (calls_by_reason, reason));
  }
}

void
tb_metrics_write_labelled_sample (GString *out, const char *name, const char *const *labels,
                                  const char *const *values, double value)
{
  g_string_append_printf (out, "%s{", name);
  for (guint l = 0; labels[l] && values[l]; l++) {
    g_string_append_printf (out, "%s%s=\"", l ? "," : "", labels[l]);
    append_label_value (out, values[l]);
    g_string_append_c (out, '"');
  }
  g_string_append (out, "} ");
  append_double (out, value);
  g_string_append_c (out, '\n');
}

/* Under the lock: a counter whose keys are its label values joined by
 * newlines, in the order of @labels. */
static void
write_labelled (GString *out, GHashTable *table, const char *name, const char *help,
                const char *const *labels)
{
  g_autoptr(GPtrArray) keys = sorted_keys (table);

  tb_metrics_write_header (out, name, "counter", help);
  for (guint i = 0; i < keys->len; i++) {
    const char *key = g_ptr_array_index (keys, i);
    g_auto(GStrv) values = g_strsplit (key, "\n", -1);

    tb_metrics_write_labelled_sample (out, name, labels, (const char *const *) values,
                                      *(guint64 *) g_hash_table_lookup (table, key));
  }
}

/* Under the lock. */
static void
write_stages (GString *out)
{
  const char *name = "talkingbits_call_stage_latency_seconds";

  tb_metrics_write_header (out, name, "histogram",
                 "Latency of each stage of the calls' turns: stt (end of turn to transcript), "
                 "llm (request to first token), tts (request to first audio), response (caller's "
                 "end of speech to the reply's audio), first_response (answer to the greeting's "
                 "audio), tool (a tool's run)");
  for (guint s = 0; s < N_STAGES; s++) {
    const Histogram *h = &stages[s];
    guint64 cumulative = 0;

    for (guint b = 0; b < N_BUCKETS; b++) {
      cumulative += h->buckets[b];
      g_string_append_printf (out, "%s_bucket{stage=\"%s\",le=\"", name, stage_names[s]);
      if (b < G_N_ELEMENTS (bucket_bounds))
        append_double (out, bucket_bounds[b]);
      else
        g_string_append (out, "+Inf");
      g_string_append_printf (out, "\"} %" G_GUINT64_FORMAT "\n", cumulative);
    }
    g_string_append_printf (out, "%s_sum{stage=\"%s\"} ", name, stage_names[s]);
    append_double (out, h->sum_ms / 1000.0);
    g_string_append_printf (out, "\n%s_count{stage=\"%s\"} %" G_GUINT64_FORMAT "\n", name,
                            stage_names[s], h->count);
  }
}

void
tb_metrics_write (GString *out)
{
  g_mutex_lock (&lock);
  ensure_tables ();
  write_calls (out);
  write_stages (out);
  write_labelled (out, provider_errors, "talkingbits_provider_errors_total",
                  "Provider requests that failed or gave nothing in time, by kind and provider",
                  (const char *const[]) { "kind", "provider", NULL });
  write_labelled (out, provider_fallbacks, "talkingbits_provider_fallbacks_total",
                  "Times the next provider of an agent's chain took over a request, by kind, "
                  "the provider that failed and the one that took over",
                  (const char *const[]) { "kind", "from", "to", NULL });
  g_mutex_unlock (&lock);
}
