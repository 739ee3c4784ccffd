/* sip-inbound.c — an incoming INVITE: access control, routing to an agent,
 * capacity, SDP offer/answer, then ringing and answering. Signaling thread. */
#define G_LOG_DOMAIN "tb-sip"

#include "sip-private.h"

#include <gio/gio.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/su.h>

/* The address the request came from. */
static GInetAddress *
source_address (nua_t *nua)
{
  msg_t *msg = nua_current_request (nua);
  su_addrinfo_t *ai = msg ? msg_addrinfo (msg) : NULL;
  g_autoptr(GSocketAddress) address = NULL;

  if (!ai || !ai->ai_addr)
    return NULL;
  address = g_socket_address_new_from_native (ai->ai_addr, ai->ai_addrlen);
  if (!address || !G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;
  return g_object_ref (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
}

static gboolean
matches (GPtrArray *masks, GInetAddress *address)
{
  for (guint i = 0; address && i < masks->len; i++)
    if (g_inet_address_mask_matches (g_ptr_array_index (masks, i), address))
      return TRUE;
  return FALSE;
}

/* [sip] trusted, or a trunk's registrar or proxy. */
static gboolean
is_trusted (TbConfig *config, GInetAddress *address)
{
  if (matches (config->sip.trusted, address))
    return TRUE;
  for (guint i = 0; i < config->trunks->len; i++)
    if (matches (((TbTrunkConfig *) g_ptr_array_index (config->trunks, i))->hosts, address))
      return TRUE;
  return FALSE;
}

static const char *
account_password (const char *username, gpointer user_data)
{
  const TbAccountConfig *account = tb_config_find_account (user_data, username);

  return account ? account->password : NULL;
}

/* The Digest credentials for our realm, if the request carries any. */
static const msg_param_t *
our_credentials (const sip_t *sip, const char *realm)
{
  g_autofree char *quoted = g_strdup_printf ("realm=\"%s\"", realm);

  for (const sip_authorization_t *au = sip->sip_authorization; au; au = au->au_next) {
    if (!au->au_scheme || g_ascii_strcasecmp (au->au_scheme, "Digest") != 0)
      continue;
    for (guint i = 0; au->au_params && au->au_params[i]; i++)
      if (g_str_equal (au->au_params[i], quoted))
        return au->au_params;
  }
  return NULL;
}

/* Callers from outside [sip] trusted authenticate as an [account:NAME]:
 * no credentials -> 401 with a challenge; wrong ones -> 403. TRUE when
 * the caller may go on; otherwise the request has been answered. */
static gboolean
admit (TbSipEndpoint *endpoint, TbConfig *config, nua_handle_t *nh, const sip_t *sip,
       GInetAddress *from, const char *from_text, const char *number)
{
  const msg_param_t *params;
  g_autofree char *user = NULL;
  g_autofree char *challenge = NULL;
  TbSipDigestResult result;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (is_trusted (config, from))
    return TRUE;
  if (config->accounts->len == 0) {
    g_message ("INVITE from %s to %s refused: source not trusted", from_text,
               number ? number : "?");
    nua_respond (nh, SIP_403_FORBIDDEN, TAG_END ());
    return FALSE;
  }
  params = our_credentials (sip, endpoint->digest.realm);
  result = params ? tb_sip_digest_check (&endpoint->digest, "INVITE",
                                         (const char *const *) params, now,
                                         account_password, config, &user)
                  : TB_SIP_DIGEST_CHALLENGE;
  switch (result) {
  case TB_SIP_DIGEST_OK:
    g_message ("INVITE from %s to %s: authenticated as '%s'", from_text,
               number ? number : "?", user);
    return TRUE;
  case TB_SIP_DIGEST_DENIED:
    g_message ("INVITE from %s to %s refused: digest authentication failed for user '%s'",
               from_text, number ? number : "?", user ? user : "");
    nua_respond (nh, SIP_403_FORBIDDEN, TAG_END ());
    return FALSE;
  default:
    challenge = tb_sip_digest_challenge (&endpoint->digest, now,
                                         result == TB_SIP_DIGEST_STALE);
    g_info ("INVITE from %s to %s: authentication requested", from_text,
            number ? number : "?");
    nua_respond (nh, SIP_401_UNAUTHORIZED, SIPTAG_WWW_AUTHENTICATE_STR (challenge), TAG_END ());
    return FALSE;
  }
}

/* The dialled number: Request-URI user, else To user. */
static const char *
dialled_number (const sip_t *sip)
{
  if (sip->sip_request && sip->sip_request->rq_url->url_user)
    return sip->sip_request->rq_url->url_user;
  if (sip->sip_to && sip->sip_to->a_url->url_user)
    return sip->sip_to->a_url->url_user;
  return NULL;
}

static const char *
caller (const sip_t *sip)
{
  if (sip->sip_from && sip->sip_from->a_url->url_user)
    return sip->sip_from->a_url->url_user;
  return "anonymous";
}

static void
answer_after_delay (su_root_magic_t *magic, su_timer_t *timer, su_timer_arg_t *arg)
{
  tb_sip_dialog_answer ((TbSipDialog *) arg);
}

static void
on_media_ready (TbCall *call, gboolean ok, const char *error, gpointer user_data)
{
  TbSipDialog *dialog = user_data;
  guint delay = tb_call_get_agent_config (call)->answer_delay_ms;

  if (dialog->terminated) {
    tb_sip_dialog_unref (dialog);
    return;
  }
  if (!ok) {
    g_warning ("call %s: media failed, refusing the call: %s", tb_call_get_id (call), error);
    dialog->end_reason = g_strdup ("media-failed");
    nua_respond (dialog->nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END ());
  } else if (delay > 0) {
    /* On this thread's loop; the timer goes with the dialog. */
    dialog->answer_timer = su_timer_create (su_root_task (dialog->endpoint->root), 0);
    su_timer_set_interval (dialog->answer_timer, answer_after_delay,
                           (su_timer_arg_t *) dialog, delay);
  } else {
    tb_sip_dialog_answer (dialog);
  }
  tb_sip_dialog_unref (dialog);
}

static const char *
refusal_text (TbCallRefusal refusal)
{
  switch (refusal) {
  case TB_CALL_REFUSED_CAPACITY: return "max-calls reached";
  case TB_CALL_REFUSED_NO_PORT: return "no free RTP port";
  default: return "no RTP socket";
  }
}

void
tb_sip_inbound_invite (TbSipEndpoint *endpoint, nua_handle_t *nh, TbSipDialog *unused,
                       const sip_t *sip)
{
  g_autoptr(TbConfig) config = tb_call_manager_dup_config (endpoint->calls);
  g_autoptr(GInetAddress) from = source_address (endpoint->nua);
  g_autofree char *from_text = from ? g_inet_address_to_string (from) : g_strdup ("unknown");
  const char *number = dialled_number (sip);
  const TbAgentConfig *agent;
  g_autoptr(GError) error = NULL;
  g_autoptr(TbCall) call = NULL;
  TbCallRefusal refusal;
  TbSdpStream stream = { .dtmf_payload_type = -1 };
  TbSipDialog *dialog;

  if (!admit (endpoint, config, nh, sip, from, from_text, number))
    return;
  agent = tb_config_route (config, number);
  if (!agent) {
    g_message ("INVITE from %s to %s refused: no agent for this number", from_text,
               number ? number : "?");
    nua_respond (nh, SIP_404_NOT_FOUND, TAG_END ());
    return;
  }
  if (!sip->sip_payload || !sip->sip_payload->pl_data) {
    g_message ("INVITE from %s to %s refused: no SDP offer", from_text, number);
    nua_respond (nh, SIP_488_NOT_ACCEPTABLE,
                 SIPTAG_WARNING_STR ("399 talkingbits \"an SDP offer is required\""), TAG_END ());
    return;
  }
  {
    g_autofree char *body = g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);

    if (!tb_sdp_negotiate_offer (body, (const TbCodec *const *) config->media.codecs->pdata,
                                 &stream, &error)) {
      gboolean unreadable = g_error_matches (error, TB_SDP_ERROR, TB_SDP_ERROR_PARSE);
      g_autofree char *warning = g_strdup_printf ("399 talkingbits \"%s\"", error->message);

      g_message ("INVITE from %s to %s refused: %s", from_text, number, error->message);
      if (unreadable)
        nua_respond (nh, SIP_400_BAD_REQUEST, SIPTAG_WARNING_STR (warning), TAG_END ());
      else
        nua_respond (nh, SIP_488_NOT_ACCEPTABLE, SIPTAG_WARNING_STR (warning), TAG_END ());
      return;
    }
  }

  call = tb_call_manager_create_call (endpoint->calls, config, TB_CALL_INBOUND, agent,
                                      caller (sip), number,
                                      sip->sip_call_id ? sip->sip_call_id->i_id : "",
                                      &tb_sip_signaling, endpoint, &refusal);
  if (!call) {
    g_message ("INVITE from %s to %s refused: %s", from_text, number, refusal_text (refusal));
    nua_respond (nh, SIP_503_SERVICE_UNAVAILABLE, SIPTAG_RETRY_AFTER_STR ("5"), TAG_END ());
    tb_sdp_stream_clear (&stream);
    return;
  }

  g_message ("call %s: %s -> %s (agent %s) from %s, %s", tb_call_get_id (call), caller (sip),
             number, agent->name, from_text, stream.codec->encoding_name);
  dialog = tb_sip_dialog_new (endpoint, nh);
  if (sip->sip_from && sip->sip_from->a_url->url_host)
    dialog->peer_host = g_strdup (sip->sip_from->a_url->url_host);
  tb_sip_dialog_attach (dialog, call);
  nua_respond (nh, SIP_180_RINGING, TAG_END ());
  tb_call_start_media (call, &stream, on_media_ready, tb_sip_dialog_ref (dialog));
  tb_sdp_stream_clear (&stream);
}
