/* dg-turns.h — the caller's turns of one Deepgram session: the audio not
 * yet transcribed for good (kept so that a new connection can be given it
 * again), where each turn ends in it, and the final parts of each turn's
 * transcript. No I/O: the session decides what to send when.
 *
 * Positions are samples of the current connection's audio stream, which
 * is what Deepgram's start and duration count (in seconds); a new
 * connection starts again from 0 with the audio kept. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DG_TURN_OPEN G_MAXSIZE

typedef struct {
  gsize start, end;        /* [start, end); end is DG_TURN_OPEN while the caller speaks */
  GString *text;           /* is_final parts so far, joined by spaces */
  double confidence_sum;
  guint n_parts;
  gboolean by_close;       /* ended by finish(): CloseStream finalizes it */
  gboolean finalize_sent;  /* on the current connection */
  gboolean from_finalize;  /* the answer to its Finalize came */
  gboolean unfinalized;    /* an interim result with words came after its last final */
  gint64 finalize_us;      /* when its Finalize was sent */
} DgTurn;

typedef struct {
  guint rate;
  gsize max_samples;       /* audio kept for an open turn, at the most */
  GArray *audio;           /* gint16, positions [base, base + len) */
  gsize base;
  gsize sent;              /* written on the current connection */
  gsize finalized;         /* covered by is_final results on it */
  GQueue turns;            /* DgTurn *, oldest first; the last one is open */
} DgTurns;

void dg_turns_init (DgTurns *turns, guint rate, guint max_seconds);
void dg_turns_clear (DgTurns *turns);
void dg_turn_free (DgTurn *turn);

/* Position after the last sample pushed. */
gsize dg_turns_end (const DgTurns *turns);
/* The samples from position @from on. */
const gint16 *dg_turns_audio (const DgTurns *turns, gsize from);

void dg_turns_push (DgTurns *turns, const gint16 *samples, gsize n);

DgTurn *dg_turns_open (DgTurns *turns);
DgTurn *dg_turns_head (DgTurns *turns);
/* Ends the open turn here and opens the next; returns the one ended. */
DgTurn *dg_turns_end_turn (DgTurns *turns);

/* The turn a result covering [start_s, start_s + duration_s] belongs to
 * (by its middle), or NULL for audio of a turn already delivered. */
DgTurn *dg_turns_find (DgTurns *turns, double start_s, double duration_s);
/* An is_final part of @turn's transcript ending at @end_s. */
void dg_turns_add_final (DgTurns *turns, DgTurn *turn, const char *text, double confidence,
                         double end_s);
/* @turn's text so far followed by @interim (may be NULL). */
char *dg_turn_text_with (const DgTurn *turn, const char *interim);
double dg_turn_confidence (const DgTurn *turn);

/* Whether the oldest turn is ended and its transcript complete: it had no
 * audio, the answer to its Finalize came, or final results cover it. */
gboolean dg_turns_head_complete (DgTurns *turns);
/* Removes the oldest turn (and its audio); the caller frees it. */
DgTurn *dg_turns_pop (DgTurns *turns);

/* A new connection: the audio kept starts at position 0 and nothing of it
 * has been sent or transcribed. */
void dg_turns_restart (DgTurns *turns);

G_END_DECLS
