/* rules-slot.c — a slot's value in what the caller said, by slot type: a
 * day, a time, a number or free text, each as a normalised value (for tool
 * arguments) and a spoken form (for responses). */
#define G_LOG_DOMAIN "tb-llm-rules"

#include "rules.h"

#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
  [RULES_SLOT_DAY] = "day",
  [RULES_SLOT_TIME] = "time",
  [RULES_SLOT_NUMBER] = "number",
  [RULES_SLOT_TEXT] = "text",
};

const char *
rules_slot_type_to_string (RulesSlotType type)
{
  return type_names[type];
}

gboolean
rules_slot_type_from_string (const char *text, RulesSlotType *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (type_names); i++) {
    if (g_strcmp0 (text, type_names[i]) == 0) {
      *type = i;
      return TRUE;
    }
  }
  return FALSE;
}

void
rules_value_clear (RulesValue *value)
{
  g_clear_pointer (&value->value, g_free);
  g_clear_pointer (&value->spoken, g_free);
}

/* The first number said; unless @awaited it must be followed by one of
 * @units ("for 3 people"). Keys pressed count as a number too. */
static gboolean
parse_number (char **tokens, const char *dtmf, gboolean awaited, char **units, gint *value)
{
  if (dtmf) {
    if (!awaited || !g_ascii_isdigit (dtmf[0]) || strlen (dtmf) > 9)
      return FALSE;
    for (const char *p = dtmf; *p; p++)
      if (!g_ascii_isdigit (*p))
        return FALSE;
    *value = atoi (dtmf);
    return TRUE;
  }
  for (guint i = 0; tokens[i]; i++) {
    guint used;

    if (!rules_number_at (tokens, i, value, &used))
      continue;
    if (awaited)
      return TRUE;
    if (units && tokens[i + used] && g_strv_contains ((const char *const *) units, tokens[i + used]))
      return TRUE;
  }
  return FALSE;
}

gboolean
rules_slot_parse (const RulesSlot *slot, const char *text, gboolean awaited,
                  const GDate *today, RulesValue *value)
{
  g_auto(GStrv) tokens = NULL;
  g_autofree char *dtmf = rules_dtmf_digits (text);
  GDate day;
  gint n;

  if (!text)
    return FALSE;
  tokens = rules_tokenize (dtmf ? "" : text);
  switch (slot->type) {
  case RULES_SLOT_DAY:
    if (!rules_parse_day (tokens, awaited, today, &day))
      return FALSE;
    value->value = rules_day_iso (&day);
    value->spoken = rules_day_spoken (&day);
    return TRUE;
  case RULES_SLOT_TIME:
    if (!rules_parse_time (tokens, awaited, &n))
      return FALSE;
    value->value = g_strdup_printf ("%02d:%02d", n / 60, n % 60);
    value->spoken = rules_time_spoken (n);
    return TRUE;
  case RULES_SLOT_NUMBER:
    if (!parse_number (tokens, dtmf, awaited, slot->units, &n))
      return FALSE;
    value->value = g_strdup_printf ("%d", n);
    value->spoken = g_strdup (value->value);
    return TRUE;
  case RULES_SLOT_TEXT:
    if (!awaited || dtmf || !tokens[0])
      return FALSE;
    value->value = g_strstrip (g_strdup (text));
    value->spoken = g_strdup (value->value);
    return TRUE;
  default:
    g_return_val_if_reached (FALSE);
  }
}

void
rules_slot_type_phrases (RulesSlotType type, GPtrArray *phrases)
{
  switch (type) {
  case RULES_SLOT_DAY:
    rules_day_phrases (phrases);
    break;
  case RULES_SLOT_TIME:
    rules_time_phrases (phrases);
    break;
  case RULES_SLOT_NUMBER:
    for (guint n = 0; n <= 20; n++)
      g_ptr_array_add (phrases, rules_number_words (n));
    break;
  case RULES_SLOT_TEXT:
    break;
  }
}
