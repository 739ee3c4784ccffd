/* codec.c — the audio codecs a call can use, and their GStreamer elements. */
#define G_LOG_DOMAIN "tb-media"

#include "codec.h"

static const TbCodec codecs[] = {
  { TB_CODEC_PCMU, "PCMU", 0, 8000, 8000, 160, 0xFF,
    "audio/x-mulaw, rate=(int)8000, channels=(int)1", "mulawdec", "mulawenc" },
  { TB_CODEC_PCMA, "PCMA", 8, 8000, 8000, 160, 0xD5,
    "audio/x-alaw, rate=(int)8000, channels=(int)1", "alawdec", "alawenc" },
  /* G.722 samples at 16 kHz but its RTP clock is 8000 (RFC 3551, 4.5.2). */
  { TB_CODEC_G722, "G722", 9, 8000, 16000, 160, 0x00,
    "audio/G722, rate=(int)16000, channels=(int)1", "avdec_g722", "avenc_g722" },
};

static const TbCodec *const preference[] = { &codecs[0], &codecs[1], &codecs[2], NULL };

const TbCodec *
tb_codec_get (TbCodecId id)
{
  for (guint i = 0; i < G_N_ELEMENTS (codecs); i++)
    if (codecs[i].id == id)
      return &codecs[i];
  g_return_val_if_reached (NULL);
}

const TbCodec *
tb_codec_find (const char *encoding_name, guint clock_rate)
{
  for (guint i = 0; i < G_N_ELEMENTS (codecs); i++)
    if (g_ascii_strcasecmp (codecs[i].encoding_name, encoding_name) == 0 &&
        codecs[i].clock_rate == clock_rate)
      return &codecs[i];
  return NULL;
}

const TbCodec *const *
tb_codec_all (void)
{
  return preference;
}
