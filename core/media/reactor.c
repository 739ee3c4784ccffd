/* reactor.c — the media sessions of one GMainContext as one source: an
 * epoll set of their sockets and one timer for all their ticks. */
#define G_LOG_DOMAIN "tb-media"

#include "reactor.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <gio/gio.h>

/* Sockets handled per wake-up at most; more ready ones keep the epoll fd
 * readable and are handled at the next. */
#define MAX_EVENTS 128

struct _TbMediaMember {
  int fd;                      /* -1: none */
  TbMediaReadableFunc readable;
  TbMediaTickFunc tick;
  gpointer user_data;
  guint index;                 /* in members */
  gboolean removed;
  gint64 due;                  /* the next tick (with a tick function) */
  gboolean rescheduled;        /* during its tick */
};

struct _TbMediaReactor {
  GSource source;
  GMainContext *context;       /* the key in the table, not a reference */
  int epoll_fd;                /* the members' sockets */
  int outer_fd;                /* what GLib polls: epoll_fd while watching */
  gpointer outer_tag;
  guint refs;                  /* under the table's lock */
  GPtrArray *members;          /* of TbMediaMember, owned */
  guint tickers;               /* members with a tick function */
  guint dispatching;
  gboolean have_removed;       /* members removed during a dispatch */
  gint64 next_due;             /* no member's tick is due before this */
  gboolean watching;           /* epoll_fd is in outer_fd */
  gint64 read_due;             /* not watching: the sockets are read then */
};

G_LOCK_DEFINE_STATIC (reactors);
static GHashTable *reactors;   /* GMainContext -> TbMediaReactor */

/* ---- ticks ---------------------------------------------------------------- */

/* Runs @member's ticks due by @now: those overdue are made up, up to
 * TB_MEDIA_REACTOR_MAX_CATCH_UP; beyond that the missed ones are skipped.
 * Each tick's due is past before its function runs, so that a member
 * that reschedules itself from its tick is not overwritten. */
static void
tick_member (TbMediaMember *member, gint64 now)
{
  guint64 run = (guint64) ((now - member->due) / TB_MEDIA_REACTOR_PERIOD_US) + 1;
  guint skipped = 0;

  if (run > TB_MEDIA_REACTOR_MAX_CATCH_UP) {
    skipped = run - 1;
    run = 1;
  }
  for (guint64 k = 0; k < run; k++) {
    member->due += (gint64) (k == 0 ? skipped + 1 : 1) * TB_MEDIA_REACTOR_PERIOD_US;
    member->rescheduled = FALSE;
    if (!member->tick (k == 0 ? skipped : 0, member->user_data) || member->removed ||
        member->rescheduled)
      break;
  }
}

/* Ticks the members that are due, and finds the next due tick on the way
 * (a member scheduled from a tick lowers it too, whatever its place). A
 * member who joins meanwhile is past the loop, and lowered it when added. */
static void
dispatch_ticks (TbMediaReactor *reactor, gint64 now)
{
  guint n = reactor->members->len;

  if (now < reactor->next_due)
    return;
  reactor->next_due = G_MAXINT64;
  for (guint i = 0; i < n; i++) {
    TbMediaMember *member = g_ptr_array_index (reactor->members, i);

    if (!member->tick || member->removed)
      continue;
    if (member->due <= now)
      tick_member (member, now);
    if (!member->removed)
      reactor->next_due = MIN (reactor->next_due, member->due);
  }
}

/* ---- sockets -------------------------------------------------------------- */

/* Hands the readable sockets to their members; how many there were, and
 * in @more whether one may hold more. */
static int
dispatch_readable (TbMediaReactor *reactor, gboolean *more)
{
  struct epoll_event events[MAX_EVENTS];
  int n;

  do
    n = epoll_wait (reactor->epoll_fd, events, MAX_EVENTS, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    g_warning ("media: epoll_wait: %s", g_strerror (errno));
    return 0;
  }
  for (int i = 0; i < n; i++) {
    TbMediaMember *member = events[i].data.ptr;

    /* Removed by an earlier one in this batch: still allocated until the
     * dispatch ends, and skipped. */
    if (!member->removed && member->readable && member->readable (member->user_data))
      *more = TRUE;
  }
  *more |= n == MAX_EVENTS;
  return n;
}

/* The members' epoll set in or out of what the context polls. Not by
 * changing the events GLib polls for: GLib 2.74 wakes the context for
 * every such change (an eventfd write and an iteration more). The set sits
 * in a second one, the fd GLib polls, only while watched. */
static void
watch (TbMediaReactor *reactor, gboolean watching)
{
  struct epoll_event event = { .events = EPOLLIN };

  if (reactor->watching == watching)
    return;
  if (epoll_ctl (reactor->outer_fd, watching ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, reactor->epoll_fd,
                 &event) < 0) {
    /* Left as it was: read at every window's end (watching failed),
     * or when readable (unwatching failed). */
    g_warning ("media: %s the sockets' epoll set: %s", watching ? "watching" : "unwatching",
               g_strerror (errno));
    return;
  }
  reactor->watching = watching;
}

/* Reads what the sockets hold. Something read opens a new window, closed
 * to the poll (ending at once when some was left to read); nothing read
 * at the window's end puts the set back in the poll, while nothing read
 * at a tick inside the window leaves the window as it was (a packet
 * coming just after would otherwise wake the worker by itself). */
static void
read_window (TbMediaReactor *reactor, gint64 now)
{
  gboolean over = reactor->watching || now >= reactor->read_due;
  gboolean more = FALSE;
  int n = dispatch_readable (reactor, &more);

  if (g_source_is_destroyed (&reactor->source))
    return;
  if (n > 0) {
    reactor->read_due = more ? now : now + TB_MEDIA_REACTOR_READ_US;
    watch (reactor, FALSE);
  } else if (over) {
    watch (reactor, TRUE);
    /* Could not: the next window, rather than at once again. */
    if (!reactor->watching)
      reactor->read_due = now + TB_MEDIA_REACTOR_READ_US;
  }
}

/* ---- the source ------------------------------------------------------------- */

static void
forget_member (TbMediaReactor *reactor, TbMediaMember *member)
{
  if (member->tick)
    reactor->tickers--;
  g_free (member);
}

/* Drops the members removed during the dispatch, keeping the order of the
 * others. */
static void
collect (TbMediaReactor *reactor)
{
  guint kept = 0;

  for (guint i = 0; i < reactor->members->len; i++) {
    TbMediaMember *member = g_ptr_array_index (reactor->members, i);

    if (member->removed) {
      forget_member (reactor, member);
      continue;
    }
    member->index = kept;
    reactor->members->pdata[kept++] = member;
  }
  g_ptr_array_set_size (reactor->members, kept);
  reactor->have_removed = FALSE;
}

/* The next tick, or the end of the read window: what the reactor waits
 * for besides its fd. */
static gint64
next_time (TbMediaReactor *reactor)
{
  gint64 next = reactor->tickers > 0 ? reactor->next_due : G_MAXINT64;

  return reactor->watching ? next : MIN (next, reactor->read_due);
}

/* That time goes to GLib from prepare(), not as a ready time: in GLib
 * 2.74 every change of a source's ready time writes to its context's
 * eventfd, and a reactor's changes with each dispatch, so every dispatch
 * cost a needless wake-up and a whole iteration more. */
static gboolean
reactor_prepare (GSource *source, gint *timeout)
{
  gint64 next = next_time ((TbMediaReactor *) source);
  gint64 now;

  if (next == G_MAXINT64) {
    *timeout = -1;
    return FALSE;
  }
  now = g_source_get_time (source);
  if (now >= next) {
    *timeout = 0;
    return TRUE;
  }
  *timeout = (gint) MIN ((next - now + 999) / 1000, G_MAXINT);
  return FALSE;
}

static gboolean
reactor_check (GSource *source)
{
  TbMediaReactor *reactor = (TbMediaReactor *) source;

  return (g_source_query_unix_fd (source, reactor->outer_tag) & G_IO_IN) ||
         g_source_get_time (source) >= next_time (reactor);
}

static gboolean
reactor_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  TbMediaReactor *reactor = (TbMediaReactor *) source;
  gint64 now = g_source_get_time (source);

  (void) callback;
  (void) user_data;
  reactor->dispatching++;
  /* The ticks first: their packets leave on time, whatever there is to
   * read. */
  if (reactor->tickers > 0)
    dispatch_ticks (reactor, now);
  else
    reactor->next_due = G_MAXINT64;
  /* Out of the poll, the sockets wait for the window's end, or for a
   * wake-up that came anyway (a tick). */
  if (!g_source_is_destroyed (source) &&
      (!reactor->watching || (g_source_query_unix_fd (source, reactor->outer_tag) & G_IO_IN)))
    read_window (reactor, now);
  if (--reactor->dispatching == 0 && reactor->have_removed)
    collect (reactor);
  return G_SOURCE_CONTINUE;
}

static void
reactor_finalize (GSource *source)
{
  TbMediaReactor *reactor = (TbMediaReactor *) source;

  for (guint i = 0; i < reactor->members->len; i++)
    g_free (g_ptr_array_index (reactor->members, i));
  g_ptr_array_unref (reactor->members);
  close (reactor->outer_fd);
  close (reactor->epoll_fd);
}

static GSourceFuncs reactor_funcs = {
  .prepare = reactor_prepare,
  .check = reactor_check,
  .dispatch = reactor_dispatch,
  .finalize = reactor_finalize,
};

static TbMediaReactor *
reactor_new (GMainContext *context, GError **error)
{
  int epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  int outer_fd = epoll_create1 (EPOLL_CLOEXEC);
  struct epoll_event event = { .events = EPOLLIN };
  GSource *source;
  TbMediaReactor *reactor;

  if (epoll_fd < 0 || outer_fd < 0 ||
      epoll_ctl (outer_fd, EPOLL_CTL_ADD, epoll_fd, &event) < 0) {
    int saved = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                 "cannot make the media epoll set: %s", g_strerror (saved));
    if (epoll_fd >= 0)
      close (epoll_fd);
    if (outer_fd >= 0)
      close (outer_fd);
    return NULL;
  }
  source = g_source_new (&reactor_funcs, sizeof (TbMediaReactor));
  reactor = (TbMediaReactor *) source;
  reactor->context = context;
  reactor->epoll_fd = epoll_fd;
  reactor->outer_fd = outer_fd;
  reactor->refs = 1;
  reactor->members = g_ptr_array_new ();
  reactor->next_due = G_MAXINT64;
  reactor->watching = TRUE;
  g_source_set_name (source, "tb-media reactor");
  g_source_set_priority (source, G_PRIORITY_HIGH);
  /* Never blocked around its own dispatch: with GLib 2.74 blocking takes
   * the fd out of the poll set and puts it back, waking the context (an
   * eventfd write, then a needless poll) every time. Nothing it calls
   * iterates the context. */
  g_source_set_can_recurse (source, TRUE);
  reactor->outer_tag = g_source_add_unix_fd (source, outer_fd, G_IO_IN);
  g_source_attach (source, context);
  return reactor;
}

TbMediaReactor *
tb_media_reactor_ref_for (GMainContext *context, GError **error)
{
  TbMediaReactor *reactor;

  g_return_val_if_fail (context, NULL);
  G_LOCK (reactors);
  if (!reactors)
    reactors = g_hash_table_new (NULL, NULL);
  reactor = g_hash_table_lookup (reactors, context);
  if (reactor)
    reactor->refs++;
  else if ((reactor = reactor_new (context, error)))
    g_hash_table_insert (reactors, context, reactor);
  G_UNLOCK (reactors);
  return reactor;
}

void
tb_media_reactor_unref (TbMediaReactor *reactor)
{
  gboolean last;

  if (!reactor)
    return;
  G_LOCK (reactors);
  last = --reactor->refs == 0;
  if (last)
    g_hash_table_remove (reactors, reactor->context);
  G_UNLOCK (reactors);
  if (!last)
    return;
  /* During its own dispatch GLib holds the source until it returns. */
  g_source_destroy (&reactor->source);
  g_source_unref (&reactor->source);
}

/* ---- members ---------------------------------------------------------------- */

TbMediaMember *
tb_media_reactor_add (TbMediaReactor *reactor, int fd, TbMediaReadableFunc readable,
                      TbMediaTickFunc tick, gpointer user_data, GError **error)
{
  TbMediaMember *member = g_new0 (TbMediaMember, 1);

  member->fd = readable ? fd : -1;
  member->readable = readable;
  member->tick = tick;
  member->user_data = user_data;
  if (member->fd >= 0) {
    struct epoll_event event = { .events = EPOLLIN, .data.ptr = member };

    if (epoll_ctl (reactor->epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0) {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot watch the media socket (fd %d): %s", fd, g_strerror (saved));
      g_free (member);
      return NULL;
    }
  }
  if (tick) {
    member->due = tb_media_reactor_place (reactor, g_get_monotonic_time ());
    reactor->tickers++;
  }
  member->index = reactor->members->len;
  g_ptr_array_add (reactor->members, member);
  if (tick && member->due < reactor->next_due)
    reactor->next_due = member->due;
  return member;
}

void
tb_media_reactor_remove (TbMediaReactor *reactor, TbMediaMember *member)
{
  guint last;

  if (!member)
    return;
  g_return_if_fail (!member->removed);
  member->removed = TRUE;
  if (member->fd >= 0 && epoll_ctl (reactor->epoll_fd, EPOLL_CTL_DEL, member->fd, NULL) < 0)
    g_debug ("media: unwatching fd %d: %s", member->fd, g_strerror (errno));
  if (reactor->dispatching) {
    /* Pointers to it may still be in the events being handled. */
    reactor->have_removed = TRUE;
    return;
  }
  last = reactor->members->len - 1;
  if (member->index != last) {
    TbMediaMember *moved = g_ptr_array_index (reactor->members, last);

    moved->index = member->index;
    reactor->members->pdata[member->index] = moved;
  }
  g_ptr_array_set_size (reactor->members, last);
  forget_member (reactor, member);
}

gint64
tb_media_reactor_get_time (TbMediaReactor *reactor)
{
  return g_source_get_time (&reactor->source);
}

gint64
tb_media_reactor_place (TbMediaReactor *reactor, gint64 after)
{
  gint64 best = after + TB_MEDIA_REACTOR_JOIN_US + 1;

  for (guint i = 0; i < reactor->members->len; i++) {
    TbMediaMember *member = g_ptr_array_index (reactor->members, i);
    gint64 next;

    if (!member->tick || member->removed)
      continue;
    next = member->due;
    if (next <= after)   /* overdue: it comes at once; so does a grid joining it */
      return next;
    best = MIN (best, next);
  }
  return best - after <= TB_MEDIA_REACTOR_JOIN_US ? best : after;
}

void
tb_media_reactor_schedule (TbMediaReactor *reactor, TbMediaMember *member, gint64 due)
{
  g_return_if_fail (member && member->tick && !member->removed);
  member->due = due;
  member->rescheduled = TRUE;
  /* Earlier: the next prepare() waits for it. Later than before: the
   * wake-up at the old time finds nothing due and looks again. */
  if (due < reactor->next_due)
    reactor->next_due = due;
}

gint64
tb_media_reactor_get_due (TbMediaMember *member)
{
  g_return_val_if_fail (member && member->tick, -1);
  return member->due;
}

guint
tb_media_reactor_get_members (TbMediaReactor *reactor)
{
  return reactor->members->len;
}
