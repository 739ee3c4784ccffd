/* test-tbcall-run.c — running tb-call against a test server and reading
 * its JSON summary; caller audio made of tone bursts. */
#include "test-tbcall-run.h"

#include "audio-file.h"
#include "test-util.h"

#include <math.h>
#include <string.h>

void
tb_test_run_clear (TbTestRun *run)
{
  g_free (run->out);
  g_free (run->err);
  g_clear_object (&run->parser);
}

void
tb_test_run_parse (TbTestRun *run)
{
  g_autoptr(GError) error = NULL;

  if (!run->out || !*run->out)
    return;
  run->parser = json_parser_new ();
  if (!json_parser_load_from_data (run->parser, run->out, -1, &error))
    g_error ("tb-call printed no JSON (%s):\n%s\nstderr:\n%s", error->message, run->out,
             run->err);
  run->json = json_node_get_object (json_parser_get_root (run->parser));
}

GPtrArray *
tb_test_tb_call_argv (TbTestServer *s, const char *number, const char *const *args)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup (TB_CALL));
  g_ptr_array_add (argv, g_strdup_printf ("sip:%s@127.0.0.1:%u", number, s ? s->sip_port : 9));
  for (guint i = 0; args && args[i]; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  return argv;
}

void
tb_test_run_tb_call (TbTestServer *s, const char *number, const char *const *args, TbTestRun *run)
{
  g_autoptr(GPtrArray) argv = tb_test_tb_call_argv (s, number, args);

  memset (run, 0, sizeof *run);
  run->status = tb_test_run ((const char *const *) argv->pdata, "", &run->out, &run->err);
  g_test_message ("tb-call exit %d, stdout:\n%s\nstderr:\n%s", run->status, run->out, run->err);
  tb_test_run_parse (run);
}

char *
tb_test_run_call (TbTestServer *s, const char *number, const char *caller, const char *heard,
                  double hangup_s, const char *const *more_args, TbTestRun *run)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  char *end;

  g_ptr_array_add (args, g_strdup ("--play"));
  g_ptr_array_add (args, g_strdup (caller));
  g_ptr_array_add (args, g_strdup ("--record"));
  g_ptr_array_add (args, g_strdup (heard));
  g_ptr_array_add (args, g_strdup ("--hangup-after"));
  g_ptr_array_add (args, g_strdup_printf ("%.1f", hangup_s));
  for (guint i = 0; more_args && more_args[i]; i++)
    g_ptr_array_add (args, g_strdup (more_args[i]));
  g_ptr_array_add (args, NULL);
  tb_test_run_tb_call (s, number, (const char *const *) args->pdata, run);
  g_assert_nonnull (run->json);
  end = tb_test_server_wait_call_end (s);
  g_test_message ("end of call: %s", end);
  return end;
}

JsonParser *
tb_test_parse_object (const char *json, JsonObject **object)
{
  JsonParser *parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  *object = json_node_get_object (json_parser_get_root (parser));
  return parser;
}

void
tb_test_write_bursts (const char *path, guint rate, double hz, const guint *bursts_ms, guint total_ms)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TbWavWriter) writer = tb_wav_writer_new (path, rate, &error);
  gsize n = (gsize) total_ms * rate / 1000;
  g_autofree gint16 *samples = g_new0 (gint16, n);

  g_assert_no_error (error);
  for (gsize i = 0; i < n; i++) {
    gsize ms = i * 1000 / rate;

    for (const guint *b = bursts_ms; b[0] || b[1]; b += 2)
      if (ms >= b[0] && ms < b[1])
        samples[i] = (gint16) (8000 * sin (2 * G_PI * hz * i / rate));
  }
  g_assert_true (tb_wav_writer_write (writer, samples, n, &error));
  g_assert_true (tb_wav_writer_close (writer, &error));
}

