/* tts-resample.h — converts a speech engine's native rate (espeak-ng's
 * 22050 Hz, flite's 8000 or 16000 Hz) to the rate a caller asked for, with
 * GStreamer's audio resampler (the windowed-sinc filter inside the
 * audioresample element), called directly: no pipeline, no thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TbTtsResampler TbTtsResampler;

/* Mono signed 16-bit from @in_rate to @out_rate (equal rates pass through). */
TbTtsResampler *tb_tts_resampler_new (guint in_rate, guint out_rate);
void tb_tts_resampler_free (TbTtsResampler *resampler);
guint tb_tts_resampler_get_in_rate (TbTtsResampler *resampler);

/* The output for @n more input samples, or NULL when there is none yet.
 * The filter looks ahead, so the last few milliseconds of the input come
 * out of tb_tts_resampler_drain() at the end. */
GBytes *tb_tts_resampler_process (TbTtsResampler *resampler, const gint16 *samples, gsize n);
/* What the filter still holds; NULL when nothing. */
GBytes *tb_tts_resampler_drain (TbTtsResampler *resampler);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbTtsResampler, tb_tts_resampler_free)

G_END_DECLS
