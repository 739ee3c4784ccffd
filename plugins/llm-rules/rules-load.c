/* rules-load.c — reads a rules file ([rules], [intent:NAME], [slot:NAME]
 * keyfile groups) and checks all of it: every problem is reported at once
 * as "FILE:LINE: [GROUP] KEY: what is wrong", so a bad file stops the
 * daemon at start with a message that says where to look. */
#define G_LOG_DOMAIN "tb-llm-rules"

#include "rules.h"

#include <string.h>

typedef struct {
  const char *path;
  const char *text;
  GKeyFile *keyfile;
  GString *problems;
  RulesSet *set;
} Loader;

static const char *const rules_keys[] = {
  "fallback-response", "error-response", "unavailable-response", NULL,
};
static const char *const intent_keys[] = {
  "examples", "keywords", "dtmf", "slots", "response", "tool", "arguments",
  "result-response", "error-response", "error-slots", "unavailable-response", NULL,
};
static const char *const slot_keys[] = {
  "type", "prompt", "retry", "examples", "units", NULL,
};

#define DEFAULT_FALLBACK "Sorry, I did not catch that."
#define DEFAULT_ERROR "Sorry, that did not work."
#define DEFAULT_UNAVAILABLE "Sorry, I cannot do that on this line."

static void problem (Loader *l, const char *group, const char *key, const char *format, ...)
  G_GNUC_PRINTF (4, 5);

static void
problem (Loader *l, const char *group, const char *key, const char *format, ...)
{
  g_autofree char *message = NULL;
  guint line = group ? rules_find_line (l->text, group, key) : 0;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (l->problems->len)
    g_string_append_c (l->problems, '\n');
  g_string_append (l->problems, l->path);
  if (line)
    g_string_append_printf (l->problems, ":%u", line);
  g_string_append (l->problems, ": ");
  if (group)
    g_string_append_printf (l->problems, "[%s] ", group);
  if (key)
    g_string_append_printf (l->problems, "%s: ", key);
  g_string_append (l->problems, message);
}

guint
rules_find_line (const char *text, const char *group, const char *key)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *header = g_strdup_printf ("[%s]", group);
  guint group_line = 0;

  for (guint i = 0; lines[i]; i++) {
    const char *line = lines[i];
    gsize len;

    while (*line == ' ' || *line == '\t')
      line++;
    if (*line == '[') {
      g_autofree char *trimmed = g_strstrip (g_strdup (line));

      if (group_line && key)
        break; /* the key is not in the group */
      if (g_str_equal (trimmed, header))
        group_line = i + 1;
      continue;
    }
    if (!group_line || !key)
      continue;
    len = strlen (key);
    if (strncmp (line, key, len) == 0 && (line[len] == '=' || line[len] == ' '
                                          || line[len] == '\t' || line[len] == '['))
      return i + 1;
  }
  return group_line;
}

/* Lines GKeyFile would refuse, with their numbers (it does not say). */
static gboolean
check_syntax (Loader *l)
{
  g_auto(GStrv) lines = g_strsplit (l->text, "\n", -1);
  gboolean ok = TRUE;

  for (guint i = 0; lines[i]; i++) {
    g_autofree char *line = g_strstrip (g_strdup (lines[i]));
    g_autofree char *where = g_strdup_printf ("%s:%u", l->path, i + 1);

    if (!*line || *line == '#')
      continue;
    if (*line == '[' ? line[strlen (line) - 1] == ']' : strchr (line, '=') != NULL)
      continue;
    g_string_append_printf (l->problems, "%s%s: syntax error: '%s' is not a [group], a "
                            "key=value line or a # comment", l->problems->len ? "\n" : "",
                            where, line);
    ok = FALSE;
  }
  return ok;
}

static char *
get_string (Loader *l, const char *group, const char *key)
{
  char *value = g_key_file_get_string (l->keyfile, group, key, NULL);

  if (value && !*g_strstrip (value))
    g_clear_pointer (&value, g_free);
  return value;
}

/* A ';'-separated list, blank items dropped; never NULL. */
static char **
get_list (Loader *l, const char *group, const char *key)
{
  g_auto(GStrv) raw = g_key_file_get_string_list (l->keyfile, group, key, NULL, NULL);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; raw && raw[i]; i++)
    if (*g_strstrip (raw[i]))
      g_strv_builder_add (builder, raw[i]);
  return g_strv_builder_end (builder);
}

static gboolean
is_name (const char *name)
{
  if (!*name)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

static void
check_keys (Loader *l, const char *group, const char *const *known)
{
  g_auto(GStrv) keys = g_key_file_get_keys (l->keyfile, group, NULL, NULL);
  g_autofree char *list = g_strjoinv (", ", (char **) known);

  for (guint i = 0; keys && keys[i]; i++)
    if (!g_strv_contains (known, keys[i]))
      problem (l, group, keys[i], "unknown key (known here: %s)", list);
}

/* Checks a template; returns a copy of it, or NULL when absent or wrong. */
static char *
get_template (Loader *l, const char *group, const char *key, GPtrArray *slots,
              gboolean allow_result)
{
  g_autofree char *text = get_string (l, group, key);
  g_autoptr(GError) error = NULL;

  if (text && !rules_template_check (text, slots, allow_result, NULL, &error)) {
    problem (l, group, key, "%s", error->message);
    return NULL;
  }
  return g_steal_pointer (&text);
}

/* ---- slots ------------------------------------------------------------- */

static void
slot_free (gpointer data)
{
  RulesSlot *slot = data;

  g_free (slot->name);
  g_free (slot->prompt);
  g_free (slot->retry);
  g_strfreev (slot->examples);
  g_strfreev (slot->units);
  g_free (slot);
}

static void
read_slot (Loader *l, const char *group, const char *name)
{
  RulesSlot *slot = g_new0 (RulesSlot, 1);
  g_autofree char *type = get_string (l, group, "type");

  slot->name = g_strdup (name);
  check_keys (l, group, slot_keys);
  if (!type)
    problem (l, group, "type", "required: day, time, number or text");
  else if (!rules_slot_type_from_string (type, &slot->type))
    problem (l, group, "type", "unknown slot type '%s' (day, time, number or text)", type);
  slot->examples = get_list (l, group, "examples");
  slot->units = get_list (l, group, "units");
  if (slot->units[0] && slot->type != RULES_SLOT_NUMBER)
    problem (l, group, "units", "only number slots have units");
  g_ptr_array_add (l->set->slots, slot);
}

/* Prompts may name any slot ("At what time on {day}?"): checked once all
 * slots are known. */
static void
read_slot_prompts (Loader *l, RulesSlot *slot)
{
  g_autofree char *group = g_strconcat ("slot:", slot->name, NULL);

  slot->prompt = get_template (l, group, "prompt", l->set->slots, FALSE);
  if (!slot->prompt && !g_key_file_has_key (l->keyfile, group, "prompt", NULL))
    problem (l, group, "prompt", "required: what to ask when the slot is missing");
  slot->retry = get_template (l, group, "retry", l->set->slots, FALSE);
  if (!slot->retry)
    slot->retry = g_strdup (slot->prompt);
}

/* ---- intents ----------------------------------------------------------- */

static void
argument_free (gpointer data)
{
  RulesArgument *argument = data;

  g_free (argument->argument);
  g_ptr_array_unref (argument->slots);
  g_free (argument);
}

static void
intent_free (gpointer data)
{
  RulesIntent *intent = data;

  g_free (intent->name);
  g_strfreev (intent->examples);
  g_ptr_array_unref (intent->example_stems);
  g_ptr_array_unref (intent->keyword_stems);
  g_strfreev (intent->keywords);
  g_strfreev (intent->dtmf);
  g_ptr_array_unref (intent->slots);
  g_free (intent->response);
  g_free (intent->tool);
  g_free (intent->arguments);
  g_ptr_array_unref (intent->argument_slots);
  g_free (intent->result_response);
  g_free (intent->error_response);
  g_ptr_array_unref (intent->error_slots);
  g_free (intent->unavailable_response);
  g_free (intent);
}

/* Checks the string templates inside an arguments value, collecting the
 * slots they name. */
static gboolean
check_argument_node (JsonNode *node, GPtrArray *slots, GPtrArray *referenced, GError **error)
{
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return rules_template_check (json_node_get_string (node), slots, FALSE, referenced, error);
  if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *array = json_node_get_array (node);

    for (guint i = 0; i < json_array_get_length (array); i++)
      if (!check_argument_node (json_array_get_element (array, i), slots, referenced, error))
        return FALSE;
  }
  if (JSON_NODE_HOLDS_OBJECT (node)) {
    g_autoptr(GList) members = json_object_get_members (json_node_get_object (node));

    for (GList *m = members; m; m = m->next)
      if (!check_argument_node (json_object_get_member (json_node_get_object (node), m->data),
                                slots, referenced, error))
        return FALSE;
  }
  return TRUE;
}

/* Default arguments: each slot by name, normalised. */
static char *
default_arguments (GPtrArray *slots)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  for (guint i = 0; i < slots->len; i++) {
    const RulesSlot *slot = g_ptr_array_index (slots, i);
    g_autofree char *placeholder = g_strdup_printf ("{%s.value}", slot->name);

    json_builder_set_member_name (builder, slot->name);
    json_builder_add_string_value (builder, placeholder);
  }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static void
read_arguments (Loader *l, const char *group, RulesIntent *intent)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *object;

  intent->arguments = get_string (l, group, "arguments");
  if (!intent->arguments)
    intent->arguments = default_arguments (intent->slots);
  if (!json_parser_load_from_data (parser, intent->arguments, -1, &error)) {
    problem (l, group, "arguments", "not JSON: %s", error->message);
    return;
  }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    problem (l, group, "arguments", "must be a JSON object, such as {\"number\": \"+15550100\"}");
    return;
  }
  object = json_node_get_object (json_parser_get_root (parser));
  members = json_object_get_members (object);
  for (GList *m = members; m; m = m->next) {
    RulesArgument *argument = g_new0 (RulesArgument, 1);

    argument->argument = g_strdup (m->data);
    argument->slots = g_ptr_array_new ();
    g_ptr_array_add (intent->argument_slots, argument);
    if (!check_argument_node (json_object_get_member (object, m->data), intent->slots,
                              argument->slots, &error)) {
      problem (l, group, "arguments", "\"%s\": %s", (const char *) m->data, error->message);
      return;
    }
  }
}

static void
read_triggers (Loader *l, const char *group, RulesIntent *intent)
{
  intent->examples = get_list (l, group, "examples");
  intent->keywords = get_list (l, group, "keywords");
  intent->dtmf = get_list (l, group, "dtmf");
  for (guint i = 0; intent->examples[i]; i++)
    g_ptr_array_add (intent->example_stems, rules_content_stems (intent->examples[i]));
  for (guint i = 0; intent->keywords[i]; i++) {
    g_auto(GStrv) words = rules_tokenize (intent->keywords[i]);
    GPtrArray *stems = g_ptr_array_new ();

    for (guint w = 0; words[w]; w++)
      g_ptr_array_add (stems, rules_stem (words[w]));
    g_ptr_array_add (stems, NULL);
    g_ptr_array_add (intent->keyword_stems, g_ptr_array_free (stems, FALSE));
  }
  if (!intent->examples[0] && !intent->keywords[0] && !intent->dtmf[0])
    problem (l, group, NULL, "no examples, keywords or dtmf: callers cannot reach this intent");
  for (guint i = 0; intent->dtmf[i]; i++) {
    const char *digits = intent->dtmf[i];
    const RulesIntent *other;

    if (strspn (digits, "0123456789*#ABCD") != strlen (digits)) {
      problem (l, group, "dtmf", "'%s' is not keys of a phone (0-9, *, #, A-D)", digits);
      continue;
    }
    other = rules_match_dtmf (l->set, digits);
    if (other)
      problem (l, group, "dtmf", "'%s' already chooses [intent:%s]", digits, other->name);
  }
}

static void
read_error_slots (Loader *l, const char *group, RulesIntent *intent)
{
  g_auto(GStrv) names = get_list (l, group, "error-slots");

  for (guint i = 0; names[i]; i++) {
    const RulesSlot *slot = rules_set_find_slot (l->set, names[i]);

    if (!slot || !g_ptr_array_find (intent->slots, slot, NULL))
      problem (l, group, "error-slots", "'%s' is not one of this intent's slots", names[i]);
    else
      g_ptr_array_add (intent->error_slots, (gpointer) slot);
  }
}

static void
read_intent (Loader *l, const char *group, const char *name)
{
  RulesIntent *intent = g_new0 (RulesIntent, 1);
  g_auto(GStrv) slot_names = NULL;

  intent->name = g_strdup (name);
  intent->example_stems = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  intent->keyword_stems = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  intent->slots = g_ptr_array_new ();
  intent->argument_slots = g_ptr_array_new_with_free_func (argument_free);
  intent->error_slots = g_ptr_array_new ();
  check_keys (l, group, intent_keys);
  read_triggers (l, group, intent);

  slot_names = get_list (l, group, "slots");
  for (guint i = 0; slot_names[i]; i++) {
    const RulesSlot *slot = rules_set_find_slot (l->set, slot_names[i]);

    if (!slot)
      problem (l, group, "slots", "no [slot:%s] group in this file", slot_names[i]);
    else if (!g_ptr_array_find (intent->slots, slot, NULL))
      g_ptr_array_add (intent->slots, (gpointer) slot);
  }

  intent->response = get_template (l, group, "response", intent->slots, FALSE);
  intent->tool = get_string (l, group, "tool");
  if (intent->tool && !is_name (intent->tool))
    problem (l, group, "tool", "'%s' is not a function name (letters, digits, '_', '-')",
             intent->tool);
  if (!intent->tool) {
    static const char *const tool_only[] = {
      "arguments", "result-response", "error-response", "error-slots",
      "unavailable-response", NULL,
    };

    for (guint i = 0; tool_only[i]; i++)
      if (g_key_file_has_key (l->keyfile, group, tool_only[i], NULL))
        problem (l, group, tool_only[i], "only an intent with a tool= has it");
    if (!g_key_file_has_key (l->keyfile, group, "response", NULL))
      problem (l, group, NULL, "neither response nor tool: the intent would do nothing");
  } else {
    read_arguments (l, group, intent);
  }
  read_error_slots (l, group, intent);
  intent->result_response = get_template (l, group, "result-response", intent->slots, TRUE);
  intent->error_response = get_template (l, group, "error-response", intent->slots, TRUE);
  intent->unavailable_response = get_template (l, group, "unavailable-response",
                                               intent->slots, FALSE);
  g_ptr_array_add (l->set->intents, intent);
}

static void
read_rules_group (Loader *l, char **error_response, char **unavailable_response)
{
  check_keys (l, "rules", rules_keys);
  l->set->fallback_response = get_template (l, "rules", "fallback-response", NULL, FALSE);
  *error_response = get_template (l, "rules", "error-response", NULL, TRUE);
  *unavailable_response = get_template (l, "rules", "unavailable-response", NULL, FALSE);
}

/* ---- the file ---------------------------------------------------------- */

static void
read_groups (Loader *l)
{
  g_auto(GStrv) groups = g_key_file_get_groups (l->keyfile, NULL);
  g_autofree char *error_response = NULL, *unavailable_response = NULL;

  /* Slots first: intents and prompts refer to them. */
  for (guint i = 0; groups[i]; i++) {
    if (g_str_has_prefix (groups[i], "slot:")) {
      if (!is_name (groups[i] + 5))
        problem (l, groups[i], NULL, "a slot name is letters, digits, '_' and '-'");
      else
        read_slot (l, groups[i], groups[i] + 5);
    } else if (!g_str_equal (groups[i], "rules") && !g_str_has_prefix (groups[i], "intent:")) {
      problem (l, groups[i], NULL,
               "unknown group: a rules file has [rules], [intent:NAME] and [slot:NAME] groups");
    }
  }
  for (guint i = 0; i < l->set->slots->len; i++)
    read_slot_prompts (l, g_ptr_array_index (l->set->slots, i));
  if (g_key_file_has_group (l->keyfile, "rules"))
    read_rules_group (l, &error_response, &unavailable_response);
  for (guint i = 0; groups[i]; i++) {
    if (!g_str_has_prefix (groups[i], "intent:"))
      continue;
    if (!is_name (groups[i] + 7))
      problem (l, groups[i], NULL, "an intent name is letters, digits, '_' and '-'");
    else
      read_intent (l, groups[i], groups[i] + 7);
  }
  if (!l->set->intents->len)
    problem (l, NULL, NULL, "no [intent:NAME] group: the rules would never understand anything");

  if (!l->set->fallback_response)
    l->set->fallback_response = g_strdup (DEFAULT_FALLBACK);
  for (guint i = 0; i < l->set->intents->len; i++) {
    RulesIntent *intent = g_ptr_array_index (l->set->intents, i);

    if (!intent->tool)
      continue;
    if (!intent->error_response)
      intent->error_response = g_strdup (error_response ? error_response : DEFAULT_ERROR);
    if (!intent->unavailable_response)
      intent->unavailable_response = g_strdup (unavailable_response ? unavailable_response
                                                                    : DEFAULT_UNAVAILABLE);
  }
}

RulesSet *
rules_set_load (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autoptr(RulesSet) set = g_new0 (RulesSet, 1);
  Loader l = { path, NULL, keyfile, problems, set };

  set->path = g_strdup (path);
  set->intents = g_ptr_array_new_with_free_func (intent_free);
  set->slots = g_ptr_array_new_with_free_func (slot_free);
  if (!g_file_get_contents (path, &text, NULL, &local)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                 "cannot read the rules file: %s", local->message);
    return NULL;
  }
  l.text = text;
  if (!check_syntax (&l)) {
    g_set_error_literal (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG, problems->str);
    return NULL;
  }
  if (!g_key_file_load_from_data (keyfile, text, -1, G_KEY_FILE_NONE, &local)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG, "%s: syntax error: %s",
                 path, local->message);
    return NULL;
  }
  read_groups (&l);
  if (problems->len) {
    g_set_error_literal (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG, problems->str);
    return NULL;
  }
  return g_steal_pointer (&set);
}

void
rules_set_free (RulesSet *set)
{
  if (!set)
    return;
  g_free (set->path);
  g_free (set->fallback_response);
  g_ptr_array_unref (set->intents);
  g_ptr_array_unref (set->slots);
  g_free (set);
}

const RulesSlot *
rules_set_find_slot (const RulesSet *set, const char *name)
{
  for (guint i = 0; i < set->slots->len; i++) {
    const RulesSlot *slot = g_ptr_array_index (set->slots, i);

    if (g_str_equal (slot->name, name))
      return slot;
  }
  return NULL;
}
