/* api-openapi.c — serves the OpenAPI document (see api-openapi.h). The
 * file is read on each request: it is small, asked for rarely, and an
 * uninstalled daemon then serves the source tree's current version. */
#define G_LOG_DOMAIN "tb-api-openapi"

#include "api-openapi.h"

#include "http-json.h"
#include "store.h"

#define OPENAPI_PATH "/api/v1/openapi.json"

static void
on_get (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  g_autofree char *dir = NULL;
  g_autofree char *file = NULL;
  g_autoptr(GError) error = NULL;
  char *text = NULL;
  gsize length = 0;

  if (!g_str_equal (path, OPENAPI_PATH)) {
    tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such path: %s", path);
    return;
  }
  dir = tb_config_find_data_dir ("schemas");
  file = g_build_filename (dir, "openapi.json", NULL);
  if (!g_file_get_contents (file, &text, &length, &error)) {
    g_warning ("the OpenAPI document: %s", error->message);
    tb_http_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                         "the OpenAPI document cannot be read: %s", error->message);
    return;
  }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, length);
}

void
tb_api_openapi_register (TbApi *api)
{
  tb_http_server_add_route (api->http, SOUP_METHOD_GET, OPENAPI_PATH, on_get, NULL);
}
