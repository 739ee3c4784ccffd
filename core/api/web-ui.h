/* web-ui.h — the web admin UI: static files (HTML, CSS, ES modules) served
 * by the daemon's own HTTP server under /ui/ ("/" redirects there). They
 * come from [http] web-root, else from web/ in the data directories
 * (tb_config_find_data_dir(): the build tree's data/ when
 * TALKINGBITS_DATA_PATH names it, else the installed data directory). The
 * pages need no token to load; they send the API token the user signs in
 * with to /api/v1 themselves. */
#pragma once

#include "http-server.h"

G_BEGIN_DECLS

typedef struct _TbWebUi TbWebUi;

/* Registers "/" and "/ui" on @http; @root as in tb_web_ui_set_root(). */
TbWebUi *tb_web_ui_new (TbHttpServer *http, const char *root);
/* The directory of the files; NULL: the data directories' web/ (looked
 * for now). */
void tb_web_ui_set_root (TbWebUi *ui, const char *root);
void tb_web_ui_free (TbWebUi *ui);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbWebUi, tb_web_ui_free)

G_END_DECLS
