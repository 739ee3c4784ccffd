/* test-pg.c — a real PostgreSQL server in a temporary directory for the
 * tests (see test-pg.h). Binaries: $TB_PG_BINDIR, else the newest
 * /usr/lib/postgresql/VERSION/bin (Debian's postgresql package). */
#include "test-pg.h"

#include "test-util.h"

#include <gio/gio.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

/* The account the server runs as when the tests run as root. */
#define PG_RUN_AS "nobody"
#define PG_DATABASE "talkingbits"

static char *
pg_bindir (void)
{
  const char *env = g_getenv ("TB_PG_BINDIR");
  g_autoptr(GDir) dir = NULL;
  const char *name;
  char *best = NULL;
  guint best_version = 0;

  if (env && *env)
    return g_strdup (env);
  dir = g_dir_open ("/usr/lib/postgresql", 0, NULL);
  while (dir && (name = g_dir_read_name (dir))) {
    guint version = (guint) g_ascii_strtoull (name, NULL, 10);
    g_autofree char *bin = g_build_filename ("/usr/lib/postgresql", name, "bin", NULL);
    g_autofree char *initdb = g_build_filename (bin, "initdb", NULL);

    if (version > best_version && g_file_test (initdb, G_FILE_TEST_IS_EXECUTABLE)) {
      g_free (best);
      best = g_steal_pointer (&bin);
      best_version = version;
    }
  }
  if (!best)
    g_error ("no PostgreSQL server found in /usr/lib/postgresql/*/bin (install postgresql) "
             "and TB_PG_BINDIR is not set");
  return best;
}

/* Runs @tool of the server's bin directory with @args (NULL-terminated);
 * @as_server: as the server's account. Returns the exit status; the output
 * in @out. */
static int
run_tool (const char *tool, gboolean as_server, const char *const *args, char **out)
{
  g_autofree char *bindir = pg_bindir ();
  g_autofree char *path = g_build_filename (bindir, tool, NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stdout_text = NULL;

  if (as_server && geteuid () == 0) {
    g_ptr_array_add (argv, "setpriv");
    g_ptr_array_add (argv, "--reuid=" PG_RUN_AS);
    g_ptr_array_add (argv, "--regid=nogroup");
    g_ptr_array_add (argv, "--clear-groups");
    g_ptr_array_add (argv, "--");
  }
  g_ptr_array_add (argv, path);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const char *const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                            &error);
  if (!proc)
    g_error ("cannot run %s: %s", path, error->message);
  if (!g_subprocess_communicate_utf8 (proc, NULL, NULL, &stdout_text, NULL, &error))
    g_error ("%s: %s", path, error->message);
  if (out)
    *out = g_steal_pointer (&stdout_text);
  return g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : 128;
}

static void
chown_to_server (const char *path)
{
  struct passwd *account;

  if (geteuid () != 0)
    return;
  account = getpwnam (PG_RUN_AS);
  if (!account)
    g_error ("tests run as root and there is no account '%s' to run PostgreSQL as", PG_RUN_AS);
  if (chown (path, account->pw_uid, account->pw_gid) != 0)
    g_error ("chown %s: %s", path, g_strerror (errno));
}

/* The server that runs, killed when the test aborts (a failed assertion,
 * g_error(), a fatal critical): a daemon dies with the test by itself, the
 * server (pg_ctl's daemon) would not. */
static volatile pid_t postgres_pid;

static void
on_fatal_signal (int signal_number)
{
  if (postgres_pid > 0)
    kill (postgres_pid, SIGQUIT);
  signal (signal_number, SIG_DFL);
  raise (signal_number);
}

static void
kill_on_abort (TbTestPg *pg)
{
  g_autofree char *pid_file = g_build_filename (pg->data_dir, "postmaster.pid", NULL);
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents (pid_file, &text, NULL, NULL));
  postgres_pid = (pid_t) atoi (text);
  signal (SIGABRT, on_fatal_signal);
  signal (SIGTRAP, on_fatal_signal);
  signal (SIGSEGV, on_fatal_signal);
}

void
tb_test_pg_start (TbTestPg *pg)
{
  g_autofree char *options = g_strdup_printf (
    "-c listen_addresses=127.0.0.1 -p %u -k %s -c fsync=off -c full_page_writes=off", pg->port,
    pg->dir);
  const char *const args[] = { "-w", "-t", "60", "-D", pg->data_dir, "-l", pg->log,
                               "-o", options, "start", NULL };
  g_autofree char *out = NULL;

  if (run_tool ("pg_ctl", TRUE, args, &out) != 0) {
    g_autofree char *log = NULL;

    g_file_get_contents (pg->log, &log, NULL, NULL);
    g_error ("pg_ctl start failed:\n%s\n%s", out, log ? log : "");
  }
  pg->running = TRUE;
  kill_on_abort (pg);
}

void
tb_test_pg_stop (TbTestPg *pg)
{
  const char *const args[] = { "-w", "-D", pg->data_dir, "-m", "fast", "stop", NULL };
  g_autofree char *out = NULL;

  postgres_pid = 0;
  if (run_tool ("pg_ctl", TRUE, args, &out) != 0)
    g_error ("pg_ctl stop failed:\n%s", out);
  pg->running = FALSE;
}

static void
create_database (TbTestPg *pg, const char *name)
{
  g_autofree char *port = g_strdup_printf ("%u", pg->port);
  const char *const args[] = { "-h", "127.0.0.1", "-p", port, "-U", "postgres", name, NULL };
  g_autofree char *out = NULL;

  if (run_tool ("createdb", FALSE, args, &out) != 0)
    g_error ("createdb %s failed:\n%s", name, out);
}

char *
tb_test_pg_create_database (TbTestPg *pg, const char *name)
{
  create_database (pg, name);
  return g_strdup_printf ("host=127.0.0.1 port=%u user=postgres dbname=%s", pg->port, name);
}

TbTestPg *
tb_test_pg_new (void)
{
  TbTestPg *pg = g_new0 (TbTestPg, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  pg->dir = g_dir_make_tmp ("tb-pg-XXXXXX", &error);
  g_assert_no_error (error);
  chown_to_server (pg->dir);
  pg->data_dir = g_build_filename (pg->dir, "data", NULL);
  pg->log = g_build_filename (pg->dir, "server.log", NULL);
  {
    const char *const args[] = { "-D", pg->data_dir, "-U", "postgres", "--auth=trust",
                                 "-E", "UTF8", "--no-locale", "--no-sync", NULL };

    if (run_tool ("initdb", TRUE, args, &out) != 0)
      g_error ("initdb failed:\n%s", out);
  }
  pg->port = tb_test_free_port ();
  tb_test_pg_start (pg);
  create_database (pg, PG_DATABASE);
  pg->conninfo = g_strdup_printf ("host=127.0.0.1 port=%u user=postgres dbname=" PG_DATABASE,
                                  pg->port);
  return pg;
}

char *
tb_test_pg_psql (TbTestPg *pg, const char *conninfo, const char *sql, char **err)
{
  const char *const args[] = { "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                               "-d", conninfo ? conninfo : pg->conninfo, "-c", sql, NULL };
  g_autofree char *out = NULL;

  if (run_tool ("psql", FALSE, args, &out) != 0) {
    if (err)
      *err = g_steal_pointer (&out);
    return NULL;
  }
  return g_strdup (g_strstrip (out));
}

void
tb_test_pg_free (TbTestPg *pg)
{
  if (!pg)
    return;
  if (pg->running)
    tb_test_pg_stop (pg);
  tb_test_remove_tree (pg->dir);
  g_free (pg->dir);
  g_free (pg->data_dir);
  g_free (pg->log);
  g_free (pg->conninfo);
  g_free (pg);
}
