/* sip-endpoint.c — sofia-sip's nua on the GLib main loop: start, event
 * dispatch, shutdown. */
#define G_LOG_DOMAIN "tb-sip"

#include "sip-private.h"

#include <sofia-sip/su_log.h>
#include <stdio.h>

#define ALLOWED_METHODS "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY, UPDATE, PRACK"

/* sofia-sip's own log lines go to our debug log. */
static void
sofia_logger (void *stream, char const *format, va_list args)
{
  g_autofree char *text = g_strdup_vprintf (format, args);

  g_debug ("sofia: %s", g_strchomp (text));
}

static const char *
callstate_reason (nua_event_t last_event)
{
  switch (last_event) {
  case nua_i_bye: return "remote-bye";
  case nua_i_cancel: return "cancelled";
  default: return "terminated";
  }
}

static void
on_state (TbSipEndpoint *endpoint, nua_handle_t *nh, TbSipDialog *dialog, int status,
          const char *phrase, tagi_t tags[])
{
  int state = nua_callstate_init;

  tl_gets (tags, NUTAG_CALLSTATE_REF (state), TAG_END ());
  g_debug ("dialog %p: %s (%d %s)", (void *) nh, nua_callstate_name (state), status,
           phrase ? phrase : "");
  if (state == nua_callstate_ready && dialog && dialog->call)
    tb_call_answered (dialog->call);
  if (state != nua_callstate_terminated)
    return;
  if (dialog)
    tb_sip_dialog_terminated (dialog, NULL);
  else
    nua_handle_destroy (nh);
}

/* Requests nua has answered on its own, outside any dialog: their handle
 * is ours to release. */
static gboolean
is_standalone_request (nua_event_t event)
{
  switch (event) {
  case nua_i_options:
  case nua_i_info:
  case nua_i_message:
  case nua_i_publish:
  case nua_i_subscribe:
  case nua_i_register:
  case nua_i_refer:
  case nua_i_notify:
  case nua_i_method:
  case nua_i_update:
    return TRUE;
  default:
    return FALSE;
  }
}

static void
on_event (nua_event_t event, int status, char const *phrase, nua_t *nua,
          TbSipEndpoint *endpoint, nua_handle_t *nh, TbSipDialog *dialog,
          sip_t const *sip, tagi_t tags[])
{
  g_debug ("%s %d %s", nua_event_name (event), status, phrase ? phrase : "");

  switch (event) {
  case nua_i_invite:
    if (dialog)
      tb_sip_dialog_reinvite (dialog, sip);
    else
      tb_sip_inbound_invite (endpoint, nh, dialog, sip);
    return;
  case nua_i_state:
    on_state (endpoint, nh, dialog, status, phrase, tags);
    return;
  case nua_i_bye:
  case nua_i_cancel:
    if (dialog && !dialog->end_reason)
      dialog->end_reason = g_strdup (callstate_reason (event));
    return;
  case nua_r_shutdown:
    if (status >= 200)
      endpoint->shutdown_done = TRUE;
    return;
  case nua_i_error:
    g_warning ("SIP stack error: %d %s", status, phrase ? phrase : "");
    return;
  default:
    break;
  }
  if (nh && !dialog && is_standalone_request (event))
    nua_handle_destroy (nh);
}

static char *
bind_url (const TbSipConfig *sip)
{
  gboolean v6 = strchr (sip->listen_host, ':') != NULL;
  const char *open = v6 ? "[" : "", *close = v6 ? "]" : "";

  /* With a public address, Contact and Via carry it while maddr says where
   * to bind. */
  if (sip->public_address)
    return g_strdup_printf ("sip:%s:%u;maddr=%s", sip->public_address, sip->listen_port,
                            sip->listen_host);
  return g_strdup_printf ("sip:%s%s%s:%u", open, sip->listen_host, close, sip->listen_port);
}

TbSipEndpoint *
tb_sip_endpoint_new (TbCallManager *calls, GError **error)
{
  TbConfig *config = tb_call_manager_get_config (calls);
  const TbSipConfig *sip = &config->sip;
  g_autoptr(TbSipEndpoint) endpoint = g_new0 (TbSipEndpoint, 1);
  g_autofree char *url = bind_url (sip);

  su_init ();
  su_log_redirect (su_log_default, sofia_logger, NULL);
  su_log_redirect (su_log_global, sofia_logger, NULL);

  endpoint->calls = calls;
  endpoint->port = sip->listen_port;
  endpoint->contact_host = g_strdup (sip->public_address ? sip->public_address
                                                         : sip->listen_host);
  endpoint->sdp_session_id = (guint64) g_get_real_time ();
  endpoint->root = su_glib_root_create (endpoint);
  if (!endpoint->root) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create the SIP event loop");
    return NULL;
  }
  /* The stack runs on this thread's GLib main loop, not a thread of its own. */
  su_root_threading (endpoint->root, 0);
  endpoint->source = su_glib_root_gsource (endpoint->root);
  g_source_attach (endpoint->source, NULL);

  endpoint->nua = nua_create (endpoint->root, on_event, endpoint,
                              NUTAG_URL (url),
                              TAG_END ());
  if (!endpoint->nua) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                 "cannot listen for SIP on %s:%u over UDP and TCP (in use, or not an address "
                 "of this host)", sip->listen_host, sip->listen_port);
    return NULL;
  }
  nua_set_params (endpoint->nua,
                  NUTAG_MEDIA_ENABLE (0),
                  NUTAG_AUTOANSWER (0),
                  NUTAG_AUTOALERT (0),
                  NUTAG_AUTOACK (1),
                  NUTAG_ENABLEINVITE (1),
                  NUTAG_ALLOW (ALLOWED_METHODS),
                  NUTAG_SESSION_TIMER (1800),
                  NUTAG_MIN_SE (90),
                  NUTAG_M_USERNAME ("talkingbits"),
                  SIPTAG_SUPPORTED_STR ("timer, 100rel"),
                  SIPTAG_ACCEPT_STR ("application/sdp, application/dtmf-relay, application/dtmf"),
                  SIPTAG_USER_AGENT_STR (sip->user_agent),
                  SIPTAG_SERVER_STR (sip->user_agent),
                  TAG_END ());
  g_message ("SIP listening on %s:%u (UDP and TCP)%s%s", sip->listen_host, sip->listen_port,
             sip->public_address ? ", public address " : "",
             sip->public_address ? sip->public_address : "");
  return g_steal_pointer (&endpoint);
}

void
tb_sip_endpoint_shutdown (TbSipEndpoint *endpoint, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  if (!endpoint->nua)
    return;
  if (tb_call_manager_count (endpoint->calls) > 0) {
    g_message ("ending %u calls", tb_call_manager_count (endpoint->calls));
    tb_call_manager_hangup_all (endpoint->calls, "shutdown");
  }
  while (tb_call_manager_count (endpoint->calls) > 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  nua_shutdown (endpoint->nua);
  while (!endpoint->shutdown_done && g_get_monotonic_time () < deadline + G_USEC_PER_SEC * 2)
    g_main_context_iteration (NULL, TRUE);
  nua_destroy (endpoint->nua);
  endpoint->nua = NULL;
}

void
tb_sip_endpoint_free (TbSipEndpoint *endpoint)
{
  if (!endpoint)
    return;
  if (endpoint->nua)
    tb_sip_endpoint_shutdown (endpoint, 0);
  if (endpoint->root) {
    su_root_destroy (endpoint->root);
    su_deinit ();
  }
  g_free (endpoint->contact_host);
  g_free (endpoint);
}
