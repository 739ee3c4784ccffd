/* fake-cloud.c — tests' side of tb-fake-cloud. The control requests are
 * synchronous (libsoup's blocking API on a session of their own), so a
 * test can call them anywhere, also between iterations of the context its
 * plugin runs on. */
#include "fake-cloud.h"
#include "test-util.h"

#include <libsoup/soup.h>
#include <string.h>

struct _TbFakeCloud {
  GSubprocess *process;
  SoupSession *session;
  char *url;
};

TbFakeCloud *
tb_fake_cloud_start (void)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  TbFakeCloud *fake = g_new0 (TbFakeCloud, 1);

  g_subprocess_launcher_set_child_setup (launcher, tb_test_die_with_parent, NULL, NULL);
  fake->process = g_subprocess_launcher_spawn (launcher, &error, TB_FAKE_CLOUD, "--api-key",
                                               TB_FAKE_API_KEY, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (fake->process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "listening on "));
  fake->url = g_strdup (line + strlen ("listening on "));
  fake->session = soup_session_new ();
  g_setenv (TB_FAKE_API_KEY_ENV, TB_FAKE_API_KEY, TRUE);
  return fake;
}

const char *
tb_fake_cloud_url (TbFakeCloud *fake)
{
  return fake->url;
}

/* @method @path with @json; the reply's body. Asserts 200. */
static GBytes *
control (TbFakeCloud *fake, const char *method, const char *path, const char *json)
{
  g_autofree char *url = g_strconcat (fake->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GError) error = NULL;
  GBytes *reply;

  if (json) {
    g_autoptr(GBytes) body = g_bytes_new (json, strlen (json));

    soup_message_set_request_body_from_bytes (msg, "application/json", body);
  }
  reply = soup_session_send_and_read (fake->session, msg, NULL, &error);
  g_assert_no_error (error);
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    g_error ("tb-fake-cloud %s %s: %u %.*s", method, path, soup_message_get_status (msg),
             (int) g_bytes_get_size (reply), (const char *) g_bytes_get_data (reply, NULL));
  return reply;
}

void
tb_fake_cloud_control (TbFakeCloud *fake, const char *path, const char *json)
{
  g_bytes_unref (control (fake, "POST", path, json));
}

void
tb_fake_cloud_knobs (TbFakeCloud *fake, const char *route, const char *json)
{
  g_autofree char *body = g_strdup_printf ("{\"route\":\"%s\"%s%s}", route,
                                           json && *json ? "," : "", json ? json : "");

  tb_fake_cloud_control (fake, "/_fake/knobs", body);
}

void
tb_fake_cloud_script (TbFakeCloud *fake, const char *route, const char *items_json)
{
  g_autofree char *body = g_strdup_printf ("{\"route\":\"%s\",\"items\":%s}", route,
                                           items_json);

  tb_fake_cloud_control (fake, "/_fake/script", body);
}

void
tb_fake_cloud_reset (TbFakeCloud *fake)
{
  tb_fake_cloud_control (fake, "/_fake/reset", NULL);
}

static JsonObject *
read_log (TbFakeCloud *fake, JsonParser *parser)
{
  g_autoptr(GBytes) reply = control (fake, "GET", "/_fake/log", NULL);
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, g_bytes_get_data (reply, NULL), g_bytes_get_size (reply),
                              &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

JsonArray *
tb_fake_cloud_requests (TbFakeCloud *fake, const char *route)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *all = json_object_get_array_member (read_log (fake, parser), "requests");
  JsonArray *out = json_array_new ();

  for (guint i = 0; i < json_array_get_length (all); i++) {
    JsonObject *entry = json_array_get_object_element (all, i);

    if (!route || g_str_equal (json_object_get_string_member (entry, "route"), route))
      json_array_add_object_element (out, json_object_ref (entry));
  }
  return out;
}

JsonArray *
tb_fake_cloud_violations (TbFakeCloud *fake)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  return json_array_ref (json_object_get_array_member (read_log (fake, parser), "violations"));
}

void
tb_fake_cloud_assert_clean (TbFakeCloud *fake)
{
  g_autoptr(JsonArray) violations = tb_fake_cloud_violations (fake);

  for (guint i = 0; i < json_array_get_length (violations); i++)
    g_printerr ("fake provider saw: %s\n", json_array_get_string_element (violations, i));
  g_assert_cmpuint (json_array_get_length (violations), ==, 0);
}

void
tb_fake_cloud_stop (TbFakeCloud *fake)
{
  if (!fake)
    return;
  tb_fake_cloud_assert_clean (fake);
  g_subprocess_force_exit (fake->process);
  g_subprocess_wait (fake->process, NULL, NULL);
  g_object_unref (fake->process);
  g_object_unref (fake->session);
  g_free (fake->url);
  g_free (fake);
}
