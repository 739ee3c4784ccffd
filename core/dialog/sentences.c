/* sentences.c — cutting streamed text into sentences. A '.', '!' or '?'
 * ends a sentence when whitespace follows and the word before it is not an
 * abbreviation; a new line always does. The decision waits for the first
 * character after the whitespace (a.m./p.m. end a sentence only before a
 * capital). Very long runs without an end are cut at a comma. */
#define G_LOG_DOMAIN "tb-dialog"

#include "sentences.h"

#include <string.h>

/* Past this many bytes, a comma followed by a space ends a piece too. */
#define LONG_PIECE 160

struct _TbSentences {
  GString *text;          /* not yet handed on */
  TbSentenceFunc func;
  gpointer user_data;
};

static const char *const abbreviations[] = {
  "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "mt", "vs", "etc", "e.g", "i.e",
  "no", "approx", "ave", "inc", "ltd", "co", "dept", "tel", "ext", "fig",
  "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
  NULL
};

TbSentences *
tb_sentences_new (TbSentenceFunc func, gpointer user_data)
{
  TbSentences *sentences = g_new0 (TbSentences, 1);

  sentences->text = g_string_new (NULL);
  sentences->func = func;
  sentences->user_data = user_data;
  return sentences;
}

void
tb_sentences_free (TbSentences *sentences)
{
  if (!sentences)
    return;
  g_string_free (sentences->text, TRUE);
  g_free (sentences);
}

/* The word that ends at @end (exclusive), lower-case, dots inside kept. */
static char *
word_before (const char *text, gsize end)
{
  gsize start = end;

  while (start > 0 && !g_ascii_isspace (text[start - 1]) && text[start - 1] != '(' &&
         text[start - 1] != '"')
    start--;
  return g_ascii_strdown (text + start, end - start);
}

static gboolean
is_abbreviation (const char *word)
{
  for (guint i = 0; abbreviations[i]; i++)
    if (g_str_equal (word, abbreviations[i]))
      return TRUE;
  /* Single letters: initials ("J. Smith"). */
  return strlen (word) == 1 && g_ascii_isalpha (word[0]);
}

/* Emits text[0, end) (trimmed) and keeps the rest. */
static void
emit (TbSentences *sentences, gsize end)
{
  g_autofree char *piece = g_strndup (sentences->text->str, end);

  g_string_erase (sentences->text, 0, end);
  g_strstrip (piece);
  if (*piece)
    sentences->func (piece, sentences->user_data);
}

/* Where the first complete sentence ends, or 0 when none is complete. */
static gsize
sentence_end (const char *text, gsize len)
{
  for (gsize i = 0; i < len; i++) {
    char c = text[i];
    gsize next;

    if (c == '\n')
      return i + 1;
    if (c == ',' && i >= LONG_PIECE && i + 1 < len && text[i + 1] == ' ')
      return i + 1;
    if (c != '.' && c != '!' && c != '?')
      continue;
    /* Runs of punctuation ("...", "?!") end together. */
    while (i + 1 < len && strchr (".!?\"')", text[i + 1]))
      i++;
    if (i + 1 >= len)
      return 0;                       /* what follows is not known yet */
    if (!g_ascii_isspace (text[i + 1]))
      continue;                       /* 3.5, e.g.x, 10.30 */
    next = i + 1;
    while (next < len && g_ascii_isspace (text[next]))
      next++;
    if (next >= len)
      return 0;                       /* wait for the next word */
    if (c == '.') {
      g_autofree char *word = word_before (text, i);
      gsize wlen = strlen (word);

      while (wlen > 0 && word[wlen - 1] == '.')
        word[--wlen] = '\0';
      if (g_str_equal (word, "a.m") || g_str_equal (word, "p.m")) {
        if (!g_ascii_isupper (text[next]))
          continue;
      } else if (is_abbreviation (word)) {
        continue;
      }
    }
    return i + 1;
  }
  return 0;
}

void
tb_sentences_push (TbSentences *sentences, const char *text)
{
  gsize end;

  g_string_append (sentences->text, text);
  while ((end = sentence_end (sentences->text->str, sentences->text->len)) > 0)
    emit (sentences, end);
}

void
tb_sentences_flush (TbSentences *sentences)
{
  emit (sentences, sentences->text->len);
}
