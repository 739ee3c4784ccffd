/* test-rtp.c — RTP headers, RFC 4733 events, the reorder window, DTMF
 * sending and receiving, and the RTP port range, each on its own. */
#include "rtp.h"
#include "dtmf.h"
#include "reorder.h"
#include "interarrival.h"
#include "rtp-ports.h"

#include <string.h>

/* ---- RTP headers ---------------------------------------------------------- */

static void
test_header_round_trip (void)
{
  TbRtpPacket out = { .marker = TRUE, .payload_type = 101, .seq = 65535,
                      .timestamp = 0xDEADBEEF, .ssrc = 0x01020304 };
  TbRtpPacket in;
  guint8 datagram[TB_RTP_HEADER_SIZE + 3];

  tb_rtp_write_header (datagram, &out);
  memcpy (datagram + TB_RTP_HEADER_SIZE, "abc", 3);
  g_assert_cmphex (datagram[0], ==, 0x80);
  g_assert_cmphex (datagram[1], ==, 0x80 | 101);

  g_assert_true (tb_rtp_parse (datagram, sizeof datagram, &in));
  g_assert_true (in.marker);
  g_assert_cmpuint (in.payload_type, ==, 101);
  g_assert_cmpuint (in.seq, ==, 65535);
  g_assert_cmphex (in.timestamp, ==, 0xDEADBEEF);
  g_assert_cmphex (in.ssrc, ==, 0x01020304);
  g_assert_true (in.payload == datagram + TB_RTP_HEADER_SIZE);
  g_assert_cmpuint (in.payload_size, ==, 3);

  out.marker = FALSE;
  out.payload_type = 0;
  tb_rtp_write_header (datagram, &out);
  g_assert_true (tb_rtp_parse (datagram, TB_RTP_HEADER_SIZE, &in));
  g_assert_false (in.marker);
  g_assert_cmpuint (in.payload_type, ==, 0);
  g_assert_cmpuint (in.payload_size, ==, 0);
}

static void
test_header_skips_csrc_extension_padding (void)
{
  /* 2 CSRCs, an extension of one word, 4 payload bytes, 3 of padding. */
  const guint8 datagram[] = {
    0x80 | 0x20 | 0x10 | 2, 8, 0x12, 0x34, 0, 0, 1, 0, 0xAA, 0xBB, 0xCC, 0xDD,
    1, 1, 1, 1, 2, 2, 2, 2,
    0xBE, 0xDE, 0x00, 0x01, 9, 9, 9, 9,
    'p', 'a', 'y', '!',
    0, 0, 3,
  };
  TbRtpPacket packet;

  g_assert_true (tb_rtp_parse (datagram, sizeof datagram, &packet));
  g_assert_cmpuint (packet.payload_type, ==, 8);
  g_assert_cmpuint (packet.seq, ==, 0x1234);
  g_assert_cmpuint (packet.timestamp, ==, 256);
  g_assert_cmphex (packet.ssrc, ==, 0xAABBCCDD);
  g_assert_cmpuint (packet.payload_size, ==, 4);
  g_assert_cmpmem (packet.payload, 4, "pay!", 4);
}

static void
test_header_rejects (void)
{
  guint8 datagram[40] = { 0x80, 0 };
  TbRtpPacket packet;

  g_assert_true (tb_rtp_parse (datagram, 12, &packet));
  g_assert_false (tb_rtp_parse (datagram, 11, &packet));        /* too short */
  g_assert_false (tb_rtp_parse (datagram, 0, &packet));
  for (guint version = 0; version < 4; version++) {
    datagram[0] = version << 6;
    g_assert_cmpint (tb_rtp_parse (datagram, 12, &packet), ==, version == 2);
  }
  datagram[0] = 0x80 | 3;                                        /* CSRCs beyond the end */
  g_assert_false (tb_rtp_parse (datagram, 20, &packet));
  g_assert_true (tb_rtp_parse (datagram, 24, &packet));
  datagram[0] = 0x90;                                            /* extension header cut */
  g_assert_false (tb_rtp_parse (datagram, 14, &packet));
  datagram[14] = 0;
  datagram[15] = 2;                                              /* extension beyond the end */
  g_assert_false (tb_rtp_parse (datagram, 20, &packet));
  g_assert_true (tb_rtp_parse (datagram, 24, &packet));
  datagram[0] = 0xA0;                                            /* padding */
  datagram[15] = 0;
  datagram[19] = 0;
  g_assert_false (tb_rtp_parse (datagram, 20, &packet));         /* padding of 0 */
  datagram[19] = 9;
  g_assert_false (tb_rtp_parse (datagram, 20, &packet));         /* more than the payload */
  datagram[19] = 8;
  g_assert_true (tb_rtp_parse (datagram, 20, &packet));
  g_assert_cmpuint (packet.payload_size, ==, 0);
}

static void
test_header_random_bytes (void)
{
  guint8 datagram[80];
  guint accepted = 0;

  /* Whatever comes in, a parsed payload lies inside the datagram (ASan
   * watches the reads). */
  for (guint i = 0; i < 100000; i++) {
    gsize size = g_random_int_range (0, sizeof datagram + 1);
    TbRtpPacket packet;

    for (gsize j = 0; j < size; j++)
      datagram[j] = g_random_int_range (0, 256);
    if (i % 2)
      datagram[0] = 0x80 | (datagram[0] & 0x3F);  /* half of them look like RTP */
    if (!tb_rtp_parse (datagram, size, &packet))
      continue;
    accepted++;
    g_assert_true (packet.payload >= datagram + TB_RTP_HEADER_SIZE);
    g_assert_true (packet.payload + packet.payload_size <= datagram + size);
  }
  g_assert_cmpuint (accepted, >, 0);
}

/* ---- RFC 4733 events -------------------------------------------------------- */

static void
test_event_round_trip (void)
{
  TbRtpEvent out = { .event = 11, .end = TRUE, .volume = 10, .duration = 800 };
  TbRtpEvent in;
  guint8 payload[TB_RTP_EVENT_SIZE];
  const guint8 expected[] = { 11, 0x80 | 10, 0x03, 0x20 };

  tb_rtp_event_write (payload, &out);
  g_assert_cmpmem (payload, sizeof payload, expected, sizeof expected);
  g_assert_true (tb_rtp_event_parse (payload, sizeof payload, &in));
  g_assert_cmpuint (in.event, ==, 11);
  g_assert_true (in.end);
  g_assert_cmpuint (in.volume, ==, 10);
  g_assert_cmpuint (in.duration, ==, 800);

  g_assert_false (tb_rtp_event_parse (payload, 3, &in));
  payload[1] = 0x40 | 63;  /* the reserved bit is ignored */
  g_assert_true (tb_rtp_event_parse (payload, sizeof payload, &in));
  g_assert_false (in.end);
  g_assert_cmpuint (in.volume, ==, 63);
}

static void
test_event_digits (void)
{
  const char *keys = "0123456789*#ABCD";

  for (gint i = 0; i < 16; i++) {
    g_assert_cmpint (tb_rtp_event_to_digit (i), ==, keys[i]);
    g_assert_cmpint (tb_rtp_event_from_digit (keys[i]), ==, i);
  }
  g_assert_cmpint (tb_rtp_event_from_digit ('b'), ==, 13);
  g_assert_cmpint (tb_rtp_event_from_digit ('x'), ==, -1);
  g_assert_cmpint (tb_rtp_event_from_digit ('\0'), ==, -1);
  g_assert_cmpint (tb_rtp_event_to_digit (16), ==, 0);  /* flash */
  g_assert_cmpint (tb_rtp_event_to_digit (255), ==, 0);
}

/* ---- the reorder window --------------------------------------------------- */

static TbRtpPacket
packet_for (guint16 seq, const char *payload)
{
  TbRtpPacket packet = { .seq = seq, .payload = (const guint8 *) payload,
                         .payload_size = strlen (payload) };
  return packet;
}

/* Pushes @seqs and returns the order packets came out in, as payloads. */
static char *
run_reorder (TbReorder *reorder, const guint16 *seqs, guint n)
{
  GString *order = g_string_new (NULL);

  for (guint i = 0; i < n; i++) {
    char name[8];
    TbRtpPacket packet;
    const TbRtpPacket *ready;

    g_snprintf (name, sizeof name, "%u", seqs[i]);
    packet = packet_for (seqs[i], name);
    switch (tb_reorder_push (reorder, &packet)) {
    case TB_REORDER_IN_ORDER:
      g_string_append_printf (order, "%s ", name);
      break;
    case TB_REORDER_KEPT:
      while ((ready = tb_reorder_pop (reorder)))
        g_string_append_printf (order, "%.*s ", (int) ready->payload_size, ready->payload);
      break;
    case TB_REORDER_DROPPED:
      g_string_append (order, "x ");
      break;
    }
  }
  return g_string_free (order, FALSE);
}

static void
test_reorder (void)
{
  struct {
    guint16 seqs[10];
    guint n;
    const char *order;
    guint lost;
  } cases[] = {
    { { 1, 2, 3, 4 }, 4, "1 2 3 4 ", 0 },
    { { 1, 3, 2, 4 }, 4, "1 2 3 4 ", 0 },
    { { 1, 4, 3, 2, 5 }, 5, "1 2 3 4 5 ", 0 },
    { { 1, 2, 2, 3 }, 4, "1 2 x 3 ", 0 },                    /* duplicate */
    { { 1, 3, 3, 2 }, 4, "1 x 2 3 ", 0 },                    /* duplicate while kept */
    { { 1, 3, 4, 5, 6, 7 }, 6, "1 3 4 5 6 7 ", 1 },          /* 2 lost: window full at 6 */
    { { 1, 3, 4, 5, 6, 2 }, 6, "1 3 4 5 6 x ", 1 },          /* 2 too late */
    { { 1, 4, 5, 6, 7 }, 5, "1 4 5 6 7 ", 2 },
    { { 65534, 65535, 0, 1 }, 4, "65534 65535 0 1 ", 0 },    /* wrap-around */
    { { 65535, 1, 0, 2 }, 4, "65535 0 1 2 ", 0 },
    { { 10, 5000, 5001 }, 3, "10 5000 5001 ", 0 },           /* a restarted sequence */
    { { 10, 9 }, 2, "10 x ", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(TbReorder) reorder = tb_reorder_new (4);
    g_autofree char *order = run_reorder (reorder, cases[i].seqs, cases[i].n);

    g_test_message ("case %u", i);
    g_assert_cmpstr (order, ==, cases[i].order);
    g_assert_cmpuint (tb_reorder_get_lost (reorder), ==, cases[i].lost);
  }
}

static void
test_reorder_reset_and_large (void)
{
  g_autoptr(TbReorder) reorder = tb_reorder_new (4);
  guint16 first[] = { 100, 102 };
  guint16 second[] = { 7, 8 };
  g_autofree char *a = run_reorder (reorder, first, 2);
  g_autofree char *b = NULL;
  g_autofree guint8 *big = g_malloc0 (TB_REORDER_MAX_PAYLOAD + 1);
  TbRtpPacket packet = { .seq = 11, .payload = big, .payload_size = TB_REORDER_MAX_PAYLOAD + 1 };

  g_assert_cmpstr (a, ==, "100 ");
  tb_reorder_reset (reorder);  /* a new SSRC: 102 is forgotten, 7 starts over */
  b = run_reorder (reorder, second, 2);
  g_assert_cmpstr (b, ==, "7 8 ");
  g_assert_cmpuint (tb_reorder_get_lost (reorder), ==, 0);
  /* Out of order and too large to keep: dropped rather than cut. */
  g_assert_cmpint (tb_reorder_push (reorder, &packet), ==, TB_REORDER_DROPPED);
  packet.seq = 9;
  g_assert_cmpint (tb_reorder_push (reorder, &packet), ==, TB_REORDER_IN_ORDER);
}

/* ---- DTMF ------------------------------------------------------------------- */

static guint
receive (TbDtmfReceiver *receiver, guint32 timestamp, guint8 code, gboolean end,
         guint16 duration, TbDtmfDigit digits[2])
{
  TbRtpEvent event = { .event = code, .end = end, .volume = 10, .duration = duration };

  return tb_dtmf_receiver_event (receiver, timestamp, 8000, &event, digits);
}

static void
test_dtmf_receive (void)
{
  TbDtmfReceiver receiver = { 0 };
  TbDtmfDigit digits[2];
  TbDtmfDigit digit;

  /* '5' as senders send it: updates, then the end three times. */
  for (guint i = 1; i <= 4; i++)
    g_assert_cmpuint (receive (&receiver, 1000, 5, FALSE, i * 160, digits), ==, 0);
  g_assert_cmpuint (receive (&receiver, 1000, 5, TRUE, 800, digits), ==, 1);
  g_assert_cmpint (digits[0].digit, ==, '5');
  g_assert_cmpuint (digits[0].duration_ms, ==, 100);
  g_assert_cmpuint (receive (&receiver, 1000, 5, TRUE, 800, digits), ==, 0);
  g_assert_cmpuint (receive (&receiver, 1000, 5, TRUE, 800, digits), ==, 0);
  g_assert_false (tb_dtmf_receiver_audio (&receiver, 8000, &digit));

  /* The same key again is another event (another timestamp). */
  g_assert_cmpuint (receive (&receiver, 3000, 5, TRUE, 400, digits), ==, 1);
  g_assert_cmpint (digits[0].digit, ==, '5');
  g_assert_cmpuint (digits[0].duration_ms, ==, 50);

  /* '#' loses every end packet: the next event completes it. */
  g_assert_cmpuint (receive (&receiver, 5000, 11, FALSE, 320, digits), ==, 0);
  g_assert_cmpuint (receive (&receiver, 7000, 1, TRUE, 160, digits), ==, 2);
  g_assert_cmpint (digits[0].digit, ==, '#');
  g_assert_cmpuint (digits[0].duration_ms, ==, 40);
  g_assert_cmpint (digits[1].digit, ==, '1');

  /* '*' loses its end packets: audio completes it, once. */
  g_assert_cmpuint (receive (&receiver, 9000, 10, FALSE, 160, digits), ==, 0);
  g_assert_true (tb_dtmf_receiver_audio (&receiver, 8000, &digit));
  g_assert_cmpint (digit.digit, ==, '*');
  g_assert_false (tb_dtmf_receiver_audio (&receiver, 8000, &digit));
  g_assert_cmpuint (receive (&receiver, 9000, 10, TRUE, 480, digits), ==, 0);

  /* Events that are not keys (16: flash) give nothing. */
  g_assert_cmpuint (receive (&receiver, 11000, 16, TRUE, 800, digits), ==, 0);
}

static void
test_dtmf_send (void)
{
  TbDtmfSender sender;
  GString *events = g_string_new (NULL);
  guint32 timestamp = 4000000000u;  /* wraps while sending */
  guint32 first_event_ts = 0;
  guint ticks = 0;

  tb_dtmf_sender_init (&sender);
  g_assert_false (tb_dtmf_sender_busy (&sender));
  g_assert_false (tb_dtmf_sender_add (&sender, "1x"));
  g_assert_false (tb_dtmf_sender_busy (&sender));
  g_assert_true (tb_dtmf_sender_add (&sender, "1#"));

  while (tb_dtmf_sender_busy (&sender)) {
    TbRtpEvent event;
    guint32 event_ts;
    gboolean marker;

    if (tb_dtmf_sender_tick (&sender, timestamp, 160, &event, &event_ts, &marker)) {
      if (marker)
        first_event_ts = timestamp;
      g_assert_cmpuint (event_ts, ==, first_event_ts);
      g_string_append_printf (events, "%c%s%u%s ", tb_rtp_event_to_digit (event.event),
                              event.end ? "E" : "", event.duration, marker ? "M" : "");
    } else {
      g_string_append (events, "- ");
    }
    timestamp += 160;
    ticks++;
  }
  g_assert_cmpstr (events->str, ==,
                   "1160M 1320 1480 1640 1E800 1E800 1E800 - - "
                   "#160M #320 #480 #640 #E800 #E800 #E800 - - ");
  g_assert_cmpuint (ticks, ==, 18);
  g_string_free (events, TRUE);
  tb_dtmf_sender_clear (&sender);
}

/* ---- RTP ports -------------------------------------------------------------- */

static guint
free_even_range (GInetAddress *address, guint count)
{
  for (guint attempt = 0; attempt < 100; attempt++) {
    guint first = 20000 + 2 * g_random_int_range (0, 10000);
    gboolean all_free = TRUE;

    for (guint i = 0; i < count && all_free; i++) {
      g_autoptr(GSocket) probe = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                               G_SOCKET_PROTOCOL_UDP, NULL);
      g_autoptr(GSocketAddress) at = g_inet_socket_address_new (address, first + 2 * i);

      all_free = probe && g_socket_bind (probe, at, FALSE, NULL);
    }
    if (all_free)
      return first;
  }
  g_error ("no free range of %u even ports", count);
}

static void
test_ports (void)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  /* A range of 5 even ports, somewhere random so parallel runs do not meet,
   * and free right now (other tests hold ports too). */
  guint first = free_even_range (loopback, 5);
  g_autoptr(TbRtpPorts) ports = tb_rtp_ports_new (first - 1, first + 9);
  g_autoptr(GSocket) other = NULL;
  g_autoptr(GSocketAddress) other_address = g_inet_socket_address_new (loopback, first + 4);
  g_autoptr(GError) error = NULL;
  GSocket *sockets[4];
  guint taken[4];
  guint port = 0;
  GSocket *socket;

  /* Another program holds one of them. */
  other = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  if (!g_socket_bind (other, other_address, FALSE, &error)) {
    g_test_skip_printf ("port %u is taken already: %s", first + 4, error->message);
    return;
  }

  for (guint i = 0; i < 4; i++) {
    sockets[i] = tb_rtp_ports_bind (ports, loopback, &taken[i], &error);
    g_assert_no_error (error);
    g_assert_nonnull (sockets[i]);
    g_assert_false (g_socket_get_blocking (sockets[i]));
    g_assert_cmpuint (taken[i] % 2, ==, 0);
    g_assert_cmpuint (taken[i], >=, first);
    g_assert_cmpuint (taken[i], <=, first + 8);
    g_assert_cmpuint (taken[i], !=, first + 4);
    for (guint j = 0; j < i; j++)
      g_assert_cmpuint (taken[i], !=, taken[j]);
  }
  g_assert_cmpuint (tb_rtp_ports_in_use (ports), ==, 4);

  socket = tb_rtp_ports_bind (ports, loopback, &port, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_null (socket);
  g_clear_error (&error);

  /* A port given back can be taken again. */
  g_object_unref (sockets[1]);
  tb_rtp_ports_release (ports, taken[1]);
  g_assert_cmpuint (tb_rtp_ports_in_use (ports), ==, 3);
  sockets[1] = tb_rtp_ports_bind (ports, loopback, &port, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (port, ==, taken[1]);

  for (guint i = 0; i < 4; i++) {
    g_object_unref (sockets[i]);
    tb_rtp_ports_release (ports, taken[i]);
  }
  g_assert_cmpuint (tb_rtp_ports_in_use (ports), ==, 0);
}

static void
test_ports_ipv6_and_errors (void)
{
  g_autoptr(GInetAddress) loopback6 = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GInetAddress) foreign = g_inet_address_new_from_string ("192.0.2.1");
  guint first = 20000 + 2 * g_random_int_range (0, 10000);
  g_autoptr(TbRtpPorts) ports = tb_rtp_ports_new (first, first + 100);
  g_autoptr(TbRtpPorts) none = tb_rtp_ports_new (first + 1, first + 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  guint port = 0;

  /* An address that is not ours fails at once, naming the port. */
  socket = tb_rtp_ports_bind (ports, foreign, &port, &error);
  g_assert_null (socket);
  g_assert_nonnull (error);
  g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE));
  g_assert_nonnull (strstr (error->message, "RTP port"));
  g_clear_error (&error);
  g_assert_cmpuint (tb_rtp_ports_in_use (ports), ==, 0);

  /* A range without an even port. */
  socket = tb_rtp_ports_bind (none, foreign, &port, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_clear_error (&error);

  socket = tb_rtp_ports_bind (ports, loopback6, &port, &error);
  if (!socket) {
    g_test_skip_printf ("no IPv6 loopback here: %s", error->message);
    return;
  }
  g_assert_cmpint (g_socket_get_family (socket), ==, G_SOCKET_FAMILY_IPV6);
  tb_rtp_ports_release (ports, port);
}

/* Packet interval jitter: packets on time give the smallest bucket; one
 * 6 ms late (and the next one on time again) shows in the 99th
 * percentile of 99 intervals; a gap in the sequence and a packet of
 * another stream are no interval. */
static void
test_interarrival (void)
{
  TbInterarrival ia = { 0 };
  gint64 t = 1000000;

  g_assert_cmpfloat (tb_interarrival_percentile_ms (&ia, 99), ==, -1);
  for (guint i = 0; i < 50; i++)
    tb_interarrival_add (&ia, t + i * 20000, (guint16) (65500 + i), 160 * i, 8000);
  g_assert_cmpuint (ia.count, ==, 49);
  g_assert_cmpfloat (tb_interarrival_percentile_ms (&ia, 99), ==, 0.25);
  /* 50 more, the 10th of them 6 ms late: intervals of 26 and 14 ms. */
  for (guint i = 50; i < 100; i++)
    tb_interarrival_add (&ia, t + i * 20000 + (i == 60 ? 6000 : 0), (guint16) (65500 + i),
                         160 * i, 8000);
  g_assert_cmpuint (ia.count, ==, 99);
  g_assert_cmpfloat (tb_interarrival_percentile_ms (&ia, 50), ==, 0.25);
  g_assert_cmpfloat (tb_interarrival_percentile_ms (&ia, 99), ==, 6.25);
  /* A lost packet: no interval across the gap. */
  tb_interarrival_add (&ia, t + 102 * 20000 + 30000, (guint16) (65500 + 102), 160 * 102, 8000);
  g_assert_cmpuint (ia.count, ==, 99);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/rtp/header/round-trip", test_header_round_trip);
  g_test_add_func ("/rtp/header/csrc-extension-padding", test_header_skips_csrc_extension_padding);
  g_test_add_func ("/rtp/header/rejects", test_header_rejects);
  g_test_add_func ("/rtp/header/random-bytes", test_header_random_bytes);
  g_test_add_func ("/rtp/event/round-trip", test_event_round_trip);
  g_test_add_func ("/rtp/event/digits", test_event_digits);
  g_test_add_func ("/rtp/reorder", test_reorder);
  g_test_add_func ("/rtp/reorder/reset-and-large", test_reorder_reset_and_large);
  g_test_add_func ("/rtp/dtmf/receive", test_dtmf_receive);
  g_test_add_func ("/rtp/dtmf/send", test_dtmf_send);
  g_test_add_func ("/rtp/ports", test_ports);
  g_test_add_func ("/rtp/interarrival", test_interarrival);
  g_test_add_func ("/rtp/ports/ipv6-and-errors", test_ports_ipv6_and_errors);
  return g_test_run ();
}
