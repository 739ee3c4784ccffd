/* rules-template.c — response and argument templates: text with
 * {placeholders} for slot values ("{day}" as said back, "{day.value}"
 * normalised) and for fields of a tool's result ("{result.message}");
 * "{{" and "}}" are literal braces. Checked when the rules load, filled in
 * for each reply. */
#define G_LOG_DOMAIN "tb-llm-rules"

#include "rules.h"

#include <string.h>

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-' || c == '.';
}

/* Calls @func on each placeholder name of @text; FALSE with @error on a
 * syntax error or when @func says so. */
static gboolean
each_placeholder (const char *text, gboolean (*func) (const char *name, gpointer data,
                                                      GError **error),
                  gpointer data, GError **error)
{
  for (const char *p = text; *p; p++) {
    const char *end;

    if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
      p++;
      continue;
    }
    if (*p == '}') {
      g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                   "'}' without '{' (write '}}' for a brace)");
      return FALSE;
    }
    if (*p != '{')
      continue;
    for (end = p + 1; is_name_char (*end); end++)
      ;
    if (*end != '}' || end == p + 1) {
      g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                   "'{' must start a placeholder such as {day} (write '{{' for a brace)");
      return FALSE;
    }
    {
      g_autofree char *name = g_strndup (p + 1, end - p - 1);

      if (!func (name, data, error))
        return FALSE;
    }
    p = end;
  }
  return TRUE;
}

typedef struct {
  GPtrArray *slots;
  gboolean allow_result;
  GPtrArray *referenced;
} CheckContext;

static char *
slot_names (GPtrArray *slots)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; slots && i < slots->len; i++)
    g_string_append_printf (names, "%s%s", i ? ", " : "",
                            ((const RulesSlot *) g_ptr_array_index (slots, i))->name);
  return g_string_free (g_steal_pointer (&names), FALSE);
}

static gboolean
check_name (const char *name, gpointer data, GError **error)
{
  CheckContext *ctx = data;
  g_autofree char *slot_name = NULL;
  const char *dot = strchr (name, '.');
  g_autofree char *known = NULL;

  if (g_str_equal (name, "result") || g_str_has_prefix (name, "result.")) {
    if (ctx->allow_result)
      return TRUE;
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "{%s}: a tool's result is only known in result-response and error-response",
                 name);
    return FALSE;
  }
  slot_name = dot ? g_strndup (name, dot - name) : g_strdup (name);
  for (guint i = 0; ctx->slots && i < ctx->slots->len; i++) {
    const RulesSlot *slot = g_ptr_array_index (ctx->slots, i);

    if (g_str_equal (slot->name, slot_name)) {
      if (dot && !g_str_equal (dot, ".value")) {
        g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                     "{%s}: a slot is written {%s} (as said) or {%s.value} (normalised)",
                     name, slot_name, slot_name);
        return FALSE;
      }
      if (ctx->referenced && !g_ptr_array_find (ctx->referenced, slot, NULL))
        g_ptr_array_add (ctx->referenced, (gpointer) slot);
      return TRUE;
    }
  }
  known = slot_names (ctx->slots);
  if (*known)
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "{%s} is not one of the slots here (%s)", name, known);
  else
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "{%s} names a slot, but there are no slots here", name);
  return FALSE;
}

gboolean
rules_template_check (const char *text, GPtrArray *slots, gboolean allow_result,
                      GPtrArray *referenced, GError **error)
{
  CheckContext ctx = { slots, allow_result, referenced };

  return each_placeholder (text, check_name, &ctx, error);
}

char *
rules_template_render (const char *text, RulesLookupFunc lookup, gpointer data)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text ? text : ""; *p; p++) {
    const char *end;

    if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
      g_string_append_c (out, *p);
      p++;
      continue;
    }
    if (*p != '{') {
      g_string_append_c (out, *p);
      continue;
    }
    for (end = p + 1; is_name_char (*end); end++)
      ;
    if (*end != '}') {
      g_string_append_c (out, *p);
      continue;
    }
    {
      g_autofree char *name = g_strndup (p + 1, end - p - 1);
      g_autofree char *value = lookup (name, data);

      if (value)
        g_string_append (out, value);
    }
    p = end;
  }
  return g_string_free (out, FALSE);
}

char *
rules_template_sole_placeholder (const char *text)
{
  gsize len = strlen (text);

  if (len < 3 || text[0] != '{' || text[len - 1] != '}' || text[1] == '{')
    return NULL;
  for (gsize i = 1; i < len - 1; i++)
    if (!is_name_char (text[i]))
      return NULL;
  return g_strndup (text + 1, len - 2);
}
