/* webhook-store-pg.c — the built-in webhooks' store in PostgreSQL
 * (schemas/003_webhooks.sql): business_hours, appointments (double
 * booking refused by its unique index on live slots) and
 * callback_requests. Parameterised queries on the daemon's connection. */
#define G_LOG_DOMAIN "tb-webhooks"

#include "webhook-store.h"

#include "db.h"

#include <stdlib.h>

typedef struct {
  TbWebhookStore parent;
  TbDb *db;
} PgStore;

/* A timestamptz as ISO 8601 in UTC, for g_date_time_new_from_iso8601(). */
#define UTC_TEXT(column) \
  "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* The columns read_appointment() reads, in its order. */
#define APPOINTMENT_ROW \
  "id, extract(epoch FROM starts_at)::bigint AS starts, coalesce(phone, '') AS phone, name, " \
  "coalesce(call_id::text, '') AS call_id"
#define APPOINTMENT_COLUMNS "id, starts, phone, name, call_id"

/* The columns read_callback() reads, in its order. */
#define CALLBACK_ROW \
  "id, phone, name, reason, requested_time, coalesce(call_id::text, ''), " \
  UTC_TEXT ("created_at")

static const char hours_sql[] =
  "SELECT weekday, (extract(epoch FROM opens) / 60)::int, (extract(epoch FROM closes) / 60)::int "
  "FROM business_hours ORDER BY weekday, opens";

/* $1, $2: from and until (NULL: every day). */
static const char appointments_sql[] =
  "SELECT " APPOINTMENT_ROW " FROM appointments WHERE cancelled_at IS NULL "
  "AND ($1::timestamptz IS NULL OR (starts_at >= $1::timestamptz AND starts_at < $2::timestamptz)) "
  "ORDER BY starts_at";

/* No row when the slot has a live appointment (the unique index
 * appointments_live_slot is the arbiter, also between concurrent books). */
static const char book_sql[] =
  "INSERT INTO appointments (starts_at, ends_at, name, phone, call_id) "
  "VALUES ($1::timestamptz, $1::timestamptz + $2::int * interval '1 minute', $3, $4, $5::uuid) "
  "ON CONFLICT (starts_at) WHERE cancelled_at IS NULL DO NOTHING "
  "RETURNING " APPOINTMENT_ROW;

/* $1 id or $2 start; $3 the caller's number (NULL: anyone's). One row:
 * how many were found, and the cancelled one (NULLs when not cancelled). */
static const char cancel_sql[] =
  "WITH target AS (SELECT id FROM appointments WHERE cancelled_at IS NULL "
  "  AND (id = $1::bigint OR starts_at = $2::timestamptz) ORDER BY id LIMIT 1 FOR UPDATE), "
  "done AS (UPDATE appointments SET cancelled_at = now() "
  "  WHERE id = (SELECT id FROM target) AND cancelled_at IS NULL "
  "  AND ($3::text IS NULL OR phone = $3::text) RETURNING " APPOINTMENT_ROW ") "
  "SELECT " APPOINTMENT_COLUMNS ", (SELECT count(*) FROM target) "
  "FROM (SELECT 1) AS one LEFT JOIN done ON true";

static const char add_callback_sql[] =
  "INSERT INTO callback_requests (phone, name, reason, requested_time, call_id) "
  "VALUES ($1, $2, $3, $4, $5::uuid) RETURNING " CALLBACK_ROW;

static const char callbacks_sql[] =
  "SELECT " CALLBACK_ROW " FROM callback_requests ORDER BY created_at DESC, id DESC LIMIT $1";

/* ---- rows ---------------------------------------------------------------- */

static const char *
value (PGresult *result, int row, int column)
{
  return PQgetisnull (result, row, column) ? NULL : PQgetvalue (result, row, column);
}

static GDateTime *
time_value (PGresult *result, int row, int column)
{
  const char *text = value (result, row, column);

  return text ? g_date_time_new_from_iso8601 (text, NULL) : NULL;
}

static TbAppointment *
read_appointment (PGresult *result, int row)
{
  TbAppointment *a = g_new0 (TbAppointment, 1);
  g_autoptr(GDateTime) starts =
    g_date_time_new_from_unix_local (g_ascii_strtoll (value (result, row, 1), NULL, 10));
  const char *name = value (result, row, 3);

  a->id = g_ascii_strtoull (value (result, row, 0), NULL, 10);
  tb_day_from_date_time (starts, &a->day, &a->minute);
  a->caller = g_strdup (value (result, row, 2));
  a->name = name && *name ? g_strdup (name) : NULL;
  a->call_id = g_strdup (value (result, row, 4));
  return a;
}

static TbCallbackRequest *
read_callback (PGresult *result, int row)
{
  TbCallbackRequest *r = g_new0 (TbCallbackRequest, 1);

  r->id = g_ascii_strtoull (value (result, row, 0), NULL, 10);
  r->phone = g_strdup (value (result, row, 1));
  r->name = g_strdup (value (result, row, 2));
  r->reason = g_strdup (value (result, row, 3));
  r->when = g_strdup (value (result, row, 4));
  r->call_id = g_strdup (value (result, row, 5));
  r->created_at = time_value (result, row, 6);
  return r;
}

static GPtrArray *
read_appointments (PGresult *result)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) tb_appointment_free);

  for (int row = 0; row < PQntuples (result); row++)
    g_ptr_array_add (list, read_appointment (result, row));
  return list;
}

static GPtrArray *
read_callbacks (PGresult *result)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) tb_callback_request_free);

  for (int row = 0; row < PQntuples (result); row++)
    g_ptr_array_add (list, read_callback (result, row));
  return list;
}

static TbBusinessHours *
read_hours (PGresult *result)
{
  TbBusinessHours *hours = tb_business_hours_new ();

  for (int row = 0; row < PQntuples (result); row++) {
    guint weekday = (guint) atoi (value (result, row, 0));
    guint opens = (guint) atoi (value (result, row, 1));
    guint closes = (guint) atoi (value (result, row, 2));

    if (opens < closes && closes <= 24 * 60)
      tb_business_hours_add (hours, (GDateWeekday) weekday, opens, closes);
  }
  return hours;
}

/* ---- operations ---------------------------------------------------------- */

typedef enum {
  READ_HOURS,
  READ_APPOINTMENTS,
  READ_BOOKED,          /* no row: the slot is taken */
  READ_CANCELLED,
  READ_CALLBACKS,
} Reading;

/* One operation: its queries (answered in the order they were queued),
 * what they gave so far. */
typedef struct {
  TbWebhookStore *store;
  TbWebhookResult result;
  GError *error;
  guint pending;
  TbWebhookStoreFunc func;
  gpointer user_data;
} Operation;

typedef struct {
  Operation *op;
  Reading reading;
} Query;

static Operation *
operation_new (TbWebhookStore *store, TbWebhookStoreFunc func, gpointer user_data)
{
  Operation *op = g_new0 (Operation, 1);

  op->store = tb_webhook_store_ref (store);
  op->func = func;
  op->user_data = user_data;
  return op;
}

static GError *
store_error (TbWebhookStoreError code, const char *message)
{
  return g_error_new_literal (TB_WEBHOOK_STORE_ERROR, code, message);
}

static void
read_result (Operation *op, Reading reading, PGresult *result)
{
  switch (reading) {
  case READ_HOURS:
    op->result.hours = read_hours (result);
    break;
  case READ_APPOINTMENTS:
    op->result.appointments = read_appointments (result);
    break;
  case READ_BOOKED:
    if (PQntuples (result) == 0)
      op->error = store_error (TB_WEBHOOK_STORE_ERROR_TAKEN, "the slot is taken");
    else
      op->result.appointments = read_appointments (result);
    break;
  case READ_CANCELLED:
    if (PQntuples (result) != 1 || g_ascii_strtoull (value (result, 0, 5), NULL, 10) == 0)
      op->error = store_error (TB_WEBHOOK_STORE_ERROR_NOT_FOUND, "no such appointment");
    else if (PQgetisnull (result, 0, 0))
      op->error = store_error (TB_WEBHOOK_STORE_ERROR_NOT_YOURS, "booked from another number");
    else
      op->result.appointments = read_appointments (result);
    break;
  case READ_CALLBACKS:
    op->result.callbacks = read_callbacks (result);
    break;
  }
}

static void
on_result (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Query *q = user_data;
  Operation *op = q->op;

  if (!op->error) {
    if (error)
      op->error = g_error_copy (error);
    else
      read_result (op, q->reading, result);
  }
  g_free (q);
  if (--op->pending > 0)
    return;
  if (g_error_matches (op->error, TB_DB_ERROR, TB_DB_ERROR_QUERY))
    g_warning ("the built-in webhooks' query failed: %s", op->error->message);
  op->func (op->store, op->error ? NULL : &op->result, op->error, op->user_data);
  tb_webhook_result_clear (&op->result);
  g_clear_error (&op->error);
  tb_webhook_store_unref (op->store);
  g_free (op);
}

/* Queues a query of @op; @params as tb_db_query() takes them. */
static void
query (Operation *op, Reading reading, const char *sql, guint n_params,
       const char *const *params)
{
  Query *q = g_new0 (Query, 1);

  q->op = op;
  q->reading = reading;
  op->pending++;
  tb_db_query (((PgStore *) op->store)->db, sql, n_params, params, on_result, q);
}

/* Starts an operation of @store; NULL after ending it with
 * TB_WEBHOOK_STORE_ERROR_DOWN when the database is not connected (its
 * queries would wait for the connection). */
static Operation *
start (TbWebhookStore *store, TbWebhookStoreFunc func, gpointer user_data)
{
  if (!tb_db_is_up (((PgStore *) store)->db)) {
    tb_webhook_store_complete_later (store, NULL,
                                     store_error (TB_WEBHOOK_STORE_ERROR_DOWN,
                                                  "the database is not available"),
                                     func, user_data);
    return NULL;
  }
  return operation_new (store, func, user_data);
}

static char *
timestamp (const GDate *day, guint minute)
{
  g_autoptr(GDateTime) at = tb_day_at (day, minute);

  return g_date_time_format_iso8601 (at);
}

/* A UUID as the call_id column takes it; NULL for anything else (a test's
 * or another client's call id). */
static const char *
uuid_or_null (const char *call_id)
{
  return call_id && g_uuid_string_is_valid (call_id) ? call_id : NULL;
}

static void
pg_hours (TbWebhookStore *store, TbWebhookStoreFunc func, gpointer user_data)
{
  Operation *op = start (store, func, user_data);

  if (op)
    query (op, READ_HOURS, hours_sql, 0, NULL);
}

static void
pg_appointments (TbWebhookStore *store, const GDate *day, TbWebhookStoreFunc func,
                 gpointer user_data)
{
  Operation *op = start (store, func, user_data);
  g_autofree char *from = NULL, *until = NULL;
  GDate next;

  if (!op)
    return;
  if (day) {
    next = *day;
    g_date_add_days (&next, 1);
    from = timestamp (day, 0);
    until = timestamp (&next, 0);
  }
  query (op, READ_HOURS, hours_sql, 0, NULL);
  query (op, READ_APPOINTMENTS, appointments_sql, 2, (const char *const[]) { from, until });
}

static void
pg_book (TbWebhookStore *store, const TbAppointment *a, TbWebhookStoreFunc func,
         gpointer user_data)
{
  Operation *op = start (store, func, user_data);
  g_autofree char *starts = NULL;
  g_autofree char *length = g_strdup_printf ("%u", TB_APPOINTMENT_SLOT);

  if (!op)
    return;
  starts = timestamp (&a->day, a->minute);
  query (op, READ_BOOKED, book_sql, 5, (const char *const[]) {
    starts, length, a->name ? a->name : "", a->caller && *a->caller ? a->caller : NULL,
    uuid_or_null (a->call_id) });
}

static void
pg_cancel (TbWebhookStore *store, guint64 id, const GDate *day, guint minute,
           const char *caller, TbWebhookStoreFunc func, gpointer user_data)
{
  Operation *op = start (store, func, user_data);
  g_autofree char *id_text = id ? g_strdup_printf ("%" G_GUINT64_FORMAT, id) : NULL;
  g_autofree char *starts = NULL;

  if (!op)
    return;
  if (!id)
    starts = timestamp (day, minute);
  query (op, READ_CANCELLED, cancel_sql, 3, (const char *const[]) { id_text, starts, caller });
}

static void
pg_add_callback (TbWebhookStore *store, const TbCallbackRequest *r, TbWebhookStoreFunc func,
                 gpointer user_data)
{
  Operation *op = start (store, func, user_data);

  if (op)
    query (op, READ_CALLBACKS, add_callback_sql, 5, (const char *const[]) {
      r->phone, r->name, r->reason, r->when, uuid_or_null (r->call_id) });
}

static void
pg_callbacks (TbWebhookStore *store, guint limit, TbWebhookStoreFunc func, gpointer user_data)
{
  Operation *op = start (store, func, user_data);
  g_autofree char *limit_text = g_strdup_printf ("%u", limit);

  if (op)
    query (op, READ_CALLBACKS, callbacks_sql, 1, (const char *const[]) { limit_text });
}

static void
pg_finalize (TbWebhookStore *store)
{
  g_free (store);
}

static const TbWebhookStoreClass pg_class = {
  .hours = pg_hours,
  .appointments = pg_appointments,
  .book = pg_book,
  .cancel = pg_cancel,
  .add_callback = pg_add_callback,
  .callbacks = pg_callbacks,
  .finalize = pg_finalize,
};

TbWebhookStore *
tb_webhook_store_new_pg (TbDb *db)
{
  PgStore *self = g_new0 (PgStore, 1);

  self->parent.klass = &pg_class;
  self->parent.ref_count = 1;
  self->db = db;
  return &self->parent;
}
