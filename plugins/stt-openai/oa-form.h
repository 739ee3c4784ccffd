/* oa-form.h — what a request to OpenAI's /audio/transcriptions is made
 * of (a WAV file of the turn in a multipart form) and what its answer
 * says. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A RIFF/WAVE file of 16-bit PCM mono at @rate. */
GBytes *oa_wav_new (const gint16 *samples, gsize n_samples, guint rate);

/* The ISO-639-1 code of a BCP 47 tag ("en-US" -> "en"), or NULL when its
 * language has none (OpenAI takes nothing else). */
char *oa_language_code (const char *bcp47);

/* The multipart/form-data body: file=turn.wav, model, language (may be
 * NULL), prompt (may be NULL or ""), response_format=json. Sets
 * @content_type to its type with the boundary. */
GBytes *oa_form_new (GBytes *wav, const char *model, const char *language, const char *prompt,
                     char **content_type);

/* The "text" of {"text": ...}. NULL with a TB_PLUGIN_ERROR_PROTOCOL error
 * when the answer is not that. */
char *oa_answer_text (const guint8 *data, gsize len, GError **error);

G_END_DECLS
