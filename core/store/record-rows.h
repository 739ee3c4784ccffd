/* record-rows.h — a call record (the end-of-call JSON) as the parameters
 * of its SQL: the calls row, and the turns and tool invocations as JSON
 * arrays that the statement unpacks with jsonb_to_recordset().
 *
 * Each conversation turn N becomes up to two rows of turns: the caller's
 * (sequence 2N, when the caller spoke: text, speech start/end, STT
 * latency) and the agent's (sequence 2N+1, when it said something, called
 * a tool or failed: text, LLM/TTS/response latencies, interrupted, heard
 * text, barge-in stop, failure). A tool invocation belongs to its turn's
 * agent row. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TB_RECORD_CALL_PARAMS 10

/* The SQL of a record, run in one transaction after BEGIN: the call
 * ($1..$10), then its turns and their tool invocations ($1 the call's id,
 * $2 the turns, $3 the tools). Both skip what is already there. */
extern const char tb_record_insert_call_sql[];
extern const char tb_record_insert_turns_sql[];

/* @call_params: id, agent, direction, from, to, sip_call_id, started,
 * answered, ended (ISO 8601), end reason; NULL elements are SQL NULL; free
 * them with g_free. FALSE (and @error) when @record is not a call record. */
gboolean tb_record_to_params (JsonNode *record, char *call_params[TB_RECORD_CALL_PARAMS],
                              char **turns, char **tools, GError **error);

G_END_DECLS
