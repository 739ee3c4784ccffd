/* rules-match.c — which intent a caller's words are about: keywords heard
 * (whole words or phrases, stemmed, near misses of long words forgiven) and
 * the overlap of content words with each example phrase (Dice coefficient
 * of the stems, stop words left out). Keys pressed choose intents by their
 * dtmf= digits. */
#define G_LOG_DOMAIN "tb-llm-rules"

#include "rules.h"

#include <string.h>

/* An example is matched when at least this share of content words meet. */
#define MIN_OVERLAP 0.5
/* ... and almost word for word from here on. */
#define STRONG_OVERLAP 0.75

static gboolean
contains_stem (char **stems, const char *stem)
{
  for (guint i = 0; stems[i]; i++)
    if (rules_stems_match (stems[i], stem))
      return TRUE;
  return FALSE;
}

/* TRUE when the words of @keyword occur in a row in @stems. */
static gboolean
keyword_heard (char **stems, char **keyword)
{
  guint n = g_strv_length (keyword);

  if (!n)
    return FALSE;
  for (guint i = 0; stems[i]; i++) {
    guint k = 0;

    while (k < n && stems[i + k] && rules_stems_match (stems[i + k], keyword[k]))
      k++;
    if (k == n)
      return TRUE;
  }
  return FALSE;
}

static double
overlap (char **said, char **example)
{
  guint n_said = g_strv_length (said), n_example = g_strv_length (example), common = 0;

  if (!n_said || !n_example)
    return 0;
  for (guint i = 0; example[i]; i++)
    if (contains_stem (said, example[i]))
      common++;
  return 2.0 * common / (n_said + n_example);
}

gboolean
rules_match_intent (const RulesSet *set, const char *text, RulesMatch *match)
{
  g_auto(GStrv) tokens = rules_tokenize (text);
  g_auto(GStrv) content = rules_content_stems (text);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  gboolean found = FALSE;

  for (guint i = 0; tokens[i]; i++)
    g_ptr_array_add (all, rules_stem (tokens[i]));
  g_ptr_array_add (all, NULL);

  memset (match, 0, sizeof *match);
  for (guint i = 0; i < set->intents->len; i++) {
    const RulesIntent *intent = g_ptr_array_index (set->intents, i);
    guint keywords = 0;
    double best = 0, score;

    for (guint k = 0; k < intent->keyword_stems->len; k++)
      if (keyword_heard ((char **) all->pdata, g_ptr_array_index (intent->keyword_stems, k)))
        keywords++;
    for (guint e = 0; e < intent->example_stems->len; e++)
      best = MAX (best, overlap (content,
                                 g_ptr_array_index (intent->example_stems, e)));
    if (!keywords && best < MIN_OVERLAP)
      continue;
    score = (keywords ? 1.0 + 0.1 * keywords : 0) + best;
    /* Ties go to the intent written first. */
    if (!found || score > match->score) {
      match->intent = intent;
      match->score = score;
      match->strong = keywords > 0 || best >= STRONG_OVERLAP;
      found = TRUE;
    }
  }
  return found;
}

const RulesIntent *
rules_match_dtmf (const RulesSet *set, const char *digits)
{
  for (guint i = 0; i < set->intents->len; i++) {
    const RulesIntent *intent = g_ptr_array_index (set->intents, i);

    if (intent->dtmf && g_strv_contains ((const char *const *) intent->dtmf, digits))
      return intent;
  }
  return NULL;
}
