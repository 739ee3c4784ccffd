/* tb-call-sip.c — tb-call's side of the SIP dialog: a user agent client on
 * sofia-sip's nua, run with sofia's native loop on the main thread (its GLib
 * port in Debian's 1.12.11 holds queued messages until a socket wakes the
 * loop; see core/sip/sip-endpoint.c). INVITE with our SDP offer, digest
 * challenges, CANCEL when there is no answer in time, BYE either way, keys
 * as SIP INFO, and the timers of the call.
 *
 * The only things that come from elsewhere are "the played audio has been
 * sent" (from the media worker) and SIGINT/SIGTERM: both set a bit and
 * write an eventfd that sofia's loop watches. */
#define G_LOG_DOMAIN "tb-call"

#include "tb-call.h"

#include "tb-build-config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct _Uac Uac;

#define SU_ROOT_MAGIC_T Uac
#define SU_TIMER_ARG_T Uac
#define SU_WAKEUP_ARG_T Uac
#define NUA_MAGIC_T Uac
#define NUA_HMAGIC_T Uac

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_wait.h>

#define DTMF_PAYLOAD_TYPE 101
#define DRAINED_HANGUP_MS 3000    /* after the played audio, by default */
#define SILENT_HANGUP_MS 10000    /* when nothing is played, by default */
#define GIVE_UP_MS 5000           /* for the end of a BYE or CANCEL */
#define MAX_AUTH_ATTEMPTS 2

enum {
  EVENT_DRAINED = 1 << 0,
  EVENT_SIGNAL = 1 << 1,
};

struct _Uac {
  const TbSoftphoneOptions *options;
  TbSoftphoneMedia *media;
  const gint16 *play;
  gsize n_play;
  TbSoftphoneResult *result;

  su_root_t *root;
  nua_t *nua;
  nua_handle_t *nh;             /* the INVITE dialog, NULL once it is over */
  su_timer_t *answer_timer;
  su_timer_t *dtmf_timer;
  su_timer_t *hangup_timer;
  su_timer_t *give_up_timer;
  int wake_fd;
  gint events;                  /* atomic: EVENT_* bits not yet handled */

  gint64 invite_us;
  gint64 answered_us;
  gboolean hanging_up;
  gboolean failed;              /* the call cannot end normally any more */
  gboolean over;
  int bye_status;
  guint auth_attempts;
  guint next_info;              /* index of the next key sent by INFO */
  guint signals;
};

/* ---- wake-ups from other threads and signal handlers ---------------------- */

static void
wake (Uac *uac, gint event)
{
  guint64 one = 1;
  int saved_errno = errno;

  g_atomic_int_or (&uac->events, event);
  if (write (uac->wake_fd, &one, sizeof one) < 0) {
    /* EAGAIN: the counter is full, the loop will wake anyway. */
  }
  errno = saved_errno;
}

static Uac *volatile signal_uac;

static void
on_signal (int signal_number)
{
  if (signal_uac)
    wake (signal_uac, EVENT_SIGNAL);
}

static void
on_drained (gpointer media, gpointer user_data)
{
  wake (user_data, EVENT_DRAINED);
}

/* ---- the end -------------------------------------------------------------- */

static void
stop_timers (Uac *uac)
{
  su_timer_reset (uac->answer_timer);
  su_timer_reset (uac->dtmf_timer);
  su_timer_reset (uac->hangup_timer);
  su_timer_reset (uac->give_up_timer);
}

/* The dialog is over: collect the media, release the handle, stop nua. */
static void
call_over (Uac *uac)
{
  TbSoftphoneResult *result = uac->result;

  if (uac->over)
    return;
  uac->over = TRUE;
  stop_timers (uac);
  if (uac->answered_us) {
    if (!result->hangup) {
      /* Over without a BYE from either side. */
      result->hangup = "remote";
      uac->failed = TRUE;
    }
    result->duration_ms = (g_get_monotonic_time () - uac->answered_us) / 1000;
    tb_softphone_media_stop (uac->media, result);
    result->ended_normally = !uac->failed &&
      (g_str_equal (result->hangup, "remote") || (uac->bye_status >= 200 && uac->bye_status < 300));
  }
  if (uac->nh) {
    nua_handle_bind (uac->nh, NULL);
    nua_handle_destroy (uac->nh);
    uac->nh = NULL;
  }
  nua_shutdown (uac->nua);
}

static void
give_up (Uac *uac, su_timer_t *timer, Uac *arg)
{
  g_warning ("no end to the %s after %u s: giving up", uac->answered_us ? "BYE" : "CANCEL",
             GIVE_UP_MS / 1000);
  uac->failed = TRUE;
  call_over (uac);
}

static void
hang_up (Uac *uac, const char *why)
{
  if (uac->hanging_up || uac->over)
    return;
  uac->hanging_up = TRUE;
  su_timer_reset (uac->hangup_timer);
  su_timer_reset (uac->dtmf_timer);
  if (uac->answered_us) {
    g_info ("hanging up: %s", why);
    uac->result->hangup = "local";
    nua_bye (uac->nh, TAG_END ());
  } else {
    g_info ("cancelling: %s", why);
    nua_cancel (uac->nh, TAG_END ());
  }
  su_timer_set_interval (uac->give_up_timer, give_up, uac, GIVE_UP_MS);
}

static void
on_hangup_timer (Uac *uac, su_timer_t *timer, Uac *arg)
{
  hang_up (uac, "time is up");
}

static int
on_wake (Uac *uac, su_wait_t *wait, Uac *arg)
{
  guint64 count;
  gint events;

  if (read (uac->wake_fd, &count, sizeof count) < 0 && errno != EAGAIN)
    g_warning ("wake-up: %s", g_strerror (errno));
  events = (gint) g_atomic_int_and (&uac->events, 0);
  if (events & EVENT_SIGNAL) {
    if (++uac->signals == 1) {
      g_warning ("interrupted: ending the call");
      uac->failed = TRUE;
      hang_up (uac, "interrupted");
    } else {
      call_over (uac);
    }
  }
  if ((events & EVENT_DRAINED) && uac->options->hangup_after_ms < 0 && !uac->hanging_up)
    su_timer_set_interval (uac->hangup_timer, on_hangup_timer, uac, DRAINED_HANGUP_MS);
  return 0;
}

static void
send_next_info (Uac *uac)
{
  const char *keys = uac->options->dtmf;
  g_autofree char *body = NULL;

  if (uac->next_info >= strlen (keys) || !uac->nh || uac->hanging_up)
    return;
  body = g_strdup_printf ("Signal=%c\r\nDuration=160\r\n", keys[uac->next_info]);
  nua_info (uac->nh, SIPTAG_CONTENT_TYPE_STR ("application/dtmf-relay"),
            SIPTAG_PAYLOAD_STR (body), TAG_END ());
}

static void
on_info_response (Uac *uac, int status, const char *phrase)
{
  char key = uac->options->dtmf[uac->next_info];

  if (status < 200)
    return;
  if (status < 300)
    g_string_append_c (uac->result->dtmf_sent, key);
  else
    g_warning ("INFO with key %c: %d %s", key, status, phrase ? phrase : "");
  uac->next_info++;
  send_next_info (uac);
}

static void
on_dtmf_timer (Uac *uac, su_timer_t *timer, Uac *arg)
{
  if (uac->options->dtmf_mode == TB_SOFTPHONE_DTMF_INFO)
    send_next_info (uac);
  else
    tb_softphone_media_send_dtmf (uac->media, uac->options->dtmf);
}

/* ---- the INVITE transaction ------------------------------------------------ */

/* The timings want 100 Trying, which nta keeps from nua unless told to pass
 * it up. nua then leaks it: nua_invite_client_report() takes a reference to
 * each 100 and returns early without giving it back (sofia-sip 1.12.11, and
 * upstream still at the time of writing). Where we know that to be so, 100
 * is passed up and on_trying() gives the reference back; elsewhere "trying"
 * is not reported rather than risk releasing a reference nua still holds. */
static gboolean
passes_100 (void)
{
  return g_str_has_prefix (nua_version, "1.12.11");
}

static void
on_trying (Uac *uac)
{
  msg_t *response = nua_current_request (uac->nua);

  if (response)
    msg_destroy (response);
}

static gint64
ms_since_invite (Uac *uac)
{
  return (g_get_monotonic_time () - uac->invite_us) / 1000;
}

/* Answers a 401/407 with the credentials, once or twice. */
static gboolean
authenticate (Uac *uac, const sip_t *sip)
{
  const msg_auth_t *challenge = NULL;
  const char *realm;
  g_autofree char *credentials = NULL;

  if (sip)
    challenge = sip->sip_www_authenticate ? sip->sip_www_authenticate
                                          : sip->sip_proxy_authenticate;
  if (!uac->options->auth_user || !challenge || uac->auth_attempts >= MAX_AUTH_ATTEMPTS)
    return FALSE;
  uac->auth_attempts++;
  realm = msg_params_find (challenge->au_params, "realm=");
  /* nua's form: scheme:"realm":user:password. */
  credentials = g_strdup_printf ("%s:%s:%s:%s", challenge->au_scheme, realm ? realm : "\"\"",
                                 uac->options->auth_user, uac->options->password);
  g_info ("answering the %s challenge of realm %s as %s", challenge->au_scheme,
          realm ? realm : "\"\"", uac->options->auth_user);
  nua_authenticate (uac->nh, NUTAG_AUTH (credentials), TAG_END ());
  memset (credentials, 0, strlen (credentials));
  return TRUE;
}

static gboolean
start_media (Uac *uac, const sip_t *sip, GError **error)
{
  g_autofree char *body = NULL;
  TbSdpStream stream = { .dtmf_payload_type = -1 };
  gboolean ok;

  if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the answer has no SDP");
    return FALSE;
  }
  body = g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  if (!tb_sdp_read_answer (body, uac->options->codecs, &stream, error))
    return FALSE;
  uac->result->codec = stream.codec;
  ok = tb_softphone_media_start (uac->media, &stream, uac->answered_us, uac->play, uac->n_play,
                                 on_drained, uac, error);
  tb_sdp_stream_clear (&stream);
  return ok;
}

static void
answered (Uac *uac, const sip_t *sip)
{
  const TbSoftphoneOptions *options = uac->options;
  g_autoptr(GError) error = NULL;

  uac->answered_us = g_get_monotonic_time ();
  su_timer_reset (uac->answer_timer);
  if (uac->hanging_up) {
    /* Answered while our CANCEL was on its way: end it at once. */
    uac->failed = TRUE;
    uac->result->hangup = "local";
    nua_bye (uac->nh, TAG_END ());
    return;
  }
  if (!start_media (uac, sip, &error)) {
    g_warning ("hanging up at once: %s", error->message);
    uac->failed = TRUE;
    hang_up (uac, "no media");
    return;
  }
  g_info ("answered, %s", uac->result->codec->encoding_name);
  if (options->dtmf)
    su_timer_set_interval (uac->dtmf_timer, on_dtmf_timer, uac, options->dtmf_at_ms);
  if (options->hangup_after_ms >= 0)
    su_timer_set_interval (uac->hangup_timer, on_hangup_timer, uac, options->hangup_after_ms);
  else if (uac->n_play == 0)
    su_timer_set_interval (uac->hangup_timer, on_hangup_timer, uac, SILENT_HANGUP_MS);
  /* else on_wake() arms it when the played audio has been sent. */
}

static void
on_invite_response (Uac *uac, int status, const char *phrase, const sip_t *sip)
{
  TbSoftphoneResult *result = uac->result;

  if (!result->call_id && sip && sip->sip_call_id)
    result->call_id = g_strdup (sip->sip_call_id->i_id);
  if (status == 100) {
    on_trying (uac);
    if (result->trying_ms < 0)
      result->trying_ms = ms_since_invite (uac);
  }
  if ((status == 180 || status == 183) && result->ringing_ms < 0)
    result->ringing_ms = ms_since_invite (uac);
  if (status < 200 || result->status >= 200)
    return;
  if ((status == 401 || status == 407) && authenticate (uac, sip))
    return;

  result->status = status;
  g_free (result->reason);
  result->reason = g_strdup (phrase ? phrase : "");
  if (status >= 300) {
    /* nua waits for credentials after 401/407: the call ends here. */
    if (status == 401 || status == 407)
      call_over (uac);
    return;
  }
  result->answered_ms = ms_since_invite (uac);
  answered (uac, sip);
}

static void
on_call_state (Uac *uac, tagi_t tags[])
{
  int state = nua_callstate_init;

  tl_gets (tags, NUTAG_CALLSTATE_REF (state), TAG_END ());
  g_debug ("call state: %s", nua_callstate_name (state));
  if (state == nua_callstate_terminated)
    call_over (uac);
}

/* A request outside our dialog (someone calling us, OPTIONS, ...): refused
 * or answered by nua, then its handle released. */
static void
stray_request (nua_event_t event, nua_handle_t *nh, tagi_t tags[])
{
  int state = nua_callstate_init;

  if (!nh)
    return;
  switch (event) {
  case nua_i_invite:
    nua_respond (nh, SIP_403_FORBIDDEN, TAG_END ());
    return;
  case nua_i_state:
    tl_gets (tags, NUTAG_CALLSTATE_REF (state), TAG_END ());
    if (state == nua_callstate_terminated)
      nua_handle_destroy (nh);
    return;
  case nua_i_options:
  case nua_i_info:
  case nua_i_message:
  case nua_i_notify:
  case nua_i_refer:
  case nua_i_subscribe:
  case nua_i_publish:
  case nua_i_register:
  case nua_i_method:
  case nua_i_update:
    nua_handle_destroy (nh);
    return;
  default:
    return;
  }
}

static void
on_event (nua_event_t event, int status, char const *phrase, nua_t *nua, Uac *uac,
          nua_handle_t *nh, Uac *dialog, sip_t const *sip, tagi_t tags[])
{
  g_debug ("%s %d %s", nua_event_name (event), status, phrase ? phrase : "");

  if (event == nua_r_shutdown) {
    if (status >= 200)
      su_root_break (uac->root);
    return;
  }
  if (!nh || nh != uac->nh) {
    stray_request (event, nh, tags);
    return;
  }
  switch (event) {
  case nua_r_invite:
    on_invite_response (uac, status, phrase, sip);
    break;
  case nua_i_state:
    on_call_state (uac, tags);
    break;
  case nua_i_invite:
    /* A re-INVITE: we keep the media as it is (the call goes on). */
    nua_respond (nh, SIP_488_NOT_ACCEPTABLE, TAG_END ());
    break;
  case nua_i_bye:
    g_info ("the far end hung up");
    if (!uac->result->hangup)
      uac->result->hangup = "remote";
    break;
  case nua_r_bye:
    if (status >= 200)
      uac->bye_status = status;
    break;
  case nua_r_info:
    on_info_response (uac, status, phrase);
    break;
  default:
    break;
  }
}

/* ---- the loop -------------------------------------------------------------- */

static void
on_no_answer (Uac *uac, su_timer_t *timer, Uac *arg)
{
  g_warning ("no answer in %.1f s", uac->options->answer_timeout_ms / 1000.0);
  hang_up (uac, "no answer");
}

static void
sofia_log (void *stream, char const *format, va_list args)
{
  g_autofree char *line = g_strdup_vprintf (format, args);

  g_debug ("sofia-sip: %s", g_strchomp (line));
}

static char *
offer_sdp (const TbSoftphoneOptions *options, TbSoftphoneMedia *media)
{
  TbSdpLocal local = {
    .address = options->bind_host,
    .port = tb_softphone_media_get_port (media),
    .session_id = (guint64) g_get_real_time (),
    .version = 1,
    .codecs = options->codecs,
    .payload_types = options->payload_types,
    .dtmf_payload_type = DTMF_PAYLOAD_TYPE,
    .direction = TB_MEDIA_SENDRECV,
  };

  return tb_sdp_build (&local);
}

static void
place_call (Uac *uac)
{
  const TbSoftphoneOptions *options = uac->options;
  gboolean v6 = strchr (options->bind_host, ':') != NULL;
  g_autofree char *from = g_strdup_printf ("<sip:%s@%s%s%s>", options->from_user,
                                           v6 ? "[" : "", options->bind_host, v6 ? "]" : "");
  g_autofree char *sdp = offer_sdp (options, uac->media);

  uac->nh = nua_handle (uac->nua, uac, SIPTAG_TO_STR (options->target),
                        SIPTAG_FROM_STR (from), TAG_END ());
  uac->invite_us = g_get_monotonic_time ();
  uac->result->attempted = TRUE;
  nua_invite (uac->nh, SIPTAG_CONTENT_TYPE_STR ("application/sdp"), SIPTAG_PAYLOAD_STR (sdp),
              TAG_END ());
  su_timer_set_interval (uac->answer_timer, on_no_answer, uac, options->answer_timeout_ms);
}

static su_timer_t *
timer_new (Uac *uac)
{
  return su_timer_create (su_root_task (uac->root), 0);
}

static gboolean
run_loop (Uac *uac, GError **error)
{
  const TbSoftphoneOptions *options = uac->options;
  gboolean v6 = strchr (options->bind_host, ':') != NULL;
  g_autofree char *url = g_strdup_printf ("sip:%s%s%s:*;transport=udp", v6 ? "[" : "",
                                          options->bind_host, v6 ? "]" : "");
  su_wait_t wait[1] = { SU_WAIT_INIT };
  int wake_index;

  uac->root = su_root_create (uac);
  if (!uac->root) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create sofia-sip's event loop");
    return FALSE;
  }
  /* nua's stack runs in this thread, on this loop. */
  su_root_threading (uac->root, 0);
  su_wait_create (wait, uac->wake_fd, SU_WAIT_IN);
  wake_index = su_root_register (uac->root, wait, on_wake, uac, 0);
  uac->answer_timer = timer_new (uac);
  uac->dtmf_timer = timer_new (uac);
  uac->hangup_timer = timer_new (uac);
  uac->give_up_timer = timer_new (uac);

  uac->nua = nua_create (uac->root, on_event, uac, NUTAG_URL (url),
                         NTATAG_PASS_100 (passes_100 ()), TAG_END ());
  if (!uac->nua) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                 "cannot open a SIP socket on %s (--bind)", options->bind_host);
  } else {
    nua_set_params (uac->nua,
                    NUTAG_MEDIA_ENABLE (0),
                    NUTAG_AUTOACK (1),
                    NUTAG_M_USERNAME (options->from_user),
                    NUTAG_ALLOW ("INVITE, ACK, BYE, CANCEL, OPTIONS, INFO"),
                    SIPTAG_USER_AGENT_STR ("tb-call/" TB_VERSION),
                    TAG_END ());
    place_call (uac);
    su_root_run (uac->root);
    nua_destroy (uac->nua);
  }
  su_timer_destroy (uac->answer_timer);
  su_timer_destroy (uac->dtmf_timer);
  su_timer_destroy (uac->hangup_timer);
  su_timer_destroy (uac->give_up_timer);
  su_root_deregister (uac->root, wake_index);
  su_root_destroy (uac->root);
  return uac->nua != NULL;
}

gboolean
tb_softphone_call (const TbSoftphoneOptions *options, TbSoftphoneMedia *media,
                   const gint16 *play, gsize n_play, TbSoftphoneResult *result, GError **error)
{
  Uac uac = {
    .options = options,
    .media = media,
    .play = play,
    .n_play = n_play,
    .result = result,
  };
  struct sigaction action = { .sa_handler = on_signal }, old_int, old_term;
  gboolean ok;

  uac.wake_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (uac.wake_fd < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "eventfd: %s",
                 g_strerror (errno));
    return FALSE;
  }
  su_init ();
  su_log_redirect (su_log_default, sofia_log, NULL);
  su_log_redirect (su_log_global, sofia_log, NULL);
  signal_uac = &uac;
  sigemptyset (&action.sa_mask);
  sigaction (SIGINT, &action, &old_int);
  sigaction (SIGTERM, &action, &old_term);

  ok = run_loop (&uac, error);

  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGTERM, &old_term, NULL);
  signal_uac = NULL;
  su_deinit ();
  close (uac.wake_fd);
  return ok;
}
