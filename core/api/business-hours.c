/* business-hours.c — opening hours, the appointment slots they give, and
 * both in words; days and times in and out. */
#define G_LOG_DOMAIN "tb-webhooks"

#include "business-hours.h"

#include <string.h>

typedef struct {
  guint weekday;
  guint opens;
  guint closes;
} Period;

struct _TbBusinessHours {
  GArray *periods;   /* Period, by weekday and opening time */
};

static const char *const weekdays[] = {
  NULL, "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"
};
static const char *const months[] = {
  NULL, "January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"
};

/* ---- days and times ------------------------------------------------------ */

const char *
tb_weekday_name (GDateWeekday weekday)
{
  return weekday >= G_DATE_MONDAY && weekday <= G_DATE_SUNDAY ? weekdays[weekday] : NULL;
}

char *
tb_minute_format (guint minute)
{
  return g_strdup_printf ("%02u:%02u", minute / 60, minute % 60);
}

char *
tb_day_format (const GDate *day)
{
  return g_strdup_printf ("%04u-%02u-%02u", g_date_get_year (day), g_date_get_month (day),
                          g_date_get_day (day));
}

char *
tb_day_spoken (const GDate *day)
{
  return g_strdup_printf ("%s %u %s", weekdays[g_date_get_weekday (day)], g_date_get_day (day),
                          months[g_date_get_month (day)]);
}

static gboolean
all_digits (const char *s, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

gboolean
tb_day_parse (const char *text, GDate *day)
{
  guint y, m, d;

  if (strlen (text) != 10 || !all_digits (text, 4) || text[4] != '-' ||
      !all_digits (text + 5, 2) || text[7] != '-' || !all_digits (text + 8, 2))
    return FALSE;
  y = (guint) g_ascii_strtoull (text, NULL, 10);
  m = (guint) g_ascii_strtoull (text + 5, NULL, 10);
  d = (guint) g_ascii_strtoull (text + 8, NULL, 10);
  if (!g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
    return FALSE;
  g_date_clear (day, 1);
  g_date_set_dmy (day, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
  return TRUE;
}

gboolean
tb_minute_parse (const char *text, guint *minute)
{
  const char *colon = strchr (text, ':');
  gsize hour_digits = colon ? (gsize) (colon - text) : 0;
  guint h, m;

  if (hour_digits < 1 || hour_digits > 2 || !all_digits (text, hour_digits) ||
      strlen (colon + 1) != 2 || !all_digits (colon + 1, 2))
    return FALSE;
  h = (guint) g_ascii_strtoull (text, NULL, 10);
  m = (guint) g_ascii_strtoull (colon + 1, NULL, 10);
  if (h > 23 || m > 59)
    return FALSE;
  *minute = h * 60 + m;
  return TRUE;
}

void
tb_day_from_date_time (GDateTime *when, GDate *day, guint *minute)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (when);

  g_date_clear (day, 1);
  g_date_set_dmy (day, (GDateDay) g_date_time_get_day_of_month (local),
                  (GDateMonth) g_date_time_get_month (local),
                  (GDateYear) g_date_time_get_year (local));
  if (minute)
    *minute = (guint) (g_date_time_get_hour (local) * 60 + g_date_time_get_minute (local));
}

GDateTime *
tb_day_at (const GDate *day, guint minute)
{
  return g_date_time_new_local ((gint) g_date_get_year (day), (gint) g_date_get_month (day),
                                (gint) g_date_get_day (day), (gint) (minute / 60),
                                (gint) (minute % 60), 0);
}

/* ---- the hours ----------------------------------------------------------- */

TbBusinessHours *
tb_business_hours_new (void)
{
  TbBusinessHours *hours = g_new0 (TbBusinessHours, 1);

  hours->periods = g_array_new (FALSE, FALSE, sizeof (Period));
  return hours;
}

TbBusinessHours *
tb_business_hours_new_default (void)
{
  TbBusinessHours *hours = tb_business_hours_new ();

  for (GDateWeekday d = G_DATE_MONDAY; d <= G_DATE_FRIDAY; d++)
    tb_business_hours_add (hours, d, 9 * 60, 17 * 60);
  return hours;
}

TbBusinessHours *
tb_business_hours_copy (const TbBusinessHours *hours)
{
  TbBusinessHours *copy = g_new0 (TbBusinessHours, 1);

  copy->periods = g_array_copy (hours->periods);
  return copy;
}

void
tb_business_hours_free (TbBusinessHours *hours)
{
  if (!hours)
    return;
  g_array_unref (hours->periods);
  g_free (hours);
}

void
tb_business_hours_add (TbBusinessHours *hours, GDateWeekday weekday, guint opens, guint closes)
{
  Period period = { weekday, opens, closes };
  guint at = 0;

  g_return_if_fail (weekday >= G_DATE_MONDAY && weekday <= G_DATE_SUNDAY);
  g_return_if_fail (opens < closes && closes <= 24 * 60);
  while (at < hours->periods->len) {
    const Period *p = &g_array_index (hours->periods, Period, at);

    if (p->weekday > period.weekday || (p->weekday == period.weekday && p->opens > opens))
      break;
    at++;
  }
  g_array_insert_val (hours->periods, at, period);
}

GArray *
tb_business_hours_of_day (const TbBusinessHours *hours, GDateWeekday weekday)
{
  GArray *day = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < hours->periods->len; i++) {
    const Period *p = &g_array_index (hours->periods, Period, i);

    if (p->weekday == (guint) weekday) {
      g_array_append_val (day, p->opens);
      g_array_append_val (day, p->closes);
    }
  }
  return day;
}

gboolean
tb_business_hours_is_open_on (const TbBusinessHours *hours, GDateWeekday weekday)
{
  g_autoptr(GArray) day = tb_business_hours_of_day (hours, weekday);

  return day->len > 0;
}

gboolean
tb_business_hours_is_open_at (const TbBusinessHours *hours, GDateTime *when)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (when);
  guint weekday = (guint) g_date_time_get_day_of_week (local);
  guint minute = (guint) (g_date_time_get_hour (local) * 60 + g_date_time_get_minute (local));

  for (guint i = 0; i < hours->periods->len; i++) {
    const Period *p = &g_array_index (hours->periods, Period, i);

    if (p->weekday == weekday && minute >= p->opens && minute < p->closes)
      return TRUE;
  }
  return FALSE;
}

static gint
compare_minutes (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

static gboolean
contains (GArray *minutes, guint minute)
{
  for (guint i = 0; minutes && i < minutes->len; i++)
    if (g_array_index (minutes, guint, i) == minute)
      return TRUE;
  return FALSE;
}

/* Every slot of @weekday, in order, each once (periods may overlap). */
static GArray *
slots_of (const TbBusinessHours *hours, GDateWeekday weekday)
{
  GArray *slots = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < hours->periods->len; i++) {
    const Period *p = &g_array_index (hours->periods, Period, i);

    if (p->weekday != (guint) weekday)
      continue;
    for (guint m = p->opens; m + TB_APPOINTMENT_SLOT <= p->closes; m += TB_APPOINTMENT_SLOT)
      if (!contains (slots, m))
        g_array_append_val (slots, m);
  }
  g_array_sort (slots, compare_minutes);
  return slots;
}

static gboolean
has_started (const GDate *day, guint minute, GDateTime *now)
{
  g_autoptr(GDateTime) at = tb_day_at (day, minute);

  return g_date_time_compare (at, now) <= 0;
}

GArray *
tb_business_hours_free_slots (const TbBusinessHours *hours, const GDate *day, GDateTime *now,
                              GArray *taken)
{
  g_autoptr(GArray) slots = slots_of (hours, g_date_get_weekday (day));
  GArray *free = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < slots->len; i++) {
    guint minute = g_array_index (slots, guint, i);

    if (!contains (taken, minute) && !has_started (day, minute, now))
      g_array_append_val (free, minute);
  }
  return free;
}

TbSlotStatus
tb_business_hours_check (const TbBusinessHours *hours, const GDate *day, guint minute,
                         GDateTime *now, GArray *taken)
{
  GDateWeekday weekday = g_date_get_weekday (day);
  g_autoptr(GArray) periods = tb_business_hours_of_day (hours, weekday);
  g_autoptr(GArray) slots = NULL;
  gboolean inside = FALSE;
  GDate today;

  tb_day_from_date_time (now, &today, NULL);
  if (g_date_compare (day, &today) < 0)
    return TB_SLOT_PAST;
  if (periods->len == 0)
    return TB_SLOT_CLOSED;
  for (guint i = 0; i + 1 < periods->len; i += 2)
    if (minute >= g_array_index (periods, guint, i) &&
        minute < g_array_index (periods, guint, i + 1))
      inside = TRUE;
  if (!inside)
    return TB_SLOT_OUTSIDE_HOURS;
  slots = slots_of (hours, weekday);
  if (!contains (slots, minute))
    return TB_SLOT_NOT_A_SLOT;
  if (has_started (day, minute, now))
    return TB_SLOT_PAST;
  return contains (taken, minute) ? TB_SLOT_TAKEN : TB_SLOT_FREE;
}

GArray *
tb_business_hours_nearby (GArray *free, guint minute)
{
  GArray *near = g_array_new (FALSE, FALSE, sizeof (guint));
  guint first_after = 0;

  while (first_after < free->len && g_array_index (free, guint, first_after) <= minute)
    first_after++;
  for (guint i = first_after; i < free->len && near->len < 2; i++)
    g_array_append_val (near, g_array_index (free, guint, i));
  for (guint i = first_after; i > 0 && near->len < 2; i--)
    g_array_prepend_val (near, g_array_index (free, guint, i - 1));
  return near;
}

/* ---- in words ------------------------------------------------------------ */

char *
tb_business_hours_describe_day (const TbBusinessHours *hours, GDateWeekday weekday)
{
  g_autoptr(GArray) periods = tb_business_hours_of_day (hours, weekday);
  GString *text;

  if (periods->len == 0)
    return NULL;
  text = g_string_new (NULL);
  for (guint i = 0; i + 1 < periods->len; i += 2) {
    g_autofree char *opens = tb_minute_format (g_array_index (periods, guint, i));
    g_autofree char *closes = tb_minute_format (g_array_index (periods, guint, i + 1));

    g_string_append_printf (text, "%s%s to %s", i ? " and " : "", opens, closes);
  }
  return g_string_free (text, FALSE);
}

char *
tb_business_hours_describe_week (const TbBusinessHours *hours)
{
  g_autoptr(GString) text = g_string_new (NULL);
  GDateWeekday first = G_DATE_MONDAY;

  while (first <= G_DATE_SUNDAY) {
    g_autofree char *words = tb_business_hours_describe_day (hours, first);
    GDateWeekday last = first;

    while (words && last < G_DATE_SUNDAY) {
      g_autofree char *next = tb_business_hours_describe_day (hours, last + 1);

      if (g_strcmp0 (next, words) != 0)
        break;
      last++;
    }
    if (words) {
      g_string_append (text, text->len ? "; " : "");
      if (last == first)
        g_string_append_printf (text, "%s, %s", weekdays[first], words);
      else
        g_string_append_printf (text, "%s %s %s, %s", weekdays[first],
                                last == first + 1 ? "and" : "to", weekdays[last], words);
    }
    first = last + 1;
  }
  if (text->len == 0)
    return g_strdup ("closed all week");
  return g_string_free (g_steal_pointer (&text), FALSE);
}

char *
tb_business_hours_refusal (const TbBusinessHours *hours, TbSlotStatus status, const GDate *day,
                           GArray *alternatives)
{
  GDateWeekday weekday = g_date_get_weekday (day);
  g_autoptr(GArray) slots = slots_of (hours, weekday);
  g_autoptr(GArray) periods = tb_business_hours_of_day (hours, weekday);
  g_autofree char *spoken = tb_day_spoken (day);

  switch (status) {
  case TB_SLOT_TAKEN:
    if (alternatives->len == 0)
      return g_strdup_printf ("That time is already taken, and %s is fully booked.", spoken);
    return g_strdup ("That time is already taken.");
  case TB_SLOT_CLOSED: {
    g_autofree char *week = tb_business_hours_describe_week (hours);

    return g_strdup_printf ("We are closed on %s; appointments are %s.", weekdays[weekday],
                            week);
  }
  case TB_SLOT_OUTSIDE_HOURS: {
    g_autofree char *words = tb_business_hours_describe_day (hours, weekday);
    g_autofree char *last = slots->len ? tb_minute_format (g_array_index (slots, guint,
                                                                          slots->len - 1))
                                       : NULL;

    if (!last)
      return g_strdup_printf ("That is outside our opening hours on %s, %s.",
                              weekdays[weekday], words);
    return g_strdup_printf ("That is outside our opening hours on %s, %s; the last "
                            "appointment starts at %s.", weekdays[weekday], words, last);
  }
  case TB_SLOT_NOT_A_SLOT: {
    g_autoptr(GString) text = g_string_new (NULL);

    g_string_printf (text, "Appointments start every %u minutes", TB_APPOINTMENT_SLOT);
    for (guint i = 0; i + 1 < periods->len; i += 2) {
      g_autofree char *opens = tb_minute_format (g_array_index (periods, guint, i));

      g_string_append_printf (text, "%s from %s", i ? " and" : "", opens);
    }
    g_string_append_c (text, '.');
    return g_string_free (g_steal_pointer (&text), FALSE);
  }
  case TB_SLOT_PAST:
    return g_strdup ("That time has already passed.");
  case TB_SLOT_FREE:
  default:
    return g_strdup ("");
  }
}
