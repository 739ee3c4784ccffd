/* vad.c — energy-based voice activity detection with an adaptive floor.
 * The floor starts at the level of the first frame (a call opens with the
 * line, not with the caller talking over our greeting's first 20 ms),
 * follows quiet frames (down quickly, up slowly) and creeps up under loud
 * ones too, so that a line that becomes noisy stops counting as speech
 * after a few seconds instead of holding a turn open for ever. Speech is a
 * run of frames well above the floor. */
#define G_LOG_DOMAIN "tb-dialog"

#include "vad.h"

#include <math.h>
#include <string.h>

#define FRAME_MS 20
#define FLOOR_START_DB -60.0
#define FLOOR_MIN_DB -80.0
#define FLOOR_MAX_DB -25.0
/* A loud frame's silent end is measured in pieces of FRAME_MS / this
 * (2 ms: 32 samples at 16 kHz, enough for a level). */
#define PIECES 10

static double
energy (const gint16 *samples, gsize n_samples)
{
  double sum = 0;

  for (gsize i = 0; i < n_samples; i++)
    sum += (double) samples[i] * samples[i];
  return sum;
}

/* The level of @n_samples whose energy is @sum, dBFS. */
static double
level_db (double sum, gsize n_samples)
{
  if (n_samples == 0 || sum <= 0)
    return -100.0;
  return MAX (-100.0, 10.0 * log10 (sum / n_samples / (32768.0 * 32768.0)));
}

double
tb_vad_level_db (const gint16 *samples, gsize n_samples)
{
  return level_db (energy (samples, n_samples), n_samples);
}

void
tb_vad_init (TbVad *vad)
{
  *vad = (TbVad) { .floor_db = FLOOR_START_DB };
}

static void
follow_floor (TbVad *vad, double db, gboolean loud)
{
  /* Quiet frames: down at once, up within a second or so. Loud ones: a
   * creep of a few seconds. */
  double rate = loud ? 0.005 : db < vad->floor_db ? 0.3 : 0.05;

  vad->floor_db += (db - vad->floor_db) * rate;
  vad->floor_db = CLAMP (vad->floor_db, FLOOR_MIN_DB, FLOOR_MAX_DB);
}

/* A frame's energy in PIECES pieces (the last takes what is left over),
 * so that its level and where its sound ends come from one pass. */
typedef struct {
  double sum[PIECES];
  gsize n[PIECES];
} Pieces;

static double
pieces_measure (Pieces *p, const gint16 *samples, gsize n_samples)
{
  gsize piece = n_samples / PIECES;
  double total = 0;

  for (guint i = 0; i < PIECES; i++) {
    p->n[i] = i == PIECES - 1 ? n_samples - i * piece : piece;
    p->sum[i] = energy (samples + i * piece, p->n[i]);
    total += p->sum[i];
  }
  return total;
}

/* How long the end of a loud frame is below @threshold, in pieces: the
 * speech may end inside the frame (a word's last milliseconds, or what a
 * resampler's delay carries over from the packet before). */
static guint
quiet_end_ms (const Pieces *p, double threshold)
{
  for (guint i = PIECES; i-- > 0;)
    if (level_db (p->sum[i], p->n[i]) > threshold)
      return (PIECES - 1 - i) * FRAME_MS / PIECES;
  return 0;
}

guint
tb_vad_silence_ms (const TbVad *vad)
{
  return vad->quiet_run * FRAME_MS + vad->quiet_end_ms;
}

TbVadEvent
tb_vad_push (TbVad *vad, const gint16 *samples, gsize n_samples)
{
  Pieces pieces;
  double db = level_db (pieces_measure (&pieces, samples, n_samples), n_samples);
  double threshold;
  gboolean loud;
  guint frame = vad->frames++;

  if (frame == 0)
    vad->floor_db = CLAMP (db, FLOOR_MIN_DB, FLOOR_MAX_DB);
  threshold = MAX (vad->floor_db + TB_VAD_MARGIN_DB, TB_VAD_MIN_SPEECH_DB);
  loud = db > threshold;
  follow_floor (vad, db, loud);

  vad->last_db = db;
  if (loud) {
    vad->loud_run++;
    vad->quiet_run = 0;
    vad->last_loud_frame = frame;
    vad->quiet_end_ms = quiet_end_ms (&pieces, threshold);
  } else {
    vad->loud_run = 0;
    vad->quiet_run++;
  }

  if (!vad->in_speech) {
    if (vad->loud_run >= TB_VAD_START_FRAMES) {
      vad->in_speech = TRUE;
      vad->start_frame = frame + 1 - vad->loud_run;
      vad->speech_frames = vad->loud_run;
      return TB_VAD_SPEECH_START;
    }
    return TB_VAD_NONE;
  }

  if (loud)
    vad->speech_frames++;
  return TB_VAD_NONE;
}

gint64
tb_vad_end_due_us (const TbVad *vad, gint64 heard_us, guint endpoint_ms)
{
  guint silence_ms = tb_vad_silence_ms (vad);

  if (!vad->in_speech || silence_ms == 0)
    return -1;
  return heard_us + ((gint64) endpoint_ms - silence_ms) * 1000;
}

void
tb_vad_end (TbVad *vad)
{
  vad->in_speech = FALSE;
}

/* Words after which a caller has not finished ("at ten and", "I want to"). */
static const char *const unfinished_words[] = {
  "and", "or", "but", "the", "a", "an", "to", "at", "for", "of", "in", "on", "with", "my",
  "your", "is", "um", "uh", "er", "erm", "so", "because", "like", "about", "from", "next",
  "half", "quarter", NULL
};
static gboolean
looks_unfinished (const char *partial)
{
  g_autofree char *text = g_ascii_strdown (partial ? partial : "", -1);
  char *last;

  g_strchomp (text);
  if (!*text)
    return FALSE;
  if (g_str_has_suffix (text, ","))
    return TRUE;
  last = strrchr (text, ' ');
  last = last ? last + 1 : text;
  return g_strv_contains (unfinished_words, last);
}

guint
tb_vad_endpoint_ms (guint base_ms, const char *partial)
{
  return looks_unfinished (partial) ? MIN (base_ms * 2, base_ms + 800) : base_ms;
}
