/* webhook-store-memory.c — the built-in webhooks' store without a
 * database: fixed opening hours (Monday to Friday, 09:00 to 17:00), the
 * appointments and callback requests in memory until the daemon stops. */
#define G_LOG_DOMAIN "tb-webhooks"

#include "webhook-store.h"

typedef struct {
  TbWebhookStore parent;
  TbBusinessHours *hours;
  GPtrArray *appointments;   /* TbAppointment *, live, by day and time */
  GPtrArray *callbacks;      /* TbCallbackRequest *, oldest first      */
  guint64 next_appointment;
  guint64 next_callback;
} MemoryStore;

/* Minutes since 1 January of year 1, for ordering and comparing. */
static gint64
key (const GDate *day, guint minute)
{
  return (gint64) g_date_get_julian (day) * 24 * 60 + minute;
}

/* Where an appointment at @k goes (or is) in the ordered list. */
static guint
position (MemoryStore *self, gint64 k, gboolean *found)
{
  guint lo = 0, hi = self->appointments->len;

  *found = FALSE;
  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    const TbAppointment *a = g_ptr_array_index (self->appointments, mid);
    gint64 at = key (&a->day, a->minute);

    if (at == k) {
      *found = TRUE;
      return mid;
    }
    if (at < k)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Ends an operation with TB_WEBHOOK_STORE_ERROR @code. */
static void
refuse (TbWebhookStore *store, TbWebhookStoreError code, const char *message,
        TbWebhookStoreFunc func, gpointer user_data)
{
  tb_webhook_store_complete_later (store, NULL,
                                   g_error_new_literal (TB_WEBHOOK_STORE_ERROR, code, message),
                                   func, user_data);
}

static GPtrArray *
appointment_list (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) tb_appointment_free);
}

static GPtrArray *
callback_list (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) tb_callback_request_free);
}

static void
memory_hours (TbWebhookStore *store, TbWebhookStoreFunc func, gpointer user_data)
{
  TbWebhookResult result = { tb_business_hours_copy (((MemoryStore *) store)->hours), NULL, NULL };

  tb_webhook_store_complete_later (store, &result, NULL, func, user_data);
}

static void
memory_appointments (TbWebhookStore *store, const GDate *day, TbWebhookStoreFunc func,
                     gpointer user_data)
{
  MemoryStore *self = (MemoryStore *) store;
  TbWebhookResult result = { tb_business_hours_copy (self->hours), appointment_list (), NULL };

  for (guint i = 0; i < self->appointments->len; i++) {
    const TbAppointment *a = g_ptr_array_index (self->appointments, i);

    if (!day || g_date_compare (&a->day, day) == 0)
      g_ptr_array_add (result.appointments, tb_appointment_copy (a));
  }
  tb_webhook_store_complete_later (store, &result, NULL, func, user_data);
}

static void
memory_book (TbWebhookStore *store, const TbAppointment *appointment, TbWebhookStoreFunc func,
             gpointer user_data)
{
  MemoryStore *self = (MemoryStore *) store;
  TbWebhookResult result = { NULL, NULL, NULL };
  TbAppointment *booked;
  gboolean taken;
  guint at = position (self, key (&appointment->day, appointment->minute), &taken);

  if (taken) {
    refuse (store, TB_WEBHOOK_STORE_ERROR_TAKEN, "the slot is taken", func, user_data);
    return;
  }
  booked = tb_appointment_copy (appointment);
  booked->id = self->next_appointment++;
  g_ptr_array_insert (self->appointments, (gint) at, booked);
  result.appointments = appointment_list ();
  g_ptr_array_add (result.appointments, tb_appointment_copy (booked));
  tb_webhook_store_complete_later (store, &result, NULL, func, user_data);
}

static void
memory_cancel (TbWebhookStore *store, guint64 id, const GDate *day, guint minute,
               const char *caller, TbWebhookStoreFunc func, gpointer user_data)
{
  MemoryStore *self = (MemoryStore *) store;
  TbWebhookResult result = { NULL, NULL, NULL };
  gboolean found = FALSE;
  guint at = 0;

  if (id) {
    for (at = 0; at < self->appointments->len && !found; at++)
      found = ((TbAppointment *) g_ptr_array_index (self->appointments, at))->id == id;
    at--;
  } else {
    at = position (self, key (day, minute), &found);
  }
  if (found && caller &&
      !g_str_equal (((TbAppointment *) g_ptr_array_index (self->appointments, at))->caller,
                    caller)) {
    refuse (store, TB_WEBHOOK_STORE_ERROR_NOT_YOURS, "booked from another number", func,
            user_data);
    return;
  }
  if (!found) {
    refuse (store, TB_WEBHOOK_STORE_ERROR_NOT_FOUND, "no such appointment", func, user_data);
    return;
  }
  result.appointments = appointment_list ();
  g_ptr_array_add (result.appointments, g_ptr_array_steal_index (self->appointments, at));
  tb_webhook_store_complete_later (store, &result, NULL, func, user_data);
}

static void
memory_add_callback (TbWebhookStore *store, const TbCallbackRequest *request,
                     TbWebhookStoreFunc func, gpointer user_data)
{
  MemoryStore *self = (MemoryStore *) store;
  TbWebhookResult result = { NULL, NULL, callback_list () };
  TbCallbackRequest *kept = tb_callback_request_copy (request);

  kept->id = self->next_callback++;
  g_clear_pointer (&kept->created_at, g_date_time_unref);
  kept->created_at = g_date_time_new_now_local ();
  g_ptr_array_add (self->callbacks, kept);
  g_ptr_array_add (result.callbacks, tb_callback_request_copy (kept));
  tb_webhook_store_complete_later (store, &result, NULL, func, user_data);
}

static void
memory_callbacks (TbWebhookStore *store, guint limit, TbWebhookStoreFunc func,
                  gpointer user_data)
{
  MemoryStore *self = (MemoryStore *) store;
  TbWebhookResult result = { NULL, NULL, callback_list () };

  for (guint i = self->callbacks->len; i > 0 && result.callbacks->len < limit; i--)
    g_ptr_array_add (result.callbacks,
                     tb_callback_request_copy (g_ptr_array_index (self->callbacks, i - 1)));
  tb_webhook_store_complete_later (store, &result, NULL, func, user_data);
}

static void
memory_finalize (TbWebhookStore *store)
{
  MemoryStore *self = (MemoryStore *) store;

  tb_business_hours_free (self->hours);
  g_ptr_array_unref (self->appointments);
  g_ptr_array_unref (self->callbacks);
  g_free (self);
}

static const TbWebhookStoreClass memory_class = {
  .hours = memory_hours,
  .appointments = memory_appointments,
  .book = memory_book,
  .cancel = memory_cancel,
  .add_callback = memory_add_callback,
  .callbacks = memory_callbacks,
  .finalize = memory_finalize,
};

TbWebhookStore *
tb_webhook_store_new_memory (void)
{
  MemoryStore *self = g_new0 (MemoryStore, 1);

  self->parent.klass = &memory_class;
  self->parent.ref_count = 1;
  self->hours = tb_business_hours_new_default ();
  self->appointments = appointment_list ();
  self->callbacks = callback_list ();
  self->next_appointment = 1;
  self->next_callback = 1;
  return &self->parent;
}
