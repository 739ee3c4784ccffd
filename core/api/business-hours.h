/* business-hours.h — the opening hours of the business, a week of periods
 * (several a day for a lunch break), and what follows from them: the
 * appointment slots of a day (30 minutes from each opening time), whether
 * a time is open, whether a slot can be booked, and the hours in words the
 * language model can speak ("Monday to Friday, 09:00 to 17:00"). Times are
 * minutes after midnight in the daemon's local time zone; weekdays are
 * GDateWeekday (1 Monday ... 7 Sunday). No I/O: the hours come from the
 * business_hours table or tb_business_hours_new_default(). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TB_APPOINTMENT_SLOT 30   /* minutes */

typedef struct _TbBusinessHours TbBusinessHours;

typedef enum {
  TB_SLOT_FREE,
  TB_SLOT_TAKEN,           /* the slot has an appointment              */
  TB_SLOT_CLOSED,          /* no opening hours on that day             */
  TB_SLOT_OUTSIDE_HOURS,
  TB_SLOT_NOT_A_SLOT,      /* open, but no slot starts then            */
  TB_SLOT_PAST,
} TbSlotStatus;

/* No hours: closed every day. */
TbBusinessHours *tb_business_hours_new (void);
/* Monday to Friday, 09:00 to 17:00: the book without a database. */
TbBusinessHours *tb_business_hours_new_default (void);
TbBusinessHours *tb_business_hours_copy (const TbBusinessHours *hours);
void tb_business_hours_free (TbBusinessHours *hours);
/* Adds a period on @weekday, @opens < @closes <= 24 * 60. */
void tb_business_hours_add (TbBusinessHours *hours, GDateWeekday weekday, guint opens,
                            guint closes);

/* The periods of @weekday in order: pairs of minutes (opens, closes). */
GArray *tb_business_hours_of_day (const TbBusinessHours *hours, GDateWeekday weekday);
gboolean tb_business_hours_is_open_on (const TbBusinessHours *hours, GDateWeekday weekday);
gboolean tb_business_hours_is_open_at (const TbBusinessHours *hours, GDateTime *when);

/* Every slot of @day that has not started by @now and is not in @taken
 * (minutes of booked slots, any order; NULL: none): minutes, in order. */
GArray *tb_business_hours_free_slots (const TbBusinessHours *hours, const GDate *day,
                                      GDateTime *now, GArray *taken);
/* Whether @minute on @day can be booked at @now with @taken booked. */
TbSlotStatus tb_business_hours_check (const TbBusinessHours *hours, const GDate *day,
                                      guint minute, GDateTime *now, GArray *taken);
/* Up to two of @free (in order) near @minute: the next ones after it, then
 * the last ones before it; in order. */
GArray *tb_business_hours_nearby (GArray *free, guint minute);

/* "09:00 to 17:00" or "09:00 to 12:00 and 13:00 to 17:00"; NULL when
 * closed on @weekday. */
char *tb_business_hours_describe_day (const TbBusinessHours *hours, GDateWeekday weekday);
/* "Monday to Friday, 09:00 to 17:00" (days with the same hours together,
 * "; " between groups); "closed all week" when there are no hours. */
char *tb_business_hours_describe_week (const TbBusinessHours *hours);
/* What the caller is told when @status refuses @minute on @day. */
char *tb_business_hours_refusal (const TbBusinessHours *hours, TbSlotStatus status,
                                 const GDate *day, GArray *alternatives);

/* ---- days and times in words and in JSON ---- */

/* "Monday" ... "Sunday"; NULL outside 1-7. */
const char *tb_weekday_name (GDateWeekday weekday);
/* "HH:MM". */
char *tb_minute_format (guint minute);
/* "YYYY-MM-DD". */
char *tb_day_format (const GDate *day);
/* "Tuesday 25 November", in English whatever the locale. */
char *tb_day_spoken (const GDate *day);
/* A real date as "YYYY-MM-DD" into @day. */
gboolean tb_day_parse (const char *text, GDate *day);
/* "HH:MM" or "H:MM", 00:00 to 23:59, into minutes after midnight. */
gboolean tb_minute_parse (const char *text, guint *minute);
/* @when's local day and minute. */
void tb_day_from_date_time (GDateTime *when, GDate *day, guint *minute);
/* A local time: @minute after midnight on @day. */
GDateTime *tb_day_at (const GDate *day, guint minute);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbBusinessHours, tb_business_hours_free)

G_END_DECLS
