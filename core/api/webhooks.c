/* webhooks.c — the built-in webhooks: their store (PostgreSQL or memory),
 * their secret, their routes, and what the route files share. */
#define G_LOG_DOMAIN "tb-webhooks"

#include "webhooks-private.h"

#include "db.h"
#include "http-json.h"

TbWebhooks *
tb_webhooks_new (TbHttpServer *server, TbDb *db, const char *secret)
{
  TbWebhooks *self = g_new0 (TbWebhooks, 1);

  self->store = db ? tb_webhook_store_new_pg (db) : tb_webhook_store_new_memory ();
  self->secret = g_strdup (secret);
  tb_webhooks_appointments_register (self, server);
  tb_webhooks_hours_register (self, server);
  tb_webhooks_callbacks_register (self, server);
  g_message ("built-in webhooks under /webhooks/, their data %s",
             db ? "in the database" : "in memory (no database)");
  return self;
}

void
tb_webhooks_set_secret (TbWebhooks *self, const char *secret)
{
  g_free (self->secret);
  self->secret = g_strdup (secret);
}

void
tb_webhooks_free (TbWebhooks *self)
{
  if (!self)
    return;
  tb_webhook_store_unref (self->store);
  g_free (self->secret);
  g_free (self);
}

TbWebhookEnvelope *
tb_webhooks_read (TbWebhooks *self, SoupServerMessage *msg)
{
  return tb_webhook_envelope_read (msg, self->secret);
}

/* ---- requests answered later --------------------------------------------- */

TbWebhookCall *
tb_webhook_call_new (TbWebhooks *webhooks, SoupServerMessage *msg, TbWebhookEnvelope *envelope)
{
  TbWebhookCall *call = g_new0 (TbWebhookCall, 1);

  call->msg = g_object_ref (msg);
  call->store = tb_webhook_store_ref (webhooks->store);
  call->envelope = envelope;
  g_date_clear (&call->day, 1);
  tb_http_defer (msg);
  return call;
}

void
tb_webhook_call_free (TbWebhookCall *call)
{
  if (!call)
    return;
  g_object_unref (call->msg);
  tb_webhook_store_unref (call->store);
  tb_webhook_envelope_free (call->envelope);
  g_free (call);
}

void
tb_webhook_call_reply_error (TbWebhookCall *call, const GError *error)
{
  if (g_error_matches (error, TB_WEBHOOK_STORE_ERROR, TB_WEBHOOK_STORE_ERROR_DOWN) ||
      g_error_matches (error, TB_DB_ERROR, TB_DB_ERROR_DOWN))
    tb_http_reply_error (call->msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                         "the database is not available: %s", error->message);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    tb_http_reply_error (call->msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "shutting down");
  else
    tb_http_reply_error (call->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                         "the database refused the request: %s", error->message);
}

void
tb_webhook_call_reply_list (TbWebhookCall *call, const char *name, GPtrArray *items,
                            TbWebhooksAddFunc add)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < items->len; i++)
    add (builder, g_ptr_array_index (items, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  tb_http_reply_builder (call->msg, SOUP_STATUS_OK, builder);
}

/* ---- JSON ---------------------------------------------------------------- */

void
tb_webhooks_add_string (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
tb_webhooks_add_boolean (JsonBuilder *builder, const char *name, gboolean value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

void
tb_webhooks_add_time (JsonBuilder *builder, const char *name, GDateTime *value)
{
  g_autofree char *seconds = value ? g_date_time_format (value, "%Y-%m-%dT%H:%M:%S") : NULL;
  g_autofree char *offset = value ? g_date_time_format (value, "%:z") : NULL;
  g_autofree char *text = value ? g_strdup_printf ("%s.%03d%s", seconds,
                                                   g_date_time_get_microsecond (value) / 1000,
                                                   offset)
                                : NULL;

  tb_webhooks_add_string (builder, name, text);
}

void
tb_webhooks_add_times (JsonBuilder *builder, const char *name, GArray *minutes)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; minutes && i < minutes->len; i++) {
    g_autofree char *time = tb_minute_format (g_array_index (minutes, guint, i));

    json_builder_add_string_value (builder, time);
  }
  json_builder_end_array (builder);
}

void
tb_webhooks_add_hours (JsonBuilder *builder, const char *name, const TbBusinessHours *hours,
                       GDateWeekday weekday)
{
  g_autoptr(GArray) periods = tb_business_hours_of_day (hours, weekday);

  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i + 1 < periods->len; i += 2) {
    g_autofree char *opens = tb_minute_format (g_array_index (periods, guint, i));
    g_autofree char *closes = tb_minute_format (g_array_index (periods, guint, i + 1));

    json_builder_begin_object (builder);
    tb_webhooks_add_string (builder, "opens", opens);
    tb_webhooks_add_string (builder, "closes", closes);
    json_builder_end_object (builder);
  }
  json_builder_end_array (builder);
}
