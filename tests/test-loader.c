/* test-loader.c — plugin discovery: tb_test_good_plugins plugins, every way a file is
 * refused, shadowing, and a rescan that picks up a newly dropped .so. */
#include "plugin.h"
#include "test-util.h"

#include <string.h>


static TbPluginScan *
scan_dir (TbPluginRegistry *registry, const char *dir)
{
  const char *const dirs[] = { dir, NULL };

  return tb_plugin_registry_scan (registry, dirs);
}

static void
test_good_plugins (void)
{
  g_autofree char *dir = tb_test_plugin_dir_new (tb_test_good_plugins);
  g_autoptr(TbPluginRegistry) registry = tb_plugin_registry_new (tb_test_host ());
  g_autoptr(TbPluginScan) scan = scan_dir (registry, dir);
  const TbPlugin *llm;

  g_assert_cmpuint (scan->loaded->len, ==, 4);
  g_assert_cmpuint (scan->skipped->len, ==, 0);
  g_assert_nonnull (tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_STT, "teststt"));
  g_assert_nonnull (tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_TTS, "testtts"));
  g_assert_nonnull (tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_TOOL, "testtool"));
  llm = tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_LLM, "testllm");
  g_assert_nonnull (llm);
  g_assert_cmpstr (llm->desc->version, ==, "9.8.7");
  g_assert_true (g_str_has_suffix (llm->path, "llm-testllm.so"));
  /* Kind and name together identify a plugin. */
  g_assert_null (tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_TTS, "testllm"));
  tb_test_remove_tree (dir);
}

typedef struct {
  const char *file;      /* test plugin, or NULL for a garbage x.so */
  const char *reason;    /* expected in the skip reason */
} BadCase;

static const BadCase bad_cases[] = {
  { NULL, "not a loadable shared object" },
  { "bad-no-symbol", "no tb_plugin_describe() symbol" },
  { "bad-abi-major", "built for plugin ABI 2.1; this daemon speaks ABI 1.1" /* minor: ours */ },
  { "bad-abi-minor", "built for plugin ABI 1.99, newer than this daemon's 1.1" },
  { "bad-init-fails", "init failed: cannot open the model file" },
  { "bad-no-chat", "llm vtable lacks chat" },
  { "bad-default", "config key 'port': default 'abc' is invalid: expected an integer" },
  { "bad-name", "invalid plugin name 'Bad Name'" },
};

static void
test_bad_plugin (gconstpointer data)
{
  const BadCase *bad = data;
  g_autofree char *dir = tb_test_plugin_dir_new (tb_test_good_plugins);
  g_autoptr(TbPluginRegistry) registry = tb_plugin_registry_new (tb_test_host ());
  g_autoptr(TbPluginScan) scan = NULL;
  g_autofree char *expected_path = NULL;
  const TbPluginSkip *skip;

  if (bad->file) {
    tb_test_add_plugin (dir, bad->file);
    expected_path = g_strdup_printf ("%s/%s.so", dir, bad->file);
  } else {
    expected_path = tb_test_write_file (dir, "x.so", "this is not an ELF file\n");
  }
  scan = scan_dir (registry, dir);

  /* The bad file is skipped, named, with its reason; the rest still loads. */
  g_assert_cmpuint (scan->skipped->len, ==, 1);
  skip = g_ptr_array_index (scan->skipped, 0);
  g_assert_cmpstr (skip->path, ==, expected_path);
  g_assert_true (tb_test_contains (skip->reason, bad->reason));
  g_assert_cmpuint (scan->loaded->len, ==, 4);
  tb_test_remove_tree (dir);
}

static void
test_shadowing (void)
{
  const char *const first_names[] = { "llm-testllm", NULL };
  const char *const second_names[] = { "llm-duplicate", "tts-testtts", NULL };
  g_autofree char *first = tb_test_plugin_dir_new (first_names);
  g_autofree char *second = tb_test_plugin_dir_new (second_names);
  const char *const dirs[] = { first, second, NULL };
  g_autoptr(TbPluginRegistry) registry = tb_plugin_registry_new (tb_test_host ());
  g_autoptr(TbPluginScan) scan = tb_plugin_registry_scan (registry, dirs);
  g_autofree char *winner = g_build_filename (first, "llm-testllm.so", NULL);
  g_autofree char *loser = g_build_filename (second, "llm-duplicate.so", NULL);
  g_autofree char *expected = g_strdup_printf ("duplicate llm plugin 'testllm': shadowed by %s", winner);
  const TbPluginSkip *skip;

  g_assert_cmpuint (scan->loaded->len, ==, 2);
  g_assert_cmpuint (scan->skipped->len, ==, 1);
  skip = g_ptr_array_index (scan->skipped, 0);
  g_assert_cmpstr (skip->path, ==, loser);
  g_assert_cmpstr (skip->reason, ==, expected);
  g_assert_cmpstr (tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_LLM, "testllm")->path,
                   ==, winner);
  tb_test_remove_tree (first);
  tb_test_remove_tree (second);
}

static void
test_rescan_adds (void)
{
  g_autofree char *dir = tb_test_plugin_dir_new (tb_test_good_plugins);
  g_autoptr(TbPluginRegistry) registry = tb_plugin_registry_new (tb_test_host ());
  g_autoptr(TbPluginScan) first = scan_dir (registry, dir);
  g_autoptr(TbPluginScan) second = NULL;
  g_autoptr(TbPluginScan) third = NULL;
  const TbPlugin *testllm = tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_LLM, "testllm");

  g_assert_null (tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_TTS, "latetts"));
  tb_test_add_plugin (dir, "tts-latetts");
  second = scan_dir (registry, dir);

  /* Only the new file is loaded; loaded plugins stay as they are. */
  g_assert_cmpuint (second->loaded->len, ==, 1);
  g_assert_cmpstr (((const TbPlugin *) g_ptr_array_index (second->loaded, 0))->desc->name, ==,
                   "latetts");
  g_assert_cmpuint (second->skipped->len, ==, 0);
  g_assert_true (tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_LLM, "testllm") == testllm);
  g_assert_nonnull (tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_TTS, "latetts"));
  g_assert_cmpuint (tb_plugin_registry_get_plugins (registry)->len, ==, 5);

  third = scan_dir (registry, dir);
  g_assert_cmpuint (third->loaded->len, ==, 0);
  g_assert_cmpuint (third->skipped->len, ==, 0);
  tb_test_remove_tree (dir);
}

static void
test_missing_dir (void)
{
  g_autoptr(TbPluginRegistry) registry = tb_plugin_registry_new (tb_test_host ());
  g_autoptr(TbPluginScan) scan = scan_dir (registry, "/nonexistent/talkingbits/plugins");

  g_assert_cmpuint (scan->loaded->len, ==, 0);
  g_assert_cmpuint (scan->skipped->len, ==, 0);
}

static void
test_search_path_order (void)
{
  const char *const config_dirs[] = { "/from/config", "", NULL };
  g_auto(GStrv) dirs = NULL;

  g_setenv ("TALKINGBITS_PLUGIN_PATH", "/env/one::/env/two", TRUE);
  dirs = tb_plugin_search_path (config_dirs);
  g_unsetenv ("TALKINGBITS_PLUGIN_PATH");

  g_assert_cmpuint (g_strv_length (dirs), ==, 3);
  g_assert_cmpstr (dirs[0], ==, "/from/config");
  g_assert_cmpstr (dirs[1], ==, "/env/one");
  g_assert_cmpstr (dirs[2], ==, "/env/two");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/loader/tb_test_good_plugins", test_good_plugins);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/loader/bad/%s",
                                             bad_cases[i].file ? bad_cases[i].file : "garbage");

    g_test_add_data_func (path, &bad_cases[i], test_bad_plugin);
  }
  g_test_add_func ("/loader/shadowing", test_shadowing);
  g_test_add_func ("/loader/rescan-adds", test_rescan_adds);
  g_test_add_func ("/loader/missing-dir", test_missing_dir);
  g_test_add_func ("/loader/search-path-order", test_search_path_order);
  return g_test_run ();
}
