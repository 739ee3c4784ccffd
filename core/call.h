/* call.h — one phone call: its identity and timeline on the main thread,
 * its media on a worker thread, and the hand-offs between them.
 *
 * Threads: the SIP side (signaling) creates, answers and ends a call on
 * the main thread; the call's media session, recorder and (later) its
 * conversation live on the worker the call was given, and are only touched
 * there. Hand-offs go through g_main_context_invoke(). */
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

/* What the SIP side lets the rest of the call do; run on the main thread. */
typedef struct {
  void (*hangup) (TbCall *call, const char *reason, gpointer user_data);
} TbCallSignaling;

TbCall *tb_call_ref (TbCall *call);
void tb_call_unref (TbCall *call);

const char *tb_call_get_id (TbCall *call);
const char *tb_call_get_agent (TbCall *call);
TbCallDirection tb_call_get_direction (TbCall *call);
GMainContext *tb_call_get_worker (TbCall *call);
guint tb_call_get_rtp_port (TbCall *call);
const TbAgentConfig *tb_call_get_agent_config (TbCall *call);
/* Main thread: the media negotiated last. */
const TbSdpStream *tb_call_get_stream (TbCall *call);

/* Main thread. Sets what the SIP side does for the call. */
void tb_call_set_signaling (TbCall *call, const TbCallSignaling *signaling, gpointer user_data);

typedef void (*TbCallReadyFunc) (TbCall *call, gboolean ok, const char *error, gpointer user_data);

/* Main thread. Starts the media on the call's worker for the negotiated
 * @stream; @ready runs back on the main thread when RTP can flow (then
 * answer), or with ok FALSE and the reason. */
void tb_call_start_media (TbCall *call, const TbSdpStream *stream, TbCallReadyFunc ready,
                          gpointer user_data);
/* Main thread. A new offer/answer in the dialog (hold, unhold, new address). */
void tb_call_update_media (TbCall *call, const TbSdpStream *stream);
/* Main thread. The call is answered (200 OK sent or received). */
void tb_call_answered (TbCall *call);
/* Any thread. Asks the SIP side to end the call (BYE) with @reason. */
void tb_call_hangup (TbCall *call, const char *reason);
/* Main thread. The dialog is over: stops media, logs the call, releases
 * its port and worker, and drops it from the manager. Idempotent. */
void tb_call_ended (TbCall *call, const char *reason);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbCall, tb_call_unref)

G_END_DECLS
