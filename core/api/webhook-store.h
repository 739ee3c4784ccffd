/* webhook-store.h — what the built-in webhooks keep: the business hours,
 * the appointment book and the callback requests, behind one asynchronous
 * interface with two backends: PostgreSQL (webhook-store-pg.c, the tables
 * business_hours, appointments and callback_requests) and memory
 * (webhook-store-memory.c, for a daemon without a database: fixed hours,
 * Monday to Friday 09:00-17:00, nothing kept over a restart).
 *
 * Every operation ends with exactly one call of its TbWebhookStoreFunc on
 * the thread-default main context of the caller, never from inside the
 * function that started it: with a result, or with an error
 * (TB_WEBHOOK_STORE_ERROR, or TB_DB_ERROR / G_IO_ERROR from the database).
 * Only the main context uses a store. */
#pragma once

#include "business-hours.h"

#include <gio/gio.h>

G_BEGIN_DECLS

#define TB_WEBHOOK_STORE_ERROR (tb_webhook_store_error_quark ())
GQuark tb_webhook_store_error_quark (void);

typedef enum {
  TB_WEBHOOK_STORE_ERROR_TAKEN,      /* book: the slot has a live appointment   */
  TB_WEBHOOK_STORE_ERROR_NOT_FOUND,  /* cancel: no such live appointment        */
  TB_WEBHOOK_STORE_ERROR_NOT_YOURS,  /* cancel: booked from another number      */
  TB_WEBHOOK_STORE_ERROR_DOWN,       /* the database is not available           */
} TbWebhookStoreError;

typedef struct {
  guint64 id;
  GDate day;
  guint minute;            /* start, minutes after midnight, local time */
  char *caller;            /* "" when unknown                           */
  char *name;              /* NULL when not given                       */
  char *call_id;           /* "" when unknown                           */
} TbAppointment;

typedef struct {
  guint64 id;
  char *phone;
  char *name;              /* these three: NULL when not given */
  char *reason;
  char *when;              /* when to call, in the caller's words */
  char *call_id;           /* "" when unknown */
  GDateTime *created_at;
} TbCallbackRequest;

/* What an operation gives; members it does not fill are NULL. */
typedef struct {
  TbBusinessHours *hours;
  GPtrArray *appointments;   /* TbAppointment *, by day and time */
  GPtrArray *callbacks;      /* TbCallbackRequest *, newest first */
} TbWebhookResult;

typedef struct _TbWebhookStore TbWebhookStore;

/* @result is valid during the call only; NULL exactly when @error is set. */
typedef void (*TbWebhookStoreFunc) (TbWebhookStore *store, const TbWebhookResult *result,
                                    const GError *error, gpointer user_data);

/* A backend: the operations below, each ending as said above. */
typedef struct {
  void (*hours) (TbWebhookStore *store, TbWebhookStoreFunc func, gpointer user_data);
  void (*appointments) (TbWebhookStore *store, const GDate *day, TbWebhookStoreFunc func,
                        gpointer user_data);
  void (*book) (TbWebhookStore *store, const TbAppointment *appointment,
                TbWebhookStoreFunc func, gpointer user_data);
  void (*cancel) (TbWebhookStore *store, guint64 id, const GDate *day, guint minute,
                  const char *caller, TbWebhookStoreFunc func, gpointer user_data);
  void (*add_callback) (TbWebhookStore *store, const TbCallbackRequest *request,
                        TbWebhookStoreFunc func, gpointer user_data);
  void (*callbacks) (TbWebhookStore *store, guint limit, TbWebhookStoreFunc func,
                     gpointer user_data);
  void (*finalize) (TbWebhookStore *store);
} TbWebhookStoreClass;

struct _TbWebhookStore {
  const TbWebhookStoreClass *klass;
  gint ref_count;
};

typedef struct _TbDb TbDb;

/* The book in memory. */
TbWebhookStore *tb_webhook_store_new_memory (void);
/* The book in PostgreSQL on @db (migrated), which outlives the store. An
 * operation started while the connection is down ends at once with
 * TB_WEBHOOK_STORE_ERROR_DOWN. */
TbWebhookStore *tb_webhook_store_new_pg (TbDb *db);

TbWebhookStore *tb_webhook_store_ref (TbWebhookStore *store);
void tb_webhook_store_unref (TbWebhookStore *store);

/* The opening hours: result.hours. */
void tb_webhook_store_hours (TbWebhookStore *store, TbWebhookStoreFunc func, gpointer user_data);
/* The hours, and the live appointments of @day (NULL: of every day):
 * result.hours and result.appointments. */
void tb_webhook_store_appointments (TbWebhookStore *store, const GDate *day,
                                    TbWebhookStoreFunc func, gpointer user_data);
/* Books @appointment's day and minute (its id is ignored);
 * result.appointments holds the new one. TB_WEBHOOK_STORE_ERROR_TAKEN when
 * the slot has a live appointment. The caller checked the hours. */
void tb_webhook_store_book (TbWebhookStore *store, const TbAppointment *appointment,
                            TbWebhookStoreFunc func, gpointer user_data);
/* Cancels the live appointment @id (when not 0), or the one at @minute on
 * @day; only when it was booked from @caller, unless @caller is NULL or "".
 * result.appointments holds the cancelled one. */
void tb_webhook_store_cancel (TbWebhookStore *store, guint64 id, const GDate *day, guint minute,
                              const char *caller, TbWebhookStoreFunc func, gpointer user_data);
/* Keeps @request (its id and time are ignored); result.callbacks holds it
 * as kept. */
void tb_webhook_store_add_callback (TbWebhookStore *store, const TbCallbackRequest *request,
                                    TbWebhookStoreFunc func, gpointer user_data);
/* The @limit newest callback requests: result.callbacks. */
void tb_webhook_store_callbacks (TbWebhookStore *store, guint limit, TbWebhookStoreFunc func,
                                 gpointer user_data);

TbAppointment *tb_appointment_copy (const TbAppointment *appointment);
void tb_appointment_free (TbAppointment *appointment);
TbCallbackRequest *tb_callback_request_copy (const TbCallbackRequest *request);
void tb_callback_request_free (TbCallbackRequest *request);

/* For backends: ends an operation with @result or @error from an idle
 * callback on the thread-default main context (a reference on @store is
 * held until then). Takes @result's members and @error. */
void tb_webhook_store_complete_later (TbWebhookStore *store, TbWebhookResult *result,
                                      GError *error, TbWebhookStoreFunc func,
                                      gpointer user_data);
void tb_webhook_result_clear (TbWebhookResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbAppointment, tb_appointment_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbCallbackRequest, tb_callback_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbWebhookStore, tb_webhook_store_unref)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TbWebhookResult, tb_webhook_result_clear)

G_END_DECLS
