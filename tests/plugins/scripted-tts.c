/* scripted-tts.c — test TTS "scripted": a sine tone lasting `ms-per-char` per
 * character of the text, streamed in 100 ms chunks faster than real time;
 * text containing `fail-on` fails. */
#include "scripted.h"

#include <math.h>
#include <string.h>

typedef struct {
  double hz;
  gint64 ms_per_char;
  char *fail_on;
} Tone;

typedef struct {
  Tone *tone;
  TbTtsCallbacks callbacks;
  gpointer user_data;
  GCancellable *cancellable;   /* seen at each step, on the right thread */
  guint source;
  guint rate;
  gsize total, done;
  gboolean fail;
} Job;

static const TbConfigKey keys[] = {
  { .name = "hz", .type = TB_CONFIG_TYPE_DOUBLE, .default_value = "440", .min = 50, .max = 4000,
    .help = "Pitch of the tone" },
  { .name = "ms-per-char", .type = TB_CONFIG_TYPE_INT, .default_value = "60", .min = 1,
    .max = 1000, .help = "Length of the tone per character of text" },
  { .name = "fail-on", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "Text containing this fails to synthesise" },
  { NULL }
};

static gpointer
instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  Tone *tone = g_new0 (Tone, 1);

  g_variant_lookup (settings, "hz", "d", &tone->hz);
  g_variant_lookup (settings, "ms-per-char", "x", &tone->ms_per_char);
  g_variant_lookup (settings, "fail-on", "s", &tone->fail_on);
  return tone;
}

static void
instance_free (gpointer instance)
{
  Tone *tone = instance;

  g_free (tone->fail_on);
  g_free (tone);
}

static void
job_free (Job *job)
{
  g_clear_object (&job->cancellable);
  g_free (job);
}

static gboolean
step (gpointer data)
{
  Job *job = data;
  gsize n = MIN (job->rate / 10, job->total - job->done);
  g_autofree gint16 *chunk = NULL;

  if (job->cancellable && g_cancellable_is_cancelled (job->cancellable)) {
    g_autoptr(GError) error = scripted_cancelled ();

    job->source = 0;
    job->callbacks.error (error, job->user_data);
    job_free (job);
    return G_SOURCE_REMOVE;
  }
  if (job->fail) {
    g_autoptr(GError) error = g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                                           "the voice broke");

    job->source = 0;
    job->callbacks.error (error, job->user_data);
    job_free (job);
    return G_SOURCE_REMOVE;
  }
  chunk = g_new (gint16, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    chunk[i] = (gint16) (8000 * sin (2 * G_PI * job->tone->hz * (job->done + i) / job->rate));
  job->done += n;
  if (n)
    job->callbacks.audio (chunk, n, job->user_data);
  if (job->done < job->total)
    return G_SOURCE_CONTINUE;
  job->source = 0;
  job->callbacks.done (job->user_data);
  job_free (job);
  return G_SOURCE_REMOVE;
}

static void
synthesize (gpointer instance, const TbTtsRequest *request, const TbTtsCallbacks *callbacks,
            gpointer user_data, GCancellable *cancellable)
{
  Tone *tone = instance;
  Job *job = g_new0 (Job, 1);

  job->tone = tone;
  job->callbacks = *callbacks;
  job->user_data = user_data;
  job->rate = request->sample_rate;
  job->total = (gsize) (strlen (request->text) * tone->ms_per_char * job->rate / 1000);
  job->fail = tone->fail_on && *tone->fail_on && strstr (request->text, tone->fail_on);
  job->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  job->source = scripted_later (10, step, job);
}

static const TbTtsVTable vtable = { TB_TTS_VTABLE_VERSION, synthesize };

static const TbPluginDesc desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_TTS,
  .name = "scripted",
  .version = "1.0",
  .description = "Test TTS: a tone as long as the text",
  .license = "MIT",
  .config_keys = keys,
  .instance_new = instance_new,
  .instance_free = instance_free,
  .vtable = &vtable,
};

TB_PLUGIN_DEFINE (desc)
