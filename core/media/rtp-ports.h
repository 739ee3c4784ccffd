/* rtp-ports.h — RTP ports from the configured range ([media] rtp-ports).
 * Thread-safe: calls take ports on the main thread and give them back from
 * their workers. Even ports only (the odd one above is left for RTCP). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _TbRtpPorts TbRtpPorts;

TbRtpPorts *tb_rtp_ports_new (guint first, guint last);
void tb_rtp_ports_free (TbRtpPorts *ports);

/* A non-blocking UDP socket bound to @address and a free port of the range
 * (ports in use by other programs are passed over). NULL with
 * G_IO_ERROR_NO_SPACE when every port is taken. */
GSocket *tb_rtp_ports_bind (TbRtpPorts *ports, GInetAddress *address, guint *port,
                            GError **error);
void tb_rtp_ports_release (TbRtpPorts *ports, guint port);
guint tb_rtp_ports_in_use (TbRtpPorts *ports);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbRtpPorts, tb_rtp_ports_free)

G_END_DECLS
