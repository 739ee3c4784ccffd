/* sip-endpoint.h — the SIP user agent: sofia-sip's nua on a signaling
 * thread, listening on [sip] listen over UDP and TCP. It answers OPTIONS,
 * routes INVITEs to agents and hands the dialogs to TbCall. */
#pragma once

#include "call-manager.h"

G_BEGIN_DECLS

typedef struct _TbSipEndpoint TbSipEndpoint;

TbSipEndpoint *tb_sip_endpoint_new (TbCallManager *calls, GError **error);

/* Hangs up the calls in progress, waits until they have ended or
 * @timeout_ms has passed, then stops the stack and its thread. */
void tb_sip_endpoint_shutdown (TbSipEndpoint *endpoint, guint timeout_ms);
void tb_sip_endpoint_free (TbSipEndpoint *endpoint);

/* ---- outbound calls ------------------------------------------------------ */

typedef enum {
  TB_CALL_PROGRESS_RINGING,    /* 180/183 */
  TB_CALL_PROGRESS_ANSWERED,   /* 200: media flows */
  TB_CALL_PROGRESS_BUSY,       /* 486, 600, 603: final */
  TB_CALL_PROGRESS_NO_ANSWER,  /* ring timeout, 408, 480, 487: final */
  TB_CALL_PROGRESS_FAILED,     /* any other failure: final */
  TB_CALL_PROGRESS_ENDED,      /* an answered call is over: final */
} TbCallProgress;

const char *tb_call_progress_to_string (TbCallProgress progress);

/* On the signaling thread. @status and @reason: the SIP response (0 and a
 * text of ours for a local cause); for ENDED, the call's end reason. */
typedef void (*TbCallProgressFunc) (TbCall *call, TbCallProgress progress, int status,
                                    const char *reason, gpointer user_data);

typedef struct {
  const char *agent;          /* who talks on the call                        */
  const char *to;             /* a number (through a trunk) or a sip: URI     */
  const char *trunk;          /* for numbers: NULL means the first trunk      */
  const char *caller_id;      /* From user; NULL: the trunk's caller-id, else
                                 the agent's name                             */
  guint ring_timeout_s;       /* 0: 30 s                                      */
  TbCallProgressFunc progress;/* may be NULL                                  */
  gpointer user_data;
  GDestroyNotify destroy;     /* for @user_data, after the final progress     */
} TbOutboundCall;

/* Any thread. Places a call from an agent: the call (a new reference) whose
 * progress is reported to @request->progress, ending with exactly one
 * final progress. NULL and @error when it cannot be placed: unknown agent
 * or trunk (G_IO_ERROR_NOT_FOUND), a target that is neither a number nor a
 * SIP URI (G_IO_ERROR_INVALID_ARGUMENT), max-calls or RTP ports exhausted
 * (G_IO_ERROR_BUSY). */
TbCall *tb_sip_endpoint_place_call (TbSipEndpoint *endpoint, const TbOutboundCall *request,
                                    GError **error);

/* ---- trunk registration ------------------------------------------------- */

typedef enum {
  TB_SIP_TRUNK_NOT_REGISTERING,  /* no registrar configured                 */
  TB_SIP_TRUNK_REGISTERING,      /* REGISTER sent, no final answer yet      */
  TB_SIP_TRUNK_REGISTERED,
  TB_SIP_TRUNK_FAILED,           /* the last attempt failed; retried later  */
  TB_SIP_TRUNK_UNREGISTERED,     /* un-REGISTERed at shutdown               */
} TbSipTrunkRegistration;

const char *tb_sip_trunk_registration_to_string (TbSipTrunkRegistration state);

/* A trunk's registration as it stands. */
typedef struct {
  char *name;                    /* NAME of [trunk:NAME]                    */
  char *registrar;               /* NULL: none                              */
  TbSipTrunkRegistration state;
  gint64 expires_in_s;           /* registered: seconds left; else -1       */
  int last_status;               /* last final response's status; 0: none   */
  char *last_error;              /* why the last attempt failed; NULL when
                                    it succeeded or none was made            */
} TbSipTrunkState;

void tb_sip_trunk_state_free (TbSipTrunkState *state);

/* Any thread. Every [trunk:NAME] of the config SIP started with, in the
 * config's order: a new array of TbSipTrunkState * (freed with it). */
GPtrArray *tb_sip_endpoint_get_trunks (TbSipEndpoint *endpoint);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbSipEndpoint, tb_sip_endpoint_free)

G_END_DECLS
