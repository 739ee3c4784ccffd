/* openai-sse.h — a Server-Sent Events (text/event-stream) parser, fed the
 * body as it arrives in pieces of any size: an event, a line, even a CR LF
 * pair may be split between two pieces. It follows the WHATWG HTML
 * "event stream" rules: lines end with CR LF, LF or CR; lines starting with
 * ':' are comments; "data" lines of one event are joined with '\n'; an empty
 * line dispatches the event (an event without data is dropped); "event",
 * "id" and "retry" are read or ignored as the rules say. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TbSseParser TbSseParser;

/* One event: @type is "message" when the event named none. Returns FALSE to
 * stop parsing (the rest of the piece and later pieces are ignored). */
typedef gboolean (*TbSseEventFunc) (const char *type, const char *data, gpointer user_data);

TbSseParser *tb_sse_parser_new (TbSseEventFunc func, gpointer user_data);
void tb_sse_parser_free (TbSseParser *parser);

/* Forgets everything fed so far (a new stream starts). */
void tb_sse_parser_reset (TbSseParser *parser);

/* Parses @len bytes more of the stream, dispatching every event they
 * complete. FALSE once the event function has asked to stop. */
gboolean tb_sse_parser_feed (TbSseParser *parser, const char *data, gsize len);

/* TRUE when bytes of an event that was never ended are pending (the
 * stream was cut in the middle of one). */
gboolean tb_sse_parser_has_partial (TbSseParser *parser);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbSseParser, tb_sse_parser_free)

G_END_DECLS
