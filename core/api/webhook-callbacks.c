/* webhook-callbacks.c — callback requests: the webhook that takes one
 * during a call, and their list in the Web API.
 *
 *   POST /webhooks/callback {"phone"?, "name"?, "reason"?, "when"?}
 *        phone defaults to the caller's number (400 when there is none);
 *        when is the caller's words ("tomorrow morning"), kept as said
 *        -> 200 {"ok": true, "id", "message": "We will call you back at
 *           +15550100, tomorrow morning.", "callback": Callback}
 *   GET  /api/v1/callbacks[?limit=N] (1-500, default 50)
 *        -> 200 {"callbacks": [Callback, ...]} newest first
 *   Callback = {"id", "phone", "name", "reason", "when", "call_id",
 *     "created_at"} (null where not given) */
#define G_LOG_DOMAIN "tb-webhooks"

#include "webhook-args.h"
#include "webhooks-private.h"

#include "http-json.h"

#define MAX_PHONE 100
#define MAX_NAME 200
#define MAX_REASON 2000
#define MAX_WHEN 200
#define DEFAULT_LIMIT 50
#define MAX_LIMIT 500

static void
add_callback (JsonBuilder *builder, gconstpointer item)
{
  const TbCallbackRequest *r = item;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, (gint64) r->id);
  tb_webhooks_add_string (builder, "phone", r->phone);
  tb_webhooks_add_string (builder, "name", r->name);
  tb_webhooks_add_string (builder, "reason", r->reason);
  tb_webhooks_add_string (builder, "when", r->when);
  tb_webhooks_add_string (builder, "call_id", *r->call_id ? r->call_id : NULL);
  tb_webhooks_add_time (builder, "created_at", r->created_at);
  json_builder_end_object (builder);
}

static void
on_added (TbWebhookStore *store, const TbWebhookResult *result, const GError *error,
          gpointer user_data)
{
  g_autoptr(TbWebhookCall) call = user_data;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *message = NULL;
  const TbCallbackRequest *kept;

  if (error) {
    tb_webhook_call_reply_error (call, error);
    return;
  }
  kept = g_ptr_array_index (result->callbacks, 0);
  message = g_strdup_printf ("We will call you back at %s%s%s.", kept->phone,
                             kept->when ? ", " : "", kept->when ? kept->when : "");
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  tb_webhooks_add_boolean (builder, "ok", TRUE);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, (gint64) kept->id);
  tb_webhooks_add_string (builder, "message", message);
  json_builder_set_member_name (builder, "callback");
  add_callback (builder, kept);
  json_builder_end_object (builder);
  tb_http_reply_builder (call->msg, SOUP_STATUS_OK, builder);
  g_message ("callback request %" G_GUINT64_FORMAT " taken%s%s", kept->id,
             *kept->call_id ? " in call " : "", kept->call_id);
}

/* An optional string argument; NULL when absent or empty. */
static const char *
optional (TbWebhookArgs *args, const char *name, const char *expected, guint max_chars)
{
  const char *text = tb_webhook_args_string (args, name, FALSE, expected, max_chars);

  return text && *text ? text : NULL;
}

static void
on_callback (SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  g_autoptr(TbWebhookEnvelope) request = tb_webhooks_read (user_data, msg);
  g_auto(TbWebhookArgs) args = { 0 };
  TbCallbackRequest wanted = { 0 };
  const char *phone, *name, *reason, *when;
  TbWebhookCall *call;

  if (!request)
    return;
  tb_webhook_args_init (&args, request->arguments);
  phone = optional (&args, "phone", "the number to call back", MAX_PHONE);
  name = optional (&args, "name", "the caller's name", MAX_NAME);
  reason = optional (&args, "reason", "what the call back is about", MAX_REASON);
  when = optional (&args, "when", "when to call back, in words", MAX_WHEN);
  if (!phone && !tb_webhook_args_has (&args, "phone")) {
    phone = *request->caller ? request->caller : NULL;
    if (!phone)
      tb_webhook_args_fail (&args, "phone", "is missing: the number to call back is expected "
                            "(the call has no caller number)");
  } else if (!phone) {
    tb_webhook_args_fail (&args, "phone", "is empty: the number to call back is expected");
  }
  if (tb_webhook_args_reply_invalid (&args, msg))
    return;
  call = tb_webhook_call_new (user_data, msg, g_steal_pointer (&request));
  wanted.phone = (char *) phone;
  wanted.name = (char *) name;
  wanted.reason = (char *) reason;
  wanted.when = (char *) when;
  wanted.call_id = (char *) call->envelope->call_id;
  tb_webhook_store_add_callback (call->store, &wanted, on_added, call);
}

static void
on_list (TbWebhookStore *store, const TbWebhookResult *result, const GError *error,
         gpointer user_data)
{
  g_autoptr(TbWebhookCall) call = user_data;

  if (error)
    tb_webhook_call_reply_error (call, error);
  else
    tb_webhook_call_reply_list (call, "callbacks", result->callbacks, add_callback);
}

static void
on_get_callbacks (SoupServerMessage *msg, const char *path, GHashTable *query,
                  gpointer user_data)
{
  const char *limit_text = query ? g_hash_table_lookup (query, "limit") : NULL;
  guint64 limit = DEFAULT_LIMIT;
  TbWebhookCall *call;

  if (!g_str_equal (path, "/api/v1/callbacks")) {
    tb_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such path: %s", path);
    return;
  }
  if (limit_text && (!g_ascii_string_to_unsigned (limit_text, 10, 1, MAX_LIMIT, &limit, NULL))) {
    g_autoptr(JsonObject) fields = json_object_new ();
    g_autofree char *why = g_strdup_printf ("'%s' is not a number from 1 to %u", limit_text,
                                            MAX_LIMIT);

    json_object_set_string_member (fields, "limit", why);
    tb_http_reply_invalid (msg, "invalid query", fields);
    return;
  }
  call = tb_webhook_call_new (user_data, msg, NULL);
  tb_webhook_store_callbacks (call->store, (guint) limit, on_list, call);
}

void
tb_webhooks_callbacks_register (TbWebhooks *self, TbHttpServer *server)
{
  tb_http_server_add_route (server, SOUP_METHOD_POST, "/webhooks/callback", on_callback, self);
  tb_http_server_add_route (server, SOUP_METHOD_GET, "/api/v1/callbacks", on_get_callbacks,
                            self);
}
