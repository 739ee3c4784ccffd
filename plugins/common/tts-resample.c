/* tts-resample.c — a speech engine's rate to the caller's, with
 * GstAudioResampler (Kaiser-windowed sinc, the quality audioresample uses by
 * default): it band-limits before it decimates, so 22050 Hz speech comes out
 * at 8000 Hz without the 4-11 kHz band folded onto the voice. */
#define G_LOG_DOMAIN "tb-tts-stream"

#include "tts-resample.h"

#include <gst/audio/audio.h>

struct _TbTtsResampler {
  guint in_rate, out_rate;
  GstAudioResampler *resampler; /* NULL when the rates are equal */
};

TbTtsResampler *
tb_tts_resampler_new (guint in_rate, guint out_rate)
{
  TbTtsResampler *self = g_new0 (TbTtsResampler, 1);

  self->in_rate = in_rate;
  self->out_rate = out_rate;
  if (in_rate != out_rate) {
    GstStructure *options = gst_structure_new_empty ("GstAudioResampler.options");

    gst_audio_resampler_options_set_quality (GST_AUDIO_RESAMPLER_METHOD_KAISER,
                                             GST_AUDIO_RESAMPLER_QUALITY_DEFAULT,
                                             in_rate, out_rate, options);
    self->resampler = gst_audio_resampler_new (GST_AUDIO_RESAMPLER_METHOD_KAISER,
                                               GST_AUDIO_RESAMPLER_FLAG_NONE,
                                               GST_AUDIO_FORMAT_S16, 1,
                                               in_rate, out_rate, options);
    gst_structure_free (options);
  }
  return self;
}

void
tb_tts_resampler_free (TbTtsResampler *self)
{
  if (!self)
    return;
  g_clear_pointer (&self->resampler, gst_audio_resampler_free);
  g_free (self);
}

guint
tb_tts_resampler_get_in_rate (TbTtsResampler *self)
{
  return self->in_rate;
}

/* Runs @n input frames (@samples, or silence when NULL) through the filter. */
static GBytes *
resample (TbTtsResampler *self, const gint16 *samples, gsize n)
{
  gsize out_frames = gst_audio_resampler_get_out_frames (self->resampler, n);
  gint16 *out;
  gpointer in_planes[1] = { (gpointer) samples };
  gpointer out_planes[1];

  if (out_frames == 0) {
    /* Nothing comes out yet, but the filter keeps what went in. */
    gint16 none[1];

    out_planes[0] = none;
    gst_audio_resampler_resample (self->resampler, samples ? in_planes : NULL, n, out_planes, 0);
    return NULL;
  }
  out = g_new (gint16, out_frames);
  out_planes[0] = out;
  gst_audio_resampler_resample (self->resampler, samples ? in_planes : NULL, n,
                                out_planes, out_frames);
  return g_bytes_new_take (out, out_frames * sizeof (gint16));
}

GBytes *
tb_tts_resampler_process (TbTtsResampler *self, const gint16 *samples, gsize n)
{
  if (n == 0)
    return NULL;
  if (!self->resampler)
    return g_bytes_new (samples, n * sizeof (gint16));
  return resample (self, samples, n);
}

GBytes *
tb_tts_resampler_drain (TbTtsResampler *self)
{
  if (!self->resampler)
    return NULL;
  /* Silence as long as the filter's look-ahead pushes the last real
   * samples out (what audioresample does at end of stream). */
  return resample (self, NULL, gst_audio_resampler_get_max_latency (self->resampler));
}
