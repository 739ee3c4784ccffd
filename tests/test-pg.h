/* test-pg.h — a real PostgreSQL server for the tests, in a temporary
 * directory: initdb, pg_ctl start on 127.0.0.1 on a free port (and a unix
 * socket in the directory), one database, a conninfo for it; stopped and
 * removed at the end. As root, the server runs as the unprivileged account
 * "nobody" (initdb and postgres refuse root): its commands go through
 * setpriv and the directory is chowned to it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *dir;        /* temporary directory: data/, the socket, server.log */
  char *data_dir;
  char *log;
  guint port;
  char *conninfo;   /* "host=127.0.0.1 port=P user=postgres dbname=talkingbits" */
  gboolean running;
} TbTestPg;

/* Creates the cluster and the database and starts the server; the test
 * fails (g_error) with the tools' output when that is impossible. */
TbTestPg *tb_test_pg_new (void);
/* pg_ctl -m fast stop: the server closes every connection. */
void tb_test_pg_stop (TbTestPg *pg);
/* pg_ctl -w start again, on the same port. */
void tb_test_pg_start (TbTestPg *pg);
/* Stops the server if it runs and removes the directory. */
void tb_test_pg_free (TbTestPg *pg);

/* Creates another database @name on the server; its conninfo. */
char *tb_test_pg_create_database (TbTestPg *pg, const char *name);

/* Runs @sql with psql against @conninfo (NULL: pg->conninfo); its output
 * (unaligned, tuples only, '|'-separated), or NULL when psql fails (its
 * error in @err). */
char *tb_test_pg_psql (TbTestPg *pg, const char *conninfo, const char *sql, char **err);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbTestPg, tb_test_pg_free)

G_END_DECLS
