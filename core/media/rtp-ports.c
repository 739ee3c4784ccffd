/* rtp-ports.c — RTP ports from the configured range.
 *
 * Ports are handed out round-robin rather than lowest-first so that a port
 * given back by a call that just ended is not reused at once: late packets of
 * the old call would otherwise land in the new one. */
#define G_LOG_DOMAIN "tb-media"

#include "rtp-ports.h"

struct _TbRtpPorts {
  GMutex lock;
  guint first;        /* even */
  guint last;
  guint n_ports;      /* even ports in [first, last] */
  guint next;         /* index to try first */
  guint in_use;
  gboolean *taken;    /* by index: port = first + 2 * index */
};

TbRtpPorts *
tb_rtp_ports_new (guint first, guint last)
{
  TbRtpPorts *ports;

  g_return_val_if_fail (last <= 65535, NULL);
  ports = g_new0 (TbRtpPorts, 1);
  g_mutex_init (&ports->lock);
  ports->first = first + (first & 1);
  ports->last = last;
  ports->n_ports = last >= ports->first ? (last - ports->first) / 2 + 1 : 0;
  ports->taken = g_new0 (gboolean, MAX (ports->n_ports, 1));
  return ports;
}

void
tb_rtp_ports_free (TbRtpPorts *ports)
{
  if (!ports)
    return;
  g_mutex_clear (&ports->lock);
  g_free (ports->taken);
  g_free (ports);
}

static GSocket *
bind_port (GInetAddress *address, guint port, GError **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) local = NULL;

  socket = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_UDP, error);
  if (!socket)
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  local = g_inet_socket_address_new (address, port);
  if (!g_socket_bind (socket, local, FALSE, error))
    return NULL;
  return g_steal_pointer (&socket);
}

GSocket *
tb_rtp_ports_bind (TbRtpPorts *ports, GInetAddress *address, guint *port, GError **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&ports->lock);

  g_return_val_if_fail (G_IS_INET_ADDRESS (address), NULL);

  for (guint tried = 0; tried < ports->n_ports; tried++) {
    guint index = (ports->next + tried) % ports->n_ports;
    guint candidate = ports->first + 2 * index;
    g_autoptr(GError) local_error = NULL;
    GSocket *socket;

    if (ports->taken[index])
      continue;
    socket = bind_port (address, candidate, &local_error);
    if (!socket) {
      /* Another program holds it: try the next one. Anything else (an
       * address that is not ours, no permission) fails every port alike. */
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        continue;
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "RTP port %u: ", candidate);
      return NULL;
    }
    ports->taken[index] = TRUE;
    ports->in_use++;
    ports->next = (index + 1) % ports->n_ports;
    if (port)
      *port = candidate;
    return socket;
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
               "no free RTP port in %u-%u (%u in use by calls)",
               ports->first, ports->last, ports->in_use);
  return NULL;
}

void
tb_rtp_ports_release (TbRtpPorts *ports, guint port)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&ports->lock);
  guint index = (port - ports->first) / 2;

  g_return_if_fail (port >= ports->first && (port & 1) == 0 && index < ports->n_ports);
  g_return_if_fail (ports->taken[index]);
  ports->taken[index] = FALSE;
  ports->in_use--;
}

guint
tb_rtp_ports_in_use (TbRtpPorts *ports)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&ports->lock);

  return ports->in_use;
}
