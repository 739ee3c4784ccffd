/* sip-digest.c — digest authentication of callers: challenge and check. */
#define G_LOG_DOMAIN "tb-sip"

#include "sip-digest.h"

#include <string.h>

void
tb_sip_digest_init (TbSipDigest *digest, const char *realm)
{
  guint32 words[8];

  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    words[i] = g_random_int ();
  digest->realm = g_strdup (realm);
  digest->secret = g_bytes_new (words, sizeof words);
}

void
tb_sip_digest_clear (TbSipDigest *digest)
{
  g_clear_pointer (&digest->realm, g_free);
  g_clear_pointer (&digest->secret, g_bytes_unref);
}

/* "<timestamp in hex>.<signature>": the signature covers the timestamp
 * and the realm. */
static char *
sign (const TbSipDigest *digest, const char *timestamp)
{
  g_autofree char *text = g_strdup_printf ("%s.%s", timestamp, digest->realm);
  gsize size = 0;
  const guchar *key = g_bytes_get_data (digest->secret, &size);
  g_autofree char *mac = g_compute_hmac_for_string (G_CHECKSUM_SHA256, key, size, text, -1);

  mac[32] = '\0';
  return g_strdup_printf ("%s.%s", timestamp, mac);
}

char *
tb_sip_digest_challenge (const TbSipDigest *digest, gint64 now_s, gboolean stale)
{
  g_autofree char *timestamp = g_strdup_printf ("%" G_GINT64_MODIFIER "x", now_s);
  g_autofree char *nonce = sign (digest, timestamp);

  return g_strdup_printf ("Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, qop=\"auth\"%s",
                          digest->realm, nonce, stale ? ", stale=true" : "");
}

static char *
md5_hex (const char *a, const char *b, const char *c)
{
  g_autofree char *text = g_strjoin (":", a, b, c, NULL);

  return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
}

char *
tb_sip_digest_response (const char *username, const char *realm, const char *password,
                        const char *method, const char *uri, const char *nonce,
                        const char *nc, const char *cnonce, const char *qop)
{
  g_autofree char *ha1 = md5_hex (username, realm, password);
  g_autofree char *ha2 = md5_hex (method, uri, NULL);
  g_autofree char *text = NULL;

  if (qop)
    text = g_strjoin (":", ha1, nonce, nc, cnonce, qop, ha2, NULL);
  else
    text = g_strjoin (":", ha1, nonce, ha2, NULL);
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
}

/* The value of @name among @params, unquoted; NULL when absent. */
static char *
param (const char *const *params, const char *name)
{
  gsize n = strlen (name);

  for (guint i = 0; params && params[i]; i++) {
    const char *p = params[i];
    gsize len;

    if (g_ascii_strncasecmp (p, name, n) != 0 || p[n] != '=')
      continue;
    p += n + 1;
    len = strlen (p);
    if (len >= 2 && p[0] == '"' && p[len - 1] == '"')
      return g_strndup (p + 1, len - 2);
    return g_strdup (p);
  }
  return NULL;
}

/* Compares without stopping at the first difference. */
static gboolean
equal_in_constant_time (const char *a, const char *b)
{
  gsize n = strlen (a);
  guint8 difference = n != strlen (b);

  for (gsize i = 0; i < n && b[i]; i++)
    difference |= (guint8) (g_ascii_tolower (a[i]) ^ g_ascii_tolower (b[i]));
  return difference == 0;
}

static TbSipDigestResult
check_nonce (const TbSipDigest *digest, const char *nonce, gint64 now_s)
{
  const char *dot = strchr (nonce, '.');
  g_autofree char *timestamp = dot ? g_strndup (nonce, dot - nonce) : NULL;
  g_autofree char *expected = NULL;
  guint64 issued = 0;

  if (!timestamp || !g_ascii_string_to_unsigned (timestamp, 16, 0, G_MAXINT64, &issued, NULL))
    return TB_SIP_DIGEST_CHALLENGE;
  expected = sign (digest, timestamp);
  if (!equal_in_constant_time (expected, nonce))
    return TB_SIP_DIGEST_CHALLENGE;
  if ((gint64) issued > now_s || now_s - (gint64) issued > TB_SIP_DIGEST_NONCE_LIFETIME_S)
    return TB_SIP_DIGEST_STALE;
  return TB_SIP_DIGEST_OK;
}

TbSipDigestResult
tb_sip_digest_check (const TbSipDigest *digest, const char *method, const char *const *params,
                     gint64 now_s, TbSipDigestPasswordFunc password, gpointer user_data,
                     char **username)
{
  g_autofree char *user = param (params, "username");
  g_autofree char *realm = param (params, "realm");
  g_autofree char *nonce = param (params, "nonce");
  g_autofree char *uri = param (params, "uri");
  g_autofree char *response = param (params, "response");
  g_autofree char *algorithm = param (params, "algorithm");
  g_autofree char *qop = param (params, "qop");
  g_autofree char *nc = param (params, "nc");
  g_autofree char *cnonce = param (params, "cnonce");
  g_autofree char *expected = NULL;
  TbSipDigestResult result;
  const char *secret;

  *username = g_strdup (user);
  if (!user || !realm || !nonce || !uri || !response || !g_str_equal (realm, digest->realm))
    return TB_SIP_DIGEST_CHALLENGE;
  if (algorithm && g_ascii_strcasecmp (algorithm, "MD5") != 0)
    return TB_SIP_DIGEST_CHALLENGE;
  if (qop && (g_ascii_strcasecmp (qop, "auth") != 0 || !nc || !cnonce))
    return TB_SIP_DIGEST_CHALLENGE;
  result = check_nonce (digest, nonce, now_s);
  if (result != TB_SIP_DIGEST_OK)
    return result;
  secret = password (user, user_data);
  if (!secret)
    return TB_SIP_DIGEST_DENIED;
  expected = tb_sip_digest_response (user, realm, secret, method, uri, nonce, nc, cnonce, qop);
  return equal_in_constant_time (expected, response) ? TB_SIP_DIGEST_OK : TB_SIP_DIGEST_DENIED;
}
