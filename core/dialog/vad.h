/* vad.h — voice activity detection on 20 ms frames that adapts to the
 * line's noise floor, and end-of-speech after a configurable silence. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  TB_VAD_NONE,
  TB_VAD_SPEECH_START,   /* speech began (at the first loud frame of a run) */
} TbVadEvent;

typedef struct {
  double floor_db;       /* the line's noise floor, dBFS                */
  guint frames;          /* frames seen                                  */
  guint loud_run;        /* consecutive frames above the threshold       */
  guint quiet_run;       /* consecutive frames below it, while in speech */
  gboolean in_speech;
  guint speech_frames;   /* loud frames of the current speech            */
  guint start_frame;     /* frame index where the current speech began   */
  guint last_loud_frame; /* frame index of the last loud frame           */
  guint quiet_end_ms;    /* the silent end of the last loud frame, ms    */
  double last_db;        /* level of the last frame                      */
} TbVad;

/* Frames of 20 ms above the floor needed to start speech: 60 ms, so that
 * clicks do not. */
#define TB_VAD_START_FRAMES 3
/* How far above the noise floor speech must be, dB. */
#define TB_VAD_MARGIN_DB 12.0
/* Speech is never quieter than this, whatever the floor, dBFS. */
#define TB_VAD_MIN_SPEECH_DB -50.0

void tb_vad_init (TbVad *vad);
/* One frame (any length, 20 ms expected). The end of speech is decided by
 * the caller of this, with tb_vad_end_due_us() and tb_vad_end(). */
TbVadEvent tb_vad_push (TbVad *vad, const gint16 *samples, gsize n_samples);
/* In speech that has gone silent: when its silence reaches @endpoint_ms,
 * given @heard_us, when the end of the last frame was heard (any clock,
 * µs). -1 in speech that is not silent, or out of speech. */
gint64 tb_vad_end_due_us (const TbVad *vad, gint64 heard_us, guint endpoint_ms);
/* The speech is over: the next is looked for. */
void tb_vad_end (TbVad *vad);
/* The silence that ends a turn: @base_ms, stretched (to at most twice it,
 * 800 ms more) while the transcript so far looks unfinished: it ends in a
 * comma or a word such as "and", "at", "the", "um". */
guint tb_vad_endpoint_ms (guint base_ms, const char *partial);

/* The silence since the speech, ms: the quiet frames since the last loud
 * one and the silent end of that one (to 2 ms). */
guint tb_vad_silence_ms (const TbVad *vad);
/* Level of @samples in dBFS (-100 for silence). */
double tb_vad_level_db (const gint16 *samples, gsize n_samples);

G_END_DECLS
