/* sip-trunk.c — trunk registration: REGISTER with digest authentication at
 * start, refreshed by nua before expiry, retried with backoff after a
 * failure, unregistered at shutdown. Signaling thread, apart from
 * tb_sip_endpoint_get_trunks(), which reads the state any thread may see
 * under a lock. */
#define G_LOG_DOMAIN "tb-sip"

#include "sip-private.h"

#include <sofia-sip/su_tag_io.h>
#include <string.h>

#define BACKOFF_FIRST_S 1
#define BACKOFF_MAX_S 300

struct _TbSipRegistration {
  TbSipHandleKind kind;          /* TB_SIP_HANDLE_REGISTRATION */
  TbSipEndpoint *endpoint;
  const TbTrunkConfig *trunk;    /* owned by endpoint->config */
  nua_handle_t *nh;
  su_timer_t *retry;
  guint backoff_s;
  gboolean authenticated;        /* credentials sent for the current request */
  gboolean registered;

  /* What tb_sip_endpoint_get_trunks() shows; under state_lock. */
  TbSipTrunkRegistration state;
  gint64 expires_at_us;          /* monotonic; 0 when not registered */
  int last_status;               /* of the last final response; 0: none */
  char *last_error;              /* why the last attempt failed; NULL after a success */
};

/* Guards each registration's shown state and endpoint->registrations
 * (made and freed on the signaling thread, read by others). */
G_LOCK_DEFINE_STATIC (state_lock);

static void
set_state (TbSipRegistration *registration, TbSipTrunkRegistration state, int status,
           const char *error, guint expires_s)
{
  G_LOCK (state_lock);
  registration->state = state;
  if (status)
    registration->last_status = status;
  g_free (registration->last_error);
  registration->last_error = g_strdup (error);
  registration->expires_at_us = state == TB_SIP_TRUNK_REGISTERED
                                ? g_get_monotonic_time () + (gint64) expires_s * G_USEC_PER_SEC
                                : 0;
  G_UNLOCK (state_lock);
}

/* "Digest:\"realm\":user:password" for every Digest challenge of @sip. */
gboolean
tb_sip_authenticate (nua_handle_t *nh, const TbTrunkConfig *trunk, const sip_t *sip)
{
  const msg_auth_t *challenges[] = {
    sip ? sip->sip_www_authenticate : NULL,
    sip ? sip->sip_proxy_authenticate : NULL,
  };
  gboolean answered = FALSE;

  for (guint c = 0; c < G_N_ELEMENTS (challenges); c++) {
    for (const msg_auth_t *au = challenges[c]; au; au = au->au_next) {
      const char *realm = NULL;
      g_autofree char *credentials = NULL;

      if (!au->au_scheme || g_ascii_strcasecmp (au->au_scheme, "Digest") != 0)
        continue;
      for (guint i = 0; au->au_params && au->au_params[i]; i++)
        if (g_ascii_strncasecmp (au->au_params[i], "realm=", 6) == 0)
          realm = au->au_params[i] + 6;
      if (!realm)
        continue;
      credentials = g_strdup_printf ("Digest:%s:%s:%s", realm, trunk->auth_username,
                                     trunk->password);
      nua_authenticate (nh, NUTAG_AUTH (credentials), TAG_END ());
      memset (credentials, 0, strlen (credentials));
      answered = TRUE;
    }
  }
  return answered;
}

static void register_now (TbSipRegistration *registration);

static void
on_retry (su_root_magic_t *magic, su_timer_t *timer, su_timer_arg_t *arg)
{
  register_now ((TbSipRegistration *) arg);
}

static void
register_now (TbSipRegistration *registration)
{
  const TbTrunkConfig *trunk = registration->trunk;
  TbSipEndpoint *endpoint = registration->endpoint;
  g_autofree char *aor = g_strdup_printf ("<sip:%s@%s>", trunk->username, trunk->domain);
  g_autofree char *expires = g_strdup_printf ("%u", trunk->expires);

  registration->authenticated = FALSE;
  G_LOCK (state_lock);
  registration->state = TB_SIP_TRUNK_REGISTERING;
  registration->expires_at_us = 0;
  G_UNLOCK (state_lock);
  /* One handle for the process's life: one Call-ID for all its REGISTERs
   * (RFC 3261 10.2). */
  if (!registration->nh)
    registration->nh = nua_handle (endpoint->nua, (TbSipDialog *) registration,
                                   SIPTAG_TO_STR (aor), SIPTAG_FROM_STR (aor), TAG_END ());
  g_message ("trunk %s: registering with %s as %s", trunk->name, trunk->registrar,
             trunk->username);
  nua_register (registration->nh,
                NUTAG_REGISTRAR (trunk->registrar),
                NUTAG_M_USERNAME (trunk->username),
                NUTAG_OUTBOUND ("no-validate, no-options-keepalive"),
                SIPTAG_EXPIRES_STR (expires),
                TAG_END ());
}

static void
retry_later (TbSipRegistration *registration, int status, const char *phrase,
             const sip_t *sip)
{
  guint delay = registration->backoff_s;

  if (sip && sip->sip_retry_after)
    delay = MAX (delay, (guint) MIN (sip->sip_retry_after->af_delta, BACKOFF_MAX_S));
  registration->backoff_s = MIN (registration->backoff_s * 2, BACKOFF_MAX_S);
  registration->registered = FALSE;
  set_state (registration, TB_SIP_TRUNK_FAILED, status,
             phrase && *phrase ? phrase : "no reason given", 0);
  g_warning ("trunk %s: registration failed: %d %s; retrying in %u s",
             registration->trunk->name, status, phrase ? phrase : "", delay);
  su_timer_set_interval (registration->retry, on_retry, (su_timer_arg_t *) registration,
                         delay * 1000);
}

/* The lifetime the registrar granted: our Contact's expires, else Expires. */
static guint
granted (const sip_t *sip, guint asked)
{
  if (sip && sip->sip_contact && sip->sip_contact->m_expires)
    return (guint) g_ascii_strtoull (sip->sip_contact->m_expires, NULL, 10);
  if (sip && sip->sip_expires)
    return sip->sip_expires->ex_delta;
  return asked;
}

void
tb_sip_registration_event (TbSipRegistration *registration, nua_event_t event, int status,
                           const char *phrase, const sip_t *sip)
{
  const TbTrunkConfig *trunk = registration->trunk;

  if (event == nua_r_unregister) {
    if (status >= 200) {
      set_state (registration, TB_SIP_TRUNK_UNREGISTERED, status, NULL, 0);
      g_message ("trunk %s: unregistered (%d %s)", trunk->name, status, phrase ? phrase : "");
    }
    return;
  }
  if (event != nua_r_register || status < 200)
    return;
  if ((status == 401 || status == 407) && !registration->authenticated &&
      tb_sip_authenticate (registration->nh, trunk, sip)) {
    registration->authenticated = TRUE;
    return;
  }
  if (status >= 300) {
    if (status == 401 || status == 407)
      phrase = "authentication failed (check username and password)";
    retry_later (registration, status, phrase, sip);
    return;
  }
  registration->authenticated = FALSE;
  registration->backoff_s = BACKOFF_FIRST_S;
  if (!registration->registered)
    g_message ("trunk %s: registered with %s (expires in %u s)", trunk->name,
               trunk->registrar, granted (sip, trunk->expires));
  else
    g_message ("trunk %s: registration refreshed (expires in %u s)", trunk->name,
               granted (sip, trunk->expires));
  registration->registered = TRUE;
  set_state (registration, TB_SIP_TRUNK_REGISTERED, status, NULL, granted (sip, trunk->expires));
}

void
tb_sip_trunks_start (TbSipEndpoint *endpoint)
{
  G_LOCK (state_lock);
  endpoint->registrations = g_ptr_array_new ();
  G_UNLOCK (state_lock);
  for (guint i = 0; i < endpoint->config->trunks->len; i++) {
    const TbTrunkConfig *trunk = g_ptr_array_index (endpoint->config->trunks, i);
    TbSipRegistration *registration;

    if (!trunk->registrar)
      continue;
    registration = g_new0 (TbSipRegistration, 1);
    registration->kind = TB_SIP_HANDLE_REGISTRATION;
    registration->endpoint = endpoint;
    registration->trunk = trunk;
    registration->backoff_s = BACKOFF_FIRST_S;
    registration->state = TB_SIP_TRUNK_REGISTERING;
    registration->retry = su_timer_create (su_root_task (endpoint->root), 0);
    G_LOCK (state_lock);
    g_ptr_array_add (endpoint->registrations, registration);
    G_UNLOCK (state_lock);
    register_now (registration);
  }
}

/* Registered trunks are unregistered by nua_shutdown(); a registration
 * still being tried is abandoned. */
void
tb_sip_trunks_stop (TbSipEndpoint *endpoint)
{
  for (guint i = 0; endpoint->registrations && i < endpoint->registrations->len; i++) {
    TbSipRegistration *registration = g_ptr_array_index (endpoint->registrations, i);

    su_timer_reset (registration->retry);
    if (registration->nh && !registration->registered) {
      nua_handle_bind (registration->nh, NULL);
      nua_handle_destroy (registration->nh);
      registration->nh = NULL;
    }
  }
}

void
tb_sip_trunks_free (TbSipEndpoint *endpoint)
{
  g_autoptr(GPtrArray) registrations = NULL;

  G_LOCK (state_lock);
  registrations = g_steal_pointer (&endpoint->registrations);
  G_UNLOCK (state_lock);
  for (guint i = 0; registrations && i < registrations->len; i++) {
    TbSipRegistration *registration = g_ptr_array_index (registrations, i);

    su_timer_destroy (registration->retry);
    if (registration->nh) {
      nua_handle_bind (registration->nh, NULL);
      nua_handle_destroy (registration->nh);
    }
    g_free (registration->last_error);
    g_free (registration);
  }
}

const char *
tb_sip_trunk_registration_to_string (TbSipTrunkRegistration state)
{
  switch (state) {
  case TB_SIP_TRUNK_NOT_REGISTERING: return "not-registering";
  case TB_SIP_TRUNK_REGISTERING: return "registering";
  case TB_SIP_TRUNK_REGISTERED: return "registered";
  case TB_SIP_TRUNK_FAILED: return "failed";
  case TB_SIP_TRUNK_UNREGISTERED: return "unregistered";
  default: return "unknown";
  }
}

void
tb_sip_trunk_state_free (TbSipTrunkState *state)
{
  if (!state)
    return;
  g_free (state->name);
  g_free (state->registrar);
  g_free (state->last_error);
  g_free (state);
}

static TbSipRegistration *
find_registration (TbSipEndpoint *endpoint, const TbTrunkConfig *trunk)
{
  for (guint i = 0; endpoint->registrations && i < endpoint->registrations->len; i++) {
    TbSipRegistration *registration = g_ptr_array_index (endpoint->registrations, i);

    if (registration->trunk == trunk)
      return registration;
  }
  return NULL;
}

GPtrArray *
tb_sip_endpoint_get_trunks (TbSipEndpoint *endpoint)
{
  GPtrArray *states = g_ptr_array_new_with_free_func ((GDestroyNotify) tb_sip_trunk_state_free);
  gint64 now = g_get_monotonic_time ();

  G_LOCK (state_lock);
  for (guint i = 0; i < endpoint->config->trunks->len; i++) {
    const TbTrunkConfig *trunk = g_ptr_array_index (endpoint->config->trunks, i);
    TbSipRegistration *registration = find_registration (endpoint, trunk);
    TbSipTrunkState *state = g_new0 (TbSipTrunkState, 1);

    state->name = g_strdup (trunk->name);
    state->registrar = g_strdup (trunk->registrar);
    state->state = trunk->registrar ? TB_SIP_TRUNK_REGISTERING : TB_SIP_TRUNK_NOT_REGISTERING;
    state->expires_in_s = -1;
    if (registration) {
      state->state = registration->state;
      state->last_status = registration->last_status;
      state->last_error = g_strdup (registration->last_error);
      if (registration->expires_at_us)
        state->expires_in_s = MAX (0, (registration->expires_at_us - now) / G_USEC_PER_SEC);
    }
    g_ptr_array_add (states, state);
  }
  G_UNLOCK (state_lock);
  return states;
}
