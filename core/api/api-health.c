/* api-health.c — GET /readyz and GET /metrics (see api-health.h). */
#define G_LOG_DOMAIN "tb-api-health"

#include "api-health.h"

#include "http-json.h"
#include "metrics.h"
#include "breaker.h"
#include "records.h"

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
add_boolean (JsonBuilder *b, const char *name, gboolean value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

/* 200 {"ready": true, "checks": {...}} or 503 with "ready": false. */
static void
on_readyz (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  TbApi *api = user_data;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  gboolean db_down = api->db && !tb_db_is_up (api->db);
  gboolean ready = !db_down && api->sip && !api->draining;

  json_builder_begin_object (b);
  add_boolean (b, "ready", ready);
  json_builder_set_member_name (b, "checks");
  json_builder_begin_object (b);
  add_string (b, "database", !api->db ? "not configured" : db_down ? "down" : "up");
  add_string (b, "sip", api->sip ? "bound" : "not bound");
  add_boolean (b, "draining", api->draining);
  json_builder_end_object (b);
  json_builder_end_object (b);
  tb_http_reply_builder (msg, ready ? SOUP_STATUS_OK : SOUP_STATUS_SERVICE_UNAVAILABLE, b);
}

/* 1 for each trunk registered with its registrar, else 0. */
static void
write_trunks (TbApi *api, GString *text)
{
  g_autoptr(GPtrArray) trunks = tb_sip_endpoint_get_trunks (api->sip);

  tb_metrics_write_header (text, "talkingbits_trunk_registered", "gauge",
                           "Whether each SIP trunk is registered with its registrar (1) or not (0)");
  for (guint i = 0; i < trunks->len; i++) {
    const TbSipTrunkState *trunk = g_ptr_array_index (trunks, i);

    tb_metrics_write_sample (text, "talkingbits_trunk_registered", "trunk", trunk->name,
                             trunk->state == TB_SIP_TRUNK_REGISTERED);
  }
}

static void
on_metrics (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  TbApi *api = user_data;
  GString *text = g_string_new (NULL);
  gsize length;

  tb_metrics_write_gauge (text, "talkingbits_active_calls", "Calls in progress",
                          tb_call_manager_count (api->calls));
  tb_metrics_write (text);
  tb_breaker_write_metrics (text);
  tb_metrics_write_gauge (text, "talkingbits_db_queue_depth",
                          "Call records accepted and not yet written to the database "
                          "(in memory and in the journal)",
                          tb_records_get_depth ());
  write_trunks (api, text);
  length = text->len;
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, TB_METRICS_CONTENT_TYPE, SOUP_MEMORY_TAKE,
                                    g_string_free (text, FALSE), length);
}

void
tb_api_health_register (TbApi *api)
{
  tb_http_server_add_route (api->http, SOUP_METHOD_GET, "/readyz", on_readyz, api);
  tb_http_server_add_route (api->http, SOUP_METHOD_GET, "/metrics", on_metrics, api);
  tb_http_server_require_token (api->http, "/metrics");
}
