/* test-sip-digest.c — digest authentication of callers: the response of
 * RFC 2617's example, and every outcome of checking credentials against
 * our challenge. */
#include "sip-digest.h"

#include <string.h>

static const char *
lookup (const char *username, gpointer user_data)
{
  return g_str_equal (username, "alice") ? "wonderland" : NULL;
}

/* The nonce of a challenge header. */
static char *
nonce_of (const char *challenge)
{
  const char *start = strstr (challenge, "nonce=\"") + 7;

  return g_strndup (start, strchr (start, '"') - start);
}

/* Authorization parameters answering @challenge as @user with @password. */
static GStrv
answer (const char *challenge, const char *user, const char *password, const char *realm)
{
  g_autofree char *nonce = nonce_of (challenge);
  g_autofree char *response = tb_sip_digest_response (user, realm, password, "INVITE",
                                                      "sip:1000@127.0.0.1", nonce,
                                                      "00000001", "c0ffee", "auth");
  GStrv params = g_new0 (char *, 10);

  params[0] = g_strdup_printf ("username=\"%s\"", user);
  params[1] = g_strdup_printf ("realm=\"%s\"", realm);
  params[2] = g_strdup_printf ("nonce=\"%s\"", nonce);
  params[3] = g_strdup ("uri=\"sip:1000@127.0.0.1\"");
  params[4] = g_strdup_printf ("response=\"%s\"", response);
  params[5] = g_strdup ("algorithm=MD5");
  params[6] = g_strdup ("qop=auth");
  params[7] = g_strdup ("nc=00000001");
  params[8] = g_strdup ("cnonce=\"c0ffee\"");
  return params;
}

static TbSipDigestResult
check (TbSipDigest *digest, GStrv params, gint64 now, char **user)
{
  g_free (*user);
  *user = NULL;
  return tb_sip_digest_check (digest, "INVITE", (const char *const *) params, now, lookup,
                              NULL, user);
}

static void
test_rfc2617_example (void)
{
  g_autofree char *response = tb_sip_digest_response (
    "Mufasa", "testrealm@host.com", "Circle Of Life", "GET", "/dir/index.html",
    "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", "auth");

  g_assert_cmpstr (response, ==, "6629fae49393a05397450978507c4ef1");
}

static void
test_outcomes (void)
{
  TbSipDigest digest = { 0 };
  g_autofree char *challenge = NULL;
  g_autofree char *user = NULL;
  const gint64 now = 1790000000;

  tb_sip_digest_init (&digest, "talkingbits");
  challenge = tb_sip_digest_challenge (&digest, now, FALSE);
  g_assert_true (g_str_has_prefix (challenge, "Digest realm=\"talkingbits\", nonce=\""));
  g_assert_nonnull (strstr (challenge, "qop=\"auth\""));
  g_assert_null (strstr (challenge, "stale"));

  {
    g_auto(GStrv) good = answer (challenge, "alice", "wonderland", "talkingbits");

    g_assert_cmpint (check (&digest, good, now + 10, &user), ==, TB_SIP_DIGEST_OK);
    g_assert_cmpstr (user, ==, "alice");
    /* The same credentials once the nonce has expired: challenge again, stale. */
    g_assert_cmpint (check (&digest, good, now + TB_SIP_DIGEST_NONCE_LIFETIME_S + 1, &user), ==,
                     TB_SIP_DIGEST_STALE);
    /* ... and from the future. */
    g_assert_cmpint (check (&digest, good, now - 5, &user), ==, TB_SIP_DIGEST_STALE);
  }
  {
    g_auto(GStrv) wrong = answer (challenge, "alice", "rabbit-hole", "talkingbits");

    g_assert_cmpint (check (&digest, wrong, now, &user), ==, TB_SIP_DIGEST_DENIED);
  }
  {
    g_auto(GStrv) unknown = answer (challenge, "mallory", "wonderland", "talkingbits");

    g_assert_cmpint (check (&digest, unknown, now, &user), ==, TB_SIP_DIGEST_DENIED);
    g_assert_cmpstr (user, ==, "mallory");
  }
  {
    g_auto(GStrv) other_realm = answer (challenge, "alice", "wonderland", "elsewhere");

    g_assert_cmpint (check (&digest, other_realm, now, &user), ==, TB_SIP_DIGEST_CHALLENGE);
  }
  {
    /* A nonce we did not sign, or signed by another server (secret). */
    TbSipDigest other = { 0 };
    g_autofree char *foreign = NULL;
    g_auto(GStrv) params = NULL;

    tb_sip_digest_init (&other, "talkingbits");
    foreign = tb_sip_digest_challenge (&other, now, FALSE);
    params = answer (foreign, "alice", "wonderland", "talkingbits");
    g_assert_cmpint (check (&digest, params, now, &user), ==, TB_SIP_DIGEST_CHALLENGE);
    tb_sip_digest_clear (&other);
  }
  {
    const char *missing[] = { "username=\"alice\"", "realm=\"talkingbits\"", NULL };

    g_assert_cmpint (check (&digest, (GStrv) missing, now, &user), ==, TB_SIP_DIGEST_CHALLENGE);
  }
  {
    /* RFC 2069 form: no qop. */
    g_autofree char *nonce = nonce_of (challenge);
    g_autofree char *response = tb_sip_digest_response ("alice", "talkingbits", "wonderland",
                                                        "INVITE", "sip:1000@h", nonce,
                                                        NULL, NULL, NULL);
    g_autofree char *nonce_param = g_strdup_printf ("nonce=\"%s\"", nonce);
    g_autofree char *response_param = g_strdup_printf ("response=\"%s\"", response);
    const char *params[] = { "username=\"alice\"", "realm=\"talkingbits\"", nonce_param,
                             "uri=\"sip:1000@h\"", response_param, NULL };

    g_assert_cmpint (check (&digest, (GStrv) params, now, &user), ==, TB_SIP_DIGEST_OK);
  }
  {
    g_autofree char *stale = tb_sip_digest_challenge (&digest, now, TRUE);

    g_assert_nonnull (strstr (stale, "stale=true"));
  }
  tb_sip_digest_clear (&digest);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sip-digest/rfc2617-example", test_rfc2617_example);
  g_test_add_func ("/sip-digest/outcomes", test_outcomes);
  return g_test_run ();
}
