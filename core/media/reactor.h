/* reactor.h — the media sessions of one GMainContext (one worker), seen
 * by that context as one source: every session's RTP socket in a single
 * epoll set, and every session's 20 ms tick from a single timer.
 *
 * A context iteration costs GLib time and a poll() over every source and
 * fd it holds; with a socket source and a timer per call, hundreds of
 * calls on a worker made each of the thousands of wake-ups a second
 * scan them all. With the reactor a wake-up touches only the sessions
 * whose sockets are readable, and the ticks due together are one
 * wake-up.
 *
 * Each member ticks on its own grid, due + n * period on the monotonic
 * clock: a late wake-up does not push the following ones back (no drift).
 * A member may move its grid (tb_media_reactor_schedule(): a call whose
 * agent starts to speak sends at once rather than at its next 20 ms
 * point). New grids join one already there when it comes within
 * TB_MEDIA_REACTOR_JOIN_US (tb_media_reactor_place()), so the ticks of
 * many members still share a few wake-ups per period; a reactor with no
 * other grid places a new one at once.
 *
 * Sockets are read at most every TB_MEDIA_REACTOR_READ_US: after a wake-up
 * that read packets, the epoll set is left out of the context's poll until
 * then, and what arrived meanwhile is read together, at the window's end
 * or at a tick before it. A window in which nothing came puts the set back
 * in the poll, so a quiet reactor reads a packet when it arrives. The
 * packets' own times are the kernel's arrival stamps (media-receive.c),
 * so the wait moves no end of speech; without the window, a worker woke
 * for every few packets of calls whose packets fall all over the period. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TB_MEDIA_REACTOR_PERIOD_US 20000

/* At most this many overdue ticks are made up at once; beyond that
 * (the thread was blocked) the missed ones are skipped. */
#define TB_MEDIA_REACTOR_MAX_CATCH_UP 4

/* A new grid waits at most this long for one already there. */
#define TB_MEDIA_REACTOR_JOIN_US 4000

/* A packet waits at most this long to be read with others. */
#define TB_MEDIA_REACTOR_READ_US 10000

typedef struct _TbMediaReactor TbMediaReactor;
typedef struct _TbMediaMember TbMediaMember;

/* The member's fd is readable (level-triggered: read until EAGAIN, or
 * what is left comes back at the next wake-up). Return TRUE when it
 * stopped short of EAGAIN (a cap per wake-up): the reactor then reads
 * again at once, rather than at the end of the next read window. */
typedef gboolean (*TbMediaReadableFunc) (gpointer user_data);
/* One tick; @skipped ticks were dropped right before it (usually 0).
 * Return FALSE to stop making up this member's overdue ticks in this
 * wake-up. */
typedef gboolean (*TbMediaTickFunc) (guint skipped, gpointer user_data);

/* The reactor of @context, made (and attached) when it has none; a new
 * reference. Call from the thread that runs @context. */
TbMediaReactor *tb_media_reactor_ref_for (GMainContext *context, GError **error);
/* The last reference destroys it (safe from inside its own dispatch). */
void tb_media_reactor_unref (TbMediaReactor *reactor);

/* Watches @fd (non-blocking) for reading and ticks @tick every period,
 * the first at tb_media_reactor_place (now); either function may be NULL.
 * NULL with @error when the fd cannot be watched. */
TbMediaMember *tb_media_reactor_add (TbMediaReactor *reactor, int fd,
                                     TbMediaReadableFunc readable, TbMediaTickFunc tick,
                                     gpointer user_data, GError **error);
/* Nothing is called for @member once this returns, even later in the
 * dispatch under way; @member is gone. */
void tb_media_reactor_remove (TbMediaReactor *reactor, TbMediaMember *member);

/* The time of the dispatch under way (the monotonic clock, cached as
 * g_source_get_time() does). */
gint64 tb_media_reactor_get_time (TbMediaReactor *reactor);
guint tb_media_reactor_get_members (TbMediaReactor *reactor);
/* Where a grid starting at @after (now) goes: the due tick of a member's
 * grid if one is overdue (in the past: it comes at once) or comes within
 * TB_MEDIA_REACTOR_JOIN_US; else @after. */
gint64 tb_media_reactor_place (TbMediaReactor *reactor, gint64 after);
/* @member's next tick is at @due (the monotonic clock; in the past: at
 * once), and the others every period after it. From inside its own tick
 * too: the reactor then does not make up its overdue ticks. */
void tb_media_reactor_schedule (TbMediaReactor *reactor, TbMediaMember *member, gint64 due);
/* When @member's next tick is due: in the past when it is overdue (it
 * comes at once). Inside a tick, the one after it. */
gint64 tb_media_reactor_get_due (TbMediaMember *member);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbMediaReactor, tb_media_reactor_unref)

G_END_DECLS
