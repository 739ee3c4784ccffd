/* db.h — one asynchronous PostgreSQL connection on the thread-default main
 * context of its creator (libpq non-blocking: PQconnectStart/PQconnectPoll
 * and PQsendQueryParams, driven by a unix fd source on the socket).
 *
 * Queries are parameterised: SQL text with $1..$n and the values as text
 * parameters, never SQL built from strings. They run one at a time in the
 * order they were queued. A query queued while the connection is down waits
 * until it is up again; a query in flight when the connection breaks fails
 * with TB_DB_ERROR_DOWN (it may or may not have been applied). When the
 * server goes away the connection is made again after 1 s, then 2, 4, ...
 * up to 30 s between attempts; every change between up and down is told to
 * the state callback.
 *
 * Every query ends with exactly one call of its TbDbResultFunc, on the main
 * context, never from inside the function that queued it: with the result
 * (error NULL), or with an error (TB_DB_ERROR, or G_IO_ERROR_CANCELLED when
 * the connection is freed first). A callback must not free the TbDb. */
#pragma once

#include <gio/gio.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

#define TB_DB_ERROR (tb_db_error_quark ())
GQuark tb_db_error_quark (void);

typedef enum {
  TB_DB_ERROR_QUERY,   /* the server refused the query: its message     */
  TB_DB_ERROR_DOWN,    /* no connection (any more): libpq's message     */
  /* The query was refused because it broke a constraint (SQLSTATE 23505,
   * 23503, 23514); the message names the constraint. */
  TB_DB_ERROR_UNIQUE,
  TB_DB_ERROR_FOREIGN_KEY,
  TB_DB_ERROR_CHECK,
} TbDbError;

typedef struct _TbDb TbDb;

/* @result belongs to the connection and is valid during the call only;
 * it is NULL exactly when @error is set. */
typedef void (*TbDbResultFunc) (TbDb *db, PGresult *result, const GError *error,
                                gpointer user_data);
/* @up: connected; @message: why it is down (libpq's words), NULL when up. */
typedef void (*TbDbStateFunc) (TbDb *db, gboolean up, const char *message, gpointer user_data);

/* Starts connecting with @conninfo (libpq's "key=value ..." or URI; empty:
 * the PG* environment variables). */
TbDb *tb_db_new (const char *conninfo, TbDbStateFunc state_func, gpointer user_data);
/* Closes the connection; queries still queued end with G_IO_ERROR_CANCELLED. */
void tb_db_free (TbDb *db);

/* Replaces the state callback (NULL: none). */
void tb_db_set_state_func (TbDb *db, TbDbStateFunc state_func, gpointer user_data);

gboolean tb_db_is_up (TbDb *db);
/* Which connection is up: a number that changes with every new connection,
 * 0 while down. */
guint64 tb_db_get_session (TbDb *db);

/* Queues @sql (one statement) with @n_params text parameters (an element
 * NULL is SQL NULL). */
void tb_db_query (TbDb *db, const char *sql, guint n_params, const char *const *params,
                  TbDbResultFunc func, gpointer user_data);
/* Same, but only on connection @session (from tb_db_get_session()): when
 * that connection is gone by the time its turn comes, it ends with
 * TB_DB_ERROR_DOWN. Statements of one transaction are queued this way. */
void tb_db_query_on (TbDb *db, guint64 session, const char *sql, guint n_params,
                     const char *const *params, TbDbResultFunc func, gpointer user_data);
/* Runs @script, several statements without parameters, on @session. Only
 * for SQL that ships with the program (the migrations); never for text
 * that contains data. The result is the last statement's, or the first
 * error. */
void tb_db_script_on (TbDb *db, guint64 session, const char *script, TbDbResultFunc func,
                      gpointer user_data);

/* Queries waiting or in flight. */
guint tb_db_get_queue_length (TbDb *db);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbDb, tb_db_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

G_END_DECLS
