/* db.c — one asynchronous libpq connection on a main context: connecting
 * (PQconnectPoll), a queue of parameterised queries sent one at a time
 * (PQsendQueryParams), their results, and reconnecting with backoff. */
#define G_LOG_DOMAIN "tb-db"

#include "db.h"

#include <glib-unix.h>

#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 30000

G_DEFINE_QUARK (tb-db-error-quark, tb_db_error)

typedef struct {
  char *sql;
  char **params;           /* n_params values, NULL elements allowed */
  guint n_params;
  gboolean script;         /* several statements, PQsendQuery        */
  guint64 session;         /* 0: any connection                      */
  TbDbResultFunc func;
  gpointer user_data;
} Query;

struct _TbDb {
  char *conninfo;
  TbDbStateFunc state_func;
  gpointer state_data;
  GMainContext *context;

  PGconn *conn;
  gboolean connecting;
  gboolean up;
  gboolean reported;        /* a state was told to state_func       */
  gboolean reported_up;
  guint64 session;
  guint64 last_session;

  GSource *fd_source;
  int watched_fd;
  GIOCondition watched_cond;
  GSource *retry_source;
  GSource *pump_source;
  guint retry_ms;

  GQueue queue;             /* Query *, waiting                     */
  Query *current;           /* sent, its results not all read       */
  PGresult *result;         /* of current: the last, or first error */
};

static void pump (TbDb *db);
static void start_connect (TbDb *db);

static void
query_free (Query *q)
{
  for (guint i = 0; i < q->n_params; i++)
    g_free (q->params[i]);
  g_free (q->params);
  g_free (q->sql);
  g_free (q);
}

/* Ends @q with an error and frees it. */
static void
query_fail (TbDb *db, Query *q, GQuark domain, int code, const char *message)
{
  g_autoptr(GError) error = g_error_new_literal (domain, code, message);

  q->func (db, NULL, error, q->user_data);
  query_free (q);
}

static char *
conn_message (PGconn *conn, const char *fallback)
{
  const char *message = conn ? PQerrorMessage (conn) : NULL;
  char *copy = g_strdup (message && *message ? message : fallback);

  return g_strstrip (copy);
}

/* ---- sources ------------------------------------------------------------ */

static gboolean on_fd (int fd, GIOCondition condition, gpointer user_data);

/* Attaches @source (taken) to the connection's context, calling @func. */
static GSource *
attach (TbDb *db, GSource *source, GSourceFunc func)
{
  g_source_set_callback (source, func, db, NULL);
  g_source_attach (source, db->context);
  return source;
}

static void
drop (GSource **source)
{
  if (*source) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

static void
unwatch (TbDb *db)
{
  drop (&db->fd_source);
}

/* Watches the connection's socket for @condition (the socket may change
 * while connecting, when libpq tries the next address). */
static void
watch (TbDb *db, GIOCondition condition)
{
  int fd = PQsocket (db->conn);

  if (db->fd_source && db->watched_fd == fd && db->watched_cond == condition)
    return;
  unwatch (db);
  if (fd < 0)
    return;
  db->watched_fd = fd;
  db->watched_cond = condition;
  db->fd_source = attach (db, g_unix_fd_source_new (fd, condition), G_SOURCE_FUNC (on_fd));
}

static gboolean
on_pump (gpointer user_data)
{
  TbDb *db = user_data;

  g_clear_pointer (&db->pump_source, g_source_unref);
  pump (db);
  return G_SOURCE_REMOVE;
}

static void
pump_soon (TbDb *db)
{
  if (db->pump_source)
    return;
  db->pump_source = attach (db, g_idle_source_new (), on_pump);
}

static gboolean
on_retry (gpointer user_data)
{
  TbDb *db = user_data;

  g_clear_pointer (&db->retry_source, g_source_unref);
  start_connect (db);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (TbDb *db)
{
  g_debug ("connecting again in %u ms", db->retry_ms);
  db->retry_source = attach (db, g_timeout_source_new (db->retry_ms), on_retry);
  db->retry_ms = MIN (db->retry_ms * 2, RETRY_MAX_MS);
}

/* ---- state -------------------------------------------------------------- */

static void
report (TbDb *db, gboolean up, const char *message)
{
  if (db->reported && db->reported_up == up)
    return;
  db->reported = TRUE;
  db->reported_up = up;
  if (up)
    g_message ("database connected");
  else
    g_warning ("database unavailable: %s", message);
  if (db->state_func)
    db->state_func (db, up, message, db->state_data);
}

/* The connection failed or broke: queries of it fail, the rest wait. */
static void
go_down (TbDb *db, const char *fallback)
{
  g_autofree char *message = conn_message (db->conn, fallback);
  guint64 lost = db->session;
  Query *current = g_steal_pointer (&db->current);
  GList *pinned = NULL;

  unwatch (db);
  g_clear_pointer (&db->conn, PQfinish);
  g_clear_pointer (&db->result, PQclear);
  db->connecting = FALSE;
  db->up = FALSE;
  db->session = 0;
  schedule_retry (db);

  for (GList *l = db->queue.head; l && lost; ) {
    GList *next = l->next;
    Query *q = l->data;

    if (q->session == lost) {
      g_queue_unlink (&db->queue, l);
      pinned = g_list_concat (pinned, l);
    }
    l = next;
  }
  if (current)
    query_fail (db, current, TB_DB_ERROR, TB_DB_ERROR_DOWN, message);
  for (GList *l = pinned; l; l = l->next)
    query_fail (db, l->data, TB_DB_ERROR, TB_DB_ERROR_DOWN, message);
  g_list_free (pinned);
  report (db, FALSE, message);
}

static void
go_up (TbDb *db)
{
  db->connecting = FALSE;
  db->up = TRUE;
  db->session = ++db->last_session;
  db->retry_ms = RETRY_FIRST_MS;
  watch (db, G_IO_IN);
  report (db, TRUE, NULL);
  pump (db);
}

/* The server's notices ("relation ... already exists, skipping"), which
 * libpq prints on stderr by default. */
static void
on_notice (void *arg, const char *message)
{
  g_autofree char *copy = g_strstrip (g_strdup (message));

  g_debug ("server: %s", copy);
}

static void
start_connect (TbDb *db)
{
  db->conn = PQconnectStart (db->conninfo);
  if (!db->conn || PQstatus (db->conn) == CONNECTION_BAD) {
    go_down (db, "cannot start connecting");
    return;
  }
  PQsetnonblocking (db->conn, 1);
  PQsetNoticeProcessor (db->conn, on_notice, NULL);
  db->connecting = TRUE;
  /* As if PQconnectPoll() had returned PGRES_POLLING_WRITING. */
  watch (db, G_IO_OUT);
}

/* ---- queries ------------------------------------------------------------ */

static gboolean
result_is_error (PGresult *result)
{
  ExecStatusType status = PQresultStatus (result);

  return status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE ||
         status == PGRES_NONFATAL_ERROR;
}

/* The TbDbError of a refused query, by its SQLSTATE. */
static int
error_code (PGresult *result)
{
  const char *state = PQresultErrorField (result, PG_DIAG_SQLSTATE);

  if (g_strcmp0 (state, "23505") == 0)
    return TB_DB_ERROR_UNIQUE;
  if (g_strcmp0 (state, "23503") == 0)
    return TB_DB_ERROR_FOREIGN_KEY;
  if (g_strcmp0 (state, "23514") == 0)
    return TB_DB_ERROR_CHECK;
  return TB_DB_ERROR_QUERY;
}

static void
finish_current (TbDb *db)
{
  Query *q = g_steal_pointer (&db->current);
  g_autoptr(PGresult) result = g_steal_pointer (&db->result);

  if (!result)
    result = PQmakeEmptyPGresult (db->conn, PGRES_EMPTY_QUERY);
  if (result_is_error (result)) {
    g_autofree char *message = g_strstrip (g_strdup (PQresultErrorMessage (result)));

    query_fail (db, q, TB_DB_ERROR, error_code (result), message);
    return;
  }
  q->func (db, result, NULL, q->user_data);
  query_free (q);
}

/* Reads what has arrived; ends the current query when its last result is
 * in. FALSE when the connection broke (it is down then). */
static gboolean
read_input (TbDb *db)
{
  PGnotify *notify;

  if (!PQconsumeInput (db->conn) || PQstatus (db->conn) == CONNECTION_BAD) {
    go_down (db, "connection lost");
    return FALSE;
  }
  while ((notify = PQnotifies (db->conn)))
    PQfreemem (notify);
  while (db->current && !PQisBusy (db->conn)) {
    PGresult *result = PQgetResult (db->conn);

    if (!result) {
      finish_current (db);
      /* Its callback may have freed nothing but may have queued more. */
      if (!db->up)
        return FALSE;
      break;
    }
    if (db->result && result_is_error (db->result))
      PQclear (result);
    else {
      g_clear_pointer (&db->result, PQclear);
      db->result = result;
    }
  }
  return TRUE;
}

static void
pump (TbDb *db)
{
  while (db->up && !db->current && !g_queue_is_empty (&db->queue)) {
    Query *q = g_queue_pop_head (&db->queue);
    int sent, flushed;

    if (q->session && q->session != db->session) {
      query_fail (db, q, TB_DB_ERROR, TB_DB_ERROR_DOWN,
                  "the connection of this transaction was lost");
      continue;
    }
    if (q->script)
      sent = PQsendQuery (db->conn, q->sql);
    else
      sent = PQsendQueryParams (db->conn, q->sql, (int) q->n_params, NULL,
                                (const char *const *) q->params, NULL, NULL, 0);
    db->current = q;
    if (!sent) {
      if (PQstatus (db->conn) == CONNECTION_BAD) {
        go_down (db, "connection lost");
        return;
      }
      {
        g_autofree char *message = conn_message (db->conn, "the query could not be sent");

        db->current = NULL;
        query_fail (db, q, TB_DB_ERROR, TB_DB_ERROR_QUERY, message);
      }
      continue;
    }
    flushed = PQflush (db->conn);
    if (flushed < 0) {
      go_down (db, "connection lost");
      return;
    }
    watch (db, flushed ? G_IO_IN | G_IO_OUT : G_IO_IN);
  }
}

static gboolean
on_fd (int fd, GIOCondition condition, gpointer user_data)
{
  TbDb *db = user_data;

  if (db->connecting) {
    switch (PQconnectPoll (db->conn)) {
    case PGRES_POLLING_READING:
      watch (db, G_IO_IN);
      break;
    case PGRES_POLLING_WRITING:
      watch (db, G_IO_OUT);
      break;
    case PGRES_POLLING_OK:
      go_up (db);
      break;
    case PGRES_POLLING_FAILED:
    default:
      go_down (db, "connection failed");
      break;
    }
    return G_SOURCE_CONTINUE;
  }
  if (condition & G_IO_OUT) {
    int flushed = PQflush (db->conn);

    if (flushed < 0) {
      go_down (db, "connection lost");
      return G_SOURCE_CONTINUE;
    }
    if (flushed == 0)
      watch (db, G_IO_IN);
  }
  if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
    if (!read_input (db))
      return G_SOURCE_CONTINUE;
  }
  pump (db);
  return G_SOURCE_CONTINUE;
}

static void
enqueue (TbDb *db, guint64 session, gboolean script, const char *sql, guint n_params,
         const char *const *params, TbDbResultFunc func, gpointer user_data)
{
  Query *q = g_new0 (Query, 1);

  q->sql = g_strdup (sql);
  q->n_params = n_params;
  q->params = g_new0 (char *, n_params + 1);
  for (guint i = 0; i < n_params; i++)
    q->params[i] = g_strdup (params[i]);
  q->script = script;
  q->session = session;
  q->func = func;
  q->user_data = user_data;
  g_queue_push_tail (&db->queue, q);
  pump_soon (db);
}

void
tb_db_query (TbDb *db, const char *sql, guint n_params, const char *const *params,
             TbDbResultFunc func, gpointer user_data)
{
  enqueue (db, 0, FALSE, sql, n_params, params, func, user_data);
}

void
tb_db_query_on (TbDb *db, guint64 session, const char *sql, guint n_params,
                const char *const *params, TbDbResultFunc func, gpointer user_data)
{
  g_return_if_fail (session != 0);
  enqueue (db, session, FALSE, sql, n_params, params, func, user_data);
}

void
tb_db_script_on (TbDb *db, guint64 session, const char *script, TbDbResultFunc func,
                 gpointer user_data)
{
  g_return_if_fail (session != 0);
  enqueue (db, session, TRUE, script, 0, NULL, func, user_data);
}

/* ---- the object --------------------------------------------------------- */

TbDb *
tb_db_new (const char *conninfo, TbDbStateFunc state_func, gpointer user_data)
{
  TbDb *db = g_new0 (TbDb, 1);

  db->conninfo = g_strdup (conninfo ? conninfo : "");
  db->state_func = state_func;
  db->state_data = user_data;
  db->context = g_main_context_ref_thread_default ();
  db->retry_ms = RETRY_FIRST_MS;
  g_queue_init (&db->queue);
  start_connect (db);
  return db;
}

void
tb_db_free (TbDb *db)
{
  Query *q;

  if (!db)
    return;
  unwatch (db);
  drop (&db->retry_source);
  drop (&db->pump_source);
  g_clear_pointer (&db->result, PQclear);
  g_clear_pointer (&db->conn, PQfinish);
  db->up = FALSE;
  db->state_func = NULL;
  if (db->current)
    query_fail (db, g_steal_pointer (&db->current), G_IO_ERROR, G_IO_ERROR_CANCELLED,
                "the database connection was closed");
  while ((q = g_queue_pop_head (&db->queue)))
    query_fail (db, q, G_IO_ERROR, G_IO_ERROR_CANCELLED, "the database connection was closed");
  g_main_context_unref (db->context);
  g_free (db->conninfo);
  g_free (db);
}

void
tb_db_set_state_func (TbDb *db, TbDbStateFunc state_func, gpointer user_data)
{
  db->state_func = state_func;
  db->state_data = user_data;
}

gboolean
tb_db_is_up (TbDb *db)
{
  return db->up;
}

guint64
tb_db_get_session (TbDb *db)
{
  return db->session;
}

guint
tb_db_get_queue_length (TbDb *db)
{
  return g_queue_get_length (&db->queue) + (db->current ? 1 : 0);
}
