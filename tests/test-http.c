/* test-http.c — the daemon's HTTP server and the demo appointment book,
 * talked to with a libsoup client on loopback: /healthz, 404, 405, bodies
 * too large (with a length and chunked), bad JSON; booking, double
 * booking with alternatives, refusals, invalid arguments, the lists;
 * signed webhooks; a reload that changes [http] listen; draining on
 * SIGTERM; and a port already in use, which keeps the daemon from
 * starting. */
#include "test-util.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#define SECRET "whsec-test-4471-do-not-log"
#define CALLER "+15550100"

typedef struct {
  char *dir;
  char *conf;
  char *log;
  guint http_port;
  GSubprocess *daemon;
  SoupSession *session;
} Fixture;

typedef struct {
  guint status;
  JsonNode *json;
  char *allow;
  char *content_type;
} Reply;

static void
reply_clear (Reply *reply)
{
  g_clear_pointer (&reply->json, json_node_unref);
  g_clear_pointer (&reply->allow, g_free);
  g_clear_pointer (&reply->content_type, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

static char *
write_conf (Fixture *f, guint http_port, const char *http_extra)
{
  g_autofree char *text = g_strdup_printf (
    "[talkingbits]\nplugin-path=\n"
    "[sip]\nlisten=127.0.0.1:%u\n"
    "[http]\nlisten=127.0.0.1:%u\n%s",
    tb_test_free_port (), http_port, http_extra);

  return tb_test_write_file (f->dir, "t.conf", text);
}

static void
start (Fixture *f, const char *http_extra)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *listening = NULL;
  g_autofree char *text = NULL;

  f->dir = g_dir_make_tmp ("tb-http-XXXXXX", &error);
  g_assert_no_error (error);
  f->http_port = tb_test_free_port ();
  f->conf = write_conf (f, f->http_port, http_extra);
  f->log = g_build_filename (f->dir, "daemon.log", NULL);
  f->daemon = tb_test_start_daemon (f->conf, "", f->log);
  text = tb_test_wait_for_text (f->log, "ready");
  g_assert_nonnull (text);
  listening = g_strdup_printf ("HTTP listening on http://127.0.0.1:%u/", f->http_port);
  g_assert_true (tb_test_contains (text, listening));
  {
    /* Straight to loopback, whatever proxy the environment names. */
    g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);

    f->session = soup_session_new_with_options ("timeout", 20, "proxy-resolver", direct, NULL);
  }
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  start (f, data ? data : "");
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autofree char *text = NULL;

  g_clear_object (&f->session);
  if (f->daemon)
    tb_test_stop_daemon (f->daemon, SIGTERM);
  g_clear_object (&f->daemon);
  g_file_get_contents (f->log, &text, NULL, NULL);
  if (g_test_failed ())
    g_printerr ("daemon log:\n%s\n", text);
  /* The secret never reaches the log, even with -v. */
  g_assert_null (strstr (text ? text : "", SECRET));
  tb_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->conf);
  g_free (f->log);
}

/* The X-Talkingbits-Signature of @body with @secret, computed here as a
 * receiver's documentation says, not with the daemon's code. */
static char *
signature_of (const char *secret, GBytes *body)
{
  gsize length = 0;
  const guchar *data = g_bytes_get_data (body, &length);
  g_autofree char *hex = g_compute_hmac_for_data (G_CHECKSUM_SHA256, (const guchar *) secret,
                                                  strlen (secret), data, length);

  return g_strconcat ("sha256=", hex, NULL);
}

/* Sends @method @path to @port with @body (a JSON text, or NULL) and, when
 * not NULL, the header X-Talkingbits-Signature: @signature; the reply must
 * be JSON. */
static void
request_to (Fixture *f, guint port, const char *method, const char *path, GBytes *body,
            const char *signature, Reply *reply)
{
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  SoupMessageHeaders *headers;
  gsize length = 0;
  const char *data;

  g_assert_nonnull (msg);
  if (body)
    soup_message_set_request_body_from_bytes (msg, "application/json", body);
  if (signature)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
                                  "X-Talkingbits-Signature", signature);
  answer = soup_session_send_and_read (f->session, msg, NULL, &error);
  g_assert_no_error (error);
  reply->status = soup_message_get_status (msg);
  headers = soup_message_get_response_headers (msg);
  reply->allow = g_strdup (soup_message_headers_get_one (headers, "Allow"));
  reply->content_type = g_strdup (soup_message_headers_get_content_type (headers, NULL));
  g_assert_cmpstr (reply->content_type, ==, "application/json");
  data = g_bytes_get_data (answer, &length);
  json_parser_load_from_data (parser, data, (gssize) length, &error);
  g_assert_no_error (error);
  reply->json = json_parser_steal_root (parser);
}

static void
request (Fixture *f, const char *method, const char *path, const char *body, Reply *reply)
{
  g_autoptr(GBytes) bytes = body ? g_bytes_new (body, strlen (body)) : NULL;

  request_to (f, f->http_port, method, path, bytes, NULL, reply);
}

/* A webhook request as the tool-webhook plugin sends it. */
static char *
webhook_body (const char *tool, const char *caller, const char *arguments)
{
  return g_strdup_printf ("{\"call_id\":\"c-%s\",\"agent\":\"reception\",\"caller\":\"%s\","
                          "\"callee\":\"1000\",\"tool\":\"%s\",\"arguments\":%s}",
                          tool, caller, tool, arguments);
}

static void
webhook (Fixture *f, const char *what, const char *caller, const char *arguments, Reply *reply)
{
  g_autofree char *path = g_strconcat ("/webhooks/appointments/", what, NULL);
  g_autofree char *body = webhook_body (what, caller, arguments);

  request (f, "POST", path, body, reply);
}

static JsonObject *
object (Reply *reply)
{
  g_assert_true (JSON_NODE_HOLDS_OBJECT (reply->json));
  return json_node_get_object (reply->json);
}

static const char *
member (Reply *reply, const char *name)
{
  return json_object_get_string_member (object (reply), name);
}

/* The "alternatives" (or another array of strings) joined with ','. */
static char *
joined (JsonObject *o, const char *name)
{
  JsonArray *array = json_object_get_array_member (o, name);
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (array); i++)
    g_string_append_printf (s, "%s%s", i ? "," : "", json_array_get_string_element (array, i));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* A day that is @weekday, at least two weeks from now. */
static char *
future_day (GDateWeekday weekday, char **spoken)
{
  static const char *const names[] = {
    NULL, "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"
  };
  static const char *const months[] = {
    NULL, "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"
  };
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  GDate day;

  g_date_clear (&day, 1);
  g_date_set_dmy (&day, (GDateDay) g_date_time_get_day_of_month (now),
                  (GDateMonth) g_date_time_get_month (now), (GDateYear) g_date_time_get_year (now));
  g_date_add_days (&day, 14);
  while (g_date_get_weekday (&day) != weekday)
    g_date_add_days (&day, 1);
  if (spoken)
    *spoken = g_strdup_printf ("%s %u %s", names[weekday], g_date_get_day (&day),
                               months[g_date_get_month (&day)]);
  return g_strdup_printf ("%04u-%02u-%02u", g_date_get_year (&day), g_date_get_month (&day),
                          g_date_get_day (&day));
}

static char *
slot_arguments (const char *day, const char *time, const char *name)
{
  if (name)
    return g_strdup_printf ("{\"day\":\"%s\",\"time\":\"%s\",\"name\":\"%s\"}", day, time, name);
  return g_strdup_printf ("{\"day\":\"%s\",\"time\":\"%s\"}", day, time);
}

/* ---- the server ---------------------------------------------------------- */

static void
test_healthz (Fixture *f, gconstpointer data)
{
  g_auto(Reply) ok = { 0 }, head = { 0 }, wrong_method = { 0 }, unknown = { 0 }, below = { 0 };

  request (f, "GET", "/healthz", NULL, &ok);
  g_assert_cmpuint (ok.status, ==, 200);
  g_assert_cmpstr (member (&ok, "status"), ==, "ok");

  request (f, "POST", "/healthz", "{}", &wrong_method);
  g_assert_cmpuint (wrong_method.status, ==, 405);
  g_assert_cmpstr (wrong_method.allow, ==, "GET");
  g_assert_true (tb_test_contains (member (&wrong_method, "error"), "POST"));

  request (f, "GET", "/no/such/thing", NULL, &unknown);
  g_assert_cmpuint (unknown.status, ==, 404);
  g_assert_true (tb_test_contains (member (&unknown, "error"), "/no/such/thing"));

  /* A prefix covers the paths below it, not longer names. */
  request (f, "GET", "/healthzz", NULL, &below);
  g_assert_cmpuint (below.status, ==, 404);

  /* The webhooks take POST only. */
  request (f, "GET", "/webhooks/appointments/book", NULL, &head);
  g_assert_cmpuint (head.status, ==, 405);
  g_assert_cmpstr (head.allow, ==, "POST");
}

static void
test_bad_bodies (Fixture *f, gconstpointer data)
{
  g_auto(Reply) malformed = { 0 }, array = { 0 }, empty = { 0 }, big = { 0 }, chunked = { 0 };
  g_auto(Reply) after = { 0 }, bad_arguments = { 0 }, bad_caller = { 0 };
  gsize size = 2 * 1000 * 1000;
  g_autofree char *huge = g_malloc (size);
  g_autoptr(GBytes) huge_bytes = NULL;
  g_autoptr(GError) error = NULL;

  request (f, "POST", "/webhooks/appointments/book", "{\"call_id\": \"x\", \"arguments\": {",
           &malformed);
  g_assert_cmpuint (malformed.status, ==, 400);
  g_assert_true (tb_test_contains (member (&malformed, "error"), "invalid JSON"));

  request (f, "POST", "/webhooks/appointments/book", "[1, 2]", &array);
  g_assert_cmpuint (array.status, ==, 400);
  g_assert_true (tb_test_contains (member (&array, "error"), "must be a JSON object"));

  request (f, "POST", "/webhooks/appointments/book", NULL, &empty);
  g_assert_cmpuint (empty.status, ==, 400);

  request (f, "POST", "/webhooks/appointments/book", "{\"arguments\": \"day=tomorrow\"}",
           &bad_arguments);
  g_assert_cmpuint (bad_arguments.status, ==, 400);
  g_assert_true (tb_test_contains (member (&bad_arguments, "error"), "\"arguments\""));

  request (f, "POST", "/webhooks/appointments/book", "{\"caller\": 5550100, \"arguments\": {}}",
           &bad_caller);
  g_assert_cmpuint (bad_caller.status, ==, 400);
  g_assert_true (tb_test_contains (member (&bad_caller, "error"), "\"caller\""));

  /* 2 MB with a Content-Length: refused before it is read into memory. */
  memset (huge, ' ', size);
  huge[0] = '{';
  huge[size - 1] = '}';
  huge_bytes = g_bytes_new_static (huge, size);
  request_to (f, f->http_port, "POST", "/webhooks/appointments/book", huge_bytes, NULL, &big);
  g_assert_cmpuint (big.status, ==, 413);
  g_assert_true (tb_test_contains (member (&big, "error"), "larger than 1048576 bytes"));

  /* The same without a length (chunked): refused once it grows too big. */
  {
    g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u/webhooks/appointments/book",
                                            f->http_port);
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", uri);
    g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (huge_bytes);
    g_autoptr(GBytes) answer = NULL;

    soup_message_set_request_body (msg, "application/json", stream, -1);
    answer = soup_session_send_and_read (f->session, msg, NULL, &error);
    g_assert_no_error (error);
    chunked.status = soup_message_get_status (msg);
    g_assert_cmpuint (chunked.status, ==, 413);
    g_assert_true (tb_test_contains (g_bytes_get_data (answer, NULL), "larger than"));
  }

  /* The server is still fine. */
  request (f, "GET", "/healthz", NULL, &after);
  g_assert_cmpuint (after.status, ==, 200);
}

/* ---- the appointment book ------------------------------------------------ */

static void
test_book (Fixture *f, gconstpointer data)
{
  g_autofree char *spoken = NULL;
  g_autofree char *day = future_day (G_DATE_TUESDAY, &spoken);
  g_autofree char *ten = slot_arguments (day, "10:00", "Ann Example");
  g_autofree char *half_past = slot_arguments (day, "10:30", NULL);
  g_autofree char *day_only = g_strdup_printf ("{\"day\":\"%s\"}", day);
  g_autofree char *expected = g_strdup_printf ("Booked for %s at 10:00.", spoken);
  g_autofree char *alternatives = NULL, *later = NULL, *free_slots = NULL;
  g_autofree char *filtered = g_strdup_printf ("/api/v1/appointments?day=%s", day);
  g_auto(Reply) booked = { 0 }, again = { 0 }, second = { 0 }, third = { 0 };
  g_auto(Reply) all = { 0 }, by_day = { 0 }, mine = { 0 }, theirs = { 0 }, other_day = { 0 };
  JsonObject *appointment;
  JsonArray *list;

  /* Booked: the reply says when, in words the model can repeat. */
  webhook (f, "book", CALLER, ten, &booked);
  g_assert_cmpuint (booked.status, ==, 200);
  g_assert_true (json_object_get_boolean_member (object (&booked), "ok"));
  g_assert_cmpstr (member (&booked, "message"), ==, expected);
  appointment = json_object_get_object_member (object (&booked), "appointment");
  g_assert_cmpint (json_object_get_int_member (appointment, "id"), >, 0);
  g_assert_cmpstr (json_object_get_string_member (appointment, "day"), ==, day);
  g_assert_cmpstr (json_object_get_string_member (appointment, "time"), ==, "10:00");
  g_assert_cmpstr (json_object_get_string_member (appointment, "caller"), ==, CALLER);
  g_assert_cmpstr (json_object_get_string_member (appointment, "name"), ==, "Ann Example");

  /* The same slot again: no double booking, the next free slots instead. */
  webhook (f, "book", "+15550199", ten, &again);
  g_assert_cmpuint (again.status, ==, 200);
  g_assert_false (json_object_get_boolean_member (object (&again), "ok"));
  g_assert_cmpstr (member (&again, "error"), ==, "That time is already taken.");
  alternatives = joined (object (&again), "alternatives");
  g_assert_cmpstr (alternatives, ==, "10:30,11:00");

  webhook (f, "book", "+15550199", half_past, &second);
  g_assert_true (json_object_get_boolean_member (object (&second), "ok"));
  webhook (f, "book", "+15550199", ten, &third);
  g_assert_false (json_object_get_boolean_member (object (&third), "ok"));
  later = joined (object (&third), "alternatives");
  g_assert_cmpstr (later, ==, "11:00,11:30");

  /* Everything, with the callers, for the UI and tests. */
  request (f, "GET", "/api/v1/appointments", NULL, &all);
  g_assert_cmpuint (all.status, ==, 200);
  list = json_object_get_array_member (object (&all), "appointments");
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  appointment = json_array_get_object_element (list, 0);
  g_assert_cmpstr (json_object_get_string_member (appointment, "time"), ==, "10:00");
  g_assert_cmpstr (json_object_get_string_member (appointment, "caller"), ==, CALLER);
  g_assert_cmpstr (json_object_get_string_member (appointment, "call_id"), ==, "c-book");
  appointment = json_array_get_object_element (list, 1);
  g_assert_cmpstr (json_object_get_string_member (appointment, "time"), ==, "10:30");
  g_assert_false (json_object_has_member (appointment, "name"));

  request (f, "GET", filtered, NULL, &by_day);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object (&by_day),
                                                                         "appointments")), ==, 2);
  request (f, "GET", "/api/v1/appointments?day=2030-02-30", NULL, &other_day);
  g_assert_cmpuint (other_day.status, ==, 400);

  /* The day as the model sees it: free slots; only the caller's own
   * bookings show who made them. */
  webhook (f, "list", CALLER, day_only, &mine);
  g_assert_cmpuint (mine.status, ==, 200);
  g_assert_true (json_object_get_boolean_member (object (&mine), "ok"));
  g_assert_true (json_object_get_boolean_member (object (&mine), "open"));
  free_slots = joined (object (&mine), "free");
  g_assert_true (g_str_has_prefix (free_slots, "09:00,09:30,11:00,11:30,"));
  g_assert_true (g_str_has_suffix (free_slots, ",16:30"));
  list = json_object_get_array_member (object (&mine), "appointments");
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  appointment = json_array_get_object_element (list, 0);
  g_assert_true (json_object_get_boolean_member (appointment, "yours"));
  g_assert_cmpstr (json_object_get_string_member (appointment, "name"), ==, "Ann Example");
  appointment = json_array_get_object_element (list, 1);
  g_assert_false (json_object_get_boolean_member (appointment, "yours"));
  g_assert_false (json_object_has_member (appointment, "caller"));

  webhook (f, "list", "+15550123", day_only, &theirs);
  list = json_object_get_array_member (object (&theirs), "appointments");
  appointment = json_array_get_object_element (list, 0);
  g_assert_false (json_object_has_member (appointment, "caller"));
  g_assert_false (json_object_has_member (appointment, "name"));
}

static void
expect_refusal (Fixture *f, const char *day, const char *time, const char *error,
                const char *alternatives)
{
  g_autofree char *arguments = slot_arguments (day, time, NULL);
  g_autofree char *got = NULL;
  g_auto(Reply) reply = { 0 };

  webhook (f, "book", CALLER, arguments, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_false (json_object_get_boolean_member (object (&reply), "ok"));
  g_assert_true (tb_test_contains (member (&reply, "error"), error));
  got = joined (object (&reply), "alternatives");
  g_assert_cmpstr (got, ==, alternatives);
}

static void
test_refusals (Fixture *f, gconstpointer data)
{
  g_autofree char *saturday = future_day (G_DATE_SATURDAY, NULL);
  g_autofree char *friday = future_day (G_DATE_FRIDAY, NULL);
  g_autofree char *saturday_args = g_strdup_printf ("{\"day\":\"%s\"}", saturday);
  g_auto(Reply) closed = { 0 }, all = { 0 };

  expect_refusal (f, saturday, "10:00", "We are closed on Saturday", "");
  expect_refusal (f, friday, "08:00", "outside our opening hours", "09:00,09:30");
  expect_refusal (f, friday, "17:00", "the last appointment starts at 16:30", "16:00,16:30");
  expect_refusal (f, friday, "10:15", "every 30 minutes", "10:30,11:00");
  expect_refusal (f, "2001-01-02", "10:00", "already passed", "");

  webhook (f, "list", CALLER, saturday_args, &closed);
  g_assert_false (json_object_get_boolean_member (object (&closed), "open"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object (&closed),
                                                                         "free")), ==, 0);

  /* Nothing was booked by any of them. */
  request (f, "GET", "/api/v1/appointments", NULL, &all);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object (&all),
                                                                         "appointments")), ==, 0);
}

static void
expect_invalid (Fixture *f, const char *arguments, const char *error)
{
  g_auto(Reply) reply = { 0 };

  webhook (f, "book", CALLER, arguments, &reply);
  g_assert_cmpuint (reply.status, ==, 400);
  g_assert_true (tb_test_contains (member (&reply, "error"), error));
}

static void
test_invalid_arguments (Fixture *f, gconstpointer data)
{
  g_autofree char *day = future_day (G_DATE_WEDNESDAY, NULL);
  g_autofree char *no_time = g_strdup_printf ("{\"day\":\"%s\"}", day);
  g_autofree char *bad_time = slot_arguments (day, "25:00", NULL);
  g_autofree char *words = slot_arguments (day, "ten o'clock", NULL);
  g_autofree char *bad_name = g_strdup_printf ("{\"day\":\"%s\",\"time\":\"10:00\","
                                               "\"name\":[\"Ann\"]}", day);
  g_autofree char *short_hour = slot_arguments (day, "9:30", NULL);
  g_auto(Reply) nine = { 0 }, list = { 0 };

  expect_invalid (f, "{\"time\":\"10:00\"}", "arguments.day is missing");
  expect_invalid (f, "{}", "arguments.day is missing");
  expect_invalid (f, "{\"day\":\"2030-02-30\",\"time\":\"10:00\"}",
                  "arguments.day: '2030-02-30' is not a date as YYYY-MM-DD");
  expect_invalid (f, "{\"day\":\"next tuesday\",\"time\":\"10:00\"}", "is not a date");
  expect_invalid (f, "{\"day\":20301105,\"time\":\"10:00\"}", "arguments.day must be a string");
  expect_invalid (f, no_time, "arguments.time is missing");
  expect_invalid (f, bad_time, "arguments.time: '25:00' is not a time of day as HH:MM");
  expect_invalid (f, words, "is not a time of day");
  expect_invalid (f, bad_name, "arguments.name must be a string");

  /* H:MM is a time too. */
  webhook (f, "book", CALLER, short_hour, &nine);
  g_assert_cmpuint (nine.status, ==, 200);
  g_assert_true (json_object_get_boolean_member (object (&nine), "ok"));

  webhook (f, "list", CALLER, "{}", &list);
  g_assert_cmpuint (list.status, ==, 400);
}

/* ---- signatures, reload, start-up ---------------------------------------- */

static void
test_signature (Fixture *f, gconstpointer data)
{
  static const char path[] = "/webhooks/appointments/book";
  g_autofree char *day = future_day (G_DATE_THURSDAY, NULL);
  g_autofree char *arguments = slot_arguments (day, "14:00", NULL);
  g_autofree char *body = webhook_body ("book", CALLER, arguments);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autofree char *good = signature_of (SECRET, bytes);
  g_autofree char *bad = signature_of ("another secret", bytes);
  g_autofree char *upper = g_ascii_strup (good, -1);
  g_autoptr(GBytes) tampered = NULL;
  g_auto(Reply) unsigned_ = { 0 }, wrong = { 0 }, signed_ = { 0 }, changed = { 0 };
  g_auto(Reply) upper_hex = { 0 }, health = { 0 }, all = { 0 };

  request_to (f, f->http_port, "POST", path, bytes, NULL, &unsigned_);
  g_assert_cmpuint (unsigned_.status, ==, 401);
  g_assert_true (tb_test_contains (member (&unsigned_, "error"), "X-Talkingbits-Signature"));

  request_to (f, f->http_port, "POST", path, bytes, bad, &wrong);
  g_assert_cmpuint (wrong.status, ==, 401);

  request_to (f, f->http_port, "POST", path, bytes, good, &signed_);
  g_assert_cmpuint (signed_.status, ==, 200);
  g_assert_true (json_object_get_boolean_member (object (&signed_), "ok"));

  /* A body changed after signing is refused. */
  memcpy (strstr (body, "14:00"), "15:00", 5);
  tampered = g_bytes_new (body, strlen (body));
  request_to (f, f->http_port, "POST", path, tampered, good, &changed);
  g_assert_cmpuint (changed.status, ==, 401);

  /* Upper-case hex digits are fine too. */
  memcpy (upper, "sha256=", 7);
  request_to (f, f->http_port, "POST", path, bytes, upper, &upper_hex);
  g_assert_cmpuint (upper_hex.status, ==, 200);
  g_assert_false (json_object_get_boolean_member (object (&upper_hex), "ok"));

  /* Only webhooks are signed. */
  request (f, "GET", "/healthz", NULL, &health);
  g_assert_cmpuint (health.status, ==, 200);
  request (f, "GET", "/api/v1/appointments", NULL, &all);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object (&all),
                                                                         "appointments")), ==, 1);
}

/* SIGHUP with another [http] listen: the server keeps its address (and
 * says a restart is needed); a new webhook secret applies at once. */
static void
test_reload (Fixture *f, gconstpointer data)
{
  g_autofree char *day = future_day (G_DATE_MONDAY, NULL);
  g_autofree char *arguments = slot_arguments (day, "09:00", NULL);
  g_autofree char *body = webhook_body ("book", CALLER, arguments);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autofree char *signature = signature_of (SECRET, bytes);
  guint other_port = tb_test_free_port ();
  g_auto(Reply) before = { 0 }, health = { 0 }, unsigned_ = { 0 }, signed_ = { 0 };
  g_autofree char *text = NULL;

  request_to (f, f->http_port, "POST", "/webhooks/appointments/book", bytes, NULL, &before);
  g_assert_cmpuint (before.status, ==, 200);

  g_free (write_conf (f, other_port, "webhook-secret-env=TB_TEST_WEBHOOK_SECRET\n"));
  g_subprocess_send_signal (f->daemon, SIGHUP);
  text = tb_test_wait_for_text (f->log, "[http] listen takes effect after a restart");
  g_assert_nonnull (text);

  request (f, "GET", "/healthz", NULL, &health);
  g_assert_cmpuint (health.status, ==, 200);
  request_to (f, f->http_port, "POST", "/webhooks/appointments/book", bytes, NULL, &unsigned_);
  g_assert_cmpuint (unsigned_.status, ==, 401);
  request_to (f, f->http_port, "POST", "/webhooks/appointments/book", bytes, signature,
              &signed_);
  g_assert_cmpuint (signed_.status, ==, 200);
  /* Booked before the reload: the book stays. */
  g_assert_false (json_object_get_boolean_member (object (&signed_), "ok"));
}

/* One HTTP/1.1 response read from @connection: status line, headers and
 * the Content-Length bytes of body. */
static char *
read_response (GSocketConnection *connection)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  const char *end, *length;
  char buffer[4096];
  gssize n;

  while (!(end = strstr (text->str, "\r\n\r\n")) ||
         !(length = strstr (text->str, "Content-Length: ")) ||
         text->len < (gsize) (end + 4 - text->str) + g_ascii_strtoull (length + 16, NULL, 10)) {
    n = g_input_stream_read (in, buffer, sizeof buffer, NULL, &error);
    g_assert_no_error (error);
    if (n == 0)
      break;
    g_string_append_len (text, buffer, n);
  }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static GSocketConnection *
connect_raw (Fixture *f, const char *text)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection =
    g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) f->http_port, NULL, &error);

  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), text,
                             strlen (text), NULL, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

/* SIGTERM: a request in progress is finished, new ones get 503, then the
 * daemon exits. */
static void
test_drain (Fixture *f, gconstpointer data)
{
  g_autofree char *day = future_day (G_DATE_MONDAY, NULL);
  g_autofree char *arguments = g_strdup_printf ("{\"day\":\"%s\"}", day);
  g_autofree char *body = webhook_body ("list", CALLER, arguments);
  gsize half = strlen (body) / 2;
  g_autofree char *head = g_strdup_printf ("POST /webhooks/appointments/list HTTP/1.1\r\n"
                                           "Host: 127.0.0.1\r\n"
                                           "Content-Type: application/json\r\n"
                                           "Content-Length: %zu\r\n\r\n%.*s",
                                           strlen (body), (int) half, body);
  g_autoptr(GSocketConnection) slow = connect_raw (f, head);
  g_autoptr(GSocketConnection) late = NULL;
  g_autofree char *late_response = NULL, *slow_response = NULL;
  g_auto(Reply) health = { 0 };
  g_autoptr(GError) error = NULL;

  /* Answered after the slow request's start was read. */
  request (f, "GET", "/healthz", NULL, &health);
  g_assert_cmpuint (health.status, ==, 200);

  g_subprocess_send_signal (f->daemon, SIGTERM);
  g_assert_true (tb_test_wait_for_log (f->log, "waiting for 1 HTTP requests to finish"));

  late = connect_raw (f, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  late_response = read_response (late);
  g_assert_true (tb_test_contains (late_response, "HTTP/1.1 503"));
  g_assert_true (tb_test_contains (late_response, "shutting down"));

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (slow)), body + half,
                             strlen (body + half), NULL, NULL, &error);
  g_assert_no_error (error);
  slow_response = read_response (slow);
  g_assert_true (tb_test_contains (slow_response, "HTTP/1.1 200"));
  g_assert_true (tb_test_contains (slow_response, "\"free\":[\"09:00\""));

  g_subprocess_wait (f->daemon, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (f->daemon));
  g_assert_cmpint (g_subprocess_get_exit_status (f->daemon), ==, 0);
  g_clear_object (&f->daemon);
  g_assert_true (tb_test_wait_for_log (f->log, "stopped"));
}

static void
test_port_in_use (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tb-http-XXXXXX", NULL);
  g_autofree char *conf = NULL, *text = NULL, *expected = NULL;
  g_autofree char *out = NULL, *err = NULL;
  const char *argv[] = { TB_DAEMON, "--config", NULL, NULL };
  guint port;

  g_assert_no_error (error);
  g_socket_bind (socket, any, FALSE, &error);
  g_assert_no_error (error);
  g_socket_listen (socket, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  text = g_strdup_printf ("[talkingbits]\nplugin-path=\n[sip]\nlisten=127.0.0.1:%u\n"
                          "[http]\nlisten=127.0.0.1:%u\n", tb_test_free_port (), port);
  conf = tb_test_write_file (dir, "t.conf", text);
  argv[2] = conf;
  g_assert_cmpint (tb_test_run (argv, "", &out, &err), ==, 1);
  expected = g_strdup_printf ("talkingbits: not started: cannot listen for HTTP on "
                              "127.0.0.1:%u ([http] listen): ", port);
  g_assert_true (tb_test_contains (err, expected));
  g_assert_true (tb_test_contains (err, "in use"));
  tb_test_remove_tree (dir);
}

/* [http] listen empty: no server, the daemon runs. */
static void
test_no_server (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tb-http-XXXXXX", NULL);
  g_autofree char *text = g_strdup_printf ("[talkingbits]\nplugin-path=\n"
                                           "[sip]\nlisten=127.0.0.1:%u\n[http]\nlisten=\n",
                                           tb_test_free_port ());
  g_autofree char *conf = tb_test_write_file (dir, "t.conf", text);
  g_autofree char *log = g_build_filename (dir, "daemon.log", NULL);
  g_autoptr(GSubprocess) daemon = tb_test_start_daemon (conf, "", log);
  g_autofree char *started = tb_test_wait_for_text (log, "ready");

  g_assert_nonnull (started);
  g_assert_true (tb_test_contains (started, "no HTTP server"));
  g_assert_null (strstr (started, "HTTP listening"));
  tb_test_stop_daemon (daemon, SIGTERM);
  tb_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  static const char signed_conf[] = "webhook-secret-env=TB_TEST_WEBHOOK_SECRET\n";

  g_setenv ("TB_TEST_WEBHOOK_SECRET", SECRET, TRUE);
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func, data) \
  g_test_add ("/http/" path, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("healthz-404-405", test_healthz, NULL);
  ADD ("bad-bodies", test_bad_bodies, NULL);
  ADD ("book", test_book, NULL);
  ADD ("refusals", test_refusals, NULL);
  ADD ("invalid-arguments", test_invalid_arguments, NULL);
  ADD ("signature", test_signature, signed_conf);
  ADD ("reload", test_reload, NULL);
  ADD ("drain", test_drain, NULL);
#undef ADD
  g_test_add_func ("/http/port-in-use", test_port_in_use);
  g_test_add_func ("/http/no-server", test_no_server);
  return g_test_run ();
}
