/* tb-call-onset.h — where sound is in audio, from the energy of 20 ms
 * frames: the caller's utterances in a clean file, and the onsets of what is
 * heard on a line whose noise floor moves. Pure functions: samples in, times
 * (milliseconds from the first sample) out. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TB_ONSET_FRAME_MS 20

typedef struct {
  guint start_ms;
  guint end_ms;
} TbSegment;

/* The utterances of @samples (mono, @rate Hz): runs of frames louder than
 * the file's noise floor by 10 dB (or than its loudest frame less 20 dB,
 * when that is lower; -50 dBFS at least), joined when less than 400 ms of
 * quiet separates them; runs shorter than 60 ms are clicks, not speech. An
 * array of TbSegment, in order. */
GArray *tb_onset_find_utterances (const gint16 *samples, gsize n_samples, guint rate);

/* The onsets of sound in @samples: the start of the first of 3 consecutive
 * frames louder by 12 dB than the noise floor (the quietest frame of the
 * second before; -55 dBFS at least). A sound lasts until 200 ms of frames
 * no louder than floor + 6 dB; the next onset can only follow it. Noise that
 * rises slowly moves the floor with it; after loud noise the floor falls
 * with the first quiet frame. An array of guint milliseconds, in order. */
GArray *tb_onset_find_onsets (const gint16 *samples, gsize n_samples, guint rate);

/* The first of @onsets (sorted) at or after @from_ms and before @until_ms,
 * or -1. */
gint64 tb_onset_first_between (GArray *onsets, guint from_ms, guint until_ms);

G_END_DECLS
