/* audio-check.h — measuring test audio: level, zero crossings, and the power
 * of one frequency (Goertzel). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

double tb_test_rms (const gint16 *samples, gsize n);
/* Sign changes; a tone of F Hz crosses zero 2F times a second. */
guint tb_test_zero_crossings (const gint16 *samples, gsize n);
/* Power of @freq in @samples at @rate. */
double tb_test_goertzel (const gint16 *samples, gsize n, guint rate, double freq);

G_END_DECLS
