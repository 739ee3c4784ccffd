/* records.h — the call records' write queue: every ended call's record
 * (its end-of-call JSON: the call, its turns and tool invocations) is
 * written to the database in one transaction, in the order the calls
 * ended, exactly once.
 *
 * While the database is down, calls go on: up to @memory_limit records
 * wait in memory, later ones are appended to a journal, JSON lines in
 * JOURNAL-DIR/records.jsonl. When the database is back, the memory is
 * written first, then the journal, whose lines are removed once their
 * transaction has committed. A record whose call is already in the
 * database (a replay after a commit whose answer was lost) is skipped
 * whole, so nothing is written twice. A journal left by an earlier run is
 * written after start. A record the database refuses (not a connection
 * problem) is appended to JOURNAL-DIR/rejected.jsonl with a warning, and
 * the queue goes on.
 *
 * One queue per process: tb_records_new() installs it and tb_records_free()
 * removes it; tb_records_submit() and tb_records_get_depth() work from any
 * thread. Everything else runs on the main context the TbDb lives on. */
#pragma once

#include "db.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _TbRecords TbRecords;

/* The queue writing to @db (which must outlive it) on the thread-default
 * main context, with its journal in @journal_dir (made when missing; an
 * error when that is impossible). A journal found there is queued. */
TbRecords *tb_records_new (TbDb *db, const char *journal_dir, guint memory_limit,
                           GError **error);
/* Records not written yet (in memory, including those on their way from
 * other threads) go to the journal, before the lines already there; the
 * queue is uninstalled. */
void tb_records_free (TbRecords *records);

/* Iterates the main context until every record is written, the database
 * is down, or @timeout_ms passed. TRUE when nothing is left. */
gboolean tb_records_flush (TbRecords *records, guint timeout_ms);

/* Any thread: queues @record (taken), an end-of-call object with id,
 * agent, direction, from, to, sip_call_id, started (ISO 8601), answered
 * (boolean), duration_ms, talk_ms, end_reason and turns (as the
 * conversation's tb_conversation_add_turns() writes them). Dropped when no
 * queue is installed (no database). */
void tb_records_submit (JsonNode *record);

/* Any thread: records accepted and not yet committed (memory and journal);
 * 0 when no queue is installed. */
guint tb_records_get_depth (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbRecords, tb_records_free)

G_END_DECLS
