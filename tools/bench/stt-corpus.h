/* stt-corpus.h — the speech the STT accuracy benchmark listens to: what
 * callers of a clinic or a shop say, spoken by espeak-ng and flite voices,
 * sent through a phone line (8 kHz, µ-law, optional noise); and the word
 * error count. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *name;     /* "espeak en-us 160" */
  const char *program;  /* "espeak-ng" or "flite" */
  const char *voice;
  const char *speed;    /* espeak-ng words per minute, or flite duration stretch */
} BenchVoice;

extern const BenchVoice bench_voices[];       /* NULL-name terminated */
extern const char *const bench_expected[];    /* the agent's phrases, NULL-terminated */
extern const char *const bench_combined[];    /* said, but strings of expected words */

/* @text spoken by @voice, as mono samples at @rate. */
gint16 *bench_synthesise (const BenchVoice *voice, const char *text, guint rate,
                          gsize *n_samples, GError **error);

/* A phone line: white noise at @snr_db below the speech (none when 0), then
 * G.711 µ-law encoding and decoding. In place. */
void bench_phone_line (gint16 *samples, gsize n, double snr_db, GRand *rand);

/* @n samples at @from Hz as GStreamer's audioresample makes them @to Hz
 * (the way the call pipeline does). */
gint16 *bench_resample (const gint16 *samples, gsize n, guint from, guint to, gsize *n_out,
                        GError **error);

/* Word-level edit distance between @reference and @hypothesis, compared in
 * lower case without punctuation; the reference's word count in @n_words. */
guint bench_word_errors (const char *reference, const char *hypothesis, guint *n_words);

G_END_DECLS
