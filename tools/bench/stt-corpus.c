/* stt-corpus.c — phrases, voices, synthesis through the command-line
 * engines, the phone line and word errors for tools/bench/stt-accuracy. */
#include "stt-corpus.h"

#include "media/audio-file.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

const BenchVoice bench_voices[] = {
  { "espeak-ng en-us 160 wpm", "espeak-ng", "en-us", "160" },
  { "espeak-ng en-us+f3 140 wpm", "espeak-ng", "en-us+f3", "140" },
  { "espeak-ng en-gb 190 wpm", "espeak-ng", "en-gb", "190" },
  { "flite slt", "flite", "slt", "1.0" },
  { "flite rms", "flite", "rms", "1.0" },
  { "flite awb fast", "flite", "awb", "0.85" },
  { NULL }
};

const char *const bench_expected[] = {
  "I would like to book an appointment.", "What are your opening hours?",
  "Are you open on Saturday?", "Tomorrow.", "At ten in the morning.", "In the afternoon.",
  "Can I speak to a doctor?", "I need to cancel my appointment.",
  "I want to change my appointment.", "Yes, please.", "No, thank you.", "Goodbye.",
  "My name is John Smith.", "My date of birth is the third of May.",
  "Do you have anything earlier?", "Is there parking nearby?", "Where are you located?",
  "How much does it cost?", "Do you accept credit cards?", "I would like to place an order.",
  "Is my order ready?", "When will it be delivered?", "I need a prescription refill.",
  "It is urgent.", "Next Monday.", "Friday afternoon.", "Can you call me back?",
  "Could you repeat that, please?", "That is all, thank you.",
  "I have a question about my bill.", NULL
};

const char *const bench_combined[] = {
  "Tomorrow in the afternoon.", "Next Friday at ten.", "Yes, I would like to cancel.",
  "Can I book an appointment for Monday?", "No, that is all.", NULL
};

gint16 *
bench_synthesise (const BenchVoice *voice, const char *text, guint rate, gsize *n_samples,
                  GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("tb-stt-bench-XXXXXX", error);
  g_autofree char *wav = NULL;
  g_autofree char *stretch = g_strdup_printf ("duration_stretch=%s", voice->speed);
  g_autoptr(GSubprocess) process = NULL;
  gint16 *samples = NULL;

  if (!dir)
    return NULL;
  wav = g_build_filename (dir, "speech.wav", NULL);
  if (g_str_equal (voice->program, "espeak-ng"))
    process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, error, "espeak-ng",
                                "-v", voice->voice, "-s", voice->speed, "-w", wav, text, NULL);
  else
    process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, error, "flite",
                                "-voice", voice->voice, "--setf", stretch,
                                "-t", text, "-o", wav, NULL);
  if (process && g_subprocess_wait_check (process, NULL, error))
    samples = tb_audio_file_read (wav, rate, n_samples, error);
  g_unlink (wav);
  g_rmdir (dir);
  return samples;
}

/* G.711 µ-law, as in the ITU reference code. */
static guint8
mulaw_encode (gint16 pcm)
{
  int sign = pcm < 0 ? 0x80 : 0, magnitude = pcm < 0 ? -(int) pcm : pcm, exponent = 7;

  magnitude = MIN (magnitude, 32635) + 0x84;
  while (exponent > 0 && !(magnitude & (0x4000 >> (7 - exponent))))
    exponent--;
  return ~(sign | (exponent << 4) | ((magnitude >> (exponent + 3)) & 0x0F));
}

static gint16
mulaw_decode (guint8 code)
{
  int sign, exponent, mantissa, magnitude;

  code = ~code;
  sign = code & 0x80;
  exponent = (code >> 4) & 0x07;
  mantissa = code & 0x0F;
  magnitude = ((mantissa << 3) + 0x84) << exponent;
  return sign ? -(magnitude - 0x84) : magnitude - 0x84;
}

void
bench_phone_line (gint16 *samples, gsize n, double snr_db, GRand *rand)
{
  double energy = 0, noise_rms = 0;
  gsize loud = 0;

  if (snr_db > 0) {
    for (gsize i = 0; i < n; i++)
      if (abs (samples[i]) > 300) {
        energy += (double) samples[i] * samples[i];
        loud++;
      }
    noise_rms = loud ? sqrt (energy / loud) / pow (10, snr_db / 20) : 0;
  }
  for (gsize i = 0; i < n; i++) {
    double v = samples[i];

    if (noise_rms > 0) {
      /* Box-Muller: Gaussian white noise. */
      double u1 = g_rand_double_range (rand, 1e-12, 1), u2 = g_rand_double (rand);

      v += noise_rms * sqrt (-2 * log (u1)) * cos (2 * G_PI * u2);
    }
    samples[i] = mulaw_decode (mulaw_encode ((gint16) CLAMP (v, -32768, 32767)));
  }
}

gint16 *
bench_resample (const gint16 *samples, gsize n, guint from, guint to, gsize *n_out,
                GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("tb-stt-bench-XXXXXX", error);
  g_autofree char *wav = NULL;
  g_autoptr(TbWavWriter) writer = NULL;
  gint16 *out = NULL;

  if (!dir)
    return NULL;
  wav = g_build_filename (dir, "line.wav", NULL);
  writer = tb_wav_writer_new (wav, from, error);
  if (writer && tb_wav_writer_write (writer, samples, n, error) &&
      tb_wav_writer_close (writer, error))
    out = tb_audio_file_read (wav, to, n_out, error);
  g_unlink (wav);
  g_rmdir (dir);
  return out;
}

static char **
split_words (const char *text)
{
  g_autoptr(GString) clean = g_string_new (NULL);

  for (const char *p = text ? text : ""; *p; p++)
    g_string_append_c (clean, g_ascii_isalnum (*p) || *p == '\'' ? g_ascii_tolower (*p) : ' ');
  return g_strsplit_set (g_strstrip (clean->str), " ", -1);
}

guint
bench_word_errors (const char *reference, const char *hypothesis, guint *n_words)
{
  g_auto(GStrv) ref_all = split_words (reference);
  g_auto(GStrv) hyp_all = split_words (hypothesis);
  g_autoptr(GPtrArray) ref = g_ptr_array_new (), hyp = g_ptr_array_new ();
  g_autofree guint *row = NULL, *prev = NULL;

  for (guint i = 0; ref_all[i]; i++)
    if (*ref_all[i])
      g_ptr_array_add (ref, ref_all[i]);
  for (guint i = 0; hyp_all[i]; i++)
    if (*hyp_all[i])
      g_ptr_array_add (hyp, hyp_all[i]);
  row = g_new (guint, hyp->len + 1);
  prev = g_new (guint, hyp->len + 1);
  for (guint j = 0; j <= hyp->len; j++)
    prev[j] = j;
  for (guint i = 1; i <= ref->len; i++) {
    row[0] = i;
    for (guint j = 1; j <= hyp->len; j++) {
      guint same = g_str_equal (ref->pdata[i - 1], hyp->pdata[j - 1]) ? 0 : 1;

      row[j] = MIN (MIN (prev[j] + 1, row[j - 1] + 1), prev[j - 1] + same);
    }
    memcpy (prev, row, (hyp->len + 1) * sizeof (guint));
  }
  *n_words = ref->len;
  return prev[hyp->len];
}
