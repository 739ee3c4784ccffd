/* tool-harness.h — a shipped tool plugin (build/plugins/tool-*.so) loaded
 * through the registry as the daemon loads it, instances made from keyfile
 * text through the host's settings code, and invocations run on the
 * thread-default context until their terminal callback. */
#pragma once

#include "talkingbits-plugin.h"

G_BEGIN_DECLS

typedef struct _TbTestTool TbTestTool;

/* Loads @file ("tool-webhook": build/plugins/tool-webhook.so, copied to a
 * temporary directory) and finds tool plugin @name in it. */
TbTestTool *tb_test_tool_new (const char *file, const char *name);
void tb_test_tool_free (TbTestTool *tool);
const TbPluginDesc *tb_test_tool_desc (TbTestTool *tool);

/* An instance configured by @group_text (the keys of a [tool:NAME]
 * group, "url=...\n..."), or NULL with @error set: problems the host finds
 * in the settings, or the plugin's instance_new error. */
gpointer tb_test_tool_instance_new (TbTestTool *tool, const char *group_text, GError **error);
void tb_test_tool_instance_free (TbTestTool *tool, gpointer instance);

/* A configuration that must be refused, and words the error must hold. */
typedef struct {
  const char *config;
  const char *message;
} TbTestToolBadConfig;

/* Asserts that each of the @n configurations in @cases is refused with
 * its message (by the host's checks or by the plugin). */
void tb_test_tool_assert_refused (TbTestTool *tool, const TbTestToolBadConfig *cases, guint n);
const TbToolFunction *tb_test_tool_functions (TbTestTool *tool, gpointer instance);

/* What the callbacks of one invocation saw. */
typedef struct {
  guint results;
  guint errors;
  char *result;      /* the first result */
  GError *error;     /* the first error  */
  gint64 ended_us;   /* monotonic time of the first terminal callback */
} TbTestToolOutcome;

void tb_test_tool_outcome_clear (TbTestToolOutcome *outcome);

/* Starts @function with @arguments_json; asserts that no callback ran
 * inside invoke(). */
void tb_test_tool_start (TbTestTool *tool, gpointer instance, const char *function,
                         const char *arguments_json, GCancellable *cancellable,
                         TbTestToolOutcome *outcome);
/* Iterates the thread-default context until @outcome has a terminal
 * callback (fails the test after 20 s), then for @linger_ms more, so that
 * a second callback would be seen. */
void tb_test_tool_wait (TbTestToolOutcome *outcome, guint linger_ms);
/* Both, for the common case; asserts one terminal callback. */
void tb_test_tool_call (TbTestTool *tool, gpointer instance, const char *function,
                        const char *arguments_json, TbTestToolOutcome *outcome);

/* Iterates the thread-default context until @done (@data) is TRUE; fails
 * the test after 20 s. */
void tb_test_iterate_until (gboolean (*done) (gpointer data), gpointer data);
/* Iterates it for @ms. */
void tb_test_iterate_for (guint ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbTestTool, tb_test_tool_free)

G_END_DECLS
