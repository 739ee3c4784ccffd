/* codec.h — the audio codecs a call can use, and their GStreamer elements. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  TB_CODEC_PCMU,
  TB_CODEC_PCMA,
  TB_CODEC_G722,
} TbCodecId;

typedef struct {
  TbCodecId id;
  const char *encoding_name;  /* as in SDP rtpmap: "PCMU", "PCMA", "G722" */
  guint8 static_payload_type; /* 0, 8, 9 */
  guint clock_rate;           /* RTP clock: 8000 for all three (G722 too) */
  guint sample_rate;          /* audio rate: 8000, 8000, 16000 */
  guint bytes_per_20ms;       /* 160 for all three */
  guint8 silence_byte;        /* 0xFF, 0xD5; G722 has none (encode silence) */
  const char *caps;           /* encoded caps pushed into the decoder */
  const char *decoder;        /* "mulawdec", "alawdec", "avdec_g722" */
  const char *encoder;        /* "mulawenc", "alawenc", "avenc_g722" */
} TbCodec;

/* NULL-free table lookups. */
const TbCodec *tb_codec_get (TbCodecId id);
/* By SDP encoding name (case-insensitive) and clock rate; NULL if unknown. */
const TbCodec *tb_codec_find (const char *encoding_name, guint clock_rate);
/* Every codec, in our order of preference. */
const TbCodec *const *tb_codec_all (void);

G_END_DECLS
