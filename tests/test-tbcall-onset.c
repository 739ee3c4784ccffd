/* test-tbcall-onset.c — tb-call's utterances and onsets on synthetic audio:
 * tone bursts with gaps, clicks, a noise floor that rises or steps, and a
 * quiet response after loud noise. Times must be right within two frames. */
#include "tb-call-onset.h"

#include <math.h>

#define RATE 16000
#define SLACK_MS (2 * TB_ONSET_FRAME_MS)

typedef struct {
  GArray *samples;
  GRand *rand;
  double phase;
} Signal;

static void
signal_init (Signal *s)
{
  s->samples = g_array_new (FALSE, FALSE, sizeof (gint16));
  s->rand = g_rand_new_with_seed (4733);
  s->phase = 0;
}

static void
signal_clear (Signal *s)
{
  g_array_unref (s->samples);
  g_rand_free (s->rand);
}

static double
amplitude (double dbfs)
{
  return 32768.0 * pow (10, dbfs / 20);
}

static void
push (Signal *s, double value)
{
  gint16 sample = (gint16) CLAMP (value, -32768, 32767);

  g_array_append_val (s->samples, sample);
}

/* @ms of a @hz tone at @dbfs RMS (or of silence, @dbfs below -200). */
static void
tone (Signal *s, double hz, guint ms, double dbfs)
{
  double peak = dbfs < -200 ? 0 : amplitude (dbfs) * G_SQRT2;

  for (guint i = 0; i < RATE * ms / 1000; i++) {
    push (s, peak * sin (s->phase));
    s->phase += 2 * G_PI * hz / RATE;
  }
}

static void
silence (Signal *s, guint ms)
{
  tone (s, 0, ms, -300);
}

/* @ms of white noise whose RMS goes from @from_dbfs to @to_dbfs in dB. */
static void
noise (Signal *s, guint ms, double from_dbfs, double to_dbfs)
{
  guint n = RATE * ms / 1000;

  for (guint i = 0; i < n; i++) {
    double level = amplitude (from_dbfs + (to_dbfs - from_dbfs) * i / n);
    /* Uniform on [-1, 1] has RMS 1/sqrt(3). */
    push (s, level * G_SQRT2 * 1.2247 * g_rand_double_range (s->rand, -1, 1));
  }
}

/* White noise at @dbfs added to everything written so far. */
static void
add_noise (Signal *s, double dbfs)
{
  double level = amplitude (dbfs) * G_SQRT2 * 1.2247;

  for (guint i = 0; i < s->samples->len; i++) {
    gint16 *sample = &g_array_index (s->samples, gint16, i);

    *sample = (gint16) CLAMP (*sample + level * g_rand_double_range (s->rand, -1, 1),
                              -32768, 32767);
  }
}

static GArray *
onsets_of (Signal *s)
{
  return tb_onset_find_onsets ((const gint16 *) s->samples->data, s->samples->len, RATE);
}

static GArray *
utterances_of (Signal *s)
{
  return tb_onset_find_utterances ((const gint16 *) s->samples->data, s->samples->len, RATE);
}

static void
assert_near (guint got, guint expected)
{
  g_assert_cmpint (ABS ((gint) got - (gint) expected), <=, SLACK_MS);
}

static void
assert_onsets (GArray *onsets, const guint *expected, guint n)
{
  for (guint i = 0; i < onsets->len; i++)
    g_test_message ("onset %u: %u ms", i, g_array_index (onsets, guint, i));
  g_assert_cmpuint (onsets->len, ==, n);
  for (guint i = 0; i < n; i++)
    assert_near (g_array_index (onsets, guint, i), expected[i]);
}

static void
assert_segment (GArray *segments, guint i, guint start_ms, guint end_ms)
{
  const TbSegment *segment = &g_array_index (segments, TbSegment, i);

  g_test_message ("utterance %u: %u-%u ms", i, segment->start_ms, segment->end_ms);
  assert_near (segment->start_ms, start_ms);
  assert_near (segment->end_ms, end_ms);
}

/* Bursts closer than 400 ms are one utterance; a 1 s gap makes two; a
 * 10 ms click is no utterance. With and without background noise. */
static void
test_utterances (void)
{
  for (guint noisy = 0; noisy < 2; noisy++) {
    Signal s;
    g_autoptr(GArray) segments = NULL;

    signal_init (&s);
    silence (&s, 500);
    tone (&s, 300, 1000, -20);
    silence (&s, 300);
    tone (&s, 500, 500, -25);
    silence (&s, 1000);
    tone (&s, 300, 800, -20);
    silence (&s, 700);
    tone (&s, 1000, 10, -10);
    silence (&s, 500);
    if (noisy)
      add_noise (&s, -60);
    segments = utterances_of (&s);
    g_assert_cmpuint (segments->len, ==, 2);
    assert_segment (segments, 0, 500, 2300);
    assert_segment (segments, 1, 3300, 4100);
    signal_clear (&s);
  }
}

static void
test_utterances_edge_cases (void)
{
  Signal s;
  g_autoptr(GArray) none = NULL;
  g_autoptr(GArray) whole = NULL;
  g_autoptr(GArray) empty = tb_onset_find_utterances (NULL, 0, RATE);

  g_assert_cmpuint (empty->len, ==, 0);
  signal_init (&s);
  silence (&s, 2000);
  none = utterances_of (&s);
  g_assert_cmpuint (none->len, ==, 0);
  /* Sound from the first sample to the last. */
  tone (&s, 300, 1000, -20);
  whole = tb_onset_find_utterances ((const gint16 *) s.samples->data + RATE * 2,
                                    s.samples->len - RATE * 2, RATE);
  g_assert_cmpuint (whole->len, ==, 1);
  assert_segment (whole, 0, 0, 1000);
  signal_clear (&s);
}

/* Tone bursts: an onset at the start of each, one per burst however long
 * (the bursts do not start on frame boundaries). */
static void
test_onsets_bursts (void)
{
  Signal s;
  g_autoptr(GArray) onsets = NULL;
  const guint expected[] = { 310, 1810, 2610 };

  signal_init (&s);
  silence (&s, 310);
  tone (&s, 440, 1000, -20);
  silence (&s, 500);
  tone (&s, 440, 300, -20);
  silence (&s, 500);
  tone (&s, 440, 2500, -20);
  silence (&s, 300);
  onsets = onsets_of (&s);
  assert_onsets (onsets, expected, G_N_ELEMENTS (expected));
  signal_clear (&s);
}

/* Sound from the first sample: the line was silent before. A burst shorter
 * than three frames is not an onset. */
static void
test_onsets_at_start_and_blips (void)
{
  Signal s;
  g_autoptr(GArray) onsets = NULL;
  const guint expected[] = { 0, 2000 };

  signal_init (&s);
  tone (&s, 440, 1000, -20);
  silence (&s, 500);
  tone (&s, 440, 40, -10);
  silence (&s, 460);
  tone (&s, 440, 500, -30);
  onsets = onsets_of (&s);
  assert_onsets (onsets, expected, G_N_ELEMENTS (expected));
  signal_clear (&s);
}

/* Noise that rises slowly by 25 dB is no onset: the floor follows it; the
 * tone on top of it is. */
static void
test_onsets_rising_floor (void)
{
  Signal s;
  g_autoptr(GArray) onsets = NULL;
  const guint expected[] = { 4000 };

  signal_init (&s);
  noise (&s, 4000, -65, -40);
  tone (&s, 440, 500, -15);
  onsets = onsets_of (&s);
  assert_onsets (onsets, expected, G_N_ELEMENTS (expected));
  signal_clear (&s);
}

/* A step in the noise is heard once; when the floor has caught up with it,
 * a tone on top of the louder noise is a new onset. */
static void
test_onsets_floor_step (void)
{
  Signal s;
  g_autoptr(GArray) onsets = NULL;
  const guint expected[] = { 1000, 4000 };

  signal_init (&s);
  noise (&s, 1000, -60, -60);
  noise (&s, 3000, -35, -35);
  tone (&s, 440, 500, -10);
  onsets = onsets_of (&s);
  assert_onsets (onsets, expected, G_N_ELEMENTS (expected));
  signal_clear (&s);
}

/* After loud noise, the floor falls with the first quiet frame: a response
 * 30 dB quieter than the noise is still found. */
static void
test_onsets_quiet_after_loud (void)
{
  Signal s;
  g_autoptr(GArray) onsets = NULL;
  const guint expected[] = { 0, 2000 };

  signal_init (&s);
  noise (&s, 1000, -15, -15);
  noise (&s, 1000, -65, -65);
  tone (&s, 300, 700, -45);
  noise (&s, 300, -65, -65);
  onsets = onsets_of (&s);
  assert_onsets (onsets, expected, G_N_ELEMENTS (expected));
  signal_clear (&s);
}

static void
test_first_between (void)
{
  g_autoptr(GArray) onsets = g_array_new (FALSE, FALSE, sizeof (guint));
  const guint times[] = { 100, 1500, 3000 };

  g_array_append_vals (onsets, times, G_N_ELEMENTS (times));
  g_assert_cmpint (tb_onset_first_between (onsets, 0, 5000), ==, 100);
  g_assert_cmpint (tb_onset_first_between (onsets, 100, 5000), ==, 100);
  g_assert_cmpint (tb_onset_first_between (onsets, 101, 5000), ==, 1500);
  g_assert_cmpint (tb_onset_first_between (onsets, 1600, 3000), ==, -1);
  g_assert_cmpint (tb_onset_first_between (onsets, 3001, 9000), ==, -1);
  g_assert_cmpint (tb_onset_first_between (NULL, 0, 9000), ==, -1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tbcall-onset/utterances", test_utterances);
  g_test_add_func ("/tbcall-onset/utterances-edge-cases", test_utterances_edge_cases);
  g_test_add_func ("/tbcall-onset/bursts", test_onsets_bursts);
  g_test_add_func ("/tbcall-onset/start-and-blips", test_onsets_at_start_and_blips);
  g_test_add_func ("/tbcall-onset/rising-floor", test_onsets_rising_floor);
  g_test_add_func ("/tbcall-onset/floor-step", test_onsets_floor_step);
  g_test_add_func ("/tbcall-onset/quiet-after-loud", test_onsets_quiet_after_loud);
  g_test_add_func ("/tbcall-onset/first-between", test_first_between);
  return g_test_run ();
}
