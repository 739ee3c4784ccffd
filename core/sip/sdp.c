/* sdp.c — SDP offer/answer for one audio stream, on sofia-sip's parser. */
#define G_LOG_DOMAIN "tb-sip"

#include "sdp.h"

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>
#include <string.h>

G_DEFINE_QUARK (tb-sdp-error-quark, tb_sdp_error)


void
tb_sdp_stream_clear (TbSdpStream *stream)
{
  g_clear_pointer (&stream->address, g_free);
  memset (stream, 0, sizeof *stream);
  stream->dtmf_payload_type = -1;
}

/* Peer's mode (as written by the peer) -> what we may do. */
static TbMediaDirection
our_direction (unsigned peer_mode)
{
  switch (peer_mode) {
  case sdp_sendonly: return TB_MEDIA_RECVONLY;  /* the peer holds us */
  case sdp_recvonly: return TB_MEDIA_SENDONLY;
  case sdp_inactive: return TB_MEDIA_INACTIVE;
  default: return TB_MEDIA_SENDRECV;
  }
}

#define MAX_SDP_SIZE 16384

static gboolean
is_token_char (char c)
{
  return g_ascii_isalnum (c) || strchr ("-.!%*_+`'~", c) != NULL;
}

/* sofia-sip's parser never returns (allocating until memory runs out) on
 * an m= line whose protocol or (for an unknown protocol) format list holds
 * a character that is not a token character, e.g. "m=audio 4000 FOO 0 @" or
 * "m=audio 4000 RT@/". Such lines are malformed anyway (RFC 4566, 5.14):
 * refuse them before parsing. */
static gboolean
media_lines_are_sane (const char *text)
{
  for (const char *line = text; line && *line; line = strchr (line, '\n'), line = line ? line + 1 : NULL) {
    const char *end = line + strcspn (line, "\r\n");
    guint field = 0;
    gboolean in_field = FALSE;

    if (!g_str_has_prefix (line, "m="))
      continue;
    for (const char *p = line + 2; p < end; p++) {
      if (*p == ' ') {
        in_field = FALSE;
        continue;
      }
      if (!in_field) {
        in_field = TRUE;
        field++;
      }
      /* media, port[/count], proto (tokens joined by '/'), formats... */
      if (!is_token_char (*p) && !(field <= 3 && *p == '/'))
        return FALSE;
    }
  }
  return TRUE;
}

/* Printable ASCII and UTF-8 text with CR, LF and TAB: what SDP is. */
static gboolean
is_sdp_text (const char *text)
{
  if (!g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (const char *p = text; *p; p++)
    if ((guchar) *p < 0x20 && *p != '\r' && *p != '\n' && *p != '\t')
      return FALSE;
    else if (*p == 0x7f)
      return FALSE;
  return TRUE;
}

static const char *
mode_attribute (TbMediaDirection direction)
{
  switch (direction) {
  case TB_MEDIA_SENDONLY: return "sendonly";
  case TB_MEDIA_RECVONLY: return "recvonly";
  case TB_MEDIA_INACTIVE: return "inactive";
  default: return "sendrecv";
  }
}

static gboolean
in_list (const TbCodec *codec, const TbCodec *const *list)
{
  for (guint i = 0; list && list[i]; i++)
    if (list[i] == codec)
      return TRUE;
  return FALSE;
}

static guint
read_ptime (const sdp_media_t *m)
{
  for (const sdp_attribute_t *a = m->m_attributes; a; a = a->a_next)
    if (a->a_name && g_ascii_strcasecmp (a->a_name, "ptime") == 0 && a->a_value)
      return (guint) g_ascii_strtoull (a->a_value, NULL, 10);
  return 0;
}

/* Parses @text and fills @stream from its first audio stream, with the
 * first codec of the peer's list that is in @allowed. */
static gboolean
read_stream (const char *text, const TbCodec *const *allowed, TbSdpStream *stream,
             GError **error)
{
  su_home_t *home = su_home_new (sizeof (su_home_t));
  sdp_parser_t *parser = NULL;
  sdp_session_t *session;
  const sdp_media_t *audio = NULL;
  const sdp_connection_t *c;
  gboolean ok = FALSE;
  gboolean saw_audio = FALSE;

  /* @stream is output only: whatever it held is overwritten. */
  memset (stream, 0, sizeof *stream);
  stream->dtmf_payload_type = -1;
  if (!text || !*text) {
    g_set_error (error, TB_SDP_ERROR, TB_SDP_ERROR_PARSE, "no SDP body");
    goto out;
  }
  if (strlen (text) > MAX_SDP_SIZE || !is_sdp_text (text) || !media_lines_are_sane (text)) {
    g_set_error (error, TB_SDP_ERROR, TB_SDP_ERROR_PARSE,
                 "invalid SDP: not text, too long, or a malformed m= line");
    goto out;
  }
  parser = sdp_parse (home, text, strlen (text), sdp_f_mode_0000);
  session = sdp_session (parser);
  if (!session) {
    g_set_error (error, TB_SDP_ERROR, TB_SDP_ERROR_PARSE, "invalid SDP: %s",
                 sdp_parsing_error (parser) ? sdp_parsing_error (parser) : "unreadable");
    goto out;
  }

  for (const sdp_media_t *m = session->sdp_media; m; m = m->m_next) {
    if (m->m_type != sdp_media_audio)
      continue;
    saw_audio = TRUE;
    if (m->m_port == 0 || m->m_rejected || m->m_proto != sdp_proto_rtp)
      continue;
    audio = m;
    break;
  }
  if (!audio) {
    g_set_error (error, TB_SDP_ERROR, TB_SDP_ERROR_NO_AUDIO,
                 saw_audio ? "no usable audio stream (only RTP/AVP is supported)"
                           : "no audio stream offered");
    goto out;
  }

  c = audio->m_connections ? audio->m_connections : session->sdp_connection;
  if (!c || !c->c_address || c->c_mcast) {
    g_set_error (error, TB_SDP_ERROR, TB_SDP_ERROR_PARSE,
                 "audio stream without a unicast connection address");
    goto out;
  }

  for (const sdp_rtpmap_t *rm = audio->m_rtpmaps; rm; rm = rm->rm_next) {
    const TbCodec *codec;

    if (!rm->rm_encoding)
      continue;
    if (g_ascii_strcasecmp (rm->rm_encoding, "telephone-event") == 0 && rm->rm_rate == 8000) {
      if (stream->dtmf_payload_type < 0)
        stream->dtmf_payload_type = rm->rm_pt;
      continue;
    }
    codec = tb_codec_find (rm->rm_encoding, (guint) rm->rm_rate);
    if (codec && !stream->codec && in_list (codec, allowed)) {
      stream->codec = codec;
      stream->payload_type = rm->rm_pt;
    }
  }
  if (!stream->codec) {
    g_set_error (error, TB_SDP_ERROR, TB_SDP_ERROR_NO_CODEC,
                 "no codec in common (we accept PCMU, PCMA, G722)");
    goto out;
  }

  stream->address = g_strdup (c->c_address);
  stream->port = (guint) audio->m_port;
  stream->direction = our_direction (audio->m_mode);
  /* c=0.0.0.0 is the old way to put a call on hold. */
  if (g_str_equal (stream->address, "0.0.0.0"))
    stream->direction = stream->direction == TB_MEDIA_SENDRECV ? TB_MEDIA_RECVONLY
                                                               : TB_MEDIA_INACTIVE;
  stream->ptime = read_ptime (audio);
  ok = TRUE;

out:
  if (parser)
    sdp_parser_free (parser);
  su_home_unref (home);
  if (!ok)
    tb_sdp_stream_clear (stream);
  return ok;
}

gboolean
tb_sdp_negotiate_offer (const char *sdp, const TbCodec *const *allowed, TbSdpStream *stream,
                        GError **error)
{
  return read_stream (sdp, allowed, stream, error);
}

gboolean
tb_sdp_read_answer (const char *sdp, const TbCodec *const *offered, TbSdpStream *stream,
                    GError **error)
{
  return read_stream (sdp, offered, stream, error);
}

char *
tb_sdp_build (const TbSdpLocal *local)
{
  GString *s = g_string_new (NULL);
  const char *ip = strchr (local->address, ':') ? "IP6" : "IP4";

  g_string_append_printf (s, "v=0\r\n"
                          "o=talkingbits %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " IN %s %s\r\n"
                          "s=talkingbits\r\n"
                          "c=IN %s %s\r\n"
                          "t=0 0\r\n"
                          "m=audio %u RTP/AVP",
                          local->session_id, local->version, ip, local->address,
                          ip, local->address, local->port);
  for (guint i = 0; local->codecs[i]; i++)
    g_string_append_printf (s, " %u", local->payload_types[i]);
  if (local->dtmf_payload_type >= 0)
    g_string_append_printf (s, " %d", local->dtmf_payload_type);
  g_string_append (s, "\r\n");
  for (guint i = 0; local->codecs[i]; i++)
    g_string_append_printf (s, "a=rtpmap:%u %s/%u\r\n", local->payload_types[i],
                            local->codecs[i]->encoding_name, local->codecs[i]->clock_rate);
  if (local->dtmf_payload_type >= 0)
    g_string_append_printf (s, "a=rtpmap:%d telephone-event/8000\r\n"
                            "a=fmtp:%d 0-16\r\n",
                            local->dtmf_payload_type, local->dtmf_payload_type);
  g_string_append_printf (s, "a=ptime:20\r\na=%s\r\n", mode_attribute (local->direction));
  return g_string_free (s, FALSE);
}
