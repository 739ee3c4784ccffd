/* sentences.h — streamed reply text cut into sentences, each handed on as
 * soon as it is complete, so speech synthesis can start before the whole
 * reply exists. Abbreviations (Dr., e.g., a.m.), decimal numbers (3.5) and
 * times (10:30) do not end a sentence. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TbSentences TbSentences;

typedef void (*TbSentenceFunc) (const char *sentence, gpointer user_data);

TbSentences *tb_sentences_new (TbSentenceFunc func, gpointer user_data);
void tb_sentences_free (TbSentences *sentences);

/* More text; complete sentences are handed to the function at once. */
void tb_sentences_push (TbSentences *sentences, const char *text);
/* The end of the text: what is left is the last sentence. */
void tb_sentences_flush (TbSentences *sentences);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbSentences, tb_sentences_free)

G_END_DECLS
