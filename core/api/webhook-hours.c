/* webhook-hours.c — the business-hours webhook: the opening hours of a
 * day or of the whole week, and whether the business is open right now.
 *
 *   POST /webhooks/business-hours {"day"?: "YYYY-MM-DD", a weekday name
 *        ("Saturday"), "today" or "tomorrow"}
 *        with a day -> 200 {"ok": true, "weekday": "Saturday", "day"?,
 *           "date"? (when a date was asked for), "open": false, "hours": [],
 *           "open_now": bool, "message": "We are closed on Saturday ..."}
 *        without   -> 200 {"ok": true, "week": [{"weekday", "open", "hours":
 *           [{"opens", "closes"}]}, ...Monday to Sunday], "open_now",
 *           "message": "We are open Monday to Friday, 09:00 to 17:00, and
 *           closed on Saturday and Sunday. We are open right now."} */
#define G_LOG_DOMAIN "tb-webhooks"

#include "webhook-args.h"
#include "webhooks-private.h"

#include "http-json.h"

static const char expected_day[] =
  "a date as YYYY-MM-DD, a weekday such as Monday, today or tomorrow";

/* @text as a day: TRUE with *@weekday and, for a date, today or
 * tomorrow, *@day (otherwise left invalid). */
static gboolean
parse_day_or_weekday (const char *text, GDate *day, GDateWeekday *weekday)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  g_date_clear (day, 1);
  if (tb_day_parse (text, day)) {
    *weekday = g_date_get_weekday (day);
    return TRUE;
  }
  if (g_ascii_strcasecmp (text, "today") == 0 || g_ascii_strcasecmp (text, "tomorrow") == 0) {
    tb_day_from_date_time (now, day, NULL);
    if (g_ascii_strcasecmp (text, "tomorrow") == 0)
      g_date_add_days (day, 1);
    *weekday = g_date_get_weekday (day);
    return TRUE;
  }
  for (GDateWeekday d = G_DATE_MONDAY; d <= G_DATE_SUNDAY; d++)
    if (g_ascii_strcasecmp (text, tb_weekday_name (d)) == 0) {
      *weekday = d;
      return TRUE;
    }
  return FALSE;
}

static char *
now_words (gboolean open_now)
{
  return g_strdup (open_now ? "We are open right now." : "We are closed right now.");
}

static void
add_day (JsonBuilder *builder, TbWebhookCall *call, const TbWebhookResult *result,
         GDateWeekday weekday, gboolean open_now)
{
  g_autofree char *hours = tb_business_hours_describe_day (result->hours, weekday);
  g_autofree char *when = g_date_valid (&call->day) ? tb_day_spoken (&call->day)
                                                    : g_strdup (tb_weekday_name (weekday));
  g_autofree char *now = now_words (open_now);
  g_autofree char *message = NULL;

  if (hours)
    message = g_strdup_printf ("On %s we are open %s. %s", when, hours, now);
  else {
    g_autofree char *week = tb_business_hours_describe_week (result->hours);

    message = g_strdup_printf ("We are closed on %s; our opening hours are %s. %s", when, week,
                               now);
  }
  tb_webhooks_add_string (builder, "weekday", tb_weekday_name (weekday));
  if (g_date_valid (&call->day)) {
    g_autofree char *day = tb_day_format (&call->day);

    tb_webhooks_add_string (builder, "day", day);
    tb_webhooks_add_string (builder, "date", when);
  }
  tb_webhooks_add_boolean (builder, "open", hours != NULL);
  tb_webhooks_add_hours (builder, "hours", result->hours, weekday);
  tb_webhooks_add_string (builder, "message", message);
}

/* "a", "a and b", "a, b and c". */
static char *
words_and (const char *const *words, guint n)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", words[i]);
  return g_string_free (text, FALSE);
}

static void
add_week (JsonBuilder *builder, const TbWebhookResult *result, gboolean open_now)
{
  g_autofree char *week = tb_business_hours_describe_week (result->hours);
  g_autofree char *now = now_words (open_now);
  g_autofree char *message = NULL;
  const char *closed[7];
  guint n_closed = 0;

  json_builder_set_member_name (builder, "week");
  json_builder_begin_array (builder);
  for (GDateWeekday d = G_DATE_MONDAY; d <= G_DATE_SUNDAY; d++) {
    gboolean open = tb_business_hours_is_open_on (result->hours, d);

    json_builder_begin_object (builder);
    tb_webhooks_add_string (builder, "weekday", tb_weekday_name (d));
    tb_webhooks_add_boolean (builder, "open", open);
    tb_webhooks_add_hours (builder, "hours", result->hours, d);
    json_builder_end_object (builder);
    if (!open)
      closed[n_closed++] = tb_weekday_name (d);
  }
  json_builder_end_array (builder);

  if (n_closed == 7)
    message = g_strdup_printf ("We have no opening hours at the moment. %s", now);
  else if (n_closed == 0)
    message = g_strdup_printf ("We are open %s. %s", week, now);
  else {
    g_autofree char *days = words_and (closed, n_closed);

    message = g_strdup_printf ("We are open %s, and closed on %s. %s", week, days, now);
  }
  tb_webhooks_add_string (builder, "message", message);
}

static void
on_hours (TbWebhookStore *store, const TbWebhookResult *result, const GError *error,
          gpointer user_data)
{
  g_autoptr(TbWebhookCall) call = user_data;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(JsonBuilder) builder = NULL;
  gboolean open_now;

  if (error) {
    tb_webhook_call_reply_error (call, error);
    return;
  }
  open_now = tb_business_hours_is_open_at (result->hours, now);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  tb_webhooks_add_boolean (builder, "ok", TRUE);
  if (call->weekday != G_DATE_BAD_WEEKDAY)
    add_day (builder, call, result, call->weekday, open_now);
  else
    add_week (builder, result, open_now);
  tb_webhooks_add_boolean (builder, "open_now", open_now);
  json_builder_end_object (builder);
  tb_http_reply_builder (call->msg, SOUP_STATUS_OK, builder);
}

static void
on_business_hours (SoupServerMessage *msg, const char *path, GHashTable *query,
                   gpointer user_data)
{
  g_autoptr(TbWebhookEnvelope) request = tb_webhooks_read (user_data, msg);
  g_auto(TbWebhookArgs) args = { 0 };
  GDateWeekday weekday = G_DATE_BAD_WEEKDAY;
  TbWebhookCall *call;
  const char *text;
  GDate day;

  if (!request)
    return;
  tb_webhook_args_init (&args, request->arguments);
  text = tb_webhook_args_string (&args, "day", FALSE, expected_day, 64);
  tb_webhook_args_value (&args, "day", text, text && parse_day_or_weekday (text, &day, &weekday),
                         expected_day);
  if (tb_webhook_args_reply_invalid (&args, msg))
    return;
  call = tb_webhook_call_new (user_data, msg, g_steal_pointer (&request));
  if (text) {
    call->day = day;
    call->weekday = weekday;
  }
  tb_webhook_store_hours (call->store, on_hours, call);
}

void
tb_webhooks_hours_register (TbWebhooks *self, TbHttpServer *server)
{
  tb_http_server_add_route (server, SOUP_METHOD_POST, "/webhooks/business-hours",
                            on_business_hours, self);
}
