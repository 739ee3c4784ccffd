/* test-reactor.c — the media reactor: one per context, ticks on the
 * clock's grid for members in one wake-up, grids moved and joined,
 * readable sockets handed
 * to their members, members removed (and the reactor destroyed) from
 * inside its own dispatch. */
#include "reactor.h"

#include <gio/gio.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

typedef struct {
  TbMediaReactor *reactor;
  TbMediaMember *member;
  guint ticks;
  guint skipped;
  gint64 last_tick;
  int fd;
  guint reads;
  guint packets;
  /* What the next readable() does besides reading. */
  TbMediaMember **remove_other;
  gboolean remove_self_and_unref;
  gint64 sleep_us;             /* each tick moves the next this far */
  guint cap;                   /* packets read per call at most; 0: all */
  gint64 first_read;           /* when the first packet was read */
} Member;

static gboolean
on_tick (guint skipped, gpointer user_data)
{
  Member *m = user_data;

  m->ticks++;
  m->skipped += skipped;
  m->last_tick = tb_media_reactor_get_time (m->reactor);
  if (m->sleep_us)
    tb_media_reactor_schedule (m->reactor, m->member, m->last_tick + m->sleep_us);
  return TRUE;
}

static gboolean
on_readable (gpointer user_data)
{
  Member *m = user_data;
  char buffer[64];

  m->reads++;
  for (guint n = 0; !m->cap || n < m->cap; n++) {
    if (recv (m->fd, buffer, sizeof buffer, MSG_DONTWAIT) < 0) {
      g_assert_true (errno == EAGAIN || errno == EWOULDBLOCK);
      break;
    }
    if (m->packets++ == 0)
      m->first_read = g_get_monotonic_time ();
    if (m->cap && n + 1 == m->cap)
      return TRUE;
  }
  if (m->remove_other && *m->remove_other) {
    tb_media_reactor_remove (m->reactor, *m->remove_other);
    *m->remove_other = NULL;
  }
  if (m->remove_self_and_unref) {
    tb_media_reactor_remove (m->reactor, m->member);
    m->member = NULL;
    g_clear_pointer (&m->reactor, tb_media_reactor_unref);
  }
  return FALSE;
}

/* A bound UDP socket on loopback and its port. */
static int
udp_socket (guint16 *port)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof address;
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &address, &len), ==, 0);
  *port = ntohs (address.sin_port);
  return fd;
}

static void
send_to (int from, guint16 port, guint count)
{
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK),
                            .sin_port = htons (port) };

  for (guint i = 0; i < count; i++)
    g_assert_cmpint (sendto (from, "rtp", 3, 0, (struct sockaddr *) &to, sizeof to), ==, 3);
}

static void
iterate_for (GMainContext *context, gint64 us)
{
  gint64 end = g_get_monotonic_time () + us;

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (context, FALSE))
      g_usleep (1000);
}

static void
test_one_per_context (void)
{
  g_autoptr(GMainContext) one = g_main_context_new ();
  g_autoptr(GMainContext) other = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  TbMediaReactor *a = tb_media_reactor_ref_for (one, &error);
  TbMediaReactor *b = tb_media_reactor_ref_for (one, &error);
  TbMediaReactor *c = tb_media_reactor_ref_for (other, &error);
  TbMediaReactor *again;

  g_assert_no_error (error);
  g_assert_true (a == b);
  g_assert_true (a != c);
  tb_media_reactor_unref (a);
  tb_media_reactor_unref (b);
  tb_media_reactor_unref (c);
  /* The last reference went: a new one is made (and works). */
  again = tb_media_reactor_ref_for (one, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tb_media_reactor_get_members (again), ==, 0);
  tb_media_reactor_unref (again);
}

static void
test_ticks (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  Member a = { 0 }, b = { 0 };
  gint64 start = g_get_monotonic_time ();
  guint64 expected;

  a.reactor = tb_media_reactor_ref_for (context, &error);
  b.reactor = tb_media_reactor_ref_for (context, &error);
  a.member = tb_media_reactor_add (a.reactor, -1, NULL, on_tick, &a, &error);
  b.member = tb_media_reactor_add (b.reactor, -1, NULL, on_tick, &b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tb_media_reactor_get_members (a.reactor), ==, 2);

  while (g_get_monotonic_time () - start < 500000)
    g_main_context_iteration (context, TRUE);
  /* Ticks follow the clock: about 26 in 500 ms. Loose bounds, these are
   * not benchmarks. Both members tick in the same wake-ups, on the grid. */
  expected = (g_get_monotonic_time () - start) / TB_MEDIA_REACTOR_PERIOD_US + 1;
  g_assert_cmpuint (a.ticks, >=, expected - 3);
  g_assert_cmpuint (a.ticks, <=, expected + 1);
  g_assert_cmpint (ABS ((gint) a.ticks - (gint) b.ticks), <=, 1);
  g_assert_cmpint (a.last_tick, ==, b.last_tick);
  g_assert_cmpuint (a.skipped + b.skipped, ==, 0);

  /* A blocked thread: the missed ticks beyond the catch-up are skipped,
   * not made up in a burst. */
  g_usleep (300000);
  a.ticks = b.ticks = 0;
  g_main_context_iteration (context, FALSE);
  g_assert_cmpuint (a.ticks, ==, 1);
  g_assert_cmpuint (b.ticks, ==, 1);
  g_assert_cmpuint (a.skipped, >=, 300000 / TB_MEDIA_REACTOR_PERIOD_US -
                    TB_MEDIA_REACTOR_MAX_CATCH_UP);
  g_assert_cmpuint (b.skipped, ==, a.skipped);

  /* A removed member ticks no more; the other goes on. */
  tb_media_reactor_remove (a.reactor, a.member);
  a.ticks = b.ticks = 0;
  iterate_for (context, 100000);
  g_assert_cmpuint (a.ticks, ==, 0);
  g_assert_cmpuint (b.ticks, >=, 3);
  tb_media_reactor_remove (b.reactor, b.member);
  tb_media_reactor_unref (a.reactor);
  tb_media_reactor_unref (b.reactor);
}

static void
test_sockets (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  Member a = { 0 }, b = { 0 };
  guint16 port_a, port_b, port_sender;
  int sender = udp_socket (&port_sender);

  a.fd = udp_socket (&port_a);
  b.fd = udp_socket (&port_b);
  a.reactor = tb_media_reactor_ref_for (context, &error);
  b.reactor = tb_media_reactor_ref_for (context, &error);
  a.member = tb_media_reactor_add (a.reactor, a.fd, on_readable, NULL, &a, &error);
  b.member = tb_media_reactor_add (b.reactor, b.fd, on_readable, NULL, &b, &error);
  g_assert_no_error (error);

  /* Nothing to read, no tick members: nothing is dispatched. */
  g_assert_false (g_main_context_iteration (context, FALSE));

  send_to (sender, port_a, 3);
  iterate_for (context, 50000);
  g_assert_cmpuint (a.packets, ==, 3);
  g_assert_cmpuint (b.packets, ==, 0);
  send_to (sender, port_b, 2);
  iterate_for (context, 50000);
  g_assert_cmpuint (b.packets, ==, 2);

  /* Both readable in one wake-up, and whichever is handled first removes
   * the other: the other is not called, not even from the batch that
   * was already taken from the epoll set. */
  a.remove_other = &b.member;
  b.remove_other = &a.member;
  a.reads = b.reads = 0;
  send_to (sender, port_a, 1);
  send_to (sender, port_b, 1);
  g_usleep (20000);
  g_assert_true (g_main_context_iteration (context, FALSE));
  g_assert_cmpuint (a.reads + b.reads, ==, 1);
  g_assert_true ((a.member == NULL) != (b.member == NULL));

  /* The survivor removes itself and drops the last reference to the
   * reactor from inside the reactor's dispatch. */
  {
    Member *survivor = a.member ? &a : &b;
    Member *gone = survivor == &a ? &b : &a;

    tb_media_reactor_unref (gone->reactor);
    gone->reactor = NULL;
    survivor->remove_other = NULL;
    survivor->remove_self_and_unref = TRUE;
    send_to (sender, survivor == &a ? port_a : port_b, 1);
    iterate_for (context, 50000);
    g_assert_null (survivor->member);
    g_assert_null (survivor->reactor);
  }
  close (a.fd);
  close (b.fd);
  close (sender);
}

/* Reads are batched: after a read the sockets wait for the window's end,
 * so a stream of packets is read a few at a time; a quiet reactor reads a
 * packet when it comes; a member that stops short is read again at once. */
static void
test_read_window (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  Member a = { 0 };
  guint16 port, port_sender;
  int sender = udp_socket (&port_sender);
  gint64 sent, end;

  a.fd = udp_socket (&port);
  a.reactor = tb_media_reactor_ref_for (context, &error);
  a.member = tb_media_reactor_add (a.reactor, a.fd, on_readable, NULL, &a, &error);
  g_assert_no_error (error);

  /* Quiet: read at once. */
  sent = g_get_monotonic_time ();
  send_to (sender, port, 1);
  while (a.packets == 0)
    g_main_context_iteration (context, TRUE);
  g_assert_cmpint (a.first_read - sent, <, TB_MEDIA_REACTOR_READ_US / 2);
  iterate_for (context, 3 * TB_MEDIA_REACTOR_READ_US);

  /* A packet every millisecond for 200 ms: a read per window, not per
   * packet, and nothing left behind. */
  a.reads = a.packets = 0;
  end = g_get_monotonic_time () + 200000;
  while (g_get_monotonic_time () < end) {
    send_to (sender, port, 1);
    iterate_for (context, 1000);
  }
  iterate_for (context, 3 * TB_MEDIA_REACTOR_READ_US);
  g_assert_cmpuint (a.packets, >=, 100);
  g_assert_cmpuint (a.reads, <=, 200000 / TB_MEDIA_REACTOR_READ_US + 5);
  g_assert_cmpuint (a.reads, >=, 200000 / TB_MEDIA_REACTOR_READ_US / 2);

  /* Stopping short: the rest is read at once, not a window later. */
  a.cap = 2;
  a.packets = 0;
  send_to (sender, port, 1);
  while (a.packets == 0)
    g_main_context_iteration (context, TRUE);
  send_to (sender, port, 10);
  sent = g_get_monotonic_time ();
  while (a.packets < 11 && g_get_monotonic_time () - sent < 1000000)
    g_main_context_iteration (context, TRUE);
  g_assert_cmpuint (a.packets, ==, 11);
  g_assert_cmpint (g_get_monotonic_time () - sent, <, 2 * TB_MEDIA_REACTOR_READ_US);

  tb_media_reactor_remove (a.reactor, a.member);
  tb_media_reactor_unref (a.reactor);
  close (a.fd);
  close (sender);
}

static void
test_bad_fd (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TbMediaReactor) reactor = tb_media_reactor_ref_for (context, &error);
  Member m = { 0 };

  g_assert_null (tb_media_reactor_add (reactor, 100000, on_readable, NULL, &m, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "fd 100000"));
  g_assert_cmpuint (tb_media_reactor_get_members (reactor), ==, 0);
}

/* Members' own grids: a new one joins a grid that comes soon enough, a
 * member moves its grid (from outside, or from its own tick), and the
 * others are not disturbed. */
static void
test_schedule (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  Member a = { 0 }, b = { 0 }, c = { 0 };
  gint64 next, moved, start;

  a.reactor = tb_media_reactor_ref_for (context, &error);
  b.reactor = tb_media_reactor_ref_for (context, &error);
  c.reactor = tb_media_reactor_ref_for (context, &error);
  a.member = tb_media_reactor_add (a.reactor, -1, NULL, on_tick, &a, &error);
  b.member = tb_media_reactor_add (b.reactor, -1, NULL, on_tick, &b, &error);
  g_assert_no_error (error);
  next = tb_media_reactor_get_due (a.member);
  g_assert_cmpint (tb_media_reactor_get_due (b.member), ==, next);

  /* Within the join window of A's grid: A's tick; beyond it: the time
   * asked; past A's due (it is overdue): A's tick, at once. */
  g_assert_cmpint (tb_media_reactor_place (a.reactor, next - 1000), ==, next);
  g_assert_cmpint (tb_media_reactor_place (a.reactor, next - TB_MEDIA_REACTOR_JOIN_US - 1000), ==,
                   next - TB_MEDIA_REACTOR_JOIN_US - 1000);
  g_assert_cmpint (tb_media_reactor_place (a.reactor, next + 500), ==, next);

  /* B moves its grid 57 ms on: nothing for it until then, A goes on. */
  iterate_for (context, 30000);
  moved = g_get_monotonic_time () + 57000;
  tb_media_reactor_schedule (b.reactor, b.member, moved);
  a.ticks = b.ticks = 0;
  while (g_get_monotonic_time () < moved - 1000)
    if (!g_main_context_iteration (context, FALSE))
      g_usleep (500);
  g_assert_cmpuint (b.ticks, ==, 0);
  g_assert_cmpuint (a.ticks, >=, 2);
  iterate_for (context, 100000);
  g_assert_cmpuint (b.ticks, >=, 4);
  g_assert_cmpint (b.last_tick, >=, moved);
  /* On its new grid, not A's (unless a wake-up was late by a period). */
  g_assert_cmpint ((b.last_tick - moved) % TB_MEDIA_REACTOR_PERIOD_US, <, 3000);
  g_assert_cmpint ((b.last_tick - moved) / TB_MEDIA_REACTOR_PERIOD_US, >=, 4);

  /* C moves its next tick 100 ms on from each of its ticks. */
  c.sleep_us = 100000;
  c.member = tb_media_reactor_add (c.reactor, -1, NULL, on_tick, &c, &error);
  g_assert_no_error (error);
  start = g_get_monotonic_time ();
  iterate_for (context, 450000);
  g_assert_cmpuint (c.ticks, >=, 4);
  g_assert_cmpuint (c.ticks, <=, 6);
  g_assert_cmpuint (c.skipped, ==, 0);
  g_assert_cmpint (c.last_tick - start, >=, 300000);

  tb_media_reactor_remove (a.reactor, a.member);
  tb_media_reactor_remove (b.reactor, b.member);
  tb_media_reactor_remove (c.reactor, c.member);
  tb_media_reactor_unref (a.reactor);
  tb_media_reactor_unref (b.reactor);
  tb_media_reactor_unref (c.reactor);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/reactor/one-per-context", test_one_per_context);
  g_test_add_func ("/reactor/ticks", test_ticks);
  g_test_add_func ("/reactor/schedule", test_schedule);
  g_test_add_func ("/reactor/sockets", test_sockets);
  g_test_add_func ("/reactor/read-window", test_read_window);
  g_test_add_func ("/reactor/bad-fd", test_bad_fd);
  return g_test_run ();
}
