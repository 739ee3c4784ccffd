/* audio-check.c — measuring test audio: level, zero crossings, Goertzel. */
#include "audio-check.h"

#include <math.h>

double
tb_test_rms (const gint16 *samples, gsize n)
{
  double sum = 0;

  for (gsize i = 0; i < n; i++)
    sum += (double) samples[i] * samples[i];
  return n ? sqrt (sum / n) : 0;
}

guint
tb_test_zero_crossings (const gint16 *samples, gsize n)
{
  guint crossings = 0;

  for (gsize i = 1; i < n; i++)
    crossings += (samples[i - 1] < 0) != (samples[i] < 0);
  return crossings;
}

double
tb_test_goertzel (const gint16 *samples, gsize n, guint rate, double freq)
{
  double coeff = 2 * cos (2 * G_PI * freq / rate);
  double s1 = 0, s2 = 0;

  for (gsize i = 0; i < n; i++) {
    double s0 = samples[i] + coeff * s1 - s2;

    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}
