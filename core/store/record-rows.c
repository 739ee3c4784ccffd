/* record-rows.c — a call record as the parameters of its SQL (see
 * record-rows.h). */
#define G_LOG_DOMAIN "tb-records"

#include "record-rows.h"

#include <gio/gio.h>

const char tb_record_insert_call_sql[] =
  "INSERT INTO calls (id, agent_id, agent_name, direction, from_number, to_number, "
  "sip_call_id, started_at, answered_at, ended_at, end_reason) "
  "VALUES ($1::uuid, (SELECT id FROM agents WHERE name = $2), $2, $3, $4, $5, $6, "
  "$7::timestamptz, $8::timestamptz, $9::timestamptz, $10) "
  "ON CONFLICT (id) DO NOTHING";

/* Turns already there (the same call's record written before) are not
 * returned by the first INSERT, so their tools are not inserted again. */
const char tb_record_insert_turns_sql[] =
  "WITH t AS ("
  " INSERT INTO turns (call_id, sequence, role, text, speech_start_ms, speech_end_ms,"
  "  stt_final_ms, llm_first_token_ms, tts_first_audio_ms, response_ms, interrupted,"
  "  heard_text, barge_in_stop_ms, failure)"
  " SELECT $1::uuid, x.sequence, x.role, coalesce(x.text, ''), x.speech_start_ms,"
  "  x.speech_end_ms, x.stt_final_ms, x.llm_first_token_ms, x.tts_first_audio_ms,"
  "  x.response_ms, coalesce(x.interrupted, false), x.heard_text, x.barge_in_stop_ms,"
  "  x.failure"
  " FROM jsonb_to_recordset($2::jsonb) AS x(sequence integer, role text, text text,"
  "  speech_start_ms integer, speech_end_ms integer, stt_final_ms integer,"
  "  llm_first_token_ms integer, tts_first_audio_ms integer, response_ms integer,"
  "  interrupted boolean, heard_text text, barge_in_stop_ms integer, failure text)"
  " ORDER BY x.sequence"
  " ON CONFLICT (call_id, sequence) DO NOTHING"
  " RETURNING id, sequence) "
  "INSERT INTO tool_invocations (call_id, turn_id, tool_name, arguments, status, latency_ms,"
  " reply) "
  "SELECT $1::uuid, t.id, y.tool_name, y.arguments, y.status, y.latency_ms, y.reply"
  " FROM jsonb_to_recordset($3::jsonb) AS y(sequence integer, position integer,"
  "  tool_name text, arguments jsonb, status text, latency_ms integer, reply text)"
  " JOIN t ON t.sequence = y.sequence"
  " ORDER BY y.sequence, y.position";

static const char *
get_string (JsonObject *o, const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  if (!node || JSON_NODE_TYPE (node) != JSON_NODE_VALUE ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* A string, NULL when missing or empty. */
static char *
dup_nonempty (JsonObject *o, const char *name)
{
  const char *value = get_string (o, name);

  return value && *value ? g_strdup (value) : NULL;
}

static JsonArray *
get_array (JsonObject *o, const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static gboolean
get_boolean (JsonObject *o, const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  return node && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

static gint64
get_int (JsonObject *o, const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  return node && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_int (node) : 0;
}

/* @from's member @name as @to (null when missing). */
static void
copy_member (JsonBuilder *b, JsonObject *from, const char *name, const char *to)
{
  JsonNode *node = json_object_get_member (from, name);

  json_builder_set_member_name (b, to ? to : name);
  if (node)
    json_builder_add_value (b, json_node_copy (node));
  else
    json_builder_add_null_value (b);
}

static void
add_row_head (JsonBuilder *b, gint64 sequence, const char *role, JsonObject *turn,
              const char *text_member)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "sequence");
  json_builder_add_int_value (b, sequence);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, role);
  copy_member (b, turn, text_member, "text");
}

/* The arguments as JSON: the LLM's text when it parses, else that text as
 * a JSON string (it is kept either way). */
static void
add_arguments (JsonBuilder *b, const char *arguments)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  json_builder_set_member_name (b, "arguments");
  if (!arguments)
    json_builder_add_null_value (b);
  else if (json_parser_load_from_data (parser, arguments, -1, NULL) &&
           json_parser_get_root (parser))
    json_builder_add_value (b, json_node_copy (json_parser_get_root (parser)));
  else
    json_builder_add_string_value (b, arguments);
}

static void
add_tools (JsonBuilder *tools, gint64 sequence, JsonArray *runs)
{
  for (guint i = 0; runs && i < json_array_get_length (runs); i++) {
    JsonNode *node = json_array_get_element (runs, i);
    JsonObject *run = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

    if (!run)
      continue;
    json_builder_begin_object (tools);
    json_builder_set_member_name (tools, "sequence");
    json_builder_add_int_value (tools, sequence);
    json_builder_set_member_name (tools, "position");
    json_builder_add_int_value (tools, i);
    json_builder_set_member_name (tools, "tool_name");
    json_builder_add_string_value (tools, get_string (run, "name") ? get_string (run, "name") : "");
    add_arguments (tools, get_string (run, "arguments"));
    json_builder_set_member_name (tools, "status");
    json_builder_add_string_value (tools, get_boolean (run, "ok") ? "ok" : "error");
    copy_member (tools, run, "ms", "latency_ms");
    copy_member (tools, run, "result", "reply");
    json_builder_end_object (tools);
  }
}

static gboolean
is_null (JsonObject *o, const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  return !node || JSON_NODE_HOLDS_NULL (node);
}

static void
add_turn (JsonBuilder *turns, JsonBuilder *tools, JsonObject *turn)
{
  gint64 n = get_int (turn, "n");
  JsonArray *runs = get_array (turn, "tools");
  gboolean agent_spoke = !is_null (turn, "agent") || (runs && json_array_get_length (runs)) ||
                         !is_null (turn, "failure") || get_boolean (turn, "interrupted");

  if (!is_null (turn, "caller")) {
    add_row_head (turns, 2 * n, "caller", turn, "caller");
    copy_member (turns, turn, "speech_start_ms", NULL);
    copy_member (turns, turn, "speech_end_ms", NULL);
    copy_member (turns, turn, "stt_final_ms", NULL);
    json_builder_end_object (turns);
  }
  if (!agent_spoke)
    return;
  add_row_head (turns, 2 * n + 1, "agent", turn, "agent");
  copy_member (turns, turn, "llm_first_token_ms", NULL);
  copy_member (turns, turn, "tts_first_audio_ms", NULL);
  copy_member (turns, turn, "response_ms", NULL);
  copy_member (turns, turn, "interrupted", NULL);
  copy_member (turns, turn, "heard", "heard_text");
  copy_member (turns, turn, "barge_in_stop_ms", NULL);
  copy_member (turns, turn, "failure", NULL);
  json_builder_end_object (turns);
  add_tools (tools, 2 * n + 1, runs);
}

static char *
builder_text (JsonBuilder *b)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);

  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

static char *
format_time (GDateTime *t)
{
  return t ? g_date_time_format_iso8601 (t) : NULL;
}

gboolean
tb_record_to_params (JsonNode *record, char *call_params[TB_RECORD_CALL_PARAMS], char **turns,
                     char **tools, GError **error)
{
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (record) ? json_node_get_object (record) : NULL;
  g_autoptr(GDateTime) started = NULL;
  g_autoptr(GDateTime) ended = NULL;
  g_autoptr(GDateTime) answered = NULL;
  g_autoptr(JsonBuilder) turn_rows = json_builder_new ();
  g_autoptr(JsonBuilder) tool_rows = json_builder_new ();
  JsonArray *list;

  if (o && get_string (o, "started"))
    started = g_date_time_new_from_iso8601 (get_string (o, "started"), NULL);
  if (!o || !get_string (o, "id") || !started) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "not a call record (no id or no started time)");
    return FALSE;
  }
  /* Times from the answer and the end are ms after the start. */
  ended = g_date_time_add (started, get_int (o, "duration_ms") * 1000);
  if (get_boolean (o, "answered"))
    answered = g_date_time_add (ended, -get_int (o, "talk_ms") * 1000);
  call_params[0] = g_strdup (get_string (o, "id"));
  call_params[1] = dup_nonempty (o, "agent");
  call_params[2] = g_strdup (g_strcmp0 (get_string (o, "direction"), "outbound") == 0 ?
                             "outbound" : "inbound");
  call_params[3] = dup_nonempty (o, "from");
  call_params[4] = dup_nonempty (o, "to");
  call_params[5] = dup_nonempty (o, "sip_call_id");
  call_params[6] = format_time (started);
  call_params[7] = format_time (answered);
  call_params[8] = format_time (ended);
  call_params[9] = dup_nonempty (o, "end_reason");

  list = get_array (o, "turns");
  json_builder_begin_array (turn_rows);
  json_builder_begin_array (tool_rows);
  for (guint i = 0; list && i < json_array_get_length (list); i++) {
    JsonNode *node = json_array_get_element (list, i);

    if (JSON_NODE_HOLDS_OBJECT (node))
      add_turn (turn_rows, tool_rows, json_node_get_object (node));
  }
  json_builder_end_array (turn_rows);
  json_builder_end_array (tool_rows);
  *turns = builder_text (turn_rows);
  *tools = builder_text (tool_rows);
  return TRUE;
}
