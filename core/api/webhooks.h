/* webhooks.h — the built-in generalist webhooks the daemon hosts on its
 * HTTP server, in the format the tool-webhook plugin posts (see
 * webhook-envelope.h: the caller's number and the call id come from the
 * envelope), and their lists in the Web API. They keep their data in
 * PostgreSQL when the daemon has a database, in memory otherwise
 * (webhook-store.h).
 *
 *   POST /webhooks/appointments/check  {"day"}            free slots of a day
 *   POST /webhooks/appointments/book   {"day", "time", "name"?}
 *   POST /webhooks/appointments/cancel {"id"} or {"day", "time"}
 *   POST /webhooks/appointments/list   {"day"}            the day, for the model
 *   POST /webhooks/business-hours      {"day"?}           hours of a day or the week
 *   POST /webhooks/callback            {"phone"?, "name"?, "reason"?, "when"?}
 *   GET  /api/v1/appointments[?day=YYYY-MM-DD]
 *   GET  /api/v1/callbacks[?limit=N]                      newest first
 *
 * Replies the model speaks from are 200 {"ok": true, "message": "...", ...}
 * or {"ok": false, "error": "..."} (a slot taken, closed, ...); arguments
 * that are missing or wrong get 400 {"error", "fields"}; 503 while the
 * database is not available. Shapes: webhook-appointments.c,
 * webhook-hours.c, webhook-callbacks.c.
 *
 * With a secret ([http] webhook-secret-env) webhook requests must be
 * signed (X-Talkingbits-Signature) or get 401. */
#pragma once

#include "http-server.h"

G_BEGIN_DECLS

typedef struct _TbWebhooks TbWebhooks;
typedef struct _TbDb TbDb;

/* Adds the routes to @server, which must be freed (or shut down) before
 * the webhooks. @db: NULL to keep everything in memory; otherwise it must
 * outlive the webhooks. @secret: NULL for unsigned webhooks. */
TbWebhooks *tb_webhooks_new (TbHttpServer *server, TbDb *db, const char *secret);
/* A reload may change the secret. */
void tb_webhooks_set_secret (TbWebhooks *webhooks, const char *secret);
void tb_webhooks_free (TbWebhooks *webhooks);

G_END_DECLS
