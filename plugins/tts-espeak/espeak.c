/* espeak.c — TTS plugin "espeak": speech from libespeak-ng, on this
 * machine, in any of its voices and languages. espeak-ng renders in clause-
 * sized pieces of about 50 ms at 22050 Hz, handed to the caller as they
 * come, resampled to the requested rate (tts-stream). The library keeps its
 * state in globals, so one lock serialises every synthesis of the process. */
#define G_LOG_DOMAIN "tb-tts-espeak"

#include <talkingbits-plugin.h>
#include "tts-stream.h"

#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>
#include <string.h>

/* Length of the buffers espeak-ng hands to the synth callback. */
#define ESPEAK_BUFFER_MS 50

typedef struct {
  char *voice;          /* the configured voice, "en-us+f3"  */
  char *language;       /* what it speaks, "en-us"           */
  int words_per_minute;
  int pitch;
} Espeak;

typedef struct {
  char *text;
  char *voice;          /* by name, or NULL: by language    */
  char *language;
  int words_per_minute;
  int pitch;
  TbTtsStream *stream;  /* during espeak_ng_Synthesize()    */
  gboolean stopped;
} EspeakJob;

/* Everything below that touches libespeak-ng holds this lock. */
static GMutex espeak_lock;
static int espeak_sample_rate;
static char *espeak_init_error;

static const TbConfigKey espeak_keys[] = {
  { .name = "voice", .type = TB_CONFIG_TYPE_STRING, .default_value = "en-us",
    .help = "espeak-ng voice, optionally with a variant: en-us, en-gb, de, fr, en-us+f3 "
            "(espeak-ng --voices lists them); a request's voice or language overrides it" },
  { .name = "words-per-minute", .type = TB_CONFIG_TYPE_INT, .default_value = "160",
    .help = "Speaking rate at a request rate of 1.0, in words per minute",
    .min = 80, .max = 450 },
  { .name = "pitch", .type = TB_CONFIG_TYPE_INT, .default_value = "50",
    .help = "Base pitch, 0 (low) to 100 (high); 50 is the voice's own",
    .min = 0, .max = 100 },
  { NULL }
};

static char *
status_message (espeak_ng_STATUS status)
{
  char message[512] = "";

  espeak_ng_GetStatusCodeMessage (status, message, sizeof message);
  return g_strdup (message);
}

/* Once per process; libespeak-ng stays initialised until exit. */
static void
espeak_start_engine (void)
{
  espeak_ng_ERROR_CONTEXT context = NULL;
  espeak_ng_STATUS status;
  g_autofree char *message = NULL;

  espeak_ng_InitializePath (NULL);
  status = espeak_ng_Initialize (&context);
  espeak_ng_ClearErrorContext (&context);
  if (status == ENS_OK)
    status = espeak_ng_InitializeOutput (ENOUTPUT_MODE_SYNCHRONOUS, ESPEAK_BUFFER_MS, NULL);
  if (status != ENS_OK) {
    message = status_message (status);
    espeak_init_error = g_strdup_printf ("cannot initialise libespeak-ng: %s", message);
    return;
  }
  espeak_sample_rate = espeak_ng_GetSampleRate ();
}

static int espeak_synth_callback (short *wav, int n_samples, espeak_EVENT *events);

static gboolean
espeak_init (const TbHost *host, GError **error)
{
  static gsize started = 0;

  if (!tb_tts_stream_init (error))
    return FALSE;
  if (g_once_init_enter (&started)) {
    g_mutex_lock (&espeak_lock);
    espeak_start_engine ();
    if (!espeak_init_error)
      espeak_SetSynthCallback (espeak_synth_callback);
    g_mutex_unlock (&espeak_lock);
    g_once_init_leave (&started, 1);
  }
  if (espeak_init_error) {
    g_set_error_literal (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED, espeak_init_error);
    return FALSE;
  }
  return TRUE;
}

static void
espeak_shutdown (void)
{
  tb_tts_stream_wait_all ();
}

/* With espeak_lock held: makes @voice current; its language in @language. */
static gboolean
espeak_use_voice (const char *voice, char **language, GError **error)
{
  espeak_ng_STATUS status = espeak_ng_SetVoiceByName (voice);
  espeak_VOICE *current;

  if (status != ENS_OK) {
    g_autofree char *message = status_message (status);

    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "unknown espeak-ng voice '%s': %s", voice, message);
    return FALSE;
  }
  current = espeak_GetCurrentVoice ();
  if (language)
    *language = g_ascii_strdown (current && current->languages ? current->languages : "", -1);
  return TRUE;
}

/* With espeak_lock held: the best voice for @language ("en-US", "de"). */
static gboolean
espeak_use_language (const char *language, GError **error)
{
  g_autofree char *lower = g_ascii_strdown (language, -1);
  espeak_VOICE spec = { 0 };

  spec.languages = lower;
  if (espeak_ng_SetVoiceByProperties (&spec) != ENS_OK) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "no espeak-ng voice for language '%s'", language);
    return FALSE;
  }
  return TRUE;
}

static gpointer
espeak_instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  const char *voice = "en-us";
  gint64 wpm = 160, pitch = 50;
  g_autofree char *language = NULL;
  Espeak *espeak;
  gboolean known;

  g_variant_lookup (settings, "voice", "&s", &voice);
  g_variant_lookup (settings, "words-per-minute", "x", &wpm);
  g_variant_lookup (settings, "pitch", "x", &pitch);
  if (wpm < espeakRATE_MINIMUM || wpm > espeakRATE_MAXIMUM) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "words-per-minute: %" G_GINT64_FORMAT " is outside %d to %d",
                 wpm, espeakRATE_MINIMUM, espeakRATE_MAXIMUM);
    return NULL;
  }
  if (pitch < 0 || pitch > 100) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "pitch: %" G_GINT64_FORMAT " is outside 0 to 100", pitch);
    return NULL;
  }

  g_mutex_lock (&espeak_lock);
  known = espeak_use_voice (voice, &language, error);
  g_mutex_unlock (&espeak_lock);
  if (!known) {
    g_prefix_error (error, "voice: ");
    return NULL;
  }

  espeak = g_new0 (Espeak, 1);
  espeak->voice = g_strdup (voice);
  espeak->language = g_steal_pointer (&language);
  espeak->words_per_minute = (int) wpm;
  espeak->pitch = (int) pitch;
  return espeak;
}

static void
espeak_instance_free (gpointer instance)
{
  Espeak *espeak = instance;

  g_free (espeak->voice);
  g_free (espeak->language);
  g_free (espeak);
}

static void
espeak_job_free (gpointer data)
{
  EspeakJob *job = data;

  g_free (job->text);
  g_free (job->voice);
  g_free (job->language);
  g_free (job);
}

/* Up to the first '-' or '_': "en" of "en-US". */
static gboolean
same_language (const char *a, const char *b)
{
  gsize la = strcspn (a, "-_"), lb = strcspn (b, "-_");

  return la == lb && g_ascii_strncasecmp (a, b, la) == 0;
}

/* Called by espeak-ng inside espeak_ng_Synthesize(), on the stream's thread:
 * a buffer of audio, or wav == NULL at the end. Returning 1 aborts. */
static int
espeak_synth_callback (short *wav, int n_samples, espeak_EVENT *events)
{
  EspeakJob *job = events ? events->user_data : NULL;

  if (!job)
    return 0;
  if (wav && n_samples > 0 && !tb_tts_stream_push (job->stream, wav, n_samples, espeak_sample_rate))
    job->stopped = TRUE;
  else if (tb_tts_stream_is_cancelled (job->stream))
    job->stopped = TRUE;
  return job->stopped ? 1 : 0;
}

/* On the stream's thread. */
static gboolean
espeak_synth (TbTtsStream *stream, gpointer data, GError **error)
{
  EspeakJob *job = data;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&espeak_lock);
  espeak_ng_STATUS status;

  /* Another request may have held the lock for a while. */
  if (tb_tts_stream_is_cancelled (stream))
    return tb_tts_stream_set_cancelled (error);
  if (job->voice ? !espeak_use_voice (job->voice, NULL, error)
                 : !espeak_use_language (job->language, error))
    return FALSE;
  /* After the voice: loading a voice resets them. */
  espeak_SetParameter (espeakRATE, job->words_per_minute, 0);
  espeak_SetParameter (espeakPITCH, job->pitch, 0);

  job->stream = stream;
  status = espeak_ng_Synthesize (job->text, strlen (job->text) + 1, 0, POS_CHARACTER, 0,
                                 espeakCHARS_UTF8, NULL, job);
  job->stream = NULL;
  if (job->stopped) {
    espeak_ng_Cancel ();
    return tb_tts_stream_set_cancelled (error);
  }
  if (status != ENS_OK) {
    g_autofree char *message = status_message (status);

    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "espeak-ng failed: %s", message);
    return FALSE;
  }
  return TRUE;
}

static void
espeak_synthesize (gpointer instance, const TbTtsRequest *request,
                   const TbTtsCallbacks *callbacks, gpointer user_data,
                   GCancellable *cancellable)
{
  Espeak *espeak = instance;
  EspeakJob *job = g_new0 (EspeakJob, 1);
  double rate = request->rate > 0 ? request->rate : 1.0;

  job->text = g_strdup (request->text ? request->text : "");
  if (request->voice && *request->voice) {
    job->voice = g_strdup (request->voice);
  } else if (request->language && *request->language &&
             !same_language (request->language, espeak->language)) {
    job->language = g_strdup (request->language);
  } else {
    job->voice = g_strdup (espeak->voice);
  }
  job->words_per_minute = CLAMP ((int) (espeak->words_per_minute * rate + 0.5),
                                 espeakRATE_MINIMUM, espeakRATE_MAXIMUM);
  job->pitch = espeak->pitch;

  tb_tts_stream_start ("tb-tts-espeak", request->sample_rate, callbacks, user_data, cancellable,
                       espeak_synth, job, espeak_job_free);
}

static const TbTtsVTable espeak_vtable = {
  .version = TB_TTS_VTABLE_VERSION,
  .synthesize = espeak_synthesize,
};

static const TbPluginDesc espeak_desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_TTS,
  .name = "espeak",
  .version = "0.1.0",
  .description = "Local speech synthesis with espeak-ng: over 100 languages, streamed",
  /* It links libespeak-ng, which is GPL-3.0-or-later. */
  .license = "GPL-3.0-or-later",
  .config_keys = espeak_keys,
  .init = espeak_init,
  .shutdown = espeak_shutdown,
  .instance_new = espeak_instance_new,
  .instance_free = espeak_instance_free,
  .vtable = &espeak_vtable,
};

TB_PLUGIN_DEFINE (espeak_desc)
