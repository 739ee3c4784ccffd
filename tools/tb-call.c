/* tb-call.c — tb-call, the command-line softphone of the tests and
 * benchmarks: calls a SIP URI, plays a file as the caller, records what it
 * hears, presses keys, hangs up, and prints one JSON object with the call's
 * outcome, timings and response times.
 *
 *   tb-call sip:1000@127.0.0.1:5060 --play caller.wav --record heard.wav \
 *           --dtmf 12# --hangup-after 20
 *
 * Threads: sofia-sip's loop runs the call on the main thread
 * (tb-call-sip.c); the audio runs on one worker thread (tb-call-media.c). */
#define G_LOG_DOMAIN "tb-call"

#include "tb-call.h"

#include "audio-file.h"
#include "log.h"

#include <gst/gst.h>
#include <locale.h>
#include <stdio.h>

void
tb_softphone_result_init (TbSoftphoneResult *result)
{
  memset (result, 0, sizeof *result);
  result->trying_ms = result->ringing_ms = result->answered_ms = -1;
  result->dtmf_sent = g_string_new (NULL);
  result->heard = g_array_new (FALSE, FALSE, sizeof (gint16));
  result->heard_at = g_array_new (FALSE, FALSE, sizeof (gint64));
}

void
tb_softphone_result_clear (TbSoftphoneResult *result)
{
  g_free (result->reason);
  g_free (result->call_id);
  g_string_free (result->dtmf_sent, TRUE);
  g_array_unref (result->heard);
  g_array_unref (result->heard_at);
  memset (result, 0, sizeof *result);
}

static gboolean
write_recording (const char *path, GArray *heard, GError **error)
{
  g_autoptr(TbWavWriter) writer = tb_wav_writer_new (path, TB_SOFTPHONE_RATE, error);

  return writer &&
         tb_wav_writer_write (writer, (const gint16 *) heard->data, heard->len, error) &&
         tb_wav_writer_close (writer, error);
}

/* What went wrong, in one line on stderr, when the call did not end well. */
static void
explain (const TbSoftphoneResult *result)
{
  if (result->answered_ms < 0)
    fprintf (stderr, "tb-call: the call was not answered: %d %s\n", result->status,
             result->reason ? result->reason : "");
  else if (!result->ended_normally)
    fprintf (stderr, "tb-call: the call did not end normally\n");
}

static int
run (const TbSoftphoneOptions *options)
{
  g_autoptr(GError) error = NULL;
  g_autofree gint16 *play = NULL;
  gsize n_play = 0;
  g_autoptr(GArray) utterances = NULL;
  g_autoptr(TbSoftphoneMedia) media = NULL;
  g_autofree char *report = NULL;
  TbSoftphoneResult result;
  int status;

  if (options->play_path) {
    play = tb_audio_file_read (options->play_path, TB_SOFTPHONE_RATE, &n_play, &error);
    if (!play) {
      fprintf (stderr, "tb-call: --play: %s\n", error->message);
      return 1;
    }
  }
  utterances = tb_onset_find_utterances (play, n_play, TB_SOFTPHONE_RATE);
  media = tb_softphone_media_new (options, &error);
  if (!media) {
    fprintf (stderr, "tb-call: %s\n", error->message);
    return 1;
  }

  tb_softphone_result_init (&result);
  if (!tb_softphone_call (options, media, play, n_play, &result, &error)) {
    fprintf (stderr, "tb-call: %s\n", error->message);
    tb_softphone_result_clear (&result);
    return 1;
  }
  report = tb_softphone_report (&result, utterances);
  printf ("%s\n", report);
  fflush (stdout);
  explain (&result);
  status = result.ended_normally ? 0 : 1;
  if (options->record_path && !write_recording (options->record_path, result.heard, &error)) {
    fprintf (stderr, "tb-call: --record: %s\n", error->message);
    status = 1;
  }
  tb_softphone_result_clear (&result);
  return status;
}

int
main (int argc, char **argv)
{
  TbSoftphoneOptions options = { 0 };
  g_autoptr(GError) error = NULL;
  int status;

  setlocale (LC_ALL, "");
  if (!tb_softphone_options_parse (&options, &argc, &argv, &error)) {
    fprintf (stderr, "tb-call: %s\n", error->message);
    tb_softphone_options_clear (&options);
    return 2;
  }
  tb_log_init (options.verbose);
  gst_init (NULL, NULL);
  status = run (&options);
  tb_softphone_options_clear (&options);
  gst_deinit ();
  return status;
}
