/* ps-engine.c — decoders for sessions. pocketsphinx 0.8+5prealpha (Debian
 * 12) cannot share an acoustic model between decoders, so a grammar session
 * gets a decoder of its own whose dictionary holds only the grammar's words
 * (measured: 7 ms and 5.4 MB, against 90 ms and 28 MB with the full
 * dictionary), built from the dictionary this process read once; decoders
 * with the language model (+150 ms, +65 MB) are kept in a pool. */
#define G_LOG_DOMAIN "tb-stt-pocketsphinx"

#include "ps-engine.h"

#include <talkingbits-plugin.h>
#include <sphinxbase/err.h>
#include <sphinxbase/feat.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/jsgf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct _TbPsEngine {
  TbPsEngineSettings settings;
  const TbPsLexicon *lexicon;

  GMutex lock;
  GCond threads_ended;
  guint n_threads;
  GQueue idle_lm;  /* ps_decoder_t * with the language model */
};

G_GNUC_PRINTF (3, 4)
static void
log_sphinx (void *user_data, err_lvl_t level, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  if (level != ERR_WARN && level != ERR_ERROR && level != ERR_FATAL)
    return;
  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_strchomp (text);
  /* Speech that fits no phrase of a grammar, or an utterance with no
   * speech, is no error of ours. */
  if (level == ERR_WARN || strstr (text, "does not match the grammar") ||
      strstr (text, "Couldn't find <s> in first frame"))
    g_debug ("pocketsphinx: %s", text);
  else
    g_message ("pocketsphinx: %s", text);
}

void
tb_ps_route_logging (void)
{
  err_set_logfp (NULL);  /* no dump of the whole configuration on stderr */
  err_set_callback (log_sphinx, NULL);
}

static ps_decoder_t *
decoder_new (const TbPsEngineSettings *settings, const char *dictionary,
             const char *language_model, GError **error)
{
  const char *argv[] = {
    "-hmm", settings->model, "-dict", dictionary,
    language_model ? "-lm" : NULL, language_model, NULL
  };
  cmd_ln_t *config;
  ps_decoder_t *decoder;

  config = cmd_ln_parse_r (NULL, ps_args (), g_strv_length ((char **) argv), (char **) argv, FALSE);
  decoder = config ? ps_init (config) : NULL;
  cmd_ln_free_r (config);
  if (!decoder)
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "pocketsphinx could not load the model in %s%s%s", settings->model,
                 language_model ? " with the language model " : "",
                 language_model ? language_model : "");
  return decoder;
}

/* ps_set_jsgf_string() of Debian's 0.8+5prealpha never frees the parsed
 * grammar (fixed upstream in 2016): the same steps, with the free. */
static gboolean
set_grammar (ps_decoder_t *decoder, const char *jsgf_text)
{
  jsgf_t *jsgf = jsgf_parse_string (jsgf_text, NULL);
  jsgf_rule_t *rule = jsgf ? jsgf_get_public_rule (jsgf) : NULL;
  fsg_model_t *fsg = NULL;
  gboolean ok = FALSE;

  if (rule) {
    fsg = jsgf_build_fsg (jsgf, rule, ps_get_logmath (decoder),
                          cmd_ln_float32_r (ps_get_config (decoder), "-lw"));
    ok = fsg && ps_set_fsg (decoder, "tb", fsg) >= 0 && ps_set_search (decoder, "tb") >= 0;
  }
  if (fsg)
    fsg_model_free (fsg);
  if (jsgf)
    jsgf_grammar_free (jsgf);
  return ok;
}

static ps_decoder_t *
grammar_decoder_new (TbPsEngine *engine, const TbPsGrammar *grammar, GError **error)
{
  ps_decoder_t *decoder = decoder_new (&engine->settings, "/dev/null", NULL, error);

  if (!decoder || !grammar)
    return decoder;
  for (guint i = 0; i < grammar->words->len; i++) {
    const char *word = g_ptr_array_index (grammar->words, i);
    const GPtrArray *prons = tb_ps_lexicon_lookup (engine->lexicon, word);

    for (guint p = 0; p < prons->len; p++) {
      g_autofree char *name = p == 0 ? g_strdup (word) : g_strdup_printf ("%s(%u)", word, p + 1);

      if (ps_add_word (decoder, name, g_ptr_array_index (prons, p), FALSE) < 0)
        g_debug ("'%s' /%s/: not added (a phone the model lacks?)", name,
                 (const char *) g_ptr_array_index (prons, p));
    }
  }
  if (!set_grammar (decoder, grammar->jsgf)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "pocketsphinx refused the grammar of %u phrases", grammar->n_phrases);
    ps_free (decoder);
    return NULL;
  }
  return decoder;
}

TbPsEngine *
tb_ps_engine_new (const TbPsEngineSettings *settings, GError **error)
{
  g_autofree char *mdef = g_build_filename (settings->model, "mdef", NULL);
  g_autoptr(GError) local = NULL;
  TbPsEngine *engine;
  ps_decoder_t *probe;

  if (!g_file_test (settings->model, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "model: no acoustic model directory at %s", settings->model);
    return NULL;
  }
  if (!g_file_test (mdef, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "model: %s has no mdef file: not a pocketsphinx acoustic model", settings->model);
    return NULL;
  }
  if (!g_file_test (settings->language_model, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "language-model: no such file %s", settings->language_model);
    return NULL;
  }
  engine = g_new0 (TbPsEngine, 1);
  engine->settings = *settings;
  engine->settings.model = g_strdup (settings->model);
  engine->settings.dictionary = g_strdup (settings->dictionary);
  engine->settings.language_model = g_strdup (settings->language_model);
  g_mutex_init (&engine->lock);
  g_cond_init (&engine->threads_ended);
  g_queue_init (&engine->idle_lm);

  engine->lexicon = tb_ps_lexicon_get (settings->dictionary, error);
  probe = engine->lexicon ? grammar_decoder_new (engine, NULL, &local) : NULL;
  if (!probe) {
    if (local)
      g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG, "model: %s", local->message);
    tb_ps_engine_free (engine);
    return NULL;
  }
  ps_free (probe);
  return engine;
}

void
tb_ps_engine_free (TbPsEngine *engine)
{
  ps_decoder_t *decoder;

  if (!engine)
    return;
  g_mutex_lock (&engine->lock);
  while (engine->n_threads > 0)
    g_cond_wait (&engine->threads_ended, &engine->lock);
  g_mutex_unlock (&engine->lock);
  while ((decoder = g_queue_pop_head (&engine->idle_lm)))
    ps_free (decoder);
  g_mutex_clear (&engine->lock);
  g_cond_clear (&engine->threads_ended);
  g_free (engine->settings.model);
  g_free (engine->settings.dictionary);
  g_free (engine->settings.language_model);
  g_free (engine);
}

const TbPsLexicon *
tb_ps_engine_get_lexicon (TbPsEngine *engine)
{
  return engine->lexicon;
}

TbPsBandwidth
tb_ps_engine_get_bandwidth (TbPsEngine *engine)
{
  return engine->settings.bandwidth;
}

/* (The model's feat.params overrides a -cmninit argument, so the means are
 * set here.) */
void
tb_ps_engine_reset_decoder (TbPsEngine *engine, ps_decoder_t *decoder, gboolean narrowband)
{
  const float *means = narrowband ? engine->settings.cmninit : engine->settings.cmninit_wideband;
  cmn_t *cmn = ps_get_feat (decoder)->cmn_struct;

  ps_start_stream (decoder);
  if (!cmn)
    return;
  for (int i = 0; i < cmn->veclen && i < TB_PS_CEPSTRA; i++) {
    cmn->cmn_mean[i] = FLOAT2MFCC (means[i]);
    cmn->sum[i] = 0;
  }
  cmn->nframe = 0;
}

ps_decoder_t *
tb_ps_engine_take_decoder (TbPsEngine *engine, const TbPsGrammar *grammar, GError **error)
{
  ps_decoder_t *decoder = NULL;

  if (grammar) {
    decoder = grammar_decoder_new (engine, grammar, error);
  } else {
    g_mutex_lock (&engine->lock);
    decoder = g_queue_pop_head (&engine->idle_lm);
    g_mutex_unlock (&engine->lock);
    if (!decoder)
      decoder = decoder_new (&engine->settings, engine->settings.dictionary,
                             engine->settings.language_model, error);
  }
  return decoder;
}

void
tb_ps_engine_return_decoder (TbPsEngine *engine, ps_decoder_t *decoder, gboolean grammar)
{
  if (!grammar) {
    g_mutex_lock (&engine->lock);
    if (engine->idle_lm.length < engine->settings.max_idle) {
      g_queue_push_tail (&engine->idle_lm, decoder);
      decoder = NULL;
    }
    g_mutex_unlock (&engine->lock);
  }
  if (decoder)
    ps_free (decoder);
}

void
tb_ps_engine_thread_started (TbPsEngine *engine)
{
  g_mutex_lock (&engine->lock);
  engine->n_threads++;
  g_mutex_unlock (&engine->lock);
}

void
tb_ps_engine_thread_ended (TbPsEngine *engine)
{
  g_mutex_lock (&engine->lock);
  if (--engine->n_threads == 0)
    g_cond_broadcast (&engine->threads_ended);
  g_mutex_unlock (&engine->lock);
}

char *
tb_ps_decoder_describe_cmn (ps_decoder_t *decoder)
{
  cmn_t *cmn = ps_get_feat (decoder)->cmn_struct;
  GString *text = g_string_new (NULL);

  for (int i = 0; cmn && i < cmn->veclen; i++) {
    char number[G_ASCII_DTOSTR_BUF_SIZE];

    g_ascii_formatd (number, sizeof number, "%.2f", MFCC2FLOAT (cmn->cmn_mean[i]));
    g_string_append_printf (text, "%s%s", i ? "," : "", number);
  }
  return g_string_free (text, FALSE);
}
