/* call-private.h — how the call manager makes a call. */
#pragma once

#include "call.h"

#include <gio/gio.h>

G_BEGIN_DECLS

TbCall *tb_call_new (TbCallManager *manager, TbConfig *config, TbCallDirection direction,
                     const TbAgentConfig *agent, const char *from, const char *to,
                     const char *sip_call_id, GSocket *socket, guint rtp_port,
                     GMainContext *worker, const TbCallSignaling *signaling,
                     gpointer signaling_data);

G_END_DECLS
