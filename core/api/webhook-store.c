/* webhook-store.c — the built-in webhooks' store interface: dispatch to
 * the backend, references, the records it hands out, and completion from
 * an idle callback. */
#define G_LOG_DOMAIN "tb-webhooks"

#include "webhook-store.h"

G_DEFINE_QUARK (tb-webhook-store-error-quark, tb_webhook_store_error)

TbWebhookStore *
tb_webhook_store_ref (TbWebhookStore *store)
{
  store->ref_count++;
  return store;
}

void
tb_webhook_store_unref (TbWebhookStore *store)
{
  if (store && --store->ref_count == 0)
    store->klass->finalize (store);
}

void
tb_webhook_store_hours (TbWebhookStore *store, TbWebhookStoreFunc func, gpointer user_data)
{
  store->klass->hours (store, func, user_data);
}

void
tb_webhook_store_appointments (TbWebhookStore *store, const GDate *day, TbWebhookStoreFunc func,
                               gpointer user_data)
{
  store->klass->appointments (store, day, func, user_data);
}

void
tb_webhook_store_book (TbWebhookStore *store, const TbAppointment *appointment,
                       TbWebhookStoreFunc func, gpointer user_data)
{
  store->klass->book (store, appointment, func, user_data);
}

void
tb_webhook_store_cancel (TbWebhookStore *store, guint64 id, const GDate *day, guint minute,
                         const char *caller, TbWebhookStoreFunc func, gpointer user_data)
{
  store->klass->cancel (store, id, day, minute, caller && *caller ? caller : NULL, func,
                        user_data);
}

void
tb_webhook_store_add_callback (TbWebhookStore *store, const TbCallbackRequest *request,
                               TbWebhookStoreFunc func, gpointer user_data)
{
  store->klass->add_callback (store, request, func, user_data);
}

void
tb_webhook_store_callbacks (TbWebhookStore *store, guint limit, TbWebhookStoreFunc func,
                            gpointer user_data)
{
  store->klass->callbacks (store, limit, func, user_data);
}

/* ---- records ------------------------------------------------------------- */

TbAppointment *
tb_appointment_copy (const TbAppointment *appointment)
{
  TbAppointment *copy = g_new0 (TbAppointment, 1);

  *copy = *appointment;
  copy->caller = g_strdup (appointment->caller ? appointment->caller : "");
  copy->name = g_strdup (appointment->name);
  copy->call_id = g_strdup (appointment->call_id ? appointment->call_id : "");
  return copy;
}

void
tb_appointment_free (TbAppointment *appointment)
{
  if (!appointment)
    return;
  g_free (appointment->caller);
  g_free (appointment->name);
  g_free (appointment->call_id);
  g_free (appointment);
}

TbCallbackRequest *
tb_callback_request_copy (const TbCallbackRequest *request)
{
  TbCallbackRequest *copy = g_new0 (TbCallbackRequest, 1);

  *copy = *request;
  copy->phone = g_strdup (request->phone);
  copy->name = g_strdup (request->name);
  copy->reason = g_strdup (request->reason);
  copy->when = g_strdup (request->when);
  copy->call_id = g_strdup (request->call_id ? request->call_id : "");
  copy->created_at = request->created_at ? g_date_time_ref (request->created_at) : NULL;
  return copy;
}

void
tb_callback_request_free (TbCallbackRequest *request)
{
  if (!request)
    return;
  g_free (request->phone);
  g_free (request->name);
  g_free (request->reason);
  g_free (request->when);
  g_free (request->call_id);
  g_clear_pointer (&request->created_at, g_date_time_unref);
  g_free (request);
}

void
tb_webhook_result_clear (TbWebhookResult *result)
{
  g_clear_pointer (&result->hours, tb_business_hours_free);
  g_clear_pointer (&result->appointments, g_ptr_array_unref);
  g_clear_pointer (&result->callbacks, g_ptr_array_unref);
}

/* ---- completion ---------------------------------------------------------- */

typedef struct {
  TbWebhookStore *store;
  TbWebhookResult result;
  GError *error;
  TbWebhookStoreFunc func;
  gpointer user_data;
} Completion;

static gboolean
complete (gpointer data)
{
  Completion *c = data;

  c->func (c->store, c->error ? NULL : &c->result, c->error, c->user_data);
  return G_SOURCE_REMOVE;
}

static void
completion_free (gpointer data)
{
  Completion *c = data;

  tb_webhook_result_clear (&c->result);
  g_clear_error (&c->error);
  tb_webhook_store_unref (c->store);
  g_free (c);
}

void
tb_webhook_store_complete_later (TbWebhookStore *store, TbWebhookResult *result, GError *error,
                                 TbWebhookStoreFunc func, gpointer user_data)
{
  Completion *c = g_new0 (Completion, 1);
  g_autoptr(GSource) idle = g_idle_source_new ();

  c->store = tb_webhook_store_ref (store);
  if (result) {
    c->result = *result;
    *result = (TbWebhookResult) { 0 };
  }
  c->error = error;
  c->func = func;
  c->user_data = user_data;
  g_source_set_callback (idle, complete, c, completion_free);
  g_source_attach (idle, g_main_context_get_thread_default ());
}
