/* tbctl-calls.c — tbctl calls list|show|hangup, tbctl call, tbctl stats
 * and tbctl trunks: the call log as a table, a call as a conversation
 * with its latencies and tools, statistics per agent, trunk states. */
#define G_LOG_DOMAIN "tbctl"

#include "tbctl-http.h"
#include "tbctl-table.h"

#include <stdio.h>
#include <string.h>

/* Prints @reply as JSON when --json is given; TRUE then. */
static gboolean
printed_as_json (Tbctl *t, JsonNode *reply)
{
  if (t->options->json)
    tbctl_print_json (reply);
  return t->options->json;
}

static JsonObject *
object_of (JsonNode *node)
{
  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
array_member (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
object_member (JsonObject *object, const char *name)
{
  return object_of (object ? json_object_get_member (object, name) : NULL);
}

/* ---- calls list -------------------------------------------------------- */

static int
calls_list (Tbctl *t)
{
  static const char *const headers[] = {
    "ID", "STARTED", "AGENT", "DIRECTION", "FROM", "TO", "DURATION", "TURNS", "END", NULL
  };
  TbctlOptions *o = t->options;
  g_autoptr(GString) path = g_string_new ("/api/v1/calls");
  g_autofree char *limit = o->limit >= 0 ? g_strdup_printf ("%d", o->limit) : NULL;
  g_autofree char *offset = o->offset >= 0 ? g_strdup_printf ("%d", o->offset) : NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(TbctlTable) table = tbctl_table_new (headers);
  JsonObject *object;
  JsonArray *calls;

  tbctl_query_add (path, "agent", o->agent);
  tbctl_query_add (path, "number", o->number);
  tbctl_query_add (path, "direction", o->direction);
  tbctl_query_add (path, "end_reason", o->end_reason);
  tbctl_query_add (path, "since", o->since);
  tbctl_query_add (path, "until", o->until);
  tbctl_query_add (path, "limit", limit);
  tbctl_query_add (path, "offset", offset);
  if (!tbctl_request (t, "GET", path->str, NULL, &reply))
    return TBCTL_EXIT_FAILED;
  if (printed_as_json (t, reply))
    return TBCTL_EXIT_OK;
  object = object_of (reply);
  calls = array_member (object, "calls");
  for (guint i = 0; calls && i < json_array_get_length (calls); i++) {
    JsonObject *call = object_of (json_array_get_element (calls, i));
    g_autofree char *id = tbctl_member_text (call, "id");
    g_autofree char *started = tbctl_member_time (call, "started_at");
    g_autofree char *agent = tbctl_member_text (call, "agent");
    g_autofree char *direction = tbctl_member_text (call, "direction");
    g_autofree char *from = tbctl_member_text (call, "from");
    g_autofree char *to = tbctl_member_text (call, "to");
    g_autofree char *duration = tbctl_member_ms (call, "duration_ms", TRUE);
    g_autofree char *turns = tbctl_member_text (call, "turns");
    g_autofree char *end = tbctl_member_text (call, "end_reason");
    gboolean live = call && json_object_get_boolean_member_with_default (call, "live", FALSE);

    tbctl_table_add (table, (const char *const[]) { id, started, agent, direction, from, to,
                                                    duration, turns, live ? "(live)" : end });
  }
  tbctl_table_print (table, "no calls");
  if (object && json_object_has_member (object, "total"))
    printf ("%u of %" G_GINT64_FORMAT " calls (offset %" G_GINT64_FORMAT ")\n",
            calls ? json_array_get_length (calls) : 0,
            json_object_get_int_member_with_default (object, "total", 0),
            json_object_get_int_member_with_default (object, "offset", 0));
  return TBCTL_EXIT_OK;
}

/* ---- calls show -------------------------------------------------------- */

/* " (stt 120 ms)" or " (response 820 ms: llm 310 ms, tts 150 ms)": what
 * was measured of a turn. */
static char *
turn_latencies (JsonObject *turn)
{
  static const struct { const char *member, *label; } stages[] = {
    { "stt_final_ms", "stt" }, { "llm_first_token_ms", "llm" }, { "tts_first_audio_ms", "tts" },
  };
  g_autoptr(GString) parts = g_string_new (NULL);
  g_autoptr(GString) text = g_string_new (NULL);
  JsonNode *response = json_object_get_member (turn, "response_ms");

  for (guint i = 0; i < G_N_ELEMENTS (stages); i++) {
    JsonNode *node = json_object_get_member (turn, stages[i].member);

    if (node && JSON_NODE_HOLDS_VALUE (node)) {
      g_autofree char *ms = tbctl_member_ms (turn, stages[i].member, FALSE);

      g_string_append_printf (parts, "%s%s %s", parts->len ? ", " : "", stages[i].label, ms);
    }
  }
  if (response && JSON_NODE_HOLDS_VALUE (response)) {
    g_autofree char *ms = tbctl_member_ms (turn, "response_ms", FALSE);

    g_string_append_printf (text, "  (response %s%s%s)", ms, parts->len ? ": " : "", parts->str);
  } else if (parts->len) {
    g_string_append_printf (text, "  (%s)", parts->str);
  }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
print_turns (JsonArray *turns)
{
  for (guint i = 0; turns && i < json_array_get_length (turns); i++) {
    JsonObject *turn = object_of (json_array_get_element (turns, i));
    g_autofree char *at = NULL;
    g_autofree char *role = NULL;
    g_autofree char *text = NULL;
    g_autofree char *latencies = NULL;
    JsonNode *start;

    if (!turn)
      continue;
    start = json_object_get_member (turn, "speech_start_ms");
    at = start && JSON_NODE_HOLDS_VALUE (start) ? tbctl_member_ms (turn, "speech_start_ms", TRUE)
                                                : g_strdup ("");
    role = g_strconcat (json_object_get_string_member_with_default (turn, "role", "?"), ":",
                        NULL);
    text = tbctl_member_text (turn, "text");
    latencies = turn_latencies (turn);
    printf ("  [%7s] %-7s %s%s\n", at, role, text, latencies);
    if (json_object_get_boolean_member_with_default (turn, "interrupted", FALSE)) {
      g_autofree char *heard = tbctl_member_text (turn, "heard_text");

      printf ("            interrupted; the caller heard: %s\n", heard);
    }
    if (json_object_has_member (turn, "failure") &&
        !json_object_get_null_member (turn, "failure")) {
      g_autofree char *failure = tbctl_member_text (turn, "failure");

      printf ("            failure: %s\n", failure);
    }
  }
}

static void
print_tools (JsonArray *invocations)
{
  static const char *const headers[] = {
    "TOOL", "TURN", "STATUS", "LATENCY", "ARGUMENTS", "REPLY", NULL
  };
  g_autoptr(TbctlTable) table = tbctl_table_new (headers);

  for (guint i = 0; invocations && i < json_array_get_length (invocations); i++) {
    JsonObject *tool = object_of (json_array_get_element (invocations, i));
    g_autofree char *name = tbctl_member_text (tool, "tool");
    g_autofree char *turn = tbctl_member_text (tool, "turn");
    g_autofree char *status = tbctl_member_text (tool, "status");
    g_autofree char *latency = tbctl_member_ms (tool, "latency_ms", FALSE);
    g_autofree char *arguments = tbctl_member_text (tool, "arguments");
    g_autofree char *reply = tbctl_member_text (tool, "reply");

    tbctl_table_add (table, (const char *const[]) { name, turn, status, latency, arguments,
                                                    reply });
  }
  tbctl_table_print (table, "no tool invocations");
}

static void
print_metrics (JsonObject *metrics)
{
  static const char *const headers[] = { "LATENCY", "MEAN", "P50", "P95", NULL };
  static const struct { const char *member, *label; } stages[] = {
    { "response_ms", "response" }, { "stt_ms", "stt" }, { "llm_ms", "llm" }, { "tts_ms", "tts" },
  };
  g_autoptr(TbctlTable) table = tbctl_table_new (headers);

  for (guint i = 0; metrics && i < G_N_ELEMENTS (stages); i++) {
    JsonObject *stage = object_member (metrics, stages[i].member);
    g_autofree char *mean = tbctl_member_ms (stage, "mean", FALSE);
    g_autofree char *p50 = tbctl_member_ms (stage, "p50", FALSE);
    g_autofree char *p95 = tbctl_member_ms (stage, "p95", FALSE);

    tbctl_table_add (table, (const char *const[]) { stages[i].label, mean, p50, p95 });
  }
  tbctl_table_print (table, "no latencies");
}

static int
calls_show (Tbctl *t, const char *id)
{
  g_autofree char *escaped = tbctl_path_escape (id);
  g_autofree char *path = g_strconcat ("/api/v1/calls/", escaped, NULL);
  g_autoptr(JsonNode) reply = NULL;
  JsonObject *call;

  if (!tbctl_request (t, "GET", path, NULL, &reply))
    return TBCTL_EXIT_FAILED;
  if (printed_as_json (t, reply))
    return TBCTL_EXIT_OK;
  call = object_of (reply);
  {
    g_autofree char *direction = tbctl_member_text (call, "direction");
    g_autofree char *agent = tbctl_member_text (call, "agent");
    g_autofree char *from = tbctl_member_text (call, "from");
    g_autofree char *to = tbctl_member_text (call, "to");
    g_autofree char *started = tbctl_member_time (call, "started_at");
    g_autofree char *answered = tbctl_member_time (call, "answered_at");
    g_autofree char *ended = tbctl_member_time (call, "ended_at");
    g_autofree char *duration = tbctl_member_ms (call, "duration_ms", TRUE);
    g_autofree char *end = tbctl_member_text (call, "end_reason");
    g_autofree char *sip = tbctl_member_text (call, "sip_call_id");
    gboolean live = call && json_object_get_boolean_member_with_default (call, "live", FALSE);

    printf ("call %s%s\n", id, live ? " (live)" : "");
    printf ("  %s, agent %s, from %s to %s\n", direction, agent, from, to);
    printf ("  started %s, answered %s, ended %s\n", started, answered, ended);
    printf ("  duration %s, end: %s, SIP Call-ID %s\n", duration, end, sip);
  }
  printf ("\ntranscript (time from the answer, latencies):\n");
  if (array_member (call, "turns") && json_array_get_length (array_member (call, "turns")))
    print_turns (array_member (call, "turns"));
  else
    printf ("  nothing was said\n");
  printf ("\n");
  print_metrics (object_member (call, "metrics"));
  printf ("\n");
  print_tools (array_member (call, "tool_invocations"));
  return TBCTL_EXIT_OK;
}

static int
calls_hangup (Tbctl *t, const char *id)
{
  g_autofree char *escaped = tbctl_path_escape (id);
  g_autofree char *path = g_strdup_printf ("/api/v1/calls/%s/hangup", escaped);
  g_autoptr(JsonNode) reply = NULL;

  if (!tbctl_request (t, "POST", path, NULL, &reply))
    return TBCTL_EXIT_FAILED;
  if (!printed_as_json (t, reply))
    printf ("hanging up call %s\n", id);
  return TBCTL_EXIT_OK;
}

int
tbctl_calls_run (Tbctl *t, char **args)
{
  const char *verb = args[0] ? args[0] : "list";
  guint n = g_strv_length (args);

  if (g_str_equal (verb, "list")) {
    if (n > 1)
      return tbctl_usage_error ("calls list takes no argument (filters are options)");
    if (!tbctl_options_allowed (t, "calls list",
                                TBCTL_OPT_AGENT | TBCTL_OPT_NUMBER | TBCTL_OPT_DIRECTION |
                                TBCTL_OPT_END_REASON | TBCTL_OPT_SINCE | TBCTL_OPT_UNTIL |
                                TBCTL_OPT_PAGE))
      return TBCTL_EXIT_USAGE;
    return calls_list (t);
  }
  if (g_str_equal (verb, "show") || g_str_equal (verb, "hangup")) {
    g_autofree char *command = g_strconcat ("calls ", verb, NULL);

    if (n != 2)
      return tbctl_usage_error ("calls %s takes a call's ID", verb);
    if (!tbctl_options_allowed (t, command, 0))
      return TBCTL_EXIT_USAGE;
    return g_str_equal (verb, "show") ? calls_show (t, args[1]) : calls_hangup (t, args[1]);
  }
  return tbctl_usage_error ("calls: unknown command '%s' (list, show, hangup)", verb);
}

/* ---- call, stats, trunks ----------------------------------------------- */

int
tbctl_call_run (Tbctl *t, char **args)
{
  TbctlOptions *o = t->options;
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *id = NULL;

  if (g_strv_length (args) != 1)
    return tbctl_usage_error ("call takes the number (or sip: URI) to call");
  if (!o->agent)
    return tbctl_usage_error ("call %s: --agent NAME is required", args[0]);
  if (!tbctl_options_allowed (t, "call", TBCTL_OPT_AGENT | TBCTL_OPT_TRUNK))
    return TBCTL_EXIT_USAGE;
  json_object_set_string_member (body, "to", args[0]);
  json_object_set_string_member (body, "agent", o->agent);
  if (o->trunk)
    json_object_set_string_member (body, "trunk", o->trunk);
  if (o->caller_id)
    json_object_set_string_member (body, "caller_id", o->caller_id);
  node = json_node_init_object (json_node_alloc (), body);
  if (!tbctl_request (t, "POST", "/api/v1/calls", node, &reply))
    return TBCTL_EXIT_FAILED;
  if (printed_as_json (t, reply))
    return TBCTL_EXIT_OK;
  id = tbctl_member_text (object_of (reply), "id");
  printf ("dialing %s with agent %s: call %s\n", args[0], o->agent, id);
  return TBCTL_EXIT_OK;
}

/* "p50 / p95" in ms of @latency's member @stage. */
static char *
percentiles (JsonObject *latency, const char *stage)
{
  JsonObject *p = object_member (latency, stage);
  g_autofree char *p50 = tbctl_member_ms (p, "p50", FALSE);
  g_autofree char *p95 = tbctl_member_ms (p, "p95", FALSE);

  if (g_str_equal (p50, "-") && g_str_equal (p95, "-"))
    return g_strdup ("-");
  return g_strdup_printf ("%s / %s", p50, p95);
}

int
tbctl_stats_run (Tbctl *t, char **args)
{
  static const char *const headers[] = {
    "AGENT", "CALLS", "ANSWERED", "MEAN DURATION", "RESPONSE P50/P95", "FIRST RESPONSE",
    "STT", "LLM", "TTS", "TOOL", NULL
  };
  static const char *const stages[] = { "response", "first_response", "stt", "llm", "tts",
                                        "tool" };
  TbctlOptions *o = t->options;
  g_autoptr(GString) path = g_string_new ("/api/v1/stats");
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(TbctlTable) table = tbctl_table_new (headers);
  JsonArray *agents;

  if (args[0])
    return tbctl_usage_error ("stats takes no argument (--since, --until, --agent)");
  if (!tbctl_options_allowed (t, "stats", TBCTL_OPT_AGENT | TBCTL_OPT_SINCE | TBCTL_OPT_UNTIL))
    return TBCTL_EXIT_USAGE;
  tbctl_query_add (path, "since", o->since);
  tbctl_query_add (path, "until", o->until);
  tbctl_query_add (path, "agent", o->agent);
  if (!tbctl_request (t, "GET", path->str, NULL, &reply))
    return TBCTL_EXIT_FAILED;
  if (printed_as_json (t, reply))
    return TBCTL_EXIT_OK;
  agents = array_member (object_of (reply), "agents");
  for (guint i = 0; agents && i < json_array_get_length (agents); i++) {
    JsonObject *agent = object_of (json_array_get_element (agents, i));
    JsonObject *latency = object_member (agent, "latency_ms");
    g_autofree char *name = tbctl_member_text (agent, "agent");
    g_autofree char *calls = tbctl_member_text (agent, "calls");
    g_autofree char *answered = tbctl_member_text (agent, "answered");
    g_autofree char *mean = tbctl_member_ms (agent, "mean_duration_ms", TRUE);
    char *cells[G_N_ELEMENTS (headers)] = { name, calls, answered, mean };

    for (guint s = 0; s < G_N_ELEMENTS (stages); s++)
      cells[4 + s] = percentiles (latency, stages[s]);
    tbctl_table_add (table, (const char *const *) cells);
    for (guint s = 0; s < G_N_ELEMENTS (stages); s++)
      g_free (cells[4 + s]);
  }
  tbctl_table_print (table, "no calls");
  return TBCTL_EXIT_OK;
}

int
tbctl_trunks_run (Tbctl *t, char **args)
{
  static const char *const headers[] = {
    "NAME", "STATE", "REGISTRAR", "EXPIRES IN S", "LAST STATUS", "LAST ERROR", NULL
  };
  static const char *const members[] = {
    "name", "state", "registrar", "expires_in_s", "last_status", "last_error", NULL
  };

  if (args[0])
    return tbctl_usage_error ("trunks takes no argument");
  if (!tbctl_options_allowed (t, "trunks", 0))
    return TBCTL_EXIT_USAGE;
  return tbctl_list_print (t, "/api/v1/trunks", "trunks", headers, members, "no trunks");
}
