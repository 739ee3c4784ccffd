/* ps-grammar.c — phrases to words (with numbers spelled out) and the JSGF
 * grammar of a session. Measured (tools/bench/stt-accuracy): a grammar of
 * phrases only, or of phrase sequences, snaps recognition to what the agent
 * expects; adding the phrases' words in any order as a fallback lets the
 * free word loop win almost everywhere and costs most of the accuracy, so
 * an utterance that fits no phrase sequence gives an empty final. */
#define G_LOG_DOMAIN "tb-stt-pocketsphinx"

#include "ps-grammar.h"

#include <talkingbits-plugin.h>
#include <string.h>

static const char *const ones[] = {
  "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
  "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
  "eighteen", "nineteen"
};
static const char *const tens[] = {
  "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"
};

/* Spells 0 <= @n < 10000 into @words. */
static void
spell_number (guint n, GPtrArray *words)
{
  if (n >= 1000) {
    spell_number (n / 1000, words);
    g_ptr_array_add (words, g_strdup ("thousand"));
    n %= 1000;
    if (n == 0)
      return;
  }
  if (n >= 100) {
    spell_number (n / 100, words);
    g_ptr_array_add (words, g_strdup ("hundred"));
    n %= 100;
    if (n == 0)
      return;
  }
  if (n < 20) {
    g_ptr_array_add (words, g_strdup (ones[n]));
    return;
  }
  g_ptr_array_add (words, g_strdup (tens[n / 10]));
  if (n % 10)
    g_ptr_array_add (words, g_strdup (ones[n % 10]));
}

static void
add_token (GString *token, GPtrArray *words)
{
  if (token->len == 0)
    return;
  if (strspn (token->str, "0123456789") == token->len) {
    if (g_str_equal (token->str, "00"))
      g_ptr_array_add (words, g_strdup ("o'clock"));   /* 9:00 */
    else if (token->len <= 4)
      spell_number ((guint) g_ascii_strtoull (token->str, NULL, 10), words);
    else
      for (const char *digit = token->str; *digit; digit++)
        g_ptr_array_add (words, g_strdup (ones[*digit - '0']));
  } else {
    g_ptr_array_add (words, g_utf8_strdown (token->str, -1));
  }
  g_string_truncate (token, 0);
}

char **
tb_ps_phrase_words (const char *phrase)
{
  g_autoptr(GPtrArray) words = g_ptr_array_new ();
  g_autoptr(GString) token = g_string_new (NULL);

  for (const char *p = phrase; p && *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    gboolean digit = g_unichar_isdigit (c);

    /* A change between letters and digits ends a token ("10am"). */
    if (token->len && (digit != g_ascii_isdigit (token->str[token->len - 1])))
      add_token (token, words);
    if (g_unichar_isalnum (c) || (c == '\'' && token->len))
      g_string_append_unichar (token, c);
    else
      add_token (token, words);
  }
  add_token (token, words);
  g_ptr_array_add (words, NULL);
  return (char **) g_ptr_array_steal (words, NULL);
}

void
tb_ps_grammar_free (TbPsGrammar *grammar)
{
  if (!grammar)
    return;
  g_free (grammar->jsgf);
  g_ptr_array_unref (grammar->words);
  g_free (grammar);
}

TbPsGrammar *
tb_ps_grammar_new (const char *const *phrases, const TbPsLexicon *lexicon,
                   guint max_sequence, GError **error)
{
  g_autoptr(TbPsGrammar) grammar = g_new0 (TbPsGrammar, 1);
  g_autoptr(GHashTable) seen_words = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) seen_phrases = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                              g_free, NULL);
  g_autoptr(GString) alternatives = g_string_new (NULL);
  g_autoptr(GString) jsgf = g_string_new ("#JSGF V1.0;\ngrammar tb;\n");

  grammar->words = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; phrases && phrases[i]; i++) {
    g_auto(GStrv) words = tb_ps_phrase_words (phrases[i]);
    g_autoptr(GString) kept = g_string_new (NULL);

    for (guint w = 0; words[w]; w++) {
      if (!tb_ps_lexicon_lookup (lexicon, words[w])) {
        g_debug ("expected phrase '%s': '%s' is not in the dictionary; left out",
                   phrases[i], words[w]);
        continue;
      }
      g_string_append_printf (kept, "%s%s", kept->len ? " " : "", words[w]);
      if (!g_hash_table_contains (seen_words, words[w])) {
        char *word = g_strdup (words[w]);

        g_ptr_array_add (grammar->words, word);
        g_hash_table_add (seen_words, word);
      }
    }
    if (kept->len == 0 || g_hash_table_contains (seen_phrases, kept->str))
      continue;
    g_string_append_printf (alternatives, "%s(%s)", grammar->n_phrases ? "\n  | " : "  ",
                            kept->str);
    g_hash_table_add (seen_phrases, g_strdup (kept->str));
    grammar->n_phrases++;
  }
  if (grammar->n_phrases == 0) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "none of the %u expected phrases has a word in the dictionary",
                 phrases ? g_strv_length ((char **) phrases) : 0);
    return NULL;
  }
  g_string_append_printf (jsgf, "<phrase> =\n%s;\npublic <utterance> = <phrase>", alternatives->str);
  for (guint i = 1; i < max_sequence; i++)
    g_string_append (jsgf, " [<phrase>]");
  g_string_append (jsgf, ";\n");
  grammar->jsgf = g_string_free (g_steal_pointer (&jsgf), FALSE);
  return g_steal_pointer (&grammar);
}
