/* appointment-book.c — the demo's in-memory appointment book: opening
 * hours, slots, no double bookings, and free slots near a taken one. */
#define G_LOG_DOMAIN "tb-appointments"

#include "appointment-book.h"

struct _TbAppointmentBook {
  GMutex lock;
  GPtrArray *appointments;   /* TbAppointment *, by day and time */
  guint64 next_id;
};

TbAppointment *
tb_appointment_copy (const TbAppointment *appointment)
{
  TbAppointment *copy = g_new0 (TbAppointment, 1);

  *copy = *appointment;
  copy->caller = g_strdup (appointment->caller);
  copy->name = g_strdup (appointment->name);
  copy->call_id = g_strdup (appointment->call_id);
  return copy;
}

void
tb_appointment_free (TbAppointment *appointment)
{
  if (!appointment)
    return;
  g_free (appointment->caller);
  g_free (appointment->name);
  g_free (appointment->call_id);
  g_free (appointment);
}

TbAppointmentBook *
tb_appointment_book_new (void)
{
  TbAppointmentBook *book = g_new0 (TbAppointmentBook, 1);

  g_mutex_init (&book->lock);
  book->appointments = g_ptr_array_new_with_free_func ((GDestroyNotify) tb_appointment_free);
  book->next_id = 1;
  return book;
}

void
tb_appointment_book_free (TbAppointmentBook *book)
{
  if (!book)
    return;
  g_ptr_array_unref (book->appointments);
  g_mutex_clear (&book->lock);
  g_free (book);
}

gboolean
tb_appointment_day_is_open (const GDate *day)
{
  GDateWeekday weekday = g_date_get_weekday (day);

  return weekday >= G_DATE_MONDAY && weekday <= G_DATE_FRIDAY;
}

/* Minutes since 1 January of year 1, for ordering and comparing. */
static gint64
when (const GDate *day, guint minute)
{
  return (gint64) g_date_get_julian (day) * 24 * 60 + minute;
}

static gint64
now_local (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  GDate today;

  g_date_clear (&today, 1);
  g_date_set_dmy (&today, (GDateDay) g_date_time_get_day_of_month (now),
                  (GDateMonth) g_date_time_get_month (now), (GDateYear) g_date_time_get_year (now));
  return when (&today, (guint) (g_date_time_get_hour (now) * 60 + g_date_time_get_minute (now)));
}

/* Where an appointment at @key goes (or is) in the ordered list. */
static guint
position (TbAppointmentBook *book, gint64 key, gboolean *found)
{
  guint lo = 0, hi = book->appointments->len;

  *found = FALSE;
  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    const TbAppointment *a = g_ptr_array_index (book->appointments, mid);
    gint64 k = when (&a->day, a->minute);

    if (k == key) {
      *found = TRUE;
      return mid;
    }
    if (k < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* The caller holds the lock. */
static GArray *
free_slots_locked (TbAppointmentBook *book, const GDate *day)
{
  GArray *slots = g_array_new (FALSE, FALSE, sizeof (guint));
  gint64 now = now_local ();

  if (!tb_appointment_day_is_open (day))
    return slots;
  for (guint minute = TB_APPOINTMENT_OPENS; minute < TB_APPOINTMENT_CLOSES;
       minute += TB_APPOINTMENT_SLOT) {
    gboolean taken;

    if (when (day, minute) <= now)
      continue;
    position (book, when (day, minute), &taken);
    if (!taken)
      g_array_append_val (slots, minute);
  }
  return slots;
}

GArray *
tb_appointment_book_free_slots (TbAppointmentBook *book, const GDate *day)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&book->lock);

  return free_slots_locked (book, day);
}

/* Up to two of @open_slots near @minute: the next ones after it, then the
 * last ones before it; in order. */
static GArray *
nearby (GArray *open_slots, guint minute)
{
  GArray *near = g_array_new (FALSE, FALSE, sizeof (guint));
  guint first_after = 0;

  while (first_after < open_slots->len && g_array_index (open_slots, guint, first_after) <= minute)
    first_after++;
  for (guint i = first_after; i < open_slots->len && near->len < 2; i++)
    g_array_append_val (near, g_array_index (open_slots, guint, i));
  for (guint i = first_after; i > 0 && near->len < 2; i--)
    g_array_prepend_val (near, g_array_index (open_slots, guint, i - 1));
  return near;
}

static TbBookingStatus
check_slot (TbAppointmentBook *book, const GDate *day, guint minute)
{
  gboolean taken;

  if (when (day, TB_APPOINTMENT_CLOSES) <= now_local ())
    return TB_BOOKING_PAST;
  if (!tb_appointment_day_is_open (day))
    return TB_BOOKING_CLOSED;
  if (minute < TB_APPOINTMENT_OPENS || minute >= TB_APPOINTMENT_CLOSES)
    return TB_BOOKING_OUTSIDE_HOURS;
  if ((minute - TB_APPOINTMENT_OPENS) % TB_APPOINTMENT_SLOT != 0)
    return TB_BOOKING_NOT_A_SLOT;
  if (when (day, minute) <= now_local ())
    return TB_BOOKING_PAST;
  position (book, when (day, minute), &taken);
  return taken ? TB_BOOKING_TAKEN : TB_BOOKING_OK;
}

TbBookingStatus
tb_appointment_book_add (TbAppointmentBook *book, const GDate *day, guint minute,
                         const char *caller, const char *name, const char *call_id,
                         TbAppointment **booked, GArray **alternatives)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&book->lock);
  TbBookingStatus status = check_slot (book, day, minute);
  TbAppointment *appointment;
  gboolean taken;
  guint at;

  *booked = NULL;
  *alternatives = NULL;
  if (status != TB_BOOKING_OK) {
    g_autoptr(GArray) open_slots = free_slots_locked (book, day);

    *alternatives = nearby (open_slots, minute);
    return status;
  }

  appointment = g_new0 (TbAppointment, 1);
  appointment->id = book->next_id++;
  appointment->day = *day;
  appointment->minute = minute;
  appointment->caller = g_strdup (caller ? caller : "");
  appointment->name = name && *name ? g_strdup (name) : NULL;
  appointment->call_id = g_strdup (call_id ? call_id : "");
  at = position (book, when (day, minute), &taken);
  g_ptr_array_insert (book->appointments, (gint) at, appointment);
  *booked = tb_appointment_copy (appointment);
  return TB_BOOKING_OK;
}

GPtrArray *
tb_appointment_book_list (TbAppointmentBook *book, const GDate *day)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&book->lock);
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) tb_appointment_free);

  for (guint i = 0; i < book->appointments->len; i++) {
    const TbAppointment *a = g_ptr_array_index (book->appointments, i);

    if (!day || g_date_compare (&a->day, day) == 0)
      g_ptr_array_add (list, tb_appointment_copy (a));
  }
  return list;
}
