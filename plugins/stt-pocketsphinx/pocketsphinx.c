/* pocketsphinx.c — speech-to-text plugin "pocketsphinx": streaming
 * recognition with CMU PocketSphinx (Debian's 0.8+5prealpha and its en-US
 * model), on a thread per session. When the agent expects phrases, a
 * session recognises sequences of them (a JSGF grammar); otherwise it uses
 * the language model. 8 kHz phone audio is upsampled to the model's 16 kHz
 * and the cepstral means start from values measured on phone audio (16 kHz
 * sessions first measure whether they carry phone audio or wideband). */
#define G_LOG_DOMAIN "tb-stt-pocketsphinx"

#include "ps-engine.h"
#include "ps-session.h"

#include <talkingbits-plugin.h>
#include <string.h>

#define MODEL_DIR "/usr/share/pocketsphinx/model/en-us"

/* Measured with tools/bench/stt-accuracy: the mean cepstrum of espeak-ng and
 * flite speech through 8 kHz µ-law, upsampled (CMNINIT_PHONE), and of the
 * same voices at 16 kHz (CMNINIT_WIDEBAND). The model's own values (in its
 * feat.params: 41.00,-5.29,-0.12,5.09,2.48,-4.07,-1.37,-1.78,-5.08,-2.05,
 * -6.45,-1.42,1.17) suit its wideband training speech; on phone audio they
 * make the first utterance of a session mostly wrong. */
#define CMNINIT_PHONE "47.3,24.8,-29.0,46.8,-19.9,0.3,11.2,-27.6,15.0,-13.1,2.1,9.4,-13.0"
#define CMNINIT_WIDEBAND "48.1,-0.4,2.1,16.5,-2.9,-1.6,-1.6,-6.4,-0.1,-3.1,1.7,-1.0,1.6"

static const TbConfigKey ps_keys[] = {
  { .name = "model", .type = TB_CONFIG_TYPE_STRING, .default_value = MODEL_DIR "/en-us",
    .help = "Directory of the acoustic model (mdef, means, variances, feat.params ...)" },
  { .name = "dictionary", .type = TB_CONFIG_TYPE_STRING,
    .default_value = MODEL_DIR "/cmudict-en-us.dict",
    .help = "Pronunciation dictionary (CMU format); grammar words must be in it" },
  { .name = "language-model", .type = TB_CONFIG_TYPE_STRING,
    .default_value = MODEL_DIR "/en-us.lm.bin",
    .help = "N-gram language model for sessions without expected phrases" },
  { .name = "language", .type = TB_CONFIG_TYPE_STRING, .default_value = "en-US",
    .help = "Language of the model (BCP 47); sessions that ask for another language fail" },
  { .name = "cmninit", .type = TB_CONFIG_TYPE_STRING, .default_value = CMNINIT_PHONE,
    .help = "Initial cepstral means for 8 kHz (phone) audio: 13 comma-separated numbers "
            "(G_MESSAGES_DEBUG=tb-stt-pocketsphinx logs each session's own estimate)" },
  { .name = "cmninit-wideband", .type = TB_CONFIG_TYPE_STRING, .default_value = CMNINIT_WIDEBAND,
    .help = "Initial cepstral means for wideband 16 kHz audio: 13 comma-separated numbers" },
  { .name = "bandwidth", .type = TB_CONFIG_TYPE_CHOICE, .default_value = "auto",
    .choices = "auto|narrow|wide",
    .help = "What 16 kHz sessions carry: auto goes by the line's codec when the host says "
            "(G.711: phone audio), else measures each session's energy above 4 kHz; "
            "narrow: phone audio resampled (cmninit); wide: wideband speech (cmninit-wideband)" },
  { .name = "grammar", .type = TB_CONFIG_TYPE_CHOICE, .default_value = "auto",
    .choices = "auto|off",
    .help = "auto: recognise only the agent's expected phrases when it has some; "
            "off: always the open-vocabulary language model" },
  { .name = "phrases-per-utterance", .type = TB_CONFIG_TYPE_INT, .default_value = "3",
    .min = 1, .max = 8,
    .help = "How many expected phrases one utterance may string together "
            "('tomorrow' then 'at ten in the morning')" },
  { .name = "partial-interval-ms", .type = TB_CONFIG_TYPE_INT, .default_value = "200",
    .min = 50, .max = 10000,
    .help = "Least time between two partial results of an utterance" },
  { .name = "idle-decoders", .type = TB_CONFIG_TYPE_INT, .default_value = "2",
    .min = 0, .max = 64,
    .help = "Language-model decoders (about 95 MB each) kept loaded for the next sessions" },
  { NULL }
};

typedef struct {
  TbPsEngine *engine;
  char *language;
  gboolean grammar;
  guint phrases_per_utterance;
  gint64 partial_interval_us;
} PocketSphinx;

static gboolean
ps_init_plugin (const TbHost *host, GError **error)
{
  tb_ps_route_logging ();
  return TRUE;
}

static void
ps_shutdown (void)
{
  tb_ps_lexicon_unload_all ();
}

static gboolean
parse_means (const char *key, const char *text, float *means, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);

  if (g_strv_length (parts) != TB_PS_CEPSTRA)
    goto bad;
  for (guint i = 0; i < TB_PS_CEPSTRA; i++) {
    char *end = NULL;
    const char *number = g_strstrip (parts[i]);

    means[i] = g_ascii_strtod (number, &end);
    if (!*number || *end)
      goto bad;
  }
  return TRUE;

bad:
  g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
               "%s: expected %d comma-separated numbers, got '%s'", key, TB_PS_CEPSTRA, text);
  return FALSE;
}

static void ps_instance_free (gpointer instance);

static gpointer
ps_instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  TbPsEngineSettings engine = { 0 };
  const char *cmninit = NULL, *cmninit_wide = NULL, *grammar = NULL, *bandwidth = NULL;
  gint64 per_utterance = 3, interval_ms = 200, idle = 2;
  PocketSphinx *ps;

  g_variant_lookup (settings, "model", "&s", &engine.model);
  g_variant_lookup (settings, "dictionary", "&s", &engine.dictionary);
  g_variant_lookup (settings, "language-model", "&s", &engine.language_model);
  g_variant_lookup (settings, "cmninit", "&s", &cmninit);
  g_variant_lookup (settings, "cmninit-wideband", "&s", &cmninit_wide);
  g_variant_lookup (settings, "grammar", "&s", &grammar);
  g_variant_lookup (settings, "bandwidth", "&s", &bandwidth);
  g_variant_lookup (settings, "phrases-per-utterance", "x", &per_utterance);
  g_variant_lookup (settings, "partial-interval-ms", "x", &interval_ms);
  g_variant_lookup (settings, "idle-decoders", "x", &idle);
  if (!engine.model || !engine.dictionary || !engine.language_model || !cmninit || !cmninit_wide) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "model, dictionary, language-model, cmninit and cmninit-wideband must be set");
    return NULL;
  }
  if (!parse_means ("cmninit", cmninit, engine.cmninit, error) ||
      !parse_means ("cmninit-wideband", cmninit_wide, engine.cmninit_wideband, error))
    return NULL;
  engine.max_idle = CLAMP (idle, 0, 64);
  engine.bandwidth = g_strcmp0 (bandwidth, "narrow") == 0 ? TB_PS_BANDWIDTH_NARROW
                   : g_strcmp0 (bandwidth, "wide") == 0 ? TB_PS_BANDWIDTH_WIDE
                   : TB_PS_BANDWIDTH_AUTO;

  ps = g_new0 (PocketSphinx, 1);
  ps->engine = tb_ps_engine_new (&engine, error);
  if (!ps->engine) {
    ps_instance_free (ps);
    return NULL;
  }
  g_variant_lookup (settings, "language", "s", &ps->language);
  ps->grammar = g_strcmp0 (grammar, "off") != 0;
  ps->phrases_per_utterance = CLAMP (per_utterance, 1, 8);
  ps->partial_interval_us = CLAMP (interval_ms, 50, 10000) * 1000;
  return ps;
}

static void
ps_instance_free (gpointer instance)
{
  PocketSphinx *ps = instance;

  tb_ps_engine_free (ps->engine);
  g_free (ps->language);
  g_free (ps);
}

/* "en-GB" and "en-US" share "en". */
static gboolean
same_language (const char *a, const char *b)
{
  gsize la = strcspn (a, "-_"), lb = strcspn (b, "-_");

  return la == lb && g_ascii_strncasecmp (a, b, la) == 0;
}

static TbSttSession *
ps_session_new (gpointer instance, const TbSttParams *params, const TbSttCallbacks *callbacks,
                gpointer user_data, GCancellable *cancellable, GError **error)
{
  PocketSphinx *ps = instance;
  g_autoptr(TbPsGrammar) grammar = NULL;

  if (params->sample_rate != 8000 && params->sample_rate != 16000) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "pocketsphinx takes 8000 or 16000 Hz audio, not %u Hz", params->sample_rate);
    return NULL;
  }
  if (params->language && ps->language && *ps->language &&
      !same_language (params->language, ps->language)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "the pocketsphinx model is %s; it cannot recognise %s",
                 ps->language, params->language);
    return NULL;
  }
  if (ps->grammar && params->phrases && params->phrases[0]) {
    g_autoptr(GError) local = NULL;

    grammar = tb_ps_grammar_new (params->phrases, tb_ps_engine_get_lexicon (ps->engine),
                                 ps->phrases_per_utterance, &local);
    if (!grammar)
      g_warning ("no grammar (%s); using the language model", local->message);
  }
  return tb_ps_session_new (ps->engine, g_steal_pointer (&grammar), params->sample_rate,
                            params->line_rate,
                            ps->partial_interval_us, callbacks, user_data, cancellable);
}

static const TbSttVTable ps_vtable = {
  .version = TB_STT_VTABLE_VERSION,
  .session_new = ps_session_new,
  .push_audio = tb_ps_session_push_audio,
  .end_of_turn = tb_ps_session_end_of_turn,
  .finish = tb_ps_session_finish,
  .session_free = tb_ps_session_free,
};

static const TbPluginDesc ps_desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_STT,
  .name = "pocketsphinx",
  .version = "0.1.0",
  .description = "Offline streaming speech recognition (CMU PocketSphinx), "
                 "snapping to the agent's expected phrases",
  .license = "LGPL-2.1-or-later",
  .config_keys = ps_keys,
  .init = ps_init_plugin,
  .shutdown = ps_shutdown,
  .instance_new = ps_instance_new,
  .instance_free = ps_instance_free,
  .vtable = &ps_vtable,
};

TB_PLUGIN_DEFINE (ps_desc)
