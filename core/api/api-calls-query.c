/* api-calls-query.c — the call log's filters (query parameters) read and
 * checked, and turned into a WHERE clause made of fixed fragments with
 * $n placeholders whose values are passed as parameters. */
#define G_LOG_DOMAIN "tb-api-calls"

#include "api-calls.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_LIMIT 50
#define MAX_LIMIT 500

const char tb_api_call_summary_columns[] =
  "c.id, c.agent_name AS agent, c.direction, c.from_number AS \"from\", "
  "c.to_number AS \"to\", c.sip_call_id, "
  TB_API_SQL_TIME ("c.started_at") " AS started_at, "
  TB_API_SQL_TIME ("c.answered_at") " AS answered_at, "
  TB_API_SQL_TIME ("c.ended_at") " AS ended_at, "
  "c.end_reason, "
  "round(extract(epoch FROM c.ended_at - c.started_at) * 1000)::bigint AS duration_ms, "
  "(SELECT count(*) FROM turns t WHERE t.call_id = c.id)::integer AS turns";

typedef enum {
  KIND_TEXT,
  KIND_DIRECTION,
  KIND_SINCE,
  KIND_UNTIL,
  KIND_LIMIT,
  KIND_OFFSET,
} Kind;

/* Each '?' of a fragment is the filter's $n. */
static const struct {
  const char *name;
  Kind kind;
  const char *fragment;
} filters[] = {
  { "agent", KIND_TEXT, "c.agent_name = ?" },
  { "number", KIND_TEXT, "(c.from_number = ? OR c.to_number = ?)" },
  { "direction", KIND_DIRECTION, "c.direction = ?" },
  { "end_reason", KIND_TEXT, "c.end_reason = ?" },
  { "since", KIND_SINCE, "c.started_at >= ?::timestamptz" },
  { "until", KIND_UNTIL, "c.started_at < ?::timestamptz" },
  { "limit", KIND_LIMIT, NULL },
  { "offset", KIND_OFFSET, NULL },
};

static void
add_fragment (TbCallFilter *filter, const char *fragment, const char *value)
{
  g_string_append (filter->where, filter->params->len ? " AND " : " WHERE ");
  g_ptr_array_add (filter->params, g_strdup (value));
  for (const char *p = fragment; *p; p++) {
    if (*p == '?')
      g_string_append_printf (filter->where, "$%u", filter->params->len);
    else
      g_string_append_c (filter->where, *p);
  }
}

/* "YYYY-MM-DD": midnight UTC of that day, or (@until) of the next. */
static GDateTime *
parse_date (const char *text, gboolean until)
{
  static const char shape[] = "dddd-dd-dd";
  g_autoptr(GDateTime) day = NULL;
  int y, m, d;

  if (strlen (text) != strlen (shape))
    return NULL;
  for (guint i = 0; shape[i]; i++)
    if (shape[i] == 'd' ? !g_ascii_isdigit (text[i]) : text[i] != shape[i])
      return NULL;
  y = atoi (text);
  m = atoi (text + 5);
  d = atoi (text + 8);
  if (y < 1 || !g_date_valid_dmy (d, m, y))
    return NULL;
  day = g_date_time_new_utc (y, m, d, 0, 0, 0);
  if (!day)
    return NULL;
  return until ? g_date_time_add_days (day, 1) : g_steal_pointer (&day);
}

/* An ISO 8601 date or date-time (UTC when it has no offset). */
static GDateTime *
parse_time (const char *text, gboolean until)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  GDateTime *time = parse_date (text, until);

  return time ? time : g_date_time_new_from_iso8601 (text, utc);
}

static gboolean
parse_count (const char *text, guint min, guint max, guint *value)
{
  guint64 n = 0;

  if (!g_ascii_string_to_unsigned (text, 10, min, max, &n, NULL))
    return FALSE;
  *value = (guint) n;
  return TRUE;
}

static int
find_filter (const char *name, const char *const *allowed)
{
  if (!g_strv_contains (allowed, name))
    return -1;
  for (guint i = 0; i < G_N_ELEMENTS (filters); i++)
    if (g_str_equal (filters[i].name, name))
      return (int) i;
  return -1;
}

static void
read_value (TbCallFilter *filter, guint i, const char *value, JsonObject *fields)
{
  g_autoptr(GDateTime) time = NULL;
  g_autoptr(GDateTime) utc = NULL;

  switch (filters[i].kind) {
  case KIND_DIRECTION:
    if (!g_str_equal (value, "inbound") && !g_str_equal (value, "outbound")) {
      json_object_set_string_member (fields, filters[i].name, "must be inbound or outbound");
      return;
    }
    /* fall through */
  case KIND_TEXT:
    add_fragment (filter, filters[i].fragment, value);
    return;
  case KIND_SINCE:
  case KIND_UNTIL:
    time = parse_time (value, filters[i].kind == KIND_UNTIL);
    if (!time) {
      json_object_set_string_member (fields, filters[i].name,
                                     "must be an ISO 8601 date (2026-11-24) or date-time "
                                     "(2026-11-24T10:15:00Z)");
      return;
    }
    utc = g_date_time_to_utc (time);
    {
      g_autofree char *exact = g_date_time_format_iso8601 (utc);

      add_fragment (filter, filters[i].fragment, exact);
    }
    if (filters[i].kind == KIND_SINCE)
      filter->since = tb_api_format_time (utc);
    else
      filter->until = tb_api_format_time (utc);
    return;
  case KIND_LIMIT:
    if (!parse_count (value, 1, MAX_LIMIT, &filter->limit))
      json_object_set_string_member (fields, "limit", "must be an integer from 1 to 500");
    return;
  case KIND_OFFSET:
    if (!parse_count (value, 0, G_MAXINT32, &filter->offset))
      json_object_set_string_member (fields, "offset", "must be an integer from 0");
    return;
  }
}

gboolean
tb_call_filter_parse (TbCallFilter *filter, GHashTable *query, const char *const *allowed,
                      SoupServerMessage *msg)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(GList) names = query ? g_hash_table_get_keys (query) : NULL;

  memset (filter, 0, sizeof *filter);
  filter->where = g_string_new (NULL);
  filter->params = g_ptr_array_new_with_free_func (g_free);
  filter->limit = DEFAULT_LIMIT;
  /* In the table's order, so that $n do not depend on the hash table's. */
  for (GList *l = names; l; l = l->next)
    if (find_filter (l->data, allowed) < 0)
      json_object_set_string_member (fields, l->data, "unknown parameter");
  for (guint i = 0; query && i < G_N_ELEMENTS (filters); i++) {
    const char *value = g_hash_table_lookup (query, filters[i].name);

    if (value && *value && g_strv_contains (allowed, filters[i].name))
      read_value (filter, i, value, fields);
  }
  if (json_object_get_size (fields) == 0)
    return TRUE;
  tb_http_reply_invalid (msg, "invalid query", fields);
  return FALSE;
}

void
tb_call_filter_clear (TbCallFilter *filter)
{
  if (filter->where)
    g_string_free (filter->where, TRUE);
  g_clear_pointer (&filter->params, g_ptr_array_unref);
  g_clear_pointer (&filter->since, g_free);
  g_clear_pointer (&filter->until, g_free);
}

char *
tb_api_read_call_id (const char *segment, SoupServerMessage *msg)
{
  g_autofree char *id = g_ascii_strdown (segment, -1);
  g_autoptr(JsonObject) fields = NULL;

  if (g_uuid_string_is_valid (id))
    return g_steal_pointer (&id);
  fields = json_object_new ();
  json_object_set_string_member (fields, "id", "must be a UUID");
  tb_http_reply_invalid (msg, "invalid call id", fields);
  return NULL;
}
