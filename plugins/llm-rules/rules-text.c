/* rules-text.c — what the rules plugin does to text before it looks at it:
 * lower-case words and numbers, crude stems, stop words, number and ordinal
 * words, and the "[DTMF 1]" notation of keys pressed. */
#define G_LOG_DOMAIN "tb-llm-rules"

#include "rules.h"

#include <stdlib.h>
#include <string.h>

static gboolean
is_word_char (guchar c)
{
  return g_ascii_isalnum (c) || c >= 0x80;
}

/* "3rd", "21st": digits followed by an ordinal suffix and then no letter. */
static gboolean
ordinal_suffix_at (const char *p)
{
  static const char *const suffixes[] = { "st", "nd", "rd", "th" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    if (strncmp (p, suffixes[i], 2) == 0 && !g_ascii_isalpha (p[2]))
      return TRUE;
  return FALSE;
}

static void
flush (GPtrArray *tokens, GString *word)
{
  if (word->len)
    g_ptr_array_add (tokens, g_strndup (word->str, word->len));
  g_string_truncate (word, 0);
}

char **
rules_tokenize (const char *text)
{
  g_autofree char *lower = g_utf8_strdown (text ? text : "", -1);
  g_autoptr(GString) s = g_string_new (lower);
  g_autoptr(GString) word = g_string_new (NULL);
  GPtrArray *tokens = g_ptr_array_new ();

  g_string_replace (s, "\xe2\x80\x99", "'", 0); /* typographic apostrophe */
  g_string_replace (s, "a.m.", " am ", 0);
  g_string_replace (s, "p.m.", " pm ", 0);
  for (const char *p = s->str; *p; p++) {
    guchar c = *p;
    guchar prev = word->len ? (guchar) word->str[word->len - 1] : 0;

    if (is_word_char (c)) {
      if (g_ascii_isdigit (prev) && g_ascii_isalpha (c)) {
        if (ordinal_suffix_at (p)) {
          g_string_append_len (word, p, 2);
          p++;
          continue;
        }
        flush (tokens, word);
      } else if (prev && g_ascii_isalpha (prev) && g_ascii_isdigit (c)) {
        flush (tokens, word);
      }
      g_string_append_c (word, c);
    } else if ((c == ':' || c == '.' || c == '-') && g_ascii_isdigit (prev)
               && g_ascii_isdigit (p[1])) {
      g_string_append_c (word, c == '.' ? ':' : c);
    } else if (c == '\'' && prev && g_ascii_isalpha (p[1])) {
      continue; /* "o'clock" -> "oclock", "I'd" -> "id" */
    } else {
      flush (tokens, word);
    }
  }
  flush (tokens, word);
  g_ptr_array_add (tokens, NULL);
  return (char **) g_ptr_array_free (tokens, FALSE);
}

char *
rules_stem (const char *word)
{
  char *stem = g_strdup (word);
  gsize len = strlen (stem);

  if (len > 5 && g_str_has_suffix (stem, "ing"))
    len -= 3;
  else if (len > 4 && g_str_has_suffix (stem, "ed"))
    len -= 2;
  else if (len > 3 && stem[len - 1] == 's' && stem[len - 2] != 's')
    len -= 1;
  if (len > 3 && stem[len - 1] == 'e')
    len -= 1;
  stem[len] = '\0';
  return stem;
}

gboolean
rules_is_stopword (const char *word)
{
  static const char *const stopwords[] = {
    "a", "also", "am", "an", "and", "any", "are", "at", "be", "but", "can", "could",
    "do", "does", "for", "get", "gonna", "have", "hello", "hi", "i", "id", "ill", "im",
    "in", "is", "it", "its", "just", "let", "like", "may", "me", "my", "need", "of",
    "oh", "ok", "okay", "on", "or", "our", "please", "so", "some", "that", "the",
    "there", "this", "to", "uh", "um", "wanna", "want", "we", "well", "will", "with",
    "would", "you", "your", "youre",
  };

  for (guint i = 0; i < G_N_ELEMENTS (stopwords); i++)
    if (strcmp (word, stopwords[i]) == 0)
      return TRUE;
  return FALSE;
}

/* TRUE when @a and @b are at most one insertion, deletion or substitution
 * apart. */
static gboolean
one_edit_apart (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  gsize i = 0;

  if (la < lb)
    return one_edit_apart (b, a);
  if (la - lb > 1)
    return FALSE;
  while (i < lb && a[i] == b[i])
    i++;
  if (la == lb)
    return strcmp (a + i + 1, b + i + 1) == 0 || i == la;
  return strcmp (a + i + 1, b + i) == 0;
}

gboolean
rules_stems_match (const char *a, const char *b)
{
  if (strcmp (a, b) == 0)
    return TRUE;
  /* Not shorter: "think" is not "thank". */
  return strlen (a) >= 6 && strlen (b) >= 6 && one_edit_apart (a, b);
}

/* A number, an ordinal, a day or a time of day on its own. */
static gboolean
is_value_word (char **tokens, guint i)
{
  gint value;
  guint used;

  return g_ascii_isdigit (tokens[i][0]) || rules_number_at (tokens, i, &value, &used)
         || rules_ordinal_at (tokens, i, &value, &used) || rules_is_day_word (tokens[i])
         || rules_is_time_word (tokens[i]);
}

char **
rules_content_stems (const char *text)
{
  g_auto(GStrv) tokens = rules_tokenize (text);
  GPtrArray *stems = g_ptr_array_new ();

  for (guint i = 0; tokens[i]; i++)
    if (!rules_is_stopword (tokens[i]) && !is_value_word (tokens, i))
      g_ptr_array_add (stems, rules_stem (tokens[i]));
  g_ptr_array_add (stems, NULL);
  return (char **) g_ptr_array_free (stems, FALSE);
}

/* ---- numbers ----------------------------------------------------------- */

static const char *const units[] = {
  "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
  "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
  "seventeen", "eighteen", "nineteen",
};
static const char *const tens[] = {
  NULL, NULL, "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
};
static const char *const unit_ordinals[] = {
  NULL, "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
  "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
  "sixteenth", "seventeenth", "eighteenth", "nineteenth",
};
static const char *const tens_ordinals[] = {
  NULL, NULL, "twentieth", "thirtieth", "fortieth", "fiftieth", "sixtieth",
  "seventieth", "eightieth", "ninetieth",
};

static gint
word_index (const char *const *words, guint n, const char *word)
{
  for (guint i = 0; i < n; i++)
    if (words[i] && g_strcmp0 (words[i], word) == 0)
      return (gint) i;
  return -1;
}

static gboolean
all_digits (const char *word, gsize max_len)
{
  gsize len = strlen (word);

  if (len == 0 || len > max_len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (word[i]))
      return FALSE;
  return TRUE;
}

gboolean
rules_number_at (char **tokens, guint i, gint *value, guint *used)
{
  const char *word = tokens[i];
  gint unit, ten;

  if (!word)
    return FALSE;
  if (all_digits (word, 6)) {
    *value = atoi (word);
    *used = 1;
    return TRUE;
  }
  unit = word_index (units, G_N_ELEMENTS (units), word);
  if (unit >= 0) {
    *value = unit;
    *used = 1;
    return TRUE;
  }
  ten = word_index (tens, G_N_ELEMENTS (tens), word);
  if (ten < 0)
    return FALSE;
  *value = ten * 10;
  *used = 1;
  if (tokens[i + 1]) {
    unit = word_index (units, 10, tokens[i + 1]);
    if (unit > 0) {
      *value += unit;
      *used = 2;
    }
  }
  return TRUE;
}

gboolean
rules_ordinal_at (char **tokens, guint i, gint *value, guint *used)
{
  const char *word = tokens[i];
  gsize len;
  gint unit, ten;

  if (!word)
    return FALSE;
  len = strlen (word);
  if (len >= 3 && len <= 4 && ordinal_suffix_at (word + len - 2)) {
    g_autofree char *digits = g_strndup (word, len - 2);

    if (!all_digits (digits, 2))
      return FALSE;
    *value = atoi (digits);
    *used = 1;
    return TRUE;
  }
  unit = word_index (unit_ordinals, G_N_ELEMENTS (unit_ordinals), word);
  if (unit > 0) {
    *value = unit;
    *used = 1;
    return TRUE;
  }
  ten = word_index (tens_ordinals, G_N_ELEMENTS (tens_ordinals), word);
  if (ten > 0) {
    *value = ten * 10;
    *used = 1;
    return TRUE;
  }
  ten = word_index (tens, G_N_ELEMENTS (tens), word);
  if (ten > 0 && tokens[i + 1]) {
    unit = word_index (unit_ordinals, 10, tokens[i + 1]);
    if (unit > 0) {
      *value = ten * 10 + unit;
      *used = 2;
      return TRUE;
    }
  }
  return FALSE;
}

/* @n (1-99) in words, from the words for 1-19 (@small) and for 20, 30, ...
 * (@round): "twenty one", "twenty first". */
static char *
spell (guint n, const char *const *small, const char *const *round)
{
  if (n < 20)
    return g_strdup (small[n]);
  if (n % 10 == 0)
    return g_strdup (round[n / 10]);
  return g_strdup_printf ("%s %s", tens[n / 10], small[n % 10]);
}

char *
rules_number_words (guint n)
{
  g_return_val_if_fail (n < 100, NULL);
  return spell (n, units, tens);
}

char *
rules_ordinal_words (guint n)
{
  g_return_val_if_fail (n > 0 && n < 100, NULL);
  return spell (n, unit_ordinals, tens_ordinals);
}

char *
rules_dtmf_digits (const char *text)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text ? text : ""));
  gsize len = strlen (trimmed);
  const char *p;

  if (len < 7 || g_ascii_strncasecmp (trimmed, "[dtmf", 5) != 0 || trimmed[len - 1] != ']')
    return NULL;
  trimmed[len - 1] = '\0';
  p = trimmed + 5;
  while (*p == ' ')
    p++;
  if (!*p)
    return NULL;
  for (const char *q = p; *q; q++)
    if (!strchr ("0123456789*#ABCDabcd", *q))
      return NULL;
  return g_ascii_strup (p, -1);
}
