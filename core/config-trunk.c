/* config-trunk.c — the [trunk:NAME] and [account:NAME] groups as typed
 * settings. Passwords come from the environment and are never logged. */
#define G_LOG_DOMAIN "tb-config"

#include "config-trunk.h"

#include "config-schema.h"
#include "config-telephony.h"
#include "settings.h"

#include <string.h>

char *
tb_config_sip_uri_host (const char *uri)
{
  const char *rest, *at;
  g_autofree char *hostport = NULL;
  char *host = NULL;
  guint port;

  if (!uri)
    return NULL;
  if (g_ascii_strncasecmp (uri, "sip:", 4) == 0)
    rest = uri + 4;
  else if (g_ascii_strncasecmp (uri, "sips:", 5) == 0)
    rest = uri + 5;
  else
    return NULL;
  at = strchr (rest, '@');
  if (at)
    rest = at + 1;
  hostport = g_strndup (rest, strcspn (rest, ";?>"));
  if (!tb_config_split_host_port (hostport, 5060, &host, &port))
    return NULL;
  for (const char *p = host; *p; p++) {
    if (!g_ascii_isalnum (*p) && !strchr (".-:", *p)) {
      g_free (host);
      return NULL;
    }
  }
  return host;
}

/* A key holding a SIP URI: its host, checked, or NULL (problem added). */
static char *
read_uri (GVariant *settings, const char *group, const char *key, char **uri,
          TbProblems *problems)
{
  const char *text = tb_settings_get_string (settings, key);
  char *host;

  *uri = NULL;
  if (!text || !*text)
    return NULL;
  host = tb_config_sip_uri_host (text);
  if (!host) {
    tb_problems_add (problems, group, key, "'%s' is not a SIP URI (sip:host[:port])", text);
    return NULL;
  }
  *uri = g_strdup (text);
  return host;
}

static char *
string_or (GVariant *settings, const char *key, const char *fallback)
{
  const char *text = tb_settings_get_string (settings, key);

  return g_strdup (text && *text ? text : fallback);
}

static void
trust_host (TbTrunkConfig *trunk, const char *group, const char *key, const char *host,
            TbProblems *problems)
{
  g_autoptr(GError) error = NULL;

  if (host && !tb_config_add_host_masks (trunk->hosts, host, &error))
    tb_problems_add (problems, group, key, "host %s does not resolve: %s", host,
                     error->message);
}

TbTrunkConfig *
tb_config_read_trunk (GKeyFile *keyfile, const char *group, const char *name,
                      TbProblems *problems)
{
  const TbConfigGroupSpec *spec = tb_config_schema_find_group (group);
  g_autoptr(GVariant) s = tb_settings_from_group (keyfile, group, spec->keys, NULL, problems);
  TbTrunkConfig *trunk = g_new0 (TbTrunkConfig, 1);
  g_autofree char *registrar_host = NULL;
  g_autofree char *proxy_host = NULL;
  guint problems_before = tb_problems_count (problems);

  trunk->name = g_strdup (name);
  trunk->hosts = g_ptr_array_new_with_free_func (g_object_unref);
  registrar_host = read_uri (s, group, "registrar", &trunk->registrar, problems);
  proxy_host = read_uri (s, group, "proxy", &trunk->proxy, problems);
  if (!trunk->proxy && trunk->registrar)
    trunk->proxy = g_strdup (trunk->registrar);
  if (!trunk->proxy && tb_problems_count (problems) == problems_before)
    tb_problems_add (problems, group, "registrar",
                     "a trunk needs a registrar or a proxy (sip:host[:port])");
  trunk->domain = string_or (s, "domain", registrar_host ? registrar_host : proxy_host);
  trunk->username = string_or (s, "username", NULL);
  trunk->auth_username = string_or (s, "auth-username", trunk->username);
  trunk->password = string_or (s, "password-env", NULL);
  trunk->expires = (guint) tb_settings_get_int (s, "expires");
  trunk->caller_id = string_or (s, "caller-id", trunk->username);
  trust_host (trunk, group, "registrar", registrar_host, problems);
  trust_host (trunk, group, "proxy", proxy_host, problems);
  return trunk;
}

void
tb_trunk_config_free (TbTrunkConfig *trunk)
{
  g_free (trunk->name);
  g_free (trunk->registrar);
  g_free (trunk->proxy);
  g_free (trunk->domain);
  g_free (trunk->username);
  g_free (trunk->auth_username);
  if (trunk->password)
    memset (trunk->password, 0, strlen (trunk->password));
  g_free (trunk->password);
  g_free (trunk->caller_id);
  g_ptr_array_unref (trunk->hosts);
  g_free (trunk);
}

TbAccountConfig *
tb_config_read_account (GKeyFile *keyfile, const char *group, const char *name,
                        TbProblems *problems)
{
  const TbConfigGroupSpec *spec = tb_config_schema_find_group (group);
  g_autoptr(GVariant) s = tb_settings_from_group (keyfile, group, spec->keys, NULL, problems);
  TbAccountConfig *account = g_new0 (TbAccountConfig, 1);

  account->name = g_strdup (name);
  account->password = string_or (s, "password-env", NULL);
  return account;
}

void
tb_account_config_free (TbAccountConfig *account)
{
  g_free (account->name);
  if (account->password)
    memset (account->password, 0, strlen (account->password));
  g_free (account->password);
  g_free (account);
}
