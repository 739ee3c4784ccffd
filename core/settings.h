/* settings.h — a keyfile group checked against a TbConfigKey table, as a{sv}. */
#pragma once

#include "talkingbits-plugin.h"
#include "problems.h"

G_BEGIN_DECLS

/* Checks @group of @keyfile against @keys and returns its settings as a new
 * a{sv} dictionary (defaults filled in, secrets resolved from the
 * environment). Keys listed in @handled are accepted and left to the caller.
 * Every problem is added to @problems and the key is left out of the
 * dictionary, which holds the valid values only. */
GVariant *tb_settings_from_group (GKeyFile *keyfile, const char *group,
                                  const TbConfigKey *keys,
                                  const char *const *handled,
                                  TbProblems *problems);

/* Checks a key table declared by a plugin or the core: names, types,
 * choices, ranges and that each default parses as its type. */
gboolean tb_settings_check_keys (const TbConfigKey *keys, GError **error);

/* Number of keys in a NULL-name terminated table. */
guint tb_settings_count_keys (const TbConfigKey *keys);

const char *tb_config_type_to_string (TbConfigType type);

/* Readers for a dictionary built by tb_settings_from_group(). */
const char *tb_settings_get_string (GVariant *settings, const char *key);
char **tb_settings_dup_strv (GVariant *settings, const char *key); /* never NULL */
gint64 tb_settings_get_int (GVariant *settings, const char *key);
double tb_settings_get_double (GVariant *settings, const char *key);
gboolean tb_settings_get_bool (GVariant *settings, const char *key);

G_END_DECLS
