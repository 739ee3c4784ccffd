/* plugin-check.h — is a plugin descriptor one this host can use? */
#pragma once

#include "talkingbits-plugin.h"

G_BEGIN_DECLS

/* Checks the ABI version, the descriptor's size and fields, the kind's
 * vtable and the declared config keys. The error says what is wrong. */
gboolean tb_plugin_check_desc (const TbPluginDesc *desc, GError **error);

G_END_DECLS
