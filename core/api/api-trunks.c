/* api-trunks.c — GET /api/v1/trunks: the registration of each
 * [trunk:NAME] as the SIP endpoint sees it now. */
#define G_LOG_DOMAIN "tb-api-calls"

#include "api-calls.h"

#define PATH "/api/v1/trunks"

static JsonObject *
trunk_object (const TbSipTrunkState *state)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "name", state->name);
  tb_api_set_string_or_null (object, "registrar", state->registrar);
  json_object_set_string_member (object, "state",
                                 tb_sip_trunk_registration_to_string (state->state));
  if (state->expires_in_s >= 0)
    json_object_set_int_member (object, "expires_in_s", state->expires_in_s);
  else
    json_object_set_null_member (object, "expires_in_s");
  if (state->last_status)
    json_object_set_int_member (object, "last_status", state->last_status);
  else
    json_object_set_null_member (object, "last_status");
  tb_api_set_string_or_null (object, "last_error", state->last_error);
  return object;
}

static void
handle_trunks (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  TbApi *api = user_data;
  g_autoptr(GPtrArray) trunks = NULL;
  g_autoptr(JsonObject) reply = json_object_new ();
  JsonArray *array = json_array_new ();

  if (!g_str_equal (path, PATH)) {
    json_array_unref (array);
    tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such path: %s", path);
    return;
  }
  trunks = api->sip ? tb_sip_endpoint_get_trunks (api->sip) : g_ptr_array_new ();
  for (guint i = 0; i < trunks->len; i++)
    json_array_add_object_element (array, trunk_object (g_ptr_array_index (trunks, i)));
  json_object_set_array_member (reply, "trunks", array);
  tb_api_reply_object (msg, SOUP_STATUS_OK, reply);
}

void
tb_api_trunks_register (TbApi *api)
{
  tb_http_server_add_route (api->http, "GET", PATH, handle_trunks, api);
}
