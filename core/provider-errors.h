/* provider-errors.h — the latest failures of providers (speech to text,
 * voice, language model, tools), with the call, the provider and the
 * error's message, for the Web API's GET /api/v1/provider-errors and the
 * web UI's dashboard. Process-global and thread-safe like the metrics
 * (which count the same failures, from here): fed from the workers where
 * providers fail, read on the main context. Kept in memory, the latest
 * TB_PROVIDER_ERRORS_KEPT; a restart forgets them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TB_PROVIDER_ERRORS_KEPT 100

typedef struct {
  GDateTime *at;
  char *kind;        /* "stt", "tts", "llm", "tool" */
  char *provider;
  char *call_id;     /* NULL: outside a call */
  char *message;
} TbProviderError;

void tb_provider_error_free (TbProviderError *failure);

/* Any thread: provider @provider of @kind failed during call @call_id
 * (NULL: outside a call) with @message. Counted in the metrics too
 * (tb_metrics_provider_error()). */
void tb_provider_errors_add (const char *kind, const char *provider, const char *call_id,
                             const char *message);

/* Copies of the latest @limit failures, newest first (TbProviderError *). */
GPtrArray *tb_provider_errors_dup (guint limit);

G_END_DECLS
