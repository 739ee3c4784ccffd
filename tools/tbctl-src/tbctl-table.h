/* tbctl-table.h — tables for people: aligned columns under upper-case
 * headers, and the JSON values of the API as short text (null as "-",
 * lists joined by ", ", times in local time, durations in seconds). */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _TbctlTable TbctlTable;

/* A table with the NULL-terminated @headers. */
TbctlTable *tbctl_table_new (const char *const *headers);
/* A row of as many cells as there are headers (NULL cells are "-"). */
void tbctl_table_add (TbctlTable *table, const char *const *cells);
/* A row per object in the array @list of @reply ({"agents": [...]}),
 * the cells the objects' @members as tbctl_member_text() gives them. */
void tbctl_table_add_list (TbctlTable *table, JsonNode *reply, const char *list,
                           const char *const *members);
/* Prints it on stdout, or @empty when it has no row. */
void tbctl_table_print (TbctlTable *table, const char *empty);
void tbctl_table_free (TbctlTable *table);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbctlTable, tbctl_table_free)

/* @node as text: strings as they are ("" when empty), null or missing as
 * "-", lists of plain values joined by ", ", anything else as compact
 * JSON. */
char *tbctl_text (JsonNode *node);
/* Member @name of @object as tbctl_text() gives it. */
char *tbctl_member_text (JsonObject *object, const char *name);
/* An ISO 8601 time of @object's member @name in local time
 * ("2026-11-24 10:15:00"); "-" when null. */
char *tbctl_member_time (JsonObject *object, const char *name);
/* Milliseconds of @object's member @name as "5.2 s" (@seconds) or
 * "420 ms"; "-" when null. */
char *tbctl_member_ms (JsonObject *object, const char *name, gboolean seconds);

G_END_DECLS
