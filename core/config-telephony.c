/* config-telephony.c — the [sip] and [media] groups as typed settings. */
#define G_LOG_DOMAIN "tb-config"

#include "config-telephony.h"

#include "codec.h"
#include "media-session.h"
#include "config-schema.h"
#include "settings.h"

#include <gio/gio.h>
#include <gst/gst.h>
#include <string.h>

gboolean
tb_config_split_host_port (const char *text, guint default_port, char **host, guint *port)
{
  const char *colon;
  guint64 value;

  *host = NULL;
  *port = default_port;
  if (!text || !*text)
    return FALSE;
  if (text[0] == '[') {
    const char *end = strchr (text, ']');

    if (!end || end == text + 1)
      return FALSE;
    *host = g_strndup (text + 1, end - text - 1);
    colon = end[1] == ':' ? end + 1 : NULL;
    if (!colon && end[1] != '\0')
      goto fail;
  } else {
    colon = strrchr (text, ':');
    if (colon && strchr (text, ':') != colon) {
      *host = g_strdup (text);  /* a bare IPv6 address */
      return TRUE;
    }
    *host = colon ? g_strndup (text, colon - text) : g_strdup (text);
  }
  if (!**host)
    goto fail;
  if (colon) {
    if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, NULL))
      goto fail;
    *port = (guint) value;
  }
  return TRUE;

fail:
  g_clear_pointer (host, g_free);
  return FALSE;
}

gboolean
tb_config_add_host_masks (GPtrArray *masks, const char *entry, GError **error)
{
  GInetAddressMask *mask = g_inet_address_mask_new_from_string (entry, NULL);
  g_autoptr(GList) addresses = NULL;

  if (mask) {
    g_ptr_array_add (masks, mask);
    return TRUE;
  }
  addresses = g_resolver_lookup_by_name (g_resolver_get_default (), entry, NULL, error);
  if (!addresses)
    return FALSE;
  for (GList *l = addresses; l; l = l->next) {
    GInetAddress *address = l->data;

    g_ptr_array_add (masks, g_inet_address_mask_new (address,
                     g_inet_address_get_native_size (address) * 8, NULL));
  }
  g_resolver_free_addresses (g_steal_pointer (&addresses));
  return TRUE;
}

static void
add_trusted (GPtrArray *trusted, const char *entry, TbProblems *problems)
{
  g_autoptr(GError) error = NULL;

  if (!tb_config_add_host_masks (trusted, entry, &error))
    tb_problems_add (problems, "sip", "trusted", "'%s' is neither a network (CIDR), an "
                     "address nor a host name that resolves: %s", entry, error->message);
}

void
tb_config_read_sip (TbSipConfig *sip, GKeyFile *keyfile, TbProblems *problems)
{
  const TbConfigGroupSpec *spec = tb_config_schema_find_group ("sip");
  g_autoptr(GVariant) s = tb_settings_from_group (keyfile, "sip", spec->keys, NULL, problems);
  g_auto(GStrv) trusted = tb_settings_dup_strv (s, "trusted");
  const char *text;

  text = tb_settings_get_string (s, "listen");
  if (!tb_config_split_host_port (text, 5060, &sip->listen_host, &sip->listen_port) ||
      !g_hostname_is_ip_address (sip->listen_host)) {
    tb_problems_add (problems, "sip", "listen", "'%s' is not an IP address with an optional :PORT",
                     text ? text : "");
    g_clear_pointer (&sip->listen_host, g_free);
  }
  text = tb_settings_get_string (s, "public-address");
  sip->public_address = text && *text ? g_strdup (text) : NULL;
  sip->user_agent = g_strdup (tb_settings_get_string (s, "user-agent"));
  sip->max_calls = (guint) tb_settings_get_int (s, "max-calls");
  sip->trusted = g_ptr_array_new_with_free_func (g_object_unref);
  sip->realm = g_strdup (tb_settings_get_string (s, "realm"));

  for (guint i = 0; trusted[i]; i++)
    add_trusted (sip->trusted, trusted[i], problems);
}

static void
read_port_range (TbMediaConfig *media, const char *text, TbProblems *problems)
{
  g_auto(GStrv) parts = g_strsplit (text ? text : "", "-", 2);
  guint64 first = 0, last = 0;

  if (g_strv_length (parts) != 2 ||
      !g_ascii_string_to_unsigned (g_strstrip (parts[0]), 10, 1024, 65534, &first, NULL) ||
      !g_ascii_string_to_unsigned (g_strstrip (parts[1]), 10, 1025, 65535, &last, NULL) ||
      last <= first) {
    tb_problems_add (problems, "media", "rtp-ports",
                     "expected FIRST-LAST with 1024 <= FIRST < LAST <= 65535, got '%s'", text);
    return;
  }
  media->rtp_first = (guint) first;
  media->rtp_last = (guint) last;
}

/* A filter must build now, not when the first call arrives. */
static void
check_filter (const char *description, const char *key, TbProblems *problems)
{
  g_autoptr(GError) error = NULL;

  if (!description)
    return;
  if (!gst_is_initialized () && !gst_init_check (NULL, NULL, &error)) {
    tb_problems_add (problems, "media", key, "GStreamer cannot start: %s", error->message);
    return;
  }
  if (!tb_media_check_filter (description, &error))
    tb_problems_add (problems, "media", key, "%s", error->message);
}

void
tb_config_read_media (TbMediaConfig *media, GKeyFile *keyfile, const TbSipConfig *sip,
                      TbProblems *problems)
{
  const TbConfigGroupSpec *spec = tb_config_schema_find_group ("media");
  g_autoptr(GVariant) s = tb_settings_from_group (keyfile, "media", spec->keys, NULL, problems);
  g_auto(GStrv) codecs = tb_settings_dup_strv (s, "codecs");
  const char *text;

  read_port_range (media, tb_settings_get_string (s, "rtp-ports"), problems);

  text = tb_settings_get_string (s, "rtp-address");
  if (text && *text) {
    if (!g_hostname_is_ip_address (text))
      tb_problems_add (problems, "media", "rtp-address", "'%s' is not an IP address", text);
    media->rtp_address = g_strdup (text);
  } else {
    media->rtp_address = g_strdup (sip->listen_host ? sip->listen_host : "0.0.0.0");
  }
  media->rtp_timeout_s = (guint) tb_settings_get_int (s, "rtp-timeout");
  media->transmit_silence = tb_settings_get_bool (s, "transmit-silence");

  media->codecs = g_ptr_array_new ();
  for (guint i = 0; codecs[i]; i++) {
    const TbCodec *codec = NULL;

    for (const TbCodec *const *all = tb_codec_all (); *all; all++)
      if (g_ascii_strcasecmp ((*all)->encoding_name, codecs[i]) == 0)
        codec = *all;
    if (codec)
      g_ptr_array_add (media->codecs, (gpointer) codec);
    else
      tb_problems_add (problems, "media", "codecs", "unknown codec '%s' (known: PCMU, PCMA, G722)",
                       codecs[i]);
  }
  if (media->codecs->len == 0)
    tb_problems_add (problems, "media", "codecs", "names no codec");
  g_ptr_array_add (media->codecs, NULL);

  text = tb_settings_get_string (s, "sample-rate");
  media->sample_rate = text ? (guint) g_ascii_strtoull (text, NULL, 10) : 16000;
  text = tb_settings_get_string (s, "inbound-filter");
  media->inbound_filter = text && *text ? g_strdup (text) : NULL;
  check_filter (media->inbound_filter, "inbound-filter", problems);
  text = tb_settings_get_string (s, "outbound-filter");
  media->outbound_filter = text && *text ? g_strdup (text) : NULL;
  check_filter (media->outbound_filter, "outbound-filter", problems);
}

void
tb_sip_config_clear (TbSipConfig *sip)
{
  g_clear_pointer (&sip->listen_host, g_free);
  g_clear_pointer (&sip->public_address, g_free);
  g_clear_pointer (&sip->user_agent, g_free);
  g_clear_pointer (&sip->trusted, g_ptr_array_unref);
  g_clear_pointer (&sip->realm, g_free);
}

void
tb_media_config_clear (TbMediaConfig *media)
{
  g_clear_pointer (&media->rtp_address, g_free);
  g_clear_pointer (&media->codecs, g_ptr_array_unref);
  g_clear_pointer (&media->inbound_filter, g_free);
  g_clear_pointer (&media->outbound_filter, g_free);
}
