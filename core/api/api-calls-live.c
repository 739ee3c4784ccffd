/* api-calls-live.c — calls in progress, from the call manager: GET
 * /api/v1/calls/active, POST /api/v1/calls (an agent places a call through
 * the SIP endpoint) and POST /api/v1/calls/{id}/hangup. None of them needs
 * the database. */
#define G_LOG_DOMAIN "tb-api-calls"

#include "api-calls.h"

#include <string.h>

#define PREFIX "/api/v1/calls"
#define MAX_RING_TIMEOUT_S 300
/* The end reason of a call hung up through the API. */
#define HANGUP_REASON "api-hangup"

/* What every view of a live call starts with. */
static JsonObject *
call_identity (TbCall *call)
{
  JsonObject *object = json_object_new ();
  g_autofree char *started = tb_api_format_time (tb_call_get_started (call));

  json_object_set_string_member (object, "id", tb_call_get_id (call));
  tb_api_set_string_or_null (object, "agent", tb_call_get_agent (call));
  json_object_set_string_member (object, "direction",
                                 tb_call_get_direction (call) == TB_CALL_OUTBOUND
                                 ? "outbound" : "inbound");
  tb_api_set_string_or_null (object, "from", tb_call_get_from (call));
  tb_api_set_string_or_null (object, "to", tb_call_get_to (call));
  json_object_set_string_member (object, "started_at", started);
  return object;
}

JsonObject *
tb_api_live_call_summary (TbCall *call)
{
  JsonObject *object = call_identity (call);
  g_autoptr(GDateTime) answered = tb_call_dup_answered (call);
  g_autofree char *answered_at = answered ? tb_api_format_time (answered) : NULL;

  tb_api_set_string_or_null (object, "sip_call_id", tb_call_get_sip_call_id (call));
  tb_api_set_string_or_null (object, "answered_at", answered_at);
  json_object_set_null_member (object, "ended_at");
  json_object_set_null_member (object, "end_reason");
  json_object_set_null_member (object, "duration_ms");
  json_object_set_int_member (object, "turns", 0);
  json_object_set_boolean_member (object, "live", TRUE);
  return object;
}

static void
list_active (TbApi *api, SoupServerMessage *msg)
{
  g_autoptr(GPtrArray) calls = tb_call_manager_list (api->calls);
  g_autoptr(JsonObject) reply = json_object_new ();
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < calls->len; i++) {
    TbCall *call = g_ptr_array_index (calls, i);
    JsonObject *object = call_identity (call);
    g_autoptr(GDateTime) answered = tb_call_dup_answered (call);

    json_object_set_boolean_member (object, "answered", answered != NULL);
    json_array_add_object_element (array, object);
  }
  json_object_set_array_member (reply, "calls", array);
  tb_api_reply_object (msg, SOUP_STATUS_OK, reply);
}

static void
handle_active (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  if (!g_str_equal (path, PREFIX "/active")) {
    tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such path: %s", path);
    return;
  }
  list_active (user_data, msg);
}

/* ---- placing a call ---------------------------------------------------- */

/* A From user: what a number may hold. */
static gboolean
is_caller_id (const char *text)
{
  gsize n = strlen (text);

  return n > 0 && n <= 64 && strspn (text, "0123456789abcdefghijklmnopqrstuvwxyz"
                                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ+*#._!~-") == n;
}

/* Nothing a SIP header could be broken with: URI characters only. */
static gboolean
is_uri_text (const char *text)
{
  for (const char *p = text; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr ("-._~:/?#[]@!$&'()*+,;=%", *p))
      return FALSE;
  return TRUE;
}

static const char *
get_string (JsonObject *body, const char *name, gboolean required, JsonObject *fields)
{
  JsonNode *node = json_object_get_member (body, name);

  if (!node || JSON_NODE_HOLDS_NULL (node)) {
    if (required)
      json_object_set_string_member (fields, name, "is required");
    return NULL;
  }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING) {
    json_object_set_string_member (fields, name, "must be a string");
    return NULL;
  }
  if (required && !*json_node_get_string (node)) {
    json_object_set_string_member (fields, name, "must not be empty");
    return NULL;
  }
  return json_node_get_string (node);
}

/* Reads @body into @request; what is wrong goes to @fields. */
static void
read_request (JsonObject *body, TbOutboundCall *request, JsonObject *fields)
{
  static const char *const known[] = { "to", "agent", "trunk", "caller_id", "ring_timeout_s",
                                       NULL };
  g_autoptr(GList) names = json_object_get_members (body);
  JsonNode *timeout = json_object_get_member (body, "ring_timeout_s");

  for (GList *l = names; l; l = l->next)
    if (!g_strv_contains (known, l->data))
      json_object_set_string_member (fields, l->data, "unknown field");
  request->to = get_string (body, "to", TRUE, fields);
  request->agent = get_string (body, "agent", TRUE, fields);
  request->trunk = get_string (body, "trunk", FALSE, fields);
  request->caller_id = get_string (body, "caller_id", FALSE, fields);
  if (request->to && !is_uri_text (request->to))
    json_object_set_string_member (fields, "to", "must be a phone number or a sip: URI");
  if (request->caller_id && !is_caller_id (request->caller_id))
    json_object_set_string_member (fields, "caller_id",
                                   "must be 1-64 of A-Z a-z 0-9 + * # . _ ! ~ -");
  if (timeout && !JSON_NODE_HOLDS_NULL (timeout)) {
    if (!JSON_NODE_HOLDS_VALUE (timeout) || json_node_get_value_type (timeout) != G_TYPE_INT64 ||
        json_node_get_int (timeout) < 1 || json_node_get_int (timeout) > MAX_RING_TIMEOUT_S)
      json_object_set_string_member (fields, "ring_timeout_s", "must be an integer from 1 to 300");
    else
      request->ring_timeout_s = (guint) json_node_get_int (timeout);
  }
}

static void
place_call (TbApi *api, SoupServerMessage *msg)
{
  g_autoptr(JsonNode) root = tb_http_read_json_object (msg);
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(TbConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TbCall) call = NULL;
  TbOutboundCall request = { 0 };

  if (!root)
    return;
  read_request (json_node_get_object (root), &request, fields);
  if (json_object_get_size (fields) > 0) {
    tb_http_reply_invalid (msg, "invalid call", fields);
    return;
  }
  /* A trunk named for a SIP URI (which does not need one) must exist too. */
  config = tb_call_manager_dup_config (api->calls);
  if (request.trunk && !tb_config_find_trunk (config, request.trunk)) {
    tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no trunk '%s'", request.trunk);
    return;
  }
  if (!api->sip) {
    tb_http_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "SIP is not running");
    return;
  }
  call = tb_sip_endpoint_place_call (api->sip, &request, &error);
  if (!call) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
      tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "%s", error->message);
    } else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT)) {
      json_object_set_string_member (fields, "to", error->message);
      tb_http_reply_invalid (msg, "invalid call", fields);
    } else {
      tb_http_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "%s", error->message);
    }
    return;
  }
  g_message ("call %s placed through the API: agent %s to %s", tb_call_get_id (call),
             request.agent, request.to);
  reply = json_object_new ();
  json_object_set_string_member (reply, "id", tb_call_get_id (call));
  json_object_set_string_member (reply, "state", "dialing");
  json_object_set_string_member (reply, "agent", request.agent);
  json_object_set_string_member (reply, "to", request.to);
  tb_api_reply_object (msg, SOUP_STATUS_ACCEPTED, reply);
}

/* ---- hanging up -------------------------------------------------------- */

static void
hang_up (TbApi *api, SoupServerMessage *msg, const char *segment)
{
  g_autofree char *id = tb_api_read_call_id (segment, msg);
  g_autoptr(TbCall) call = NULL;
  g_autoptr(JsonObject) reply = NULL;

  if (!id)
    return;
  call = tb_call_manager_lookup (api->calls, id);
  if (!call) {
    tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no live call '%s'", id);
    return;
  }
  g_message ("call %s: hung up through the API", id);
  tb_call_hangup (call, HANGUP_REASON);
  reply = json_object_new ();
  json_object_set_string_member (reply, "id", id);
  json_object_set_boolean_member (reply, "hangup", TRUE);
  tb_api_reply_object (msg, SOUP_STATUS_ACCEPTED, reply);
}

static void
handle_post (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  TbApi *api = user_data;
  const char *rest = NULL;
  g_autofree char *segment = tb_api_path_segment (path, PREFIX, &rest);

  if (!segment)
    place_call (api, msg);
  else if (g_str_equal (rest, "/hangup"))
    hang_up (api, msg, segment);
  else
    tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such path: %s", path);
}

void
tb_api_calls_live_register (TbApi *api)
{
  tb_http_server_add_route (api->http, "GET", PREFIX "/active", handle_active, api);
  tb_http_server_add_route (api->http, "POST", PREFIX, handle_post, api);
}
