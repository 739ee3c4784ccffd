/* webhook.c — tool plugin "webhook": one provider ([tool:NAME]) is one
 * function offered to the language model; calling it POSTs the call's
 * details and the arguments as JSON to the business's URL, and the JSON
 * reply becomes the tool result (it may carry a "call" object too).
 *
 * The body is
 *   {"id": "<uuid>", "timestamp": <unix seconds>, "call_id": ..., "agent": ...,
 *    "caller": ..., "callee": ..., "tool": "<function>", "arguments": {...}}
 * With secret-env set, X-Talkingbits-Signature: sha256=<hex> is the
 * HMAC-SHA256 of the body's exact bytes with the secret. The timestamp and
 * id are inside the signed body, so a receiver that refuses old timestamps
 * (say, more than five minutes) and ids it has seen is safe from replays.
 *
 * Each instance (one per worker thread) has its own SoupSession, made on
 * first use on the worker's thread-default context, so connections to the
 * receiver are kept (4 s when idle) and reused by that worker. */
#define G_LOG_DOMAIN "tb-tool-webhook"

#include <talkingbits-plugin.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "tool-args.h"
#include "tool-reply.h"
#include "webhook-request.h"

/* Idle connections are closed before the receiver's own keep-alive limit
 * would (5 s in Node.js and Apache), so that a request never goes out on
 * a connection the receiver is closing. */
#define IDLE_TIMEOUT_S 4

#define DEFAULT_DESCRIPTION \
  "Sends the arguments to the business's web service and returns its answer"
#define DEFAULT_PARAMETERS \
  "{\"type\":\"object\",\"properties\":{},\"required\":[],\"additionalProperties\":false}"

typedef struct {
  GUri *uri;
  char *display_url;
  char *secret;               /* NULL: requests are not signed */
  guint timeout_ms;
  gsize max_reply_bytes;
  GStrv header_names, header_values;
  char *function_name, *description, *parameters;
  TbToolFunction functions[2];
  char *user_agent;
  SoupSession *session;       /* made on first use                    */
  GMainContext *context;      /* the thread-default context it runs on */
} Webhook;

static const TbConfigKey webhook_keys[] = {
  { .name = "url", .type = TB_CONFIG_TYPE_STRING, .flags = TB_CONFIG_KEY_REQUIRED,
    .help = "http:// or https:// URL the arguments are POSTed to" },
  { .name = "function", .type = TB_CONFIG_TYPE_STRING, .flags = TB_CONFIG_KEY_REQUIRED,
    .help = "Name of the function offered to the language model: letters, digits, _ and -, "
            "for example book_table" },
  { .name = "description", .type = TB_CONFIG_TYPE_STRING, .default_value = DEFAULT_DESCRIPTION,
    .help = "What the function does and when to call it, for the language model" },
  { .name = "parameters", .type = TB_CONFIG_TYPE_STRING,
    .default_value = DEFAULT_PARAMETERS,
    .help = "JSON schema of the arguments object, on one line" },
  { .name = "secret-env", .type = TB_CONFIG_TYPE_SECRET_ENV,
    .help = "Environment variable holding the key of the X-Talkingbits-Signature HMAC; "
            "unset: requests are not signed" },
  { .name = "timeout-ms", .type = TB_CONFIG_TYPE_INT, .default_value = "5000",
    .min = 100, .max = 600000,
    .help = "Time allowed for the whole exchange, from connecting to the end of the reply" },
  { .name = "max-reply-bytes", .type = TB_CONFIG_TYPE_INT, .default_value = "65536",
    .min = 16, .max = 16777216,
    .help = "Longest reply accepted; reading stops past it and the call fails" },
  { .name = "headers", .type = TB_CONFIG_TYPE_STRING_LIST,
    .help = "Extra request headers, 'Name: value', ';'-separated (no secrets here: "
            "use secret-env)" },
  { NULL }
};

static void
webhook_instance_free (gpointer instance)
{
  Webhook *webhook = instance;

  g_clear_object (&webhook->session);
  g_clear_pointer (&webhook->context, g_main_context_unref);
  g_clear_pointer (&webhook->uri, g_uri_unref);
  g_free (webhook->display_url);
  if (webhook->secret)
    memset (webhook->secret, 0, strlen (webhook->secret));
  g_free (webhook->secret);
  g_strfreev (webhook->header_names);
  g_strfreev (webhook->header_values);
  g_free (webhook->function_name);
  g_free (webhook->description);
  g_free (webhook->parameters);
  g_free (webhook->user_agent);
  g_free (webhook);
}

static gboolean
config_error (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
config_error (GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG, message);
  return FALSE;
}

static gboolean
read_url (Webhook *webhook, const char *url, GError **error)
{
  g_autoptr(GError) parse_error = NULL;
  const char *scheme;

  for (const char *p = url; *p; p++)
    if (!g_ascii_isgraph (*p))
      return config_error (error, "url: '%s' has spaces or characters that must be "
                           "percent-encoded", url);
  webhook->uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, &parse_error);
  if (!webhook->uri)
    return config_error (error, "url: not a valid URL: %s", parse_error->message);
  scheme = g_uri_get_scheme (webhook->uri);
  if ((g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0) ||
      !g_uri_get_host (webhook->uri) || !*g_uri_get_host (webhook->uri))
    return config_error (error, "url: '%s' is not an http:// or https:// URL", url);
  /* Userinfo and query may hold credentials: keep them out of messages. */
  webhook->display_url = g_uri_join (G_URI_FLAGS_ENCODED, scheme, NULL,
                                     g_uri_get_host (webhook->uri),
                                     g_uri_get_port (webhook->uri),
                                     g_uri_get_path (webhook->uri), NULL, NULL);
  return TRUE;
}

static gboolean
is_function_name (const char *name)
{
  gsize len = strlen (name);

  return len >= 1 && len <= 64 &&
         strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == len;
}

static gboolean
read_parameters (Webhook *webhook, const char *text, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) parse_error = NULL;
  JsonNode *root;

  if (!json_parser_load_from_data (parser, text, -1, &parse_error))
    return config_error (error, "parameters: not valid JSON: %s", parse_error->message);
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root) ||
      g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (root),
                                                             "type", ""), "object") != 0)
    return config_error (error, "parameters: the schema of the arguments must be a JSON "
                         "object with \"type\": \"object\"");
  webhook->parameters = g_strdup (text);
  return TRUE;
}

/* Headers the plugin sets itself, or that would break the exchange. */
static const char *const reserved_headers[] = {
  "content-type", "content-length", "transfer-encoding", "host", "connection",
  "x-talkingbits-signature", NULL
};

static gboolean
read_headers (Webhook *webhook, GVariant *settings, GError **error)
{
  g_autofree const char **entries = NULL;
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) values = g_strv_builder_new ();

  g_variant_lookup (settings, "headers", "^a&s", &entries);
  for (guint i = 0; entries && entries[i]; i++) {
    const char *colon = strchr (entries[i], ':');
    g_autofree char *name = colon ? g_strstrip (g_strndup (entries[i], colon - entries[i]))
                                  : NULL;
    g_autofree char *value = colon ? g_strstrip (g_strdup (colon + 1)) : NULL;
    g_autofree char *lower = name ? g_ascii_strdown (name, -1) : NULL;

    if (!name || !*name || strspn (name, "abcdefghijklmnopqrstuvwxyz"
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~")
                           != strlen (name))
      return config_error (error, "headers: '%s' is not 'Name: value'", entries[i]);
    if (g_strv_contains (reserved_headers, lower))
      return config_error (error, "headers: %s is set by the plugin", name);
    for (const char *p = value; *p; p++)
      if (g_ascii_iscntrl (*p) && *p != '\t')
        return config_error (error, "headers: the value of %s has a control character", name);
    g_strv_builder_add (names, name);
    g_strv_builder_add (values, value);
  }
  webhook->header_names = g_strv_builder_end (names);
  webhook->header_values = g_strv_builder_end (values);
  return TRUE;
}

static gpointer
webhook_instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  Webhook *webhook = g_new0 (Webhook, 1);
  const char *url = NULL, *function = NULL, *description = NULL;
  const char *parameters = DEFAULT_PARAMETERS, *secret = NULL;
  gint64 timeout_ms = 5000, max_reply_bytes = 65536;

  g_variant_lookup (settings, "url", "&s", &url);
  g_variant_lookup (settings, "function", "&s", &function);
  g_variant_lookup (settings, "description", "&s", &description);
  g_variant_lookup (settings, "parameters", "&s", &parameters);
  g_variant_lookup (settings, "secret-env", "&s", &secret);
  g_variant_lookup (settings, "timeout-ms", "x", &timeout_ms);
  g_variant_lookup (settings, "max-reply-bytes", "x", &max_reply_bytes);

  if (!url) {
    config_error (error, "url: required key is missing");
    goto fail;
  }
  if (!read_url (webhook, url, error))
    goto fail;
  if (!function || !is_function_name (function)) {
    config_error (error, "function: '%s' is not a function name (1 to 64 letters, digits, "
                  "_ and -)", function ? function : "");
    goto fail;
  }
  if (!read_parameters (webhook, parameters, error) || !read_headers (webhook, settings, error))
    goto fail;
  webhook->function_name = g_strdup (function);
  webhook->description = g_strdup (description ? description : DEFAULT_DESCRIPTION);
  webhook->functions[0] = (TbToolFunction) {
    webhook->function_name, webhook->description, webhook->parameters
  };
  webhook->secret = g_strdup (secret);
  webhook->timeout_ms = CLAMP (timeout_ms, 100, 600000);
  webhook->max_reply_bytes = CLAMP (max_reply_bytes, 16, 16777216);
  webhook->user_agent = g_strdup_printf ("talkingbits/%s", host && host->host_version
                                                           ? host->host_version : "0");
  return webhook;

fail:
  webhook_instance_free (webhook);
  return NULL;
}

static const TbToolFunction *
webhook_functions (gpointer instance)
{
  return ((Webhook *) instance)->functions;
}

/* The instance's session, made on the current thread-default context; NULL
 * when the instance is used from another context than the first. */
static SoupSession *
webhook_session (Webhook *webhook, GError **error)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  if (!webhook->session) {
    webhook->session = soup_session_new_with_options ("user-agent", webhook->user_agent,
                                                      "timeout", 0,
                                                      "idle-timeout", IDLE_TIMEOUT_S, NULL);
    webhook->context = g_steal_pointer (&context);
  } else if (context != webhook->context) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "webhook %s: instance used from another thread than its own",
                 webhook->display_url);
    return NULL;
  }
  return webhook->session;
}

static void
add_string_member (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static GBytes *
request_body (const TbToolInvocation *invocation, JsonObject *arguments)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) args = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *id = g_uuid_string_random ();
  gsize len = 0;
  char *text;

  json_node_set_object (args, arguments);
  json_builder_begin_object (builder);
  add_string_member (builder, "id", id);
  json_builder_set_member_name (builder, "timestamp");
  json_builder_add_int_value (builder, g_get_real_time () / G_USEC_PER_SEC);
  add_string_member (builder, "call_id", invocation->call_id);
  add_string_member (builder, "agent", invocation->agent);
  add_string_member (builder, "caller", invocation->caller);
  add_string_member (builder, "callee", invocation->callee);
  add_string_member (builder, "tool", invocation->function);
  json_builder_set_member_name (builder, "arguments");
  json_builder_add_value (builder, g_steal_pointer (&args));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  len = strlen (text);
  return g_bytes_new_take (text, len);
}

static void
webhook_invoke (gpointer instance, const TbToolInvocation *invocation,
                const TbToolCallbacks *callbacks, gpointer user_data,
                GCancellable *cancellable)
{
  Webhook *webhook = instance;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GBytes) body = NULL;
  g_autofree char *signature = NULL;
  GError *error = NULL;
  SoupSession *session = NULL;
  JsonObject *arguments = NULL;
  TbWebhookPost post;

  if (g_strcmp0 (invocation->function, webhook->function_name) != 0)
    g_set_error (&error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "no function '%s' in webhook %s", invocation->function, webhook->display_url);
  else if (g_cancellable_is_cancelled (cancellable))
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  else if ((arguments = tb_tool_args_parse (parser, invocation->function,
                                            invocation->arguments_json, &error)))
    session = webhook_session (webhook, &error);
  if (!session) {
    tb_tool_reply_later (callbacks, user_data, cancellable, NULL, error);
    return;
  }

  body = request_body (invocation, arguments);
  if (webhook->secret) {
    g_autofree char *hex = g_compute_hmac_for_data (G_CHECKSUM_SHA256,
                                                    (const guchar *) webhook->secret,
                                                    strlen (webhook->secret),
                                                    g_bytes_get_data (body, NULL),
                                                    g_bytes_get_size (body));
    signature = g_strconcat ("sha256=", hex, NULL);
  }
  post = (TbWebhookPost) {
    .session = session,
    .uri = webhook->uri,
    .display_url = webhook->display_url,
    .body = body,
    .signature = signature,
    .header_names = (const char *const *) webhook->header_names,
    .header_values = (const char *const *) webhook->header_values,
    .timeout_ms = webhook->timeout_ms,
    .max_reply_bytes = webhook->max_reply_bytes,
  };
  g_debug ("POST %s: %s, %" G_GSIZE_FORMAT " bytes%s", webhook->display_url,
           invocation->function, g_bytes_get_size (body), signature ? ", signed" : "");
  tb_webhook_post (&post, callbacks, user_data, cancellable);
}

static const TbToolVTable webhook_vtable = {
  .version = TB_TOOL_VTABLE_VERSION,
  .functions = webhook_functions,
  .invoke = webhook_invoke,
};

static const TbPluginDesc webhook_desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_TOOL,
  .name = "webhook",
  .version = "0.1.0",
  .description = "A function the agent calls by POSTing JSON to a web service",
  .license = "LGPL-2.1-or-later",
  .config_keys = webhook_keys,
  .instance_new = webhook_instance_new,
  .instance_free = webhook_instance_free,
  .vtable = &webhook_vtable,
};

TB_PLUGIN_DEFINE (webhook_desc)
