/* appointments.c — the demo appointment book's webhooks and list over
 * HTTP: arguments checked, replies the language model can speak from. */
#define G_LOG_DOMAIN "tb-appointments"

#include "appointments.h"

#include "appointment-book.h"
#include "http-json.h"
#include "webhook-envelope.h"

#include <string.h>

struct _TbAppointments {
  TbAppointmentBook *book;
  char *secret;            /* NULL: webhooks are not signed; main thread only */
};

static const char *const weekdays[] = {
  NULL, "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"
};
static const char *const months[] = {
  NULL, "January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"
};

/* ---- values in and out ------------------------------------------------- */

static char *
format_day (const GDate *day)
{
  return g_strdup_printf ("%04u-%02u-%02u", g_date_get_year (day), g_date_get_month (day),
                          g_date_get_day (day));
}

/* "Tuesday 25 November", in English whatever the locale: the model is
 * told in English. */
static char *
spoken_day (const GDate *day)
{
  return g_strdup_printf ("%s %u %s", weekdays[g_date_get_weekday (day)], g_date_get_day (day),
                          months[g_date_get_month (day)]);
}

static char *
format_time (guint minute)
{
  return g_strdup_printf ("%02u:%02u", minute / 60, minute % 60);
}

static gboolean
all_digits (const char *s, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

/* "YYYY-MM-DD", a real date, into the GDate @out. */
static gboolean
parse_day (const char *text, gpointer out)
{
  GDate *day = out;
  guint y, m, d;

  if (strlen (text) != 10 || !all_digits (text, 4) || text[4] != '-' ||
      !all_digits (text + 5, 2) || text[7] != '-' || !all_digits (text + 8, 2))
    return FALSE;
  y = (guint) g_ascii_strtoull (text, NULL, 10);
  m = (guint) g_ascii_strtoull (text + 5, NULL, 10);
  d = (guint) g_ascii_strtoull (text + 8, NULL, 10);
  if (!g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
    return FALSE;
  g_date_clear (day, 1);
  g_date_set_dmy (day, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
  return TRUE;
}

/* "HH:MM" (or "H:MM"), 00:00 to 23:59, into the guint @out as minutes
 * after midnight. */
static gboolean
parse_time (const char *text, gpointer out)
{
  const char *colon = strchr (text, ':');
  gsize hour_digits = colon ? (gsize) (colon - text) : 0;
  guint h, m;

  if (hour_digits < 1 || hour_digits > 2 || !all_digits (text, hour_digits) ||
      strlen (colon + 1) != 2 || !all_digits (colon + 1, 2))
    return FALSE;
  h = (guint) g_ascii_strtoull (text, NULL, 10);
  m = (guint) g_ascii_strtoull (colon + 1, NULL, 10);
  if (h > 23 || m > 59)
    return FALSE;
  *(guint *) out = h * 60 + m;
  return TRUE;
}

typedef gboolean (*Parser) (const char *text, gpointer out);

static const char expected_day[] = "a date as YYYY-MM-DD";
static const char expected_time[] = "a time of day as HH:MM (24-hour clock)";

/* The string argument @name in *@value (NULL when absent); FALSE after
 * replying 400 when it is @required and missing, or not a string. */
static gboolean
string_argument (SoupServerMessage *msg, JsonObject *arguments, const char *name,
                 gboolean required, const char *expected, const char **value)
{
  JsonNode *node = json_object_get_member (arguments, name);

  *value = NULL;
  if (!node || JSON_NODE_HOLDS_NULL (node)) {
    if (!required)
      return TRUE;
    tb_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "arguments.%s is missing: %s is expected",
                         name, expected);
    return FALSE;
  }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING) {
    tb_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "arguments.%s must be a string: %s",
                         name, expected);
    return FALSE;
  }
  *value = json_node_get_string (node);
  return TRUE;
}

/* The required argument @name, as @parse reads it into @out; FALSE after
 * replying 400 when it is missing or not @expected. */
static gboolean
parsed_argument (SoupServerMessage *msg, JsonObject *arguments, const char *name,
                 const char *expected, Parser parse, gpointer out)
{
  const char *text;

  if (!string_argument (msg, arguments, name, TRUE, expected, &text))
    return FALSE;
  if (!parse (text, out)) {
    tb_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "arguments.%s: '%s' is not %s", name,
                         text, expected);
    return FALSE;
  }
  return TRUE;
}

static void
add_string (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
add_times (JsonBuilder *builder, const char *name, GArray *minutes)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; minutes && i < minutes->len; i++) {
    g_autofree char *time = format_time (g_array_index (minutes, guint, i));

    json_builder_add_string_value (builder, time);
  }
  json_builder_end_array (builder);
}

typedef enum {
  SHOW_SLOT,               /* id, day, time        */
  SHOW_OWNER,              /* and caller, name     */
  SHOW_ALL,                /* and call_id          */
} Detail;

static void
add_appointment (JsonBuilder *builder, const TbAppointment *a, Detail detail)
{
  g_autofree char *day = format_day (&a->day);
  g_autofree char *time = format_time (a->minute);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, (gint64) a->id);
  add_string (builder, "day", day);
  add_string (builder, "time", time);
  if (detail >= SHOW_OWNER) {
    add_string (builder, "caller", a->caller);
    if (a->name)
      add_string (builder, "name", a->name);
  }
  if (detail >= SHOW_ALL)
    add_string (builder, "call_id", a->call_id);
}

/* ---- the routes -------------------------------------------------------- */

/* What the model tells the caller when @status refuses a booking on @day. */
static char *
refusal (TbBookingStatus status, const GDate *day, GArray *alternatives)
{
  g_autofree char *opens = format_time (TB_APPOINTMENT_OPENS);
  g_autofree char *closes = format_time (TB_APPOINTMENT_CLOSES);
  g_autofree char *last = format_time (TB_APPOINTMENT_CLOSES - TB_APPOINTMENT_SLOT);
  g_autofree char *spoken = spoken_day (day);

  switch (status) {
  case TB_BOOKING_TAKEN:
    if (alternatives->len == 0)
      return g_strdup_printf ("That time is already taken, and %s is fully booked.", spoken);
    return g_strdup ("That time is already taken.");
  case TB_BOOKING_CLOSED:
    return g_strdup_printf ("We are closed on %s; appointments are Monday to Friday, "
                            "%s to %s.", weekdays[g_date_get_weekday (day)], opens, closes);
  case TB_BOOKING_OUTSIDE_HOURS:
    return g_strdup_printf ("That is outside our opening hours, Monday to Friday, %s to %s; "
                            "the last appointment starts at %s.", opens, closes, last);
  case TB_BOOKING_NOT_A_SLOT:
    return g_strdup_printf ("Appointments start every %u minutes from %s.",
                            TB_APPOINTMENT_SLOT, opens);
  case TB_BOOKING_PAST:
    return g_strdup ("That time has already passed.");
  case TB_BOOKING_OK:
  default:
    return g_strdup ("");
  }
}

static void
on_book (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  TbAppointments *self = user_data;
  g_autoptr(TbWebhookEnvelope) request = tb_webhook_envelope_read (msg, self->secret);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(TbAppointment) booked = NULL;
  g_autoptr(GArray) alternatives = NULL;
  TbBookingStatus status;
  const char *name;
  GDate day;
  guint minute;

  if (!request ||
      !parsed_argument (msg, request->arguments, "day", expected_day, parse_day, &day) ||
      !parsed_argument (msg, request->arguments, "time", expected_time, parse_time, &minute) ||
      !string_argument (msg, request->arguments, "name", FALSE, "the caller's name", &name))
    return;

  status = tb_appointment_book_add (self->book, &day, minute, request->caller, name,
                                    request->call_id, &booked, &alternatives);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, status == TB_BOOKING_OK);
  if (status == TB_BOOKING_OK) {
    g_autofree char *spoken = spoken_day (&day);
    g_autofree char *time = format_time (minute);
    g_autofree char *message = g_strdup_printf ("Booked for %s at %s.", spoken, time);

    add_string (builder, "message", message);
    json_builder_set_member_name (builder, "appointment");
    add_appointment (builder, booked, SHOW_OWNER);
    json_builder_end_object (builder);
    g_message ("appointment %" G_GUINT64_FORMAT " booked for %s %s%s%s", booked->id, spoken,
               time, *request->call_id ? " in call " : "", request->call_id);
  } else {
    g_autofree char *error = refusal (status, &day, alternatives);

    add_string (builder, "error", error);
    add_times (builder, "alternatives", alternatives);
  }
  json_builder_end_object (builder);
  tb_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

static void
on_list (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  TbAppointments *self = user_data;
  g_autoptr(TbWebhookEnvelope) request = tb_webhook_envelope_read (msg, self->secret);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GArray) open_slots = NULL;
  g_autofree char *day_text = NULL;
  g_autofree char *spoken = NULL;
  GDate day;

  if (!request ||
      !parsed_argument (msg, request->arguments, "day", expected_day, parse_day, &day))
    return;
  list = tb_appointment_book_list (self->book, &day);
  open_slots = tb_appointment_book_free_slots (self->book, &day);
  day_text = format_day (&day);
  spoken = spoken_day (&day);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, TRUE);
  add_string (builder, "day", day_text);
  add_string (builder, "date", spoken);
  json_builder_set_member_name (builder, "open");
  json_builder_add_boolean_value (builder, tb_appointment_day_is_open (&day));
  add_times (builder, "free", open_slots);
  json_builder_set_member_name (builder, "appointments");
  json_builder_begin_array (builder);
  for (guint i = 0; i < list->len; i++) {
    const TbAppointment *a = g_ptr_array_index (list, i);
    gboolean yours = *request->caller && g_str_equal (a->caller, request->caller);

    add_appointment (builder, a, yours ? SHOW_OWNER : SHOW_SLOT);
    json_builder_set_member_name (builder, "yours");
    json_builder_add_boolean_value (builder, yours);
    json_builder_end_object (builder);
  }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  tb_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

static void
on_get_all (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  TbAppointments *self = user_data;
  const char *day_text = query ? g_hash_table_lookup (query, "day") : NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) list = NULL;
  GDate day;

  if (!g_str_equal (path, "/api/v1/appointments")) {
    tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such path: %s", path);
    return;
  }
  if (day_text && !parse_day (day_text, &day)) {
    tb_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "day: '%s' is not %s", day_text,
                         expected_day);
    return;
  }
  list = tb_appointment_book_list (self->book, day_text ? &day : NULL);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "appointments");
  json_builder_begin_array (builder);
  for (guint i = 0; i < list->len; i++) {
    add_appointment (builder, g_ptr_array_index (list, i), SHOW_ALL);
    json_builder_end_object (builder);
  }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  tb_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

TbAppointments *
tb_appointments_new (TbHttpServer *server, const char *secret)
{
  TbAppointments *self = g_new0 (TbAppointments, 1);

  self->book = tb_appointment_book_new ();
  self->secret = g_strdup (secret);
  tb_http_server_add_route (server, SOUP_METHOD_POST, "/webhooks/appointments/book", on_book,
                            self);
  tb_http_server_add_route (server, SOUP_METHOD_POST, "/webhooks/appointments/list", on_list,
                            self);
  tb_http_server_add_route (server, SOUP_METHOD_GET, "/api/v1/appointments", on_get_all, self);
  return self;
}

void
tb_appointments_set_secret (TbAppointments *self, const char *secret)
{
  g_free (self->secret);
  self->secret = g_strdup (secret);
}

void
tb_appointments_free (TbAppointments *self)
{
  if (!self)
    return;
  tb_appointment_book_free (self->book);
  g_free (self->secret);
  g_free (self);
}
