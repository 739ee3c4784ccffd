/* settings.c — a keyfile group checked against a TbConfigKey table, as a{sv}. */
#define G_LOG_DOMAIN "tb-config"

#include "settings.h"

#include <math.h>
#include <string.h>

#define MAX_KEYS 1000

const char *
tb_config_type_to_string (TbConfigType type)
{
  switch (type) {
  case TB_CONFIG_TYPE_STRING: return "string";
  case TB_CONFIG_TYPE_INT: return "integer";
  case TB_CONFIG_TYPE_DOUBLE: return "number";
  case TB_CONFIG_TYPE_BOOL: return "boolean";
  case TB_CONFIG_TYPE_STRING_LIST: return "list";
  case TB_CONFIG_TYPE_CHOICE: return "choice";
  case TB_CONFIG_TYPE_SECRET_ENV: return "secret-env";
  default: return NULL;
  }
}

guint
tb_settings_count_keys (const TbConfigKey *keys)
{
  guint n = 0;

  while (keys && keys[n].name && n < MAX_KEYS)
    n++;
  return n;
}

static gboolean
has_range (const TbConfigKey *spec)
{
  return spec->min < spec->max;
}

static gboolean
is_env_name (const char *name)
{
  if (!name || !(g_ascii_isalpha (name[0]) || name[0] == '_'))
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!(g_ascii_isalnum (*p) || *p == '_'))
      return FALSE;
  return TRUE;
}

static gboolean
in_choices (const char *value, const char *choices)
{
  g_auto(GStrv) words = g_strsplit (choices ? choices : "", "|", -1);

  return g_strv_contains ((const char *const *) words, value);
}

static gboolean
parse_bool (const char *text, gboolean *value)
{
  static const char *const yes[] = { "true", "yes", "on", "1", NULL };
  static const char *const no[] = { "false", "no", "off", "0", NULL };
  g_autofree char *lower = g_ascii_strdown (text, -1);

  if (g_strv_contains (yes, lower))
    *value = TRUE;
  else if (g_strv_contains (no, lower))
    *value = FALSE;
  else
    return FALSE;
  return TRUE;
}

/* Parses one value. On failure returns NULL and sets *problem, which never
 * quotes the value of a secret. With @resolve_env FALSE, SECRET_ENV keys
 * yield the variable's name (used to check declared defaults). */
static GVariant *
parse_value (GKeyFile *keyfile, const char *group, const TbConfigKey *spec,
             gboolean resolve_env, char **problem)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *raw = g_key_file_get_value (keyfile, group, spec->name, NULL);
  const char *text = raw ? g_strstrip (raw) : "";

  switch (spec->type) {
  case TB_CONFIG_TYPE_STRING: {
    g_autofree char *s = g_key_file_get_string (keyfile, group, spec->name, &error);

    if (!s) {
      *problem = g_strdup_printf ("not a valid string: %s", error->message);
      return NULL;
    }
    return g_variant_new_string (s);
  }
  case TB_CONFIG_TYPE_INT: {
    gint64 v;

    if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &v, NULL)) {
      *problem = g_strdup_printf ("expected an integer, got '%s'", text);
      return NULL;
    }
    if (has_range (spec) && (v < spec->min || v > spec->max)) {
      *problem = g_strdup_printf ("%" G_GINT64_FORMAT " is out of range (%.0f to %.0f)",
                                  v, spec->min, spec->max);
      return NULL;
    }
    return g_variant_new_int64 (v);
  }
  case TB_CONFIG_TYPE_DOUBLE: {
    char *end = NULL;
    double v = g_ascii_strtod (text, &end);

    if (text[0] == '\0' || *end != '\0' || !isfinite (v)) {
      *problem = g_strdup_printf ("expected a number, got '%s'", text);
      return NULL;
    }
    if (has_range (spec) && (v < spec->min || v > spec->max)) {
      *problem = g_strdup_printf ("%g is out of range (%g to %g)", v, spec->min, spec->max);
      return NULL;
    }
    return g_variant_new_double (v);
  }
  case TB_CONFIG_TYPE_BOOL: {
    gboolean v;

    if (!parse_bool (text, &v)) {
      *problem = g_strdup_printf ("expected true or false, got '%s'", text);
      return NULL;
    }
    return g_variant_new_boolean (v);
  }
  case TB_CONFIG_TYPE_STRING_LIST: {
    g_auto(GStrv) items = g_key_file_get_string_list (keyfile, group, spec->name, NULL, NULL);
    g_autoptr(GPtrArray) kept = g_ptr_array_new ();

    for (guint i = 0; items && items[i]; i++)
      if (*g_strstrip (items[i]))
        g_ptr_array_add (kept, items[i]);
    return g_variant_new_strv ((const char *const *) kept->pdata, kept->len);
  }
  case TB_CONFIG_TYPE_CHOICE: {
    if (!in_choices (text, spec->choices)) {
      g_auto(GStrv) words = g_strsplit (spec->choices ? spec->choices : "", "|", -1);
      g_autofree char *list = g_strjoinv (", ", words);

      *problem = g_strdup_printf ("expected one of %s, got '%s'", list, text);
      return NULL;
    }
    return g_variant_new_string (text);
  }
  case TB_CONFIG_TYPE_SECRET_ENV: {
    const char *secret;

    if (!is_env_name (text)) {
      *problem = g_strdup ("must name an environment variable (letters, digits and '_'); "
                           "keep the secret itself in the environment, never in the file");
      return NULL;
    }
    if (!resolve_env)
      return g_variant_new_string (text);
    secret = g_getenv (text);
    if (!secret || !*secret) {
      *problem = g_strdup_printf ("environment variable %s is %s", text,
                                  secret ? "empty" : "not set");
      return NULL;
    }
    return g_variant_new_string (secret);
  }
  default:
    *problem = g_strdup_printf ("unknown value type %d", spec->type);
    return NULL;
  }
}

static const TbConfigKey *
find_key (const TbConfigKey *keys, const char *name)
{
  for (guint i = 0; keys && keys[i].name && i < MAX_KEYS; i++)
    if (g_str_equal (keys[i].name, name))
      return &keys[i];
  return NULL;
}

static void
report_unknown_key (TbProblems *problems, const char *group, const char *key,
                    const TbConfigKey *keys, const char *const *handled)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  const char *suggestion;

  for (guint i = 0; keys && keys[i].name && i < MAX_KEYS; i++)
    g_ptr_array_add (names, (gpointer) keys[i].name);
  for (guint i = 0; handled && handled[i]; i++)
    g_ptr_array_add (names, (gpointer) handled[i]);
  g_ptr_array_add (names, NULL);
  suggestion = tb_problems_suggest (key, (const char *const *) names->pdata);
  if (suggestion)
    tb_problems_add (problems, group, key, "unknown key (did you mean '%s'?)", suggestion);
  else
    tb_problems_add (problems, group, key, "unknown key");
}

/* Parses @spec's default through a scratch keyfile, so defaults and file
 * values follow exactly the same rules. */
static GVariant *
parse_default (const TbConfigKey *spec, gboolean resolve_env, char **problem)
{
  g_autoptr(GKeyFile) scratch = g_key_file_new ();

  g_key_file_set_value (scratch, "default", spec->name, spec->default_value);
  return parse_value (scratch, "default", spec, resolve_env, problem);
}

GVariant *
tb_settings_from_group (GKeyFile *keyfile, const char *group, const TbConfigKey *keys,
                        const char *const *handled, TbProblems *problems)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_auto(GStrv) present = NULL;

  if (g_key_file_has_group (keyfile, group))
    present = g_key_file_get_keys (keyfile, group, NULL, NULL);

  for (guint i = 0; present && present[i]; i++)
    if (!find_key (keys, present[i]) &&
        !(handled && g_strv_contains (handled, present[i])))
      report_unknown_key (problems, group, present[i], keys, handled);

  for (guint i = 0; keys && keys[i].name && i < MAX_KEYS; i++) {
    const TbConfigKey *spec = &keys[i];
    g_autofree char *problem = NULL;
    GVariant *value = NULL;

    if (present && g_strv_contains ((const char *const *) present, spec->name))
      value = parse_value (keyfile, group, spec, TRUE, &problem);
    else if (spec->flags & TB_CONFIG_KEY_REQUIRED)
      problem = g_strdup ("required key is missing");
    else if (spec->default_value)
      value = parse_default (spec, TRUE, &problem);
    else
      continue;

    if (problem)
      tb_problems_add (problems, group, spec->name, "%s", problem);
    else
      g_variant_builder_add (&builder, "{sv}", spec->name, value);
  }

  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static gboolean
is_key_name (const char *name)
{
  gboolean after_dash = TRUE;

  if (!name || !*name)
    return FALSE;
  for (const char *p = name; *p; p++) {
    if (*p == '-') {
      if (after_dash)
        return FALSE;
      after_dash = TRUE;
    } else if (g_ascii_islower (*p) || g_ascii_isdigit (*p)) {
      after_dash = FALSE;
    } else {
      return FALSE;
    }
  }
  return !after_dash;
}

gboolean
tb_settings_check_keys (const TbConfigKey *keys, GError **error)
{
  guint i;

  for (i = 0; keys && keys[i].name; i++) {
    const TbConfigKey *spec = &keys[i];
    g_autofree char *problem = NULL;

    if (i >= MAX_KEYS) {
      g_set_error (error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                   "more than %d config keys (is the table terminated by an empty entry?)",
                   MAX_KEYS);
      return FALSE;
    }
    if (!is_key_name (spec->name)) {
      g_set_error (error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                   "config key '%s': name must be lower-case words joined by '-'", spec->name);
      return FALSE;
    }
    if (find_key (keys, spec->name) != spec) {
      g_set_error (error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                   "config key '%s' is declared twice", spec->name);
      return FALSE;
    }
    if (!tb_config_type_to_string (spec->type)) {
      g_set_error (error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                   "config key '%s' has unknown type %d", spec->name, spec->type);
      return FALSE;
    }
    if (spec->type == TB_CONFIG_TYPE_CHOICE && (!spec->choices || !*spec->choices)) {
      g_set_error (error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                   "config key '%s' is a choice without choices", spec->name);
      return FALSE;
    }
    if (spec->default_value && !parse_default (spec, FALSE, &problem)) {
      g_set_error (error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                   "config key '%s': default '%s' is invalid: %s",
                   spec->name, spec->default_value, problem);
      return FALSE;
    }
    g_clear_pointer (&problem, g_free);
  }
  return TRUE;
}

const char *
tb_settings_get_string (GVariant *settings, const char *key)
{
  const char *value = NULL;

  if (settings && g_variant_lookup (settings, key, "&s", &value))
    return value;
  return NULL;
}

char **
tb_settings_dup_strv (GVariant *settings, const char *key)
{
  g_autoptr(GVariant) value = NULL;

  if (settings)
    value = g_variant_lookup_value (settings, key, G_VARIANT_TYPE_STRING_ARRAY);
  return value ? g_variant_dup_strv (value, NULL) : g_new0 (char *, 1);
}

gint64
tb_settings_get_int (GVariant *settings, const char *key)
{
  gint64 value = 0;

  if (settings)
    g_variant_lookup (settings, key, "x", &value);
  return value;
}

double
tb_settings_get_double (GVariant *settings, const char *key)
{
  double value = 0;

  if (settings)
    g_variant_lookup (settings, key, "d", &value);
  return value;
}

gboolean
tb_settings_get_bool (GVariant *settings, const char *key)
{
  gboolean value = FALSE;

  if (settings)
    g_variant_lookup (settings, key, "b", &value);
  return value;
}
