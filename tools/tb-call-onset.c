/* tb-call-onset.c — utterances and onsets of sound from the energy of 20 ms
 * frames (levels in dBFS). */
#define G_LOG_DOMAIN "tb-call"

#include "tb-call-onset.h"

#include <math.h>
#include <stdlib.h>

/* Utterances in the caller's file. */
#define UTTERANCE_MIN_DB -50.0
#define UTTERANCE_MARGIN_DB 10.0
#define UTTERANCE_PEAK_DB 20.0
#define UTTERANCE_GAP_FRAMES (400 / TB_ONSET_FRAME_MS)
#define UTTERANCE_MIN_FRAMES 3

/* Onsets in what is heard. */
#define ONSET_MIN_DB -55.0
#define ONSET_MARGIN_DB 12.0
#define RELEASE_MARGIN_DB 6.0
#define ONSET_FRAMES 3
#define RELEASE_FRAMES (200 / TB_ONSET_FRAME_MS)
#define FLOOR_FRAMES (1000 / TB_ONSET_FRAME_MS)
#define SILENCE_DB -100.0      /* the line before the call: silence */

/* The level of each whole frame, in dBFS (-120 for digital silence). */
static double *
frame_levels (const gint16 *samples, gsize n_samples, guint rate, gsize *n_frames)
{
  gsize frame = rate * TB_ONSET_FRAME_MS / 1000;
  double *levels;

  *n_frames = frame ? n_samples / frame : 0;
  levels = g_new (double, MAX (*n_frames, 1));
  for (gsize f = 0; f < *n_frames; f++) {
    double sum = 0;

    for (gsize i = f * frame; i < (f + 1) * frame; i++)
      sum += (double) samples[i] * samples[i];
    levels[f] = 10 * log10 (sum / frame / (32768.0 * 32768.0) + 1e-12);
  }
  return levels;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Speech is louder than the level 10% of the frames are quieter than (the
 * file's noise floor) by a margin, and than a minimum; in a file that holds
 * speech and nothing else, 20 dB below its loudest frame does. */
static double
speech_threshold (const double *levels, gsize n_frames)
{
  g_autofree double *sorted = g_memdup2 (levels, n_frames * sizeof (double));
  double floor_db, peak_db;

  qsort (sorted, n_frames, sizeof (double), compare_doubles);
  floor_db = sorted[n_frames / 10];
  peak_db = sorted[n_frames - 1];
  return MAX (UTTERANCE_MIN_DB, MIN (floor_db + UTTERANCE_MARGIN_DB, peak_db - UTTERANCE_PEAK_DB));
}

static void
add_segment (GArray *segments, gsize first, gsize last)
{
  TbSegment segment = { first * TB_ONSET_FRAME_MS, (last + 1) * TB_ONSET_FRAME_MS };

  if (last + 1 - first >= UTTERANCE_MIN_FRAMES)
    g_array_append_val (segments, segment);
}

GArray *
tb_onset_find_utterances (const gint16 *samples, gsize n_samples, guint rate)
{
  GArray *segments = g_array_new (FALSE, FALSE, sizeof (TbSegment));
  gsize n_frames = 0;
  g_autofree double *levels = frame_levels (samples, n_samples, rate, &n_frames);
  double threshold;
  gboolean in_segment = FALSE;
  gsize first = 0, last = 0;

  if (n_frames == 0)
    return segments;
  threshold = speech_threshold (levels, n_frames);
  for (gsize f = 0; f < n_frames; f++) {
    if (levels[f] < threshold)
      continue;
    if (in_segment && f - last > UTTERANCE_GAP_FRAMES) {
      add_segment (segments, first, last);
      in_segment = FALSE;
    }
    if (!in_segment)
      first = f;
    in_segment = TRUE;
    last = f;
  }
  if (in_segment)
    add_segment (segments, first, last);
  return segments;
}

GArray *
tb_onset_find_onsets (const gint16 *samples, gsize n_samples, guint rate)
{
  GArray *onsets = g_array_new (FALSE, FALSE, sizeof (guint));
  gsize n_frames = 0;
  g_autofree double *levels = frame_levels (samples, n_samples, rate, &n_frames);
  double window[FLOOR_FRAMES];
  gboolean in_sound = FALSE;
  guint loud_run = 0, quiet_run = 0;

  for (guint i = 0; i < FLOOR_FRAMES; i++)
    window[i] = SILENCE_DB;
  for (gsize f = 0; f < n_frames; f++) {
    double floor_db = window[0];

    for (guint i = 1; i < FLOOR_FRAMES; i++)
      floor_db = MIN (floor_db, window[i]);
    if (!in_sound) {
      gboolean loud = levels[f] >= MAX (floor_db + ONSET_MARGIN_DB, ONSET_MIN_DB);

      loud_run = loud ? loud_run + 1 : 0;
      if (loud_run == ONSET_FRAMES) {
        guint onset_ms = (f + 1 - ONSET_FRAMES) * TB_ONSET_FRAME_MS;

        g_array_append_val (onsets, onset_ms);
        in_sound = TRUE;
        quiet_run = 0;
      }
    } else {
      gboolean quiet = levels[f] < MAX (floor_db + RELEASE_MARGIN_DB, ONSET_MIN_DB);

      quiet_run = quiet ? quiet_run + 1 : 0;
      if (quiet_run == RELEASE_FRAMES) {
        in_sound = FALSE;
        loud_run = 0;
      }
    }
    window[f % FLOOR_FRAMES] = levels[f];
  }
  return onsets;
}

gint64
tb_onset_first_between (GArray *onsets, guint from_ms, guint until_ms)
{
  for (guint i = 0; onsets && i < onsets->len; i++) {
    guint onset = g_array_index (onsets, guint, i);

    if (onset >= from_ms && onset < until_ms)
      return onset;
  }
  return -1;
}
