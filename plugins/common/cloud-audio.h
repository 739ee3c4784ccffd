/* cloud-audio.h — what the cloud text-to-speech plugins (tts-elevenlabs,
 * tts-openai, tts-google) share: the provider's audio, bytes cut anywhere
 * by the network (a sample may straddle two chunks), turned into whole
 * native-endian samples at the rate the host asked for; and one synthesis,
 * from its HTTP request to the one terminal callback the host gets.
 *
 * A synthesis (TbCloudSpeech) hands audio to the host as soon as it has
 * some; the first audio marks the request started (no retry after it). It
 * ends with exactly one done() or error(), never from inside the function
 * that started it, and a cancelled synthesis ends with
 * error(G_IO_ERROR_CANCELLED) with no audio after the cancellation. */
#pragma once

#include <talkingbits-plugin.h>
#include <json-glib/json-glib.h>
#include "cloud-http.h"

G_BEGIN_DECLS

/* ---- provider audio to host audio ---------------------------------------- */

typedef enum {
  TB_CLOUD_AUDIO_S16LE = 1,  /* signed 16-bit little-endian PCM, mono */
  TB_CLOUD_AUDIO_ULAW,       /* G.711 mu-law, one byte a sample, mono */
} TbCloudAudioEncoding;

typedef struct _TbCloudAudio TbCloudAudio;

/* Audio of @encoding at @in_rate, given to the host at @out_rate. */
TbCloudAudio *tb_cloud_audio_new (TbCloudAudioEncoding encoding, guint in_rate, guint out_rate);
void tb_cloud_audio_free (TbCloudAudio *audio);
/* Forgets what was pushed (a retried request sends its audio again). */
void tb_cloud_audio_reset (TbCloudAudio *audio);
/* Samples (gint16, native endian, out rate) for @len more bytes; NULL when
 * none are ready yet. A byte of a sample cut in two waits for the next. */
GBytes *tb_cloud_audio_push (TbCloudAudio *audio, const guint8 *data, gsize len);
/* At the end: what the resampler still holds (NULL when nothing); @whole
 * is FALSE when the bytes ended inside a sample. */
GBytes *tb_cloud_audio_drain (TbCloudAudio *audio, gboolean *whole);
/* Bytes pushed since the start or the last reset. */
guint64 tb_cloud_audio_bytes_in (TbCloudAudio *audio);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbCloudAudio, tb_cloud_audio_free)

/* ---- one synthesis ------------------------------------------------------- */

typedef struct _TbCloudSpeech TbCloudSpeech;

/* A whole answer (Google's JSON) to signed 16-bit little-endian mono PCM,
 * with its rate in @rate; NULL with a TB_PLUGIN_ERROR_PROTOCOL error when
 * the answer makes no sense. */
typedef GBytes *(*TbCloudSpeechDecodeFunc) (GBytes *body, guint *rate, GError **error);

/* A synthesis of @request by @client's provider, for the host's @callbacks.
 * Start it with one of the three functions below, which take it. */
TbCloudSpeech *tb_cloud_speech_new (TbCloudClient *client, const TbTtsRequest *request,
                                    const TbTtsCallbacks *callbacks, gpointer user_data,
                                    GCancellable *cancellable);

/* Ends @speech without asking the provider: done() when @error is NULL (a
 * text with nothing to say), else error(@error), which it takes. */
void tb_cloud_speech_finish (TbCloudSpeech *speech, GError *error);

/* POSTs @json_body to @path and plays the answer's body, raw audio of
 * @encoding at @rate, as it streams in. */
void tb_cloud_speech_stream (TbCloudSpeech *speech, const char *path, GBytes *json_body,
                             TbCloudAudioEncoding encoding, guint rate);

/* POSTs @json_body to @path, decodes the whole answer with @decode and
 * plays it in chunks of 100 ms. */
void tb_cloud_speech_fetch (TbCloudSpeech *speech, const char *path, GBytes *json_body,
                            TbCloudSpeechDecodeFunc decode);

/* A provider that refuses a bad key with another status than 401 or 403
 * (Google: 400 "API key not valid") names the words of its message that
 * say so; such failures are reported as TB_PLUGIN_ERROR_AUTH. */
void tb_cloud_speech_set_auth_words (TbCloudSpeech *speech, const char *words);

/* TRUE when @text has nothing to say (NULL, empty, or blanks only). */
gboolean tb_cloud_text_is_blank (const char *text);

/* When @text has nothing to say, ends @speech with done() (asking the
 * provider nothing) and returns TRUE. */
gboolean tb_cloud_speech_finish_if_blank (TbCloudSpeech *speech, const char *text);

/* The voice @request names, or @fallback (the configured one). */
const char *tb_cloud_speech_voice (const TbTtsRequest *request, const char *fallback);

/* @builder's root as the bytes of a request body. */
GBytes *tb_cloud_json_body (JsonBuilder *builder);

G_END_DECLS
