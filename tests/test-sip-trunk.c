/* test-sip-trunk.c — trunks against sipp: registration with a registrar
 * that fails once, then challenges (digest), refresh before expiry and
 * un-REGISTER at shutdown. */
#include "test-server.h"
#include "test-util.h"

#include <gst/gst.h>
#include <signal.h>
#include <string.h>

#define TRUNK_USER "15550100"
#define TRUNK_PASSWORD "trunk-secret-7"

static void
test_registration (void)
{
  TbTestServer s = { 0 };
  const char *vars[] = { "@USER@", TRUNK_USER, "@PASSWORD@", TRUNK_PASSWORD, NULL };
  TbTestSipp registrar = { .scenario = "uas-registrar.xml", .vars = vars,
                           .port = tb_test_free_port () };
  TbTestSipp failing = { .scenario = "uas-register-fail.xml", .port = registrar.port };
  g_autoptr(GSubprocess) sipp = NULL;
  g_autofree char *trunk = g_strdup_printf (
    "[trunk:carrier]\nregistrar=sip:127.0.0.1:%u\nusername=" TRUNK_USER "\n"
    "password-env=TB_TEST_TRUNK_PASSWORD\nexpires=600\n", registrar.port);
  g_autofree char *log = NULL;

  g_setenv ("TB_TEST_TRUNK_PASSWORD", TRUNK_PASSWORD, TRUE);
  s.dir = tb_test_server_make_dir ();
  /* The registrar fails at first: the trunk retries 1 s later, then 2 s,
   * ... until this one answers on the same port. */
  sipp = tb_test_sipp_start (&s, &failing);
  tb_test_server_start_full (&s, "", "", trunk);
  g_assert_true (tb_test_wait_for_log (s.log, "trunk carrier: registration failed: 500 "
                                              "Server Internal Error; retrying in 1 s"));
  g_assert_cmpint (tb_test_sipp_wait (&s, sipp), ==, 0);
  g_clear_object (&sipp);
  sipp = tb_test_sipp_start (&s, &registrar);
  g_assert_true (tb_test_wait_for_log (s.log, "trunk carrier: registered with sip:127.0.0.1"));
  g_assert_true (tb_test_wait_for_log (s.log, "(expires in 2 s)"));
  g_assert_true (tb_test_wait_for_log (s.log, "trunk carrier: registration refreshed "
                                              "(expires in 3600 s)"));
  tb_test_stop_daemon (s.daemon, SIGTERM);
  g_clear_object (&s.daemon);
  /* sipp saw the un-REGISTER (expires=0) and answered it. */
  g_assert_cmpint (tb_test_sipp_wait (&s, sipp), ==, 0);
  /* The password never reaches the log. */
  g_assert_true (g_file_get_contents (s.log, &log, NULL, NULL));
  g_assert_null (strstr (log, TRUNK_PASSWORD));
  tb_test_server_stop (&s);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sip-trunk/registration", test_registration);
  return g_test_run ();
}
