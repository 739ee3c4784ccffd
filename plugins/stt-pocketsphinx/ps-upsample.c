/* ps-upsample.c — 2x interpolation: zero-stuffing and a 127-tap
 * Blackman-windowed sinc low-pass at 4 kHz (the new Nyquist's half),
 * computed as two polyphase branches of 64 taps on the input stream. */
#include "ps-upsample.h"

#include <math.h>

#define PHASE_TAPS 64                    /* taps per output phase */
#define FILTER_LEN (2 * PHASE_TAPS - 1)  /* odd: symmetric around a centre tap */

struct _TbPsUpsampler {
  float taps[2][PHASE_TAPS];  /* [phase][k]: weight of input x[n - k] */
  /* x[n - k] at history[pos + k], k = 0 .. PHASE_TAPS-1: a ring written
   * twice, so that the window is always contiguous. */
  float history[2 * PHASE_TAPS];
  guint pos;                  /* where x[n] goes */
};

/* The low-pass at a quarter of the sampling rate, with gain 2. */
static double
half_band_tap (guint m)
{
  const double centre = (FILTER_LEN - 1) / 2.0;
  double t = (m - centre) / 2.0;
  double sinc = t == 0 ? 1.0 : sin (G_PI * t) / (G_PI * t);
  double w = 0.42 - 0.5 * cos (2 * G_PI * m / (FILTER_LEN - 1))
             + 0.08 * cos (4 * G_PI * m / (FILTER_LEN - 1));

  return sinc * w;
}

TbPsUpsampler *
tb_ps_upsampler_new (void)
{
  TbPsUpsampler *up = g_new0 (TbPsUpsampler, 1);

  /* Gain 2 makes up for the zeros stuffed between the input samples. */
  for (guint m = 0; m < FILTER_LEN; m++)
    up->taps[m % 2][m / 2] = half_band_tap (m);
  return up;
}

double
tb_ps_high_band_share (const gint16 *samples, gsize n)
{
  double taps[FILTER_LEN], high = 0, total = 0;
  const guint centre = (FILTER_LEN - 1) / 2;

  for (guint m = 0; m < FILTER_LEN; m++)
    taps[m] = half_band_tap (m) / 2;
  for (gsize i = FILTER_LEN; i < n; i++) {
    double low = 0, x = samples[i - centre];

    for (guint m = 0; m < FILTER_LEN; m++)
      low += taps[m] * samples[i - m];
    high += (x - low) * (x - low);
    total += x * x;
  }
  return total > 0 ? high / total : 0;
}

static gint16
clamp16 (float v)
{
  return v > 32767.f ? 32767 : v < -32768.f ? -32768 : (gint16) lrintf (v);
}

void
tb_ps_upsampler_process (TbPsUpsampler *up, const gint16 *in, gsize n, gint16 *out)
{
  for (gsize i = 0; i < n; i++) {
    up->pos = (up->pos + PHASE_TAPS - 1) % PHASE_TAPS;
    up->history[up->pos] = up->history[up->pos + PHASE_TAPS] = in[i];
    for (guint phase = 0; phase < 2; phase++) {
      float sum = 0;

      for (guint k = 0; k < PHASE_TAPS; k++)
        sum += up->taps[phase][k] * up->history[up->pos + k];
      out[2 * i + phase] = clamp16 (sum);
    }
  }
}

void
tb_ps_upsampler_free (TbPsUpsampler *up)
{
  g_free (up);
}

struct _TbPsLowpass {
  float taps[FILTER_LEN];
  float history[2 * FILTER_LEN];  /* a ring written twice, as above */
  guint pos;
};

TbPsLowpass *
tb_ps_lowpass_new (void)
{
  TbPsLowpass *lp = g_new0 (TbPsLowpass, 1);

  for (guint m = 0; m < FILTER_LEN; m++)
    lp->taps[m] = half_band_tap (m) / 2;
  return lp;
}

void
tb_ps_lowpass_process (TbPsLowpass *lp, const gint16 *in, gsize n, gint16 *out)
{
  for (gsize i = 0; i < n; i++) {
    float sum = 0;

    lp->pos = (lp->pos + FILTER_LEN - 1) % FILTER_LEN;
    lp->history[lp->pos] = lp->history[lp->pos + FILTER_LEN] = in[i];
    for (guint k = 0; k < FILTER_LEN; k++)
      sum += lp->taps[k] * lp->history[lp->pos + k];
    out[i] = clamp16 (sum);
  }
}

void
tb_ps_lowpass_free (TbPsLowpass *lp)
{
  g_free (lp);
}
