/* api-rows.c — database results as JSON for the call side of the API,
 * replies when the database is missing or fails, and timestamps. */
#define G_LOG_DOMAIN "tb-api-calls"

#include "api-calls.h"

/* Type OIDs of PostgreSQL's built-in types (pg_type.dat). */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_JSON 114
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700
#define OID_JSONB 3802

static JsonNode *
value_node (PGresult *result, int row, int col)
{
  const char *text = PQgetvalue (result, row, col);
  JsonNode *node = json_node_alloc ();

  if (PQgetisnull (result, row, col))
    return json_node_init_null (node);
  switch (PQftype (result, col)) {
  case OID_BOOL:
    return json_node_init_boolean (node, text[0] == 't');
  case OID_INT2:
  case OID_INT4:
  case OID_INT8:
    return json_node_init_int (node, g_ascii_strtoll (text, NULL, 10));
  case OID_FLOAT4:
  case OID_FLOAT8:
  case OID_NUMERIC:
    return json_node_init_double (node, g_ascii_strtod (text, NULL));
  case OID_JSON:
  case OID_JSONB:
    json_node_unref (node);
    return tb_api_json_or_string (text);
  default:
    return json_node_init_string (node, text);
  }
}

void
tb_api_row_to_object (PGresult *result, int row, JsonObject *object)
{
  for (int col = 0; col < PQnfields (result); col++) {
    g_auto(GStrv) path = g_strsplit (PQfname (result, col), ".", -1);
    JsonObject *parent = object;
    guint last = g_strv_length (path) - 1;

    for (guint i = 0; i < last; i++) {
      if (!json_object_has_member (parent, path[i]))
        json_object_set_object_member (parent, path[i], json_object_new ());
      parent = json_object_get_object_member (parent, path[i]);
    }
    json_object_set_member (parent, path[last], value_node (result, row, col));
  }
}

JsonArray *
tb_api_rows_to_array (PGresult *result)
{
  JsonArray *array = json_array_sized_new (PQntuples (result));

  for (int row = 0; row < PQntuples (result); row++) {
    JsonObject *object = json_object_new ();

    tb_api_row_to_object (result, row, object);
    json_array_add_object_element (array, object);
  }
  return array;
}

void
tb_api_reply_object (SoupServerMessage *msg, guint status, JsonObject *object)
{
  g_autoptr(JsonNode) root = json_node_init_object (json_node_alloc (), object);

  tb_http_reply_json (msg, status, root);
}

gboolean
tb_api_db_available (TbApi *api, SoupServerMessage *msg)
{
  if (!api->db) {
    tb_http_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                         "the database is not available: no [database] is configured");
    return FALSE;
  }
  if (!tb_db_is_up (api->db)) {
    tb_http_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                         "the database is not available: no connection (retrying)");
    return FALSE;
  }
  return TRUE;
}

void
tb_api_reply_db_error (SoupServerMessage *msg, const GError *error)
{
  if (g_error_matches (error, TB_DB_ERROR, TB_DB_ERROR_QUERY)) {
    g_warning ("query failed: %s", error->message);
    tb_http_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "the query failed: %s",
                         error->message);
    return;
  }
  tb_http_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                       "the database is not available: %s", error->message);
}

JsonNode *
tb_api_json_or_string (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (json_parser_load_from_data (parser, text, -1, NULL) && json_parser_get_root (parser))
    return json_parser_steal_root (parser);
  return json_node_init_string (json_node_alloc (), text);
}

void
tb_api_set_string_or_null (JsonObject *object, const char *name, const char *value)
{
  if (value && *value)
    json_object_set_string_member (object, name, value);
  else
    json_object_set_null_member (object, name);
}

char *
tb_api_format_time (GDateTime *time)
{
  g_autoptr(GDateTime) utc = g_date_time_to_utc (time);
  g_autofree char *seconds = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%S");

  return g_strdup_printf ("%s.%03d+00:00", seconds, g_date_time_get_microsecond (utc) / 1000);
}
