/* config-telephony.h — the [sip] and [media] groups as typed settings. */
#pragma once

#include "config.h"

G_BEGIN_DECLS

void tb_config_read_sip (TbSipConfig *sip, GKeyFile *keyfile, TbProblems *problems);
void tb_config_read_media (TbMediaConfig *media, GKeyFile *keyfile, const TbSipConfig *sip,
                           TbProblems *problems);
void tb_sip_config_clear (TbSipConfig *sip);
void tb_media_config_clear (TbMediaConfig *media);

/* "HOST:PORT", "[V6]:PORT" or "HOST" -> host and port (@default_port when
 * none is given). FALSE when it is not of that form. */
gboolean tb_config_split_host_port (const char *text, guint default_port, char **host,
                                    guint *port);

/* Adds the masks of @entry: a network (CIDR), an address, or a host name
 * resolved now (each of its addresses). */
gboolean tb_config_add_host_masks (GPtrArray *masks, const char *entry, GError **error);

G_END_DECLS
