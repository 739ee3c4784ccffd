/* openai-body.h — the JSON body of a streamed Chat Completions request:
 *   {"model", "messages", "stream": true, "temperature", "max_tokens"?,
 *    "tools"?: [{"type": "function", "function": {"name", "description",
 *                                                  "parameters"}}]}
 * with the host's messages in OpenAI's shape (assistant turns carry their
 * "tool_calls", tool turns the "tool_call_id" they answer). */
#pragma once

#include <talkingbits-plugin.h>

G_BEGIN_DECLS

typedef struct {
  const char *model;
  double temperature;
  gint64 max_tokens;        /* 0: not sent */
} TbOpenaiBodyOptions;

/* NULL with a TB_PLUGIN_ERROR_FAILED @error when the request cannot be
 * sent: a tool whose parameters are not a JSON object, a message with an
 * unknown role, a tool turn answering no call. */
GBytes *tb_openai_body_new (const TbOpenaiBodyOptions *options, const TbLlmRequest *request,
                            GError **error);

G_END_DECLS
