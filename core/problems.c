/* problems.c — configuration problems, each naming file, line, group and key. */
#define G_LOG_DOMAIN "tb-config"

#include "problems.h"

#include <string.h>

G_DEFINE_QUARK (tb-config-error-quark, tb_config_error)

struct _TbProblems {
  char *file;
  char **lines;      /* the file split into lines; NULL without a file */
  GPtrArray *messages;
  GPtrArray *list;   /* TbProblem *, the same problems one by one */
};

static void
problem_free (TbProblem *problem)
{
  g_free (problem->group);
  g_free (problem->key);
  g_free (problem->message);
  g_free (problem);
}

TbProblems *
tb_problems_new (const char *file, const char *text)
{
  TbProblems *problems = g_new0 (TbProblems, 1);

  problems->file = g_strdup (file ? file : "(built-in)");
  problems->lines = text ? g_strsplit (text, "\n", -1) : NULL;
  problems->messages = g_ptr_array_new_with_free_func (g_free);
  problems->list = g_ptr_array_new_with_free_func ((GDestroyNotify) problem_free);
  return problems;
}

void
tb_problems_free (TbProblems *problems)
{
  if (!problems)
    return;
  g_free (problems->file);
  g_strfreev (problems->lines);
  g_ptr_array_unref (problems->messages);
  g_ptr_array_unref (problems->list);
  g_free (problems);
}

static gboolean
line_is_group (const char *line, const char *group)
{
  gsize len = strlen (group);

  while (g_ascii_isspace (*line))
    line++;
  return line[0] == '[' && strncmp (line + 1, group, len) == 0 && line[len + 1] == ']';
}

static gboolean
line_is_key (const char *line, const char *key)
{
  gsize len = strlen (key);

  while (g_ascii_isspace (*line))
    line++;
  if (strncmp (line, key, len) != 0)
    return FALSE;
  line += len;
  while (*line == ' ' || *line == '\t')
    line++;
  return *line == '=' || *line == '[';
}

/* 1-based line of [group] or of its key; 0 when not found. */
static guint
find_line (TbProblems *problems, const char *group, const char *key)
{
  guint group_line = 0;

  if (!problems->lines || !group)
    return 0;
  for (guint i = 0; problems->lines[i]; i++) {
    const char *line = problems->lines[i];

    if (group_line == 0) {
      if (line_is_group (line, group)) {
        group_line = i + 1;
        if (!key)
          return group_line;
      }
      continue;
    }
    while (g_ascii_isspace (*line))
      line++;
    if (line[0] == '[')
      break;
    if (line_is_key (line, key))
      return i + 1;
  }
  return group_line;
}

void
tb_problems_add (TbProblems *problems, const char *group, const char *key,
                 const char *format, ...)
{
  g_autofree char *message = NULL;
  g_autoptr(GString) text = g_string_new (problems->file);
  guint line = find_line (problems, group, key);
  TbProblem *problem;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  problem = g_new0 (TbProblem, 1);
  problem->group = g_strdup (group);
  problem->key = g_strdup (key);
  problem->message = g_strdup (message);
  g_ptr_array_add (problems->list, problem);

  if (line)
    g_string_append_printf (text, ":%u", line);
  g_string_append (text, ": ");
  if (group)
    g_string_append_printf (text, "[%s] ", group);
  if (key)
    g_string_append_printf (text, "%s: ", key);
  g_string_append (text, message);
  g_ptr_array_add (problems->messages, g_string_free (g_steal_pointer (&text), FALSE));
}

guint
tb_problems_count (TbProblems *problems)
{
  return problems->messages->len;
}

const GPtrArray *
tb_problems_get_list (TbProblems *problems)
{
  return problems->list;
}

const char *
tb_problems_get_file (TbProblems *problems)
{
  return problems->file;
}

gboolean
tb_problems_to_error (TbProblems *problems, GError **error)
{
  g_autoptr(GString) text = NULL;

  if (problems->messages->len == 0)
    return TRUE;
  text = g_string_new (NULL);
  for (guint i = 0; i < problems->messages->len; i++) {
    if (i > 0)
      g_string_append_c (text, '\n');
    g_string_append (text, g_ptr_array_index (problems->messages, i));
  }
  g_set_error_literal (error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID, text->str);
  return FALSE;
}

/* Edits (insert, delete, substitute, swap two neighbours) from @a to @b. */
static guint
edit_distance (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *d = g_new (guint, (la + 1) * (lb + 1));

#define D(i, j) d[(i) * (lb + 1) + (j)]
  for (gsize i = 0; i <= la; i++)
    D (i, 0) = i;
  for (gsize j = 0; j <= lb; j++)
    D (0, j) = j;
  for (gsize i = 1; i <= la; i++) {
    for (gsize j = 1; j <= lb; j++) {
      guint cost = a[i - 1] == b[j - 1] ? 0 : 1;

      D (i, j) = MIN (MIN (D (i - 1, j) + 1, D (i, j - 1) + 1), D (i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        D (i, j) = MIN (D (i, j), D (i - 2, j - 2) + 1);
    }
  }
  return D (la, lb);
#undef D
}

const char *
tb_problems_suggest (const char *word, const char *const *candidates)
{
  const char *best = NULL;
  guint best_distance = G_MAXUINT;
  guint limit = MAX (1, strlen (word) / 3);

  for (guint i = 0; candidates && candidates[i]; i++) {
    guint d = edit_distance (word, candidates[i]);

    if (d < best_distance) {
      best_distance = d;
      best = candidates[i];
    }
  }
  return best_distance <= limit ? best : NULL;
}
