/* rules-time.c — the "time" slot: a time of day said the way callers say
 * it ("ten in the morning", "10:30", "half past two", "quarter to five",
 * "3 pm", "ten thirty", "noon", "at 9 o'clock"), as minutes after midnight,
 * and how it is said back ("2:30 pm").
 *
 * A bare number is only a time when something says so: "at" or "around"
 * before it, "am", "pm", "o'clock", "in the morning" after it, or the
 * time being the question just asked. Without am or pm, the hour is read
 * as a business hour: 1 to 7 are afternoon hours (13:00-19:00), 8 to 12
 * are morning hours and noon. "morning", "afternoon", "evening" or
 * "tonight" elsewhere in the sentence decide when said. */
#define G_LOG_DOMAIN "tb-llm-rules"

#include "rules.h"

#include <stdio.h>
#include <string.h>

typedef enum { MERIDIEM_NONE, MERIDIEM_AM, MERIDIEM_PM } Meridiem;

static gboolean
is (const char *word, const char *const *words)
{
  for (guint i = 0; word && words[i]; i++)
    if (strcmp (word, words[i]) == 0)
      return TRUE;
  return FALSE;
}

static const char *const anchors[] = { "at", "around", "by", "from", "til", "till", "until", NULL };
static const char *const past_words[] = { "past", "after", NULL };
static const char *const to_words[] = { "to", "before", "of", "til", "till", NULL };
/* Words before a number that make it something other than a time. */
static const char *const not_times[] = { "the", "in", "on", "for", NULL };
/* Words after a number that make it something other than a time. */
static const char *const non_time_units[] = {
  "day", "days", "week", "weeks", "month", "months", "year", "years", "people", "person",
  "persons", "guests", "of", "hours", "hour", NULL,
};

/* am/pm, o'clock or a part of the day at @t[@j]; returns the tokens used. */
static guint
meridiem_at (char **t, guint j, Meridiem *m, gboolean *oclock)
{
  static const struct { const char *words[4]; Meridiem m; } phrases[] = {
    { { "am" }, MERIDIEM_AM }, { { "pm" }, MERIDIEM_PM },
    { { "in", "the", "morning" }, MERIDIEM_AM },
    { { "in", "the", "afternoon" }, MERIDIEM_PM },
    { { "in", "the", "evening" }, MERIDIEM_PM },
    { { "this", "morning" }, MERIDIEM_AM }, { { "this", "afternoon" }, MERIDIEM_PM },
    { { "this", "evening" }, MERIDIEM_PM }, { { "at", "night" }, MERIDIEM_PM },
    { { "tonight" }, MERIDIEM_PM }, { { "morning" }, MERIDIEM_AM },
    { { "afternoon" }, MERIDIEM_PM }, { { "evening" }, MERIDIEM_PM },
  };
  guint start = j;

  *m = MERIDIEM_NONE;
  *oclock = FALSE;
  if (g_strcmp0 (t[j], "oclock") == 0) {
    *oclock = TRUE;
    j++;
  }
  for (guint p = 0; p < G_N_ELEMENTS (phrases); p++) {
    guint n = 0;

    while (n < 3 && phrases[p].words[n] && g_strcmp0 (t[j + n], phrases[p].words[n]) == 0)
      n++;
    if (n > 0 && (n == 3 || !phrases[p].words[n])) {
      *m = phrases[p].m;
      return j + n - start;
    }
  }
  return j - start;
}

/* The part of the day named anywhere in what was said. */
static Meridiem
context_meridiem (char **t)
{
  for (guint i = 0; t[i]; i++) {
    if (strcmp (t[i], "morning") == 0)
      return MERIDIEM_AM;
    if (is (t[i], (const char *const[]) { "afternoon", "evening", "tonight", "night", NULL }))
      return MERIDIEM_PM;
  }
  return MERIDIEM_NONE;
}

gboolean
rules_is_time_word (const char *word)
{
  static const char *const words[] = {
    "am", "pm", "oclock", "noon", "midday", "midnight", "morning", "afternoon", "evening",
    "night", "half", "quarter", NULL,
  };

  return is (word, words);
}

static gint
resolve_hour (gint h, Meridiem m)
{
  if (h > 12)
    return h;
  if (m == MERIDIEM_AM)
    return h == 12 ? 0 : h;
  if (m == MERIDIEM_PM)
    return h == 12 ? 12 : h + 12;
  return h >= 1 && h <= 7 ? h + 12 : h;
}

/* An hour 0-23 at @t[@i] that is not "3 days" or "2 people". */
static gboolean
hour_at (char **t, guint i, gint *h, guint *used)
{
  return rules_number_at (t, i, h, used) && *h >= 0 && *h <= 23
         && !is (t[i + *used], non_time_units);
}

/* "half past H", "half H", "quarter to H", "N (minutes) past H". The
 * offset is applied to the hour once am/pm has been decided. */
static gboolean
relative_time_at (char **t, guint i, Meridiem context, gint *minutes)
{
  gint offset, h;
  guint j, used;
  Meridiem m;
  gboolean oclock;

  if (strcmp (t[i], "half") == 0) {
    offset = 30;
    j = i + 1;
    if (is (t[j], past_words))
      j++;
  } else {
    if (strcmp (t[i], "quarter") == 0) {
      offset = 15;
      j = i + 1;
    } else if (rules_number_at (t, i, &offset, &used) && offset >= 1 && offset <= 59) {
      j = i + used;
      /* "ten to five", "7 minutes past 3"; not "from 2 to 3". */
      if (is (t[j], (const char *const[]) { "minute", "minutes", NULL }))
        j++;
      else if (offset % 5 != 0)
        return FALSE;
    } else {
      return FALSE;
    }
    if (is (t[j], to_words))
      offset = -offset;
    else if (!is (t[j], past_words))
      return FALSE;
    j++;
  }
  if (!hour_at (t, j, &h, &used) || h < 1 || h > 12)
    return FALSE;
  meridiem_at (t, j + used, &m, &oclock);
  h = resolve_hour (h, m != MERIDIEM_NONE ? m : context);
  *minutes = (h * 60 + offset + 24 * 60) % (24 * 60);
  return TRUE;
}

/* "10:30", "10", "ten thirty", "ten oh five", each with am/pm or not. */
static gboolean
clock_time_at (char **t, guint i, gboolean awaited, Meridiem context, gint *minutes)
{
  gboolean anchored = i > 0 && is (t[i - 1], anchors);
  gint h, m = 0, n;
  guint j, used;
  Meridiem mer;
  gboolean oclock;
  char tail;

  if (sscanf (t[i], "%d:%d%c", &h, &m, &tail) == 2) {
    if (h < 0 || h > 23 || m < 0 || m > 59)
      return FALSE;
    j = i + 1;
    anchored = TRUE;
  } else if (hour_at (t, i, &h, &used)) {
    j = i + used;
    if (h <= 12 && g_strcmp0 (t[j], "oh") == 0 && rules_number_at (t, j + 1, &n, &used)
        && n >= 1 && n <= 9) {
      m = n;
      j += 1 + used;
    } else if (h <= 12 && rules_number_at (t, j, &n, &used) && n >= 10 && n <= 59
               && !is (t[j + used], non_time_units)) {
      m = n;
      j += used;
    }
  } else {
    return FALSE;
  }
  meridiem_at (t, j, &mer, &oclock);
  if (mer != MERIDIEM_NONE || oclock)
    anchored = TRUE;
  /* A bare number answers "what time?", unless it is a date or a count
   * ("the 3", "in 3 days", "for 2"). */
  if (!anchored && !(awaited && !(i > 0 && is (t[i - 1], not_times))))
    return FALSE;
  if (mer != MERIDIEM_NONE && h > 12)
    return FALSE;
  h = resolve_hour (h, mer != MERIDIEM_NONE ? mer : context);
  *minutes = h * 60 + m;
  return TRUE;
}

gboolean
rules_parse_time (char **t, gboolean awaited, gint *minutes)
{
  Meridiem context = context_meridiem (t);

  for (guint i = 0; t[i]; i++) {
    if (is (t[i], (const char *const[]) { "noon", "midday", NULL })) {
      *minutes = 12 * 60;
      return TRUE;
    }
    if (strcmp (t[i], "midnight") == 0) {
      *minutes = 0;
      return TRUE;
    }
    if (relative_time_at (t, i, context, minutes) || clock_time_at (t, i, awaited, context, minutes))
      return TRUE;
  }
  return FALSE;
}

char *
rules_time_spoken (gint minutes)
{
  gint h = minutes / 60, m = minutes % 60;
  gint h12 = h % 12 ? h % 12 : 12;
  const char *suffix = h < 12 ? "am" : "pm";

  if (minutes == 12 * 60)
    return g_strdup ("noon");
  if (minutes == 0)
    return g_strdup ("midnight");
  if (m == 0)
    return g_strdup_printf ("%d %s", h12, suffix);
  return g_strdup_printf ("%d:%02d %s", h12, m, suffix);
}

void
rules_time_phrases (GPtrArray *phrases)
{
  static const char *const patterns[][2] = {
    { "at ", "" }, { "", " o'clock" }, { "half past ", "" }, { "quarter past ", "" },
    { "quarter to ", "" }, { "", " thirty" }, { "", " in the morning" },
    { "", " in the afternoon" }, { "", " am" }, { "", " pm" },
  };

  g_ptr_array_add (phrases, g_strdup ("noon"));
  g_ptr_array_add (phrases, g_strdup ("midday"));
  for (guint h = 1; h <= 12; h++) {
    g_autofree char *words = rules_number_words (h);

    for (guint p = 0; p < G_N_ELEMENTS (patterns); p++)
      g_ptr_array_add (phrases, g_strconcat (patterns[p][0], words, patterns[p][1], NULL));
  }
}
