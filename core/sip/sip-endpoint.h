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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbSipEndpoint, tb_sip_endpoint_free)

G_END_DECLS
