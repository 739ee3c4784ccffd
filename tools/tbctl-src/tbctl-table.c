/* tbctl-table.c — tables and values for people (see tbctl-table.h). */
#define G_LOG_DOMAIN "tbctl"

#include "tbctl-table.h"

#include <stdio.h>
#include <string.h>

struct _TbctlTable {
  guint columns;
  GPtrArray *rows;         /* of GStrv; the first holds the headers */
};

TbctlTable *
tbctl_table_new (const char *const *headers)
{
  TbctlTable *table = g_new0 (TbctlTable, 1);

  table->columns = g_strv_length ((char **) headers);
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_ptr_array_add (table->rows, g_strdupv ((char **) headers));
  return table;
}

/* @text on one line: newlines and tabs become spaces. */
static char *
one_line (const char *text)
{
  char *line = g_strdup (text ? text : "-");

  for (char *p = line; *p; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t')
      *p = ' ';
  return line;
}

void
tbctl_table_add (TbctlTable *table, const char *const *cells)
{
  char **row = g_new0 (char *, table->columns + 1);

  for (guint i = 0; i < table->columns; i++)
    row[i] = one_line (cells[i]);
  g_ptr_array_add (table->rows, row);
}

void
tbctl_table_add_list (TbctlTable *table, JsonNode *reply, const char *list,
                      const char *const *members)
{
  JsonObject *object = reply && JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply)
                                                               : NULL;
  JsonNode *items = object ? json_object_get_member (object, list) : NULL;
  JsonArray *array = items && JSON_NODE_HOLDS_ARRAY (items) ? json_node_get_array (items) : NULL;

  for (guint i = 0; array && i < json_array_get_length (array); i++) {
    JsonNode *node = json_array_get_element (array, i);
    JsonObject *item = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    g_auto(GStrv) cells = g_new0 (char *, table->columns + 1);

    for (guint c = 0; c < table->columns; c++)
      cells[c] = tbctl_member_text (item, members[c]);
    tbctl_table_add (table, (const char *const *) cells);
  }
}

void
tbctl_table_print (TbctlTable *table, const char *empty)
{
  g_autofree glong *widths = g_new0 (glong, table->columns);

  if (table->rows->len == 1) {
    printf ("%s\n", empty);
    return;
  }
  for (guint r = 0; r < table->rows->len; r++) {
    char **row = g_ptr_array_index (table->rows, r);

    for (guint c = 0; c < table->columns; c++)
      widths[c] = MAX (widths[c], g_utf8_strlen (row[c], -1));
  }
  for (guint r = 0; r < table->rows->len; r++) {
    char **row = g_ptr_array_index (table->rows, r);
    g_autoptr(GString) line = g_string_new (NULL);

    for (guint c = 0; c < table->columns; c++) {
      g_string_append (line, row[c]);
      if (c + 1 < table->columns)
        for (glong pad = g_utf8_strlen (row[c], -1); pad < widths[c] + 2; pad++)
          g_string_append_c (line, ' ');
    }
    while (line->len > 0 && line->str[line->len - 1] == ' ')
      g_string_truncate (line, line->len - 1);
    printf ("%s\n", line->str);
  }
}

void
tbctl_table_free (TbctlTable *table)
{
  if (!table)
    return;
  g_ptr_array_unref (table->rows);
  g_free (table);
}

static gboolean
is_plain (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) || JSON_NODE_HOLDS_NULL (node);
}

char *
tbctl_text (JsonNode *node)
{
  if (!node || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("-");
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    /* An empty text shows as "", apart from null's "-". */
    return g_strdup (*json_node_get_string (node) ? json_node_get_string (node) : "\"\"");
  if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *array = json_node_get_array (node);
    g_autoptr(GString) text = g_string_new (NULL);
    gboolean plain = TRUE;

    for (guint i = 0; i < json_array_get_length (array) && plain; i++)
      plain = is_plain (json_array_get_element (array, i));
    if (plain) {
      for (guint i = 0; i < json_array_get_length (array); i++) {
        g_autofree char *item = tbctl_text (json_array_get_element (array, i));

        g_string_append_printf (text, "%s%s", i ? ", " : "", item);
      }
      return g_strdup (text->len ? text->str : "-");
    }
  }
  return json_to_string (node, FALSE);
}

char *
tbctl_member_text (JsonObject *object, const char *name)
{
  return tbctl_text (object ? json_object_get_member (object, name) : NULL);
}

char *
tbctl_member_time (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;
  g_autoptr(GDateTime) time = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return tbctl_text (node);
  time = g_date_time_new_from_iso8601 (json_node_get_string (node), NULL);
  if (!time)
    return g_strdup (json_node_get_string (node));
  local = g_date_time_to_local (time);
  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
}

char *
tbctl_member_ms (JsonObject *object, const char *name, gboolean seconds)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;
  double ms;

  if (!node || !JSON_NODE_HOLDS_VALUE (node))
    return g_strdup ("-");
  ms = json_node_get_value_type (node) == G_TYPE_INT64 ? (double) json_node_get_int (node)
                                                       : json_node_get_double (node);
  if (seconds)
    return g_strdup_printf ("%.1f s", ms / 1000.0);
  return g_strdup_printf ("%.0f ms", ms);
}
