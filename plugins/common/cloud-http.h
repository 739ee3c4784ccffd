/* cloud-http.h — what the cloud provider plugins (llm-openai, stt-deepgram,
 * stt-openai, tts-elevenlabs, tts-openai, tts-google) share: the settings
 * every one of them has (base URL, API key, timeouts, retries), one
 * SoupSession per instance (so per worker thread: connections are reused
 * across turns and calls), and streamed HTTP requests that end exactly once
 * with the provider's failures mapped to clear messages.
 *
 * The API key is sent in a header and never logged: messages name the
 * provider and the status, never the key or the request's headers.
 *
 * Timeouts of a request:
 *   connect-timeout-ms      until the request has been written on a
 *                           connection (a new one, or one reused);
 *   first-byte-timeout-ms   until the response headers have come;
 *   timeout-ms              until the whole body has come.
 * Retries (max-retries, default 1) happen only before the plugin has given
 * the host anything (tb_cloud_request_set_started): after a failed
 * connection, a 500/502/503/504, or a 429 whose Retry-After (seconds, or 1 s
 * when it has none) ends before the total deadline. Timeouts and other 4xx
 * are not retried: the next provider of the agent's chain does better. */
#pragma once

#include <talkingbits-plugin.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* RFC 6585; libsoup 3.2 has no name for it. */
#define TB_CLOUD_STATUS_TOO_MANY_REQUESTS 429

/* The keys of every cloud plugin, first in its key array:
 *   static const TbConfigKey keys[] = {
 *     TB_CLOUD_KEYS ("https://api.openai.com/v1", 0),
 *     { "model", ... },
 *     { NULL } };
 * @key_flags is TB_CONFIG_KEY_REQUIRED when the provider needs a key
 * (0 lets self-hosted servers without one be used). */
#define TB_CLOUD_KEYS(default_base_url, key_flags) \
  { "base-url", TB_CONFIG_TYPE_STRING, 0, default_base_url, \
    "Where the provider's API is: its service, a proxy, or a self-hosted server that speaks the same API.", \
    0, 0, NULL, { NULL } }, \
  { "api-key-env", TB_CONFIG_TYPE_SECRET_ENV, key_flags, NULL, \
    "Environment variable holding the API key (never the key itself).", 0, 0, NULL, { NULL } }, \
  { "connect-timeout-ms", TB_CONFIG_TYPE_INT, 0, "3000", \
    "Time allowed to connect and send a request, in ms.", 100, 60000, NULL, { NULL } }, \
  { "first-byte-timeout-ms", TB_CONFIG_TYPE_INT, 0, "5000", \
    "Time allowed from the request to the first byte of the answer, in ms.", 100, 120000, NULL, { NULL } }, \
  { "timeout-ms", TB_CONFIG_TYPE_INT, 0, "30000", \
    "Time allowed for a whole answer, in ms.", 100, 600000, NULL, { NULL } }, \
  { "max-retries", TB_CONFIG_TYPE_INT, 0, "1", \
    "Retries of a request that failed before anything was played or said (connection failures, 5xx, 429 with Retry-After).", \
    0, 5, NULL, { NULL } }

typedef struct {
  char *provider;          /* "OpenAI": named in error messages */
  char *base_url;          /* without a trailing '/' */
  char *api_key;           /* NULL when the settings give none; never logged */
  char *auth_header;       /* "Authorization", "xi-api-key", ... */
  char *auth_prefix;       /* "Bearer ", "Token ", "" */
  guint connect_timeout_ms;
  guint first_byte_timeout_ms;
  guint timeout_ms;
  guint max_retries;
  SoupSession *session;    /* made on first use, on the worker's thread */
} TbCloudClient;

/* Reads the TB_CLOUD_KEYS settings. @auth_header and @auth_prefix say how
 * the key is sent ("Authorization", "Bearer "). FALSE with a
 * TB_PLUGIN_ERROR_CONFIG error when the base URL is not an http, https, ws
 * or wss URL. */
gboolean tb_cloud_client_init (TbCloudClient *client, const char *provider, GVariant *settings,
                               const char *auth_header, const char *auth_prefix, GError **error);
void tb_cloud_client_clear (TbCloudClient *client);

/* The instance's session, made on first use (call it from the worker's
 * thread, where the instance is used). */
SoupSession *tb_cloud_client_session (TbCloudClient *client);

/* @path ("/chat/completions", or a query part after it) joined to the base
 * URL; an absolute URL is returned as it is. */
char *tb_cloud_client_url (TbCloudClient *client, const char *path);

/* Sets the authentication header of @msg (nothing without a key). */
void tb_cloud_client_authorize (TbCloudClient *client, SoupMessage *msg);

/* The error for an HTTP failure @status of this provider, with @body the
 * start of its error reply (NULL when none): 401/403 ->
 * TB_PLUGIN_ERROR_AUTH "invalid API key for provider X (401)", 429 ->
 * TB_PLUGIN_ERROR_RATE_LIMITED "provider X rate limited the request (429):
 * ...", others TB_PLUGIN_ERROR_FAILED "provider X answered 500: <the
 * message of the provider's JSON error, or the start of the body>". */
GError *tb_cloud_client_status_error (TbCloudClient *client, guint status, GBytes *body);

/* ---- streamed requests ------------------------------------------------- */

typedef struct _TbCloudRequest TbCloudRequest;

typedef struct {
  /* A retry is about to start: forget what the chunks so far said. May be
   * NULL when the plugin keeps no state across chunks. */
  void (*restart) (gpointer user_data);
  /* A piece of a 2xx answer's body, as it arrives. */
  void (*chunk) (TbCloudRequest *request, const guint8 *data, gsize len, gpointer user_data);
  /* The body ended. Terminal. */
  void (*done) (gpointer user_data);
  /* The request failed (mapped as tb_cloud_client_status_error says, or
   * TB_PLUGIN_ERROR_TIMEOUT, or G_IO_ERROR_CANCELLED when @cancellable was
   * cancelled). Terminal. */
  void (*error) (const GError *error, gpointer user_data);
} TbCloudRequestCallbacks;

/* Sends @method @path (see tb_cloud_client_url) with @body of
 * @content_type (both NULL for none) and @accept (NULL: none), on the
 * thread-default context. The callbacks are never called from inside this
 * function. @cancellable (may be NULL) aborts the request at once: the
 * connection is closed, error(G_IO_ERROR_CANCELLED) follows from an idle.
 * The request is the callbacks' to use until the terminal callback returns;
 * it frees itself after it. */
TbCloudRequest *tb_cloud_request_start (TbCloudClient *client, const char *method,
                                        const char *path, const char *content_type,
                                        GBytes *body, const char *accept,
                                        const TbCloudRequestCallbacks *callbacks,
                                        gpointer user_data, GCancellable *cancellable);

/* The plugin has given the host something (text, audio): from now on the
 * request is not retried. */
void tb_cloud_request_set_started (TbCloudRequest *request);

/* From chunk(): the answer makes no sense. Ends the request (retried like a
 * failed connection while not started) with @error, which it takes. */
void tb_cloud_request_fail (TbCloudRequest *request, GError *error);

/* The response's headers (valid from the first chunk()). */
SoupMessageHeaders *tb_cloud_request_response_headers (TbCloudRequest *request);

/* ---- timers and idles ------------------------------------------------------ */

/* Attaches @source, calling @func (@data), to @context (NULL: the thread's
 * default context); returns it with the reference the caller keeps. */
GSource *tb_cloud_source_attach (GSource *source, GSourceFunc func, gpointer data,
                                 GMainContext *context);

/* Destroys *@source and drops the reference, when there is one. */
void tb_cloud_source_clear (GSource **source);

G_END_DECLS
