/* test-simulate.c — tb-simulate: the agent on a simulated line, with the
 * scripted test providers; sentences said with --say, audio from a
 * gst-launch --input, what the agent said in --output, and clear errors. */
#include "audio-check.h"
#include "audio-file.h"
#include "test-util.h"

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <string.h>

static const char *const plugins[] = {
  "stt-scripted", "tts-scripted", "llm-scripted", "tool-scripted", NULL
};

typedef struct {
  char *dir;
  char *conf;
  char *out, *err;
  int status;
  JsonParser *parser;
  JsonObject *report;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->dir = tb_test_plugin_dir_new (plugins);
  f->conf = tb_test_write_file (f->dir, "s.conf",
    "[talkingbits]\nplugin-path=.\n[http]\nlisten=\n"
    "[agent:talker]\nnumbers=2000\nstt=scripted\ntts=scripted\nllm=scripted\ntools=scripted\n"
    "[stt:scripted]\ntranscripts=hello there;book it\n"
    "[llm:scripted]\ntools=book=slow_tool:{\"day\":\"tuesday\"}\n");
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->parser);
  g_free (f->out);
  g_free (f->err);
  g_free (f->conf);
  tb_test_remove_tree (f->dir);
  g_free (f->dir);
}

static void
simulate (Fixture *f, const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, TB_BUILD_ROOT "/tools/tb-simulate");
  g_ptr_array_add (argv, "--config");
  g_ptr_array_add (argv, f->conf);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  f->status = tb_test_run ((const char *const *) argv->pdata, "", &f->out, &f->err);
  if (f->status == 0) {
    f->parser = json_parser_new ();
    g_assert_true (json_parser_load_from_data (f->parser, f->out, -1, &error));
    f->report = json_node_get_object (json_parser_get_root (f->parser));
  }
}

static JsonObject *
turn (Fixture *f, guint n)
{
  JsonArray *turns = json_object_get_array_member (f->report, "turns");

  g_assert_cmpuint (json_array_get_length (turns), >, n);
  return json_array_get_object_element (turns, n);
}

static void
test_say (Fixture *f, gconstpointer data)
{
  g_autofree char *heard = g_build_filename (f->dir, "heard.wav", NULL);
  const char *const args[] = { "--say", "hello there", "--say", "book it", "--output", heard,
                               NULL };
  g_autofree gint16 *samples = NULL;
  g_autoptr(GError) error = NULL;
  gsize n = 0;

  simulate (f, args);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (f->report, "agent"), ==, "talker");
  g_assert_cmpstr (json_object_get_string_member (turn (f, 0), "agent"), ==,
                   "Hello, how can I help you?");
  g_assert_cmpstr (json_object_get_string_member (turn (f, 1), "caller"), ==, "hello there");
  g_assert_cmpstr (json_object_get_string_member (turn (f, 1), "agent"), ==,
                   "You said hello there. Anything else?");
  g_assert_cmpstr (json_object_get_string_member (turn (f, 2), "caller"), ==, "book it");
  g_assert_nonnull (strstr (json_object_get_string_member (turn (f, 2), "agent"), "tuesday"));
  g_assert_false (json_object_get_null_member (turn (f, 1), "response_ms"));
  /* What the agent said: its voice (a 440 Hz tone here), a few seconds of it. */
  samples = tb_audio_file_read (heard, 16000, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, >, 16000 * 4);
  g_assert_cmpfloat (tb_test_goertzel (samples, 16000, 16000, 440),
                     >, 100 * tb_test_goertzel (samples, 16000, 16000, 300));
}

static void
test_input_pipeline (Fixture *f, gconstpointer data)
{
  /* 2 s of silence, 0.6 s of "speech", 3 s of silence, as a gst source. */
  g_autofree char *talk = g_build_filename (f->dir, "talk.wav", NULL);
  g_autofree char *input = NULL;
  const char *args[] = { "--input", NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(TbWavWriter) writer = tb_wav_writer_new (talk, 8000, &error);
  g_autofree gint16 *samples = g_new0 (gint16, 8000 * 56 / 10);

  for (guint i = 16000; i < 16000 + 4800; i++)
    samples[i] = (gint16) (6000 * ((i / 20) % 2 ? 1 : -1));
  g_assert_true (tb_wav_writer_write (writer, samples, 8000 * 56 / 10, &error));
  g_assert_true (tb_wav_writer_close (writer, &error));
  input = g_strdup_printf ("filesrc location=%s ! decodebin", talk);
  args[1] = input;
  simulate (f, args);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (turn (f, 1), "caller"), ==, "hello there");
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  const char *const no_input[] = { NULL };
  const char *const bad_input[] = { "--input", "nosuchelement ! decodebin", NULL };
  const char *const bad_agent[] = { "--agent", "ghost", "--say", "hi", NULL };

  simulate (f, no_input);
  g_assert_cmpint (f->status, ==, 2);
  g_assert_true (tb_test_contains (f->err, "--input"));
  g_clear_pointer (&f->err, g_free);
  g_clear_pointer (&f->out, g_free);
  simulate (f, bad_input);
  g_assert_cmpint (f->status, !=, 0);
  g_assert_true (tb_test_contains (f->err, "nosuchelement"));
  g_clear_pointer (&f->err, g_free);
  g_clear_pointer (&f->out, g_free);
  simulate (f, bad_agent);
  g_assert_cmpint (f->status, !=, 0);
  g_assert_true (tb_test_contains (f->err, "no agent 'ghost'"));
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/simulate/say", Fixture, NULL, setup, test_say, teardown);
  g_test_add ("/simulate/input-pipeline", Fixture, NULL, setup, test_input_pipeline, teardown);
  g_test_add ("/simulate/errors", Fixture, NULL, setup, test_errors, teardown);
  return g_test_run ();
}
