/* api-env.c — the Web API under test (see api-env.h). */
#include "api-env.h"

#include "test-tbcall-run.h"
#include "test-util.h"

#include <gst/gst.h>
#include <string.h>

static const char *const plugins[] = {
  "stt-scripted", "tts-scripted", "llm-scripted", "tool-scripted", NULL
};

gboolean
tb_test_api_has_auth (void)
{
  g_autofree char *dir = tb_test_server_make_dir ();
  g_autofree char *conf = tb_test_write_file (
    dir, "probe.conf",
    "[talkingbits]\nplugin-path=\n[http]\nlisten=127.0.0.1:9\napi-token-env="
    TB_TEST_API_TOKEN_ENV "\n");
  const char *const argv[] = { TB_DAEMON, "--check-config", "--config", conf, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *previous = g_getenv (TB_TEST_API_TOKEN_ENV);
  g_autofree char *saved = g_strdup (previous);

  g_setenv (TB_TEST_API_TOKEN_ENV, "probe-token-value", TRUE);
  tb_test_run (argv, "", &out, &err);
  if (saved)
    g_setenv (TB_TEST_API_TOKEN_ENV, saved, TRUE);
  else
    g_unsetenv (TB_TEST_API_TOKEN_ENV);
  tb_test_remove_tree (dir);
  return !strstr (out, "unknown key") && !strstr (err, "unknown key");
}

/* A token made up for this run. */
void
tb_test_api_start (TbTestApi *api, const char *groups)
{
  g_autofree char *all = NULL;
  g_autofree char *auth = NULL;
  g_autofree char *listening = NULL;
  guint dead_port = tb_test_free_port ();

  memset (api, 0, sizeof *api);
  /* test-server.h writes its audio with GStreamer. */
  gst_init (NULL, NULL);
  /* The daemon finds its migrations and schemas/openapi.json here. */
  g_setenv ("TALKINGBITS_DATA_PATH", TB_BUILD_ROOT "/data", TRUE);
  g_setenv ("TB_TEST_TRUNK_PASSWORD", "trunk-password", TRUE);
  api->pg = tb_test_pg_new ();
  api->plugin_dir = tb_test_plugin_dir_new (plugins);
  {
    /* The webhook tool plugin, for tools made through the API. */
    g_autofree char *from = g_build_filename (TB_BUILD_ROOT, "plugins", "tool-webhook.so", NULL);
    g_autofree char *to = g_build_filename (api->plugin_dir, "tool-webhook.so", NULL);
    g_autofree char *contents = NULL;
    gsize length = 0;

    g_assert_true (g_file_get_contents (from, &contents, &length, NULL));
    g_assert_true (g_file_set_contents (to, contents, (gssize) length, NULL));
  }
  if (tb_test_api_has_auth ()) {
    api->token = tb_test_new_token ("tbtest-");
    g_setenv (TB_TEST_API_TOKEN_ENV, api->token, TRUE);
    auth = g_strdup ("[http]\napi-token-env=" TB_TEST_API_TOKEN_ENV "\n");
  } else {
    g_test_message ("the daemon has no [http] api-token-env yet: the API is open");
  }
  all = g_strdup_printf (
    "[agent:talker]\nnumbers=2000\nstt=scripted\ntts=scripted\nllm=scripted\ntools=scripted\n"
    "[stt:scripted]\ntranscripts=book it for tuesday\n"
    "[llm:scripted]\ntools=book=slow_tool:{\"day\":\"tuesday\"}\n"
    "[tool:scripted]\ndelay-ms=100\n"
    "[trunk:carrier]\nregistrar=sip:127.0.0.1:%u\nusername=tbtest\n"
    "password-env=TB_TEST_TRUNK_PASSWORD\n"
    "[database]\nconninfo=%s\n%s%s",
    dead_port, api->pg->conninfo, auth ? auth : "", groups ? groups : "");
  api->server.plugin_path = api->plugin_dir;
  api->server.http_port = tb_test_free_port ();
  tb_test_server_start_full (&api->server, "", "", all);
  api->url = g_strdup_printf ("http://127.0.0.1:%u", api->server.http_port);
  listening = g_strdup_printf ("HTTP listening on %s/", api->url);
  g_assert_true (tb_test_wait_for_log (api->server.log, listening));
  {
    /* Straight to loopback, whatever proxy the environment names. */
    g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);

    api->session = soup_session_new_with_options ("timeout", 30, "proxy-resolver", direct, NULL);
  }
}

void
tb_test_api_stop (TbTestApi *api)
{
  g_clear_object (&api->session);
  tb_test_server_stop (&api->server);
  tb_test_pg_free (api->pg);
  tb_test_remove_tree (api->plugin_dir);
  g_free (api->plugin_dir);
  g_free (api->url);
  g_free (api->token);
  memset (api, 0, sizeof *api);
}

void
tb_test_api_request (TbTestApi *api, const char *method, const char *path, const char *body,
                     const char *token, TbTestReply *reply)
{
  g_autofree char *uri = g_strconcat (api->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  SoupMessageHeaders *headers;
  const char *bearer = token ? token : api->token;
  gsize length = 0;
  const char *data;

  memset (reply, 0, sizeof *reply);
  g_assert_nonnull (msg);
  if (body) {
    g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

    soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  }
  if (bearer && *bearer) {
    g_autofree char *value = g_strconcat ("Bearer ", bearer, NULL);

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  value);
  }
  answer = soup_session_send_and_read (api->session, msg, NULL, &error);
  if (!answer) {
    /* The daemon died or hung: the case fails with its log, the run goes
     * on to its end (and stops PostgreSQL). */
    static gboolean log_printed;
    g_autofree char *log = NULL;

    if (!log_printed)
      g_file_get_contents (api->server.log, &log, NULL, NULL);
    log_printed = TRUE;
    g_printerr ("%s %s: %s\n%s%s", method, path, error->message, log ? "daemon log:\n" : "",
                log ? log : "");
    g_test_fail ();
    reply->text = g_strdup ("");
    return;
  }
  reply->status = soup_message_get_status (msg);
  headers = soup_message_get_response_headers (msg);
  reply->www_authenticate = g_strdup (soup_message_headers_get_one (headers,
                                                                     "WWW-Authenticate"));
  data = g_bytes_get_data (answer, &length);
  reply->text = g_strndup (data ? data : "", length);
  if (length > 0)
    reply->content_type = g_strdup (soup_message_headers_get_content_type (headers, NULL));
  if (length > 0 && json_parser_load_from_data (parser, reply->text, (gssize) length, NULL))
    reply->json = json_node_copy (json_parser_get_root (parser));
  g_test_message ("%s %s -> %u %.300s", method, path, reply->status, reply->text);
}

void
tb_test_reply_clear (TbTestReply *reply)
{
  g_clear_pointer (&reply->content_type, g_free);
  g_clear_pointer (&reply->text, g_free);
  g_clear_pointer (&reply->json, json_node_unref);
  g_clear_pointer (&reply->www_authenticate, g_free);
}

const char *
tb_test_reply_error (const TbTestReply *reply)
{
  if (!reply->json || !JSON_NODE_HOLDS_OBJECT (reply->json))
    return NULL;
  return json_object_get_string_member_with_default (json_node_get_object (reply->json),
                                                     "error", NULL);
}

gboolean
tb_test_reply_not_served (const TbTestReply *reply)
{
  const char *error = tb_test_reply_error (reply);

  return reply->status == SOUP_STATUS_METHOD_NOT_ALLOWED ||
         (reply->status == SOUP_STATUS_NOT_FOUND && error &&
          g_str_has_prefix (error, "no such path"));
}

void
tb_test_api_call (TbTestApi *api)
{
  g_autofree char *caller = g_build_filename (api->server.dir, "talk.wav", NULL);
  const guint bursts[] = { 2000, 2600, 0, 0 };
  const char *const args[] = { "--play", caller, "--hangup-after", "5.5", NULL };
  TbTestRun run = { 0 };

  tb_test_write_bursts (caller, 16000, 300.0, bursts, 4500);
  tb_test_run_tb_call (&api->server, "2000", args, &run);
  g_assert_nonnull (run.json);
  tb_test_run_clear (&run);
}

GSocket *
tb_test_api_silent_peer (guint *port)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return socket;
}
