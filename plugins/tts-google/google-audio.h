/* google-audio.h — what Google's text:synthesize answers, to PCM: a JSON
 * object whose "audioContent" is base64, which for LINEAR16 is a whole WAV
 * file (RIFF header, then the samples). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The samples of the answer @body (signed 16-bit little-endian mono) and
 * their rate in @rate; NULL with a TB_PLUGIN_ERROR_PROTOCOL error when the
 * answer is not that. */
GBytes *google_answer_pcm (GBytes *body, guint *rate, GError **error);

/* The samples of the WAV file @wav, which must hold 16-bit mono PCM; their
 * rate in @rate. */
GBytes *google_wav_pcm (GBytes *wav, guint *rate, GError **error);

G_END_DECLS
