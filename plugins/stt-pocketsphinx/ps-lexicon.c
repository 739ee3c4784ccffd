/* ps-lexicon.c — CMU pronunciation dictionaries read into hash tables
 * (word -> pronunciations), cached per path for the life of the plugin. */
#define G_LOG_DOMAIN "tb-stt-pocketsphinx"

#include "ps-lexicon.h"

#include <talkingbits-plugin.h>
#include <string.h>

struct _TbPsLexicon {
  GHashTable *words;  /* char * -> GPtrArray of char * (phones) */
};

static GMutex lexicons_lock;
static GHashTable *lexicons;  /* path -> TbPsLexicon * */

static void
lexicon_free (gpointer data)
{
  TbPsLexicon *lexicon = data;

  g_hash_table_unref (lexicon->words);
  g_free (lexicon);
}

/* "hello(2)" -> "hello" in place. */
static void
strip_variant (char *word)
{
  char *paren = strchr (word, '(');

  if (paren && paren != word && g_str_has_suffix (paren, ")"))
    *paren = '\0';
}

static TbPsLexicon *
lexicon_load (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  TbPsLexicon *lexicon;
  char *line, *next, *end;
  gsize length = 0;

  if (!g_file_get_contents (path, &text, &length, &local)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "dictionary: cannot read %s: %s", path, local->message);
    return NULL;
  }
  lexicon = g_new0 (TbPsLexicon, 1);
  lexicon->words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_ptr_array_unref);
  end = text + length;
  for (line = text; line && *line; line = next) {
    char *space, *phones;
    GPtrArray *prons;

    /* Bounded by what is left: strchr() here would scan the rest of the
     * file for each line under a checker that checks whole strings. */
    next = memchr (line, '\n', end - line);
    if (next)
      *next++ = '\0';
    space = strpbrk (line, " \t");
    if (!space || line[0] == '#')
      continue;
    *space = '\0';
    phones = g_strstrip (space + 1);
    /* Comments after the phones ("word W ER D # note") are not phones. */
    if (strchr (phones, '#'))
      *strchr (phones, '#') = '\0';
    g_strstrip (phones);
    if (!*phones)
      continue;
    strip_variant (line);
    prons = g_hash_table_lookup (lexicon->words, line);
    if (!prons) {
      prons = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (lexicon->words, g_ascii_strdown (line, -1), prons);
    }
    g_ptr_array_add (prons, g_strdup (phones));
  }
  if (g_hash_table_size (lexicon->words) == 0) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "dictionary: %s holds no pronunciations", path);
    lexicon_free (lexicon);
    return NULL;
  }
  return lexicon;
}

const TbPsLexicon *
tb_ps_lexicon_get (const char *path, GError **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&lexicons_lock);
  TbPsLexicon *lexicon;

  if (!lexicons)
    lexicons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, lexicon_free);
  lexicon = g_hash_table_lookup (lexicons, path);
  if (lexicon)
    return lexicon;
  lexicon = lexicon_load (path, error);
  if (lexicon) {
    g_debug ("dictionary %s: %u words", path, g_hash_table_size (lexicon->words));
    g_hash_table_insert (lexicons, g_strdup (path), lexicon);
  }
  return lexicon;
}

const GPtrArray *
tb_ps_lexicon_lookup (const TbPsLexicon *lexicon, const char *word)
{
  return g_hash_table_lookup (lexicon->words, word);
}

void
tb_ps_lexicon_unload_all (void)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&lexicons_lock);

  g_clear_pointer (&lexicons, g_hash_table_unref);
}
