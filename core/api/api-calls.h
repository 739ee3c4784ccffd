/* api-calls.h — the call side of the Web API: the call log and its
 * detail (api-calls.c), live calls, outbound calls and hang-up
 * (api-calls-live.c), per-agent statistics (api-stats.c) and trunk
 * registration (api-trunks.c); and what those files share: the filters of
 * the call log as SQL (api-calls-query.c) and database results as JSON
 * (api-rows.c).
 *
 * Filters (query parameters): agent, number (from or to), direction,
 * end_reason; since and until bound started_at, each an ISO 8601 date
 * ("2026-11-24": since from its midnight UTC, until up to the end of that
 * day) or date-time (UTC without an offset; since inclusive, until
 * exclusive); limit (1..500, 50) and offset. An empty value is as if it
 * were not given; an unknown parameter is refused (400).
 *
 * Latency stages, from the turns of core/dialog/history.c: stt =
 * stt_final_ms (end of the caller's turn to the final transcript), llm =
 * llm_first_token_ms, tts = tts_first_audio_ms, response = response_ms of
 * the agent's replies to the caller (end of speech to first audio out),
 * first_response = response_ms of the greeting (answer to first audio),
 * tool = latency_ms of the tool invocations. */
#pragma once

#include "api.h"
#include "http-json.h"

G_BEGIN_DECLS

void tb_api_calls_register (TbApi *api);
void tb_api_calls_live_register (TbApi *api);
void tb_api_stats_register (TbApi *api);
void tb_api_trunks_register (TbApi *api);

/* api-calls-live.c: a call in progress as a CallSummary ("live": true). */
JsonObject *tb_api_live_call_summary (TbCall *call);

/* ---- api-calls-query.c: the filters as SQL --------------------------------- */

typedef struct {
  GString *where;        /* "" or " WHERE c.agent_name = $1 AND ..." (calls c) */
  GPtrArray *params;     /* char *: the values of $1..$n                      */
  char *since, *until;   /* as given, read: ISO 8601 UTC; NULL when not given */
  guint limit, offset;
} TbCallFilter;

/* Reads the parameters of @query (may be NULL) named in @allowed into
 * @filter. FALSE, after replying 400 with what is wrong with each, when
 * one is unknown or invalid. Free with tb_call_filter_clear() either way. */
gboolean tb_call_filter_parse (TbCallFilter *filter, GHashTable *query,
                               const char *const *allowed, SoupServerMessage *msg);
void tb_call_filter_clear (TbCallFilter *filter);
/* A call id from the path, lower-cased; NULL after replying 400 when it is
 * not a UUID. */
char *tb_api_read_call_id (const char *segment, SoupServerMessage *msg);

/* A call's summary columns (CallSummary of the API but "live"), from calls c. */
extern const char tb_api_call_summary_columns[];
/* A timestamptz column as ISO 8601 in UTC with milliseconds. */
#define TB_API_SQL_TIME(column) \
  "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"+00:00\"')"

/* ---- api-rows.c: results as JSON ------------------------------------------- */

/* Row @row of @result as members of @object, one per column, named by the
 * column ("a.b" is member b of object member a), typed by its SQL type
 * (integers, numbers, booleans, json and jsonb as JSON, text as strings,
 * NULL as null). */
void tb_api_row_to_object (PGresult *result, int row, JsonObject *object);
/* Every row of @result as an array of objects. */
JsonArray *tb_api_rows_to_array (PGresult *result);

/* Replies @status with @object. */
void tb_api_reply_object (SoupServerMessage *msg, guint status, JsonObject *object);
/* FALSE after replying 503 when there is no database or it is down. */
gboolean tb_api_db_available (TbApi *api, SoupServerMessage *msg);
/* Replies to a query that failed: 503 when the database went away, 500
 * (logged) when it refused the query. */
void tb_api_reply_db_error (SoupServerMessage *msg, const GError *error);

/* @text as JSON when it parses, else as a JSON string. */
JsonNode *tb_api_json_or_string (const char *text);
/* Sets member @name of @object to @value, or null when it is NULL or "". */
void tb_api_set_string_or_null (JsonObject *object, const char *name, const char *value);
/* @time in UTC as "2026-11-24T10:15:00.123+00:00". */
char *tb_api_format_time (GDateTime *time);

G_END_DECLS
