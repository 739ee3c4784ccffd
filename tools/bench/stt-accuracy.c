/* stt-accuracy.c — how well an STT plugin hears phone callers. Synthesises
 * what callers of a clinic or shop say (tools/bench/stt-corpus.c), sends it
 * through a phone line, runs each utterance as the first utterance of a new
 * session of the plugin, with and without the agent's expected phrases and
 * with other settings, and prints word error rate and sentence accuracy per
 * condition as a Markdown table; then what sessions cost (time, memory).
 *
 *   build/tools/bench/stt-accuracy [--plugin pocketsphinx] [--voices N] [--only TEXT]
 *                                  [--set KEY=VALUE]
 */
#include "plugin.h"
#include "settings.h"
#include "stt-corpus.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  const char *name;
  guint rate;            /* of the session */
  gboolean phone;        /* 8 kHz µ-law line (else wideband speech) */
  double snr_db;         /* noise on the line; 0 = none */
  gboolean phrases;      /* the agent's expected phrases given */
  const char *settings;  /* keyfile lines for the [stt:bench] group */
} Condition;

static const Condition conditions[] = {
  { "phone 8 kHz, phrases", 8000, TRUE, 0, TRUE, "" },
  { "phone 8 kHz, phrases, model's cmninit", 8000, TRUE, 0, TRUE,
    "cmninit=41.00,-5.29,-0.12,5.09,2.48,-4.07,-1.37,-1.78,-5.08,-2.05,-6.45,-1.42,1.17\n" },
  { "phone 8 kHz + noise 15 dB, phrases", 8000, TRUE, 15, TRUE, "" },
  { "phone resampled to 16 kHz, phrases", 16000, TRUE, 0, TRUE, "" },
  { "phone 8 kHz, phrases, one per utterance", 8000, TRUE, 0, TRUE,
    "phrases-per-utterance=1\n" },
  { "phone 8 kHz, no phrases (language model)", 8000, TRUE, 0, FALSE, "" },
  { "phone 8 kHz, no phrases, model's cmninit", 8000, TRUE, 0, FALSE,
    "cmninit=41.00,-5.29,-0.12,5.09,2.48,-4.07,-1.37,-1.78,-5.08,-2.05,-6.45,-1.42,1.17\n" },
  { "wideband 16 kHz, phrases", 16000, FALSE, 0, TRUE, "" },
  { "wideband 16 kHz, phrases, model's cmninit", 16000, FALSE, 0, TRUE,
    "cmninit-wideband=41.00,-5.29,-0.12,5.09,2.48,-4.07,-1.37,-1.78,-5.08,-2.05,-6.45,-1.42,1.17\n" },
  { "wideband 16 kHz, no phrases", 16000, FALSE, 0, FALSE, "" },
};

typedef struct {
  char *text;       /* of the last final */
  gboolean ended;
  char *error;
} Outcome;

static void on_partial (const char *text, gpointer data) { }

static void
on_final (const char *text, double confidence, gpointer data)
{
  Outcome *outcome = data;

  g_free (outcome->text);
  outcome->text = g_strdup (text);
}

static void
on_done (gpointer data)
{
  ((Outcome *) data)->ended = TRUE;
}

static void
on_error (const GError *error, gpointer data)
{
  Outcome *outcome = data;

  outcome->error = g_strdup (error->message);
  outcome->ended = TRUE;
}

static const TbSttCallbacks callbacks = { on_partial, on_final, on_done, on_error };

typedef struct {
  const TbPlugin *plugin;
  gpointer instance;
} Provider;

static gboolean
provider_open (Provider *p, const TbPlugin *plugin, const char *lines, GError **error)
{
  g_autofree char *text = g_strdup_printf ("[stt:bench]\n%s", lines);
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(TbProblems) problems = tb_problems_new (NULL, text);
  g_autoptr(GVariant) settings = NULL;

  if (!g_key_file_load_from_data (keyfile, text, -1, G_KEY_FILE_NONE, error))
    return FALSE;
  settings = tb_settings_from_group (keyfile, "stt:bench", plugin->desc->config_keys, NULL,
                                     problems);
  if (tb_problems_count (problems) > 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad settings: %s", lines);
    return FALSE;
  }
  p->plugin = plugin;
  p->instance = plugin->desc->instance_new (NULL, settings, error);
  return p->instance != NULL;
}

/* One session: @samples, then finish(); the last final's text. */
static char *
recognise (Provider *p, guint rate, const char *const *phrases, const gint16 *samples, gsize n,
           gint64 *elapsed_us)
{
  const TbSttVTable *stt = p->plugin->desc->vtable;
  TbSttParams params = { .sample_rate = rate, .language = "en-US", .phrases = phrases };
  Outcome outcome = { 0 };
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  TbSttSession *session = stt->session_new (p->instance, &params, &callbacks, &outcome, NULL,
                                            &error);
  gsize frame = rate / 50;

  if (!session) {
    g_printerr ("session_new: %s\n", error->message);
    return g_strdup ("");
  }
  for (gsize i = 0; i < n; i += frame)
    stt->push_audio (session, samples + i, MIN (frame, n - i));
  stt->finish (session);
  while (!outcome.ended)
    g_main_context_iteration (NULL, TRUE);
  stt->session_free (session);
  *elapsed_us += g_get_monotonic_time () - start;
  if (outcome.error)
    g_printerr ("error: %s\n", outcome.error);
  g_free (outcome.error);
  return outcome.text ? outcome.text : g_strdup ("");
}

typedef struct {
  gint16 *samples;
  gsize n;
} Audio;

/* Synthesised once: [voice][phrase] at 8 and 16 kHz. */
static GHashTable *audio_cache;

static const Audio *
speech (const BenchVoice *voice, const char *text, guint rate)
{
  g_autofree char *key = g_strdup_printf ("%s|%u|%s", voice->name, rate, text);
  Audio *audio = g_hash_table_lookup (audio_cache, key);
  g_autoptr(GError) error = NULL;

  if (audio)
    return audio;
  audio = g_new0 (Audio, 1);
  audio->samples = bench_synthesise (voice, text, rate, &audio->n, &error);
  if (!audio->samples)
    g_printerr ("%s: %s\n", voice->name, error->message);
  g_hash_table_insert (audio_cache, g_steal_pointer (&key), audio);
  return audio;
}

typedef struct {
  guint errors, words, sentences, right, expected_right, n_expected, combined_right, n_combined;
  gint64 decode_us;
  double audio_s;
} Score;

static void
run_condition (const TbPlugin *plugin, const Condition *c, const char *extra, guint n_voices,
               Score *score)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autofree char *lines = g_strconcat (extra ? extra : "", extra ? "\n" : "", c->settings, NULL);
  Provider p = { 0 };

  if (!provider_open (&p, plugin, lines, &error)) {
    g_printerr ("%s: %s\n", c->name, error->message);
    return;
  }
  for (guint v = 0; v < n_voices && bench_voices[v].name; v++) {
    for (guint set = 0; set < 2; set++) {
      const char *const *texts = set == 0 ? bench_expected : bench_combined;

      for (guint t = 0; texts[t]; t++) {
        const Audio *audio = speech (&bench_voices[v], texts[t], c->phone ? 8000 : c->rate);
        g_autofree gint16 *line = NULL;
        g_autofree char *heard = NULL;
        guint words = 0, errors;
        gsize n;

        if (!audio->samples)
          continue;
        line = g_memdup2 (audio->samples, audio->n * sizeof (gint16));
        n = audio->n;
        if (c->phone) {
          bench_phone_line (line, n, c->snr_db, rand);
          if (c->rate == 16000) {
            gint16 *wide = bench_resample (line, n, 8000, 16000, &n, &error);

            if (!wide) {
              g_printerr ("%s\n", error->message);
              return;
            }
            g_free (line);
            line = wide;
          }
        }
        heard = recognise (&p, c->rate, c->phrases ? bench_expected : NULL, line, n,
                           &score->decode_us);
        score->audio_s += (double) n / c->rate;
        errors = bench_word_errors (texts[t], heard, &words);
        score->errors += errors;
        score->words += words;
        score->sentences++;
        score->right += errors == 0;
        if (set == 0) {
          score->n_expected++;
          score->expected_right += errors == 0;
        } else {
          score->n_combined++;
          score->combined_right += errors == 0;
        }
        if (g_getenv ("BENCH_VERBOSE"))
          g_printerr ("[%s] %s | %s -> %s\n", c->name, bench_voices[v].name, texts[t], heard);
      }
    }
  }
  plugin->desc->instance_free (p.instance);
}

static double
percent (guint a, guint b)
{
  return b ? 100.0 * a / b : 0;
}

int
main (int argc, char **argv)
{
  g_autofree char *plugin_name = g_strdup ("pocketsphinx");
  g_autofree char *only = NULL;
  g_autofree char *extra = NULL;
  gint n_voices = G_MAXINT;
  GOptionEntry entries[] = {
    { "plugin", 0, 0, G_OPTION_ARG_STRING, &plugin_name, "STT plugin to measure", "NAME" },
    { "voices", 0, 0, G_OPTION_ARG_INT, &n_voices, "Use the first N voices only", "N" },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only, "Conditions whose name contains TEXT", "TEXT" },
    { "set", 0, 0, G_OPTION_ARG_STRING, &extra, "A setting for every condition (key=value)",
      "KEY=VALUE" },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("— STT accuracy on phone speech");
  g_autoptr(GError) error = NULL;
  g_autoptr(TbPluginRegistry) registry = NULL;
  g_autoptr(TbPluginScan) scan = NULL;
  g_auto(GStrv) dirs = NULL;
  const char *const build_dirs[] = { TB_BUILD_ROOT "/plugins", NULL };
  const TbPlugin *plugin;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  dirs = tb_plugin_search_path (build_dirs);
  registry = tb_plugin_registry_new (NULL);
  scan = tb_plugin_registry_scan (registry, (const char *const *) dirs);
  plugin = tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_STT, plugin_name);
  if (!plugin) {
    g_printerr ("no stt plugin '%s' in %s\n", plugin_name, build_dirs[0]);
    return 1;
  }
  audio_cache = g_hash_table_new (g_str_hash, g_str_equal);

  printf ("STT plugin '%s'; each utterance is the first of a new session.\n"
          "Expected phrases: %u; combined: %u utterances of expected words in new strings.\n\n",
          plugin_name, g_strv_length ((char **) bench_expected),
          g_strv_length ((char **) bench_combined));
  printf ("| condition | utterances | WER | sentence accuracy | expected phrases | combined "
          "| decoding (× real time) |\n|---|---|---|---|---|---|---|\n");
  for (guint i = 0; i < G_N_ELEMENTS (conditions); i++) {
    Score s = { 0 };

    if (only && !strstr (conditions[i].name, only))
      continue;
    run_condition (plugin, &conditions[i], extra, n_voices, &s);
    printf ("| %s | %u | %.1f %% | %.1f %% | %.1f %% | %.1f %% | %.3f |\n", conditions[i].name,
            s.sentences, percent (s.errors, s.words), percent (s.right, s.sentences),
            percent (s.expected_right, s.n_expected), percent (s.combined_right, s.n_combined),
            s.audio_s > 0 ? s.decode_us / 1e6 / s.audio_s : 0);
    fflush (stdout);
  }
  return 0;
}
