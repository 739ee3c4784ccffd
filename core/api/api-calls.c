/* api-calls.c — the call log: GET /api/v1/calls (filtered, newest first,
 * a page at a time, with the total) and GET /api/v1/calls/{id} (the
 * summary with its turns, tool invocations and latency metrics), from the
 * tables core/store/records.c writes; "live" when the call is still in
 * progress. */
#define G_LOG_DOMAIN "tb-api-calls"

#include "api-calls.h"

#define PREFIX "/api/v1/calls"

static const char *const list_filters[] = {
  "agent", "number", "direction", "end_reason", "since", "until", "limit", "offset", NULL
};

/* Mean, p50, p95 of a latency of the call's turns; FILTER or "". */
#define STAGE(name, column, filter) \
  "round(avg(" column ")" filter ", 1) AS \"" name ".mean\", " \
  "percentile_cont(0.5) WITHIN GROUP (ORDER BY " column ")" filter " AS \"" name ".p50\", " \
  "percentile_cont(0.95) WITHIN GROUP (ORDER BY " column ")" filter " AS \"" name ".p95\""

static const char detail_sql[] =
  "SELECT %s FROM calls c WHERE c.id = $1::uuid";
static const char turns_sql[] =
  "SELECT sequence, role, text, speech_start_ms, speech_end_ms, stt_final_ms, "
  "llm_first_token_ms, tts_first_audio_ms, response_ms, interrupted, heard_text, "
  "barge_in_stop_ms, failure FROM turns WHERE call_id = $1::uuid ORDER BY sequence";
static const char tools_sql[] =
  "SELECT i.tool_name AS tool, t.sequence AS turn, i.arguments, i.status, i.latency_ms, i.reply "
  "FROM tool_invocations i LEFT JOIN turns t ON t.id = i.turn_id "
  "WHERE i.call_id = $1::uuid ORDER BY i.id";
/* Replies to the caller only: the greeting (sequence 1) is not one. */
static const char metrics_sql[] =
  "SELECT "
  STAGE ("response_ms", "response_ms", " FILTER (WHERE role = 'agent' AND sequence > 1)") ", "
  STAGE ("stt_ms", "stt_final_ms", "") ", "
  STAGE ("llm_ms", "llm_first_token_ms", "") ", "
  STAGE ("tts_ms", "tts_first_audio_ms", "")
  " FROM turns WHERE call_id = $1::uuid";

typedef struct {
  TbApi *api;
  SoupServerMessage *msg;
  TbCallFilter filter;
  gint64 total;
  /* The detail: its id and the results of its queries, in order. */
  char *id;
  guint pending;
  GError *error;
  JsonArray *parts[4];
} Request;

static Request *
request_new (TbApi *api, SoupServerMessage *msg)
{
  Request *request = g_new0 (Request, 1);

  request->api = api;
  request->msg = g_object_ref (msg);
  tb_http_defer (msg);
  return request;
}

static void
request_free (Request *request)
{
  tb_call_filter_clear (&request->filter);
  g_object_unref (request->msg);
  g_free (request->id);
  g_clear_error (&request->error);
  for (guint i = 0; i < G_N_ELEMENTS (request->parts); i++)
    g_clear_pointer (&request->parts[i], json_array_unref);
  g_free (request);
}

/* Sets "live" on each call of @calls. */
static void
mark_live (TbApi *api, JsonArray *calls)
{
  for (guint i = 0; i < json_array_get_length (calls); i++) {
    JsonObject *call = json_array_get_object_element (calls, i);
    g_autoptr(TbCall) live = tb_call_manager_lookup (api->calls,
                                                     json_object_get_string_member (call, "id"));

    json_object_set_boolean_member (call, "live", live != NULL);
  }
}

/* ---- the list ---------------------------------------------------------- */

static void
on_page (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Request *request = user_data;
  g_autoptr(JsonObject) reply = json_object_new ();
  JsonArray *calls;

  if (error) {
    tb_api_reply_db_error (request->msg, error);
    request_free (request);
    return;
  }
  calls = tb_api_rows_to_array (result);
  mark_live (request->api, calls);
  json_object_set_array_member (reply, "calls", calls);
  json_object_set_int_member (reply, "total", request->total);
  json_object_set_int_member (reply, "limit", request->filter.limit);
  json_object_set_int_member (reply, "offset", request->filter.offset);
  tb_api_reply_object (request->msg, SOUP_STATUS_OK, reply);
  request_free (request);
}

static void
on_total (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Request *request = user_data;
  TbCallFilter *filter = &request->filter;
  guint n = filter->params->len;
  g_autofree char *sql = NULL;

  if (error) {
    tb_api_reply_db_error (request->msg, error);
    request_free (request);
    return;
  }
  request->total = g_ascii_strtoll (PQgetvalue (result, 0, 0), NULL, 10);
  sql = g_strdup_printf ("SELECT %s FROM calls c%s ORDER BY c.started_at DESC, c.id DESC "
                         "LIMIT $%u OFFSET $%u", tb_api_call_summary_columns,
                         filter->where->str, n + 1, n + 2);
  g_ptr_array_add (filter->params, g_strdup_printf ("%u", filter->limit));
  g_ptr_array_add (filter->params, g_strdup_printf ("%u", filter->offset));
  tb_db_query (db, sql, filter->params->len, (const char *const *) filter->params->pdata,
               on_page, request);
}

static void
list_calls (TbApi *api, SoupServerMessage *msg, GHashTable *query)
{
  TbCallFilter filter;
  g_autofree char *sql = NULL;
  Request *request;

  if (!tb_call_filter_parse (&filter, query, list_filters, msg)) {
    tb_call_filter_clear (&filter);
    return;
  }
  if (!tb_api_db_available (api, msg)) {
    tb_call_filter_clear (&filter);
    return;
  }
  request = request_new (api, msg);
  request->filter = filter;
  sql = g_strdup_printf ("SELECT count(*) FROM calls c%s", filter.where->str);
  tb_db_query (api->db, sql, filter.params->len, (const char *const *) filter.params->pdata,
               on_total, request);
}

/* ---- one call ---------------------------------------------------------- */

static void
reply_live (TbApi *api, SoupServerMessage *msg, TbCall *call)
{
  g_autoptr(JsonObject) reply = tb_api_live_call_summary (call);
  g_autoptr(JsonObject) metrics = json_object_new ();
  const char *const stages[] = { "response_ms", "stt_ms", "llm_ms", "tts_ms" };

  json_object_set_array_member (reply, "turns", json_array_new ());
  json_object_set_array_member (reply, "tool_invocations", json_array_new ());
  for (guint i = 0; i < G_N_ELEMENTS (stages); i++) {
    JsonObject *stage = json_object_new ();

    json_object_set_null_member (stage, "mean");
    json_object_set_null_member (stage, "p50");
    json_object_set_null_member (stage, "p95");
    json_object_set_object_member (metrics, stages[i], stage);
  }
  json_object_set_object_member (reply, "metrics", g_steal_pointer (&metrics));
  tb_api_reply_object (msg, SOUP_STATUS_OK, reply);
}

static void
reply_detail (Request *request)
{
  g_autoptr(TbCall) live = tb_call_manager_lookup (request->api->calls, request->id);
  JsonArray *summary = request->parts[0];
  g_autoptr(JsonObject) reply = NULL;

  if (request->error) {
    tb_api_reply_db_error (request->msg, request->error);
    return;
  }
  if (json_array_get_length (summary) == 0) {
    if (live)
      reply_live (request->api, request->msg, live);
    else
      tb_http_reply_error (request->msg, SOUP_STATUS_NOT_FOUND, "no call '%s'", request->id);
    return;
  }
  reply = json_object_ref (json_array_get_object_element (summary, 0));
  json_object_set_boolean_member (reply, "live", live != NULL);
  json_object_set_array_member (reply, "turns", json_array_ref (request->parts[1]));
  json_object_set_array_member (reply, "tool_invocations", json_array_ref (request->parts[2]));
  json_object_set_member (reply, "metrics",
                          json_array_dup_element (request->parts[3], 0));
  tb_api_reply_object (request->msg, SOUP_STATUS_OK, reply);
}

static void
on_detail_part (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Request *request = user_data;
  guint part = G_N_ELEMENTS (request->parts) - request->pending;

  if (error && !request->error)
    request->error = g_error_copy (error);
  if (result)
    request->parts[part] = tb_api_rows_to_array (result);
  if (--request->pending > 0)
    return;
  reply_detail (request);
  request_free (request);
}

static void
show_call (TbApi *api, SoupServerMessage *msg, const char *segment)
{
  g_autofree char *id = tb_api_read_call_id (segment, msg);
  g_autofree char *summary_sql = NULL;
  g_autoptr(TbCall) live = NULL;
  const char *const sql[] = { NULL, turns_sql, tools_sql, metrics_sql };
  const char *params[] = { id };
  Request *request;

  if (!id)
    return;
  live = tb_call_manager_lookup (api->calls, id);
  if (live && (!api->db || !tb_db_is_up (api->db))) {
    reply_live (api, msg, live);
    return;
  }
  if (!tb_api_db_available (api, msg))
    return;
  request = request_new (api, msg);
  request->id = g_steal_pointer (&id);
  request->pending = G_N_ELEMENTS (request->parts);
  summary_sql = g_strdup_printf (detail_sql, tb_api_call_summary_columns);
  for (guint i = 0; i < G_N_ELEMENTS (sql); i++)
    tb_db_query (api->db, sql[i] ? sql[i] : summary_sql, 1, params, on_detail_part, request);
}

static void
handle_get (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  TbApi *api = user_data;
  const char *rest = NULL;
  g_autofree char *segment = tb_api_path_segment (path, PREFIX, &rest);

  if (!segment)
    list_calls (api, msg, query);
  else if (*rest)
    tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such path: %s", path);
  else
    show_call (api, msg, segment);
}

void
tb_api_calls_register (TbApi *api)
{
  tb_http_server_add_route (api->http, "GET", PREFIX, handle_get, api);
  tb_api_calls_live_register (api);
}
