/* log.h — the daemon's log writer: journald when stderr is the journal,
 * otherwise one line per message with time, level and domain. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @verbose: debug messages of every domain, not just G_MESSAGES_DEBUG's. */
void tb_log_init (gboolean verbose);

G_END_DECLS
