/* call.h — one phone call: its identity and timeline on the main thread,
 * its media on a worker thread, and the hand-offs between them.
 *
 * Threads: the SIP side (signaling) creates, answers and ends a call on
 * its own thread; the call's media session, recorder and (later) its
 * conversation live on the worker the call was given, and are only touched
 * there. Hand-offs go to the worker with g_main_context_invoke() and to
 * signaling with its invoke function. */
#pragma once

#include "config.h"
#include "sip/sdp.h"

G_BEGIN_DECLS

typedef enum {
  TB_CALL_INBOUND,
  TB_CALL_OUTBOUND,
} TbCallDirection;

typedef struct _TbCall TbCall;
typedef struct _TbCallManager TbCallManager;

/* What the SIP side provides to a call. */
typedef struct {
  /* Runs @func (@data) soon on the signaling thread, then @destroy (@data);
   * callable from any thread. When signaling has stopped, only @destroy
   * runs. */
  void (*invoke) (GSourceFunc func, gpointer data, GDestroyNotify destroy, gpointer user_data);
  /* On the signaling thread: end the call (BYE, or refuse it unanswered). */
  void (*hangup) (TbCall *call, const char *reason, gpointer user_data);
  /* On the signaling thread: blind transfer to @target (REFER). */
  void (*transfer) (TbCall *call, const char *target, gpointer user_data);
} TbCallSignaling;

/* What happens on a call that its conversation may react to. */
typedef enum {
  TB_CALL_EVENT_DTMF,             /* digit, duration_ms, source ("RTP", "SIP INFO") */
  TB_CALL_EVENT_TRANSFER_FAILED,  /* target, status, reason; the call goes on      */
} TbCallEventType;

typedef struct {
  TbCallEventType type;
  char digit;
  guint duration_ms;
  const char *source;
  const char *target;
  int status;          /* SIP status of the failure, 0 for a local cause */
  const char *reason;
} TbCallEvent;

/* Called on the call's worker thread, in the order things happened. */
typedef void (*TbCallEventFunc) (TbCall *call, const TbCallEvent *event, gpointer user_data);

TbCall *tb_call_ref (TbCall *call);
void tb_call_unref (TbCall *call);

const char *tb_call_get_id (TbCall *call);
const char *tb_call_get_agent (TbCall *call);
const char *tb_call_get_sip_call_id (TbCall *call);
const char *tb_call_get_from (TbCall *call);
const char *tb_call_get_to (TbCall *call);
TbCallDirection tb_call_get_direction (TbCall *call);
GMainContext *tb_call_get_worker (TbCall *call);
guint tb_call_get_rtp_port (TbCall *call);
const TbAgentConfig *tb_call_get_agent_config (TbCall *call);
/* The config the call started with. */
TbConfig *tb_call_get_config (TbCall *call);
/* Any thread. When the call was created (UTC). */
GDateTime *tb_call_get_started (TbCall *call);
/* Any thread. When it was answered, a new reference; NULL: not (yet). */
GDateTime *tb_call_dup_answered (TbCall *call);
/* Signaling thread: the SIP side's state for the call (its dialog), NULL
 * once the dialog is gone. */
void tb_call_set_dialog (TbCall *call, gpointer dialog);
gpointer tb_call_get_dialog (TbCall *call);
/* Signaling thread: the media negotiated last. */
const TbSdpStream *tb_call_get_stream (TbCall *call);

typedef void (*TbCallReadyFunc) (TbCall *call, gboolean ok, const char *error, gpointer user_data);

/* Signaling thread. Starts the media on the call's worker for the negotiated
 * @stream; @ready runs back on the signaling thread when RTP can flow (then
 * answer), or with ok FALSE and the reason. */
void tb_call_start_media (TbCall *call, const TbSdpStream *stream, TbCallReadyFunc ready,
                          gpointer user_data);
/* Signaling thread. A new offer/answer in the dialog (hold, unhold, new address). */
void tb_call_update_media (TbCall *call, const TbSdpStream *stream);
/* Signaling thread. The call is answered (200 OK sent or received). */
void tb_call_answered (TbCall *call);
/* Signaling thread. A key press signalled in the dialog (SIP INFO); it
 * reaches the call in order with those received over RTP. */
void tb_call_dtmf_received (TbCall *call, char digit, guint duration_ms);
/* Any thread. Who hears the call's events (the conversation); NULL: none.
 * Events are logged in any case. */
void tb_call_set_event_func (TbCall *call, TbCallEventFunc func, gpointer user_data);
/* Any thread. Blind transfer to @target (a SIP URI, or a number at the
 * caller's side): when the transferee reports success the call ends with
 * reason "transferred"; a failure is a TB_CALL_EVENT_TRANSFER_FAILED event
 * and the call goes on. */
void tb_call_transfer (TbCall *call, const char *target);
/* Signaling thread. The SIP side's report that a transfer failed. */
void tb_call_transfer_failed (TbCall *call, const char *target, int status, const char *reason);
/* Any thread. Asks the SIP side to end the call (BYE) with @reason. */
void tb_call_hangup (TbCall *call, const char *reason);
/* Signaling thread. The dialog is over: stops media, logs the call, releases
 * its port and worker, and drops it from the manager. Idempotent. */
void tb_call_ended (TbCall *call, const char *reason);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbCall, tb_call_unref)

G_END_DECLS
