/* sip-endpoint.c — sofia-sip's nua on a signaling thread of its own,
 * running sofia's native loop: start, event dispatch, work handed over from
 * other threads, shutdown.
 *
 * Why not sofia's GLib port (su_glib): in Debian's sofia-sip 1.12.11 it
 * does not deliver the stack's queued messages until some socket wakes the
 * loop, so a response waits for the next packet. */
#define G_LOG_DOMAIN "tb-sip"

#include "sip-private.h"

#include <errno.h>
#include <sofia-sip/su_log.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* How long the stack may take to end its dialogs and registrations. */
#define SHUTDOWN_MAX_US (3 * G_USEC_PER_SEC)

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

  if (dialog && dialog->kind == TB_SIP_HANDLE_REGISTRATION) {
    tb_sip_registration_event ((TbSipRegistration *) dialog, event, status, phrase, sip);
    return;
  }

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
    /* nua reports progress every second. Un-REGISTERs that get no answer
     * do not hold us for long: their handles go, which ends the shutdown. */
    if (status >= 200) {
      tb_sip_trunks_free (endpoint);
      su_root_break (endpoint->root);
    } else if (endpoint->registrations &&
               g_get_monotonic_time () - endpoint->shutdown_started_us > SHUTDOWN_MAX_US) {
      g_warning ("trunks: no answer to un-REGISTER, stopping anyway");
      tb_sip_trunks_free (endpoint);
    }
    return;
  case nua_r_invite:
    if (dialog)
      tb_sip_outbound_response (dialog, status, phrase, sip);
    return;
  case nua_r_refer:
    if (dialog && dialog->call)
      tb_sip_dialog_refer_response (dialog, status, phrase);
    return;
  case nua_i_notify:
    if (dialog && dialog->call) {
      tb_sip_dialog_notify (dialog, sip);
      return;
    }
    break;
  case nua_i_info:
    if (dialog && dialog->call)
      tb_sip_dialog_info (dialog, sip);
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

/* ---- work handed to the signaling thread -------------------------------- */

typedef struct {
  GSourceFunc func;
  gpointer data;
  GDestroyNotify destroy;
} Closure;

static void
closure_free (Closure *closure)
{
  if (closure->destroy)
    closure->destroy (closure->data);
  g_free (closure);
}

void
tb_sip_endpoint_invoke (TbSipEndpoint *endpoint, GSourceFunc func, gpointer data,
                        GDestroyNotify destroy)
{
  Closure *closure = g_new0 (Closure, 1);
  guint64 one = 1;

  closure->func = func;
  closure->data = data;
  closure->destroy = destroy;
  if (g_atomic_int_get (&endpoint->stopped)) {
    closure_free (closure);
    return;
  }
  g_async_queue_push (endpoint->queue, closure);
  if (write (endpoint->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
    g_warning ("cannot wake the SIP thread: %s", g_strerror (errno));
}

static int
on_wake (su_root_magic_t *magic, su_wait_t *wait, su_wakeup_arg_t *arg)
{
  TbSipEndpoint *endpoint = (TbSipEndpoint *) arg;
  guint64 count;
  Closure *closure;

  if (read (endpoint->wake_fd, &count, sizeof count) < 0 && errno != EAGAIN)
    g_warning ("SIP thread wake-up: %s", g_strerror (errno));
  while ((closure = g_async_queue_try_pop (endpoint->queue))) {
    closure->func (closure->data);
    closure_free (closure);
  }
  return 0;
}

static void
signaling_invoke (GSourceFunc func, gpointer data, GDestroyNotify destroy, gpointer user_data)
{
  tb_sip_endpoint_invoke (user_data, func, data, destroy);
}

static void
signaling_hangup (TbCall *call, const char *reason, gpointer user_data)
{
  TbSipDialog *dialog = tb_call_get_dialog (call);

  if (dialog)
    tb_sip_dialog_hangup (dialog, reason);
}

static void
signaling_transfer (TbCall *call, const char *target, gpointer user_data)
{
  TbSipDialog *dialog = tb_call_get_dialog (call);

  if (dialog)
    tb_sip_dialog_transfer (dialog, target);
}

const TbCallSignaling tb_sip_signaling = {
  signaling_invoke, signaling_hangup, signaling_transfer,
};

/* ---- the signaling thread ----------------------------------------------- */

static void
report_started (TbSipEndpoint *endpoint, GError *error)
{
  g_mutex_lock (&endpoint->lock);
  endpoint->started = TRUE;
  endpoint->start_error = error;
  g_cond_signal (&endpoint->cond);
  g_mutex_unlock (&endpoint->lock);
}

static gpointer
signaling_thread (gpointer data)
{
  TbSipEndpoint *endpoint = data;
  const TbSipConfig *sip = &endpoint->config->sip;
  g_autofree char *url = bind_url (sip);
  su_wait_t wait[1] = { SU_WAIT_INIT };
  int wake_index;

  su_init ();
  su_log_redirect (su_log_default, sofia_logger, NULL);
  su_log_redirect (su_log_global, sofia_logger, NULL);
  endpoint->root = su_root_create (endpoint);
  if (!endpoint->root) {
    report_started (endpoint, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                                           "cannot create the SIP event loop"));
    su_deinit ();
    return NULL;
  }
  /* The stack runs on this thread's loop, with our callbacks. */
  su_root_threading (endpoint->root, 0);
  su_wait_create (wait, endpoint->wake_fd, SU_WAIT_IN);
  wake_index = su_root_register (endpoint->root, wait, on_wake, (su_wakeup_arg_t *) endpoint, 0);

  endpoint->nua = nua_create (endpoint->root, on_event, endpoint, NUTAG_URL (url), TAG_END ());
  if (!endpoint->nua) {
    report_started (endpoint, g_error_new (G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                    "cannot listen for SIP on %s:%u over UDP and TCP (in use, or not an "
                    "address of this host)", sip->listen_host, sip->listen_port));
    goto out;
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
  report_started (endpoint, NULL);
  tb_sip_trunks_start (endpoint);

  su_root_run (endpoint->root);

  tb_sip_trunks_free (endpoint);
  nua_destroy (endpoint->nua);
  endpoint->nua = NULL;
out:
  g_atomic_int_set (&endpoint->stopped, 1);
  su_root_deregister (endpoint->root, wake_index);
  su_root_destroy (endpoint->root);
  endpoint->root = NULL;
  su_deinit ();
  /* Work that arrived too late is dropped, its data released. */
  {
    Closure *closure;

    while ((closure = g_async_queue_try_pop (endpoint->queue)))
      closure_free (closure);
  }
  return NULL;
}

TbSipEndpoint *
tb_sip_endpoint_new (TbCallManager *calls, GError **error)
{
  g_autoptr(TbSipEndpoint) endpoint = g_new0 (TbSipEndpoint, 1);
  const TbSipConfig *sip;

  endpoint->calls = calls;
  endpoint->config = tb_call_manager_dup_config (calls);
  sip = &endpoint->config->sip;
  endpoint->contact_host = g_strdup (sip->public_address ? sip->public_address
                                                         : sip->listen_host);
  endpoint->sdp_session_id = (guint64) g_get_real_time ();
  tb_sip_digest_init (&endpoint->digest, sip->realm);
  endpoint->queue = g_async_queue_new ();
  endpoint->wake_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  g_mutex_init (&endpoint->lock);
  g_cond_init (&endpoint->cond);
  if (endpoint->wake_fd < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "eventfd: %s",
                 g_strerror (errno));
    return NULL;
  }

  endpoint->thread = g_thread_new ("tb-sip", signaling_thread, endpoint);
  g_mutex_lock (&endpoint->lock);
  while (!endpoint->started)
    g_cond_wait (&endpoint->cond, &endpoint->lock);
  g_mutex_unlock (&endpoint->lock);
  if (endpoint->start_error) {
    g_propagate_error (error, g_steal_pointer (&endpoint->start_error));
    g_thread_join (g_steal_pointer (&endpoint->thread));
    return NULL;
  }
  g_message ("SIP listening on %s:%u (UDP and TCP)%s%s", sip->listen_host, sip->listen_port,
             sip->public_address ? ", public address " : "",
             sip->public_address ? sip->public_address : "");
  return g_steal_pointer (&endpoint);
}

static gboolean
start_shutdown (gpointer data)
{
  TbSipEndpoint *endpoint = data;

  tb_sip_trunks_stop (endpoint);
  endpoint->shutdown_started_us = g_get_monotonic_time ();
  nua_shutdown (endpoint->nua);
  return G_SOURCE_REMOVE;
}

void
tb_sip_endpoint_shutdown (TbSipEndpoint *endpoint, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  if (!endpoint->thread)
    return;
  if (tb_call_manager_count (endpoint->calls) > 0) {
    g_message ("ending %u calls", tb_call_manager_count (endpoint->calls));
    tb_call_manager_hangup_all (endpoint->calls, "shutdown");
  }
  while (tb_call_manager_count (endpoint->calls) > 0 && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  if (tb_call_manager_count (endpoint->calls) > 0)
    g_warning ("%u calls did not end in time", tb_call_manager_count (endpoint->calls));

  tb_sip_endpoint_invoke (endpoint, start_shutdown, endpoint, NULL);
  g_thread_join (g_steal_pointer (&endpoint->thread));
}

void
tb_sip_endpoint_free (TbSipEndpoint *endpoint)
{
  if (!endpoint)
    return;
  if (endpoint->thread)
    tb_sip_endpoint_shutdown (endpoint, 0);
  if (endpoint->wake_fd >= 0)
    close (endpoint->wake_fd);
  g_clear_pointer (&endpoint->queue, g_async_queue_unref);
  g_clear_pointer (&endpoint->config, tb_config_unref);
  g_clear_error (&endpoint->start_error);
  g_mutex_clear (&endpoint->lock);
  g_cond_clear (&endpoint->cond);
  g_free (endpoint->contact_host);
  tb_sip_digest_clear (&endpoint->digest);
  g_free (endpoint);
}
