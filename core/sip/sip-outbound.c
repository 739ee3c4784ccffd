/* sip-outbound.c — calls placed by an agent: through a trunk (number) or
 * straight to a SIP URI; INVITE with our offer, digest challenges answered
 * with the trunk's credentials, ringing, answer and failures reported to
 * whoever placed the call. Signaling thread, apart from
 * tb_sip_endpoint_place_call(). */
#define G_LOG_DOMAIN "tb-sip"

#include "sip-private.h"

#include "config-trunk.h"

#include <gio/gio.h>
#include <string.h>

#define DEFAULT_RING_TIMEOUT_S 30

const char *
tb_call_progress_to_string (TbCallProgress progress)
{
  switch (progress) {
  case TB_CALL_PROGRESS_RINGING: return "ringing";
  case TB_CALL_PROGRESS_ANSWERED: return "answered";
  case TB_CALL_PROGRESS_BUSY: return "busy";
  case TB_CALL_PROGRESS_NO_ANSWER: return "no-answer";
  case TB_CALL_PROGRESS_FAILED: return "failed";
  case TB_CALL_PROGRESS_ENDED: return "ended";
  default: return "unknown";
  }
}

static gboolean
is_final (TbCallProgress progress)
{
  return progress != TB_CALL_PROGRESS_RINGING && progress != TB_CALL_PROGRESS_ANSWERED;
}

void
tb_sip_outbound_report (TbSipDialog *dialog, TbCallProgress progress, int status,
                        const char *reason)
{
  if (dialog->progress_final)
    return;
  dialog->progress_final = is_final (progress);
  g_message ("call %s: %s (%d %s)", tb_call_get_id (dialog->call),
             tb_call_progress_to_string (progress), status, reason ? reason : "");
  if (dialog->progress)
    dialog->progress (dialog->call, progress, status, reason, dialog->progress_data);
  if (dialog->progress_final && dialog->progress_destroy)
    g_clear_pointer (&dialog->progress_data, dialog->progress_destroy);
}

/* ---- placing the call ---------------------------------------------------- */

typedef struct {
  TbSipEndpoint *endpoint;
  TbCall *call;
  const TbTrunkConfig *trunk;   /* owned by the call's config */
  char *request_uri;
  char *from;
  guint ring_timeout_s;
  TbCallProgressFunc progress;
  gpointer user_data;
  GDestroyNotify destroy;
} Placement;

static void
placement_free (Placement *placement)
{
  /* Not started (signaling stopped): the placer still hears the end. */
  if (placement->progress) {
    placement->progress (placement->call, TB_CALL_PROGRESS_FAILED, 0, "SIP is stopping",
                         placement->user_data);
    tb_call_ended (placement->call, "shutdown");
  }
  if (placement->destroy && placement->user_data)
    placement->destroy (placement->user_data);
  tb_call_unref (placement->call);
  g_free (placement->request_uri);
  g_free (placement->from);
  g_free (placement);
}

static void
on_ring_timeout (su_root_magic_t *magic, su_timer_t *timer, su_timer_arg_t *arg)
{
  TbSipDialog *dialog = (TbSipDialog *) arg;

  if (dialog->answered || dialog->terminated)
    return;
  if (!dialog->end_reason)
    dialog->end_reason = g_strdup ("no-answer");
  tb_sip_outbound_report (dialog, TB_CALL_PROGRESS_NO_ANSWER, 0, "ring timeout");
  nua_cancel (dialog->nh, TAG_END ());
}

static gboolean
start_on_signaling (gpointer data)
{
  Placement *placement = data;
  TbSipEndpoint *endpoint = placement->endpoint;
  const TbTrunkConfig *trunk = placement->trunk;
  g_autofree char *offer = NULL;
  g_autofree char *to = g_strdup_printf ("<%s>", placement->request_uri);
  nua_handle_t *nh;
  TbSipDialog *dialog;

  nh = nua_handle (endpoint->nua, NULL,
                   SIPTAG_TO_STR (to),
                   SIPTAG_FROM_STR (placement->from),
                   SIPTAG_CALL_ID_STR (tb_call_get_sip_call_id (placement->call)),
                   TAG_END ());
  /* Requests of this handle go through the trunk's proxy. */
  if (trunk)
    nua_set_hparams (nh, NUTAG_PROXY (trunk->proxy), TAG_END ());
  dialog = tb_sip_dialog_new (endpoint, nh);
  dialog->outbound = TRUE;
  dialog->trunk = trunk;
  dialog->peer_host = tb_config_sip_uri_host (placement->request_uri);
  dialog->progress = g_steal_pointer (&placement->progress);
  dialog->progress_data = g_steal_pointer (&placement->user_data);
  dialog->progress_destroy = placement->destroy;
  tb_sip_dialog_attach (dialog, placement->call);

  offer = tb_sip_dialog_offer_sdp (dialog);
  g_message ("call %s: calling %s%s%s (agent %s)", tb_call_get_id (placement->call),
             placement->request_uri, trunk ? " through trunk " : "", trunk ? trunk->name : "",
             tb_call_get_agent (placement->call));
  nua_invite (nh,
              SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
              SIPTAG_PAYLOAD_STR (offer),
              TAG_END ());
  dialog->ring_timer = su_timer_create (su_root_task (endpoint->root), 0);
  su_timer_set_interval (dialog->ring_timer, on_ring_timeout, (su_timer_arg_t *) dialog,
                         placement->ring_timeout_s * 1000);
  return G_SOURCE_REMOVE;
}

/* A number: digits with an optional leading '+', and '*' or '#'. */
static gboolean
is_number (const char *text)
{
  if (!text || !*text)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isdigit (*p) && !(p == text && *p == '+') && *p != '*' && *p != '#')
      return FALSE;
  return TRUE;
}

TbCall *
tb_sip_endpoint_place_call (TbSipEndpoint *endpoint, const TbOutboundCall *request,
                            GError **error)
{
  g_autoptr(TbConfig) config = tb_call_manager_dup_config (endpoint->calls);
  const TbAgentConfig *agent = request->agent ? tb_config_find_agent (config, request->agent)
                                              : NULL;
  const TbTrunkConfig *trunk = NULL;
  g_autofree char *request_uri = NULL;
  g_autofree char *uri_host = NULL;
  g_autofree char *call_id = NULL;
  const char *caller_id;
  TbCallRefusal refusal;
  Placement *placement;
  TbCall *call;

  if (!agent) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no agent '%s'",
                 request->agent ? request->agent : "");
    return NULL;
  }
  if (request->to && g_str_has_prefix (request->to, "sip:")) {
    uri_host = tb_config_sip_uri_host (request->to);
    if (!uri_host) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "'%s' is not a SIP URI (sip:user@host[:port])", request->to);
      return NULL;
    }
    request_uri = g_strdup (request->to);
  } else if (is_number (request->to)) {
    trunk = tb_config_find_trunk (config, request->trunk);
    if (!trunk) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   request->trunk ? "no trunk '%s'" : "no trunk to call %s through",
                   request->trunk ? request->trunk : request->to);
      return NULL;
    }
    request_uri = g_strdup_printf ("sip:%s@%s", request->to, trunk->domain);
  } else {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "'%s' is neither a phone number nor a SIP URI",
                 request->to ? request->to : "");
    return NULL;
  }

  {
    g_autofree char *uuid = g_uuid_string_random ();

    call_id = g_strdup_printf ("%s@%s", uuid, endpoint->contact_host);
  }
  caller_id = request->caller_id ? request->caller_id
              : trunk ? trunk->caller_id : agent->name;
  call = tb_call_manager_create_call (endpoint->calls, config, TB_CALL_OUTBOUND, agent,
                                      caller_id, request->to, call_id, &tb_sip_signaling,
                                      endpoint, &refusal);
  if (!call) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY, "cannot place a call now: %s",
                 refusal == TB_CALL_REFUSED_CAPACITY ? "max-calls reached" : "no free RTP port");
    return NULL;
  }

  placement = g_new0 (Placement, 1);
  placement->endpoint = endpoint;
  placement->call = tb_call_ref (call);
  placement->trunk = tb_config_find_trunk (tb_call_get_config (call), trunk ? trunk->name
                                                                            : "\x01none");
  placement->request_uri = g_steal_pointer (&request_uri);
  placement->from = g_strdup_printf ("<sip:%s@%s>", caller_id,
                                     trunk ? trunk->domain : endpoint->contact_host);
  placement->ring_timeout_s = request->ring_timeout_s ? request->ring_timeout_s
                                                      : DEFAULT_RING_TIMEOUT_S;
  placement->progress = request->progress;
  placement->user_data = request->user_data;
  placement->destroy = request->destroy;
  tb_sip_endpoint_invoke (endpoint, start_on_signaling, placement,
                          (GDestroyNotify) placement_free);
  return call;
}

/* ---- responses to our INVITE --------------------------------------------- */

static void
on_media_ready (TbCall *call, gboolean ok, const char *error, gpointer user_data)
{
  TbSipDialog *dialog = user_data;

  if (!ok && !dialog->terminated) {
    g_warning ("call %s: media failed, hanging up: %s", tb_call_get_id (call), error);
    tb_sip_dialog_hangup (dialog, "media-failed");
  }
  tb_sip_dialog_unref (dialog);
}

static void
answered (TbSipDialog *dialog, const sip_t *sip)
{
  TbConfig *config = tb_call_get_config (dialog->call);
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  TbSdpStream stream = { .dtmf_payload_type = -1 };

  g_clear_pointer (&dialog->ring_timer, su_timer_destroy);
  dialog->answered = TRUE;
  if (sip && sip->sip_payload && sip->sip_payload->pl_data)
    body = g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  if (!body || !tb_sdp_read_answer (body, (const TbCodec *const *) config->media.codecs->pdata,
                                    &stream, &error)) {
    g_warning ("call %s: unusable SDP answer, hanging up: %s", tb_call_get_id (dialog->call),
               error ? error->message : "none in the 200 OK");
    tb_sip_outbound_report (dialog, TB_CALL_PROGRESS_FAILED, 200, "unusable SDP answer");
    tb_sip_dialog_hangup (dialog, "media-failed");
    return;
  }
  tb_call_answered (dialog->call);
  tb_sip_outbound_report (dialog, TB_CALL_PROGRESS_ANSWERED, 200, stream.codec->encoding_name);
  tb_call_start_media (dialog->call, &stream, on_media_ready, tb_sip_dialog_ref (dialog));
  tb_sdp_stream_clear (&stream);
}

static TbCallProgress
classify (int status, const char **end_reason)
{
  switch (status) {
  case 486: case 600: case 603:
    *end_reason = "busy";
    return TB_CALL_PROGRESS_BUSY;
  case 408: case 480: case 487:
    *end_reason = "no-answer";
    return TB_CALL_PROGRESS_NO_ANSWER;
  default:
    *end_reason = "failed";
    return TB_CALL_PROGRESS_FAILED;
  }
}

void
tb_sip_outbound_response (TbSipDialog *dialog, int status, const char *phrase, const sip_t *sip)
{
  const char *end_reason;
  TbCallProgress progress;

  if (!dialog->outbound || !dialog->call || dialog->answered)
    return;
  if (status == 180 || status == 183) {
    if (!dialog->rang)
      tb_sip_outbound_report (dialog, TB_CALL_PROGRESS_RINGING, status, phrase);
    dialog->rang = TRUE;
    return;
  }
  if (status < 200)
    return;
  if (status < 300) {
    answered (dialog, sip);
    return;
  }
  if ((status == 401 || status == 407) && dialog->trunk && !dialog->authenticated &&
      tb_sip_authenticate (dialog->nh, dialog->trunk, sip)) {
    dialog->authenticated = TRUE;
    return;
  }
  progress = classify (status, &end_reason);
  if (!dialog->end_reason)
    dialog->end_reason = g_strdup (end_reason);
  g_clear_pointer (&dialog->ring_timer, su_timer_destroy);
  tb_sip_outbound_report (dialog, progress, status, phrase);
}
