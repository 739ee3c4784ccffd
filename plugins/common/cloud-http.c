/* cloud-http.c — a cloud provider's client: its settings, its session and
 * the errors its HTTP failures become. */
#define G_LOG_DOMAIN "tb-cloud"

#include "cloud-http.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define ERROR_EXCERPT_CHARS 200

static gint64
setting_int (GVariant *settings, const char *key, gint64 fallback)
{
  gint64 value;

  return g_variant_lookup (settings, key, "x", &value) ? value : fallback;
}

gboolean
tb_cloud_client_init (TbCloudClient *client, const char *provider, GVariant *settings,
                      const char *auth_header, const char *auth_prefix, GError **error)
{
  g_autofree char *base_url = NULL;
  g_autofree char *api_key = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  memset (client, 0, sizeof *client);
  if (!g_variant_lookup (settings, "base-url", "s", &base_url) || !*base_url) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG, "base-url is not set");
    return FALSE;
  }
  uri = g_uri_parse (base_url, G_URI_FLAGS_NONE, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (!scheme || !g_uri_get_host (uri) || !*g_uri_get_host (uri) ||
      !(g_str_equal (scheme, "http") || g_str_equal (scheme, "https") ||
        g_str_equal (scheme, "ws") || g_str_equal (scheme, "wss"))) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "base-url \"%s\" is not an http://, https://, ws:// or wss:// URL", base_url);
    return FALSE;
  }
  if (g_variant_lookup (settings, "api-key-env", "s", &api_key) && *api_key)
    client->api_key = g_steal_pointer (&api_key);

  while (g_str_has_suffix (base_url, "/"))
    base_url[strlen (base_url) - 1] = '\0';
  client->provider = g_strdup (provider);
  client->base_url = g_steal_pointer (&base_url);
  client->auth_header = g_strdup (auth_header);
  client->auth_prefix = g_strdup (auth_prefix ? auth_prefix : "");
  client->connect_timeout_ms = setting_int (settings, "connect-timeout-ms", 3000);
  client->first_byte_timeout_ms = setting_int (settings, "first-byte-timeout-ms", 5000);
  client->timeout_ms = setting_int (settings, "timeout-ms", 30000);
  client->max_retries = setting_int (settings, "max-retries", 1);
  return TRUE;
}

void
tb_cloud_client_clear (TbCloudClient *client)
{
  if (client->session)
    soup_session_abort (client->session);
  g_clear_object (&client->session);
  g_clear_pointer (&client->provider, g_free);
  g_clear_pointer (&client->base_url, g_free);
  if (client->api_key)
    memset (client->api_key, 0, strlen (client->api_key));
  g_clear_pointer (&client->api_key, g_free);
  g_clear_pointer (&client->auth_header, g_free);
  g_clear_pointer (&client->auth_prefix, g_free);
}

SoupSession *
tb_cloud_client_session (TbCloudClient *client)
{
  if (!client->session) {
    /* The session's connections are reused across the requests of this
     * instance: one worker thread, many turns and calls. The I/O timeout
     * is a backstop; requests keep their own deadlines. */
    client->session = soup_session_new_with_options ("user-agent", "Talkingbits",
                                                     "max-conns-per-host", 8,
                                                     "timeout", 120,
                                                     "idle-timeout", 60,
                                                     NULL);
  }
  return client->session;
}

char *
tb_cloud_client_url (TbCloudClient *client, const char *path)
{
  if (g_str_has_prefix (path, "http://") || g_str_has_prefix (path, "https://") ||
      g_str_has_prefix (path, "ws://") || g_str_has_prefix (path, "wss://"))
    return g_strdup (path);
  return g_strconcat (client->base_url, *path == '/' ? "" : "/", path, NULL);
}

void
tb_cloud_client_authorize (TbCloudClient *client, SoupMessage *msg)
{
  g_autofree char *value = NULL;

  if (!client->api_key || !client->auth_header)
    return;
  value = g_strconcat (client->auth_prefix, client->api_key, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (msg), client->auth_header,
                                value);
  memset (value, 0, strlen (value));
}

/* The message of a provider's JSON error body, in the shapes they use:
 * {"error":{"message"}} (OpenAI, Google), {"error":"..."}, {"detail":
 * {"message"}} or {"detail":"..."} (ElevenLabs), {"err_msg"} (Deepgram),
 * {"message"}. */
static char *
json_error_message (GBytes *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  JsonObject *root, *inner;
  const char *const outer[] = { "error", "detail" };

  if (!json_parser_load_from_data (parser, data, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  root = json_node_get_object (json_parser_get_root (parser));
  for (guint i = 0; i < G_N_ELEMENTS (outer); i++) {
    JsonNode *node = json_object_get_member (root, outer[i]);

    if (!node)
      continue;
    if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
      return g_strdup (json_node_get_string (node));
    if (JSON_NODE_HOLDS_OBJECT (node)) {
      inner = json_node_get_object (node);
      if (json_object_has_member (inner, "message") &&
          JSON_NODE_HOLDS_VALUE (json_object_get_member (inner, "message")))
        return g_strdup (json_object_get_string_member (inner, "message"));
    }
  }
  for (const char *const *key = (const char *const[]) { "err_msg", "message", NULL }; *key;
       key++) {
    JsonNode *node = json_object_get_member (root, *key);

    if (node && JSON_NODE_HOLDS_VALUE (node) &&
        json_node_get_value_type (node) == G_TYPE_STRING)
      return g_strdup (json_node_get_string (node));
  }
  return NULL;
}

/* What a failed request's body says, short and printable. */
static char *
body_excerpt (GBytes *body)
{
  g_autofree char *message = NULL;
  gsize len;
  const char *data;
  GString *out;

  if (!body || g_bytes_get_size (body) == 0)
    return NULL;
  message = json_error_message (body);
  data = message ? message : g_bytes_get_data (body, &len);
  if (message)
    len = strlen (message);
  out = g_string_new (NULL);
  for (gsize i = 0; i < len && out->len < ERROR_EXCERPT_CHARS; i++)
    g_string_append_c (out, g_ascii_isprint (data[i]) ? data[i] : ' ');
  g_strstrip (out->str);
  out->len = strlen (out->str);
  if (out->len == 0) {
    g_string_free (out, TRUE);
    return NULL;
  }
  return g_string_free (out, FALSE);
}

GError *
tb_cloud_client_status_error (TbCloudClient *client, guint status, GBytes *body)
{
  g_autofree char *excerpt = body_excerpt (body);
  const char *reason = soup_status_get_phrase (status);

  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    return g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_AUTH,
                        "invalid API key for provider %s (%u%s%s)", client->provider, status,
                        excerpt ? ": " : "", excerpt ? excerpt : "");
  if (status == TB_CLOUD_STATUS_TOO_MANY_REQUESTS)
    return g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_RATE_LIMITED,
                        "provider %s rate limited the request (429)%s%s", client->provider,
                        excerpt ? ": " : "", excerpt ? excerpt : "");
  return g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED, "provider %s answered %u %s%s%s",
                      client->provider, status, reason ? reason : "",
                      excerpt ? ": " : "", excerpt ? excerpt : "");
}

GSource *
tb_cloud_source_attach (GSource *source, GSourceFunc func, gpointer data, GMainContext *context)
{
  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, context ? context : g_main_context_get_thread_default ());
  return source;
}

void
tb_cloud_source_clear (GSource **source)
{
  if (*source) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}
