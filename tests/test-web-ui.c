/* test-web-ui.c — the web admin UI in a real browser: a real PostgreSQL,
 * the real daemon with the local providers (pocketsphinx, espeak, the
 * rules dialogue, webhooks) and a bearer token, and tests/web/ui-test.mjs,
 * which drives headless Chromium (Debian's /usr/bin/chromium) with
 * playwright-core: it signs in, makes a webhook tool and sends it a test,
 * creates an agent on the local providers, binds 2000 to it, calls 2000
 * with tb-call while the dashboard shows the call live, finds the call in
 * the log with its transcript and latencies, edits and previews the
 * greeting (a playable WAV), hangs up a live call, places an outbound
 * call to sipp answering, and cannot delete the tool the agent uses (the
 * reason is shown next to it). Screenshots of every page, also at 375 px
 * wide, go to build/tests/web-screenshots/.
 *
 * Skipped, saying why, only when chromium or node is not installed;
 * playwright-core missing from tests/web/node_modules (tools/setup runs
 * npm ci there) is a failure. */
#include "audio-file.h"
#include "test-pg.h"
#include "test-server.h"
#include "test-util.h"

#include <gst/gst.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_ENV "TB_WEB_TEST_TOKEN"
#define RATE 16000
#define CALLER_SECONDS 8
#define CALLER_SPEAKS_AT 3.0

static const char *
chromium_path (void)
{
  const char *path = g_getenv ("TB_CHROMIUM");

  return path && *path ? path : "/usr/bin/chromium";
}

/* The caller: silence through the greeting, then a sentence the demo
 * rules know. */
static char *
write_caller (const char *dir)
{
  g_autofree char *spoken = g_build_filename (dir, "sentence.wav", NULL);
  g_autofree char *path = g_build_filename (dir, "web-caller.wav", NULL);
  g_autofree gint16 *line = g_new0 (gint16, CALLER_SECONDS * RATE);
  g_autofree gint16 *said = NULL;
  g_autoptr(TbWavWriter) writer = NULL;
  g_autoptr(GError) error = NULL;
  gsize n = 0, at = (gsize) (CALLER_SPEAKS_AT * RATE);

  tb_test_write_speech (spoken, NULL, "I would like to book an appointment");
  said = tb_audio_file_read (spoken, RATE, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (at + n, <, CALLER_SECONDS * RATE);
  memcpy (line + at, said, n * sizeof (gint16));
  writer = tb_wav_writer_new (path, RATE, &error);
  g_assert_no_error (error);
  g_assert_true (tb_wav_writer_write (writer, line, CALLER_SECONDS * RATE, &error));
  g_assert_true (tb_wav_writer_close (writer, &error));
  return g_steal_pointer (&path);
}

/* The web test agent's dialogue: asked for an appointment, it calls the
 * webhook tool the browser makes (business hours) and says its reply. */
static char *
write_rules (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "web-rules.conf", NULL);
  g_autoptr(GError) error = NULL;
  static const char rules[] =
    "[rules]\n"
    "fallback-response=Sorry, I did not catch that.\n"
    "[intent:hours]\n"
    "keywords=appointment;book\n"
    "tool=hours\n"
    "arguments={\"day\": \"Saturday\"}\n"
    "response=Let me look at the hours.\n"
    "result-response={result.message}\n"
    "error-response=The hours are not known.\n";

  g_assert_true (g_file_set_contents (path, rules, -1, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

static void
test_browser (void)
{
  g_autofree char *node = g_find_program_in_path ("node");
  g_autofree char *script = g_build_filename (TB_SOURCE_ROOT, "tests", "web", "ui-test.mjs", NULL);
  g_autofree char *playwright = g_build_filename (TB_SOURCE_ROOT, "tests", "web", "node_modules",
                                                  "playwright-core", "package.json", NULL);
  g_autofree char *shots = g_build_filename (TB_BUILD_ROOT, "tests", "web-screenshots", NULL);
  g_autofree char *groups = NULL, *token = NULL, *caller = NULL, *url = NULL, *sip = NULL;
  g_autofree char *profile = NULL, *out = NULL, *err = NULL, *rules = NULL, *uas = NULL;
  g_autoptr(GSubprocess) sipp = NULL;
  TbTestSipp answering = { .scenario = "uas-answer.xml", .timeout_s = 600 };
  g_autoptr(TbTestPg) pg = NULL;
  TbTestServer s = { 0 };
  int status;

  if (!g_file_test (chromium_path (), G_FILE_TEST_IS_EXECUTABLE)) {
    g_test_skip ("chromium is not installed (tools/setup installs Debian's chromium): "
                 "the web UI is not tested in a browser");
    return;
  }
  if (!node) {
    g_test_skip ("node is not installed: the web UI is not tested in a browser");
    return;
  }
  if (!g_file_test (playwright, G_FILE_TEST_EXISTS)) {
    g_printerr ("playwright-core is missing from tests/web/node_modules: run tools/setup "
                "(it runs npm ci in tests/web)\n");
    g_test_fail ();
    return;
  }

  /* The daemon finds its migrations and the web UI in build/data. */
  g_setenv ("TALKINGBITS_DATA_PATH", TB_BUILD_ROOT "/data", TRUE);
  g_setenv ("TB_WEB_TEST_TRUNK_PASSWORD", "trunk-password", TRUE);
  token = tb_test_new_token ("tbweb-");
  g_setenv (TOKEN_ENV, token, TRUE);
  pg = tb_test_pg_new ();
  s.plugin_path = TB_BUILD_ROOT "/plugins";
  s.http_port = tb_test_free_port ();
  s.dir = tb_test_server_make_dir ();
  groups = g_strdup_printf (
    "[http]\napi-token-env=" TOKEN_ENV "\n"
    "[database]\nconninfo=%s\n"
    "[trunk:carrier]\nregistrar=sip:127.0.0.1:%u\nusername=tbweb\n"
    "password-env=TB_WEB_TEST_TRUNK_PASSWORD\n",
    pg->conninfo, tb_test_free_port ());
  tb_test_server_start_full (&s, "", "", groups);
  url = g_strdup_printf ("http://127.0.0.1:%u", s.http_port);
  sip = g_strdup_printf ("127.0.0.1:%u", s.sip_port);
  caller = write_caller (s.dir);
  rules = write_rules (s.dir);
  /* The called party of the outbound call placed from the call log. */
  answering.port = tb_test_free_port ();
  sipp = tb_test_sipp_start (&s, &answering);
  uas = g_strdup_printf ("127.0.0.1:%u", answering.port);
  profile = g_build_filename (s.dir, "chromium-profile", NULL);
  tb_test_remove_tree (shots);
  g_assert_cmpint (g_mkdir_with_parents (shots, 0755), ==, 0);

  g_setenv ("TB_URL", url, TRUE);
  g_setenv ("TB_TOKEN", token, TRUE);
  g_setenv ("TB_SIP", sip, TRUE);
  g_setenv ("TB_CALL", TB_CALL, TRUE);
  g_setenv ("TB_CALLER_WAV", caller, TRUE);
  g_setenv ("TB_RULES", rules, TRUE);
  g_setenv ("TB_UAS", uas, TRUE);
  g_setenv ("TB_SCREENSHOTS", shots, TRUE);
  g_setenv ("TB_CHROMIUM", chromium_path (), TRUE);
  g_setenv ("TB_PROFILE", profile, TRUE);
  {
    const char *const argv[] = { node, script, NULL };

    status = tb_test_run (argv, "", &out, &err);
  }
  g_test_message ("ui-test.mjs (exit %d):\n%s", status, out);
  g_test_message ("screenshots in %s", shots);
  if (status != 0 || !tb_test_contains (out, "all steps passed")) {
    g_printerr ("ui-test.mjs failed (exit %d):\n%s\n%s\n", status, out, err);
    g_test_fail ();
  } else {
    /* sipp answered the outbound call and hung up as scripted. */
    g_assert_cmpint (tb_test_sipp_wait (&s, sipp), ==, 0);
  }
  if (sipp)
    g_subprocess_force_exit (sipp);
  /* Stopped before anything else is asserted: nothing is left running. */
  tb_test_server_stop (&s);
  g_clear_pointer (&pg, tb_test_pg_free);
}

typedef struct {
  guint status;
  char *type, *location, *csp, *body;
} Got;

static void
got_clear (Got *got)
{
  g_free (got->type);
  g_free (got->location);
  g_free (got->csp);
  g_free (got->body);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Got, got_clear)

/* GET @path without the token, not following redirects. */
static void
fetch (SoupSession *session, guint port, const char *path, Got *got)
{
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;

  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  headers = soup_message_get_response_headers (msg);
  got->status = soup_message_get_status (msg);
  got->type = g_strdup (soup_message_headers_get_content_type (headers, NULL));
  got->location = g_strdup (soup_message_headers_get_one (headers, "Location"));
  got->csp = g_strdup (soup_message_headers_get_one (headers, "Content-Security-Policy"));
  got->body = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

/* The files themselves, without a browser: where "/" leads, types, the
 * security policy, no token needed, nothing outside the UI's directory;
 * the API still needs its token. */
static void
test_files (void)
{
  g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("proxy-resolver", direct, NULL);
  g_autofree char *groups = g_strdup ("[http]\napi-token-env=" TOKEN_ENV "\n");
  g_auto(Got) root = { 0 }, ui = { 0 }, index = { 0 }, script = { 0 }, style = { 0 };
  g_auto(Got) hidden = { 0 }, missing = { 0 }, outside = { 0 }, api = { 0 };
  TbTestServer s = { 0 };

  g_setenv ("TALKINGBITS_DATA_PATH", TB_BUILD_ROOT "/data", TRUE);
  g_setenv (TOKEN_ENV, "tbweb-files-token", TRUE);
  s.http_port = tb_test_free_port ();
  tb_test_server_start_full (&s, "", "", groups);
  fetch (session, s.http_port, "/", &root);
  g_assert_cmpuint (root.status, ==, 302);
  g_assert_cmpstr (root.location, ==, "/ui/");
  fetch (session, s.http_port, "/ui", &ui);
  g_assert_cmpuint (ui.status, ==, 301);
  g_assert_cmpstr (ui.location, ==, "/ui/");
  fetch (session, s.http_port, "/ui/", &index);
  g_assert_cmpuint (index.status, ==, 200);
  g_assert_cmpstr (index.type, ==, "text/html");
  g_assert_true (tb_test_contains (index.body, "<script type=\"module\" src=\"app.js\">"));
  g_assert_true (tb_test_contains (index.csp, "default-src 'self'"));
  fetch (session, s.http_port, "/ui/app.js", &script);
  g_assert_cmpuint (script.status, ==, 200);
  g_assert_cmpstr (script.type, ==, "text/javascript");
  fetch (session, s.http_port, "/ui/style.css", &style);
  g_assert_cmpstr (style.type, ==, "text/css");
  fetch (session, s.http_port, "/ui/.hidden", &hidden);
  g_assert_cmpuint (hidden.status, ==, 404);
  fetch (session, s.http_port, "/ui/nothing.js", &missing);
  g_assert_cmpuint (missing.status, ==, 404);
  g_assert_true (tb_test_contains (missing.body, "no such path"));
  fetch (session, s.http_port, "/ui/%2e%2e/schemas/openapi.json", &outside);
  g_assert_cmpuint (outside.status, ==, 404);
  fetch (session, s.http_port, "/api/v1/agents", &api);
  g_assert_cmpuint (api.status, ==, 401);
  tb_test_server_stop (&s);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/web-ui/files", test_files);
  g_test_add_func ("/web-ui/browser", test_browser);
  return g_test_run ();
}
