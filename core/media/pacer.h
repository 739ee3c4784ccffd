/* pacer.h — a GSource that fires every period on a fixed grid.
 *
 * Deadlines are start + n * period on the monotonic clock, so a late
 * wake-up does not push the following ones back (no drift). Start is a
 * multiple of the period, so pacers of the same period fire together. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* At most this many overdue ticks are made up at once; beyond that
 * (the thread was blocked) the missed ones are skipped. */
#define TB_PACER_MAX_CATCH_UP 4

/* One tick. @skipped ticks were dropped right before it (usually 0).
 * Return FALSE to stop making up overdue ticks in this wake-up. */
typedef gboolean (*TbPacerFunc) (guint skipped, gpointer user_data);

/* A source, not yet attached, whose first tick is due now. */
GSource *tb_pacer_source_new (guint period_us, TbPacerFunc func, gpointer user_data);

G_END_DECLS
