/* media-session.c — one call's audio: set-up, re-negotiation, the calls the
 * dialog makes (play, flush, DTMF) and tear-down. Receiving is in
 * media-receive.c, sending in media-send.c. */
#define G_LOG_DOMAIN "tb-media"

#include "media-session-private.h"
#include "media-filter.h"

#include <string.h>

/* An emptied FIFO larger than this gives its memory back (a long prompt
 * must not keep its size for the rest of the call). */
#define BYTES_KEEP_CAPACITY (64 * 1024)

void
tb_media_bytes_append (TbMediaBytes *bytes, const void *data, gsize size)
{
  if (bytes->start + bytes->len + size > bytes->capacity) {
    /* Move what is held to the front first; grow only if that is not enough. */
    if (bytes->start > 0)
      memmove (bytes->data, bytes->data + bytes->start, bytes->len);
    bytes->start = 0;
    if (bytes->len + size > bytes->capacity) {
      bytes->capacity = MAX (bytes->len + size, bytes->capacity * 2);
      bytes->data = g_realloc (bytes->data, bytes->capacity);
    }
  }
  memcpy (bytes->data + bytes->start + bytes->len, data, size);
  bytes->len += size;
}

void
tb_media_bytes_insert_zeros (TbMediaBytes *bytes, gsize offset, gsize size)
{
  g_autofree guint8 *tail = NULL;
  g_autofree guint8 *zeros = g_malloc0 (size);
  gsize tail_len;

  offset = MIN (offset, bytes->len);
  tail_len = bytes->len - offset;
  tail = g_memdup2 (tb_media_bytes_peek (bytes) + offset, tail_len);
  bytes->len = offset;
  tb_media_bytes_append (bytes, zeros, size);
  tb_media_bytes_append (bytes, tail, tail_len);
}

void
tb_media_bytes_consume (TbMediaBytes *bytes, gsize size)
{
  size = MIN (size, bytes->len);
  bytes->start += size;
  bytes->len -= size;
  if (bytes->len == 0) {
    bytes->start = 0;
    if (bytes->capacity > BYTES_KEEP_CAPACITY)
      tb_media_bytes_clear (bytes);
  }
}

void
tb_media_bytes_clear (TbMediaBytes *bytes)
{
  g_clear_pointer (&bytes->data, g_free);
  bytes->start = bytes->len = bytes->capacity = 0;
}

GstCaps *
tb_media_raw_caps (guint rate)
{
  return gst_caps_new_simple ("audio/x-raw",
                              "format", G_TYPE_STRING, "S16LE",
                              "layout", G_TYPE_STRING, "interleaved",
                              "channels", G_TYPE_INT, 1,
                              "rate", G_TYPE_INT, (gint) rate, NULL);
}

GstElement *
tb_media_make (const char *factory, GError **error)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (!element)
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                 "no GStreamer element '%s' (is its plugin installed?)", factory);
  return element;
}

static GstBusSyncReply
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  const char *name = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *debug = NULL;

  /* Nobody pops this bus: log what matters and let the rest go, so that
   * messages do not pile up for the length of the call. A sync handler
   * that drops a message unrefs it: each holds its source, and a message
   * left holding the pipeline kept the whole call's pipeline (its bus's
   * two sockets and every element) alive after the call. */
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (message, &error, &debug);
    g_warning ("media %s: %s: %s (%s)", name, GST_MESSAGE_SRC_NAME (message),
               error->message, debug ? debug : "");
  } else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_WARNING) {
    gst_message_parse_warning (message, &error, &debug);
    g_message ("media %s: %s: %s", name, GST_MESSAGE_SRC_NAME (message), error->message);
  }
  gst_message_unref (message);
  return GST_BUS_DROP;
}

/* Where to send, or NULL: an address of all zeros is the old way of
 * putting a call on hold (RFC 3264 8.4), and the kernel would deliver
 * packets sent to it to ourselves. */
static GSocketAddress *
remote_address (GSocketAddress *remote)
{
  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return NULL;
  if (g_inet_address_get_is_any (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote))))
    return NULL;
  return g_object_ref (remote);
}

static gboolean
peer_sends (TbMediaDirection direction)
{
  return direction == TB_MEDIA_SENDRECV || direction == TB_MEDIA_RECVONLY;
}

static gboolean
check_params (const TbMediaParams *params, GError **error)
{
  if (!params->codec || params->frame_rate == 0 || params->frame_rate % 50 != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "media needs a codec and a frame rate that is a multiple of 50 Hz (got %u)",
                 params->frame_rate);
    return FALSE;
  }
  return TRUE;
}

static void
apply_params (TbMediaSession *session, const TbMediaParams *params)
{
  g_clear_object (&session->remote);
  session->remote = remote_address (params->remote);
  /* A new offer/answer: the peer's packets may come from elsewhere now. */
  session->expected_len = 0;
  session->latched_len = 0;
  session->latched_expected = FALSE;
  if (session->remote &&
      g_socket_address_to_native (session->remote, &session->expected, sizeof session->expected,
                                  NULL))
    session->expected_len = g_socket_address_get_native_size (session->remote);
  if (peer_sends (params->direction) && !peer_sends (session->direction)) {
    /* The peer takes the call off hold: give it a full timeout to resume. */
    session->last_received_us = g_get_monotonic_time ();
    session->timed_out = FALSE;
  }
  session->direction = params->direction;
  session->payload_type = params->payload_type;
  session->dtmf_payload_type = params->dtmf_payload_type;
  session->rtp_timeout_ms = params->rtp_timeout_ms;
  session->transmit_silence = params->transmit_silence;
}

static void
dump_dot (TbMediaSession *session)
{
  g_autofree char *dot_name = NULL;

  if (!g_getenv ("GST_DEBUG_DUMP_DOT_DIR"))
    return;
  dot_name = g_strdup_printf ("talkingbits-%s", session->name);
  GST_DEBUG_BIN_TO_DOT_FILE (GST_BIN (session->pipeline), GST_DEBUG_GRAPH_SHOW_ALL, dot_name);
}

static void
free_now (TbMediaSession *session)
{
  g_clear_pointer (&session->decoder, tb_media_chain_free);
  g_clear_pointer (&session->encoder, tb_media_chain_free);
  if (session->pipeline) {
    gst_element_set_state (session->pipeline, GST_STATE_NULL);
    gst_object_unref (session->pipeline);
  }
  g_clear_pointer (&session->reorder, tb_reorder_free);
  tb_dtmf_sender_clear (&session->dtmf_out);
  tb_media_bytes_clear (&session->decoded);
  tb_media_bytes_clear (&session->queue);
  tb_media_bytes_clear (&session->encoded);
  g_free (session->frame);
  g_free (session->silence);
  g_free (session->idle_payload);
  g_clear_object (&session->remote);
  g_clear_object (&session->socket);
  g_clear_pointer (&session->reactor, tb_media_reactor_unref);
  g_clear_pointer (&session->context, g_main_context_unref);
  g_free (session->inbound_filter);
  g_free (session->outbound_filter);
  g_free (session->name);
  g_free (session);
}

void
tb_media_session_free (TbMediaSession *session)
{
  if (!session)
    return;
  /* Nothing more is dispatched from now on. */
  if (session->member) {
    tb_media_reactor_remove (session->reactor, session->member);
    session->member = NULL;
  }
  session->freed = TRUE;
  if (session->busy == 0)
    free_now (session);
}

void
tb_media_session_enter (TbMediaSession *session)
{
  session->busy++;
}

gboolean
tb_media_session_leave (TbMediaSession *session)
{
  if (--session->busy > 0 || !session->freed)
    return !session->freed;
  free_now (session);
  return FALSE;
}

TbMediaSession *
tb_media_session_new (GSocket *socket, GMainContext *context, const TbMediaParams *params,
                      const TbMediaCallbacks *callbacks, gpointer user_data, GError **error)
{
  TbMediaSession *session;
  g_autoptr(GSocketAddress) local = NULL;
  g_autofree char *pipeline_name = NULL;

  g_return_val_if_fail (G_IS_SOCKET (socket) && params && callbacks, NULL);
  if (!check_params (params, error))
    return NULL;

  session = g_new0 (TbMediaSession, 1);
  session->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  session->socket = g_object_ref (socket);
  session->fd = g_socket_get_fd (socket);
  tb_media_receive_stamp_arrivals (session);
  local = g_socket_get_local_address (socket, NULL);
  if (G_IS_INET_SOCKET_ADDRESS (local))
    session->local_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  session->callbacks = *callbacks;
  session->user_data = user_data;
  session->name = g_strdup (params->name ? params->name : "media");
  session->codec = params->codec;
  session->direction = params->direction;
  apply_params (session, params);
  session->frame_rate = params->frame_rate;
  session->frame_samples = params->frame_rate / 50;
  session->inbound_filter = g_strdup (params->inbound_filter);
  session->outbound_filter = g_strdup (params->outbound_filter);
  session->last_received_us = g_get_monotonic_time ();

  session->reorder = tb_reorder_new (4);
  session->ssrc = g_random_int ();
  session->seq = g_random_int_range (0, 65536);
  session->timestamp = g_random_int ();
  session->marker = TRUE;
  session->frame = g_new0 (gint16, session->frame_samples);
  session->silence = g_new0 (gint16, session->frame_samples);
  tb_dtmf_sender_init (&session->dtmf_out);

  pipeline_name = g_strdup_printf ("talkingbits-%s", session->name);
  session->pipeline = gst_object_ref_sink (gst_pipeline_new (pipeline_name));
  gst_bus_set_sync_handler (GST_ELEMENT_BUS (session->pipeline), on_bus_message,
                            g_strdup (session->name), g_free);
  /* Without sources or sinks this completes at once; the chains added next
   * follow its state. */
  gst_element_set_state (session->pipeline, GST_STATE_PLAYING);

  session->decoder = tb_media_receive_chain_new (session, session->codec, error);
  if (session->decoder)
    session->encoder = tb_media_send_chain_new (session, session->codec, error);
  if (!session->encoder) {
    free_now (session);
    return NULL;
  }
  tb_media_send_reset (session, TRUE);
  dump_dot (session);

  session->reactor = tb_media_reactor_ref_for (session->context, error);
  if (session->reactor)
    session->member = tb_media_reactor_add (session->reactor, session->fd,
                                            tb_media_receive_readable, tb_media_send_tick,
                                            session, error);
  if (!session->member) {
    free_now (session);
    return NULL;
  }
  g_debug ("media %s: port %u, %s/%u, payload type %u", session->name, session->local_port,
           session->codec->encoding_name, session->codec->clock_rate, session->payload_type);
  return session;
}

gboolean
tb_media_session_update (TbMediaSession *session, const TbMediaParams *params, GError **error)
{
  g_return_val_if_fail (session && params, FALSE);
  if (!check_params (params, error))
    return FALSE;
  if (params->frame_rate != session->frame_rate) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 "the frame rate of a call cannot change (%u Hz, asked for %u Hz)",
                 session->frame_rate, params->frame_rate);
    return FALSE;
  }

  if (params->codec != session->codec) {
    g_autoptr(TbMediaChain) decoder = tb_media_receive_chain_new (session, params->codec, error);
    g_autoptr(TbMediaChain) encoder = NULL;

    if (!decoder)
      return FALSE;
    encoder = tb_media_send_chain_new (session, params->codec, error);
    if (!encoder)
      return FALSE;
    tb_media_chain_free (session->decoder);
    tb_media_chain_free (session->encoder);
    session->decoder = g_steal_pointer (&decoder);
    session->decoder_primed = FALSE;
    session->decoder_lag = 0;
    session->encoder = g_steal_pointer (&encoder);
    session->codec = params->codec;
    /* Samples decoded but not yet delivered stay: they are at the frame
     * rate, whatever the codec (and a frame callback may be reading them). */
    tb_media_send_reset (session, TRUE);
    dump_dot (session);
  }
  apply_params (session, params);
  if (session->transmit_silence)
    tb_media_send_wake (session);
  g_debug ("media %s: updated: %s, payload type %u, direction %d", session->name,
           session->codec->encoding_name, session->payload_type, session->direction);
  return TRUE;
}

void
tb_media_session_play (TbMediaSession *session, const gint16 *samples, gsize n_samples)
{
  g_return_if_fail (session && (samples || n_samples == 0));
  if (n_samples == 0)
    return;
  tb_media_bytes_append (&session->queue, samples, n_samples * sizeof (gint16));
  session->draining = TRUE;
  session->idle = FALSE;
  tb_media_send_wake (session);
}

void
tb_media_session_flush (TbMediaSession *session)
{
  g_return_if_fail (session);
  tb_media_bytes_consume (&session->queue, session->queue.len);
  session->draining = FALSE;
  /* Encoded audio not sent yet goes too, so the next packet is silence. */
  tb_media_send_reset (session, FALSE);
}

gboolean
tb_media_session_send_dtmf (TbMediaSession *session, const char *digits, GError **error)
{
  g_return_val_if_fail (session && digits, FALSE);
  if (session->dtmf_payload_type < 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 "the peer did not agree to telephone-event, no DTMF can be sent");
    return FALSE;
  }
  if (!tb_dtmf_sender_add (&session->dtmf_out, digits)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "'%s' is not a string of DTMF keys (0-9, *, #, A-D)", digits);
    return FALSE;
  }
  tb_media_send_wake (session);
  return TRUE;
}

gint64
tb_media_session_get_send_time (TbMediaSession *session)
{
  gsize frame_bytes;
  guint64 frames;

  g_return_val_if_fail (session, 0);
  frame_bytes = session->frame_samples * sizeof (gint16);
  /* A partial frame goes out padded: what comes after it, in the next. */
  frames = (session->queue.len + frame_bytes - 1) / frame_bytes;
  return tb_media_send_next_time (session) + (gint64) frames * TB_MEDIA_FRAME_MS * 1000;
}

gint64
tb_media_session_get_receive_lag_us (TbMediaSession *session)
{
  g_return_val_if_fail (session, 0);
  return MAX (g_get_monotonic_time () - session->arrived_us, 0) +
         (gint64) session->decoder_lag * G_USEC_PER_SEC / session->frame_rate;
}

gint64
tb_media_session_get_arrival_us (TbMediaSession *session)
{
  g_return_val_if_fail (session, 0);
  return session->arrived_us;
}

guint
tb_media_session_get_local_port (TbMediaSession *session)
{
  g_return_val_if_fail (session, 0);
  return session->local_port;
}

void
tb_media_session_get_stats (TbMediaSession *session, TbMediaStats *stats)
{
  g_return_if_fail (session && stats);
  *stats = session->stats;
  stats->packets_lost = tb_reorder_get_lost (session->reorder);
  stats->samples_queued = session->queue.len / sizeof (gint16);
  stats->interval_jitter_p99_ms = tb_interarrival_percentile_ms (&session->arrivals, 99);
}
