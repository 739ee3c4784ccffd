/* openai-stream.h — the events of a streamed Chat Completions answer
 * (each a chat.completion.chunk, then "[DONE]") turned into what the host
 * wants: text as it comes, and tool calls once their arguments, streamed in
 * fragments, are whole.
 *
 * Tool-call fragments are assembled by their "index"; servers that leave
 * the index out (early Ollama releases) start a new call with each new
 * "id" and continue the last one otherwise. */
#pragma once

#include <talkingbits-plugin.h>

G_BEGIN_DECLS

typedef struct _TbOpenaiStream TbOpenaiStream;

/* @provider names the provider in error messages ("OpenAI"). */
TbOpenaiStream *tb_openai_stream_new (const char *provider);
void tb_openai_stream_free (TbOpenaiStream *stream);

/* Forgets everything read so far (the request is being retried). */
void tb_openai_stream_reset (TbOpenaiStream *stream);

/* Reads the data of one event, appending the reply's text in it to @text.
 * FALSE with @error when it is not a chunk (TB_PLUGIN_ERROR_PROTOCOL) or is
 * the provider's error object (TB_PLUGIN_ERROR_FAILED or _RATE_LIMITED,
 * with its message). Once the answer is finished, events are ignored. */
gboolean tb_openai_stream_event (TbOpenaiStream *stream, const char *data, GString *text,
                                 GError **error);

/* TRUE once the answer is complete: a finish_reason or "[DONE]" came. */
gboolean tb_openai_stream_finished (TbOpenaiStream *stream);

/* The finish_reason ("stop", "tool_calls", "length", ...), or NULL. */
const char *tb_openai_stream_finish_reason (TbOpenaiStream *stream);

/* The tool calls of the answer in @calls (@n_calls of them, maybe none),
 * in index order, each with a name and arguments that are a JSON object
 * (empty arguments become "{}"); calls without an id get one. Owned by
 * @stream (valid until it is reset or freed). FALSE with a
 * TB_PLUGIN_ERROR_PROTOCOL @error when one of them is not a complete call. */
gboolean tb_openai_stream_tool_calls (TbOpenaiStream *stream, const TbLlmToolCall **calls,
                                      guint *n_calls, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbOpenaiStream, tb_openai_stream_free)

G_END_DECLS
