/* sip-private.h — what the files of core/sip share: the endpoint, the
 * per-dialog state, and sofia-sip with our magic types. */
#pragma once

#include "sip-digest.h"
#include "sip-endpoint.h"

typedef struct _TbSipEndpoint TbSipEndpointMagic;
typedef struct _TbSipDialog TbSipDialog;
typedef struct _TbSipRegistration TbSipRegistration;

/* What a nua handle's magic is: every magic struct starts with this. */
typedef enum {
  TB_SIP_HANDLE_DIALOG = 1,
  TB_SIP_HANDLE_REGISTRATION,
} TbSipHandleKind;

#define SU_ROOT_MAGIC_T TbSipEndpointMagic
#define NUA_MAGIC_T TbSipEndpointMagic
#define NUA_HMAGIC_T TbSipDialog

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_wait.h>

G_BEGIN_DECLS

struct _TbSipEndpoint {
  TbCallManager *calls;
  TbConfig *config;            /* the config SIP started with */
  GThread *thread;             /* runs sofia's own loop: the signaling thread */
  su_root_t *root;
  nua_t *nua;
  char *contact_host;          /* public-address, else the listen address */
  guint64 sdp_session_id;
  TbSipDigest digest;          /* challenges callers outside [sip] trusted */
  GPtrArray *registrations;    /* TbSipRegistration *, one per registering trunk */

  /* Work handed to the signaling thread from others. */
  GAsyncQueue *queue;
  int wake_fd;                 /* eventfd: written when the queue grows */
  gint stopped;                /* atomic: the loop has ended */
  gint64 shutdown_started_us;

  /* Start-up handshake with the thread that creates the endpoint. */
  GMutex lock;
  GCond cond;
  gboolean started;
  GError *start_error;
};

/* One INVITE dialog; the nua handle's magic. */
struct _TbSipDialog {
  TbSipHandleKind kind;        /* TB_SIP_HANDLE_DIALOG */
  TbSipEndpoint *endpoint;
  nua_handle_t *nh;
  TbCall *call;                /* NULL for refused requests */
  guint64 sdp_version;
  su_timer_t *answer_timer;    /* answer-delay-ms */
  gboolean answered;
  gboolean terminated;
  guint refs;                  /* signaling thread only */
  char *end_reason;            /* why the dialog ends, once known */
  char *peer_host;             /* host of the other party's URI */
  char *transfer_target;       /* the REFER in progress, if any */

  /* Outbound calls. */
  gboolean outbound;
  const TbTrunkConfig *trunk;  /* owned by the call's config; NULL: direct */
  gboolean authenticated;      /* credentials sent for the INVITE */
  gboolean rang;
  su_timer_t *ring_timer;
  TbCallProgressFunc progress;
  gpointer progress_data;
  GDestroyNotify progress_destroy;
  gboolean progress_final;     /* the final progress has been reported */
};

/* sip-endpoint.c: runs @func on the signaling thread (any thread). */
void tb_sip_endpoint_invoke (TbSipEndpoint *endpoint, GSourceFunc func, gpointer data,
                             GDestroyNotify destroy);
extern const TbCallSignaling tb_sip_signaling;

/* sip-trunk.c: registrations of the trunks that have a registrar. */
void tb_sip_trunks_start (TbSipEndpoint *endpoint);
/* Stops retrying; nua_shutdown() unregisters. */
void tb_sip_trunks_stop (TbSipEndpoint *endpoint);
/* After nua_shutdown() has completed: releases the handles. */
void tb_sip_trunks_free (TbSipEndpoint *endpoint);
void tb_sip_registration_event (TbSipRegistration *registration, nua_event_t event, int status,
                                const char *phrase, const sip_t *sip);
/* Answers the Digest challenges of a 401/407 to a request of @nh with
 * @trunk's credentials (nua resends the request); FALSE when the response
 * carries no Digest challenge. Callers answer once per request: a second
 * challenge means wrong credentials. */
gboolean tb_sip_authenticate (nua_handle_t *nh, const TbTrunkConfig *trunk, const sip_t *sip);

/* sip-transfer.c */
void tb_sip_dialog_transfer (TbSipDialog *dialog, const char *target);
void tb_sip_dialog_refer_response (TbSipDialog *dialog, int status, const char *phrase);
void tb_sip_dialog_notify (TbSipDialog *dialog, const sip_t *sip);

/* sip-outbound.c */
void tb_sip_outbound_response (TbSipDialog *dialog, int status, const char *phrase,
                               const sip_t *sip);
/* Reports @progress to the placer of an outbound call; a final one only once. */
void tb_sip_outbound_report (TbSipDialog *dialog, TbCallProgress progress, int status,
                             const char *reason);

/* sip-inbound.c */
void tb_sip_inbound_invite (TbSipEndpoint *endpoint, nua_handle_t *nh, TbSipDialog *dialog,
                            const sip_t *sip);
/* sip-dialog.c */
TbSipDialog *tb_sip_dialog_new (TbSipEndpoint *endpoint, nua_handle_t *nh);
void tb_sip_dialog_attach (TbSipDialog *dialog, TbCall *call);
TbSipDialog *tb_sip_dialog_ref (TbSipDialog *dialog);
void tb_sip_dialog_unref (TbSipDialog *dialog);
/* The dialog is over (nua_callstate_terminated): ends the call with the
 * reason recorded, else @reason. */
void tb_sip_dialog_terminated (TbSipDialog *dialog, const char *reason);
void tb_sip_dialog_reinvite (TbSipDialog *dialog, const sip_t *sip);
/* An INFO in the dialog (answered 200 by the stack): DTMF reaches the call. */
void tb_sip_dialog_info (TbSipDialog *dialog, const sip_t *sip);
void tb_sip_dialog_hangup (TbSipDialog *dialog, const char *reason);
/* Our SDP answer for @dialog's call with @stream's codec. */
char *tb_sip_dialog_answer_sdp (TbSipDialog *dialog, const TbSdpStream *stream);
/* Our SDP offer: every codec of the call's config, and telephone-event. */
char *tb_sip_dialog_offer_sdp (TbSipDialog *dialog);
/* Sends 200 OK with our SDP answer. */
void tb_sip_dialog_answer (TbSipDialog *dialog);

G_END_DECLS
