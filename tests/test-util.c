/* test-util.c — helpers shared by the test programs. */
#include "test-util.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <string.h>

const char *const tb_test_good_plugins[] = {
  "stt-teststt", "tts-testtts", "llm-testllm", "tool-testtool", NULL
};

static void
copy_file (const char *from, const char *to)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (from, &data, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (to, data, len, &error);
  g_assert_no_error (error);
}

void
tb_test_add_plugin (const char *dir, const char *name)
{
  g_autofree char *file = g_strconcat (name, ".so", NULL);
  g_autofree char *from = g_build_filename (TB_TEST_PLUGIN_DIR, file, NULL);
  g_autofree char *to = g_build_filename (dir, file, NULL);

  copy_file (from, to);
}

char *
tb_test_plugin_dir_new (const char *const *names)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("tb-plugins-XXXXXX", &error);

  g_assert_no_error (error);
  for (guint i = 0; names && names[i]; i++)
    tb_test_add_plugin (dir, names[i]);
  return dir;
}

TbPluginRegistry *
tb_test_shipped_registry_new (const char *const *files, char **dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TbPluginScan) scan = NULL;
  TbPluginRegistry *registry;
  const char *dirs[] = { NULL, NULL };
  guint n = 0;

  *dir = g_dir_make_tmp ("tb-shipped-XXXXXX", &error);
  g_assert_no_error (error);
  for (; files[n]; n++) {
    g_autofree char *file = g_strconcat (files[n], ".so", NULL);
    g_autofree char *built = g_build_filename (TB_BUILD_ROOT, "plugins", file, NULL);
    g_autofree char *link = g_build_filename (*dir, file, NULL);

    g_assert_true (g_file_test (built, G_FILE_TEST_EXISTS));
    g_assert_cmpint (symlink (built, link), ==, 0);
  }
  registry = tb_plugin_registry_new (tb_test_host ());
  dirs[0] = *dir;
  scan = tb_plugin_registry_scan (registry, dirs);
  for (guint i = 0; i < scan->skipped->len; i++) {
    const TbPluginSkip *skip = g_ptr_array_index (scan->skipped, i);

    g_printerr ("skipped %s: %s\n", skip->path, skip->reason);
  }
  g_assert_cmpuint (scan->skipped->len, ==, 0);
  g_assert_cmpuint (scan->loaded->len, ==, n);
  return registry;
}

char *
tb_test_write_file (const char *dir, const char *file, const char *text)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, file, NULL);

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

void
tb_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir))) {
    g_autofree char *child = g_build_filename (path, name, NULL);

    if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
      tb_test_remove_tree (child);
    else
      g_unlink (child);
  }
  g_rmdir (path);
}

static gint64
test_now_us (const TbHost *host)
{
  return g_get_monotonic_time ();
}

const TbHost *
tb_test_host (void)
{
  static const TbHost host = {
    TB_PLUGIN_ABI_MINOR, sizeof (TbHost), "test", ".", test_now_us, NULL
  };

  return &host;
}

gboolean
tb_test_contains (const char *haystack, const char *needle)
{
  if (haystack && strstr (haystack, needle))
    return TRUE;
  g_printerr ("expected to find:\n  %s\nin:\n%s\n", needle, haystack ? haystack : "(null)");
  return FALSE;
}

int
tb_test_run (const char *const *argv, const char *plugin_path, char **out, char **err)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_set_child_setup (launcher, tb_test_die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "TALKINGBITS_PLUGIN_PATH", plugin_path, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

char *
tb_test_new_token (const char *prefix)
{
  GString *token = g_string_new (prefix);

  for (guint i = 0; i < 4; i++)
    g_string_append_printf (token, "%08x", g_random_int ());
  return g_string_free (token, FALSE);
}

char *
tb_test_wait_for_text (const char *path, const char *needle)
{
  /* Generous: a daemon loading the speech model under ASan takes a while. */
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  g_autofree char *text = NULL;

  do {
    g_clear_pointer (&text, g_free);
    if (g_file_get_contents (path, &text, NULL, NULL) && strstr (text, needle))
      return g_steal_pointer (&text);
    g_usleep (20 * 1000);
  } while (g_get_monotonic_time () < deadline);
  g_printerr ("waited in vain for '%s' in %s:\n%s\n", needle, path, text ? text : "");
  return NULL;
}

guint
tb_test_free_port (void)
{
  /* A port is free once its probe sockets close: the kernel can hand it
   * out again at once, so the ports given out before are skipped (two
   * picked in a row once came out the same, and the daemon called itself). */
  static GHashTable *given;
  G_LOCK_DEFINE_STATIC (given);

  for (int attempt = 0; attempt < 200; attempt++) {
    g_autoptr(GSocket) udp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                           G_SOCKET_PROTOCOL_UDP, NULL);
    g_autoptr(GSocket) tcp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
    g_autoptr(GSocketAddress) bound = NULL;
    g_autoptr(GSocketAddress) same = NULL;
    guint port;

    if (!g_socket_bind (udp, any, FALSE, NULL))
      continue;
    bound = g_socket_get_local_address (udp, NULL);
    port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
    same = g_inet_socket_address_new (lo, port);
    if (!g_socket_bind (tcp, same, FALSE, NULL))
      continue;
    G_LOCK (given);
    if (!given)
      given = g_hash_table_new (NULL, NULL);
    if (!g_hash_table_add (given, GUINT_TO_POINTER (port))) {
      G_UNLOCK (given);
      continue;
    }
    G_UNLOCK (given);
    return port;
  }
  g_error ("no free port on 127.0.0.1");
}

void
tb_test_die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

GSubprocess *
tb_test_start_daemon (const char *conf, const char *plugin_path, const char *log)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_child_setup (launcher, tb_test_die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "TALKINGBITS_PLUGIN_PATH", plugin_path, TRUE);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  process = g_subprocess_launcher_spawn (launcher, &error, TB_DAEMON, "-v", "--config", conf,
                                         NULL);
  g_assert_no_error (error);
  return process;
}

void
tb_test_stop_daemon (GSubprocess *process, int signal_number)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (process, signal_number);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
}

gboolean
tb_test_wait_for_log (const char *path, const char *needle)
{
  g_autofree char *text = tb_test_wait_for_text (path, needle);

  return text != NULL;
}
