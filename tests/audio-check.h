/* audio-check.h — measuring test audio: level, zero crossings, the power of
 * one frequency (Goertzel), and cross-correlation. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

double tb_test_rms (const gint16 *samples, gsize n);
/* Sign changes; a tone of F Hz crosses zero 2F times a second. */
guint tb_test_zero_crossings (const gint16 *samples, gsize n);
/* Power of @freq in @samples at @rate. */
double tb_test_goertzel (const gint16 *samples, gsize n, guint rate, double freq);

/* The highest normalised cross-correlation of @pattern (@m samples) with the
 * windows of @signal it fits in, and the lag of that window; windows quieter
 * than @quiet_rms are skipped (no correlation worth the name). */
double tb_test_best_correlation (const gint16 *signal, gsize n, const gint16 *pattern, gsize m,
                                 double quiet_rms, gsize *best_lag);

G_END_DECLS
