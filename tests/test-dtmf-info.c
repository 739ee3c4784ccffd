/* test-dtmf-info.c — key presses in SIP INFO bodies: dtmf-relay and dtmf,
 * the spellings peers use, and bodies that must be refused. */
#include "sip-dtmf-info.h"

#include <string.h>

static gboolean
parse (const char *type, const char *body, char *digit, guint *duration)
{
  return tb_sip_dtmf_info_parse (type, body, strlen (body), digit, duration);
}

static void
test_dtmf_relay (void)
{
  char digit = 0;
  guint duration = 0;

  g_assert_true (parse ("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", &digit, &duration));
  g_assert_cmpint (digit, ==, '5');
  g_assert_cmpuint (duration, ==, 160);
  /* Spacing, case, LF line ends, parameters on the type. */
  g_assert_true (parse ("Application/DTMF-Relay; charset=x", "signal = #\nduration= 250\n",
                        &digit, &duration));
  g_assert_cmpint (digit, ==, '#');
  g_assert_cmpuint (duration, ==, 250);
  /* Event numbers for star and pound. */
  g_assert_true (parse ("application/dtmf-relay", "Signal=10\r\n", &digit, &duration));
  g_assert_cmpint (digit, ==, '*');
  g_assert_cmpuint (duration, ==, 0);
  g_assert_true (parse ("application/dtmf-relay", "Signal=11", &digit, &duration));
  g_assert_cmpint (digit, ==, '#');
  g_assert_true (parse ("application/dtmf-relay", "Signal=d", &digit, &duration));
  g_assert_cmpint (digit, ==, 'D');
}

static void
test_dtmf (void)
{
  char digit = 0;
  guint duration = 0;

  g_assert_true (parse ("application/dtmf", "7", &digit, &duration));
  g_assert_cmpint (digit, ==, '7');
  g_assert_true (parse ("application/dtmf", " *\r\n", &digit, &duration));
  g_assert_cmpint (digit, ==, '*');
}

static void
test_refused (void)
{
  char digit = 0;
  guint duration = 0;

  g_assert_false (parse ("application/sdp", "Signal=5", &digit, &duration));
  g_assert_false (parse ("application/dtmf-relayx", "Signal=5", &digit, &duration));
  g_assert_false (parse ("application/dtmf-relay", "Duration=100", &digit, &duration));
  g_assert_false (parse ("application/dtmf-relay", "Signal=E", &digit, &duration));
  g_assert_false (parse ("application/dtmf-relay", "Signal=55", &digit, &duration));
  g_assert_false (parse ("application/dtmf", "12", &digit, &duration));
  g_assert_false (parse ("application/dtmf", "", &digit, &duration));
  g_assert_false (tb_sip_dtmf_info_parse (NULL, "5", 1, &digit, &duration));
  /* Huge durations are capped. */
  g_assert_true (parse ("application/dtmf-relay", "Signal=1\nDuration=99999999999999\n",
                        &digit, &duration));
  g_assert_cmpuint (duration, ==, 60000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dtmf-info/dtmf-relay", test_dtmf_relay);
  g_test_add_func ("/dtmf-info/dtmf", test_dtmf);
  g_test_add_func ("/dtmf-info/refused", test_refused);
  return g_test_run ();
}
