/* test-sdp.c — SDP offer/answer: codec choice, DTMF, direction and hold,
 * refusals, the SDP we build, and garbage that must not crash. */
#include "sdp.h"

#include <string.h>

#define HEAD "v=0\r\no=peer 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"

static const TbCodec *all[4];

static void
set_up_codecs (void)
{
  all[0] = tb_codec_get (TB_CODEC_PCMU);
  all[1] = tb_codec_get (TB_CODEC_PCMA);
  all[2] = tb_codec_get (TB_CODEC_G722);
  all[3] = NULL;
}

static void
test_offer_pcmu_dtmf (void)
{
  TbSdpStream s;
  g_autoptr(GError) error = NULL;

  g_assert_true (tb_sdp_negotiate_offer (HEAD
      "m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n",
      all, &s, &error));
  g_assert_no_error (error);
  g_assert_true (s.codec == tb_codec_get (TB_CODEC_PCMU));
  g_assert_cmpuint (s.payload_type, ==, 0);
  g_assert_cmpint (s.dtmf_payload_type, ==, 101);
  g_assert_cmpstr (s.address, ==, "192.0.2.10");
  g_assert_cmpuint (s.port, ==, 4000);
  g_assert_cmpint (s.direction, ==, TB_MEDIA_SENDRECV);
  g_assert_cmpuint (s.ptime, ==, 20);
  tb_sdp_stream_clear (&s);
}

/* The offerer's order decides among the codecs we allow. */
static void
test_offer_order_and_allowed (void)
{
  const TbCodec *only_g722[] = { tb_codec_get (TB_CODEC_G722), NULL };
  TbSdpStream s;

  g_assert_true (tb_sdp_negotiate_offer (HEAD
      "m=audio 4000 RTP/AVP 9 8 0\r\n", all, &s, NULL));
  g_assert_true (s.codec == tb_codec_get (TB_CODEC_G722));
  g_assert_cmpint (s.dtmf_payload_type, ==, -1);
  tb_sdp_stream_clear (&s);

  g_assert_true (tb_sdp_negotiate_offer (HEAD
      "m=audio 4000 RTP/AVP 0 8 9\r\n", only_g722, &s, NULL));
  g_assert_true (s.codec == tb_codec_get (TB_CODEC_G722));
  g_assert_cmpuint (s.payload_type, ==, 9);
  tb_sdp_stream_clear (&s);

  /* A dynamic payload type for a known codec. */
  g_assert_true (tb_sdp_negotiate_offer (HEAD
      "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 pcma/8000\r\n", all, &s, NULL));
  g_assert_true (s.codec == tb_codec_get (TB_CODEC_PCMA));
  g_assert_cmpuint (s.payload_type, ==, 96);
  tb_sdp_stream_clear (&s);
}

static void
test_directions (void)
{
  static const struct { const char *attr; TbMediaDirection ours; } cases[] = {
    { "a=sendonly\r\n", TB_MEDIA_RECVONLY },
    { "a=recvonly\r\n", TB_MEDIA_SENDONLY },
    { "a=inactive\r\n", TB_MEDIA_INACTIVE },
    { "a=sendrecv\r\n", TB_MEDIA_SENDRECV },
  };
  TbSdpStream s;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *sdp = g_strconcat (HEAD, "m=audio 4000 RTP/AVP 0\r\n", cases[i].attr, NULL);

    g_assert_true (tb_sdp_negotiate_offer (sdp, all, &s, NULL));
    g_assert_cmpint (s.direction, ==, cases[i].ours);
    tb_sdp_stream_clear (&s);
  }
  /* The old hold: c=0.0.0.0. */
  g_assert_true (tb_sdp_negotiate_offer ("v=0\r\no=p 1 1 IN IP4 0.0.0.0\r\ns=-\r\n"
      "c=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", all, &s, NULL));
  g_assert_cmpint (s.direction, !=, TB_MEDIA_SENDRECV);
  tb_sdp_stream_clear (&s);
}

static void
test_refusals (void)
{
  static const struct { const char *sdp; int code; } cases[] = {
    { HEAD "m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n", TB_SDP_ERROR_NO_CODEC },
    { HEAD "m=audio 4000 RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000\r\n", TB_SDP_ERROR_NO_CODEC },
    { HEAD "m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n", TB_SDP_ERROR_NO_AUDIO },
    { HEAD "m=audio 4000 RTP/SAVP 0\r\n", TB_SDP_ERROR_NO_AUDIO },
    { HEAD "m=audio 0 RTP/AVP 0\r\n", TB_SDP_ERROR_NO_AUDIO },
    { "this is not SDP", TB_SDP_ERROR_PARSE },
    /* Lines that make sofia-sip's parser allocate without end. */
    { HEAD "m=audio 4000 FOO 0 @\r\n", TB_SDP_ERROR_PARSE },
    { HEAD "m=audio 4000 RT@/\r\n", TB_SDP_ERROR_PARSE },
    { HEAD "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\x01\r\n", TB_SDP_ERROR_PARSE },
    { "", TB_SDP_ERROR_PARSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    TbSdpStream s;
    g_autoptr(GError) error = NULL;

    g_assert_false (tb_sdp_negotiate_offer (cases[i].sdp, all, &s, &error));
    g_assert_error (error, TB_SDP_ERROR, cases[i].code);
    g_assert_null (s.address);
  }
}

/* What we build parses back to the same stream. */
static void
test_build_round_trip (void)
{
  const TbCodec *answer[] = { tb_codec_get (TB_CODEC_G722), NULL };
  const guint8 pts[] = { 9 };
  TbSdpLocal local = {
    .address = "198.51.100.7", .port = 20002, .session_id = 42, .version = 3,
    .codecs = answer, .payload_types = pts, .dtmf_payload_type = 101,
    .direction = TB_MEDIA_RECVONLY,
  };
  g_autofree char *sdp = tb_sdp_build (&local);
  TbSdpStream s;

  g_assert_true (strstr (sdp, "m=audio 20002 RTP/AVP 9 101\r\n") != NULL);
  g_assert_true (strstr (sdp, "a=rtpmap:9 G722/8000\r\n") != NULL);
  g_assert_true (strstr (sdp, "a=fmtp:101 0-16\r\n") != NULL);
  g_assert_true (strstr (sdp, "a=recvonly\r\n") != NULL);
  g_assert_true (strstr (sdp, "o=talkingbits 42 3 IN IP4 198.51.100.7\r\n") != NULL);

  g_assert_true (tb_sdp_negotiate_offer (sdp, all, &s, NULL));
  g_assert_true (s.codec == answer[0]);
  g_assert_cmpstr (s.address, ==, "198.51.100.7");
  g_assert_cmpuint (s.port, ==, 20002);
  g_assert_cmpint (s.dtmf_payload_type, ==, 101);
  /* Written recvonly by us, read by the peer: it may only send. */
  g_assert_cmpint (s.direction, ==, TB_MEDIA_SENDONLY);
  tb_sdp_stream_clear (&s);
}

/* Mutated offers never crash and either parse or fail cleanly. */
static void
test_garbage (void)
{
  const char *good = HEAD "m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";
  gsize len = strlen (good);
  GRand *rand = g_rand_new_with_seed (1234);

  for (guint round = 0; round < 20000; round++) {
    g_autofree char *copy = g_strdup (good);
    TbSdpStream s;
    g_autoptr(GError) error = NULL;

    for (guint k = 0; k < 1 + round % 8; k++)
      copy[g_rand_int_range (rand, 0, len)] = (char) (round % 2 ? g_rand_int_range (rand, 0x20, 0x7f)
                                                                : g_rand_int_range (rand, 1, 256));
    if (g_rand_boolean (rand))
      copy[g_rand_int_range (rand, 0, len)] = '\0';
    if (tb_sdp_negotiate_offer (copy, all, &s, &error))
      g_assert_nonnull (s.codec);
    else
      g_assert_nonnull (error);
    tb_sdp_stream_clear (&s);
  }
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  set_up_codecs ();
  g_test_add_func ("/sdp/offer-pcmu-dtmf", test_offer_pcmu_dtmf);
  g_test_add_func ("/sdp/offer-order-and-allowed", test_offer_order_and_allowed);
  g_test_add_func ("/sdp/directions", test_directions);
  g_test_add_func ("/sdp/refusals", test_refusals);
  g_test_add_func ("/sdp/build-round-trip", test_build_round_trip);
  g_test_add_func ("/sdp/garbage", test_garbage);
  return g_test_run ();
}
