/* test-daemon.c — the talkingbits process: options, --check-config, refusing
 * to start, logging what loaded and what was skipped, SIGHUP reload and
 * rescan, keeping the old state when a reload fails, clean stop, secrets. */
#include "test-util.h"

#include <signal.h>
#include <string.h>


#define SECRET_VALUE "sk-live-daemon-5ecret-7781"

#define VALID_CONF \
  "[talkingbits]\nplugin-path=\n[sip]\nlisten=127.0.0.1:0\n[http]\nlisten=\n" \
  "[agent:a]\nnumbers=1000\nstt=teststt\ntts=testtts\nllm=testllm\n" \
  "[llm:testllm]\napi-key-env=TB_TEST_SECRET\n"

static void
test_version (void)
{
  const char *argv[] = { TB_DAEMON, "--version", NULL };
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (tb_test_run (argv, "", &out, &err), ==, 0);
  g_assert_true (g_str_has_prefix (out, "talkingbits 0.1.0 (plugin ABI 1.1)"));
}

static void
test_bad_option (void)
{
  const char *argv[] = { TB_DAEMON, "--no-such-option", NULL };
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (tb_test_run (argv, "", &out, &err), ==, 2);
  g_assert_true (tb_test_contains (err, "no-such-option"));
}

static void
test_check_config (void)
{
  g_autofree char *plugins = tb_test_plugin_dir_new (tb_test_good_plugins);
  g_autofree char *conf = tb_test_write_file (plugins, "tb_test_good_plugins.conf", VALID_CONF);
  g_autofree char *bad = tb_test_write_file (plugins, "bad.conf",
    "[talkingbits]\nplugin-path=\n[sip]\nlisten=127.0.0.1:0\n"
    "[agent:a]\nnumbers=1000\nstt=teststt\ntts=testtts\nllm=testllm\ngreting=Hi\n");
  const char *good_argv[] = { TB_DAEMON, "--check-config", "--config", conf, NULL };
  const char *bad_argv[] = { TB_DAEMON, "--check-config", "--config", bad, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *expected = g_strdup_printf ("%s:10: [agent:a] greting: unknown key "
                                               "(did you mean 'greeting'?)", bad);

  g_assert_cmpint (tb_test_run (good_argv, plugins, &out, &err), ==, 0);
  g_assert_true (tb_test_contains (out, "configuration is valid"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* A misspelled key: exit 1, and the message names file, line, group, key. */
  g_assert_cmpint (tb_test_run (bad_argv, plugins, &out, &err), ==, 1);
  g_assert_true (tb_test_contains (err, expected));
  tb_test_remove_tree (plugins);
}

static void
test_refuses_missing_provider (void)
{
  g_autofree char *plugins = tb_test_plugin_dir_new (tb_test_good_plugins);
  g_autofree char *conf = tb_test_write_file (plugins, "t.conf",
    "[talkingbits]\nplugin-path=\n[sip]\nlisten=127.0.0.1:0\n[agent:sales]\nstt=teststt\ntts=testtts\nllm=openai\n");
  const char *argv[] = { TB_DAEMON, "--config", conf, NULL };
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (tb_test_run (argv, plugins, &out, &err), ==, 1);
  g_assert_true (tb_test_contains (err, "[agent:sales] llm: no llm provider 'openai'"));
  g_assert_true (tb_test_contains (err, "not started"));
  tb_test_remove_tree (plugins);
}

static void
test_lifecycle (void)
{
  g_autofree char *plugins = tb_test_plugin_dir_new (tb_test_good_plugins);
  g_autofree char *garbage = tb_test_write_file (plugins, "x.so", "garbage, not ELF\n");
  g_autofree char *conf = tb_test_write_file (plugins, "t.conf", VALID_CONF);
  g_autofree char *log = g_build_filename (plugins, "daemon.log", NULL);
  g_autoptr(GSubprocess) daemon = tb_test_start_daemon (conf, plugins, log);
  g_autofree char *skipped = g_strdup_printf ("skipped plugin %s: not a loadable shared object",
                                              garbage);
  g_autofree char *text = NULL;

  /* Started: it logs the plugins it loaded and the garbage it skipped. */
  text = tb_test_wait_for_text (log, "ready");
  g_assert_nonnull (text);
  g_assert_true (tb_test_contains (text, "loaded llm plugin 'testllm' 9.8.7"));
  g_assert_true (tb_test_contains (text, "loaded tool plugin 'testtool'"));
  g_assert_true (tb_test_contains (text, skipped));
  g_assert_true (tb_test_contains (text, "1 agents, 3 providers, 4 plugins loaded"));
  g_clear_pointer (&text, g_free);

  /* Drop a new plugin and use it: SIGHUP rescans and reloads. */
  tb_test_add_plugin (plugins, "tts-latetts");
  g_free (tb_test_write_file (plugins, "t.conf",
    "[talkingbits]\nplugin-path=\n[sip]\nlisten=127.0.0.1:0\n[http]\nlisten=\n"
    "[agent:a]\nnumbers=1000\nstt=teststt\ntts=latetts\nllm=testllm\n"
    "[agent:b]\nnumbers=2000\nstt=teststt\ntts=testtts\nllm=testllm\n"));
  g_subprocess_send_signal (daemon, SIGHUP);
  text = tb_test_wait_for_text (log, "2 agents, 4 providers, 5 plugins loaded");
  g_assert_nonnull (text);
  g_assert_true (tb_test_contains (text, "loaded tts plugin 'latetts' 9.8.7"));
  g_clear_pointer (&text, g_free);

  /* A broken config on reload: reported, the process and old state stay. */
  g_free (tb_test_write_file (plugins, "t.conf",
    "[talkingbits]\nplugin-path=\n[sip]\nlisten=127.0.0.1:0\n[http]\nlisten=\n[agent:a]\nstt=teststt\ntts=testtts\nllm=testllm\nvoise=x\n"));
  g_subprocess_send_signal (daemon, SIGHUP);
  text = tb_test_wait_for_text (log, "[agent:a] voise: unknown key");
  g_assert_nonnull (text);
  g_assert_true (tb_test_contains (text, "reload failed, the previous configuration stays in use "
                                         "(2 agents, 4 providers)"));
  g_clear_pointer (&text, g_free);

  /* Still running: SIGTERM stops it cleanly; no secret was ever logged, even with -v. */
  tb_test_stop_daemon (daemon, SIGTERM);
  g_file_get_contents (log, &text, NULL, NULL);
  g_assert_true (tb_test_contains (text, "stopping"));
  g_assert_true (tb_test_contains (text, "stopped"));
  g_assert_null (strstr (text, SECRET_VALUE));
  tb_test_remove_tree (plugins);
}

static void
test_ctrl_c (void)
{
  g_autofree char *plugins = tb_test_plugin_dir_new (tb_test_good_plugins);
  g_autofree char *conf = tb_test_write_file (plugins, "t.conf", VALID_CONF);
  g_autofree char *log = g_build_filename (plugins, "daemon.log", NULL);
  g_autoptr(GSubprocess) daemon = tb_test_start_daemon (conf, plugins, log);
  g_autofree char *text = tb_test_wait_for_text (log, "ready");

  g_assert_nonnull (text);
  tb_test_stop_daemon (daemon, SIGINT);
  tb_test_remove_tree (plugins);
}

int
main (int argc, char **argv)
{
  g_setenv ("TB_TEST_SECRET", SECRET_VALUE, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/daemon/version", test_version);
  g_test_add_func ("/daemon/bad-option", test_bad_option);
  g_test_add_func ("/daemon/check-config", test_check_config);
  g_test_add_func ("/daemon/refuses-missing-provider", test_refuses_missing_provider);
  g_test_add_func ("/daemon/lifecycle", test_lifecycle);
  g_test_add_func ("/daemon/ctrl-c", test_ctrl_c);
  return g_test_run ();
}
