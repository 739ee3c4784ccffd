/* api-env.h — the Web API under test: a real PostgreSQL (test-pg.h) and
 * the real daemon on it with an HTTP port (test-server.h), agent "talker"
 * on 2000 on the scripted providers (a call through it has turns and a
 * tool invocation), a trunk whose registrar never answers, and, when the
 * daemon knows [http] api-token-env, a bearer token from the environment;
 * requests to it with libsoup. */
#pragma once

#include "test-pg.h"
#include "test-server.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The variable [http] api-token-env names in the test daemon's config. */
#define TB_TEST_API_TOKEN_ENV "TB_TEST_API_TOKEN"

typedef struct {
  TbTestPg *pg;
  TbTestServer server;
  char *plugin_dir;
  char *url;              /* "http://127.0.0.1:PORT" */
  char *token;            /* NULL: the daemon has no [http] api-token-env yet */
  SoupSession *session;
} TbTestApi;

typedef struct {
  guint status;
  char *content_type;     /* media type only; NULL without a body */
  char *text;             /* the body; "" when empty */
  JsonNode *json;         /* NULL when the body is not JSON */
  char *www_authenticate;
} TbTestReply;

/* TRUE when the daemon accepts [http] api-token-env (asked with
 * talkingbits --check-config). */
gboolean tb_test_api_has_auth (void);

/* Starts PostgreSQL and the daemon; @groups are appended to its config. */
void tb_test_api_start (TbTestApi *api, const char *groups);
void tb_test_api_stop (TbTestApi *api);

/* @method @path (with its query) with the JSON text @body (NULL: none);
 * @token is sent as the bearer token (NULL: api->token, "": none). */
void tb_test_api_request (TbTestApi *api, const char *method, const char *path,
                          const char *body, const char *token, TbTestReply *reply);
void tb_test_reply_clear (TbTestReply *reply);
/* The reply's "error" member, or NULL. */
const char *tb_test_reply_error (const TbTestReply *reply);
/* TRUE when the daemon does not serve the route (yet): 404 "no such
 * path", or 405. */
gboolean tb_test_reply_not_served (const TbTestReply *reply);

/* One call of tb-call to "talker" (2000): greeting, the caller's words, a
 * tool call and the agent's answer; waits until it is over. */
void tb_test_api_call (TbTestApi *api);

/* A UDP port on loopback that takes SIP requests and never answers: an
 * outbound call to it rings until it is hung up. Its @port. */
GSocket *tb_test_api_silent_peer (guint *port);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TbTestReply, tb_test_reply_clear)

G_END_DECLS
