/* tb-simulate-input.c — tb-simulate's options and the caller's audio: a
 * gst-launch source description decoded to the call's rate, or sentences
 * spoken by the agent's own text-to-speech provider. */
#define G_LOG_DOMAIN "tb-simulate"

#include "tb-simulate.h"

#include "instances.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

gboolean
tb_simulate_parse_options (int *argc, char ***argv, TbSimulateOptions *options, GError **error)
{
  gint timeout = 120;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &options->config,
      "Configuration file (default: ./talkingbits.conf, else the installed one)", "FILE" },
    { "agent", 'a', 0, G_OPTION_ARG_STRING, &options->agent,
      "Agent to talk to (default: [talkingbits] default-agent, else the first)", "NAME" },
    { "input", 'i', 0, G_OPTION_ARG_STRING, &options->input,
      "The caller's audio, a gst-launch source, e.g. 'filesrc location=c.wav ! decodebin'",
      "PIPELINE" },
    { "say", 's', 0, G_OPTION_ARG_STRING_ARRAY, &options->say,
      "A sentence the caller says when the agent has finished (repeatable)", "TEXT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &options->output,
      "Write what the agent said to this WAV file", "FILE" },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout,
      "Longest simulated call in seconds (default 120)", "S" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &options->verbose, "Log debug messages", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- talk to an agent without a phone");

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (!options->input && !options->say) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "give the caller's audio with --input, or sentences with --say");
    return FALSE;
  }
  if (timeout <= 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--timeout must be positive");
    return FALSE;
  }
  options->timeout_s = (guint) timeout;
  return TRUE;
}

void
tb_simulate_options_clear (TbSimulateOptions *options)
{
  g_free (options->config);
  g_free (options->agent);
  g_free (options->input);
  g_strfreev (options->say);
  g_free (options->output);
}

/* @description ! audioconvert ! audioresample ! mono S16 at @rate, whole. */
static GArray *
decode_source (const char *description, guint rate, GError **error)
{
  g_autofree char *launch = g_strdup_printf (
    "%s ! audioconvert ! audioresample ! audio/x-raw,format=S16LE,channels=1,rate=%u "
    "! appsink name=sink sync=false", description, rate);
  g_autoptr(GError) parse_error = NULL;
  /* A pipeline may come back with an error (an element that does not
   * exist): that is a failure too. */
  g_autoptr(GstElement) pipeline = gst_parse_launch (launch, &parse_error);
  g_autoptr(GstElement) sink = NULL;
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (gint16));
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstMessage) message = NULL;

  if (!pipeline || parse_error) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "--input '%s': %s",
                 description, parse_error ? parse_error->message : "cannot be built");
    return NULL;
  }
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  /* Until the end of the stream, or an error on the bus. */
  while (!gst_app_sink_is_eos (GST_APP_SINK (sink)) &&
         !(message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR))) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 100 * GST_MSECOND);
    GstBuffer *buffer = sample ? gst_sample_get_buffer (sample) : NULL;
    GstMapInfo map;

    if (buffer && gst_buffer_map (buffer, &map, GST_MAP_READ)) {
      g_array_append_vals (samples, map.data, map.size / sizeof (gint16));
      gst_buffer_unmap (buffer, &map);
    }
    if (sample)
      gst_sample_unref (sample);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (message) {
    g_autoptr(GError) failure = NULL;

    gst_message_parse_error (message, &failure, NULL);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "--input '%s': %s", description,
                 failure->message);
    return NULL;
  }
  return g_steal_pointer (&samples);
}

typedef struct {
  GArray *samples;
  GError *error;
  gboolean over;
} Synthesis;

static void
on_audio (const gint16 *samples, gsize n, gpointer user_data)
{
  g_array_append_vals (((Synthesis *) user_data)->samples, samples, n);
}

static void
on_done (gpointer user_data)
{
  ((Synthesis *) user_data)->over = TRUE;
}

static void
on_error (const GError *error, gpointer user_data)
{
  Synthesis *synthesis = user_data;

  synthesis->error = g_error_copy (error);
  synthesis->over = TRUE;
}

static const TbTtsCallbacks synthesis_callbacks = { on_audio, on_done, on_error };

/* @text spoken by @agent's first TTS provider, then 300 ms of silence. */
static GArray *
speak (TbConfig *config, const TbAgentConfig *agent, const TbHost *host, const char *text,
       guint rate, GError **error)
{
  const TbProviderConfig *provider = tb_config_find_provider (config, TB_PLUGIN_KIND_TTS,
                                                              agent->tts[0]);
  TbTtsRequest request = { text, agent->voice && *agent->voice ? agent->voice : NULL,
                           agent->language, 1.0, rate };
  Synthesis synthesis = { g_array_new (FALSE, TRUE, sizeof (gint16)), NULL, FALSE };
  gpointer instance = NULL;

  if (!provider || !tb_dialog_instance_get (host, provider, &instance, error)) {
    g_array_unref (synthesis.samples);
    if (!provider)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no TTS provider to speak with");
    return NULL;
  }
  ((const TbTtsVTable *) provider->plugin->desc->vtable)->synthesize (
    instance, &request, &synthesis_callbacks, &synthesis, NULL);
  while (!synthesis.over)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  if (synthesis.error) {
    g_propagate_prefixed_error (error, synthesis.error, "speaking '%s': ", text);
    g_array_unref (synthesis.samples);
    return NULL;
  }
  g_array_set_size (synthesis.samples, synthesis.samples->len + rate * 3 / 10);
  return synthesis.samples;
}

GArray *
tb_simulate_read_input (const TbSimulateOptions *options, TbConfig *config,
                        const TbAgentConfig *agent, guint rate, const TbHost *host,
                        GPtrArray *sayings, GError **error)
{
  for (guint i = 0; options->say && options->say[i]; i++) {
    GArray *saying = speak (config, agent, host, options->say[i], rate, error);

    if (!saying)
      return NULL;
    g_ptr_array_add (sayings, saying);
  }
  if (options->input)
    return decode_source (options->input, rate, error);
  return g_array_new (FALSE, FALSE, sizeof (gint16));
}
