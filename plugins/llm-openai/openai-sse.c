/* openai-sse.c — Server-Sent Events, parsed as the bytes arrive. */
#define G_LOG_DOMAIN "tb-llm-openai"

#include "openai-sse.h"

#include <string.h>

#define UTF8_BOM "\xEF\xBB\xBF"

struct _TbSseParser {
  TbSseEventFunc func;
  gpointer user_data;
  GString *line;        /* the line being read, without its end     */
  GString *data;        /* the event's data lines, joined with '\n' */
  GString *type;        /* the event's "event" field                */
  gboolean has_data;
  gboolean after_cr;    /* the last line ended with CR: an LF next is its end too */
  gboolean first_line;  /* a byte-order mark may open the stream     */
  gboolean stopped;
};

TbSseParser *
tb_sse_parser_new (TbSseEventFunc func, gpointer user_data)
{
  TbSseParser *parser = g_new0 (TbSseParser, 1);

  parser->func = func;
  parser->user_data = user_data;
  parser->line = g_string_new (NULL);
  parser->data = g_string_new (NULL);
  parser->type = g_string_new (NULL);
  parser->first_line = TRUE;
  return parser;
}

void
tb_sse_parser_free (TbSseParser *parser)
{
  if (!parser)
    return;
  g_string_free (parser->line, TRUE);
  g_string_free (parser->data, TRUE);
  g_string_free (parser->type, TRUE);
  g_free (parser);
}

void
tb_sse_parser_reset (TbSseParser *parser)
{
  g_string_truncate (parser->line, 0);
  g_string_truncate (parser->data, 0);
  g_string_truncate (parser->type, 0);
  parser->has_data = FALSE;
  parser->after_cr = FALSE;
  parser->first_line = TRUE;
  parser->stopped = FALSE;
}

static void
dispatch (TbSseParser *parser)
{
  /* An event without data lines is no event (the spec drops it). */
  if (parser->has_data &&
      !parser->func (parser->type->len ? parser->type->str : "message", parser->data->str,
                     parser->user_data))
    parser->stopped = TRUE;
  g_string_truncate (parser->data, 0);
  g_string_truncate (parser->type, 0);
  parser->has_data = FALSE;
}

static void
process_line (TbSseParser *parser)
{
  const char *line = parser->line->str;
  const char *colon, *value;
  gsize field_len;

  if (parser->first_line) {
    parser->first_line = FALSE;
    if (g_str_has_prefix (line, UTF8_BOM))
      line += strlen (UTF8_BOM);
  }
  if (*line == '\0') {
    dispatch (parser);
    return;
  }
  if (*line == ':')
    return;     /* a comment: servers send them to keep the connection alive */
  colon = strchr (line, ':');
  field_len = colon ? (gsize) (colon - line) : strlen (line);
  value = colon ? colon + 1 : "";
  if (*value == ' ')
    value++;
  if (field_len == 4 && strncmp (line, "data", 4) == 0) {
    if (parser->has_data)
      g_string_append_c (parser->data, '\n');
    g_string_append (parser->data, value);
    parser->has_data = TRUE;
  } else if (field_len == 5 && strncmp (line, "event", 5) == 0) {
    g_string_assign (parser->type, value);
  }
  /* "id" and "retry" only matter to a client that reconnects, which a
   * chat request never does; other fields are ignored, as the spec says. */
}

gboolean
tb_sse_parser_feed (TbSseParser *parser, const char *data, gsize len)
{
  const char *p = data, *end = data + len;

  while (p < end && !parser->stopped) {
    const char *stop = p;

    if (parser->after_cr) {
      parser->after_cr = FALSE;
      if (*p == '\n') {
        p++;
        continue;
      }
    }
    while (stop < end && *stop != '\r' && *stop != '\n')
      stop++;
    g_string_append_len (parser->line, p, stop - p);
    if (stop == end)
      break;
    parser->after_cr = *stop == '\r';
    process_line (parser);
    g_string_truncate (parser->line, 0);
    p = stop + 1;
  }
  return !parser->stopped;
}

gboolean
tb_sse_parser_has_partial (TbSseParser *parser)
{
  return parser->line->len > 0 || parser->has_data || parser->type->len > 0;
}
