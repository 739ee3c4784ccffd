/* webhooks-private.h — what the built-in webhooks' route files share: the
 * webhooks' state, a request answered after the store has answered, the
 * store's errors as HTTP replies, and JSON helpers. */
#pragma once

#include "webhook-envelope.h"
#include "webhook-store.h"
#include "webhooks.h"

G_BEGIN_DECLS

struct _TbWebhooks {
  TbWebhookStore *store;
  char *secret;            /* NULL: webhooks are not signed */
};

/* A request waiting for the store: what the route read from it. */
typedef struct {
  SoupServerMessage *msg;
  TbWebhookStore *store;
  TbWebhookEnvelope *envelope;   /* NULL for the Web API's routes */
  GDate day;               /* invalid when not asked for */
  GDateWeekday weekday;    /* G_DATE_BAD_WEEKDAY when not asked for */
  guint minute;
  guint64 id;
  const char *name;              /* these: borrowed from the envelope */
  const char *phone;
  const char *reason;
  const char *when;
} TbWebhookCall;

/* Defers @msg until tb_webhook_call_free(); takes @envelope. */
TbWebhookCall *tb_webhook_call_new (TbWebhooks *webhooks, SoupServerMessage *msg,
                                    TbWebhookEnvelope *envelope);
void tb_webhook_call_free (TbWebhookCall *call);
/* Replies to a store's @error: 503 when the database is not available,
 * 500 when it refused the query. */
void tb_webhook_call_reply_error (TbWebhookCall *call, const GError *error);

typedef void (*TbWebhooksAddFunc) (JsonBuilder *builder, gconstpointer item);
/* Replies 200 {@name: [each of @items as @add adds it]}. */
void tb_webhook_call_reply_list (TbWebhookCall *call, const char *name, GPtrArray *items,
                                 TbWebhooksAddFunc add);

/* The request envelope of a webhook route, NULL after replying 400/401. */
TbWebhookEnvelope *tb_webhooks_read (TbWebhooks *webhooks, SoupServerMessage *msg);

void tb_webhooks_appointments_register (TbWebhooks *webhooks, TbHttpServer *server);
void tb_webhooks_hours_register (TbWebhooks *webhooks, TbHttpServer *server);
void tb_webhooks_callbacks_register (TbWebhooks *webhooks, TbHttpServer *server);

/* ---- JSON ---- */

/* @value NULL: null. */
void tb_webhooks_add_string (JsonBuilder *builder, const char *name, const char *value);
void tb_webhooks_add_boolean (JsonBuilder *builder, const char *name, gboolean value);
/* ISO 8601 with the offset and milliseconds; @value NULL: null. */
void tb_webhooks_add_time (JsonBuilder *builder, const char *name, GDateTime *value);
/* ["09:00", ...] from minutes. */
void tb_webhooks_add_times (JsonBuilder *builder, const char *name, GArray *minutes);
/* [{"opens": "09:00", "closes": "17:00"}, ...] of @weekday. */
void tb_webhooks_add_hours (JsonBuilder *builder, const char *name, const TbBusinessHours *hours,
                        GDateWeekday weekday);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbWebhookCall, tb_webhook_call_free)

G_END_DECLS
