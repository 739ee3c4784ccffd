/* test-api-health.c — the bearer token, /readyz and /metrics of the real
 * daemon (test-server.h), talked to with a libsoup client on loopback:
 * /api paths and /metrics refuse requests without the token or with a
 * wrong one (401 with WWW-Authenticate) and take the right one, a reload
 * takes a new token, /healthz, /readyz and /webhooks need none; a
 * non-loopback [http] listen without a token keeps the daemon from
 * starting; /readyz follows a real PostgreSQL (test-pg.h) going down and
 * coming back; /metrics is well-formed Prometheus text whose counters and
 * histograms follow a sipp call and a tb-call call with a failing LLM, and
 * a trunk without a registrar shows as not registered.
 * The metrics module is also fed a record directly. */
#include "api-env.h"
#include "metrics.h"
#include "test-pg.h"
#include "test-server.h"
#include "test-tbcall-run.h"
#include "test-util.h"

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#define TOKEN "tb-test-token-5521-do-not-log"
#define TOKEN2 "tb-test-token-other-9034-do-not-log"
#define STAGE_METRIC "talkingbits_call_stage_latency_seconds"

static const char *const stages[] = {
  "stt", "llm", "tts", "response", "first_response", "tool", NULL
};

static SoupSession *
session_new (void)
{
  /* Straight to loopback, whatever proxy the environment names. */
  g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);

  return soup_session_new_with_options ("timeout", 20, "proxy-resolver", direct, NULL);
}

/* @method @path on @s with "Authorization: @authorization" unless NULL;
 * the whole Content-Type in @content_type unless NULL. */
static void
request (TbTestServer *s, const char *method, const char *path, const char *authorization,
         TbTestReply *reply, char **content_type)
{
  g_autoptr(SoupSession) session = session_new ();
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s", s->http_port, path);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;

  if (authorization)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  authorization);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  headers = soup_message_get_response_headers (msg);
  reply->status = soup_message_get_status (msg);
  reply->text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  reply->content_type = g_strdup (soup_message_headers_get_content_type (headers, NULL));
  if (content_type)
    *content_type = g_strdup (soup_message_headers_get_one (headers, "Content-Type"));
  reply->www_authenticate = g_strdup (soup_message_headers_get_one (headers, "WWW-Authenticate"));
}

static void
get (TbTestServer *s, const char *path, const char *authorization, TbTestReply *reply)
{
  request (s, SOUP_METHOD_GET, path, authorization, reply, NULL);
}

static void
assert_unauthorized (const TbTestReply *reply, const char *error_text)
{
  g_assert_cmpuint (reply->status, ==, SOUP_STATUS_UNAUTHORIZED);
  g_assert_true (tb_test_contains (reply->www_authenticate, "Bearer realm=\"talkingbits\""));
  g_assert_cmpstr (reply->content_type, ==, "application/json");
  g_assert_true (tb_test_contains (reply->text, error_text));
}

/* ---- a metrics text ------------------------------------------------------ */

/* The histogram @name is a _bucket, _sum or _count sample of, or NULL. */
static char *
histogram_family (GHashTable *types, const char *name)
{
  const char *const suffixes[] = { "_bucket", "_sum", "_count", NULL };

  for (guint i = 0; suffixes[i]; i++) {
    if (g_str_has_suffix (name, suffixes[i])) {
      g_autofree char *base = g_strndup (name, strlen (name) - strlen (suffixes[i]));

      if (g_strcmp0 (g_hash_table_lookup (types, base), "histogram") == 0)
        return g_steal_pointer (&base);
    }
  }
  return NULL;
}

/* Every sample of a /metrics text: "name{labels}" as written -> value. The
 * text must be well-formed: each line a comment (HELP, TYPE) or a sample
 * of a family whose HELP and TYPE came before it. */
static GHashTable *
parse_metrics (const char *text)
{
  g_autoptr(GRegex) sample = g_regex_new (
    "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"(\\\\.|[^\"\\\\])*\""
    "(,[a-zA-Z_][a-zA-Z0-9_]*=\"(\\\\.|[^\"\\\\])*\")*\\})? "
    "([-+]?[0-9]+(\\.[0-9]*)?([eE][-+]?[0-9]+)?|[-+]Inf|NaN)$", 0, 0, NULL);
  g_autoptr(GRegex) comment = g_regex_new (
    "^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$", 0, 0, NULL);
  g_autoptr(GHashTable) helps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTable *samples = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  g_assert_true (g_str_has_suffix (text, "\n"));
  for (guint i = 0; lines[i] && lines[i + 1]; i++) {
    g_autoptr(GMatchInfo) match = NULL;
    g_autoptr(GMatchInfo) sample_match = NULL;
    const char *line = lines[i];

    if (g_regex_match (comment, line, 0, &match)) {
      g_autofree char *kind = g_match_info_fetch (match, 1);
      g_autofree char *name = g_match_info_fetch (match, 2);
      g_autofree char *rest = g_match_info_fetch (match, 3);

      if (g_str_equal (kind, "HELP")) {
        g_hash_table_add (helps, g_steal_pointer (&name));
      } else {
        g_assert_true (g_strv_contains ((const char *const[]) { "counter", "gauge",
                                                                "histogram", NULL }, rest));
        g_assert_false (g_hash_table_contains (types, name));
        g_hash_table_insert (types, g_steal_pointer (&name), g_steal_pointer (&rest));
      }
    } else if (g_regex_match (sample, line, 0, &sample_match)) {
      g_autofree char *name = g_match_info_fetch (sample_match, 1);
      g_autofree char *value = g_match_info_fetch (sample_match, 6);
      g_autofree char *key = g_strndup (line, strrchr (line, ' ') - line);
      g_autofree char *family = histogram_family (types, name);
      double *number = g_new (double, 1);

      if (!family)
        family = g_strdup (name);
      if (!g_hash_table_contains (types, family) || !g_hash_table_contains (helps, family))
        g_error ("sample of %s before its HELP and TYPE: %s", name, line);
      *number = g_str_equal (value, "+Inf") ? INFINITY : g_ascii_strtod (value, NULL);
      g_assert_false (g_hash_table_contains (samples, key));
      g_hash_table_insert (samples, g_steal_pointer (&key), number);
    } else {
      g_error ("not a metrics line: '%s'", line);
    }
  }
  return samples;
}

static double
sample (GHashTable *samples, const char *key)
{
  double *value = g_hash_table_lookup (samples, key);

  if (!value)
    g_error ("no sample %s", key);
  return *value;
}

static double
sample_or_zero (GHashTable *samples, const char *key)
{
  double *value = g_hash_table_lookup (samples, key);

  return value ? *value : 0;
}

/* Each stage's buckets are cumulative, and the +Inf one is its count. */
static void
assert_histograms (GHashTable *samples)
{
  const char *const bounds[] = { "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
                                 "+Inf", NULL };

  for (guint s = 0; stages[s]; s++) {
    double previous = 0;

    for (guint b = 0; bounds[b]; b++) {
      g_autofree char *key = g_strdup_printf (STAGE_METRIC "_bucket{stage=\"%s\",le=\"%s\"}",
                                              stages[s], bounds[b]);
      double value = sample (samples, key);

      g_assert_cmpfloat (value, >=, previous);
      previous = value;
    }
    {
      g_autofree char *count = g_strdup_printf (STAGE_METRIC "_count{stage=\"%s\"}", stages[s]);
      g_autofree char *sum = g_strdup_printf (STAGE_METRIC "_sum{stage=\"%s\"}", stages[s]);

      g_assert_cmpfloat (sample (samples, count), ==, previous);
      g_assert_cmpfloat (sample (samples, sum), >=, 0);
    }
  }
}

static GHashTable *
get_metrics (TbTestServer *s, const char *authorization)
{
  g_auto(TbTestReply) reply = { 0 };
  g_autofree char *content_type = NULL;
  GHashTable *samples;

  request (s, SOUP_METHOD_GET, "/metrics", authorization, &reply, &content_type);
  g_assert_cmpuint (reply.status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (content_type, ==, TB_METRICS_CONTENT_TYPE);
  samples = parse_metrics (reply.text);
  assert_histograms (samples);
  return samples;
}

static double
stage_count (GHashTable *samples, const char *stage)
{
  g_autofree char *key = g_strdup_printf (STAGE_METRIC "_count{stage=\"%s\"}", stage);

  return sample (samples, key);
}

/* The metrics module alone: a record with a greeting, a caller's turn and
 * a tool, and a provider error, give the samples they should. */
static void
test_metrics_module (void)
{
  const char *record_text =
    "{\"end_reason\": \"odd \\\"reason\\\\\\n\", \"turns\": ["
    "{\"n\": 0, \"caller\": null, \"response_ms\": 20, \"stt_final_ms\": null, \"tools\": []},"
    "{\"n\": 1, \"caller\": \"hi\", \"stt_final_ms\": 300, \"llm_first_token_ms\": 1000,"
    " \"tts_first_audio_ms\": 60, \"response_ms\": 12000,"
    " \"tools\": [{\"name\": \"book\", \"ms\": 2500}, {\"name\": \"x\", \"ms\": null}]}]}";
  g_autoptr(JsonNode) record = json_from_string (record_text, NULL);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GHashTable) samples = NULL;

  g_assert_nonnull (record);
  tb_metrics_add_call (record);
  tb_metrics_provider_error ("llm", "open\"ai");
  tb_metrics_provider_error ("llm", "open\"ai");
  tb_metrics_write_gauge (text, "talkingbits_test_gauge", "A gauge", 3);
  tb_metrics_write (text);
  samples = parse_metrics (text->str);
  assert_histograms (samples);

  g_assert_cmpfloat (sample (samples, "talkingbits_test_gauge"), ==, 3);
  g_assert_cmpfloat (sample (samples, "talkingbits_calls_total{end_reason=\"odd \\\"reason\\\\\\n\"}"),
                     ==, 1);
  g_assert_cmpfloat (sample (samples,
                             "talkingbits_provider_errors_total{kind=\"llm\",provider=\"open\\\"ai\"}"),
                     ==, 2);
  /* 20 ms: the first bucket; 1 s: in le="1" (bounds are inclusive). */
  g_assert_cmpfloat (sample (samples, STAGE_METRIC "_bucket{stage=\"first_response\",le=\"0.025\"}"),
                     ==, 1);
  g_assert_cmpfloat (sample (samples, STAGE_METRIC "_bucket{stage=\"llm\",le=\"0.5\"}"), ==, 0);
  g_assert_cmpfloat (sample (samples, STAGE_METRIC "_bucket{stage=\"llm\",le=\"1\"}"), ==, 1);
  g_assert_cmpfloat (sample (samples, STAGE_METRIC "_bucket{stage=\"response\",le=\"10\"}"), ==, 0);
  g_assert_cmpfloat (sample (samples, STAGE_METRIC "_bucket{stage=\"response\",le=\"+Inf\"}"), ==, 1);
  g_assert_cmpfloat (sample (samples, STAGE_METRIC "_sum{stage=\"response\"}"), ==, 12.0);
  g_assert_cmpfloat (stage_count (samples, "stt"), ==, 1);
  g_assert_cmpfloat (stage_count (samples, "tts"), ==, 1);
  g_assert_cmpfloat (stage_count (samples, "tool"), ==, 1);
  g_assert_cmpfloat (sample (samples, STAGE_METRIC "_sum{stage=\"tool\"}"), ==, 2.5);
}

/* ---- the token ----------------------------------------------------------- */

static void
assert_token_never_logged (TbTestServer *s)
{
  g_autofree char *log = NULL;

  g_assert_true (g_file_get_contents (s->log, &log, NULL, NULL));
  g_assert_null (strstr (log, TOKEN));
  g_assert_null (strstr (log, TOKEN2));
}

/* A sipp call; then active calls are back to 0 and calls_total of its end
 * reason is one more. */
static void
test_token_and_sipp_call (void)
{
  TbTestServer s = { 0 };
  g_auto(TbTestReply) reply = { 0 };
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autofree char *end = NULL;
  g_autofree char *reason_key = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *text = NULL;
  g_autofree char *changed = NULL;
  g_auto(GStrv) split = NULL;
  gint64 deadline;

  s.http_port = tb_test_free_port ();
  tb_test_server_start_full (&s, "", "",
                             "[http]\napi-token-env=TB_TEST_API_TOKEN\n"
                             "[trunk:office]\nproxy=sip:127.0.0.1:9\nusername=office\n"
                             "password-env=TB_TEST_TRUNK_PASSWORD\n");

  /* Under /api: no token, a wrong one, another scheme, then the right one
   * (the router then says the path does not exist). */
  get (&s, "/api/v1/no-such-thing", NULL, &reply);
  assert_unauthorized (&reply, "needs a bearer token");
  g_assert_null (strstr (reply.www_authenticate, "invalid_token"));
  tb_test_reply_clear (&reply);
  get (&s, "/api/v1/no-such-thing", "Bearer " TOKEN "x", &reply);
  assert_unauthorized (&reply, "not valid");
  g_assert_true (tb_test_contains (reply.www_authenticate, "error=\"invalid_token\""));
  tb_test_reply_clear (&reply);
  get (&s, "/api", "Bearer tb-test", &reply);
  assert_unauthorized (&reply, "not valid");
  tb_test_reply_clear (&reply);
  get (&s, "/api/v1/no-such-thing", "Basic " TOKEN, &reply);
  assert_unauthorized (&reply, "needs a bearer token");
  tb_test_reply_clear (&reply);
  request (&s, SOUP_METHOD_POST, "/api/v1/calls", NULL, &reply, NULL);
  assert_unauthorized (&reply, "needs a bearer token");
  tb_test_reply_clear (&reply);
  get (&s, "/api/v1/no-such-thing", "bearer  " TOKEN, &reply);
  g_assert_cmpuint (reply.status, ==, SOUP_STATUS_NOT_FOUND);
  g_assert_true (tb_test_contains (reply.text, "no such path"));
  tb_test_reply_clear (&reply);

  /* /metrics needs it too; /healthz, /readyz and the webhooks do not. */
  get (&s, "/metrics", NULL, &reply);
  assert_unauthorized (&reply, "needs a bearer token");
  tb_test_reply_clear (&reply);
  get (&s, "/healthz", NULL, &reply);
  g_assert_cmpuint (reply.status, ==, SOUP_STATUS_OK);
  tb_test_reply_clear (&reply);
  get (&s, "/readyz", NULL, &reply);
  g_assert_cmpuint (reply.status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (reply.text, ==, "{\"ready\":true,\"checks\":{\"database\":\"not configured\","
                                   "\"sip\":\"bound\",\"draining\":false}}");
  tb_test_reply_clear (&reply);
  request (&s, SOUP_METHOD_POST, "/webhooks/appointments/list", NULL, &reply, NULL);
  g_assert_cmpuint (reply.status, !=, SOUP_STATUS_UNAUTHORIZED);
  tb_test_reply_clear (&reply);

  /* A sipp call, counted once it has ended. */
  before = get_metrics (&s, "Bearer " TOKEN);
  g_assert_cmpfloat (sample (before, "talkingbits_active_calls"), ==, 0);
  g_assert_cmpfloat (sample (before, "talkingbits_db_queue_depth"), ==, 0);
  /* No registrar: not registered. */
  g_assert_cmpfloat (sample (before, "talkingbits_trunk_registered{trunk=\"office\"}"), ==, 0);
  g_assert_cmpint (tb_test_sipp_run (&s, "uac-call.xml", "1000", NULL), ==, 0);
  end = tb_test_server_wait_call_end (&s);
  {
    g_autoptr(JsonNode) node = json_from_string (end, NULL);
    const char *reason = json_object_get_string_member (json_node_get_object (node), "end_reason");

    g_test_message ("sipp's call ended: %s", reason);
    reason_key = g_strdup_printf ("talkingbits_calls_total{end_reason=\"%s\"}", reason);
  }
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  do {
    g_clear_pointer (&after, g_hash_table_unref);
    after = get_metrics (&s, "Bearer " TOKEN);
    if (sample (after, "talkingbits_active_calls") == 0 &&
        sample_or_zero (after, reason_key) > sample_or_zero (before, reason_key))
      break;
    g_usleep (100 * 1000);
  } while (g_get_monotonic_time () < deadline);
  g_assert_cmpfloat (sample (after, "talkingbits_active_calls"), ==, 0);
  g_assert_cmpfloat (sample (after, reason_key), ==, sample_or_zero (before, reason_key) + 1);

  /* A reload takes another variable, hence another token. */
  conf = g_build_filename (s.dir, "t.conf", NULL);
  g_assert_true (g_file_get_contents (conf, &text, NULL, NULL));
  changed = g_strjoinv ("TB_TEST_API_TOKEN2\n", (split = g_strsplit (text, "TB_TEST_API_TOKEN\n", -1)));
  g_assert_cmpuint (g_strv_length (split), ==, 2);
  g_assert_true (g_file_set_contents (conf, changed, -1, NULL));
  g_subprocess_send_signal (s.daemon, SIGHUP);
  g_assert_true (tb_test_wait_for_log (s.log, "reloading"));
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  do {
    tb_test_reply_clear (&reply);
    get (&s, "/metrics", "Bearer " TOKEN2, &reply);
    if (reply.status == SOUP_STATUS_OK)
      break;
    g_usleep (50 * 1000);
  } while (g_get_monotonic_time () < deadline);
  g_assert_cmpuint (reply.status, ==, SOUP_STATUS_OK);
  tb_test_reply_clear (&reply);
  get (&s, "/metrics", "Bearer " TOKEN, &reply);
  assert_unauthorized (&reply, "not valid");

  assert_token_never_logged (&s);
  tb_test_server_stop (&s);
}

/* [http] listen on a non-loopback address without a token: no start. */
static void
test_open_listen_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tb-health-XXXXXX", &error);
  g_autofree char *text = g_strdup_printf ("[talkingbits]\nplugin-path=\n"
                                           "[sip]\nlisten=127.0.0.1:%u\n"
                                           "[http]\nlisten=0.0.0.0:%u\n",
                                           tb_test_free_port (), tb_test_free_port ());
  g_autofree char *conf = tb_test_write_file (dir, "t.conf", text);
  const char *const argv[] = { TB_DAEMON, "--config", conf, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (tb_test_run (argv, "", &out, &err), !=, 0);
  g_assert_true (tb_test_contains (err, "[http] listen: '0.0.0.0:"));
  g_assert_true (tb_test_contains (err, "is not a loopback address and no api-token-env is set"));
  g_assert_null (strstr (out, "ready"));
  tb_test_remove_tree (dir);
}

/* ---- /readyz and /metrics with PostgreSQL ---------------------------------- */

static const char *const plugins[] = { "stt-scripted", "tts-scripted", "llm-scripted", NULL };

/* GET /readyz until it answers @status (or 60 s: the database is
 * reconnected after 1, 2, 4... s); its body. */
static char *
wait_ready (TbTestServer *s, guint status)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  g_auto(TbTestReply) reply = { 0 };

  do {
    tb_test_reply_clear (&reply);
    get (s, "/readyz", NULL, &reply);
    if (reply.status == status)
      break;
    g_usleep (100 * 1000);
  } while (g_get_monotonic_time () < deadline);
  g_assert_cmpuint (reply.status, ==, status);
  g_assert_cmpstr (reply.content_type, ==, "application/json");
  return g_steal_pointer (&reply.text);
}

/* A tb-call call to an agent whose LLM fails: the failure is counted for
 * llm "scripted"; the greeting, the recognition and the apology's audio
 * are in the histograms. */
static void
call_failing_llm (TbTestServer *s)
{
  g_autoptr(GHashTable) before = get_metrics (s, NULL);
  g_autoptr(GHashTable) after = NULL;
  g_autofree char *caller = g_build_filename (s->dir, "talk.wav", NULL);
  const guint bursts[] = { 1500, 2300, 0, 0 };
  const char *const args[] = { "--play", caller, "--hangup-after", "5", NULL };
  const char *const errors = "talkingbits_provider_errors_total{kind=\"llm\",provider=\"scripted\"}";
  TbTestRun run = { 0 };
  gint64 deadline;

  tb_test_write_bursts (caller, 16000, 300.0, bursts, 4000);
  tb_test_run_tb_call (s, "2000", args, &run);
  g_assert_nonnull (run.json);
  tb_test_run_clear (&run);

  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  do {
    g_clear_pointer (&after, g_hash_table_unref);
    after = get_metrics (s, NULL);
    if (sample (after, "talkingbits_active_calls") == 0 &&
        stage_count (after, "first_response") > stage_count (before, "first_response"))
      break;
    g_usleep (100 * 1000);
  } while (g_get_monotonic_time () < deadline);
  g_assert_cmpfloat (sample (after, "talkingbits_active_calls"), ==, 0);
  g_assert_cmpfloat (sample_or_zero (after, errors), >=, sample_or_zero (before, errors) + 1);
  g_assert_cmpfloat (stage_count (after, "first_response"), ==,
                     stage_count (before, "first_response") + 1);
  g_assert_cmpfloat (stage_count (after, "stt"), >, stage_count (before, "stt"));
  g_assert_cmpfloat (stage_count (after, "response"), >, stage_count (before, "response"));
}

static void
test_readyz_database (void)
{
  g_autoptr(TbTestPg) pg = tb_test_pg_new ();
  g_autofree char *plugin_dir = tb_test_plugin_dir_new (plugins);
  g_autofree char *journal = g_build_filename (pg->dir, "journal", NULL);
  g_autofree char *groups = g_strdup_printf (
    "[agent:talker]\nnumbers=2000\nstt=scripted\ntts=scripted\nllm=scripted\n"
    "[stt:scripted]\ntranscripts=hello there\n"
    "[llm:scripted]\nfail=true\n"
    "[database]\nconninfo=%s\njournal-dir=%s\n", pg->conninfo, journal);
  TbTestServer s = { 0 };
  g_autofree char *body = NULL;

  s.http_port = tb_test_free_port ();
  s.plugin_path = plugin_dir;
  tb_test_server_start_full (&s, "", "", groups);

  body = wait_ready (&s, SOUP_STATUS_OK);
  g_assert_cmpstr (body, ==, "{\"ready\":true,\"checks\":{\"database\":\"up\","
                             "\"sip\":\"bound\",\"draining\":false}}");
  call_failing_llm (&s);

  tb_test_pg_stop (pg);
  g_clear_pointer (&body, g_free);
  body = wait_ready (&s, SOUP_STATUS_SERVICE_UNAVAILABLE);
  g_assert_cmpstr (body, ==, "{\"ready\":false,\"checks\":{\"database\":\"down\","
                             "\"sip\":\"bound\",\"draining\":false}}");

  tb_test_pg_start (pg);
  g_clear_pointer (&body, g_free);
  body = wait_ready (&s, SOUP_STATUS_OK);
  g_assert_true (tb_test_contains (body, "\"database\":\"up\""));

  tb_test_server_stop (&s);
  tb_test_remove_tree (plugin_dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_setenv ("TALKINGBITS_DATA_PATH", TB_BUILD_ROOT "/data", TRUE);
  g_setenv ("TB_TEST_API_TOKEN", TOKEN, TRUE);
  g_setenv ("TB_TEST_API_TOKEN2", TOKEN2, TRUE);
  g_setenv ("TB_TEST_TRUNK_PASSWORD", "trunk-password", TRUE);
  g_test_add_func ("/api-health/metrics-module", test_metrics_module);
  g_test_add_func ("/api-health/token-and-sipp-call", test_token_and_sipp_call);
  g_test_add_func ("/api-health/open-listen-refused", test_open_listen_refused);
  g_test_add_func ("/api-health/readyz-database", test_readyz_database);
  return g_test_run ();
}
