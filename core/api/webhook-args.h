/* webhook-args.h — the "arguments" of a built-in webhook request read and
 * checked one by one; what is wrong with each is collected and answered
 * at once with 400 {"error": "arguments.day is missing: ...; ...",
 * "fields": {"day": "is missing: ..."}}. Arguments a route does not take
 * are let be (a business's tool may send more). */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct {
  JsonObject *arguments;     /* borrowed */
  JsonObject *fields;        /* name -> what is wrong */
  GString *message;
} TbWebhookArgs;

void tb_webhook_args_init (TbWebhookArgs *args, JsonObject *arguments);
void tb_webhook_args_clear (TbWebhookArgs *args);

/* Records that @name is wrong: @why ("is missing: ...", "must be ..."),
 * said after "arguments.NAME " in the message. */
void tb_webhook_args_fail (TbWebhookArgs *args, const char *name, const char *why);

/* The string argument @name, at most @max_chars characters; NULL when it
 * is absent or null (an error when @required) or wrong. */
const char *tb_webhook_args_string (TbWebhookArgs *args, const char *name, gboolean required,
                                    const char *expected, guint max_chars);
/* Whether @text (NULL: not given) is @valid: when not, that it is not
 * @expected is recorded. */
gboolean tb_webhook_args_value (TbWebhookArgs *args, const char *name, const char *text,
                                gboolean valid, const char *expected);
/* A date "YYYY-MM-DD" into @day: TRUE when given and valid. */
gboolean tb_webhook_args_day (TbWebhookArgs *args, const char *name, gboolean required,
                              GDate *day);
/* A time "HH:MM" into @minute: TRUE when given and valid. */
gboolean tb_webhook_args_time (TbWebhookArgs *args, const char *name, gboolean required,
                               guint *minute);
/* A positive whole number (or a string of digits) into @id: TRUE when
 * given and valid. */
gboolean tb_webhook_args_id (TbWebhookArgs *args, const char *name, guint64 *id);
gboolean tb_webhook_args_has (TbWebhookArgs *args, const char *name);
/* FALSE when nothing was wrong; otherwise TRUE after replying 400. */
gboolean tb_webhook_args_reply_invalid (TbWebhookArgs *args, SoupServerMessage *msg);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TbWebhookArgs, tb_webhook_args_clear)

G_END_DECLS
