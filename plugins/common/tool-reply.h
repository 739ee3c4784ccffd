/* tool-reply.h — delivering a tool's answer the way the plugin ABI wants:
 * later, from an idle source on the thread-default context, as exactly one
 * terminal callback (error G_IO_ERROR_CANCELLED when cancelled by then). */
#pragma once

#include <talkingbits-plugin.h>

G_BEGIN_DECLS

/* Calls @callbacks->result (@result_json) or, when @error is set,
 * @callbacks->error (@error) from an idle source; takes both. Exactly one of
 * them is non-NULL. */
void tb_tool_reply_later (const TbToolCallbacks *callbacks, gpointer user_data,
                          GCancellable *cancellable, char *result_json, GError *error);

G_END_DECLS
