/* ps-lexicon.h — a pronunciation dictionary (CMU format) read once per
 * process and shared, read-only, by every instance and session: grammar
 * sessions build their small decoders from it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TbPsLexicon TbPsLexicon;

/* The lexicon of @path, loaded on first use. It stays loaded until
 * tb_ps_lexicon_unload_all() (plugin shutdown). Thread-safe. */
const TbPsLexicon *tb_ps_lexicon_get (const char *path, GError **error);

/* The pronunciations of @word ("hello"; lower case): the first is the
 * word's own, the others are spelled "word(2)", "word(3)"... in the
 * decoder's dictionary. NULL when the word is unknown. */
const GPtrArray *tb_ps_lexicon_lookup (const TbPsLexicon *lexicon, const char *word);

void tb_ps_lexicon_unload_all (void);

G_END_DECLS
