/* tool-harness.c — shipped tool plugins under test: loaded by the registry,
 * configured through the host's settings code, invoked on the
 * thread-default context. */
#include "tool-harness.h"

#include "plugin.h"
#include "settings.h"
#include "test-util.h"

#include <gio/gio.h>

struct _TbTestTool {
  char *dir;
  TbPluginRegistry *registry;
  const TbPlugin *plugin;
};

TbTestTool *
tb_test_tool_new (const char *file, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *so = g_strconcat (file, ".so", NULL);
  g_autofree char *from = g_build_filename (TB_BUILD_ROOT, "plugins", so, NULL);
  g_autofree char *to = NULL;
  g_autoptr(GFile) source = g_file_new_for_path (from);
  g_autoptr(GFile) target = NULL;
  g_autoptr(TbPluginScan) scan = NULL;
  TbTestTool *tool = g_new0 (TbTestTool, 1);
  const char *dirs[] = { NULL, NULL };

  tool->dir = g_dir_make_tmp ("tb-tool-XXXXXX", &error);
  g_assert_no_error (error);
  to = g_build_filename (tool->dir, so, NULL);
  target = g_file_new_for_path (to);
  g_file_copy (source, target, G_FILE_COPY_NONE, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  dirs[0] = tool->dir;
  tool->registry = tb_plugin_registry_new (tb_test_host ());
  scan = tb_plugin_registry_scan (tool->registry, dirs);
  for (guint i = 0; i < scan->skipped->len; i++) {
    const TbPluginSkip *skip = g_ptr_array_index (scan->skipped, i);

    g_printerr ("%s skipped: %s\n", skip->path, skip->reason);
  }
  g_assert_cmpuint (scan->skipped->len, ==, 0);
  tool->plugin = tb_plugin_registry_lookup (tool->registry, TB_PLUGIN_KIND_TOOL, name);
  g_assert_nonnull (tool->plugin);
  return tool;
}

void
tb_test_tool_free (TbTestTool *tool)
{
  tb_plugin_registry_free (tool->registry);
  tb_test_remove_tree (tool->dir);
  g_free (tool->dir);
  g_free (tool);
}

const TbPluginDesc *
tb_test_tool_desc (TbTestTool *tool)
{
  return tool->plugin->desc;
}

gpointer
tb_test_tool_instance_new (TbTestTool *tool, const char *group_text, GError **error)
{
  const TbPluginDesc *desc = tool->plugin->desc;
  g_autofree char *text = g_strconcat ("[tool:test]\n", group_text, NULL);
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(TbProblems) problems = tb_problems_new (NULL, NULL);
  g_autoptr(GVariant) settings = NULL;

  if (!g_key_file_load_from_data (keyfile, text, -1, G_KEY_FILE_NONE, error))
    return NULL;
  settings = tb_settings_from_group (keyfile, "tool:test", desc->config_keys, NULL, problems);
  if (!tb_problems_to_error (problems, error))
    return NULL;
  return desc->instance_new (tb_test_host (), settings, error);
}

void
tb_test_tool_instance_free (TbTestTool *tool, gpointer instance)
{
  tool->plugin->desc->instance_free (instance);
}

void
tb_test_tool_assert_refused (TbTestTool *tool, const TbTestToolBadConfig *cases, guint n)
{
  for (guint i = 0; i < n; i++) {
    g_autoptr(GError) error = NULL;

    g_assert_null (tb_test_tool_instance_new (tool, cases[i].config, &error));
    g_assert_nonnull (error);
    g_assert_true (tb_test_contains (error->message, cases[i].message));
  }
}

const TbToolFunction *
tb_test_tool_functions (TbTestTool *tool, gpointer instance)
{
  const TbToolVTable *vtable = tool->plugin->desc->vtable;

  return vtable->functions (instance);
}

void
tb_test_tool_outcome_clear (TbTestToolOutcome *outcome)
{
  g_clear_pointer (&outcome->result, g_free);
  g_clear_error (&outcome->error);
  *outcome = (TbTestToolOutcome) { 0 };
}

static void
on_result (const char *result_json, gpointer user_data)
{
  TbTestToolOutcome *outcome = user_data;

  if (outcome->results++ == 0 && outcome->errors == 0) {
    outcome->result = g_strdup (result_json);
    outcome->ended_us = g_get_monotonic_time ();
  }
}

static void
on_error (const GError *error, gpointer user_data)
{
  TbTestToolOutcome *outcome = user_data;

  if (outcome->errors++ == 0 && outcome->results == 0) {
    outcome->error = g_error_copy (error);
    outcome->ended_us = g_get_monotonic_time ();
  }
}

void
tb_test_tool_start (TbTestTool *tool, gpointer instance, const char *function,
                    const char *arguments_json, GCancellable *cancellable,
                    TbTestToolOutcome *outcome)
{
  static const TbToolCallbacks callbacks = { on_result, on_error };
  const TbToolVTable *vtable = tool->plugin->desc->vtable;
  const TbToolInvocation invocation = {
    .call_id = "call-1234",
    .agent = "reception",
    .caller = "+15550111",
    .callee = "1000",
    .function = function,
    .arguments_json = arguments_json,
  };

  tb_test_tool_outcome_clear (outcome);
  vtable->invoke (instance, &invocation, &callbacks, outcome, cancellable);
  g_assert_cmpuint (outcome->results + outcome->errors, ==, 0);
}

static gboolean
outcome_ended (gpointer data)
{
  TbTestToolOutcome *outcome = data;

  return outcome->results + outcome->errors > 0;
}

void
tb_test_tool_wait (TbTestToolOutcome *outcome, guint linger_ms)
{
  tb_test_iterate_until (outcome_ended, outcome);
  if (linger_ms)
    tb_test_iterate_for (linger_ms);
}

void
tb_test_tool_call (TbTestTool *tool, gpointer instance, const char *function,
                   const char *arguments_json, TbTestToolOutcome *outcome)
{
  tb_test_tool_start (tool, instance, function, arguments_json, NULL, outcome);
  tb_test_tool_wait (outcome, 0);
  tb_test_iterate_for (10);
  g_assert_cmpuint (outcome->results + outcome->errors, ==, 1);
}

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
tb_test_iterate_until (gboolean (*done) (gpointer data), gpointer data)
{
  GMainContext *context = g_main_context_get_thread_default ();
  gboolean expired = FALSE;
  g_autoptr(GSource) guard = g_timeout_source_new_seconds (20);

  g_source_set_callback (guard, set_flag, &expired, NULL);
  g_source_attach (guard, context);
  while (!done (data) && !expired)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (guard);
  g_assert_true (done (data));
}

void
tb_test_iterate_for (guint ms)
{
  GMainContext *context = g_main_context_get_thread_default ();
  gboolean expired = FALSE;
  g_autoptr(GSource) timer = g_timeout_source_new (ms);

  g_source_set_callback (timer, set_flag, &expired, NULL);
  g_source_attach (timer, context);
  while (!expired)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);
}
