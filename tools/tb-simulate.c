/* tb-simulate.c — an agent on a simulated line, no phone needed: the same
 * conversation engine and plugins as the daemon, fed the caller's audio
 * from a gst-launch source description (or sentences spoken by the agent's
 * own TTS, each said once the agent has finished talking), in real time,
 * 20 ms at a time. Writes what the agent said to a WAV file and prints the
 * transcript with every turn's metrics as JSON.
 *
 *   tb-simulate --config talkingbits.conf --agent demo \
 *     --input 'filesrc location=caller.wav ! decodebin' --output heard.wav
 *   tb-simulate --agent demo --say 'I would like to book an appointment' --say tomorrow */
#define G_LOG_DOMAIN "tb-simulate"

#include "audio-file.h"
#include "conversation.h"
#include "daemon.h"
#include "log.h"
#include "tb-simulate.h"

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#define FRAME_MS 20
/* A --say sentence is spoken once the agent has answered the previous one
 * (or greeted) and been quiet this long, or when it has not answered at
 * all for GIVE_UP_MS. */
#define POLITE_PAUSE_MS 800
#define GIVE_UP_MS 8000
/* The simulation ends once the caller is done and the agent has been
 * quiet this long. */
#define DONE_QUIET_MS 3000

typedef struct {
  TbConversation *conversation;
  TbSimulateOptions options;
  guint rate;
  GMainLoop *loop;
  GArray *caller;            /* the caller's audio still to send */
  GPtrArray *sayings;        /* gint16 GArrays: --say sentences, in order */
  guint next_saying;
  GArray *agent;             /* the agent's audio queued, not yet "sent" */
  TbWavWriter *output;
  guint quiet_ms;            /* since the agent last made a sound */
  gboolean answered;         /* the agent spoke since the caller's last sentence */
  guint waited_ms;           /* since the caller's last sentence ended */
  guint elapsed_ms;
  gboolean was_speaking;
  char *hangup;              /* why the agent hung up, if it did */
  char *transfer;
} Line;

/* ---- the peer: a line in memory ---------------------------------------- */

static void
line_play (gpointer data, const gint16 *samples, gsize n)
{
  g_array_append_vals (((Line *) data)->agent, samples, n);
}

static void
line_flush (gpointer data)
{
  g_array_set_size (((Line *) data)->agent, 0);
}

static guint64
line_unplayed (gpointer data)
{
  return ((Line *) data)->agent->len;
}

static gboolean
line_send_dtmf (gpointer data, const char *digits, GError **error)
{
  g_message ("the agent pressed %s", digits);
  return TRUE;
}

static void
line_hangup (gpointer data, const char *reason)
{
  Line *line = data;

  g_message ("the agent hung up (%s)", reason);
  g_free (line->hangup);
  line->hangup = g_strdup (reason);
}

static void
line_transfer (gpointer data, const char *target)
{
  Line *line = data;

  g_message ("the agent transferred the call to %s", target);
  g_free (line->transfer);
  line->transfer = g_strdup (target);
  line_hangup (line, "transferred");
}

static const TbConversationPeer line_peer = {
  "simulated", "simulator", "simulation", NULL, line_play, line_flush, line_unplayed, line_send_dtmf,
  line_hangup, line_transfer, NULL, NULL,
};

/* ---- the clock ----------------------------------------------------------- */

static gboolean
caller_done (Line *line)
{
  return line->caller->len == 0 && line->next_saying >= line->sayings->len;
}

static gboolean
tick (gpointer data)
{
  Line *line = data;
  gsize frame = line->rate * FRAME_MS / 1000;
  g_autofree gint16 *in = g_new0 (gint16, frame);
  g_autofree gint16 *out = g_new0 (gint16, frame);
  g_autoptr(GError) error = NULL;
  gsize n;

  line->elapsed_ms += FRAME_MS;
  /* The caller: the input, or the next sentence once the agent has
   * answered the last one. */
  if (line->caller->len == 0 && line->next_saying < line->sayings->len &&
      ((line->answered && line->quiet_ms >= POLITE_PAUSE_MS) || line->waited_ms >= GIVE_UP_MS)) {
    GArray *saying = g_ptr_array_index (line->sayings, line->next_saying++);

    g_array_append_vals (line->caller, saying->data, saying->len);
    line->answered = FALSE;
    line->waited_ms = 0;
  }
  if (line->caller->len == 0)
    line->waited_ms += FRAME_MS;
  n = MIN (frame, line->caller->len);
  if (n > 0) {
    memcpy (in, line->caller->data, n * sizeof (gint16));
    g_array_remove_range (line->caller, 0, n);
  }
  tb_conversation_frame (line->conversation, in, frame);

  /* The agent: 20 ms of what it queued goes out. */
  n = MIN (frame, line->agent->len);
  if (n > 0) {
    memcpy (out, line->agent->data, n * sizeof (gint16));
    g_array_remove_range (line->agent, 0, n);
  }
  if (line->output && !tb_wav_writer_write (line->output, out, frame, &error))
    g_warning ("%s", error->message);
  line->quiet_ms = n > 0 ? 0 : line->quiet_ms + FRAME_MS;
  if (n > 0 && line->caller->len == 0)
    line->answered = TRUE;
  if (line->was_speaking && line->agent->len == 0)
    tb_conversation_drained (line->conversation);
  line->was_speaking = line->agent->len > 0;

  if ((line->hangup && line->agent->len == 0) ||
      (caller_done (line) && line->quiet_ms >= DONE_QUIET_MS) ||
      line->elapsed_ms >= line->options.timeout_s * 1000) {
    g_main_loop_quit (line->loop);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

/* ---- the report ---------------------------------------------------------- */

static void
print_report (Line *line, const char *agent)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "agent");
  json_builder_add_string_value (b, agent);
  json_builder_set_member_name (b, "duration_ms");
  json_builder_add_int_value (b, line->elapsed_ms);
  json_builder_set_member_name (b, "end");
  json_builder_add_string_value (b, line->hangup ? line->hangup
                                    : caller_done (line) ? "caller-done" : "timeout");
  if (line->transfer) {
    json_builder_set_member_name (b, "transferred_to");
    json_builder_add_string_value (b, line->transfer);
  }
  tb_conversation_add_turns (line->conversation, b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

/* ---- main -------------------------------------------------------------- */

static const TbAgentConfig *
pick_agent (TbConfig *config, const char *name, GError **error)
{
  const TbAgentConfig *agent = NULL;

  if (name)
    agent = tb_config_find_agent (config, name);
  else if (config->default_agent)
    agent = tb_config_find_agent (config, config->default_agent);
  else if (config->agents->len > 0)
    agent = g_ptr_array_index (config->agents, 0);
  if (!agent)
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "no agent %s%s%s in %s",
                 name ? "'" : "", name ? name : "", name ? "'" : "", config->path);
  return agent;
}

/* Runs the simulation; FALSE with @error when it cannot start. */
static gboolean
simulate (Line *line, TbDaemon *daemon, GError **error)
{
  g_autoptr(TbConfig) config = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  const TbAgentConfig *agent;
  gboolean ok = FALSE;

  if (!tb_daemon_load (daemon, error))
    return FALSE;
  config = tb_daemon_get_config (daemon);
  agent = pick_agent (config, line->options.agent, error);
  if (!agent)
    return FALSE;
  if (!tb_conversation_wanted (agent)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "agent '%s' has no LLM and TTS providers", agent->name);
    return FALSE;
  }

  /* Everything runs on this thread's context, as on a worker. */
  g_main_context_push_thread_default (context);
  line->loop = g_main_loop_new (context, FALSE);
  line->rate = config->media.sample_rate;
  line->agent = g_array_new (FALSE, FALSE, sizeof (gint16));
  line->sayings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  line->caller = tb_simulate_read_input (&line->options, config, agent, line->rate,
                                         tb_daemon_get_host (daemon), line->sayings, error);
  if (!line->caller)
    goto out;
  if (line->options.output &&
      !(line->output = tb_wav_writer_new (line->options.output, line->rate, error)))
    goto out;
  line->conversation = tb_conversation_new (config, agent, tb_daemon_get_host (daemon),
                                            &line_peer, line, error);
  if (!line->conversation)
    goto out;
  {
    GSource *clock = g_timeout_source_new (FRAME_MS);

    g_source_set_callback (clock, tick, line, NULL);
    g_source_attach (clock, context);
    g_source_unref (clock);
  }
  g_main_loop_run (line->loop);
  print_report (line, agent->name);
  ok = TRUE;

out:
  g_clear_pointer (&line->conversation, tb_conversation_free);
  /* Let cancelled requests finish before the plugins go. */
  while (g_main_context_iteration (context, FALSE))
    ;
  if (line->output && !tb_wav_writer_close (line->output, ok ? error : NULL))
    ok = FALSE;
  g_clear_pointer (&line->output, tb_wav_writer_free);
  g_clear_pointer (&line->caller, g_array_unref);
  g_clear_pointer (&line->agent, g_array_unref);
  g_clear_pointer (&line->sayings, g_ptr_array_unref);
  g_clear_pointer (&line->loop, g_main_loop_unref);
  g_main_context_pop_thread_default (context);
  return ok;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TbDaemon) daemon = NULL;
  g_autofree char *config_path = NULL;
  Line line = { 0 };
  int status = 0;

  gst_init (&argc, &argv);
  if (!tb_simulate_parse_options (&argc, &argv, &line.options, &error)) {
    g_printerr ("tb-simulate: %s\n", error->message);
    tb_simulate_options_clear (&line.options);
    return 2;
  }
  tb_log_init (line.options.verbose);
  config_path = tb_config_default_path (line.options.config);
  daemon = tb_daemon_new (config_path);
  if (!simulate (&line, daemon, &error)) {
    g_printerr ("tb-simulate: %s\n", error->message);
    status = 1;
  }
  g_free (line.hangup);
  g_free (line.transfer);
  tb_simulate_options_clear (&line.options);
  return status;
}
