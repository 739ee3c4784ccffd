/* breaker.h — the providers' circuit breakers: a provider that failed
 * [talkingbits] provider-failures times in a row is skipped by the agents
 * whose chains have another provider for provider-cooldown-s seconds, so it
 * does not cost every call a timeout; then it is tried again, and one more
 * failure skips it again. Process-wide (all calls, all workers) and
 * thread-safe; a provider is KIND plus its name ("llm", "openai"). */
#pragma once

#include "config.h"

G_BEGIN_DECLS

/* Whether @provider of @kind may be tried now. */
gboolean tb_breaker_allows (const TbConfig *config, const char *kind, const char *provider);
/* It failed or gave nothing in time. */
void tb_breaker_failure (const TbConfig *config, const char *kind, const char *provider);
/* It answered: its failures in a row start again from zero. */
void tb_breaker_success (const char *kind, const char *provider);

/* Appends the gauge talkingbits_provider_skipped{kind,provider} (1 while
 * skipped) of every provider that has failed, for /metrics. */
void tb_breaker_write_metrics (GString *out);

G_END_DECLS
