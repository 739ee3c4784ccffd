/* log.c — the daemon's log writer: journald when stderr is the journal,
 * otherwise one line per message with time, level and domain. */
#define G_LOG_DOMAIN "tb-log"

#include "log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *
level_name (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR) return "ERROR";
  if (level & G_LOG_LEVEL_CRITICAL) return "CRITICAL";
  if (level & G_LOG_LEVEL_WARNING) return "WARNING";
  if (level & G_LOG_LEVEL_MESSAGE) return "NOTICE";
  if (level & G_LOG_LEVEL_INFO) return "INFO";
  return "DEBUG";
}

static GLogWriterOutput
write_line (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  const char *domain = NULL;
  const char *message = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *stamp = NULL;

  for (gsize i = 0; i < n_fields; i++) {
    if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
      domain = fields[i].value;
    else if (g_str_equal (fields[i].key, "MESSAGE"))
      message = fields[i].value;
  }
  if (g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;
  if (g_log_writer_is_journald (fileno (stderr)))
    return g_log_writer_journald (level, fields, n_fields, user_data);

  now = g_date_time_new_now_utc ();
  stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  /* %f gives microseconds; keep milliseconds. */
  if (stamp && strlen (stamp) > 24) {
    stamp[23] = 'Z';
    stamp[24] = '\0';
  }
  fprintf (stderr, "%s %-8s %s: %s\n", stamp ? stamp : "-", level_name (level),
           domain ? domain : "talkingbits", message ? message : "");
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

void
tb_log_init (gboolean verbose)
{
  if (verbose)
    g_log_set_debug_enabled (TRUE);
  g_log_set_writer_func (write_line, NULL, NULL);
}
