/* config-trunk.h — the [trunk:NAME] and [account:NAME] groups. */
#pragma once

#include "config.h"

G_BEGIN_DECLS

TbTrunkConfig *tb_config_read_trunk (GKeyFile *keyfile, const char *group, const char *name,
                                     TbProblems *problems);
void tb_trunk_config_free (TbTrunkConfig *trunk);

TbAccountConfig *tb_config_read_account (GKeyFile *keyfile, const char *group,
                                         const char *name, TbProblems *problems);
void tb_account_config_free (TbAccountConfig *account);

/* The host of a SIP URI ("sip:user@host:port;params"), or NULL when
 * @uri is not one. */
char *tb_config_sip_uri_host (const char *uri);

G_END_DECLS
