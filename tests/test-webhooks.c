/* test-webhooks.c — the built-in webhooks against a real PostgreSQL
 * (test-pg.h) and the real daemon over HTTP: booking, double booking
 * refused with alternatives (also when requests race for one slot),
 * cancel and rebook, someone else's appointment kept, the free slots of a
 * day, business hours from the table (slots follow a change), callback
 * requests stored and listed, SQL in every string stored verbatim,
 * malformed requests, signed webhooks, a database outage (503), and the
 * same webhooks in memory on a daemon without a database. The hours'
 * arithmetic and words are tested alone first. */
#include "business-hours.h"
#include "test-pg.h"
#include "test-util.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#define SECRET "whsec-hooks-5309-do-not-log"
#define CALLER "+15550100"
#define OTHER "+15550199"
#define CALL_ID "3f2c8a4e-5b71-4f0e-9d2a-6c1b7e0a9f11"
#define INJECTION "Robert'); DROP TABLE appointments; --"
#define INJECTION_REASON "' OR 1=1; DELETE FROM callback_requests WHERE ''='"
#define INJECTION_PHONE "+1'; TRUNCATE calls CASCADE; --"

static TbTestPg *pg;
static SoupSession *session;

typedef struct {
  char *dir;
  char *log;
  guint http_port;
  GSubprocess *process;
} Daemon;

typedef struct {
  guint status;
  JsonNode *json;
} Reply;

static void
reply_clear (Reply *reply)
{
  g_clear_pointer (&reply->json, json_node_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

/* ---- the daemon ---------------------------------------------------------- */

/* A daemon with the HTTP server; with the harness database when @with_db;
 * @http_extra: more [http] lines. */
static void
daemon_start (Daemon *d, gboolean with_db, const char *http_extra)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL, *conf = NULL, *ready = NULL;
  g_autofree char *database = with_db ? g_strdup_printf ("[database]\nconninfo=%s\n",
                                                         pg->conninfo)
                                      : g_strdup ("");

  d->dir = g_dir_make_tmp ("tb-hooks-XXXXXX", &error);
  g_assert_no_error (error);
  d->http_port = tb_test_free_port ();
  text = g_strdup_printf ("[talkingbits]\nplugin-path=\n[sip]\nlisten=127.0.0.1:%u\n"
                          "[http]\nlisten=127.0.0.1:%u\n%s%s",
                          tb_test_free_port (), d->http_port, http_extra, database);
  conf = tb_test_write_file (d->dir, "t.conf", text);
  d->log = g_build_filename (d->dir, "daemon.log", NULL);
  d->process = tb_test_start_daemon (conf, "", d->log);
  ready = tb_test_wait_for_text (d->log, " ready (pid ");
  g_assert_nonnull (ready);
  g_assert_true (tb_test_contains (ready, with_db ? "their data in the database"
                                                  : "their data in memory"));
}

/* Stops it, printing its log when @failed. */
static void
daemon_stop (Daemon *d, gboolean failed)
{
  g_autofree char *text = NULL;

  tb_test_stop_daemon (d->process, SIGTERM);
  g_clear_object (&d->process);
  g_file_get_contents (d->log, &text, NULL, NULL);
  if (failed)
    g_printerr ("daemon log:\n%s\n", text);
  /* The secret never reaches the log. */
  g_assert_null (strstr (text ? text : "", SECRET));
  tb_test_remove_tree (d->dir);
  g_clear_pointer (&d->dir, g_free);
  g_clear_pointer (&d->log, g_free);
}

/* ---- requests ------------------------------------------------------------ */

static SoupMessage *
message_new (Daemon *d, const char *method, const char *path, const char *body,
             const char *secret)
{
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s", d->http_port, path);
  SoupMessage *msg = soup_message_new (method, uri);

  g_assert_nonnull (msg);
  if (body) {
    g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

    soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    if (secret) {
      /* As a receiver's documentation says, not with the daemon's code. */
      g_autofree char *hex = g_compute_hmac_for_string (G_CHECKSUM_SHA256, (const guchar *) secret,
                                                        strlen (secret), body, -1);
      g_autofree char *signature = g_strconcat ("sha256=", hex, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg),
                                    "X-Talkingbits-Signature", signature);
    }
  }
  return msg;
}

static void
read_reply (SoupMessage *msg, GBytes *answer, Reply *reply)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  const char *type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg),
                                                            NULL);

  reply->status = soup_message_get_status (msg);
  g_assert_cmpstr (type, ==, "application/json");
  json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                              (gssize) g_bytes_get_size (answer), &error);
  g_assert_no_error (error);
  reply->json = json_parser_steal_root (parser);
}

static void
send_to (Daemon *d, const char *method, const char *path, const char *body, const char *secret,
         Reply *reply)
{
  g_autoptr(SoupMessage) msg = message_new (d, method, path, body, secret);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = soup_session_send_and_read (session, msg, NULL, &error);

  g_assert_no_error (error);
  read_reply (msg, answer, reply);
}

/* What tool-webhook posts; @caller "" for none. */
static char *
envelope (const char *caller, const char *arguments)
{
  return g_strdup_printf ("{\"id\":\"r1\",\"timestamp\":1,\"call_id\":\"" CALL_ID "\","
                          "\"agent\":\"reception\",\"caller\":\"%s\",\"callee\":\"1000\","
                          "\"tool\":\"t\",\"arguments\":%s}", caller, arguments);
}

static void
hook (Daemon *d, const char *path, const char *caller, const char *arguments, Reply *reply)
{
  g_autofree char *body = envelope (caller, arguments);
  g_autofree char *full = g_strconcat ("/webhooks/", path, NULL);

  send_to (d, "POST", full, body, NULL, reply);
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

static gboolean
ok (Reply *reply)
{
  g_assert_cmpuint (reply->status, ==, 200);
  return json_object_get_boolean_member (object (reply), "ok");
}

/* An array of strings of @o joined with ','. */
static char *
joined (JsonObject *o, const char *name)
{
  JsonArray *array = json_object_get_array_member (o, name);
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (array); i++)
    g_string_append_printf (s, "%s%s", i ? "," : "", json_array_get_string_element (array, i));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static char *
psql (const char *sql)
{
  g_autofree char *err = NULL;
  char *out = tb_test_pg_psql (pg, NULL, sql, &err);

  if (!out)
    g_error ("psql: %s\n%s", sql, err);
  return out;
}

/* The day that is @weekday in the @week-th week from now (week >= 1). */
static char *
future_day (GDateWeekday weekday, guint week)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  GDate day;

  tb_day_from_date_time (now, &day, NULL);
  g_date_add_days (&day, 7 * week);
  while (g_date_get_weekday (&day) != weekday)
    g_date_add_days (&day, 1);
  return tb_day_format (&day);
}

static char *
slot (const char *day, const char *time)
{
  return g_strdup_printf ("{\"day\":\"%s\",\"time\":\"%s\"}", day, time);
}

/* The Unix time of @time on @day, in the local time zone. */
static gint64
local_epoch (const char *day_text, const char *time)
{
  GDate day;
  guint minute = 0;
  g_autoptr(GDateTime) at = NULL;

  g_assert_true (tb_day_parse (day_text, &day));
  g_assert_true (tb_minute_parse (time, &minute));
  at = tb_day_at (&day, minute);
  return g_date_time_to_unix (at);
}

/* ---- the hours alone ----------------------------------------------------- */

static void
test_hours_words (void)
{
  g_autoptr(TbBusinessHours) hours = tb_business_hours_new ();
  g_autoptr(TbBusinessHours) standard = tb_business_hours_new_default ();
  g_autoptr(GDateTime) now = g_date_time_new_local (2030, 1, 7, 8, 0, 0);   /* a Monday */
  g_autoptr(GDateTime) lunch = g_date_time_new_local (2030, 1, 7, 12, 30, 0);
  g_autoptr(GArray) free = NULL, near = NULL, taken = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree char *week = NULL, *standard_week = NULL, *monday = NULL, *refusal = NULL;
  guint minute = 11 * 60 + 30;
  GDate day;

  g_date_clear (&day, 1);
  g_date_set_dmy (&day, 7, G_DATE_JANUARY, 2030);
  for (GDateWeekday d = G_DATE_MONDAY; d <= G_DATE_THURSDAY; d++) {
    tb_business_hours_add (hours, d, 13 * 60, 17 * 60);
    tb_business_hours_add (hours, d, 9 * 60, 12 * 60);
  }
  tb_business_hours_add (hours, G_DATE_SATURDAY, 10 * 60, 13 * 60);
  tb_business_hours_add (hours, G_DATE_SUNDAY, 10 * 60, 13 * 60);

  week = tb_business_hours_describe_week (hours);
  g_assert_cmpstr (week, ==, "Monday to Thursday, 09:00 to 12:00 and 13:00 to 17:00; "
                             "Saturday and Sunday, 10:00 to 13:00");
  standard_week = tb_business_hours_describe_week (standard);
  g_assert_cmpstr (standard_week, ==, "Monday to Friday, 09:00 to 17:00");
  monday = tb_business_hours_describe_day (hours, G_DATE_MONDAY);
  g_assert_cmpstr (monday, ==, "09:00 to 12:00 and 13:00 to 17:00");
  g_assert_null (tb_business_hours_describe_day (hours, G_DATE_FRIDAY));
  g_assert_false (tb_business_hours_is_open_at (hours, lunch));
  g_assert_true (tb_business_hours_is_open_at (standard, lunch));

  /* Slots: 30 minutes from each opening, none over lunch. */
  g_array_append_val (taken, minute);
  free = tb_business_hours_free_slots (hours, &day, now, taken);
  g_assert_cmpuint (free->len, ==, 6 + 8 - 1);
  g_assert_cmpuint (g_array_index (free, guint, 4), ==, 11 * 60);
  g_assert_cmpuint (g_array_index (free, guint, 5), ==, 13 * 60);
  g_assert_cmpint (tb_business_hours_check (hours, &day, 12 * 60 + 30, now, taken), ==,
                   TB_SLOT_OUTSIDE_HOURS);
  g_assert_cmpint (tb_business_hours_check (hours, &day, 11 * 60 + 30, now, taken), ==,
                   TB_SLOT_TAKEN);
  g_assert_cmpint (tb_business_hours_check (hours, &day, 13 * 60 + 15, now, taken), ==,
                   TB_SLOT_NOT_A_SLOT);
  g_assert_cmpint (tb_business_hours_check (hours, &day, 7 * 60, lunch, taken), ==,
                   TB_SLOT_OUTSIDE_HOURS);
  g_assert_cmpint (tb_business_hours_check (hours, &day, 9 * 60, lunch, taken), ==,
                   TB_SLOT_PAST);
  g_assert_cmpint (tb_business_hours_check (hours, &day, 16 * 60 + 30, lunch, taken), ==,
                   TB_SLOT_FREE);
  near = tb_business_hours_nearby (free, 11 * 60 + 30);
  g_assert_cmpuint (g_array_index (near, guint, 0), ==, 13 * 60);
  g_assert_cmpuint (g_array_index (near, guint, 1), ==, 13 * 60 + 30);
  refusal = tb_business_hours_refusal (hours, TB_SLOT_NOT_A_SLOT, &day, near);
  g_assert_cmpstr (refusal, ==, "Appointments start every 30 minutes from 09:00 and from 13:00.");
}

/* ---- the appointment book in PostgreSQL ---------------------------------- */

static void
test_book (gconstpointer data)
{
  Daemon *d = (Daemon *) data;
  g_autofree char *day = future_day (G_DATE_TUESDAY, 2);
  g_autofree char *ten_args = g_strdup_printf ("{\"day\":\"%s\",\"time\":\"10:00\","
                                               "\"name\":\"Ann Example\"}", day);
  g_autofree char *list_path = g_strdup_printf ("/api/v1/appointments?day=%s", day);
  g_autofree char *alternatives = NULL, *sql = NULL, *row = NULL, *expected_row = NULL;
  g_auto(Reply) booked = { 0 }, again = { 0 }, listed = { 0 };
  JsonObject *appointment;
  JsonArray *list;
  gint64 id;

  hook (d, "appointments/book", CALLER, ten_args, &booked);
  g_assert_true (ok (&booked));
  g_assert_true (g_str_has_prefix (member (&booked, "message"), "Booked for Tuesday "));
  g_assert_true (g_str_has_suffix (member (&booked, "message"), " at 10:00."));
  appointment = json_object_get_object_member (object (&booked), "appointment");
  id = json_object_get_int_member (appointment, "id");
  g_assert_cmpstr (json_object_get_string_member (appointment, "day"), ==, day);
  g_assert_cmpstr (json_object_get_string_member (appointment, "caller"), ==, CALLER);

  /* The row, as PostgreSQL has it. */
  sql = g_strdup_printf ("SELECT extract(epoch FROM starts_at)::bigint || '|' || "
                         "extract(epoch FROM ends_at - starts_at)::int || '|' || name || '|' || "
                         "phone || '|' || call_id || '|' || (cancelled_at IS NULL) "
                         "FROM appointments WHERE id = %" G_GINT64_FORMAT, id);
  row = psql (sql);
  expected_row = g_strdup_printf ("%" G_GINT64_FORMAT "|1800|Ann Example|" CALLER "|" CALL_ID
                                  "|true", local_epoch (day, "10:00"));
  g_assert_cmpstr (row, ==, expected_row);

  /* The same slot from another caller: refused, the next free ones offered. */
  hook (d, "appointments/book", OTHER, ten_args, &again);
  g_assert_false (ok (&again));
  g_assert_cmpstr (member (&again, "error"), ==, "That time is already taken.");
  alternatives = joined (object (&again), "alternatives");
  g_assert_cmpstr (alternatives, ==, "10:30,11:00");

  send_to (d, "GET", list_path, NULL, NULL, &listed);
  g_assert_cmpuint (listed.status, ==, 200);
  list = json_object_get_array_member (object (&listed), "appointments");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  appointment = json_array_get_object_element (list, 0);
  g_assert_cmpint (json_object_get_int_member (appointment, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (appointment, "time"), ==, "10:00");
  g_assert_cmpstr (json_object_get_string_member (appointment, "name"), ==, "Ann Example");
  g_assert_cmpstr (json_object_get_string_member (appointment, "call_id"), ==, CALL_ID);
}

typedef struct {
  guint pending;
  guint booked;
  guint taken;
} Race;

static void
on_raced (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Race *race = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = soup_session_send_and_read_finish (SOUP_SESSION (source), res,
                                                                &error);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), res);
  g_auto(Reply) reply = { 0 };

  g_assert_no_error (error);
  read_reply (msg, answer, &reply);
  if (ok (&reply))
    race->booked++;
  else if (g_str_equal (member (&reply, "error"), "That time is already taken."))
    race->taken++;
  race->pending--;
}

/* Several callers ask for one slot at the same time: exactly one gets it,
 * every other is told it is taken. */
static void
test_race (gconstpointer data)
{
  Daemon *d = (Daemon *) data;
  g_autofree char *day = future_day (G_DATE_WEDNESDAY, 3);
  static const char *const times[] = { "09:00", "13:30", "16:30" };
  const guint callers = 4;

  for (guint t = 0; t < G_N_ELEMENTS (times); t++) {
    g_autofree char *arguments = slot (day, times[t]);
    g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM appointments WHERE "
                                            "cancelled_at IS NULL AND starts_at = "
                                            "to_timestamp(%" G_GINT64_FORMAT ")",
                                            local_epoch (day, times[t]));
    g_autofree char *count = NULL;
    GPtrArray *messages = g_ptr_array_new_with_free_func (g_object_unref);
    Race race = { 0 };

    for (guint c = 0; c < callers; c++) {
      g_autofree char *caller = g_strdup_printf ("+1555020%u", c);
      g_autofree char *body = envelope (caller, arguments);
      SoupMessage *msg = message_new (d, "POST", "/webhooks/appointments/book", body, NULL);

      g_ptr_array_add (messages, msg);
      race.pending++;
      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_raced,
                                        &race);
    }
    while (race.pending > 0)
      g_main_context_iteration (NULL, TRUE);
    g_ptr_array_unref (messages);
    g_assert_cmpuint (race.booked, ==, 1);
    g_assert_cmpuint (race.taken, ==, callers - 1);
    count = psql (sql);
    g_assert_cmpstr (count, ==, "1");
  }
}

static void
test_cancel (gconstpointer data)
{
  Daemon *d = (Daemon *) data;
  g_autofree char *day = future_day (G_DATE_THURSDAY, 4);
  g_autofree char *eleven = slot (day, "11:00");
  g_autofree char *noon = slot (day, "12:00");
  g_autofree char *by_id = NULL, *sql = NULL, *cancelled = NULL, *unknown = NULL;
  g_auto(Reply) booked = { 0 }, not_yours = { 0 }, mine = { 0 }, rebooked = { 0 };
  g_auto(Reply) nothing = { 0 }, second = { 0 }, no_caller = { 0 }, gone = { 0 };
  g_auto(Reply) by_number = { 0 };
  gint64 id;

  hook (d, "appointments/book", CALLER, eleven, &booked);
  g_assert_true (ok (&booked));
  id = json_object_get_int_member (json_object_get_object_member (object (&booked),
                                                                  "appointment"), "id");

  /* Another caller cannot cancel it, by slot or by number. */
  hook (d, "appointments/cancel", OTHER, eleven, &not_yours);
  g_assert_false (ok (&not_yours));
  g_assert_true (tb_test_contains (member (&not_yours, "error"), "another number"));
  by_id = g_strdup_printf ("{\"id\":%" G_GINT64_FORMAT "}", id);
  hook (d, "appointments/cancel", OTHER, by_id, &by_number);
  g_assert_false (ok (&by_number));
  sql = g_strdup_printf ("SELECT cancelled_at IS NULL FROM appointments WHERE id = %"
                         G_GINT64_FORMAT, id);
  cancelled = psql (sql);
  g_assert_cmpstr (cancelled, ==, "t");

  /* The caller can; the reply says what was cancelled. */
  hook (d, "appointments/cancel", CALLER, eleven, &mine);
  g_assert_true (ok (&mine));
  g_assert_true (g_str_has_prefix (member (&mine, "message"),
                                   "Cancelled the appointment on Thursday "));
  g_assert_true (g_str_has_suffix (member (&mine, "message"), " at 11:00."));
  g_clear_pointer (&cancelled, g_free);
  cancelled = psql (sql);
  g_assert_cmpstr (cancelled, ==, "f");

  /* The slot is free again: someone else books it. */
  hook (d, "appointments/book", OTHER, eleven, &rebooked);
  g_assert_true (ok (&rebooked));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (
                     object (&rebooked), "appointment"), "id"), !=, id);

  /* Nothing at noon; the cancelled one is gone. */
  hook (d, "appointments/cancel", CALLER, noon, &nothing);
  g_assert_false (ok (&nothing));
  g_assert_true (tb_test_contains (member (&nothing, "error"), "There is no appointment on "));
  hook (d, "appointments/cancel", CALLER, by_id, &gone);
  g_assert_false (ok (&gone));
  unknown = g_strdup_printf ("There is no appointment number %" G_GINT64_FORMAT ".", id);
  g_assert_cmpstr (member (&gone, "error"), ==, unknown);

  /* Without a caller number (not from a call) any appointment can go. */
  hook (d, "appointments/book", CALLER, noon, &second);
  g_assert_true (ok (&second));
  hook (d, "appointments/cancel", "", noon, &no_caller);
  g_assert_true (ok (&no_caller));
}

static void
test_check (gconstpointer data)
{
  Daemon *d = (Daemon *) data;
  g_autofree char *friday = future_day (G_DATE_FRIDAY, 5);
  g_autofree char *sunday = future_day (G_DATE_SUNDAY, 5);
  g_autofree char *friday_args = g_strdup_printf ("{\"day\":\"%s\"}", friday);
  g_autofree char *sunday_args = g_strdup_printf ("{\"day\":\"%s\"}", sunday);
  g_autofree char *half_past_nine = slot (friday, "09:30");
  g_autofree char *free_slots = NULL;
  g_auto(Reply) booked = { 0 }, open = { 0 }, closed = { 0 }, past = { 0 };

  hook (d, "appointments/book", CALLER, half_past_nine, &booked);
  g_assert_true (ok (&booked));
  hook (d, "appointments/check", CALLER, friday_args, &open);
  g_assert_true (ok (&open));
  g_assert_true (json_object_get_boolean_member (object (&open), "open"));
  g_assert_cmpstr (member (&open, "day"), ==, friday);
  g_assert_true (g_str_has_prefix (member (&open, "date"), "Friday "));
  free_slots = joined (object (&open), "free");
  g_assert_true (g_str_has_prefix (free_slots, "09:00,10:00,10:30,"));
  g_assert_true (g_str_has_suffix (free_slots, ",16:00,16:30"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object (&open), "free")),
                    ==, 15);

  hook (d, "appointments/check", CALLER, sunday_args, &closed);
  g_assert_true (ok (&closed));
  g_assert_false (json_object_get_boolean_member (object (&closed), "open"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object (&closed),
                                                                         "free")), ==, 0);

  /* A day long gone has nothing free. */
  hook (d, "appointments/check", CALLER, "{\"day\":\"2001-01-05\"}", &past);
  g_assert_true (json_object_get_boolean_member (object (&past), "open"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object (&past),
                                                                         "free")), ==, 0);
}

/* Whether the standard hours (Monday to Friday, 09:00-17:00) are open at
 * @now, computed here; FALSE in @certain within a minute of a change. */
static gboolean
expected_open_now (gboolean *certain)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  gint weekday = g_date_time_get_day_of_week (now);
  gint minute = g_date_time_get_hour (now) * 60 + g_date_time_get_minute (now);

  *certain = ABS (minute - 9 * 60) > 1 && ABS (minute - 17 * 60) > 1 && minute > 1 &&
             minute < 24 * 60 - 1;
  return weekday <= 5 && minute >= 9 * 60 && minute < 17 * 60;
}

static void
test_business_hours (gconstpointer data)
{
  Daemon *d = (Daemon *) data;
  g_autofree char *monday = future_day (G_DATE_MONDAY, 6);
  g_autofree char *saturday = future_day (G_DATE_SATURDAY, 6);
  g_autofree char *monday_args = g_strdup_printf ("{\"day\":\"%s\"}", monday);
  g_autofree char *saturday_args = g_strdup_printf ("{\"day\":\"%s\"}", saturday);
  g_autofree char *saturday_noon = slot (saturday, "12:30");
  g_autofree char *saturday_one = slot (saturday, "13:00");
  g_auto(Reply) open = { 0 }, closed = { 0 }, week = { 0 }, by_name = { 0 }, bad = { 0 };
  g_auto(Reply) refused = { 0 }, opened = { 0 }, late = { 0 }, booked = { 0 };
  gboolean certain, open_now = expected_open_now (&certain);
  JsonArray *hours, *days;
  JsonObject *sat;

  hook (d, "business-hours", CALLER, monday_args, &open);
  g_assert_true (ok (&open));
  g_assert_true (json_object_get_boolean_member (object (&open), "open"));
  g_assert_cmpstr (member (&open, "weekday"), ==, "Monday");
  hours = json_object_get_array_member (object (&open), "hours");
  g_assert_cmpuint (json_array_get_length (hours), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (hours, 0),
                                                  "opens"), ==, "09:00");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (hours, 0),
                                                  "closes"), ==, "17:00");
  g_assert_true (tb_test_contains (member (&open, "message"), "we are open 09:00 to 17:00."));
  if (certain)
    g_assert_cmpint (json_object_get_boolean_member (object (&open), "open_now"), ==, open_now);

  hook (d, "business-hours", CALLER, saturday_args, &closed);
  g_assert_true (ok (&closed));
  g_assert_false (json_object_get_boolean_member (object (&closed), "open"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object (&closed),
                                                                         "hours")), ==, 0);
  g_assert_true (g_str_has_prefix (member (&closed, "message"), "We are closed on Saturday "));
  g_assert_true (tb_test_contains (member (&closed, "message"),
                                   "our opening hours are Monday to Friday, 09:00 to 17:00."));

  hook (d, "business-hours", CALLER, "{}", &week);
  g_assert_true (ok (&week));
  days = json_object_get_array_member (object (&week), "week");
  g_assert_cmpuint (json_array_get_length (days), ==, 7);
  sat = json_array_get_object_element (days, 5);
  g_assert_cmpstr (json_object_get_string_member (sat, "weekday"), ==, "Saturday");
  g_assert_false (json_object_get_boolean_member (sat, "open"));
  g_assert_true (g_str_has_prefix (member (&week, "message"),
                                   "We are open Monday to Friday, 09:00 to 17:00, and closed "
                                   "on Saturday and Sunday. We are "));
  if (certain)
    g_assert_cmpint (json_object_get_boolean_member (object (&week), "open_now"), ==, open_now);

  hook (d, "business-hours", CALLER, "{\"day\":\"sunday\"}", &by_name);
  g_assert_false (json_object_get_boolean_member (object (&by_name), "open"));
  g_assert_false (json_object_has_member (object (&by_name), "date"));
  hook (d, "business-hours", CALLER, "{\"day\":\"someday\"}", &bad);
  g_assert_cmpuint (bad.status, ==, 400);

  /* The slots follow the table: open on Saturdays, 10:00 to 13:00. */
  hook (d, "appointments/book", CALLER, saturday_noon, &refused);
  g_assert_false (ok (&refused));
  g_assert_true (g_str_has_prefix (member (&refused, "error"), "We are closed on Saturday"));
  g_free (psql ("INSERT INTO business_hours (weekday, opens, closes) "
                "VALUES (6, '10:00', '13:00')"));
  hook (d, "business-hours", CALLER, saturday_args, &opened);
  g_assert_true (json_object_get_boolean_member (object (&opened), "open"));
  hook (d, "appointments/book", CALLER, saturday_one, &late);
  g_assert_false (ok (&late));
  g_assert_true (tb_test_contains (member (&late, "error"),
                                   "the last appointment starts at 12:30"));
  hook (d, "appointments/book", CALLER, saturday_noon, &booked);
  g_assert_true (ok (&booked));
  g_free (psql ("DELETE FROM business_hours WHERE weekday = 6"));
}

/* ---- callback requests --------------------------------------------------- */

static void
test_callback (gconstpointer data)
{
  Daemon *d = (Daemon *) data;
  g_auto(Reply) given = { 0 }, own = { 0 }, listed = { 0 }, limited = { 0 }, nobody = { 0 };
  g_autofree char *sql = NULL, *row = NULL;
  JsonArray *list;
  JsonObject *first;
  gint64 id, own_id;

  hook (d, "callback", CALLER, "{\"phone\":\"+15550142\",\"name\":\"Ann Example\","
        "\"reason\":\"a refund\",\"when\":\"tomorrow morning\"}", &given);
  g_assert_true (ok (&given));
  id = json_object_get_int_member (object (&given), "id");
  g_assert_cmpint (id, >, 0);
  g_assert_cmpstr (member (&given, "message"), ==,
                   "We will call you back at +15550142, tomorrow morning.");
  sql = g_strdup_printf ("SELECT phone || '|' || name || '|' || reason || '|' || requested_time "
                         "|| '|' || call_id || '|' || (done_at IS NULL) || '|' || "
                         "(created_at > now() - interval '1 hour') "
                         "FROM callback_requests WHERE id = %" G_GINT64_FORMAT, id);
  row = psql (sql);
  g_assert_cmpstr (row, ==, "+15550142|Ann Example|a refund|tomorrow morning|" CALL_ID
                   "|true|true");

  /* No number given: the caller's. */
  hook (d, "callback", OTHER, "{\"reason\":\"my order\"}", &own);
  g_assert_true (ok (&own));
  own_id = json_object_get_int_member (object (&own), "id");
  g_assert_cmpstr (member (&own, "message"), ==, "We will call you back at " OTHER ".");

  /* Neither: nobody to call. */
  hook (d, "callback", "", "{\"name\":\"Ann\"}", &nobody);
  g_assert_cmpuint (nobody.status, ==, 400);
  g_assert_true (json_object_has_member (json_object_get_object_member (object (&nobody),
                                                                        "fields"), "phone"));

  /* Newest first. */
  send_to (d, "GET", "/api/v1/callbacks", NULL, NULL, &listed);
  g_assert_cmpuint (listed.status, ==, 200);
  list = json_object_get_array_member (object (&listed), "callbacks");
  g_assert_cmpuint (json_array_get_length (list), >=, 2);
  first = json_array_get_object_element (list, 0);
  g_assert_cmpint (json_object_get_int_member (first, "id"), ==, own_id);
  g_assert_cmpstr (json_object_get_string_member (first, "phone"), ==, OTHER);
  g_assert_true (json_object_get_null_member (first, "name"));
  g_assert_cmpstr (json_object_get_string_member (first, "reason"), ==, "my order");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (first, "created_at"), "20"));
  first = json_array_get_object_element (list, 1);
  g_assert_cmpint (json_object_get_int_member (first, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (first, "when"), ==, "tomorrow morning");
  g_assert_cmpstr (json_object_get_string_member (first, "call_id"), ==, CALL_ID);

  send_to (d, "GET", "/api/v1/callbacks?limit=1", NULL, NULL, &limited);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object (&limited),
                                                                         "callbacks")), ==, 1);
}

/* SQL in every string goes in, and comes out, as it was typed. */
static void
test_injection (gconstpointer data)
{
  Daemon *d = (Daemon *) data;
  g_autofree char *day = future_day (G_DATE_MONDAY, 7);
  g_autofree char *book_args = g_strdup_printf ("{\"day\":\"%s\",\"time\":\"14:00\","
                                                "\"name\":\"" INJECTION "\"}", day);
  g_autofree char *callback_args = g_strdup (
    "{\"phone\":\"" INJECTION_PHONE "\",\"name\":\"" INJECTION "\",\"reason\":\""
    INJECTION_REASON "\",\"when\":\"now'); --\"}");
  g_autofree char *sql = NULL, *name = NULL, *row = NULL, *tables = NULL;
  g_auto(Reply) booked = { 0 }, taken = { 0 }, called = { 0 }, listed = { 0 };
  JsonObject *first;
  gint64 id;

  hook (d, "appointments/book", INJECTION_PHONE, book_args, &booked);
  g_assert_true (ok (&booked));
  id = json_object_get_int_member (json_object_get_object_member (object (&booked),
                                                                  "appointment"), "id");
  sql = g_strdup_printf ("SELECT name || '|' || phone FROM appointments WHERE id = %"
                         G_GINT64_FORMAT, id);
  name = psql (sql);
  g_assert_cmpstr (name, ==, INJECTION "|" INJECTION_PHONE);
  /* The caller whose number is SQL still has the slot. */
  hook (d, "appointments/book", CALLER, book_args, &taken);
  g_assert_false (ok (&taken));

  hook (d, "callback", CALLER, callback_args, &called);
  g_assert_true (ok (&called));
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("SELECT phone || '|' || name || '|' || reason || '|' || requested_time "
                         "FROM callback_requests WHERE id = %" G_GINT64_FORMAT,
                         json_object_get_int_member (object (&called), "id"));
  row = psql (sql);
  g_assert_cmpstr (row, ==, INJECTION_PHONE "|" INJECTION "|" INJECTION_REASON "|now'); --");

  send_to (d, "GET", "/api/v1/callbacks?limit=1", NULL, NULL, &listed);
  first = json_array_get_object_element (json_object_get_array_member (object (&listed),
                                                                       "callbacks"), 0);
  g_assert_cmpstr (json_object_get_string_member (first, "reason"), ==, INJECTION_REASON);

  tables = psql ("SELECT count(*) FROM information_schema.tables WHERE table_name IN "
                 "('appointments', 'callback_requests', 'calls')");
  g_assert_cmpstr (tables, ==, "3");
}

static void
expect_invalid (Daemon *d, const char *path, const char *caller, const char *arguments,
                const char *field, const char *error)
{
  g_auto(Reply) reply = { 0 };
  JsonObject *fields;

  hook (d, path, caller, arguments, &reply);
  g_assert_cmpuint (reply.status, ==, 400);
  g_assert_true (tb_test_contains (member (&reply, "error"), error));
  if (field) {
    fields = json_object_get_object_member (object (&reply), "fields");
    g_assert_nonnull (fields);
    g_assert_true (json_object_has_member (fields, field));
  }
}

static void
test_malformed (gconstpointer data)
{
  Daemon *d = (Daemon *) data;
  g_autofree char *day = future_day (G_DATE_TUESDAY, 8);
  g_autofree char *both = g_strdup_printf ("{\"id\":3,\"day\":\"%s\",\"time\":\"10:00\"}", day);
  g_autofree char *long_name = g_strnfill (201, 'x');
  g_autofree char *too_long = g_strdup_printf ("{\"day\":\"%s\",\"time\":\"10:00\","
                                               "\"name\":\"%s\"}", day, long_name);
  g_auto(Reply) limit = { 0 }, day_query = { 0 }, all = { 0 };
  static const char *const paths[] = {
    "/webhooks/appointments/check", "/webhooks/appointments/book",
    "/webhooks/appointments/cancel", "/webhooks/appointments/list",
    "/webhooks/business-hours", "/webhooks/callback",
  };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++) {
    g_auto(Reply) broken = { 0 }, not_object = { 0 }, bad_arguments = { 0 };

    send_to (d, "POST", paths[i], "{\"arguments\": {\"day\": ", NULL, &broken);
    g_assert_cmpuint (broken.status, ==, 400);
    g_assert_true (tb_test_contains (member (&broken, "error"), "invalid JSON"));
    send_to (d, "POST", paths[i], "[\"day\"]", NULL, &not_object);
    g_assert_cmpuint (not_object.status, ==, 400);
    send_to (d, "POST", paths[i], "{\"arguments\": 7}", NULL, &bad_arguments);
    g_assert_cmpuint (bad_arguments.status, ==, 400);
  }

  expect_invalid (d, "appointments/book", CALLER, "{}", "day", "arguments.day is missing");
  expect_invalid (d, "appointments/book", CALLER, "{\"day\":\"2030-02-30\",\"time\":\"10:00\"}",
                  "day", "arguments.day: '2030-02-30' is not a date as YYYY-MM-DD");
  expect_invalid (d, "appointments/book", CALLER, "{\"day\":7,\"time\":[1]}", "time",
                  "a date as YYYY-MM-DD; arguments.time must be a string");
  expect_invalid (d, "appointments/book", CALLER, too_long, "name", "at most 200 characters");
  expect_invalid (d, "appointments/check", CALLER, "{\"day\":null}", "day", "is missing");
  expect_invalid (d, "appointments/cancel", CALLER, "{}", "day", "arguments.day is missing");
  expect_invalid (d, "appointments/cancel", CALLER, "{\"id\":\"seven\"}", "id",
                  "must be an appointment number");
  expect_invalid (d, "appointments/cancel", CALLER, "{\"id\":-2}", "id",
                  "must be an appointment number");
  expect_invalid (d, "appointments/cancel", CALLER, both, "id", "one or the other");
  expect_invalid (d, "callback", CALLER, "{\"name\":42}", "name", "arguments.name must be a "
                  "string");
  expect_invalid (d, "callback", CALLER, "{\"phone\":\"\"}", "phone", "is empty");
  expect_invalid (d, "business-hours", CALLER, "{\"day\":true}", "day", "must be a string");

  send_to (d, "GET", "/api/v1/callbacks?limit=0", NULL, NULL, &limit);
  g_assert_cmpuint (limit.status, ==, 400);
  g_assert_true (json_object_has_member (json_object_get_object_member (object (&limit),
                                                                        "fields"), "limit"));
  send_to (d, "GET", "/api/v1/appointments?day=tomorrow", NULL, NULL, &day_query);
  g_assert_cmpuint (day_query.status, ==, 400);

  /* None of it booked anything on that day. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/appointments?day=%s", day);

    send_to (d, "GET", path, NULL, NULL, &all);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object (&all),
                                                                           "appointments")),
                      ==, 0);
  }
}

/* ---- a daemon of its own ------------------------------------------------- */

static void
test_signed (void)
{
  Daemon d = { 0 };
  g_autofree char *day = future_day (G_DATE_WEDNESDAY, 9);
  g_autofree char *arguments = slot (day, "15:00");
  g_autofree char *body = envelope (CALLER, arguments);
  g_autofree char *callback = envelope (CALLER, "{\"reason\":\"signed\"}");
  g_auto(Reply) unsigned_ = { 0 }, wrong = { 0 }, signed_ = { 0 }, signed_callback = { 0 };
  g_auto(Reply) unsigned_hours = { 0 }, api = { 0 };
  g_autofree char *sql = NULL, *reason = NULL;

  daemon_start (&d, TRUE, "webhook-secret-env=TB_TEST_HOOKS_SECRET\n");
  send_to (&d, "POST", "/webhooks/appointments/book", body, NULL, &unsigned_);
  g_assert_cmpuint (unsigned_.status, ==, 401);
  send_to (&d, "POST", "/webhooks/appointments/book", body, "not the secret", &wrong);
  g_assert_cmpuint (wrong.status, ==, 401);
  send_to (&d, "POST", "/webhooks/business-hours", callback, NULL, &unsigned_hours);
  g_assert_cmpuint (unsigned_hours.status, ==, 401);
  send_to (&d, "POST", "/webhooks/appointments/book", body, SECRET, &signed_);
  g_assert_true (ok (&signed_));
  send_to (&d, "POST", "/webhooks/callback", callback, SECRET, &signed_callback);
  g_assert_true (ok (&signed_callback));
  sql = g_strdup_printf ("SELECT reason FROM callback_requests WHERE id = %" G_GINT64_FORMAT,
                         json_object_get_int_member (object (&signed_callback), "id"));
  reason = psql (sql);
  g_assert_cmpstr (reason, ==, "signed");
  /* The API is not signed. */
  send_to (&d, "GET", "/api/v1/callbacks", NULL, NULL, &api);
  g_assert_cmpuint (api.status, ==, 200);
  daemon_stop (&d, g_test_failed ());
}

/* PostgreSQL stopped: the webhooks say so (503) at once; when it is back
 * they work again. */
static void
test_outage (void)
{
  Daemon d = { 0 };
  g_autofree char *day = future_day (G_DATE_FRIDAY, 10);
  g_autofree char *arguments = slot (day, "10:00");
  g_auto(Reply) down = { 0 }, hours_down = { 0 }, list_down = { 0 };
  gint64 start;
  gboolean booked = FALSE;

  daemon_start (&d, TRUE, "");
  tb_test_pg_stop (pg);
  hook (&d, "appointments/book", CALLER, arguments, &down);
  g_assert_cmpuint (down.status, ==, 503);
  g_assert_true (tb_test_contains (member (&down, "error"), "the database is not available"));
  hook (&d, "business-hours", CALLER, "{}", &hours_down);
  g_assert_cmpuint (hours_down.status, ==, 503);
  send_to (&d, "GET", "/api/v1/callbacks", NULL, NULL, &list_down);
  g_assert_cmpuint (list_down.status, ==, 503);

  tb_test_pg_start (pg);
  start = g_get_monotonic_time ();
  while (!booked && g_get_monotonic_time () - start < 60 * G_USEC_PER_SEC) {
    g_auto(Reply) reply = { 0 };

    hook (&d, "appointments/book", CALLER, arguments, &reply);
    if (reply.status == 200) {
      g_assert_true (ok (&reply));
      booked = TRUE;
    } else {
      g_assert_cmpuint (reply.status, ==, 503);
      g_usleep (200 * 1000);
    }
  }
  g_assert_true (booked);
  g_test_message ("the webhooks answered again %.1f s after PostgreSQL was started",
                  (g_get_monotonic_time () - start) / 1e6);
  daemon_stop (&d, g_test_failed ());
}

/* Without a database the same webhooks keep their data in memory. */
static void
test_memory (void)
{
  Daemon d = { 0 };
  g_autofree char *day = future_day (G_DATE_TUESDAY, 2);
  g_autofree char *ten = slot (day, "10:00");
  g_autofree char *day_args = g_strdup_printf ("{\"day\":\"%s\"}", day);
  g_auto(Reply) booked = { 0 }, twice = { 0 }, not_yours = { 0 }, cancelled = { 0 };
  g_auto(Reply) rebooked = { 0 }, check = { 0 }, hours = { 0 }, callback = { 0 };
  g_auto(Reply) callbacks = { 0 }, all = { 0 };
  g_autofree char *free_slots = NULL;

  daemon_start (&d, FALSE, "");
  hook (&d, "appointments/book", CALLER, ten, &booked);
  g_assert_true (ok (&booked));
  hook (&d, "appointments/book", OTHER, ten, &twice);
  g_assert_cmpstr (member (&twice, "error"), ==, "That time is already taken.");
  hook (&d, "appointments/cancel", OTHER, ten, &not_yours);
  g_assert_false (ok (&not_yours));
  hook (&d, "appointments/check", CALLER, day_args, &check);
  free_slots = joined (object (&check), "free");
  g_assert_true (g_str_has_prefix (free_slots, "09:00,09:30,10:30,"));
  hook (&d, "appointments/cancel", CALLER, ten, &cancelled);
  g_assert_true (ok (&cancelled));
  hook (&d, "appointments/book", OTHER, ten, &rebooked);
  g_assert_true (ok (&rebooked));
  send_to (&d, "GET", "/api/v1/appointments", NULL, NULL, &all);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object (&all),
                                                                         "appointments")), ==, 1);

  hook (&d, "business-hours", CALLER, "{\"day\":\"Saturday\"}", &hours);
  g_assert_false (json_object_get_boolean_member (object (&hours), "open"));
  hook (&d, "callback", CALLER, "{\"reason\":\"in memory\"}", &callback);
  g_assert_true (ok (&callback));
  send_to (&d, "GET", "/api/v1/callbacks", NULL, NULL, &callbacks);
  g_assert_cmpstr (json_object_get_string_member (
                     json_array_get_object_element (json_object_get_array_member (
                       object (&callbacks), "callbacks"), 0), "reason"), ==, "in memory");
  daemon_stop (&d, g_test_failed ());
}

int
main (int argc, char **argv)
{
  g_autoptr(GProxyResolver) direct = NULL;
  Daemon shared = { 0 };
  int status;

  g_setenv ("TB_TEST_HOOKS_SECRET", SECRET, TRUE);
  /* The daemon finds the migrations in build/data/schemas. */
  g_setenv ("TALKINGBITS_DATA_PATH", TB_BUILD_ROOT "/data", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/webhooks/hours-words", test_hours_words);
  g_test_add_data_func ("/webhooks/pg/book", &shared, test_book);
  g_test_add_data_func ("/webhooks/pg/race", &shared, test_race);
  g_test_add_data_func ("/webhooks/pg/cancel", &shared, test_cancel);
  g_test_add_data_func ("/webhooks/pg/check", &shared, test_check);
  g_test_add_data_func ("/webhooks/pg/business-hours", &shared, test_business_hours);
  g_test_add_data_func ("/webhooks/pg/callback", &shared, test_callback);
  g_test_add_data_func ("/webhooks/pg/injection", &shared, test_injection);
  g_test_add_data_func ("/webhooks/pg/malformed", &shared, test_malformed);
  g_test_add_func ("/webhooks/pg/signed", test_signed);
  g_test_add_func ("/webhooks/pg/outage", test_outage);
  g_test_add_func ("/webhooks/memory", test_memory);

  /* Straight to loopback, whatever proxy the environment names. */
  direct = g_simple_proxy_resolver_new (NULL, NULL);
  session = soup_session_new_with_options ("timeout", 30, "proxy-resolver", direct,
                                           "max-conns-per-host", 16, NULL);
  pg = tb_test_pg_new ();
  daemon_start (&shared, TRUE, "");
  status = g_test_run ();
  daemon_stop (&shared, status != 0);
  tb_test_pg_free (pg);
  g_object_unref (session);
  return status;
}
