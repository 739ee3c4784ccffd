/* tb-simulate.h — what the files of tb-simulate share: its options, and
 * the caller's audio they describe. */
#pragma once

#include "config.h"

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  char *config;          /* --config, NULL: the default */
  char *agent;           /* --agent, NULL: the default agent */
  char *input;           /* --input: a gst-launch source description */
  char **say;            /* --say: sentences the caller says, in order */
  char *output;          /* --output: WAV of what the agent said */
  guint timeout_s;       /* --timeout: the longest simulated call */
  gboolean verbose;
} TbSimulateOptions;

gboolean tb_simulate_parse_options (int *argc, char ***argv, TbSimulateOptions *options,
                                    GError **error);
void tb_simulate_options_clear (TbSimulateOptions *options);

/* The caller's audio at @rate: the --input source decoded whole (returned),
 * and each --say sentence spoken by @agent's TTS (appended to @sayings as
 * gint16 GArrays). Runs the thread-default context while it synthesises. */
GArray *tb_simulate_read_input (const TbSimulateOptions *options, TbConfig *config,
                                const TbAgentConfig *agent, guint rate, const TbHost *host,
                                GPtrArray *sayings, GError **error);

G_END_DECLS
