/* appointment-book.h — the demo's appointment book, kept in memory (a
 * later version keeps it in PostgreSQL). Safe to use from any thread.
 *
 * Opening hours are fixed for the demo: Monday to Friday, 09:00 to 17:00
 * in the daemon's local time zone, in 30-minute slots (the first starts
 * at 09:00, the last at 16:30). One appointment per slot; days and times
 * that have passed cannot be booked. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TB_APPOINTMENT_OPENS   (9 * 60)    /* minutes after midnight */
#define TB_APPOINTMENT_CLOSES  (17 * 60)
#define TB_APPOINTMENT_SLOT    30          /* minutes                */
#define TB_APPOINTMENT_SLOTS   ((TB_APPOINTMENT_CLOSES - TB_APPOINTMENT_OPENS) / TB_APPOINTMENT_SLOT)

typedef struct {
  guint64 id;
  GDate day;
  guint minute;            /* start, minutes after midnight */
  char *caller;            /* "" when unknown */
  char *name;              /* NULL when not given */
  char *call_id;           /* "" when unknown */
} TbAppointment;

typedef enum {
  TB_BOOKING_OK,
  TB_BOOKING_TAKEN,        /* the slot has an appointment        */
  TB_BOOKING_CLOSED,       /* Saturday or Sunday                 */
  TB_BOOKING_OUTSIDE_HOURS,
  TB_BOOKING_NOT_A_SLOT,   /* not on the hour or at half past    */
  TB_BOOKING_PAST,
} TbBookingStatus;

typedef struct _TbAppointmentBook TbAppointmentBook;

TbAppointmentBook *tb_appointment_book_new (void);
void tb_appointment_book_free (TbAppointmentBook *book);

/* Books the slot at @minute on @day. TB_BOOKING_OK: *@booked is a copy of
 * the new appointment. Otherwise nothing changes and *@alternatives holds
 * up to two free slots of that day (minutes, in order) near the one asked
 * for: the next ones after it, then the last ones before it. */
TbBookingStatus tb_appointment_book_add (TbAppointmentBook *book, const GDate *day, guint minute,
                                         const char *caller, const char *name,
                                         const char *call_id, TbAppointment **booked,
                                         GArray **alternatives);

/* Copies of the appointments on @day (NULL: every day), by day and time. */
GPtrArray *tb_appointment_book_list (TbAppointmentBook *book, const GDate *day);

/* The slots of @day that can still be booked (minutes, in order). */
GArray *tb_appointment_book_free_slots (TbAppointmentBook *book, const GDate *day);

/* Whether the business is open on @day at all (Monday to Friday). */
gboolean tb_appointment_day_is_open (const GDate *day);

TbAppointment *tb_appointment_copy (const TbAppointment *appointment);
void tb_appointment_free (TbAppointment *appointment);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbAppointment, tb_appointment_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbAppointmentBook, tb_appointment_book_free)

G_END_DECLS
