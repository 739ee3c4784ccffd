/* test-inspect.c — talkingbits-inspect: the table of plugins and skipped
 * files, one plugin's config keys, and exit 1 for an unknown name. */
#include "test-util.h"

#include <string.h>


typedef struct {
  char *dir;
  char *conf;
} Fixture;

static void
set_up (Fixture *f, gconstpointer data)
{
  f->dir = tb_test_plugin_dir_new (tb_test_good_plugins);
  tb_test_add_plugin (f->dir, "bad-abi-major");
  g_free (tb_test_write_file (f->dir, "x.so", "not a shared object\n"));
  f->conf = tb_test_write_file (f->dir, "t.conf", "[talkingbits]\nplugin-path=\n");
}

static void
tear_down (Fixture *f, gconstpointer data)
{
  tb_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->conf);
}

static int
inspect (Fixture *f, const char *name, char **out, char **err)
{
  const char *argv[] = { TB_INSPECT, "--config", f->conf, name, NULL };

  return tb_test_run (argv, f->dir, out, err);
}

static void
test_table (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *x = g_strdup_printf ("%s/x.so: not a loadable shared object", f->dir);
  g_autofree char *abi = g_strdup_printf ("%s/bad-abi-major.so: built for plugin ABI 2.%d", f->dir,
                                          TB_PLUGIN_ABI_MINOR);
  g_auto(GStrv) lines = NULL;
  gboolean found_llm = FALSE;

  g_assert_cmpint (inspect (f, NULL, &out, &err), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  g_assert_true (g_regex_match_simple ("^KIND +NAME +VERSION +FILE +DESCRIPTION$", lines[0], 0, 0));
  for (guint i = 1; lines[i]; i++) {
    g_auto(GStrv) cols = g_regex_split_simple (" {2,}", lines[i], 0, 0);

    if (g_strv_length (cols) == 5 && g_str_equal (cols[1], "testllm")) {
      g_autofree char *file = g_build_filename (f->dir, "llm-testllm.so", NULL);

      g_assert_cmpstr (cols[0], ==, "llm");
      g_assert_cmpstr (cols[2], ==, "9.8.7");
      g_assert_cmpstr (cols[3], ==, file);
      g_assert_cmpstr (cols[4], ==, "Test plugin testllm");
      found_llm = TRUE;
    }
  }
  g_assert_true (found_llm);
  for (guint i = 0; tb_test_good_plugins[i]; i++)
    g_assert_true (tb_test_contains (out, tb_test_good_plugins[i]));
  g_assert_true (tb_test_contains (out, "4 plugins loaded, 2 files skipped:"));
  g_assert_true (tb_test_contains (out, x));
  g_assert_true (tb_test_contains (out, abi));
}

static void
test_one_plugin (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (inspect (f, "testllm", &out, &err), ==, 0);
  g_assert_true (tb_test_contains (out, "llm plugin 'testllm'"));
  g_assert_true (tb_test_contains (out, "Version:      9.8.7"));
  g_assert_true (tb_test_contains (out, "License:      LGPL-2.1-or-later"));
  g_assert_true (g_regex_match_simple ("max-tokens +integer +default: 256  range: 1 to 4096\n"
                                       " +Longest reply", out, 0, 0));
  g_assert_true (g_regex_match_simple ("format +choice +default: pcm  one of: pcm\\|ulaw", out, 0, 0));
  g_assert_true (g_regex_match_simple ("api-key-env +secret-env +no default", out, 0, 0));
  g_assert_true (g_regex_match_simple ("stop +list +default: \"\"", out, 0, 0));
  g_assert_true (g_regex_match_simple ("stream +boolean +default: true", out, 0, 0));
  g_assert_true (g_regex_match_simple ("temperature +number +default: 0.7  range: 0 to 2", out, 0, 0));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (inspect (f, "testtool", &out, &err), ==, 0);
  g_assert_true (g_regex_match_simple ("url +string +required", out, 0, 0));
}

static void
test_unknown_name (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (inspect (f, "nosuch", &out, &err), ==, 1);
  g_assert_true (tb_test_contains (err, "no plugin named 'nosuch'"));
  g_assert_cmpstr (out, ==, "");
}

/* The shipped plugins, found where the build puts them. */
static void
test_shipped_plugins (void)
{
  g_autofree char *plugins = g_build_filename (TB_BUILD_ROOT, "plugins", NULL);
  const char *argv[] = { TB_INSPECT, "--config", "/dev/null", "clock", NULL };
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (tb_test_run (argv, plugins, &out, &err), ==, 0);
  g_assert_true (tb_test_contains (out, "tool plugin 'clock'"));
  g_assert_true (g_regex_match_simple ("default-timezone +string +default: UTC", out, 0, 0));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/inspect/table", Fixture, NULL, set_up, test_table, tear_down);
  g_test_add ("/inspect/one-plugin", Fixture, NULL, set_up, test_one_plugin, tear_down);
  g_test_add ("/inspect/unknown-name", Fixture, NULL, set_up, test_unknown_name, tear_down);
  g_test_add_func ("/inspect/shipped-plugins", test_shipped_plugins);
  return g_test_run ();
}
