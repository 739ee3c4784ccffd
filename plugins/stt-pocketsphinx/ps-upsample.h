/* ps-upsample.h — 8 kHz to 16 kHz for the 16 kHz acoustic model: a
 * half-band windowed-sinc interpolator that keeps its state between
 * pushes, so a stream can be fed in frames of any size; and, with the same
 * filter, how much of a 16 kHz signal lies above the phone band. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TbPsUpsampler TbPsUpsampler;

TbPsUpsampler *tb_ps_upsampler_new (void);
/* Writes 2 * @n samples to @out (the filter delays the stream by a few ms). */
void tb_ps_upsampler_process (TbPsUpsampler *up, const gint16 *in, gsize n, gint16 *out);
void tb_ps_upsampler_free (TbPsUpsampler *up);

/* The same filter at 16 kHz with gain 1: keeps the phone band of phone
 * audio some other resampler brought to 16 kHz, and drops the images that
 * resampler left above 4 kHz (they confuse the wideband model). */
typedef struct _TbPsLowpass TbPsLowpass;

TbPsLowpass *tb_ps_lowpass_new (void);
/* Writes @n samples to @out. */
void tb_ps_lowpass_process (TbPsLowpass *lp, const gint16 *in, gsize n, gint16 *out);
void tb_ps_lowpass_free (TbPsLowpass *lp);

/* The share (0 to 1) of the energy of 16 kHz @samples that lies above
 * 4 kHz: next to nothing for phone audio resampled to 16 kHz, a few
 * hundredths and more for wideband speech. */
double tb_ps_high_band_share (const gint16 *samples, gsize n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbPsUpsampler, tb_ps_upsampler_free)

G_END_DECLS
