/* sip-digest.h — digest authentication of callers (RFC 2617/3261, MD5,
 * qop=auth): the challenge we send and the check of the credentials that
 * come back. Nonces are stateless: a timestamp signed with a secret of the
 * server, valid for TB_SIP_DIGEST_NONCE_LIFETIME_S. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TB_SIP_DIGEST_NONCE_LIFETIME_S 300

typedef enum {
  TB_SIP_DIGEST_OK,
  TB_SIP_DIGEST_STALE,      /* our nonce, expired: challenge again, stale=true */
  TB_SIP_DIGEST_CHALLENGE,  /* not an answer to our challenge: challenge again */
  TB_SIP_DIGEST_DENIED,     /* unknown user or wrong password: refuse          */
} TbSipDigestResult;

/* Looks up a user's password; NULL when there is no such user. */
typedef const char *(*TbSipDigestPasswordFunc) (const char *username, gpointer user_data);

typedef struct {
  char *realm;
  GBytes *secret;    /* signs the nonces */
} TbSipDigest;

void tb_sip_digest_init (TbSipDigest *digest, const char *realm);
void tb_sip_digest_clear (TbSipDigest *digest);

/* The WWW-Authenticate value for a challenge issued at @now_s (seconds). */
char *tb_sip_digest_challenge (const TbSipDigest *digest, gint64 now_s, gboolean stale);

/* Checks the parameters of a Digest Authorization header (each "name=value"
 * or name="value") of a @method request, at @now_s. @username is set to the
 * user named in them, when any. */
TbSipDigestResult tb_sip_digest_check (const TbSipDigest *digest, const char *method,
                                       const char *const *params, gint64 now_s,
                                       TbSipDigestPasswordFunc password,
                                       gpointer user_data, char **username);

/* The digest response (lower-case hex); @qop, @nc and @cnonce NULL for the
 * RFC 2069 form. */
char *tb_sip_digest_response (const char *username, const char *realm, const char *password,
                              const char *method, const char *uri, const char *nonce,
                              const char *nc, const char *cnonce, const char *qop);

G_END_DECLS
