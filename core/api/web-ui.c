/* web-ui.c — the web UI's static files under /ui/ (see web-ui.h). */
#define G_LOG_DOMAIN "tb-web-ui"

#include "web-ui.h"

#include "config.h"
#include "http-json.h"

#include <string.h>

#define PREFIX "/ui"

/* Everything the page loads comes from here; audio previews are blobs. */
#define CONTENT_SECURITY_POLICY \
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
  "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; " \
  "form-action 'self'; frame-ancestors 'none'"

struct _TbWebUi {
  char *root;     /* [http] web-root, or web/ of the data directories */
};

static const struct {
  const char *suffix;
  const char *type;
} content_types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".mjs", "text/javascript; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".svg", "image/svg+xml" },
  { ".json", "application/json" },
  { ".png", "image/png" },
  { ".ico", "image/x-icon" },
  { ".txt", "text/plain; charset=utf-8" },
};

static const char *
content_type (const char *file)
{
  for (guint i = 0; i < G_N_ELEMENTS (content_types); i++)
    if (g_str_has_suffix (file, content_types[i].suffix))
      return content_types[i].type;
  return NULL;
}

/* A relative path of plain names: no "..", no hidden files, nothing a
 * file system could read as something else. */
static gboolean
is_safe_path (const char *relative)
{
  g_auto(GStrv) parts = g_strsplit (relative, "/", -1);

  for (guint i = 0; parts[i]; i++) {
    const char *part = parts[i];

    if (!*part || part[0] == '.')
      return FALSE;
    for (const char *p = part; *p; p++)
      if (!g_ascii_isalnum (*p) && !strchr ("-_.", *p))
        return FALSE;
  }
  return TRUE;
}

static void
redirect (SoupServerMessage *msg, guint status, const char *location)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location",
                                location);
  soup_server_message_set_status (msg, status, NULL);
}

static void
serve_file (SoupServerMessage *msg, const char *path, const char *file, gboolean index)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GError) error = NULL;
  const char *type = content_type (file);
  char *data = NULL;
  gsize length = 0;

  if (!type) {
    tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such path: %s", path);
    return;
  }
  if (!g_file_get_contents (file, &data, &length, &error)) {
    if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT) &&
        !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR)) {
      g_warning ("web UI: %s", error->message);
      tb_http_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "%s cannot be read", path);
    } else if (index) {
      tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND,
                           "the web UI is not installed: %s is missing ([http] web-root)", file);
    } else {
      tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such path: %s", path);
    }
    return;
  }
  /* The browser asks again at each load (the files are small), so that a
   * new version is seen at once. */
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  if (g_str_has_suffix (file, ".html"))
    soup_message_headers_replace (headers, "Content-Security-Policy", CONTENT_SECURITY_POLICY);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_TAKE, data, length);
}

static void
on_ui (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  TbWebUi *ui = user_data;
  g_autofree char *file = NULL;
  const char *relative;

  if (g_str_equal (path, PREFIX)) {
    redirect (msg, SOUP_STATUS_MOVED_PERMANENTLY, PREFIX "/");
    return;
  }
  relative = path + strlen (PREFIX "/");
  if (!*relative)
    relative = "index.html";
  if (!is_safe_path (relative)) {
    tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such path: %s", path);
    return;
  }
  file = g_build_filename (ui->root, relative, NULL);
  serve_file (msg, path, file, g_str_equal (relative, "index.html"));
}

static void
on_root (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  redirect (msg, SOUP_STATUS_FOUND, PREFIX "/");
}

TbWebUi *
tb_web_ui_new (TbHttpServer *http, const char *root)
{
  TbWebUi *ui = g_new0 (TbWebUi, 1);

  tb_web_ui_set_root (ui, root);
  tb_http_server_add_exact_route (http, SOUP_METHOD_GET, "/", on_root, ui);
  tb_http_server_add_route (http, SOUP_METHOD_GET, PREFIX, on_ui, ui);
  return ui;
}

void
tb_web_ui_set_root (TbWebUi *ui, const char *root)
{
  g_free (ui->root);
  ui->root = root ? g_strdup (root) : tb_config_find_data_dir ("web");
}

void
tb_web_ui_free (TbWebUi *ui)
{
  if (!ui)
    return;
  g_free (ui->root);
  g_free (ui);
}
