/* dg-turns.c — see dg-turns.h. */
#define G_LOG_DOMAIN "tb-stt-deepgram"

#include "dg-turns.h"

/* Results end where Deepgram's frames do, not exactly on our samples:
 * this much audio left over after the last final result counts as
 * covered. */
#define COVERED_TOLERANCE_MS 20

static DgTurn *
turn_new (gsize start)
{
  DgTurn *turn = g_new0 (DgTurn, 1);

  turn->start = start;
  turn->end = DG_TURN_OPEN;
  turn->text = g_string_new (NULL);
  return turn;
}

void
dg_turn_free (DgTurn *turn)
{
  if (!turn)
    return;
  g_string_free (turn->text, TRUE);
  g_free (turn);
}

void
dg_turns_init (DgTurns *turns, guint rate, guint max_seconds)
{
  turns->rate = rate;
  turns->max_samples = (gsize) rate * max_seconds;
  turns->audio = g_array_new (FALSE, FALSE, sizeof (gint16));
  turns->base = turns->sent = turns->finalized = 0;
  g_queue_init (&turns->turns);
  g_queue_push_tail (&turns->turns, turn_new (0));
}

void
dg_turns_clear (DgTurns *turns)
{
  g_clear_pointer (&turns->audio, g_array_unref);
  g_queue_clear_full (&turns->turns, (GDestroyNotify) dg_turn_free);
}

gsize
dg_turns_end (const DgTurns *turns)
{
  return turns->base + turns->audio->len;
}

const gint16 *
dg_turns_audio (const DgTurns *turns, gsize from)
{
  g_return_val_if_fail (from >= turns->base && from <= dg_turns_end (turns), NULL);
  return (const gint16 *) turns->audio->data + (from - turns->base);
}

DgTurn *
dg_turns_open (DgTurns *turns)
{
  return g_queue_peek_tail (&turns->turns);
}

DgTurn *
dg_turns_head (DgTurns *turns)
{
  return g_queue_peek_head (&turns->turns);
}

void
dg_turns_push (DgTurns *turns, const gint16 *samples, gsize n)
{
  g_array_append_vals (turns->audio, samples, n);
  /* A turn that never ends (a host that pushes audio without end_of_turn)
   * keeps only its last max_samples: all a new connection needs to be
   * told again. Only once everything older has been delivered. */
  if (turns->audio->len > turns->max_samples && g_queue_get_length (&turns->turns) == 1) {
    gsize drop = turns->audio->len - turns->max_samples;
    DgTurn *open = dg_turns_open (turns);

    g_array_remove_range (turns->audio, 0, drop);
    turns->base += drop;
    open->start = turns->base;
    turns->sent = MAX (turns->sent, turns->base);
  }
}

DgTurn *
dg_turns_end_turn (DgTurns *turns)
{
  DgTurn *ended = dg_turns_open (turns);

  ended->end = dg_turns_end (turns);
  g_queue_push_tail (&turns->turns, turn_new (ended->end));
  return ended;
}

DgTurn *
dg_turns_find (DgTurns *turns, double start_s, double duration_s)
{
  double middle = (start_s + MAX (duration_s, 0.0) / 2) * turns->rate;

  if (middle < (double) turns->base)
    return NULL;
  for (GList *l = turns->turns.head; l; l = l->next) {
    DgTurn *turn = l->data;

    if (turn->end == DG_TURN_OPEN || middle <= (double) turn->end)
      return turn;
  }
  return NULL;
}

void
dg_turns_add_final (DgTurns *turns, DgTurn *turn, const char *text, double confidence,
                    double end_s)
{
  gsize end = (gsize) MAX (end_s * turns->rate + 0.5, 0.0);

  turns->finalized = MAX (turns->finalized, end);
  if (!text || !*text)
    return;
  if (turn->text->len)
    g_string_append_c (turn->text, ' ');
  g_string_append (turn->text, text);
  turn->confidence_sum += confidence;
  turn->n_parts++;
}

char *
dg_turn_text_with (const DgTurn *turn, const char *interim)
{
  if (!interim || !*interim)
    return g_strdup (turn->text->str);
  if (!turn->text->len)
    return g_strdup (interim);
  return g_strconcat (turn->text->str, " ", interim, NULL);
}

double
dg_turn_confidence (const DgTurn *turn)
{
  return turn->n_parts ? turn->confidence_sum / turn->n_parts : 0.0;
}

gboolean
dg_turns_head_complete (DgTurns *turns)
{
  DgTurn *head = dg_turns_head (turns);

  if (!head || head->end == DG_TURN_OPEN)
    return FALSE;
  if (head->end == head->start || head->from_finalize)
    return TRUE;
  return head->end <= turns->finalized + turns->rate * COVERED_TOLERANCE_MS / 1000;
}

DgTurn *
dg_turns_pop (DgTurns *turns)
{
  DgTurn *head = dg_turns_head (turns);

  g_return_val_if_fail (head && head->end != DG_TURN_OPEN, NULL);
  g_queue_pop_head (&turns->turns);
  g_array_remove_range (turns->audio, 0, head->end - turns->base);
  turns->base = head->end;
  return head;
}

void
dg_turns_restart (DgTurns *turns)
{
  gsize shift = turns->base;

  for (GList *l = turns->turns.head; l; l = l->next) {
    DgTurn *turn = l->data;

    turn->start -= shift;
    if (turn->end != DG_TURN_OPEN)
      turn->end -= shift;
    g_string_truncate (turn->text, 0);
    turn->confidence_sum = 0;
    turn->n_parts = 0;
    turn->finalize_sent = FALSE;
    turn->from_finalize = FALSE;
    turn->unfinalized = FALSE;
    turn->finalize_us = 0;
  }
  turns->base = 0;
  turns->sent = 0;
  turns->finalized = 0;
}
