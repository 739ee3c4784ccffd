/* sip-dtmf-info.c — key presses carried in SIP INFO bodies. */
#define G_LOG_DOMAIN "tb-sip"

#include "sip-dtmf-info.h"

#include <string.h>

static gboolean
is_type (const char *content_type, const char *expected)
{
  gsize n = strlen (expected);

  return g_ascii_strncasecmp (content_type, expected, n) == 0 &&
         (content_type[n] == '\0' || content_type[n] == ';' || g_ascii_isspace (content_type[n]));
}

/* One key, as text: "5", "#", "10" (= '*') or "11" (= '#'). */
static gboolean
read_key (const char *text, char *digit)
{
  g_autofree char *key = g_strstrip (g_strdup (text));

  if (strcmp (key, "10") == 0) {
    *digit = '*';
    return TRUE;
  }
  if (strcmp (key, "11") == 0) {
    *digit = '#';
    return TRUE;
  }
  if (strlen (key) != 1)
    return FALSE;
  *digit = g_ascii_toupper (key[0]);
  return g_ascii_isdigit (*digit) || strchr ("*#ABCD", *digit) != NULL;
}

gboolean
tb_sip_dtmf_info_parse (const char *content_type, const char *body, gsize length,
                        char *digit, guint *duration_ms)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean found = FALSE;

  *duration_ms = 0;
  if (!content_type || !body || length == 0 || length > 1024)
    return FALSE;
  text = g_strndup (body, length);
  if (is_type (content_type, "application/dtmf"))
    return read_key (text, digit);
  if (!is_type (content_type, "application/dtmf-relay"))
    return FALSE;

  lines = g_strsplit_set (text, "\r\n", -1);
  for (guint i = 0; lines[i]; i++) {
    char *equals = strchr (lines[i], '=');
    g_autofree char *name = NULL;

    if (!equals)
      continue;
    name = g_strstrip (g_strndup (lines[i], equals - lines[i]));
    if (g_ascii_strcasecmp (name, "Signal") == 0) {
      found = read_key (equals + 1, digit);
    } else if (g_ascii_strcasecmp (name, "Duration") == 0) {
      guint64 value = g_ascii_strtoull (equals + 1, NULL, 10);

      *duration_ms = (guint) MIN (value, 60000);
    }
  }
  return found;
}
