/* test-dialog.c — the conversation engine's parts alone: the sentence
 * splitter on streamed text, voice activity detection and endpointing on
 * synthetic audio (speech with pauses, a noise floor that changes), and
 * checking tool arguments against JSON schemas. */
#include "schema.h"
#include "sentences.h"
#include "vad.h"

#include <math.h>
#include <string.h>

/* ---- sentences ---------------------------------------------------------- */

static void
collect (const char *sentence, gpointer user_data)
{
  g_ptr_array_add (user_data, g_strdup (sentence));
}

/* Feeds @text in pieces of @step bytes; returns the sentences joined by '|'. */
static char *
split (const char *text, gsize step)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TbSentences) sentences = tb_sentences_new (collect, out);
  gsize len = strlen (text);

  for (gsize i = 0; i < len; i += step) {
    g_autofree char *piece = g_strndup (text + i, MIN (step, len - i));

    tb_sentences_push (sentences, piece);
  }
  tb_sentences_flush (sentences);
  g_ptr_array_add (out, NULL);
  return g_strjoinv ("|", (char **) out->pdata);
}

static void
test_sentences (void)
{
  const struct { const char *text, *expected; } cases[] = {
    { "Hello. How can I help?", "Hello.|How can I help?" },
    { "Dr. Smith sees you at 10:30 tomorrow. Is that fine?",
      "Dr. Smith sees you at 10:30 tomorrow.|Is that fine?" },
    { "It costs 3.50 dollars, i.e. cheap. Thanks!", "It costs 3.50 dollars, i.e. cheap.|Thanks!" },
    { "We open at 9 a.m. and close at 5 p.m. See you then.",
      "We open at 9 a.m. and close at 5 p.m.|See you then." },
    { "Wait... What? Really?! Yes.", "Wait...|What?|Really?!|Yes." },
    { "Mrs. J. Doe lives on Main St. near the park.", "Mrs. J. Doe lives on Main St. near the park." },
    { "Line one\nLine two", "Line one|Line two" },
    { "No end", "No end" },
    { "\"Quoted.\" Next one.", "\"Quoted.\"|Next one." },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    /* Whole, and streamed in pieces of every size: the same cut. */
    for (gsize step = 1; step <= strlen (cases[i].text); step += (step < 4 ? 1 : 7)) {
      g_autofree char *got = split (cases[i].text, step);

      if (g_strcmp0 (got, cases[i].expected) != 0)
        g_error ("'%s' in pieces of %" G_GSIZE_FORMAT ": got '%s', expected '%s'",
                 cases[i].text, step, got, cases[i].expected);
    }
  }
}

/* A sentence is handed on as soon as the next word begins, not at the end. */
static void
test_sentences_stream (void)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TbSentences) sentences = tb_sentences_new (collect, out);

  tb_sentences_push (sentences, "Your appointment is booked.");
  g_assert_cmpuint (out->len, ==, 0);   /* "booked." might be "booked.com" */
  tb_sentences_push (sentences, " ");
  g_assert_cmpuint (out->len, ==, 0);
  tb_sentences_push (sentences, "Anything");
  g_assert_cmpuint (out->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (out, 0), ==, "Your appointment is booked.");
  tb_sentences_push (sentences, " else?");
  tb_sentences_flush (sentences);
  g_assert_cmpuint (out->len, ==, 2);
}

/* ---- voice activity ----------------------------------------------------- */

#define RATE 8000
#define FRAME (RATE / 50)

typedef struct {
  GRand *rand;
  double noise;       /* RMS of the line noise */
} Line;

/* One 20 ms frame: noise, plus a 200 Hz + 700 Hz "voice" when @speech
 * (for @voiced of its samples, from its start). */
static void
frame_part (Line *line, gint16 *out, gboolean speech, guint index, guint voiced)
{
  for (guint i = 0; i < FRAME; i++) {
    double t = (double) (index * FRAME + i) / RATE;
    double v = line->noise * (g_rand_double (line->rand) * 2 - 1) * 1.7;

    if (speech && i < voiced)
      v += 3000 * sin (2 * G_PI * 200 * t) + 1500 * sin (2 * G_PI * 700 * t);
    out[i] = (gint16) CLAMP (v, -32768, 32767);
  }
}

static void
frame (Line *line, gint16 *out, gboolean speech, guint index)
{
  frame_part (line, out, speech, index, FRAME);
}

/* After frame @index (heard at its end, (index + 1) * 20 ms): whether the
 * speech ends before the next frame, as the conversation declares it
 * (at once, or on a timer); then *@at_us is when, and the end is taken. */
static gboolean
ends_by_next_frame (TbVad *vad, guint index, guint endpoint_ms, gint64 *at_us)
{
  gint64 heard = (gint64) (index + 1) * 20000;
  gint64 due = tb_vad_end_due_us (vad, heard, endpoint_ms);

  if (due < 0 || due >= heard + 20000)
    return FALSE;
  *at_us = MAX (due, heard);
  tb_vad_end (vad);
  return TRUE;
}

/* Runs @pattern ('s' speech, '.' silence, 'e' a frame whose first 4 ms are
 * speech, 20 ms each) through the detector; returns the events as a
 * string: '^' start, '$' end, at their frame; *@end_us, when given, is
 * when the last end was declared (from the first frame's start). */
static char *
detect_at (const char *pattern, double noise, guint endpoint_ms, gint64 *end_us)
{
  Line line = { g_rand_new_with_seed (7), noise };
  GString *events = g_string_new (NULL);
  TbVad vad;
  gint16 samples[FRAME];
  gint64 at = -1;

  tb_vad_init (&vad);
  for (guint i = 0; pattern[i]; i++) {
    TbVadEvent event;

    frame_part (&line, samples, pattern[i] != '.', i, pattern[i] == 'e' ? FRAME / 5 : FRAME);
    event = tb_vad_push (&vad, samples, FRAME);
    g_string_append_c (events, event == TB_VAD_SPEECH_START ? '^'
                               : ends_by_next_frame (&vad, i, endpoint_ms, &at) ? '$' : ' ');
  }
  g_rand_free (line.rand);
  if (end_us)
    *end_us = at;
  return g_string_free (events, FALSE);
}

static char *
detect (const char *pattern, double noise, guint endpoint_ms)
{
  return detect_at (pattern, noise, endpoint_ms, NULL);
}

static void
test_vad_endpointing (void)
{
  /* 1 s of line, 0.6 s of speech, a 0.3 s pause (shorter than the 500 ms
   * endpoint: the same turn), 0.4 s more, then silence. */
  const char *pattern = "..................................................ssssssssssssssssssssssssssssss"
                        "...............ssssssssssssssssssss..................................";
  gint64 end_us = 0;
  g_autofree char *events = detect_at (pattern, 100, 500, &end_us);
  const char *start = strchr (events, '^');
  const char *end = strchr (events, '$');
  guint speech_start = strchr (pattern, 's') - pattern;
  guint last_speech = strrchr (pattern, 's') - pattern;

  g_assert_nonnull (start);
  g_assert_nonnull (end);
  /* Detected within 60 ms of the onset; one turn only. */
  g_assert_cmpint (start - events, >=, speech_start);
  g_assert_cmpint (start - events, <=, speech_start + 3);
  g_assert_null (strchr (start + 1, '^'));
  /* Ended 500 ms (25 frames) after the last speech, as that frame came. */
  g_assert_cmpint (end - events, ==, last_speech + 25);
  g_assert_cmpint (end_us, ==, (gint64) (last_speech + 1) * 20000 + 500000);
  g_assert_null (strchr (end + 1, '$'));
}

/* Speech that ends 4 ms into a frame: the silence is counted from there
 * (to 2 ms), and the end declared 500 ms later, between two frames: after
 * the 24th frame past that one (480 ms of its silence heard), not at the
 * 25th (516 ms). */
static void
test_vad_endpoint_inside_frame (void)
{
  const char *pattern = "..................................................ssssssssssssssssssssssssssssse"
                        "....................................";
  gint64 end_us = 0;
  g_autofree char *events = detect_at (pattern, 100, 500, &end_us);
  const char *end = strchr (events, '$');
  guint last = strrchr (pattern, 'e') - pattern;

  g_assert_nonnull (strchr (events, '^'));
  g_assert_nonnull (end);
  g_assert_cmpint (end - events, ==, last + 24);
  g_assert_cmpint (end_us, ==, (gint64) last * 20000 + 4000 + 500000);
}

static void
test_vad_noise_floor (void)
{
  /* A noisy line (RMS 1000, about -30 dBFS) without speech: nothing. */
  g_autofree char *noise_only = detect ("...................................................."
                                        "....................................................", 1000, 500);
  /* Speech 16 dB above a noisy line (RMS 400) is still found. */
  g_autofree char *speech = detect ("...................................................."
                                    "ssssssssssssssssssssssss.............................", 400, 300);

  g_assert_null (strchr (noise_only, '^'));
  g_assert_nonnull (strchr (speech, '^'));
  g_assert_nonnull (strchr (speech, '$'));
  /* A quiet line that turns noisy: at most a short false turn, which ends
   * as the floor follows the noise. */
  {
    Line line = { g_rand_new_with_seed (3), 50 };
    TbVad vad;
    gint16 samples[FRAME];
    guint starts = 0, ends = 0;
    gint64 at;

    tb_vad_init (&vad);
    for (guint i = 0; i < 50 * 12; i++) {
      line.noise = i < 100 ? 50 : 1500;
      frame (&line, samples, FALSE, i);
      starts += tb_vad_push (&vad, samples, FRAME) == TB_VAD_SPEECH_START;
      ends += ends_by_next_frame (&vad, i, 500, &at);
    }
    g_assert_cmpuint (starts, <=, 1);
    g_assert_cmpuint (ends, ==, starts);
    g_assert_false (vad.in_speech);
    g_rand_free (line.rand);
  }
  /* Clicks shorter than 60 ms are not speech. */
  {
    g_autofree char *clicks = detect ("..........s.....ss.....s......ss..........", 50, 300);

    g_assert_null (strchr (clicks, '^'));
  }
}

static void
test_endpointing_stretch (void)
{
  g_assert_cmpuint (tb_vad_endpoint_ms (700, NULL), ==, 700);
  g_assert_cmpuint (tb_vad_endpoint_ms (700, "I would like to book an appointment"), ==, 700);
  g_assert_cmpuint (tb_vad_endpoint_ms (700, "at ten and"), ==, 1400);
  g_assert_cmpuint (tb_vad_endpoint_ms (700, "I want to"), ==, 1400);
  g_assert_cmpuint (tb_vad_endpoint_ms (700, "on Tuesday, "), ==, 1400);
  g_assert_cmpuint (tb_vad_endpoint_ms (700, "Um"), ==, 1400);
  /* At most 800 ms more. */
  g_assert_cmpuint (tb_vad_endpoint_ms (1500, "for the"), ==, 2300);
}

static void
test_vad_level (void)
{
  gint16 silence[FRAME] = { 0 };
  gint16 full[FRAME];

  for (guint i = 0; i < FRAME; i++)
    full[i] = i % 2 ? 32767 : -32767;
  g_assert_cmpfloat (tb_vad_level_db (silence, FRAME), ==, -100.0);
  g_assert_cmpfloat (fabs (tb_vad_level_db (full, FRAME)), <, 0.01);
}

/* ---- tool arguments ----------------------------------------------------- */

static const char booking_schema[] =
  "{\"type\":\"object\",\"properties\":{"
  "\"day\":{\"type\":\"string\",\"pattern\":\"^[0-9]{4}-[0-9]{2}-[0-9]{2}$\"},"
  "\"time\":{\"type\":\"string\"},"
  "\"people\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":8},"
  "\"kind\":{\"enum\":[\"checkup\",\"cleaning\"]},"
  "\"notes\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},"
  "\"required\":[\"day\",\"time\"],\"additionalProperties\":false}";

static void
test_schema (void)
{
  const struct { const char *arguments, *problem; } cases[] = {
    { "{\"day\":\"2026-11-25\",\"time\":\"10:00\"}", NULL },
    { "{\"day\":\"2026-11-25\",\"time\":\"10:00\",\"people\":2,\"kind\":\"checkup\","
      "\"notes\":[\"first visit\"]}", NULL },
    { "{\"time\":\"10:00\"}", "missing required argument 'day'" },
    { "{\"day\":\"\",\"time\":\"10:00\"}", "missing required argument 'day'" },
    { "{\"day\":null,\"time\":\"10:00\"}", "missing required argument 'day'" },
    { "{\"day\":\"tomorrow\",\"time\":\"10:00\"}", "argument 'day' 'tomorrow' is not in the expected form" },
    { "{\"day\":\"2026-11-25\",\"time\":10}", "argument 'time' must be a string" },
    { "{\"day\":\"2026-11-25\",\"time\":\"10:00\",\"people\":9}", "argument 'people' is above 8" },
    { "{\"day\":\"2026-11-25\",\"time\":\"10:00\",\"people\":1.5}", "argument 'people' must be an integer" },
    { "{\"day\":\"2026-11-25\",\"time\":\"10:00\",\"kind\":\"surgery\"}",
      "argument 'kind' must be one of \"checkup\", \"cleaning\"" },
    { "{\"day\":\"2026-11-25\",\"time\":\"10:00\",\"room\":4}", "unknown argument 'room'" },
    { "{\"day\":\"2026-11-25\",\"time\":\"10:00\",\"notes\":[3]}", "argument 'notes'[0] must be a string" },
    { "[1,2]", "the arguments are not a JSON object" },
    { "{not json", "the arguments are not a JSON object" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *problem = NULL;
    gboolean ok = tb_dialog_schema_check (booking_schema, cases[i].arguments, &problem);

    g_assert_cmpint (ok, ==, cases[i].problem == NULL);
    g_assert_cmpstr (problem, ==, cases[i].problem);
  }
  /* Empty arguments are an empty object; sloppy schemas do not crash. */
  {
    g_autofree char *problem = NULL;

    g_assert_true (tb_dialog_schema_check ("{\"type\":\"object\"}", "", &problem));
    g_assert_true (tb_dialog_schema_check ("{\"required\":\"day\",\"properties\":[1],"
                                           "\"enum\":3,\"type\":7}", "{\"day\":1}", &problem));
    g_assert_false (tb_dialog_schema_check ("not a schema", "{}", &problem));
    g_assert_nonnull (strstr (problem, "schema"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dialog/sentences", test_sentences);
  g_test_add_func ("/dialog/sentences-stream", test_sentences_stream);
  g_test_add_func ("/dialog/vad-endpointing", test_vad_endpointing);
  g_test_add_func ("/dialog/vad-endpoint-inside-frame", test_vad_endpoint_inside_frame);
  g_test_add_func ("/dialog/vad-noise-floor", test_vad_noise_floor);
  g_test_add_func ("/dialog/endpointing-stretch", test_endpointing_stretch);
  g_test_add_func ("/dialog/vad-level", test_vad_level);
  g_test_add_func ("/dialog/schema", test_schema);
  return g_test_run ();
}
