/* tb-call-media.c — tb-call's audio: the RTP socket, a media session on a
 * worker thread of its own (a pool of one, core/worker.c), what is heard
 * laid on the call's timeline, and RFC 4733 key presses. The SIP thread
 * hands work to the worker with g_main_context_invoke() and waits where it
 * needs the outcome; the worker only calls back through @drained. */
#define G_LOG_DOMAIN "tb-call"

#include "tb-call.h"

#include "rtp-ports.h"
#include "worker.h"

#include <string.h>

/* Frames that arrive later than this behind the wall clock mean the peer
 * sent nothing for a while: the gap is heard as silence. */
#define LATE_FRAMES 2

struct _TbSoftphoneMedia {
  TbWorkerPool *pool;
  GMainContext *context;        /* the worker's */
  TbRtpPorts *ports;
  GSocket *socket;
  guint port;

  /* Worker thread from start to stop. */
  TbMediaSession *session;
  gint64 answered_us;
  GArray *heard;
  GArray *heard_at;             /* gint64: when each frame of heard arrived */
  GString *dtmf_sent;
  gint64 play_offset_ms;
  GFunc drained;
  gpointer drained_data;
  TbSoftphoneResult *collect;   /* where stop() moves what the media produced */
};

/* ---- hand-offs to the worker ------------------------------------------------ */

typedef struct {
  GSourceFunc func;
  gpointer data;
  GMutex lock;
  GCond cond;
  gboolean done;
} Handoff;

static gboolean
handoff_run (gpointer user_data)
{
  Handoff *handoff = user_data;

  handoff->func (handoff->data);
  g_mutex_lock (&handoff->lock);
  handoff->done = TRUE;
  g_cond_signal (&handoff->cond);
  g_mutex_unlock (&handoff->lock);
  return G_SOURCE_REMOVE;
}

/* Runs @func (@data) on the worker and returns when it has run. */
static void
run_on_worker (TbSoftphoneMedia *media, GSourceFunc func, gpointer data)
{
  Handoff handoff = { .func = func, .data = data };

  g_mutex_init (&handoff.lock);
  g_cond_init (&handoff.cond);
  g_main_context_invoke (media->context, handoff_run, &handoff);
  g_mutex_lock (&handoff.lock);
  while (!handoff.done)
    g_cond_wait (&handoff.cond, &handoff.lock);
  g_mutex_unlock (&handoff.lock);
  g_mutex_clear (&handoff.lock);
  g_cond_clear (&handoff.cond);
}

/* ---- worker side ------------------------------------------------------------ */

/* Whole frames of @n_samples of silence up to sample @due of the call's
 * timeline: a gap in what is heard (a peer that sends nothing between its
 * talkspurts, or lost packets). */
static void
fill_silence (TbSoftphoneMedia *media, gint64 due, gsize n_samples)
{
  guint start = media->heard->len;
  guint frames;

  if (due <= (gint64) start)
    return;
  frames = (due - start) / n_samples;
  g_array_set_size (media->heard, start + frames * n_samples);
  memset (&g_array_index (media->heard, gint16, start), 0, frames * n_samples * sizeof (gint16));
  for (guint i = 0; i < frames; i++) {
    gint64 at = (gint64) (start + (i + 1) * n_samples) * G_USEC_PER_SEC / TB_SOFTPHONE_RATE;

    g_array_append_val (media->heard_at, at);
  }
}

/* A frame heard (a packet's worth): it ends on the call's timeline when
 * its packet arrived (the kernel's stamp: not when this thread got round
 * to reading it, which on a loaded machine is later). */
static void
on_frame (const gint16 *samples, gsize n_samples, gpointer user_data)
{
  TbSoftphoneMedia *media = user_data;
  gint64 elapsed_us = tb_media_session_get_arrival_us (media->session) - media->answered_us;
  gint64 due = elapsed_us * TB_SOFTPHONE_RATE / G_USEC_PER_SEC - (gint64) n_samples;

  if (due > (gint64) (media->heard->len + LATE_FRAMES * n_samples))
    fill_silence (media, due, n_samples);
  g_array_append_vals (media->heard, samples, n_samples);
  g_array_append_val (media->heard_at, elapsed_us);
}

static void
on_drained (gpointer user_data)
{
  TbSoftphoneMedia *media = user_data;

  if (media->drained)
    media->drained (media, media->drained_data);
}

static const TbMediaCallbacks callbacks = {
  .frame = on_frame,
  .drained = on_drained,
};

typedef struct {
  TbSoftphoneMedia *media;
  const TbSdpStream *stream;
  const gint16 *samples;
  gsize n_samples;
  GError *error;
} Start;

static gboolean
start_on_worker (gpointer data)
{
  Start *start = data;
  TbSoftphoneMedia *media = start->media;
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (start->stream->address);
  g_autoptr(GSocketAddress) remote = NULL;
  TbMediaParams params = {
    .codec = start->stream->codec,
    .payload_type = start->stream->payload_type,
    .dtmf_payload_type = start->stream->dtmf_payload_type,
    .direction = start->stream->direction,
    .frame_rate = TB_SOFTPHONE_RATE,
    /* A phone's microphone streams whatever it hears. */
    .transmit_silence = TRUE,
    .name = "tb-call",
  };

  if (!address) {
    g_set_error (&start->error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "the peer's media address '%s' is not an IP address", start->stream->address);
    return G_SOURCE_REMOVE;
  }
  remote = g_inet_socket_address_new (address, start->stream->port);
  params.remote = remote;
  media->session = tb_media_session_new (media->socket, media->context, &params, &callbacks,
                                         media, &start->error);
  if (!media->session)
    return G_SOURCE_REMOVE;
  /* The caller speaks as a phone does: each 20 ms frame leaves once it is
   * spoken, so sample 0 of what is played was spoken a frame before the
   * first packet, and the last sample of an utterance when its packet
   * left. */
  media->play_offset_ms = (tb_media_session_get_send_time (media->session) -
                           media->answered_us) / 1000 - TB_MEDIA_FRAME_MS;
  tb_media_session_play (media->session, start->samples, start->n_samples);
  return G_SOURCE_REMOVE;
}

typedef struct {
  TbSoftphoneMedia *media;
  char *digits;
} Dtmf;

static void
dtmf_free (gpointer data)
{
  Dtmf *dtmf = data;

  g_free (dtmf->digits);
  g_free (dtmf);
}

static gboolean
dtmf_on_worker (gpointer data)
{
  Dtmf *dtmf = data;
  TbSoftphoneMedia *media = dtmf->media;
  g_autoptr(GError) error = NULL;

  if (!media->session)
    return G_SOURCE_REMOVE;
  if (tb_media_session_send_dtmf (media->session, dtmf->digits, &error))
    g_string_append (media->dtmf_sent, dtmf->digits);
  else
    g_warning ("DTMF %s not sent: %s", dtmf->digits, error->message);
  return G_SOURCE_REMOVE;
}

static gboolean
stop_on_worker (gpointer data)
{
  TbSoftphoneMedia *media = data;

  g_clear_pointer (&media->session, tb_media_session_free);
  return G_SOURCE_REMOVE;
}

static gboolean
collect_on_worker (gpointer data)
{
  TbSoftphoneMedia *media = data;
  TbSoftphoneResult *result = media->collect;

  if (media->session) {
    tb_media_session_get_stats (media->session, &result->rtp);
    /* What was heard lasts as long as the call, silence at its end too. */
    fill_silence (media, (g_get_monotonic_time () - media->answered_us) * TB_SOFTPHONE_RATE /
                         G_USEC_PER_SEC, TB_SOFTPHONE_RATE / 50);
  }
  stop_on_worker (media);
  g_array_unref (result->heard);
  result->heard = g_steal_pointer (&media->heard);
  media->heard = g_array_new (FALSE, FALSE, sizeof (gint16));
  g_array_unref (result->heard_at);
  result->heard_at = g_steal_pointer (&media->heard_at);
  media->heard_at = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_string_append (result->dtmf_sent, media->dtmf_sent->str);
  result->play_offset_ms = media->play_offset_ms;
  return G_SOURCE_REMOVE;
}

/* ---- SIP thread side -------------------------------------------------------- */

TbSoftphoneMedia *
tb_softphone_media_new (const TbSoftphoneOptions *options, GError **error)
{
  g_autoptr(TbSoftphoneMedia) media = g_new0 (TbSoftphoneMedia, 1);
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (options->bind_host);

  if (!address || g_inet_address_get_is_any (address)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "--bind %s: not an IP address of this host", options->bind_host);
    return NULL;
  }
  media->heard = g_array_new (FALSE, FALSE, sizeof (gint16));
  media->heard_at = g_array_new (FALSE, FALSE, sizeof (gint64));
  media->dtmf_sent = g_string_new (NULL);
  media->ports = tb_rtp_ports_new (options->rtp_first, options->rtp_last);
  media->socket = tb_rtp_ports_bind (media->ports, address, &media->port, error);
  if (!media->socket)
    return NULL;
  media->pool = tb_worker_pool_new (1, 0);
  media->context = tb_worker_pool_acquire (media->pool);
  return g_steal_pointer (&media);
}

guint
tb_softphone_media_get_port (TbSoftphoneMedia *media)
{
  return media->port;
}

gboolean
tb_softphone_media_start (TbSoftphoneMedia *media, const TbSdpStream *stream,
                          gint64 answered_us, const gint16 *samples, gsize n_samples,
                          GFunc drained, gpointer user_data, GError **error)
{
  Start start = { .media = media, .stream = stream, .samples = samples, .n_samples = n_samples };

  /* Set before the worker runs anything of this call. */
  media->answered_us = answered_us;
  media->drained = drained;
  media->drained_data = user_data;
  run_on_worker (media, start_on_worker, &start);
  if (start.error) {
    g_propagate_error (error, start.error);
    return FALSE;
  }
  return TRUE;
}

void
tb_softphone_media_send_dtmf (TbSoftphoneMedia *media, const char *digits)
{
  Dtmf *dtmf = g_new0 (Dtmf, 1);

  dtmf->media = media;
  dtmf->digits = g_strdup (digits);
  g_main_context_invoke_full (media->context, G_PRIORITY_DEFAULT, dtmf_on_worker, dtmf,
                              dtmf_free);
}

void
tb_softphone_media_stop (TbSoftphoneMedia *media, TbSoftphoneResult *result)
{
  media->collect = result;
  run_on_worker (media, collect_on_worker, media);
  media->collect = NULL;
}

void
tb_softphone_media_free (TbSoftphoneMedia *media)
{
  if (!media)
    return;
  if (media->pool) {
    run_on_worker (media, stop_on_worker, media);
    tb_worker_pool_release (media->pool, media->context);
    tb_worker_pool_free (media->pool);
  }
  if (media->socket) {
    g_clear_object (&media->socket);
    tb_rtp_ports_release (media->ports, media->port);
  }
  g_clear_pointer (&media->ports, tb_rtp_ports_free);
  g_clear_pointer (&media->heard, g_array_unref);
  g_clear_pointer (&media->heard_at, g_array_unref);
  if (media->dtmf_sent)
    g_string_free (media->dtmf_sent, TRUE);
  g_free (media);
}
