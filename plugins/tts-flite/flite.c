/* flite.c — TTS plugin "flite": US English speech from CMU Flite on this
 * machine, with the voices linked in (slt, kal, kal16, rms, awb). The text
 * is spoken a sentence at a time, and flite's streaming callback hands each
 * waveform over in pieces of about 50 ms while it is being generated; they
 * reach the caller as they come, resampled to the requested rate
 * (tts-stream). Voices are shared and flite reports fatal errors through one
 * global jump buffer, so one lock serialises every synthesis of the
 * process. */
#define G_LOG_DOMAIN "tb-tts-flite"

#include <talkingbits-plugin.h>
#include "tts-stream.h"

#include <flite.h>
#include <setjmp.h>
#include <string.h>

/* The smallest piece the streaming callback gets, in samples. */
#define FLITE_CHUNK_SAMPLES 800

/* flite's voice libraries declare their registration functions nowhere. */
cst_voice *register_cmu_us_slt (const char *voxdir);
cst_voice *register_cmu_us_kal (const char *voxdir);
cst_voice *register_cmu_us_kal16 (const char *voxdir);
cst_voice *register_cmu_us_rms (const char *voxdir);
cst_voice *register_cmu_us_awb (const char *voxdir);

typedef struct {
  const char *name;
  cst_voice *(*register_voice) (const char *voxdir);
  cst_voice *voice;     /* registered once, in init() */
} FliteVoice;

static FliteVoice flite_voices[] = {
  { "slt", register_cmu_us_slt, NULL },
  { "kal", register_cmu_us_kal, NULL },
  { "kal16", register_cmu_us_kal16, NULL },
  { "rms", register_cmu_us_rms, NULL },
  { "awb", register_cmu_us_awb, NULL },
};

typedef struct {
  const FliteVoice *voice;
  double duration_stretch;
} Flite;

typedef struct {
  char *text;
  const FliteVoice *voice;
  double duration_stretch;
  TbTtsStream *stream;
  gboolean stopped;
} FliteJob;

/* Held around every synthesis. */
static GMutex flite_lock;

static const TbConfigKey flite_keys[] = {
  { .name = "voice", .type = TB_CONFIG_TYPE_STRING, .default_value = "slt",
    .help = "Flite voice: slt (female), rms (male), awb (Scottish male), kal or kal16 "
            "(male, diphone); a request's voice overrides it" },
  { .name = "duration-stretch", .type = TB_CONFIG_TYPE_DOUBLE, .default_value = "1.0",
    .help = "Length of speech at a request rate of 1.0: above 1 slower, below 1 faster",
    .min = 0.25, .max = 4.0 },
  { NULL }
};

static gboolean
flite_init_plugin (const TbHost *host, GError **error)
{
  static gsize registered = 0;

  if (!tb_tts_stream_init (error))
    return FALSE;
  if (g_once_init_enter (&registered)) {
    g_mutex_lock (&flite_lock);
    flite_init ();
    for (guint i = 0; i < G_N_ELEMENTS (flite_voices); i++)
      flite_voices[i].voice = flite_voices[i].register_voice (NULL);
    g_mutex_unlock (&flite_lock);
    g_once_init_leave (&registered, 1);
  }
  return TRUE;
}

static void
flite_shutdown (void)
{
  tb_tts_stream_wait_all ();
}

static const FliteVoice *
flite_find_voice (const char *name, GError **error)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (flite_voices); i++) {
    if (g_ascii_strcasecmp (name, flite_voices[i].name) == 0 && flite_voices[i].voice)
      return &flite_voices[i];
    g_string_append_printf (names, "%s%s", i ? ", " : "", flite_voices[i].name);
  }
  g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
               "unknown flite voice '%s' (voices: %s)", name, names->str);
  return NULL;
}

static gpointer
flite_instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  const char *name = "slt";
  double stretch = 1.0;
  const FliteVoice *voice;
  Flite *flite;

  g_variant_lookup (settings, "voice", "&s", &name);
  g_variant_lookup (settings, "duration-stretch", "d", &stretch);
  voice = flite_find_voice (name, error);
  if (!voice) {
    g_prefix_error (error, "voice: ");
    return NULL;
  }
  if (stretch < 0.25 || stretch > 4.0) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "duration-stretch: %g is outside 0.25 to 4", stretch);
    return NULL;
  }
  flite = g_new0 (Flite, 1);
  flite->voice = voice;
  flite->duration_stretch = stretch;
  return flite;
}

static void
flite_instance_free (gpointer instance)
{
  g_free (instance);
}

static void
flite_job_free (gpointer data)
{
  FliteJob *job = data;

  g_free (job->text);
  g_free (job);
}

/* flite's streaming callback, on the stream's thread while the waveform of
 * an utterance is generated: samples [start, start + size) of @wave are new. */
static int
flite_chunk (const cst_wave *wave, int start, int size, int last, cst_audio_streaming_info *asi)
{
  FliteJob *job = asi->userdata;

  if (size > 0 && !tb_tts_stream_push (job->stream, wave->samples + start, size,
                                       wave->sample_rate))
    job->stopped = TRUE;
  else if (tb_tts_stream_is_cancelled (job->stream))
    job->stopped = TRUE;
  return job->stopped ? CST_AUDIO_STREAM_STOP : CST_AUDIO_STREAM_CONT;
}

/* Synthesises the tokens of @utterance with the streaming callback and the
 * stretch as features of the utterance, not of the shared voice; frees it. */
static void
flite_speak (FliteJob *job, cst_utterance *utterance)
{
  cst_audio_streaming_info *asi = new_audio_streaming_info ();

  asi->min_buffsize = FLITE_CHUNK_SAMPLES;
  asi->asc = flite_chunk;
  asi->userdata = job;
  utt_init (utterance, job->voice->voice);
  /* The utterance's features own asi from here on. */
  feat_set (utterance->features, "streaming_info", audio_streaming_info_val (asi));
  feat_set_float (utterance->features, "duration_stretch", (float) job->duration_stretch);
  utt_synth_tokens (utterance);
  delete_utterance (utterance);
}

/* The text as flite_ts_to_speech() reads a file: tokens gathered into
 * utterances where the voice's break function says a sentence ends, each
 * synthesised before the next is read, so the first sentence is heard
 * while the others are still to be analysed. */
static void
flite_run (FliteJob *job)
{
  const cst_features *features = job->voice->voice->features;
  cst_breakfunc utt_break = default_utt_break;
  cst_tokenstream *ts;
  cst_utterance *utterance;
  cst_relation *tokens;
  int n_tokens = 0;

  ts = ts_open_string (job->text,
                       get_param_string (features, "text_whitespace", NULL),
                       get_param_string (features, "text_singlecharsymbols", NULL),
                       get_param_string (features, "text_prepunctuation", NULL),
                       get_param_string (features, "text_postpunctuation", NULL));
  if (!ts)
    return;
  if (feat_present (features, "utt_break"))
    utt_break = val_breakfunc (feat_val (features, "utt_break"));

  utterance = new_utterance ();
  tokens = utt_relation_create (utterance, "Token");
  while (!job->stopped && (!ts_eof (ts) || n_tokens > 0)) {
    const char *token = ts_get (ts);
    cst_item *item;

    if (cst_strlen (token) == 0 || n_tokens > 500 ||
        (relation_head (tokens) && utt_break (ts, token, tokens))) {
      flite_speak (job, g_steal_pointer (&utterance));
      if (ts_eof (ts) || job->stopped)
        break;
      utterance = new_utterance ();
      tokens = utt_relation_create (utterance, "Token");
      n_tokens = 0;
    }
    n_tokens++;
    item = relation_append (tokens, NULL);
    item_set_string (item, "name", token);
    item_set_string (item, "whitespace", ts->whitespace);
    item_set_string (item, "prepunctuation", ts->prepunctuation);
    item_set_string (item, "punc", ts->postpunctuation);
  }
  if (utterance)
    delete_utterance (utterance);
  ts_close (ts);
}

/* flite_run(), with flite's fatal errors (cst_error(), which exits unless a
 * jump buffer is set) turned into FALSE. What flite had allocated then is
 * lost. */
static gboolean
flite_run_guarded (FliteJob *job)
{
  jmp_buf jump;

  cst_errjmp = &jump;
  if (setjmp (jump) != 0) {
    cst_errjmp = NULL;
    return FALSE;
  }
  flite_run (job);
  cst_errjmp = NULL;
  return TRUE;
}

/* On the stream's thread. */
static gboolean
flite_synth (TbTtsStream *stream, gpointer data, GError **error)
{
  FliteJob *job = data;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&flite_lock);

  if (tb_tts_stream_is_cancelled (stream))
    return tb_tts_stream_set_cancelled (error);
  job->stream = stream;
  if (!flite_run_guarded (job)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "flite failed to synthesise the text");
    return FALSE;
  }
  if (job->stopped)
    return tb_tts_stream_set_cancelled (error);
  return TRUE;
}

static void
flite_synthesize (gpointer instance, const TbTtsRequest *request,
                  const TbTtsCallbacks *callbacks, gpointer user_data,
                  GCancellable *cancellable)
{
  Flite *flite = instance;
  const FliteVoice *voice = flite->voice;
  double rate = request->rate > 0 ? request->rate : 1.0;
  GError *error = NULL;
  FliteJob *job;

  if (request->voice && *request->voice && !(voice = flite_find_voice (request->voice, &error))) {
    tb_tts_stream_fail (callbacks, user_data, cancellable, error);
    return;
  }
  if (request->language && *request->language &&
      !(g_ascii_strncasecmp (request->language, "en", 2) == 0 &&
        strchr ("-_", request->language[2]))) {
    tb_tts_stream_fail (callbacks, user_data, cancellable,
                        g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                                     "flite speaks English only, not '%s'", request->language));
    return;
  }
  job = g_new0 (FliteJob, 1);
  job->text = g_strdup (request->text ? request->text : "");
  job->voice = voice;
  job->duration_stretch = flite->duration_stretch / rate;
  tb_tts_stream_start ("tb-tts-flite", request->sample_rate, callbacks, user_data, cancellable,
                       flite_synth, job, flite_job_free);
}

static const TbTtsVTable flite_vtable = {
  .version = TB_TTS_VTABLE_VERSION,
  .synthesize = flite_synthesize,
};

static const TbPluginDesc flite_desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_TTS,
  .name = "flite",
  .version = "0.1.0",
  .description = "Local US English speech synthesis with CMU Flite, streamed",
  .license = "LGPL-2.1-or-later",
  .config_keys = flite_keys,
  .init = flite_init_plugin,
  .shutdown = flite_shutdown,
  .instance_new = flite_instance_new,
  .instance_free = flite_instance_free,
  .vtable = &flite_vtable,
};

TB_PLUGIN_DEFINE (flite_desc)
