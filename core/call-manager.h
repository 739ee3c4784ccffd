/* call-manager.h — the calls in progress: capacity, RTP ports, workers,
 * and the configuration each new call is given. Thread-safe: the signaling
 * thread creates and ends calls, the main thread reloads the config. */
#pragma once

#include "call.h"
#include "rtp-ports.h"
#include "worker.h"

G_BEGIN_DECLS

TbCallManager *tb_call_manager_new (TbConfig *config);
void tb_call_manager_free (TbCallManager *manager);

/* The host services plugins get (the daemon's); until set, a built-in one
 * with the monotonic clock. */
void tb_call_manager_set_host (TbCallManager *manager, const TbHost *host);
const TbHost *tb_call_manager_get_host (TbCallManager *manager);

/* A reloaded config: new calls get it, calls in progress keep theirs. */
void tb_call_manager_set_config (TbCallManager *manager, TbConfig *config);
/* The current config, a new reference. */
TbConfig *tb_call_manager_dup_config (TbCallManager *manager);

typedef enum {
  TB_CALL_REFUSED_NONE,
  TB_CALL_REFUSED_CAPACITY,  /* max-calls reached        */
  TB_CALL_REFUSED_NO_PORT,   /* no free RTP port         */
  TB_CALL_REFUSED_SOCKET,    /* the RTP socket failed    */
} TbCallRefusal;

/* A new call for @agent, with an RTP port and a worker; NULL and
 * @refusal when it cannot be taken. */
TbCall *tb_call_manager_create_call (TbCallManager *manager, TbConfig *config,
                                     TbCallDirection direction, const TbAgentConfig *agent,
                                     const char *from, const char *to, const char *sip_call_id,
                                     const TbCallSignaling *signaling, gpointer signaling_data,
                                     TbCallRefusal *refusal);

guint tb_call_manager_count (TbCallManager *manager);
/* A new reference to the call, or NULL. */
TbCall *tb_call_manager_lookup (TbCallManager *manager, const char *id);
/* The calls in progress, oldest first: a new array of new references. */
GPtrArray *tb_call_manager_list (TbCallManager *manager);
/* Every call in progress is asked to hang up. */
void tb_call_manager_hangup_all (TbCallManager *manager, const char *reason);

/* For TbCall: */
void tb_call_manager_remove (TbCallManager *manager, TbCall *call);
TbRtpPorts *tb_call_manager_get_ports (TbCallManager *manager);
TbWorkerPool *tb_call_manager_get_workers (TbCallManager *manager);
/* Any thread: the greeting file decoded at @rate, decoded once and cached. */
GBytes *tb_call_manager_get_audio (TbCallManager *manager, const char *path, guint rate,
                                   GError **error);

G_END_DECLS
