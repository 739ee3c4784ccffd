/* audio-check.c — measuring test audio: level, zero crossings, Goertzel,
 * cross-correlation. */
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

double
tb_test_best_correlation (const gint16 *signal, gsize n, const gint16 *pattern, gsize m,
                          double quiet_rms, gsize *best_lag)
{
  double pattern_energy = 0, window_energy = 0, best = 0;

  *best_lag = 0;
  if (m == 0 || n < m)
    return 0;
  for (gsize i = 0; i < m; i++) {
    pattern_energy += (double) pattern[i] * pattern[i];
    window_energy += (double) signal[i] * signal[i];
  }
  for (gsize lag = 0; lag + m <= n; lag++) {
    if (lag > 0) {
      double gone = signal[lag - 1], come = signal[lag + m - 1];

      window_energy += come * come - gone * gone;
    }
    if (window_energy > quiet_rms * quiet_rms * m) {
      double dot = 0, r;

      for (gsize i = 0; i < m; i++)
        dot += (double) signal[lag + i] * pattern[i];
      r = dot / sqrt (window_energy * pattern_energy);
      if (r > best) {
        best = r;
        *best_lag = lag;
      }
    }
  }
  return best;
}
