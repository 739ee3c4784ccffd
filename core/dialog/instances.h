/* instances.h — provider instances, one per provider and worker thread (the
 * plugin ABI's rule: an instance is only used on its worker's thread). Made
 * on first use on each worker, kept for the thread's life. */
#pragma once

#include "config.h"

G_BEGIN_DECLS

/* The calling thread's instance of @provider (made now when it has none):
 * borrowed, valid until the thread ends. FALSE with @error when the plugin
 * refuses its settings. Plugins without instances get NULL. */
gboolean tb_dialog_instance_get (const TbHost *host, const TbProviderConfig *provider,
                                 gpointer *instance, GError **error);

G_END_DECLS
