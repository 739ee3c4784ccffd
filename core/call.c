/* call.c — one phone call: identity and timeline on the main thread, media
 * on its worker, and the hand-offs between them. */
#define G_LOG_DOMAIN "tb-call"

#include "call-private.h"

#include "audio-file.h"
#include "call-manager.h"
#include "conversation.h"
#include "media-session.h"
#include "metrics.h"
#include "records.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

struct _TbCall {
  gatomicrefcount ref;
  TbCallManager *manager;
  TbConfig *config;              /* the config the call started with */
  const TbAgentConfig *agent;    /* owned by config */
  char *id;
  TbCallDirection direction;
  char *from;
  char *to;
  char *sip_call_id;
  GDateTime *started;
  gint64 started_us, answered_us, ended_us;   /* answered_us: under event_lock */
  char *end_reason;
  gboolean ended;

  /* set at creation, then read-only */
  const TbCallSignaling *signaling;
  gpointer signaling_data;
  gint hung_up;                  /* atomic: signaling asked to end the call */

  GMutex event_lock;
  TbCallEventFunc event_func;
  gpointer event_data;

  /* signaling thread */
  gpointer dialog;
  guint rtp_port;
  TbSdpStream stream;

  /* worker thread */
  GMainContext *worker;
  GSocket *socket;               /* handed to the media session */
  TbMediaSession *media;
  TbConversation *conversation;
  TbConversationPeer peer;       /* what the conversation talks to */
  TbWavWriter *recorder;
  TbMediaStats stats;            /* copied when the media stops */
  JsonNode *turns;               /* the conversation's, when it ends */
};

TbCall *
tb_call_new (TbCallManager *manager, TbConfig *config, TbCallDirection direction,
             const TbAgentConfig *agent, const char *from, const char *to,
             const char *sip_call_id, GSocket *socket, guint rtp_port, GMainContext *worker,
             const TbCallSignaling *signaling, gpointer signaling_data)
{
  TbCall *call = g_new0 (TbCall, 1);

  g_atomic_ref_count_init (&call->ref);
  call->manager = manager;
  call->config = tb_config_ref (config);
  call->agent = agent;
  call->id = g_uuid_string_random ();
  call->direction = direction;
  call->from = g_strdup (from);
  call->to = g_strdup (to);
  call->sip_call_id = g_strdup (sip_call_id);
  call->started = g_date_time_new_now_utc ();
  call->started_us = g_get_monotonic_time ();
  call->socket = g_object_ref (socket);
  call->rtp_port = rtp_port;
  call->worker = g_main_context_ref (worker);
  call->signaling = signaling;
  call->signaling_data = signaling_data;
  tb_sdp_stream_clear (&call->stream);
  g_mutex_init (&call->event_lock);
  return call;
}

TbCall *
tb_call_ref (TbCall *call)
{
  g_atomic_ref_count_inc (&call->ref);
  return call;
}

void
tb_call_unref (TbCall *call)
{
  if (!call || !g_atomic_ref_count_dec (&call->ref))
    return;
  g_assert (!call->media && !call->recorder && !call->conversation);
  g_clear_object (&call->socket);
  g_main_context_unref (call->worker);
  tb_sdp_stream_clear (&call->stream);
  tb_config_unref (call->config);
  g_date_time_unref (call->started);
  g_free (call->id);
  g_free (call->from);
  g_free (call->to);
  g_free (call->sip_call_id);
  g_free (call->end_reason);
  g_clear_pointer (&call->turns, json_node_unref);
  g_mutex_clear (&call->event_lock);
  g_free (call);
}

const char *tb_call_get_id (TbCall *call) { return call->id; }
const char *tb_call_get_agent (TbCall *call) { return call->agent->name; }
const char *tb_call_get_sip_call_id (TbCall *call) { return call->sip_call_id; }
const char *tb_call_get_from (TbCall *call) { return call->from; }
const char *tb_call_get_to (TbCall *call) { return call->to; }
TbCallDirection tb_call_get_direction (TbCall *call) { return call->direction; }
GMainContext *tb_call_get_worker (TbCall *call) { return call->worker; }
guint tb_call_get_rtp_port (TbCall *call) { return call->rtp_port; }
const TbAgentConfig *tb_call_get_agent_config (TbCall *call) { return call->agent; }
TbConfig *tb_call_get_config (TbCall *call) { return call->config; }
GDateTime *tb_call_get_started (TbCall *call) { return call->started; }
const TbSdpStream *tb_call_get_stream (TbCall *call) { return &call->stream; }
void tb_call_set_dialog (TbCall *call, gpointer dialog) { call->dialog = dialog; }
gpointer tb_call_get_dialog (TbCall *call) { return call->dialog; }

/* ---- hand-offs --------------------------------------------------------- */

typedef struct {
  TbCall *call;
  TbSdpStream stream;
  TbCallReadyFunc ready;
  gpointer user_data;
  gboolean ok;
  char *error;
  char *reason;
  char digit;
  guint duration_ms;
  int status;
  char *target;
} Job;

static Job *
job_new (TbCall *call)
{
  Job *job = g_new0 (Job, 1);

  job->call = tb_call_ref (call);
  tb_sdp_stream_clear (&job->stream);
  return job;
}

static void
job_free (Job *job)
{
  tb_sdp_stream_clear (&job->stream);
  tb_call_unref (job->call);
  g_free (job->error);
  g_free (job->reason);
  g_free (job->target);
  g_free (job);
}

static void
copy_stream (TbSdpStream *to, const TbSdpStream *from)
{
  tb_sdp_stream_clear (to);
  *to = *from;
  to->address = g_strdup (from->address);
}

static void
invoke (GMainContext *context, GSourceFunc func, Job *job)
{
  g_main_context_invoke_full (context, G_PRIORITY_DEFAULT, func, job,
                              (GDestroyNotify) job_free);
}

static void
invoke_signaling (TbCall *call, GSourceFunc func, Job *job)
{
  call->signaling->invoke (func, job, (GDestroyNotify) job_free, call->signaling_data);
}

/* ---- worker side: media ------------------------------------------------ */

static void
on_frame (const gint16 *samples, gsize n_samples, gpointer user_data)
{
  TbCall *call = user_data;
  g_autoptr(GError) error = NULL;

  if (call->recorder && !tb_wav_writer_write (call->recorder, samples, n_samples, &error)) {
    g_warning ("call %s: recording stopped: %s", call->id, error->message);
    g_clear_pointer (&call->recorder, tb_wav_writer_free);
  }
  if (call->conversation)
    tb_conversation_frame (call->conversation, samples, n_samples);
}

void
tb_call_set_event_func (TbCall *call, TbCallEventFunc func, gpointer user_data)
{
  g_mutex_lock (&call->event_lock);
  call->event_func = func;
  call->event_data = user_data;
  g_mutex_unlock (&call->event_lock);
}

/* Worker thread: logs @event and hands it to the conversation. */
static void
emit (TbCall *call, const TbCallEvent *event)
{
  TbCallEventFunc func;
  gpointer data;

  switch (event->type) {
  case TB_CALL_EVENT_DTMF:
    g_message ("call %s: DTMF %c (%u ms, %s)", call->id, event->digit, event->duration_ms,
               event->source);
    break;
  case TB_CALL_EVENT_TRANSFER_FAILED:
    g_message ("call %s: transfer to %s failed: %d %s; the call goes on", call->id,
               event->target, event->status, event->reason);
    break;
  }
  if (call->conversation)
    tb_conversation_event (call->conversation, event);
  g_mutex_lock (&call->event_lock);
  func = call->event_func;
  data = call->event_data;
  g_mutex_unlock (&call->event_lock);
  if (func)
    func (call, event, data);
}

/* A key press, from RTP (RFC 4733) or SIP INFO: in the order received. */
static void
dtmf_on_worker (TbCall *call, char digit, guint duration_ms, const char *via)
{
  TbCallEvent event = { .type = TB_CALL_EVENT_DTMF, .digit = digit,
                        .duration_ms = duration_ms, .source = via };

  emit (call, &event);
}

static void
on_dtmf (char digit, guint duration_ms, gpointer user_data)
{
  dtmf_on_worker (user_data, digit, duration_ms, "RTP");
}

static void
on_timeout (gpointer user_data)
{
  TbCall *call = user_data;

  g_message ("call %s: no RTP for %u s", call->id, call->config->media.rtp_timeout_s);
  tb_call_hangup (call, "rtp-timeout");
}

static void
on_drained (gpointer user_data)
{
  TbCall *call = user_data;

  if (call->conversation)
    tb_conversation_drained (call->conversation);
}

static const TbMediaCallbacks media_callbacks = {
  on_frame, on_dtmf, on_timeout, on_drained,
};

static GSocketAddress *
stream_address (const TbSdpStream *stream)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (stream->address);

  return address ? g_inet_socket_address_new (address, stream->port) : NULL;
}

static gboolean
fill_params (TbCall *call, const TbSdpStream *stream, TbMediaParams *params, char **error)
{
  const TbMediaConfig *media = &call->config->media;

  params->codec = stream->codec;
  params->payload_type = stream->payload_type;
  params->dtmf_payload_type = stream->dtmf_payload_type;
  params->remote = stream_address (stream);
  if (!params->remote) {
    *error = g_strdup_printf ("the peer's media address '%s' is not an IP address",
                              stream->address);
    return FALSE;
  }
  params->direction = stream->direction;
  params->frame_rate = media->sample_rate;
  params->inbound_filter = media->inbound_filter;
  params->outbound_filter = media->outbound_filter;
  params->rtp_timeout_ms = media->rtp_timeout_s * 1000;
  params->transmit_silence = media->transmit_silence;
  params->name = call->id;
  return TRUE;
}

static void
play_greeting (TbCall *call)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) audio = NULL;
  gsize size = 0;
  const gint16 *samples;

  if (!call->agent->greeting_file)
    return;
  audio = tb_call_manager_get_audio (call->manager, call->agent->greeting_file,
                                     call->config->media.sample_rate, &error);
  if (!audio) {
    g_warning ("call %s: greeting not played: %s", call->id, error->message);
    return;
  }
  samples = g_bytes_get_data (audio, &size);
  tb_media_session_play (call->media, samples, size / sizeof (gint16));
}

static void
start_recorder (TbCall *call)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file = NULL;
  g_autofree char *path = NULL;

  if (!call->config->recordings_dir)
    return;
  file = g_strdup_printf ("%s.wav", call->id);
  path = g_build_filename (call->config->recordings_dir, file, NULL);
  call->recorder = tb_wav_writer_new (path, call->config->media.sample_rate, &error);
  if (!call->recorder)
    g_warning ("call %s: not recorded: %s", call->id, error->message);
}

/* The call as the conversation's peer: audio through the media session. */
static void
peer_play (gpointer data, const gint16 *samples, gsize n)
{
  tb_media_session_play (((TbCall *) data)->media, samples, n);
}

static gint64
peer_send_time (gpointer data)
{
  return tb_media_session_get_send_time (((TbCall *) data)->media);
}

static gint64
peer_receive_lag_us (gpointer data)
{
  return tb_media_session_get_receive_lag_us (((TbCall *) data)->media);
}

static void
peer_flush (gpointer data)
{
  tb_media_session_flush (((TbCall *) data)->media);
}

static guint64
peer_unplayed (gpointer data)
{
  TbMediaStats stats;

  tb_media_session_get_stats (((TbCall *) data)->media, &stats);
  return stats.samples_queued;
}

static gboolean
peer_send_dtmf (gpointer data, const char *digits, GError **error)
{
  return tb_media_session_send_dtmf (((TbCall *) data)->media, digits, error);
}

static guint
peer_line_rate (gpointer data)
{
  const TbSdpStream *stream = &((TbCall *) data)->stream;

  return stream->codec ? stream->codec->sample_rate : 0;
}

static void
peer_hangup (gpointer data, const char *reason)
{
  tb_call_hangup (data, reason);
}

static void
peer_transfer (gpointer data, const char *target)
{
  tb_call_transfer (data, target);
}

static void
start_conversation (TbCall *call)
{
  g_autoptr(GError) error = NULL;

  call->peer = (TbConversationPeer) {
    call->id, call->from, call->to, peer_line_rate, peer_play, peer_flush, peer_unplayed,
    peer_send_dtmf, peer_hangup, peer_transfer, peer_send_time, peer_receive_lag_us,
  };
  call->conversation = tb_conversation_new (call->config, call->agent,
                                            tb_call_manager_get_host (call->manager),
                                            &call->peer, call, &error);
  if (!call->conversation) {
    g_warning ("call %s: the agent cannot talk: %s", call->id, error->message);
    play_greeting (call);
  }
}

static gboolean
media_ready_on_signaling (gpointer data)
{
  Job *job = data;

  job->ready (job->call, job->ok, job->error, job->user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
start_media_on_worker (gpointer data)
{
  Job *job = data;
  TbCall *call = job->call;
  TbMediaParams params = { 0 };
  g_autoptr(GError) error = NULL;
  Job *reply = job_new (call);

  reply->ready = job->ready;
  reply->user_data = job->user_data;
  if (fill_params (call, &job->stream, &params, &reply->error)) {
    call->media = tb_media_session_new (call->socket, call->worker, &params,
                                        &media_callbacks, call, &error);
    if (call->media) {
      start_recorder (call);
      if (tb_conversation_wanted (call->agent))
        start_conversation (call);
      else
        play_greeting (call);
      reply->ok = TRUE;
    } else {
      reply->error = g_strdup (error->message);
    }
  }
  g_clear_object (&params.remote);
  invoke_signaling (call, media_ready_on_signaling, reply);
  return G_SOURCE_REMOVE;
}

void
tb_call_start_media (TbCall *call, const TbSdpStream *stream, TbCallReadyFunc ready,
                     gpointer user_data)
{
  Job *job = job_new (call);

  copy_stream (&call->stream, stream);
  copy_stream (&job->stream, stream);
  job->ready = ready;
  job->user_data = user_data;
  invoke (call->worker, start_media_on_worker, job);
}

static gboolean
update_media_on_worker (gpointer data)
{
  Job *job = data;
  TbCall *call = job->call;
  TbMediaParams params = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *problem = NULL;

  if (!call->media)
    return G_SOURCE_REMOVE;
  if (!fill_params (call, &job->stream, &params, &problem))
    g_warning ("call %s: media not updated: %s", call->id, problem);
  else if (!tb_media_session_update (call->media, &params, &error))
    g_warning ("call %s: media not updated: %s", call->id, error->message);
  g_clear_object (&params.remote);
  return G_SOURCE_REMOVE;
}

void
tb_call_update_media (TbCall *call, const TbSdpStream *stream)
{
  Job *job = job_new (call);

  copy_stream (&call->stream, stream);
  copy_stream (&job->stream, stream);
  invoke (call->worker, update_media_on_worker, job);
}

static gboolean
info_dtmf_on_worker (gpointer data)
{
  Job *job = data;

  dtmf_on_worker (job->call, job->digit, job->duration_ms, "SIP INFO");
  return G_SOURCE_REMOVE;
}

void
tb_call_dtmf_received (TbCall *call, char digit, guint duration_ms)
{
  Job *job = job_new (call);

  job->digit = digit;
  job->duration_ms = duration_ms;
  invoke (call->worker, info_dtmf_on_worker, job);
}

static gboolean
transfer_failed_on_worker (gpointer data)
{
  Job *job = data;
  TbCallEvent event = { .type = TB_CALL_EVENT_TRANSFER_FAILED, .target = job->target,
                        .status = job->status, .reason = job->reason };

  emit (job->call, &event);
  return G_SOURCE_REMOVE;
}

void
tb_call_transfer_failed (TbCall *call, const char *target, int status, const char *reason)
{
  Job *job = job_new (call);

  job->target = g_strdup (target);
  job->status = status;
  job->reason = g_strdup (reason ? reason : "");
  invoke (call->worker, transfer_failed_on_worker, job);
}

static gboolean
transfer_on_signaling (gpointer data)
{
  Job *job = data;
  TbCall *call = job->call;

  if (!call->ended && !g_atomic_int_get (&call->hung_up))
    call->signaling->transfer (call, job->target, call->signaling_data);
  return G_SOURCE_REMOVE;
}

void
tb_call_transfer (TbCall *call, const char *target)
{
  Job *job = job_new (call);

  job->target = g_strdup (target);
  invoke_signaling (call, transfer_on_signaling, job);
}

void
tb_call_answered (TbCall *call)
{
  g_mutex_lock (&call->event_lock);
  if (!call->answered_us)
    call->answered_us = g_get_monotonic_time ();
  g_mutex_unlock (&call->event_lock);
}

GDateTime *
tb_call_dup_answered (TbCall *call)
{
  gint64 answered_us;

  g_mutex_lock (&call->event_lock);
  answered_us = call->answered_us;
  g_mutex_unlock (&call->event_lock);
  return answered_us ? g_date_time_add (call->started, answered_us - call->started_us) : NULL;
}

/* ---- hanging up and ending --------------------------------------------- */

static gboolean
hangup_on_signaling (gpointer data)
{
  Job *job = data;
  TbCall *call = job->call;

  if (!call->ended)
    call->signaling->hangup (call, job->reason, call->signaling_data);
  return G_SOURCE_REMOVE;
}

void
tb_call_hangup (TbCall *call, const char *reason)
{
  Job *job;

  if (!g_atomic_int_compare_and_exchange (&call->hung_up, 0, 1))
    return;
  job = job_new (call);
  job->reason = g_strdup (reason);
  invoke_signaling (call, hangup_on_signaling, job);
}

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value ? value : "");
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

/* The end-of-call line: one JSON object, so logs can be searched and fed
 * to other tools. SIP header values are escaped by the JSON writer. It is
 * also the call's record for the database: returned. */
static JsonNode *
log_end (TbCall *call)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *started = g_date_time_format_iso8601 (call->started);
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  add_string (b, "id", call->id);
  add_string (b, "agent", call->agent->name);
  add_string (b, "direction", call->direction == TB_CALL_INBOUND ? "inbound" : "outbound");
  add_string (b, "from", call->from);
  add_string (b, "to", call->to);
  add_string (b, "sip_call_id", call->sip_call_id);
  add_string (b, "started", started);
  json_builder_set_member_name (b, "answered");
  json_builder_add_boolean_value (b, call->answered_us != 0);
  add_int (b, "duration_ms", (call->ended_us - call->started_us) / 1000);
  add_int (b, "talk_ms", call->answered_us ? (call->ended_us - call->answered_us) / 1000 : 0);
  add_string (b, "end_reason", call->end_reason);
  add_string (b, "codec", call->stream.codec ? call->stream.codec->encoding_name : "none");
  json_builder_set_member_name (b, "rtp");
  json_builder_begin_object (b);
  add_int (b, "received", call->stats.packets_received);
  add_int (b, "sent", call->stats.packets_sent);
  add_int (b, "lost", call->stats.packets_lost);
  add_int (b, "invalid", call->stats.packets_invalid);
  json_builder_end_object (b);
  if (call->turns) {
    json_builder_set_member_name (b, "turns");
    json_builder_add_value (b, json_node_ref (call->turns));
  }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_message ("call %s ended: %s", call->id, text);
  return g_steal_pointer (&root);
}

static gboolean
ended_on_signaling (gpointer data)
{
  Job *job = data;
  TbCall *call = job->call;
  JsonNode *record;

  tb_rtp_ports_release (tb_call_manager_get_ports (call->manager), call->rtp_port);
  tb_worker_pool_release (tb_call_manager_get_workers (call->manager), call->worker);
  record = log_end (call);
  tb_metrics_add_call (record);
  tb_records_submit (record);
  tb_call_manager_remove (call->manager, call);
  return G_SOURCE_REMOVE;
}

/* The conversation's turns, as a JSON array for the end-of-call line. */
static JsonNode *
conversation_turns (TbConversation *conversation)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  JsonNode *root, *turns;

  json_builder_begin_object (b);
  tb_conversation_add_turns (conversation, b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  turns = json_node_copy (json_object_get_member (json_node_get_object (root), "turns"));
  json_node_unref (root);
  return turns;
}

static gboolean
stop_media_on_worker (gpointer data)
{
  Job *job = data;
  TbCall *call = job->call;
  g_autoptr(GError) error = NULL;

  if (call->conversation) {
    call->turns = conversation_turns (call->conversation);
    g_clear_pointer (&call->conversation, tb_conversation_free);
  }
  if (call->media) {
    tb_media_session_get_stats (call->media, &call->stats);
    g_clear_pointer (&call->media, tb_media_session_free);
  }
  if (call->recorder && !tb_wav_writer_close (call->recorder, &error))
    g_warning ("call %s: recording incomplete: %s", call->id, error->message);
  g_clear_pointer (&call->recorder, tb_wav_writer_free);
  g_clear_object (&call->socket);
  invoke_signaling (call, ended_on_signaling, job_new (call));
  return G_SOURCE_REMOVE;
}

void
tb_call_ended (TbCall *call, const char *reason)
{
  if (call->ended)
    return;
  call->ended = TRUE;
  call->ended_us = g_get_monotonic_time ();
  call->end_reason = g_strdup (reason);
  invoke (call->worker, stop_media_on_worker, job_new (call));
}
