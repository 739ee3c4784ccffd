/* sip-private.h — what the files of core/sip share: the endpoint, the
 * per-dialog state, and sofia-sip with our magic types. */
#pragma once

#include "sip-digest.h"
#include "sip-endpoint.h"

typedef struct _TbSipEndpoint TbSipEndpointMagic;
typedef struct _TbSipDialog TbSipDialog;

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

  /* Work handed to the signaling thread from others. */
  GAsyncQueue *queue;
  int wake_fd;                 /* eventfd: written when the queue grows */
  gint stopped;                /* atomic: the loop has ended */

  /* Start-up handshake with the thread that creates the endpoint. */
  GMutex lock;
  GCond cond;
  gboolean started;
  GError *start_error;
};

/* One INVITE dialog; the nua handle's magic. */
struct _TbSipDialog {
  TbSipEndpoint *endpoint;
  nua_handle_t *nh;
  TbCall *call;                /* NULL for refused requests */
  guint64 sdp_version;
  guint answer_timer;
  gboolean answered;
  gboolean terminated;
  guint refs;                  /* main thread only */
  char *end_reason;            /* why the dialog ends, once known */
};

/* sip-endpoint.c: runs @func on the signaling thread (any thread). */
void tb_sip_endpoint_invoke (TbSipEndpoint *endpoint, GSourceFunc func, gpointer data,
                             GDestroyNotify destroy);
extern const TbCallSignaling tb_sip_signaling;

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
/* Sends 200 OK with our SDP answer. */
void tb_sip_dialog_answer (TbSipDialog *dialog);

G_END_DECLS
