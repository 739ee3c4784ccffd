/* test-sip-outbound.c — calls placed by an agent, against sipp as the
 * called party: answered (then hung up by the far end), busy, no answer
 * (ring timeout, CANCEL), failed, and through a trunk that challenges
 * the INVITE (digest); and blind transfer by REFER, successful or not. The
 * SIP endpoint and call manager run in this process; the progress of each
 * call is what the placer is told. */
#include "sip-endpoint.h"
#include "test-server.h"
#include "test-util.h"

#include <gst/gst.h>
#include <string.h>

#define TRUNK_PASSWORD "carrier-pass-3"

typedef struct {
  TbTestServer s;               /* its dir; sipp's scenarios run there */
  guint sipp_port;
  TbCallManager *calls;
  TbSipEndpoint *endpoint;
  GAsyncQueue *progress;        /* "ringing 180", ... from the signaling thread */
  GAsyncQueue *events;          /* the calls' events, from their workers */
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TbPluginRegistry) registry = tb_plugin_registry_new (tb_test_host ());
  g_autoptr(TbConfigFile) file = NULL;
  g_autoptr(TbConfig) config = NULL;
  g_autofree char *caller = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  guint first_rtp = 50000 + 100 * g_random_int_range (0, 99);

  g_setenv ("TB_TEST_CARRIER_PASSWORD", TRUNK_PASSWORD, TRUE);
  f->s.dir = tb_test_server_make_dir ();
  caller = g_build_filename (f->s.dir, "caller.wav", NULL);
  tb_test_write_mulaw_wav (caller, TB_TEST_CALLER_HZ, 2.0);
  f->sipp_port = tb_test_free_port ();
  text = g_strdup_printf (
    "[sip]\nlisten=127.0.0.1:%u\n"
    "[media]\nrtp-ports=%u-%u\n"
    "[agent:sales]\nnumbers=3000\n"
    "[trunk:carrier]\nproxy=sip:127.0.0.1:%u\ndomain=carrier.test\nusername=acct77\n"
    "password-env=TB_TEST_CARRIER_PASSWORD\ncaller-id=+15550177\n",
    tb_test_free_port (), first_rtp, first_rtp + 99, f->sipp_port);
  path = g_build_filename (f->s.dir, "t.conf", NULL);
  file = tb_config_file_new_from_data (path, text, &error);
  g_assert_no_error (error);
  config = tb_config_new (file, registry, &error);
  g_assert_no_error (error);
  f->calls = tb_call_manager_new (config);
  f->endpoint = tb_sip_endpoint_new (f->calls, &error);
  g_assert_no_error (error);
  f->progress = g_async_queue_new_full (g_free);
  f->events = g_async_queue_new_full (g_free);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  tb_sip_endpoint_free (f->endpoint);
  tb_call_manager_free (f->calls);
  g_async_queue_unref (f->progress);
  g_async_queue_unref (f->events);
  tb_test_remove_tree (f->s.dir);
  g_free (f->s.dir);
}

static void
on_progress (TbCall *call, TbCallProgress progress, int status, const char *reason,
             gpointer user_data)
{
  Fixture *f = user_data;

  /* The end reason of an answered call; the SIP status otherwise. */
  if (progress == TB_CALL_PROGRESS_ENDED)
    g_async_queue_push (f->progress, g_strdup_printf ("ended %s", reason));
  else
    g_async_queue_push (f->progress, g_strdup_printf ("%s %d", tb_call_progress_to_string (progress),
                                                      status));
}

static void
on_call_event (TbCall *call, const TbCallEvent *event, gpointer user_data)
{
  Fixture *f = user_data;

  if (event->type == TB_CALL_EVENT_TRANSFER_FAILED)
    g_async_queue_push (f->events, g_strdup_printf ("transfer to %s failed: %d %s",
                                                    event->target, event->status, event->reason));
}

/* The next progress report, "what status". */
static char *
next_progress (Fixture *f)
{
  char *text = g_async_queue_timeout_pop (f->progress, 20 * G_USEC_PER_SEC);

  g_assert_nonnull (text);
  return text;
}

static void
expect_progress (Fixture *f, const char *expected)
{
  g_autofree char *text = next_progress (f);

  g_assert_cmpstr (text, ==, expected);
}

static TbCall *
place (Fixture *f, const char *to, guint ring_timeout_s)
{
  g_autoptr(GError) error = NULL;
  TbOutboundCall request = {
    .agent = "sales", .to = to, .ring_timeout_s = ring_timeout_s,
    .progress = on_progress, .user_data = f,
  };
  TbCall *call = tb_sip_endpoint_place_call (f->endpoint, &request, &error);

  g_assert_no_error (error);
  g_assert_nonnull (call);
  return call;
}

/* Waits until the call manager has let go of every call. */
static void
wait_no_calls (Fixture *f)
{
  for (guint i = 0; i < 500 && tb_call_manager_count (f->calls) > 0; i++)
    g_usleep (10000);
  g_assert_cmpuint (tb_call_manager_count (f->calls), ==, 0);
}

/* Places a call to @to once sipp listens, and waits for its answer. */
static TbCall *
place_answered (Fixture *f, const char *to)
{
  TbCall *call;

  g_usleep (300000);  /* sipp binds */
  call = place (f, to, 0);
  expect_progress (f, "ringing 180");
  expect_progress (f, "answered 200");
  return call;
}

static GSubprocess *
start_sipp (Fixture *f, const char *scenario, const char *const *vars)
{
  TbTestSipp options = { .scenario = scenario, .vars = vars, .port = f->sipp_port };

  return tb_test_sipp_start (&f->s, &options);
}

static void
test_answered (Fixture *f, gconstpointer data)
{
  g_autoptr(GSubprocess) sipp = start_sipp (f, "uas-answer.xml", NULL);
  g_autofree char *uri = g_strdup_printf ("sip:2000@127.0.0.1:%u", f->sipp_port);
  g_autoptr(TbCall) call = NULL;

  g_usleep (300000);  /* sipp binds */
  call = place (f, uri, 0);
  g_assert_cmpint (tb_call_get_direction (call), ==, TB_CALL_OUTBOUND);
  g_assert_true (g_str_has_suffix (tb_call_get_sip_call_id (call), "@127.0.0.1"));
  expect_progress (f, "ringing 180");
  expect_progress (f, "answered 200");
  /* sipp streams for 2 s, then hangs up. */
  expect_progress (f, "ended remote-bye");
  g_assert_cmpint (tb_test_sipp_wait (&f->s, sipp), ==, 0);
  wait_no_calls (f);
}

static void
test_refused (Fixture *f, gconstpointer data)
{
  const struct { const char *status; const char *progress; } cases[] = {
    { "486", "busy 486" }, { "603", "busy 603" }, { "480", "no-answer 480" },
    { "503", "failed 503" }, { "404", "failed 404" },
  };
  g_autofree char *uri = g_strdup_printf ("sip:2000@127.0.0.1:%u", f->sipp_port);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const char *vars[] = { "@STATUS@", cases[i].status, NULL };
    g_autoptr(GSubprocess) sipp = start_sipp (f, "uas-refuse.xml", vars);
    g_autoptr(TbCall) call = NULL;

    g_usleep (300000);
    call = place (f, uri, 0);
    expect_progress (f, cases[i].progress);
    g_assert_cmpint (tb_test_sipp_wait (&f->s, sipp), ==, 0);
    wait_no_calls (f);
  }
}

static void
test_no_answer (Fixture *f, gconstpointer data)
{
  g_autoptr(GSubprocess) sipp = start_sipp (f, "uas-ring.xml", NULL);
  g_autofree char *uri = g_strdup_printf ("sip:2000@127.0.0.1:%u", f->sipp_port);
  g_autoptr(TbCall) call = NULL;
  gint64 start;

  g_usleep (300000);
  start = g_get_monotonic_time ();
  call = place (f, uri, 1);
  expect_progress (f, "ringing 180");
  expect_progress (f, "no-answer 0");
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 900000);
  /* The CANCEL went out and was answered; the 487 was acknowledged. */
  g_assert_cmpint (tb_test_sipp_wait (&f->s, sipp), ==, 0);
  wait_no_calls (f);
}

static void
test_through_trunk (Fixture *f, gconstpointer data)
{
  const char *vars[] = { "@USER@", "acct77", "@PASSWORD@", TRUNK_PASSWORD, NULL };
  g_autoptr(GSubprocess) sipp = start_sipp (f, "uas-trunk-auth.xml", vars);
  g_autoptr(TbCall) call = NULL;

  call = place_answered (f, "+15550123");
  expect_progress (f, "ended remote-bye");
  g_assert_cmpint (tb_test_sipp_wait (&f->s, sipp), ==, 0);
  wait_no_calls (f);
}

/* The far end accepts the REFER and reports its new call answered: our
 * call ends, as transferred. */
static void
test_transferred (Fixture *f, gconstpointer data)
{
  g_autoptr(GSubprocess) sipp = start_sipp (f, "uas-transferred.xml", NULL);
  g_autofree char *uri = g_strdup_printf ("sip:2000@127.0.0.1:%u", f->sipp_port);
  g_autoptr(TbCall) call = NULL;

  call = place_answered (f, uri);
  tb_call_transfer (call, "2000");
  expect_progress (f, "ended transferred");
  g_assert_cmpint (tb_test_sipp_wait (&f->s, sipp), ==, 0);
  wait_no_calls (f);
}

/* The transferee's new call is busy: our call goes on, the conversation
 * hears of it, and the far end hangs up later. */
static void
test_transfer_fails (Fixture *f, gconstpointer data)
{
  g_autoptr(GSubprocess) sipp = start_sipp (f, "uas-transfer-fails.xml", NULL);
  g_autofree char *uri = g_strdup_printf ("sip:2000@127.0.0.1:%u", f->sipp_port);
  g_autofree char *event = NULL;
  g_autoptr(TbCall) call = NULL;

  call = place_answered (f, uri);
  tb_call_set_event_func (call, on_call_event, f);
  /* Not a target: refused at once, the call goes on. */
  tb_call_transfer (call, "front desk");
  event = g_async_queue_timeout_pop (f->events, 10 * G_USEC_PER_SEC);
  g_assert_cmpstr (event, ==, "transfer to front desk failed: 0 not a SIP URI or a number that "
                              "can be dialled");
  g_clear_pointer (&event, g_free);
  tb_call_transfer (call, "sip:2000@127.0.0.1");
  event = g_async_queue_timeout_pop (f->events, 10 * G_USEC_PER_SEC);
  g_assert_cmpstr (event, ==, "transfer to sip:2000@127.0.0.1 failed: 486 Busy Here");
  expect_progress (f, "ended remote-bye");
  g_assert_cmpint (tb_test_sipp_wait (&f->s, sipp), ==, 0);
  wait_no_calls (f);
}

static void
test_bad_requests (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  TbOutboundCall request = { .agent = "nobody", .to = "123" };

  g_assert_null (tb_sip_endpoint_place_call (f->endpoint, &request, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  request.agent = "sales";
  request.to = "not a number";
  g_assert_null (tb_sip_endpoint_place_call (f->endpoint, &request, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  request.to = "123";
  request.trunk = "other";
  g_assert_null (tb_sip_endpoint_place_call (f->endpoint, &request, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpuint (tb_call_manager_count (f->calls), ==, 0);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/sip-outbound/answered", Fixture, NULL, fixture_set_up, test_answered,
              fixture_tear_down);
  g_test_add ("/sip-outbound/refused", Fixture, NULL, fixture_set_up, test_refused,
              fixture_tear_down);
  g_test_add ("/sip-outbound/no-answer", Fixture, NULL, fixture_set_up, test_no_answer,
              fixture_tear_down);
  g_test_add ("/sip-outbound/through-trunk", Fixture, NULL, fixture_set_up, test_through_trunk,
              fixture_tear_down);
  g_test_add ("/sip-outbound/transferred", Fixture, NULL, fixture_set_up, test_transferred,
              fixture_tear_down);
  g_test_add ("/sip-outbound/transfer-fails", Fixture, NULL, fixture_set_up, test_transfer_fails,
              fixture_tear_down);
  g_test_add ("/sip-outbound/bad-requests", Fixture, NULL, fixture_set_up, test_bad_requests,
              fixture_tear_down);
  return g_test_run ();
}
