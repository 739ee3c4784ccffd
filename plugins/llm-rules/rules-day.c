/* rules-day.c — the "day" slot: a date said the way callers say it
 * ("today", "tomorrow", "the day after tomorrow", "on Friday", "next
 * Monday", "the 3rd", "November the 25th", "25th of November", "in three
 * days", "2026-11-25"), relative to today, and how it is said back.
 *
 * A weekday alone means the next one after today ("Monday" said on a Monday
 * is a week later); "this Monday" may be today; "next Monday" is the Monday
 * of next week (the coming one when that already is next week). A day of
 * the month alone is the next such date from today; a month and day
 * without a year, the next such date from today. */
#define G_LOG_DOMAIN "tb-llm-rules"

#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const weekday_names[] = {
  NULL, "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
};
static const char *const month_names[] = {
  NULL, "january", "february", "march", "april", "may", "june", "july", "august",
  "september", "october", "november", "december",
};
static const char *const spoken_weekdays[] = {
  NULL, "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
};
static const char *const spoken_months[] = {
  NULL, "January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December",
};

static GDateWeekday
weekday_of (const char *word)
{
  static const struct { const char *word; GDateWeekday day; } short_names[] = {
    { "mon", G_DATE_MONDAY }, { "tue", G_DATE_TUESDAY }, { "tues", G_DATE_TUESDAY },
    { "wed", G_DATE_WEDNESDAY }, { "weds", G_DATE_WEDNESDAY }, { "thu", G_DATE_THURSDAY },
    { "thur", G_DATE_THURSDAY }, { "thurs", G_DATE_THURSDAY }, { "fri", G_DATE_FRIDAY },
    { "sat", G_DATE_SATURDAY }, { "sun", G_DATE_SUNDAY },
  };

  if (!word)
    return G_DATE_BAD_WEEKDAY;
  for (guint d = G_DATE_MONDAY; d <= G_DATE_SUNDAY; d++)
    if (strcmp (word, weekday_names[d]) == 0)
      return d;
  for (guint i = 0; i < G_N_ELEMENTS (short_names); i++)
    if (strcmp (word, short_names[i].word) == 0)
      return short_names[i].day;
  return G_DATE_BAD_WEEKDAY;
}

static GDateMonth
month_of (const char *word)
{
  static const char *const short_names[] = {
    NULL, "jan", "feb", "mar", "apr", NULL, "jun", "jul", "aug", "sep", "oct", "nov", "dec",
  };

  if (!word)
    return G_DATE_BAD_MONTH;
  for (guint m = G_DATE_JANUARY; m <= G_DATE_DECEMBER; m++)
    if (strcmp (word, month_names[m]) == 0 || g_strcmp0 (word, short_names[m]) == 0
        || (m == G_DATE_SEPTEMBER && strcmp (word, "sept") == 0))
      return m;
  return G_DATE_BAD_MONTH;
}

gboolean
rules_is_day_word (const char *word)
{
  static const char *const relative[] = { "today", "tomorrow", "tonight", "yesterday", NULL };

  return weekday_of (word) != G_DATE_BAD_WEEKDAY
         || (month_of (word) != G_DATE_BAD_MONTH && strcmp (word, "may") != 0
             && strcmp (word, "march") != 0)
         || g_strv_contains (relative, word);
}

/* ---- day of the month -------------------------------------------------- */

/* A day of the month at @i: an ordinal ("3rd", "third", "twenty first"),
 * or a plain number 1-31 when @plain_ok. */
static gboolean
day_number_at (char **t, guint i, gboolean plain_ok, gint *day, guint *used)
{
  if (rules_ordinal_at (t, i, day, used))
    return *day >= 1 && *day <= 31;
  if (plain_ok && rules_number_at (t, i, day, used))
    return *day >= 1 && *day <= 31;
  return FALSE;
}

/* The first date on or after @today whose day of the month is @mday. */
static gboolean
next_mday (const GDate *today, gint mday, GDate *out)
{
  gint month = g_date_get_month (today), year = g_date_get_year (today);

  for (guint tries = 0; tries < 13; tries++) {
    if (g_date_valid_dmy (mday, month, year)) {
      g_date_set_dmy (out, mday, month, year);
      if (g_date_compare (out, today) >= 0)
        return TRUE;
    }
    if (++month > 12) {
      month = 1;
      year++;
    }
  }
  return FALSE;
}

/* The next @month/@mday on or after @today, or in @year when given. */
static gboolean
month_day (const GDate *today, gint month, gint mday, gint year, GDate *out)
{
  if (year <= 0) {
    year = g_date_get_year (today);
    if (g_date_valid_dmy (mday, month, year)) {
      g_date_set_dmy (out, mday, month, year);
      if (g_date_compare (out, today) >= 0)
        return TRUE;
    }
    year++;
  }
  if (!g_date_valid_dmy (mday, month, year))
    return FALSE;
  g_date_set_dmy (out, mday, month, year);
  return TRUE;
}

static gint
year_at (char **t, guint i)
{
  gint year;
  guint used;

  if (t[i] && strlen (t[i]) == 4 && rules_number_at (t, i, &year, &used) && year >= 1900)
    return year;
  return 0;
}

/* "november 25", "november the 25th", "25 november", "the 25th of november":
 * 1 with @out set, 0 when there is none, -1 when the date does not exist
 * ("February the 30th"). */
static gint
parse_month_day (char **t, const GDate *today, GDate *out)
{
  for (guint i = 0; t[i]; i++) {
    GDateMonth month = month_of (t[i]);
    guint j, used;
    gint mday;

    if (month == G_DATE_BAD_MONTH)
      continue;
    j = i + 1;
    if (g_strcmp0 (t[j], "the") == 0)
      j++;
    if (day_number_at (t, j, TRUE, &mday, &used))
      return month_day (today, month, mday, year_at (t, j + used), out) ? 1 : -1;
    /* Day before the month: "25 november", "the 25th of november". */
    j = i;
    if (j > 0 && strcmp (t[j - 1], "of") == 0)
      j--;
    for (guint back = MIN (j, 2); back >= 1; back--) {
      if (day_number_at (t, j - back, TRUE, &mday, &used) && j - back + used == j)
        return month_day (today, month, mday, year_at (t, i + 1), out) ? 1 : -1;
    }
  }
  return 0;
}

static gboolean
parse_iso (char **t, GDate *out)
{
  for (guint i = 0; t[i]; i++) {
    gint y, m, d;
    char tail;

    if (strlen (t[i]) == 10 && sscanf (t[i], "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3
        && g_date_valid_dmy (d, m, y)) {
      g_date_set_dmy (out, d, m, y);
      return TRUE;
    }
  }
  return FALSE;
}

/* "the 3rd", "on the third", "3rd"; when @loose (the day was asked for)
 * also "third" and a bare "3". */
static gboolean
parse_mday (char **t, gboolean loose, const GDate *today, GDate *out)
{
  for (guint i = 0; t[i]; i++) {
    gboolean after_the = i > 0 && strcmp (t[i - 1], "the") == 0;
    gboolean digits_ordinal = g_ascii_isdigit (t[i][0]);
    gint mday;
    guint used;

    if (!rules_ordinal_at (t, i, &mday, &used)) {
      /* A plain number answers "which day?" when it is all that was said. */
      if (loose && (after_the || !t[1]) && rules_number_at (t, i, &mday, &used)
          && !t[i + used] && mday >= 1 && mday <= 31)
        return next_mday (today, mday, out);
      continue;
    }
    if ((after_the || digits_ordinal || loose) && mday >= 1 && mday <= 31)
      return next_mday (today, mday, out);
  }
  return FALSE;
}

static gboolean
parse_relative (char **t, const GDate *today, GDate *out)
{
  for (guint i = 0; t[i]; i++) {
    gint n = 0;
    guint used = 0;

    *out = *today;
    if (strcmp (t[i], "today") == 0 || strcmp (t[i], "tonight") == 0)
      return TRUE;
    if (strcmp (t[i], "tomorrow") == 0) {
      gboolean after = i >= 2 && strcmp (t[i - 1], "after") == 0 && strcmp (t[i - 2], "day") == 0;

      g_date_add_days (out, after ? 2 : 1);
      return TRUE;
    }
    /* "in 3 days", "in a week", "in two weeks" */
    if (strcmp (t[i], "in") == 0 && t[i + 1]) {
      if (strcmp (t[i + 1], "a") == 0 || strcmp (t[i + 1], "one") == 0) {
        n = 1;
        used = 1;
      } else if (!rules_number_at (t, i + 1, &n, &used)) {
        continue;
      }
      if (n < 0 || n > 366)
        continue;
      if (g_strcmp0 (t[i + 1 + used], "day") == 0 || g_strcmp0 (t[i + 1 + used], "days") == 0) {
        g_date_add_days (out, n);
        return TRUE;
      }
      if (g_strcmp0 (t[i + 1 + used], "week") == 0 || g_strcmp0 (t[i + 1 + used], "weeks") == 0) {
        g_date_add_days (out, 7 * n);
        return TRUE;
      }
    }
  }
  return FALSE;
}

static gboolean
parse_weekday (char **t, const GDate *today, GDate *out)
{
  for (guint i = 0; t[i]; i++) {
    GDateWeekday want = weekday_of (t[i]);
    const char *before = i > 0 ? t[i - 1] : "";
    gint ahead;

    if (want == G_DATE_BAD_WEEKDAY)
      continue;
    ahead = ((gint) want - (gint) g_date_get_weekday (today) + 7) % 7;
    if (ahead == 0 && strcmp (before, "this") != 0)
      ahead = 7;
    /* "next Friday": Friday of next week. */
    if (strcmp (before, "next") == 0 && g_date_get_weekday (today) + ahead <= G_DATE_SUNDAY)
      ahead += 7;
    *out = *today;
    g_date_add_days (out, ahead);
    return TRUE;
  }
  return FALSE;
}

gboolean
rules_parse_day (char **tokens, gboolean awaited, const GDate *today, GDate *day)
{
  gint month_day_found;

  g_date_clear (day, 1);
  if (parse_iso (tokens, day))
    return TRUE;
  month_day_found = parse_month_day (tokens, today, day);
  if (month_day_found)
    return month_day_found > 0;
  return parse_mday (tokens, FALSE, today, day) || parse_relative (tokens, today, day)
         || parse_weekday (tokens, today, day)
         || (awaited && parse_mday (tokens, TRUE, today, day));
}

static const char *
ordinal_suffix (guint mday)
{
  if (mday % 100 >= 11 && mday % 100 <= 13)
    return "th";
  switch (mday % 10) {
  case 1: return "st";
  case 2: return "nd";
  case 3: return "rd";
  default: return "th";
  }
}

char *
rules_day_spoken (const GDate *day)
{
  guint mday = g_date_get_day (day);

  return g_strdup_printf ("%s the %u%s of %s", spoken_weekdays[g_date_get_weekday (day)],
                          mday, ordinal_suffix (mday), spoken_months[g_date_get_month (day)]);
}

char *
rules_day_iso (const GDate *day)
{
  return g_strdup_printf ("%04u-%02u-%02u", g_date_get_year (day), g_date_get_month (day),
                          g_date_get_day (day));
}

void
rules_day_phrases (GPtrArray *phrases)
{
  static const char *const fixed[] = {
    "today", "tomorrow", "the day after tomorrow", "in a week", "in two weeks",
  };

  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (phrases, g_strdup (fixed[i]));
  for (guint d = G_DATE_MONDAY; d <= G_DATE_SUNDAY; d++) {
    g_ptr_array_add (phrases, g_strdup (weekday_names[d]));
    g_ptr_array_add (phrases, g_strdup_printf ("on %s", weekday_names[d]));
    g_ptr_array_add (phrases, g_strdup_printf ("next %s", weekday_names[d]));
  }
  for (guint m = 1; m <= 31; m++) {
    g_autofree char *ordinal = rules_ordinal_words (m);

    g_ptr_array_add (phrases, g_strdup_printf ("the %s", ordinal));
  }
  for (guint m = G_DATE_JANUARY; m <= G_DATE_DECEMBER; m++)
    g_ptr_array_add (phrases, g_strdup (month_names[m]));
}
