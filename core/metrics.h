/* metrics.h — the process's counters and latency histograms for /metrics:
 * calls ended by end reason, each latency stage of the conversation, and
 * provider failures. Process-global like the call records' queue, and
 * thread-safe: fed from the threads where calls end and providers fail,
 * read by the HTTP server. Written out in Prometheus' text exposition
 * format 0.0.4. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Content-Type of the exposition. */
#define TB_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Any thread: counts an ended call from its end-of-call record (the JSON
 * of call.c: end_reason, turns with stt_final_ms, llm_first_token_ms,
 * tts_first_audio_ms, response_ms and tools[].ms). The greeting's
 * response_ms (a turn without caller words) is the stage "first_response",
 * replies to the caller are "response". */
void tb_metrics_add_call (JsonNode *record);

/* Any thread: a provider of @kind ("stt", "tts", "llm", "tool") named
 * @provider failed or gave nothing in time. */
void tb_metrics_provider_error (const char *kind, const char *provider);

/* Any thread: provider @to of an agent's chain of @kind took over a
 * request that provider @from failed or did not answer in time. */
void tb_metrics_provider_fallback (const char *kind, const char *from, const char *to);

/* Appends every counter and histogram to @out, each with HELP and TYPE. */
void tb_metrics_write (GString *out);

/* Appends a gauge @name with @help and its one sample @value to @out. */
void tb_metrics_write_gauge (GString *out, const char *name, const char *help, double value);
/* Appends the HELP and TYPE lines of @name, of @type ("gauge", ...). */
void tb_metrics_write_header (GString *out, const char *name, const char *type, const char *help);
/* Appends a sample of @name with the NULL-terminated @labels set to
 * @values (escaped). */
void tb_metrics_write_labelled_sample (GString *out, const char *name, const char *const *labels,
                                       const char *const *values, double value);
/* Appends a sample of @name labelled @label="@label_value" (escaped). */
void tb_metrics_write_sample (GString *out, const char *name, const char *label,
                              const char *label_value, double value);

G_END_DECLS
