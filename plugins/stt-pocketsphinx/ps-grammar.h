/* ps-grammar.h — the agent's expected phrases as a JSGF grammar: one
 * utterance is one to N of the phrases in a row ("tomorrow" + "at ten in
 * the morning"), spelled in the dictionary's words. */
#pragma once

#include "ps-lexicon.h"

G_BEGIN_DECLS

typedef struct {
  char *jsgf;          /* the grammar, for ps_set_jsgf_string()        */
  GPtrArray *words;    /* char *: its distinct words, all in the lexicon */
  guint n_phrases;     /* phrases it accepts                           */
} TbPsGrammar;

/* Words of @phrase as a caller says them: lower case, punctuation dropped,
 * numbers spelled out ("At 10:30!" -> at ten thirty). */
char **tb_ps_phrase_words (const char *phrase);

/* A grammar accepting one to @max_sequence of @phrases in a row. Words the
 * lexicon does not know are left out of their phrase (with a message);
 * NULL with @error when no phrase keeps a word. */
TbPsGrammar *tb_ps_grammar_new (const char *const *phrases, const TbPsLexicon *lexicon,
                                guint max_sequence, GError **error);
void tb_ps_grammar_free (TbPsGrammar *grammar);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbPsGrammar, tb_ps_grammar_free)

G_END_DECLS
