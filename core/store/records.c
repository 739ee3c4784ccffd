/* records.c — the call records' write queue: an inbox filled from any
 * thread, the records in memory, the journal file, and one transaction at
 * a time on the database (see records.h). */
#define G_LOG_DOMAIN "tb-records"

#include "records.h"

#include "record-rows.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

/* Committed journal lines are cut from the file after this many. */
#define COMPACT_EVERY 100

typedef struct _Writing Writing;

struct _TbRecords {
  TbDb *db;
  GMainContext *context;
  char *journal_path;
  char *rejected_path;
  guint memory_limit;

  GSource *wake;          /* dispatches the inbox on the main context */
  GQueue memory;          /* JsonNode *, oldest first                 */
  guint journal_lines;    /* lines of the journal not committed       */
  goffset journal_done;   /* bytes of the journal committed           */
  guint since_compact;

  Writing *writing;       /* the transaction in flight                */
  Writing *probe;         /* waiting for the database to be up        */
};

/* A record's transaction, or (record NULL) a probe. */
struct _Writing {
  TbRecords *records;     /* NULL once the queue is gone              */
  JsonNode *record;
  gboolean from_journal;
  gsize line_length;      /* of its journal line, with the newline    */
  guint pending;          /* statements whose callback is to come     */
  gboolean down;          /* the connection broke or was closed       */
  gboolean cancelled;
  char *refused;          /* the server's first refusal               */
};

/* The installed queue, its inbox and the depth, shared with other threads. */
G_LOCK_DEFINE_STATIC (installed);
static TbRecords *installed;
static GQueue inbox = G_QUEUE_INIT;
static gint depth;

static void kick (TbRecords *records);

/* ---- JSON lines --------------------------------------------------------- */

static char *
to_line (JsonNode *record)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, record);
  return json_generator_to_data (generator, NULL);
}

/* Appends @lines (each ending with a newline) to @path, synced. */
static gboolean
append_text (const char *path, const char *text, GError **error)
{
  FILE *file = fopen (path, "a");
  gboolean ok;
  int saved;

  if (!file) {
    saved = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", path,
                 g_strerror (saved));
    return FALSE;
  }
  ok = fputs (text, file) >= 0 && fflush (file) == 0 && fsync (fileno (file)) == 0;
  saved = errno;
  if (fclose (file) != 0 && ok) {
    ok = FALSE;
    saved = errno;
  }
  if (!ok)
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", path,
                 g_strerror (saved));
  return ok;
}

static gboolean
append_record (const char *path, JsonNode *record, GError **error)
{
  g_autofree char *line = to_line (record);
  g_autofree char *text = g_strconcat (line, "\n", NULL);

  return append_text (path, text, error);
}

/* ---- the journal -------------------------------------------------------- */

/* The journal's next uncommitted line (without its newline), NULL at its
 * end; @length with the newline. */
static char *
journal_read_line (TbRecords *records, gsize *length)
{
  FILE *file = fopen (records->journal_path, "r");
  char *line = NULL;
  size_t size = 0;
  ssize_t n = -1;

  if (!file)
    return NULL;
  if (fseeko (file, records->journal_done, SEEK_SET) == 0)
    n = getline (&line, &size, file);
  fclose (file);
  if (n <= 0) {
    free (line);
    return NULL;
  }
  *length = (gsize) n;
  if (line[n - 1] == '\n')
    line[n - 1] = '\0';
  {
    char *copy = g_strdup (line);

    free (line);
    return copy;
  }
}

/* Rewrites the journal as @prefix (records, oldest first) followed by its
 * uncommitted lines, through a new file renamed over it. */
static gboolean
journal_rewrite (TbRecords *records, GQueue *prefix, GError **error)
{
  g_autofree char *tmp = g_strconcat (records->journal_path, ".new", NULL);
  g_autofree char *old = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  gsize size = 0;

  for (GList *l = prefix ? prefix->head : NULL; l; l = l->next) {
    g_autofree char *line = to_line (l->data);

    g_string_append (text, line);
    g_string_append_c (text, '\n');
  }
  if (g_file_get_contents (records->journal_path, &old, &size, NULL) &&
      (gsize) records->journal_done < size)
    g_string_append_len (text, old + records->journal_done, size - records->journal_done);
  if (text->len == 0) {
    g_unlink (records->journal_path);
  } else {
    g_unlink (tmp);
    if (!append_text (tmp, text->str, error))
      return FALSE;
    if (g_rename (tmp, records->journal_path) != 0) {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s",
                   records->journal_path, g_strerror (saved));
      return FALSE;
    }
  }
  records->journal_done = 0;
  records->since_compact = 0;
  return TRUE;
}

/* A journal found at start: its lines are queued; a last line cut short
 * (the process died while writing it) gets its newline. */
static void
journal_open (TbRecords *records)
{
  g_autofree char *text = NULL;
  gsize size = 0;

  if (!g_file_get_contents (records->journal_path, &text, &size, NULL) || size == 0)
    return;
  for (gsize i = 0; i < size; i++)
    if (text[i] == '\n')
      records->journal_lines++;
  if (text[size - 1] != '\n') {
    g_autoptr(GError) error = NULL;

    records->journal_lines++;
    if (!append_text (records->journal_path, "\n", &error))
      g_warning ("journal: %s", error->message);
  }
  g_atomic_int_add (&depth, (gint) records->journal_lines);
  g_message ("journal %s: %u call records to write", records->journal_path,
             records->journal_lines);
}

/* The journal's first uncommitted line is done with. */
static void
journal_advance (TbRecords *records, gsize length)
{
  g_autoptr(GError) error = NULL;

  records->journal_done += length;
  records->journal_lines--;
  if (records->journal_lines == 0) {
    g_unlink (records->journal_path);
    records->journal_done = 0;
    records->since_compact = 0;
  } else if (++records->since_compact >= COMPACT_EVERY &&
             !journal_rewrite (records, NULL, &error)) {
    g_warning ("journal: %s", error->message);
  }
}

/* A record the database refuses (or that is not one) is set aside. */
static void
set_aside (TbRecords *records, const char *line, JsonNode *record, const char *why)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = record ? to_line (record) : g_strdup (line);
  g_autofree char *with_newline = g_strconcat (text, "\n", NULL);

  g_warning ("call record refused (%s); kept in %s", why, records->rejected_path);
  if (!append_text (records->rejected_path, with_newline, &error))
    g_warning ("call record lost: %s: %s", error->message, text);
}

/* ---- writing ------------------------------------------------------------ */

static void
writing_free (Writing *w)
{
  g_clear_pointer (&w->record, json_node_unref);
  g_free (w->refused);
  g_free (w);
}

/* @w's record is written or set aside: the next one. */
static void
consume (TbRecords *records, Writing *w)
{
  if (w->from_journal)
    journal_advance (records, w->line_length);
  else
    json_node_unref (g_queue_pop_head (&records->memory));
  g_atomic_int_add (&depth, -1);
}

static void
finish (Writing *w)
{
  TbRecords *records = w->records;

  if (!records) {
    writing_free (w);
    return;
  }
  records->writing = NULL;
  if (w->down) {
    /* Written or not, it stays first in line: a replay is skipped. */
    if (!w->cancelled)
      kick (records);
  } else {
    const char *id = json_object_get_string_member_with_default (
      json_node_get_object (w->record), "id", "?");

    if (w->refused)
      set_aside (records, NULL, w->record, w->refused);
    else
      g_debug ("call %s recorded", id);
    consume (records, w);
    kick (records);
  }
  writing_free (w);
}

static void
on_statement (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Writing *w = user_data;

  if (error) {
    if (error->domain == TB_DB_ERROR && error->code != TB_DB_ERROR_DOWN) {
      if (!w->refused)
        w->refused = g_strdup (error->message);
    } else {
      w->down = TRUE;
      w->cancelled |= g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    }
  } else if (w->pending == 1 && g_strcmp0 (PQcmdStatus (result), "COMMIT") != 0 &&
             !w->refused) {
    w->refused = g_strdup_printf ("the transaction ended with %s", PQcmdStatus (result));
  }
  if (--w->pending == 0)
    finish (w);
}

/* Queues @w's whole transaction at once: nothing else gets between. */
static void
write_record (TbRecords *records, Writing *w)
{
  guint64 session = tb_db_get_session (records->db);
  char *call[TB_RECORD_CALL_PARAMS] = { NULL };
  g_autofree char *turns = NULL;
  g_autofree char *tools = NULL;
  g_autoptr(GError) error = NULL;

  if (!tb_record_to_params (w->record, call, &turns, &tools, &error)) {
    set_aside (records, NULL, w->record, error->message);
    consume (records, w);
    writing_free (w);
    kick (records);
    return;
  }
  {
    const char *const rows[] = { call[0], turns, tools };

    records->writing = w;
    w->pending = 4;
    tb_db_query_on (records->db, session, "BEGIN", 0, NULL, on_statement, w);
    tb_db_query_on (records->db, session, tb_record_insert_call_sql, TB_RECORD_CALL_PARAMS,
                    (const char *const *) call, on_statement, w);
    tb_db_query_on (records->db, session, tb_record_insert_turns_sql, 3, rows, on_statement, w);
    tb_db_query_on (records->db, session, "COMMIT", 0, NULL, on_statement, w);
  }
  for (guint i = 0; i < TB_RECORD_CALL_PARAMS; i++)
    g_free (call[i]);
}

static void
on_probe (TbDb *db, PGresult *result, const GError *error, gpointer user_data)
{
  Writing *w = user_data;
  TbRecords *records = w->records;
  gboolean cancelled = error && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  writing_free (w);
  if (!records)
    return;
  records->probe = NULL;
  if (!cancelled)
    kick (records);
}

/* Writes the next record when the database is up; else waits for it with
 * a query that runs once it is. */
static void
kick (TbRecords *records)
{
  Writing *w;

  if (records->writing || records->probe)
    return;
  if (g_queue_is_empty (&records->memory) && records->journal_lines == 0)
    return;
  w = g_new0 (Writing, 1);
  w->records = records;
  if (!tb_db_is_up (records->db)) {
    records->probe = w;
    tb_db_query (records->db, "SELECT 1", 0, NULL, on_probe, w);
    return;
  }
  if (!g_queue_is_empty (&records->memory)) {
    w->record = json_node_ref (g_queue_peek_head (&records->memory));
    write_record (records, w);
    return;
  }
  while (records->journal_lines > 0) {
    g_autofree char *line = journal_read_line (records, &w->line_length);
    g_autoptr(GError) error = NULL;

    if (!line) {
      /* Shorter than counted: someone else cut it. */
      g_warning ("journal %s ended before %u more records", records->journal_path,
                 records->journal_lines);
      g_atomic_int_add (&depth, -(gint) records->journal_lines);
      records->journal_lines = 0;
      g_unlink (records->journal_path);
      records->journal_done = 0;
      break;
    }
    w->from_journal = TRUE;
    w->record = json_from_string (line, &error);
    if (w->record && JSON_NODE_HOLDS_OBJECT (w->record)) {
      write_record (records, w);
      return;
    }
    set_aside (records, line, NULL, error ? error->message : "not a JSON object");
    g_clear_pointer (&w->record, json_node_unref);
    consume (records, w);
  }
  writing_free (w);
}

/* ---- the inbox ---------------------------------------------------------- */

/* A record arrives: into memory while there is room and the journal is
 * empty (so the order holds), else at the end of the journal. */
static void
accept (TbRecords *records, JsonNode *record)
{
  g_autoptr(GError) error = NULL;

  if (records->journal_lines == 0 && g_queue_get_length (&records->memory) < records->memory_limit) {
    g_queue_push_tail (&records->memory, record);
    return;
  }
  if (append_record (records->journal_path, record, &error)) {
    records->journal_lines++;
    json_node_unref (record);
    return;
  }
  /* Not lost while the process lives. */
  g_warning ("call record kept in memory: the journal failed: %s", error->message);
  g_queue_push_tail (&records->memory, record);
}

static gboolean
on_wake (gpointer user_data)
{
  TbRecords *records = user_data;
  JsonNode *record;

  for (;;) {
    G_LOCK (installed);
    record = g_queue_pop_head (&inbox);
    G_UNLOCK (installed);
    if (!record)
      break;
    accept (records, record);
  }
  kick (records);
  return G_SOURCE_CONTINUE;
}

static gboolean
wake_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs wake_funcs = { NULL, NULL, wake_dispatch, NULL, NULL, NULL };

void
tb_records_submit (JsonNode *record)
{
  G_LOCK (installed);
  if (!installed) {
    G_UNLOCK (installed);
    json_node_unref (record);
    return;
  }
  g_queue_push_tail (&inbox, record);
  g_atomic_int_inc (&depth);
  g_source_set_ready_time (installed->wake, 0);
  G_UNLOCK (installed);
}

guint
tb_records_get_depth (void)
{
  return (guint) g_atomic_int_get (&depth);
}

/* ---- the queue ---------------------------------------------------------- */

TbRecords *
tb_records_new (TbDb *db, const char *journal_dir, guint memory_limit, GError **error)
{
  TbRecords *records;

  if (g_mkdir_with_parents (journal_dir, 0700) != 0 || access (journal_dir, W_OK) != 0) {
    int saved = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                 "[database] journal-dir %s: %s", journal_dir, g_strerror (saved));
    return NULL;
  }
  records = g_new0 (TbRecords, 1);
  records->db = db;
  records->context = g_main_context_ref_thread_default ();
  records->journal_path = g_build_filename (journal_dir, "records.jsonl", NULL);
  records->rejected_path = g_build_filename (journal_dir, "rejected.jsonl", NULL);
  records->memory_limit = memory_limit;
  g_queue_init (&records->memory);
  records->wake = g_source_new (&wake_funcs, sizeof (GSource));
  g_source_set_callback (records->wake, on_wake, records, NULL);
  g_source_set_ready_time (records->wake, -1);
  g_source_attach (records->wake, records->context);

  G_LOCK (installed);
  if (installed)
    g_critical ("a second call record queue: records go to the first");
  else {
    g_atomic_int_set (&depth, 0);
    installed = records;
  }
  G_UNLOCK (installed);

  journal_open (records);
  kick (records);
  return records;
}

gboolean
tb_records_flush (TbRecords *records, guint timeout_ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (tb_records_get_depth () > 0 && tb_db_is_up (records->db) &&
         g_get_monotonic_time () < until) {
    if (!g_main_context_iteration (records->context, FALSE))
      g_usleep (1000);
  }
  return tb_records_get_depth () == 0;
}

void
tb_records_free (TbRecords *records)
{
  g_autoptr(GError) error = NULL;
  JsonNode *record;

  if (!records)
    return;
  G_LOCK (installed);
  if (installed == records)
    installed = NULL;
  while ((record = g_queue_pop_head (&inbox)))
    g_queue_push_tail (&records->memory, record);
  G_UNLOCK (installed);

  /* Their callbacks come when the connection is closed. */
  if (records->writing)
    records->writing->records = NULL;
  if (records->probe)
    records->probe->records = NULL;
  if (!g_queue_is_empty (&records->memory) || records->journal_done > 0) {
    if (!journal_rewrite (records, &records->memory, &error))
      g_warning ("call records lost: %s", error->message);
    else if (!g_queue_is_empty (&records->memory))
      g_message ("%u call records kept in %s for the next start",
                 g_queue_get_length (&records->memory) + records->journal_lines,
                 records->journal_path);
  }
  g_queue_clear_full (&records->memory, (GDestroyNotify) json_node_unref);
  g_atomic_int_set (&depth, 0);
  g_source_destroy (records->wake);
  g_source_unref (records->wake);
  g_main_context_unref (records->context);
  g_free (records->journal_path);
  g_free (records->rejected_path);
  g_free (records);
}
