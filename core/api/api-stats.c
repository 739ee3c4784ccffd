/* api-stats.c — GET /api/v1/stats: per agent, the calls started between
 * since and until, how many were answered, their mean duration, and the
 * p50/p95 (percentile_cont, as PostgreSQL interpolates) of each latency
 * stage of their turns and tools (stages: api-calls.h), all in SQL; GET
 * /api/v1/stats/daily: the calls, answered calls and mean duration of
 * each day (UTC) and agent, oldest day first. */
#define G_LOG_DOMAIN "tb-api-calls"

#include "api-calls.h"

#define PATH "/api/v1/stats"
#define DAILY_PATH PATH "/daily"

static const char *const stats_filters[] = { "agent", "since", "until", NULL };

#define PERCENTILES(name, column, filter) \
  "percentile_cont(0.5) WITHIN GROUP (ORDER BY " column ")" filter \
  " AS \"latency_ms." name ".p50\", " \
  "percentile_cont(0.95) WITHIN GROUP (ORDER BY " column ")" filter \
  " AS \"latency_ms." name ".p95\""

/* %s: the filter's WHERE on calls c. Calls without an agent (none are
 * written so) would be one group, agent null. */
static const char stats_sql[] =
  "WITH c AS (SELECT c.* FROM calls c%s) "
  "SELECT a.agent, a.calls, a.answered, a.mean_duration_ms, "
  " \"latency_ms.stt.p50\", \"latency_ms.stt.p95\", "
  " \"latency_ms.llm.p50\", \"latency_ms.llm.p95\", "
  " \"latency_ms.tts.p50\", \"latency_ms.tts.p95\", "
  " \"latency_ms.response.p50\", \"latency_ms.response.p95\", "
  " \"latency_ms.first_response.p50\", \"latency_ms.first_response.p95\", "
  " \"latency_ms.tool.p50\", \"latency_ms.tool.p95\" "
  "FROM (SELECT agent_name AS agent, count(*) AS calls, count(answered_at) AS answered, "
  "       round(avg(extract(epoch FROM ended_at - started_at) * 1000), 1) AS mean_duration_ms "
  "      FROM c GROUP BY agent_name) a "
  "LEFT JOIN (SELECT c.agent_name AS agent, "
  PERCENTILES ("stt", "t.stt_final_ms", "") ", "
  PERCENTILES ("llm", "t.llm_first_token_ms", "") ", "
  PERCENTILES ("tts", "t.tts_first_audio_ms", "") ", "
  PERCENTILES ("response", "t.response_ms", " FILTER (WHERE t.role = 'agent' AND t.sequence > 1)")
  ", "
  PERCENTILES ("first_response", "t.response_ms",
               " FILTER (WHERE t.role = 'agent' AND t.sequence = 1)")
  "           FROM c JOIN turns t ON t.call_id = c.id GROUP BY c.agent_name) s "
  "       ON s.agent IS NOT DISTINCT FROM a.agent "
  "LEFT JOIN (SELECT c.agent_name AS agent, "
  PERCENTILES ("tool", "i.latency_ms", "")
  "           FROM c JOIN tool_invocations i ON i.call_id = c.id GROUP BY c.agent_name) k "
  "       ON k.agent IS NOT DISTINCT FROM a.agent "
  "ORDER BY a.agent NULLS LAST";

/* %s: the filter's WHERE on calls c. */
static const char daily_sql[] =
  "SELECT to_char(c.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, "
  " c.agent_name AS agent, count(*) AS calls, count(c.answered_at) AS answered, "
  " round(avg(extract(epoch FROM c.ended_at - c.started_at) * 1000), 1) AS mean_duration_ms "
  "FROM calls c%s GROUP BY 1, 2 ORDER BY 1, 2 NULLS LAST";

typedef struct {
  SoupServerMessage *msg;
  char *since, *until;
  const char *member;     /* of the reply, holding the rows */
} Request;

static void
request_free (Request *request)
{
  g_object_unref (request->msg);
  g_free (request->since);
  g_free (request->until);
  g_free (request);
}

static void
on_stats (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Request *request = user_data;
  g_autoptr(JsonObject) reply = json_object_new ();

  if (error) {
    tb_api_reply_db_error (request->msg, error);
    request_free (request);
    return;
  }
  tb_api_set_string_or_null (reply, "since", request->since);
  tb_api_set_string_or_null (reply, "until", request->until);
  json_object_set_array_member (reply, request->member, tb_api_rows_to_array (result));
  tb_api_reply_object (request->msg, SOUP_STATUS_OK, reply);
  request_free (request);
}

/* Runs the statistics (@daily: per day) with the filter of @query. */
static void
run_stats (TbApi *api, SoupServerMessage *msg, GHashTable *query, gboolean daily)
{
  TbCallFilter filter;
  g_autofree char *sql = NULL;
  Request *request;

  if (!tb_call_filter_parse (&filter, query, stats_filters, msg) ||
      !tb_api_db_available (api, msg)) {
    tb_call_filter_clear (&filter);
    return;
  }
  request = g_new0 (Request, 1);
  request->msg = g_object_ref (msg);
  request->since = g_steal_pointer (&filter.since);
  request->until = g_steal_pointer (&filter.until);
  request->member = daily ? "days" : "agents";
  tb_http_defer (msg);
  sql = daily ? g_strdup_printf (daily_sql, filter.where->str)
              : g_strdup_printf (stats_sql, filter.where->str);
  tb_db_query (api->db, sql, filter.params->len, (const char *const *) filter.params->pdata,
               on_stats, request);
  tb_call_filter_clear (&filter);
}

static void
on_stats_get (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  run_stats (user_data, msg, query, FALSE);
}

static void
on_daily_get (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  run_stats (user_data, msg, query, TRUE);
}

void
tb_api_stats_register (TbApi *api)
{
  tb_http_server_add_exact_route (api->http, "GET", PATH, on_stats_get, api);
  tb_http_server_add_exact_route (api->http, "GET", DAILY_PATH, on_daily_get, api);
}
