/* webhook-appointments.c — the appointment book's webhooks and its list
 * in the Web API: arguments checked, the book asked (webhook-store.h),
 * replies the language model can speak from.
 *
 *   POST /webhooks/appointments/check {"day": "YYYY-MM-DD"}
 *        -> 200 {"ok": true, "day", "date": "Tuesday 25 November", "open",
 *           "free": ["09:00", ...]}
 *   POST /webhooks/appointments/book {"day", "time": "HH:MM", "name"?}
 *        -> 200 {"ok": true, "message": "Booked for Tuesday 25 November at
 *           10:00.", "appointment": {"id", "day", "time", "caller", "name"?}}
 *        -> 200 {"ok": false, "error": "That time is already taken.",
 *           "alternatives": ["10:30", "11:00"]} when the slot cannot be had
 *           (taken, closed, outside the opening hours, passed)
 *   POST /webhooks/appointments/cancel {"id"} or {"day", "time"}
 *        -> 200 {"ok": true, "message": "Cancelled the appointment on ...",
 *           "appointment": {...}}; {"ok": false, "error"} when there is no
 *           such appointment, or it was booked from another number than the
 *           caller's (when the request has a caller number)
 *   POST /webhooks/appointments/list {"day"}
 *        -> 200 {"ok": true, "day", "date", "open", "free", "appointments":
 *           [{"id", "day", "time", "yours"}]}: other callers' numbers and
 *           names are left out, the model speaks to whoever calls
 *   GET  /api/v1/appointments[?day=YYYY-MM-DD]
 *        -> 200 {"appointments": [{"id", "day", "time", "caller", "name"?,
 *           "call_id"?}]} (live ones, by day and time) */
#define G_LOG_DOMAIN "tb-webhooks"

#include "webhook-args.h"
#include "webhooks-private.h"

#include "http-json.h"

#define MAX_NAME 200

typedef enum {
  SHOW_SLOT,               /* id, day, time              */
  SHOW_OWNER,              /* and caller, name           */
  SHOW_ALL,                /* and call_id (when known)   */
} Detail;

/* Begins the appointment's object; the caller ends it. */
static void
add_appointment (JsonBuilder *builder, const TbAppointment *a, Detail detail)
{
  g_autofree char *day = tb_day_format (&a->day);
  g_autofree char *time = tb_minute_format (a->minute);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, (gint64) a->id);
  tb_webhooks_add_string (builder, "day", day);
  tb_webhooks_add_string (builder, "time", time);
  if (detail >= SHOW_OWNER) {
    tb_webhooks_add_string (builder, "caller", a->caller);
    if (a->name)
      tb_webhooks_add_string (builder, "name", a->name);
  }
  if (detail >= SHOW_ALL && *a->call_id)
    tb_webhooks_add_string (builder, "call_id", a->call_id);
}

/* The booked slots among @appointments (minutes). */
static GArray *
taken_slots (GPtrArray *appointments)
{
  GArray *taken = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < appointments->len; i++)
    g_array_append_val (taken, ((TbAppointment *) g_ptr_array_index (appointments, i))->minute);
  return taken;
}

static GArray *
free_slots (const TbWebhookResult *result, const GDate *day)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GArray) taken = taken_slots (result->appointments);

  return tb_business_hours_free_slots (result->hours, day, now, taken);
}

/* Reads the webhook's envelope, its arguments into @args; NULL after
 * replying 400 or 401. */
static TbWebhookEnvelope *
read_request (TbWebhooks *self, SoupServerMessage *msg, TbWebhookArgs *args)
{
  TbWebhookEnvelope *request = tb_webhooks_read (self, msg);

  if (request)
    tb_webhook_args_init (args, request->arguments);
  return request;
}

/* Replies {"ok": true, "message": "@done Tuesday 25 November at 10:00.",
 * "appointment"} about @a, and logs it. */
static void
reply_appointment (TbWebhookCall *call, const char *done, const TbAppointment *a)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *spoken = tb_day_spoken (&a->day);
  g_autofree char *time = tb_minute_format (a->minute);
  g_autofree char *message = g_strdup_printf ("%s %s at %s.", done, spoken, time);
  const char *call_id = call->envelope->call_id;

  json_builder_begin_object (builder);
  tb_webhooks_add_boolean (builder, "ok", TRUE);
  tb_webhooks_add_string (builder, "message", message);
  json_builder_set_member_name (builder, "appointment");
  add_appointment (builder, a, SHOW_OWNER);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  tb_http_reply_builder (call->msg, SOUP_STATUS_OK, builder);
  g_message ("appointment %" G_GUINT64_FORMAT "%s%s: %s", a->id, *call_id ? " in call " : "",
             call_id, message);
}

/* Replies {"ok": false, "error": @error} and, unless NULL, the
 * "alternatives" (minutes). */
static void
reply_refusal (TbWebhookCall *call, const char *error, GArray *alternatives)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  tb_webhooks_add_boolean (builder, "ok", FALSE);
  tb_webhooks_add_string (builder, "error", error);
  if (alternatives)
    tb_webhooks_add_times (builder, "alternatives", alternatives);
  json_builder_end_object (builder);
  tb_http_reply_builder (call->msg, SOUP_STATUS_OK, builder);
}

/* ---- check --------------------------------------------------------------- */

/* A builder with {"ok": true, "day", "date", "open", "free"} begun, for
 * the day @result shows; the caller ends it. */
static JsonBuilder *
day_reply (TbWebhookCall *call, const TbWebhookResult *result)
{
  JsonBuilder *builder = json_builder_new ();
  g_autoptr(GArray) open_slots = free_slots (result, &call->day);
  g_autofree char *day = tb_day_format (&call->day);
  g_autofree char *spoken = tb_day_spoken (&call->day);

  json_builder_begin_object (builder);
  tb_webhooks_add_boolean (builder, "ok", TRUE);
  tb_webhooks_add_string (builder, "day", day);
  tb_webhooks_add_string (builder, "date", spoken);
  tb_webhooks_add_boolean (builder, "open",
                           tb_business_hours_is_open_on (result->hours,
                                                         g_date_get_weekday (&call->day)));
  tb_webhooks_add_times (builder, "free", open_slots);
  return builder;
}

static void
on_check_day (TbWebhookStore *store, const TbWebhookResult *result, const GError *error,
              gpointer user_data)
{
  g_autoptr(TbWebhookCall) call = user_data;
  g_autoptr(JsonBuilder) builder = NULL;

  if (error) {
    tb_webhook_call_reply_error (call, error);
    return;
  }
  builder = day_reply (call, result);
  json_builder_end_object (builder);
  tb_http_reply_builder (call->msg, SOUP_STATUS_OK, builder);
}

/* A webhook that takes {"day"}: the day and its appointments to @done. */
static void
look_at_day (TbWebhooks *self, SoupServerMessage *msg, TbWebhookStoreFunc done)
{
  g_auto(TbWebhookArgs) args = { 0 };
  g_autoptr(TbWebhookEnvelope) request = read_request (self, msg, &args);
  TbWebhookCall *call;
  GDate day;

  if (!request)
    return;
  tb_webhook_args_day (&args, "day", TRUE, &day);
  if (tb_webhook_args_reply_invalid (&args, msg))
    return;
  call = tb_webhook_call_new (self, msg, g_steal_pointer (&request));
  call->day = day;
  tb_webhook_store_appointments (call->store, &call->day, done, call);
}

static void
on_check (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  look_at_day (user_data, msg, on_check_day);
}

/* ---- book ---------------------------------------------------------------- */

/* {"ok": false, "error", "alternatives"} for @status on the day @result
 * shows. */
static void
reply_refused (TbWebhookCall *call, const TbWebhookResult *result, TbSlotStatus status)
{
  g_autoptr(GArray) open_slots = free_slots (result, &call->day);
  g_autoptr(GArray) alternatives = tb_business_hours_nearby (open_slots, call->minute);
  g_autofree char *error = tb_business_hours_refusal (result->hours, status, &call->day,
                                                      alternatives);

  reply_refusal (call, error, alternatives);
}

/* The slot was taken between the look at the day and the booking: the
 * day again, for the alternatives. */
static void
on_taken_day (TbWebhookStore *store, const TbWebhookResult *result, const GError *error,
              gpointer user_data)
{
  g_autoptr(TbWebhookCall) call = user_data;

  if (error)
    tb_webhook_call_reply_error (call, error);
  else
    reply_refused (call, result, TB_SLOT_TAKEN);
}

static void
on_booked (TbWebhookStore *store, const TbWebhookResult *result, const GError *error,
           gpointer user_data)
{
  g_autoptr(TbWebhookCall) call = user_data;

  if (g_error_matches (error, TB_WEBHOOK_STORE_ERROR, TB_WEBHOOK_STORE_ERROR_TAKEN)) {
    TbWebhookCall *again = g_steal_pointer (&call);

    tb_webhook_store_appointments (store, &again->day, on_taken_day, again);
    return;
  }
  if (error) {
    tb_webhook_call_reply_error (call, error);
    return;
  }
  reply_appointment (call, "Booked for", g_ptr_array_index (result->appointments, 0));
}

static void
on_book_day (TbWebhookStore *store, const TbWebhookResult *result, const GError *error,
             gpointer user_data)
{
  g_autoptr(TbWebhookCall) call = user_data;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GArray) taken = NULL;
  TbAppointment wanted = { 0 };
  TbSlotStatus status;

  if (error) {
    tb_webhook_call_reply_error (call, error);
    return;
  }
  taken = taken_slots (result->appointments);
  status = tb_business_hours_check (result->hours, &call->day, call->minute, now, taken);
  if (status != TB_SLOT_FREE) {
    reply_refused (call, result, status);
    return;
  }
  wanted.day = call->day;
  wanted.minute = call->minute;
  wanted.caller = (char *) call->envelope->caller;
  wanted.name = call->name && *call->name ? (char *) call->name : NULL;
  wanted.call_id = (char *) call->envelope->call_id;
  tb_webhook_store_book (store, &wanted, on_booked, g_steal_pointer (&call));
}

static void
on_book (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  g_auto(TbWebhookArgs) args = { 0 };
  g_autoptr(TbWebhookEnvelope) request = read_request (user_data, msg, &args);
  TbWebhookCall *call;
  const char *name;
  GDate day;
  guint minute = 0;

  if (!request)
    return;
  tb_webhook_args_day (&args, "day", TRUE, &day);
  tb_webhook_args_time (&args, "time", TRUE, &minute);
  name = tb_webhook_args_string (&args, "name", FALSE, "the caller's name", MAX_NAME);
  if (tb_webhook_args_reply_invalid (&args, msg))
    return;
  call = tb_webhook_call_new (user_data, msg, g_steal_pointer (&request));
  call->day = day;
  call->minute = minute;
  call->name = name;
  tb_webhook_store_appointments (call->store, &call->day, on_book_day, call);
}

/* ---- cancel -------------------------------------------------------------- */

/* What the caller is told when there is no appointment to cancel. */
static char *
not_found (TbWebhookCall *call)
{
  g_autofree char *spoken = NULL, *time = NULL;

  if (call->id)
    return g_strdup_printf ("There is no appointment number %" G_GUINT64_FORMAT ".", call->id);
  spoken = tb_day_spoken (&call->day);
  time = tb_minute_format (call->minute);
  return g_strdup_printf ("There is no appointment on %s at %s.", spoken, time);
}

static void
on_cancelled (TbWebhookStore *store, const TbWebhookResult *result, const GError *error,
              gpointer user_data)
{
  g_autoptr(TbWebhookCall) call = user_data;

  if (g_error_matches (error, TB_WEBHOOK_STORE_ERROR, TB_WEBHOOK_STORE_ERROR_NOT_YOURS)) {
    reply_refusal (call, "That appointment was booked from another number; only that number "
                   "can cancel it.", NULL);
  } else if (g_error_matches (error, TB_WEBHOOK_STORE_ERROR, TB_WEBHOOK_STORE_ERROR_NOT_FOUND)) {
    g_autofree char *message = not_found (call);

    reply_refusal (call, message, NULL);
  } else if (error) {
    tb_webhook_call_reply_error (call, error);
  } else {
    reply_appointment (call, "Cancelled the appointment on",
                       g_ptr_array_index (result->appointments, 0));
  }
}

static void
on_cancel (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  g_auto(TbWebhookArgs) args = { 0 };
  g_autoptr(TbWebhookEnvelope) request = read_request (user_data, msg, &args);
  TbWebhookCall *call;
  gboolean by_slot;
  guint64 id = 0;
  guint minute = 0;
  GDate day;

  g_date_clear (&day, 1);
  if (!request)
    return;
  by_slot = tb_webhook_args_has (&args, "day") || tb_webhook_args_has (&args, "time");
  if (tb_webhook_args_has (&args, "id")) {
    tb_webhook_args_id (&args, "id", &id);
    if (by_slot)
      tb_webhook_args_fail (&args, "id", "is given with day and time: one or the other, "
                            "please");
  } else {
    tb_webhook_args_day (&args, "day", TRUE, &day);
    tb_webhook_args_time (&args, "time", TRUE, &minute);
  }
  if (tb_webhook_args_reply_invalid (&args, msg))
    return;
  call = tb_webhook_call_new (user_data, msg, g_steal_pointer (&request));
  call->id = id;
  if (!id) {
    call->day = day;
    call->minute = minute;
  }
  tb_webhook_store_cancel (call->store, call->id, &call->day, call->minute,
                           call->envelope->caller, on_cancelled, call);
}

/* ---- list ---------------------------------------------------------------- */

static void
on_list_day (TbWebhookStore *store, const TbWebhookResult *result, const GError *error,
             gpointer user_data)
{
  g_autoptr(TbWebhookCall) call = user_data;
  g_autoptr(JsonBuilder) builder = NULL;
  const char *caller = call->envelope->caller;

  if (error) {
    tb_webhook_call_reply_error (call, error);
    return;
  }
  builder = day_reply (call, result);
  json_builder_set_member_name (builder, "appointments");
  json_builder_begin_array (builder);
  for (guint i = 0; i < result->appointments->len; i++) {
    const TbAppointment *a = g_ptr_array_index (result->appointments, i);
    gboolean yours = *caller && g_str_equal (a->caller, caller);

    add_appointment (builder, a, yours ? SHOW_OWNER : SHOW_SLOT);
    tb_webhooks_add_boolean (builder, "yours", yours);
    json_builder_end_object (builder);
  }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  tb_http_reply_builder (call->msg, SOUP_STATUS_OK, builder);
}

static void
on_list (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  look_at_day (user_data, msg, on_list_day);
}

/* ---- the Web API --------------------------------------------------------- */

static void
add_full_appointment (JsonBuilder *builder, gconstpointer appointment)
{
  add_appointment (builder, appointment, SHOW_ALL);
  json_builder_end_object (builder);
}

static void
on_all (TbWebhookStore *store, const TbWebhookResult *result, const GError *error,
        gpointer user_data)
{
  g_autoptr(TbWebhookCall) call = user_data;

  if (error)
    tb_webhook_call_reply_error (call, error);
  else
    tb_webhook_call_reply_list (call, "appointments", result->appointments,
                                add_full_appointment);
}

static void
on_get_all (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  const char *day_text = query ? g_hash_table_lookup (query, "day") : NULL;
  TbWebhookCall *call;
  GDate day;

  if (!g_str_equal (path, "/api/v1/appointments")) {
    tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such path: %s", path);
    return;
  }
  if (day_text && !tb_day_parse (day_text, &day)) {
    g_autoptr(JsonObject) fields = json_object_new ();
    g_autofree char *why = g_strdup_printf ("'%s' is not a date as YYYY-MM-DD", day_text);

    json_object_set_string_member (fields, "day", why);
    tb_http_reply_invalid (msg, "invalid query", fields);
    return;
  }
  call = tb_webhook_call_new (user_data, msg, NULL);
  if (day_text)
    call->day = day;
  tb_webhook_store_appointments (call->store, g_date_valid (&call->day) ? &call->day : NULL,
                                 on_all, call);
}

void
tb_webhooks_appointments_register (TbWebhooks *self, TbHttpServer *server)
{
  tb_http_server_add_route (server, SOUP_METHOD_POST, "/webhooks/appointments/check", on_check,
                            self);
  tb_http_server_add_route (server, SOUP_METHOD_POST, "/webhooks/appointments/book", on_book,
                            self);
  tb_http_server_add_route (server, SOUP_METHOD_POST, "/webhooks/appointments/cancel",
                            on_cancel, self);
  tb_http_server_add_route (server, SOUP_METHOD_POST, "/webhooks/appointments/list", on_list,
                            self);
  tb_http_server_add_route (server, SOUP_METHOD_GET, "/api/v1/appointments", on_get_all, self);
}
