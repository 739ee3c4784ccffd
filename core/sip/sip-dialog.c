/* sip-dialog.c — an INVITE dialog bound to a call: answer, re-INVITE,
 * hang-up, and the end of the dialog. Signaling thread. */
#define G_LOG_DOMAIN "tb-sip"

#include "sip-private.h"

#include "sip-dtmf-info.h"

#include <gio/gio.h>
#include <string.h>

TbSipDialog *
tb_sip_dialog_new (TbSipEndpoint *endpoint, nua_handle_t *nh)
{
  TbSipDialog *dialog = g_new0 (TbSipDialog, 1);

  dialog->kind = TB_SIP_HANDLE_DIALOG;
  dialog->refs = 1;
  dialog->endpoint = endpoint;
  dialog->nh = nh;
  nua_handle_bind (nh, dialog);
  return dialog;
}

void
tb_sip_dialog_attach (TbSipDialog *dialog, TbCall *call)
{
  dialog->call = tb_call_ref (call);
  tb_call_set_dialog (call, dialog);
}

TbSipDialog *
tb_sip_dialog_ref (TbSipDialog *dialog)
{
  dialog->refs++;
  return dialog;
}

void
tb_sip_dialog_unref (TbSipDialog *dialog)
{
  if (--dialog->refs > 0)
    return;
  g_assert (dialog->terminated);
  g_free (dialog->end_reason);
  g_free (dialog->peer_host);
  g_free (dialog->transfer_target);
  g_free (dialog);
}

/* The address we put in SDP: the public address, else the RTP bind
 * address, else (bound to any) the local address that routes to the peer. */
static char *
media_address (TbSipDialog *dialog, const TbSdpStream *stream)
{
  TbConfig *config = dialog->endpoint->config;
  g_autoptr(GInetAddress) bound = g_inet_address_new_from_string (config->media.rtp_address);
  g_autoptr(GSocket) probe = NULL;
  g_autoptr(GInetAddress) peer = NULL;
  g_autoptr(GSocketAddress) target = NULL;
  g_autoptr(GSocketAddress) local = NULL;

  if (config->sip.public_address)
    return g_strdup (config->sip.public_address);
  if (bound && !g_inet_address_get_is_any (bound))
    return g_inet_address_to_string (bound);
  peer = stream ? g_inet_address_new_from_string (stream->address) : NULL;
  if (peer) {
    probe = g_socket_new (g_inet_address_get_family (peer), G_SOCKET_TYPE_DATAGRAM,
                          G_SOCKET_PROTOCOL_UDP, NULL);
    target = g_inet_socket_address_new (peer, stream->port ? stream->port : 9);
    if (probe && g_socket_connect (probe, target, NULL, NULL))
      local = g_socket_get_local_address (probe, NULL);
  }
  if (local)
    return g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
  return g_strdup (dialog->endpoint->contact_host);
}

char *
tb_sip_dialog_answer_sdp (TbSipDialog *dialog, const TbSdpStream *stream)
{
  g_autofree char *address = media_address (dialog, stream);
  const TbCodec *codecs[] = { stream->codec, NULL };
  const guint8 payload_types[] = { stream->payload_type };
  TbMediaDirection ours = stream->direction;
  TbSdpLocal local = {
    .address = address,
    .port = tb_call_get_rtp_port (dialog->call),
    .session_id = dialog->endpoint->sdp_session_id + (guint64) GPOINTER_TO_SIZE (dialog),
    .version = ++dialog->sdp_version,
    .codecs = codecs,
    .payload_types = payload_types,
    .dtmf_payload_type = stream->dtmf_payload_type,
    .direction = ours,
  };

  return tb_sdp_build (&local);
}

/* The payload type we offer telephone-event with. */
#define OFFER_DTMF_PAYLOAD_TYPE 101

char *
tb_sip_dialog_offer_sdp (TbSipDialog *dialog)
{
  g_autofree char *address = media_address (dialog, NULL);
  GPtrArray *codecs = tb_call_get_config (dialog->call)->media.codecs;
  guint n = codecs->len - 1;  /* NULL-terminated */
  g_autofree guint8 *payload_types = g_new0 (guint8, MAX (n, 1));
  TbSdpLocal local = {
    .address = address,
    .port = tb_call_get_rtp_port (dialog->call),
    .session_id = dialog->endpoint->sdp_session_id + (guint64) GPOINTER_TO_SIZE (dialog),
    .version = ++dialog->sdp_version,
    .codecs = (const TbCodec *const *) codecs->pdata,
    .dtmf_payload_type = OFFER_DTMF_PAYLOAD_TYPE,
    .direction = TB_MEDIA_SENDRECV,
  };

  for (guint i = 0; i < n; i++)
    payload_types[i] = ((const TbCodec *) g_ptr_array_index (codecs, i))->static_payload_type;
  local.payload_types = payload_types;
  return tb_sdp_build (&local);
}

void
tb_sip_dialog_answer (TbSipDialog *dialog)
{
  g_autofree char *sdp = NULL;

  if (dialog->terminated || dialog->answered)
    return;
  sdp = tb_sip_dialog_answer_sdp (dialog, tb_call_get_stream (dialog->call));
  dialog->answered = TRUE;
  nua_respond (dialog->nh, SIP_200_OK,
               SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
               SIPTAG_PAYLOAD_STR (sdp),
               TAG_END ());
  tb_call_answered (dialog->call);
}

void
tb_sip_dialog_reinvite (TbSipDialog *dialog, const sip_t *sip)
{
  g_autoptr(TbConfig) config = tb_call_manager_dup_config (dialog->endpoint->calls);
  g_autoptr(GError) error = NULL;
  g_autofree char *sdp = NULL;
  TbSdpStream stream = { .dtmf_payload_type = -1 };

  if (!sip->sip_payload || !sip->sip_payload->pl_data) {
    /* An offerless re-INVITE (a session refresh): offer what we have. */
    sdp = tb_sip_dialog_answer_sdp (dialog, tb_call_get_stream (dialog->call));
    nua_respond (dialog->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
                 SIPTAG_PAYLOAD_STR (sdp), TAG_END ());
    return;
  }
  {
    g_autofree char *body = g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);

    if (!tb_sdp_negotiate_offer (body, (const TbCodec *const *) config->media.codecs->pdata,
                                 &stream, &error)) {
      g_message ("call %s: re-INVITE refused: %s", tb_call_get_id (dialog->call), error->message);
      nua_respond (dialog->nh, SIP_488_NOT_ACCEPTABLE,
                   SIPTAG_WARNING_STR ("399 talkingbits \"incompatible media\""), TAG_END ());
      return;
    }
  }
  tb_call_update_media (dialog->call, &stream);
  sdp = tb_sip_dialog_answer_sdp (dialog, &stream);
  g_message ("call %s: re-INVITE: %s, %s", tb_call_get_id (dialog->call),
             stream.codec->encoding_name,
             stream.direction == TB_MEDIA_SENDRECV ? "active" : "on hold");
  nua_respond (dialog->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
               SIPTAG_PAYLOAD_STR (sdp), TAG_END ());
  tb_sdp_stream_clear (&stream);
}

void
tb_sip_dialog_info (TbSipDialog *dialog, const sip_t *sip)
{
  char digit;
  guint duration_ms;

  if (!sip || !sip->sip_content_type || !sip->sip_payload)
    return;
  if (tb_sip_dtmf_info_parse (sip->sip_content_type->c_type, sip->sip_payload->pl_data,
                              sip->sip_payload->pl_len, &digit, &duration_ms))
    tb_call_dtmf_received (dialog->call, digit, duration_ms);
  else
    g_debug ("call %s: INFO of type %s ignored", tb_call_get_id (dialog->call),
             sip->sip_content_type->c_type);
}

void
tb_sip_dialog_hangup (TbSipDialog *dialog, const char *reason)
{
  if (dialog->terminated)
    return;
  if (!dialog->end_reason)
    dialog->end_reason = g_strdup (reason);
  if (dialog->answered) {
    nua_bye (dialog->nh, TAG_END ());
  } else if (dialog->outbound) {
    nua_cancel (dialog->nh, TAG_END ());
  } else {
    nua_respond (dialog->nh, SIP_480_TEMPORARILY_UNAVAILABLE,
                 SIPTAG_REASON_STR ("SIP;cause=480;text=\"call not answered\""), TAG_END ());
  }
}

void
tb_sip_dialog_terminated (TbSipDialog *dialog, const char *reason)
{
  if (dialog->terminated)
    return;
  dialog->terminated = TRUE;
  g_clear_pointer (&dialog->answer_timer, su_timer_destroy);
  g_clear_pointer (&dialog->ring_timer, su_timer_destroy);
  if (dialog->outbound)
    tb_sip_outbound_report (dialog, dialog->answered ? TB_CALL_PROGRESS_ENDED
                                                     : TB_CALL_PROGRESS_FAILED, 0,
                            dialog->end_reason ? dialog->end_reason
                            : reason ? reason : "terminated");
  if (dialog->call) {
    tb_call_set_dialog (dialog->call, NULL);
    tb_call_ended (dialog->call, dialog->end_reason ? dialog->end_reason
                                 : reason ? reason : "terminated");
    g_clear_pointer (&dialog->call, tb_call_unref);
  }
  nua_handle_bind (dialog->nh, NULL);
  nua_handle_destroy (dialog->nh);
  dialog->nh = NULL;
  tb_sip_dialog_unref (dialog);
}
