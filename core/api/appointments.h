/* appointments.h — the demo appointment book served over HTTP: two
 * webhooks in the format the tool-webhook plugin posts, and a read-only
 * list for tests and the web UI.
 *
 *   POST /webhooks/appointments/book  arguments {"day": "YYYY-MM-DD",
 *        "time": "HH:MM", "name"?: string}
 *        -> 200 {"ok": true, "message": "Booked for Tuesday 25 November at
 *           10:00.", "appointment": {"id", "day", "time", "caller", "name"?}}
 *        -> 200 {"ok": false, "error": "That time is already taken.",
 *           "alternatives": ["10:30", "11:00"]} when the slot cannot be had
 *           (taken, closed, outside the opening hours, passed): the
 *           language model tells the caller
 *        -> 400 {"error": "..."} when day or time are missing or invalid
 *   POST /webhooks/appointments/list  arguments {"day": "YYYY-MM-DD"}
 *        -> 200 {"ok": true, "day", "date", "open", "free": ["09:00", ...],
 *           "appointments": [{"id", "day", "time", "yours"}]}: other
 *           callers' numbers and names are left out, the model speaks to
 *           whoever calls
 *   GET  /api/v1/appointments[?day=YYYY-MM-DD]
 *        -> 200 {"appointments": [{"id", "day", "time", "caller", "name"?,
 *           "call_id"}]}
 *
 * With a secret ([http] webhook-secret-env), webhook requests must be
 * signed (X-Talkingbits-Signature, see webhook-envelope.h) or get 401.
 * Opening hours and slots: appointment-book.h. */
#pragma once

#include "http-server.h"

G_BEGIN_DECLS

typedef struct _TbAppointments TbAppointments;

/* Adds the routes to @server, which must be freed (or shut down) before
 * the book. @secret: NULL for unsigned webhooks. */
TbAppointments *tb_appointments_new (TbHttpServer *server, const char *secret);
/* A reload may change the secret. */
void tb_appointments_set_secret (TbAppointments *appointments, const char *secret);
void tb_appointments_free (TbAppointments *appointments);

G_END_DECLS
