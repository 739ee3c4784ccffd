/* problems.h — configuration problems, each naming file, line, group and key. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TB_CONFIG_ERROR (tb_config_error_quark ())
GQuark tb_config_error_quark (void);

typedef enum {
  TB_CONFIG_ERROR_NOT_FOUND, /* the file cannot be read      */
  TB_CONFIG_ERROR_PARSE,     /* not keyfile syntax            */
  TB_CONFIG_ERROR_INVALID,   /* one or more problems in values */
} TbConfigErrorCode;

typedef struct _TbProblems TbProblems;

/* One problem: where (group and key, NULL when not about one) and what. */
typedef struct {
  char *group;
  char *key;
  char *message;
} TbProblem;

/* @text is the file's content, used to find the line of each group and
 * key; NULL when there is no file (values built in memory). */
TbProblems *tb_problems_new (const char *file, const char *text);
void tb_problems_free (TbProblems *problems);

/* Adds "FILE:LINE: [GROUP] KEY: message". @group and @key may be NULL. */
void tb_problems_add (TbProblems *problems, const char *group, const char *key,
                      const char *format, ...) G_GNUC_PRINTF (4, 5);
guint tb_problems_count (TbProblems *problems);
const char *tb_problems_get_file (TbProblems *problems);
/* Every problem so far, in order: TbProblem *. */
const GPtrArray *tb_problems_get_list (TbProblems *problems);

/* TRUE when there is no problem; otherwise sets @error (TB_CONFIG_ERROR_INVALID)
 * to every problem, one per line, and returns FALSE. */
gboolean tb_problems_to_error (TbProblems *problems, GError **error);

/* The closest of @candidates to @word when it is near enough to be a typo. */
const char *tb_problems_suggest (const char *word, const char *const *candidates);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbProblems, tb_problems_free)

G_END_DECLS
