/* pacer.c — a GSource that fires every period on a fixed grid. */
#define G_LOG_DOMAIN "tb-media"

#include "pacer.h"

typedef struct {
  GSource source;
  gint64 start;      /* monotonic time of tick 0 */
  gint64 period;
  guint64 ticks;     /* ticks done */
} PacerSource;

static gboolean
pacer_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  PacerSource *pacer = (PacerSource *) source;
  TbPacerFunc func = (TbPacerFunc) (void (*) (void)) callback;
  guint64 due = (guint64) ((g_source_get_time (source) - pacer->start) / pacer->period) + 1;
  guint skipped = 0;

  if (due > pacer->ticks + TB_PACER_MAX_CATCH_UP) {
    skipped = due - pacer->ticks - 1;
    pacer->ticks += skipped;
  }
  while (pacer->ticks < due) {
    pacer->ticks++;
    if (!func (skipped, user_data))
      break;
    skipped = 0;
  }
  if (g_source_is_destroyed (source))
    return G_SOURCE_REMOVE;
  g_source_set_ready_time (source, pacer->start + (gint64) pacer->ticks * pacer->period);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs pacer_funcs = {
  .dispatch = pacer_dispatch,
};

GSource *
tb_pacer_source_new (guint period_us, TbPacerFunc func, gpointer user_data)
{
  GSource *source;
  PacerSource *pacer;

  g_return_val_if_fail (period_us > 0 && func, NULL);
  source = g_source_new (&pacer_funcs, sizeof (PacerSource));
  pacer = (PacerSource *) source;
  /* On the clock's grid of @period_us: every pacer of a worker then fires in
   * the same wake-up instead of each in its own. */
  pacer->start = g_get_monotonic_time ();
  pacer->start -= pacer->start % period_us;
  pacer->period = period_us;
  g_source_set_name (source, "tb-media pacer");
  g_source_set_callback (source, (GSourceFunc) (void (*) (void)) func, user_data, NULL);
  g_source_set_ready_time (source, pacer->start);
  return source;
}
