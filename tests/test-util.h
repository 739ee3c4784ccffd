/* test-util.h — helpers shared by the test programs: temporary plugin
 * directories built from the test plugins, files, and a host. */
#pragma once

#include "talkingbits-plugin.h"
#include "plugin.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/* One good test plugin of each kind. */
extern const char *const tb_test_good_plugins[];

/* A new temporary directory holding copies of the test plugins @names
 * ("llm-testllm", ...). Remove it with tb_test_remove_tree(). */
char *tb_test_plugin_dir_new (const char *const *names);
/* Copies test plugin @name into @dir. */
void tb_test_add_plugin (const char *dir, const char *name);
/* A registry of the shipped plugins @files ("llm-openai": build/plugins/
 * llm-openai.so), linked into a new temporary directory (@dir: remove it
 * with tb_test_remove_tree()); asserts that each one loads. */
TbPluginRegistry *tb_test_shipped_registry_new (const char *const *files, char **dir);
/* Writes @text to @dir/@file. Returns the path. */
char *tb_test_write_file (const char *dir, const char *file, const char *text);
void tb_test_remove_tree (const char *path);

const TbHost *tb_test_host (void);

/* TRUE when @haystack contains @needle; prints both otherwise, so a failed
 * assertion shows what was there. */
gboolean tb_test_contains (const char *haystack, const char *needle);

/* Runs @argv with TALKINGBITS_PLUGIN_PATH=@plugin_path (and this
 * process's environment); returns the exit status and the output in @out
 * and @err. The child dies with the test. */
int tb_test_run (const char *const *argv, const char *plugin_path, char **out, char **err);

/* A random API token: @prefix and 32 hex digits. */
char *tb_test_new_token (const char *prefix);

/* A port free on 127.0.0.1 for both UDP and TCP, right now. */
guint tb_test_free_port (void);

/* A GSubprocessLauncher child setup: the child is killed when the test
 * dies, so a daemon or a fake never outlives a test that failed before
 * stopping it. */
void tb_test_die_with_parent (gpointer data);

/* Starts the daemon (-v --config @conf) with TALKINGBITS_PLUGIN_PATH
 * @plugin_path, stdout and stderr to @log. */
GSubprocess *tb_test_start_daemon (const char *conf, const char *plugin_path, const char *log);
/* Sends @signal_number and waits for a clean exit (status 0). */
void tb_test_stop_daemon (GSubprocess *daemon, int signal_number);

/* Waits up to 60 s until @path contains @needle; returns its content then,
 * or NULL (after printing it) when it never did. */
char *tb_test_wait_for_text (const char *path, const char *needle);

/* tb_test_wait_for_text() for a yes or no. */
gboolean tb_test_wait_for_log (const char *path, const char *needle);

G_END_DECLS
