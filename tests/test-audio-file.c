/* test-audio-file.c — reading any audio file GStreamer decodes, and
 * writing WAV recordings. */
#include "audio-file.h"
#include "audio-check.h"
#include "test-util.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <math.h>
#include <string.h>

static char *tmp_dir;

static gint16 *
make_tone (guint rate, guint ms, gsize *n)
{
  gint16 *samples;

  *n = (gsize) rate * ms / 1000;
  samples = g_new (gint16, *n);
  for (gsize i = 0; i < *n; i++)
    samples[i] = 8000 * sin (2 * G_PI * 440 * i / rate);
  return samples;
}

static void
test_audio_file (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "tone.wav", NULL);
  g_autoptr(TbWavWriter) writer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gint16 *tone = NULL;
  g_autofree gint16 *same = NULL;
  g_autofree gint16 *resampled = NULL;
  g_autofree char *contents = NULL;
  gsize n_tone, n_same = 0, n_resampled = 0, length = 0;

  tone = make_tone (16000, 1000, &n_tone);
  writer = tb_wav_writer_new (path, 16000, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < n_tone; i += 320)
    g_assert_true (tb_wav_writer_write (writer, tone + i, MIN (320, n_tone - i), &error));
  g_assert_true (tb_wav_writer_close (writer, &error));
  g_assert_no_error (error);
  g_assert_false (tb_wav_writer_write (writer, tone, 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpuint (length, ==, 44 + 2 * n_tone);
  g_assert_cmpmem (contents, 4, "RIFF", 4);
  g_assert_cmpmem (contents + 8, 8, "WAVEfmt ", 8);
  g_assert_cmpuint (GUINT32_FROM_LE (*(guint32 *) (contents + 4)), ==, 36 + 2 * n_tone);
  g_assert_cmpuint (GUINT32_FROM_LE (*(guint32 *) (contents + 24)), ==, 16000);
  g_assert_cmpuint (GUINT32_FROM_LE (*(guint32 *) (contents + 40)), ==, 2 * n_tone);

  /* At its own rate: the very same samples. */
  same = tb_audio_file_read (path, 16000, &n_same, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (same, n_same * 2, tone, n_tone * 2);

  /* At another rate: as long, and the same tone. */
  resampled = tb_audio_file_read (path, 8000, &n_resampled, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_resampled, >=, 7990);
  g_assert_cmpuint (n_resampled, <=, 8010);
  g_assert_cmpuint (tb_test_zero_crossings (resampled + 1000, 6000), >=, 6000 * 880 / 8000 - 10);
  g_assert_cmpuint (tb_test_zero_crossings (resampled + 1000, 6000), <=, 6000 * 880 / 8000 + 10);
  g_assert_cmpfloat (tb_test_rms (resampled + 1000, 6000), >, 5000);
  g_assert_cmpfloat (tb_test_rms (resampled + 1000, 6000), <, 6000);
}

static void
test_audio_file_errors (void)
{
  g_autofree char *missing = g_build_filename (tmp_dir, "missing.wav", NULL);
  g_autofree char *text = g_build_filename (tmp_dir, "text.wav", NULL);
  g_autofree char *nowhere = g_build_filename (tmp_dir, "no", "such", "dir.wav", NULL);
  g_autoptr(GError) error = NULL;
  gsize n = 0;

  g_assert_null (tb_audio_file_read (missing, 8000, &n, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (text, "this is not audio at all, just words\n", -1, NULL));
  g_assert_null (tb_audio_file_read (text, 8000, &n, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, text));
  g_clear_error (&error);

  g_assert_null (tb_wav_writer_new (nowhere, 8000, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  tmp_dir = g_dir_make_tmp ("test-audio-file-XXXXXX", NULL);

  g_test_add_func ("/audio-file/wav-round-trip", test_audio_file);
  g_test_add_func ("/audio-file/errors", test_audio_file_errors);
  ret = g_test_run ();

  tb_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  gst_deinit ();
  return ret;
}
