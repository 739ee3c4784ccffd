/* config-file.c — reading talkingbits.conf: keyfile syntax, plugin dirs. */
#define G_LOG_DOMAIN "tb-config"

#include "config.h"

#include "config-schema.h"
#include "settings.h"

#include "tb-build-config.h"

#include <string.h>

void
tb_config_file_free (TbConfigFile *file)
{
  if (!file)
    return;
  g_free (file->path);
  g_free (file->text);
  g_clear_pointer (&file->keyfile, g_key_file_unref);
  g_free (file);
}

/* GKeyFile's syntax errors name no line: find the first line that is
 * neither blank, comment, [group] nor key=value. */
static guint
first_bad_line (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  gboolean in_group = FALSE;

  for (guint i = 0; lines[i]; i++) {
    const char *line = g_strstrip (lines[i]);

    if (!*line || *line == '#')
      continue;
    if (*line == '[') {
      if (!g_str_has_suffix (line, "]"))
        return i + 1;
      in_group = TRUE;
      continue;
    }
    if (!in_group || !strchr (line, '='))
      return i + 1;
  }
  return 0;
}

TbConfigFile *
tb_config_file_new_from_data (const char *path, const char *text, GError **error)
{
  g_autoptr(TbConfigFile) file = g_new0 (TbConfigFile, 1);
  g_autoptr(GError) parse_error = NULL;

  file->path = g_strdup (path);
  file->text = g_strdup (text);
  file->keyfile = g_key_file_new ();
  if (!g_key_file_load_from_data (file->keyfile, text, -1, G_KEY_FILE_KEEP_COMMENTS,
                                  &parse_error)) {
    guint line = first_bad_line (text);

    if (line)
      g_set_error (error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_PARSE,
                   "%s:%u: syntax error: %s", path, line, parse_error->message);
    else
      g_set_error (error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_PARSE,
                   "%s: syntax error: %s", path, parse_error->message);
    return NULL;
  }
  return g_steal_pointer (&file);
}

TbConfigFile *
tb_config_file_read (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) read_error = NULL;

  if (!g_file_get_contents (path, &text, NULL, &read_error)) {
    g_set_error (error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_NOT_FOUND,
                 "%s: cannot read the config file: %s", path, read_error->message);
    return NULL;
  }
  if (!g_utf8_validate (text, -1, NULL)) {
    g_set_error (error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_PARSE,
                 "%s: not UTF-8 text", path);
    return NULL;
  }
  return tb_config_file_new_from_data (path, text, error);
}

char **
tb_config_file_plugin_dirs (TbConfigFile *file)
{
  const TbConfigGroupSpec *spec = tb_config_schema_find_group ("talkingbits");
  g_autoptr(TbProblems) scratch = tb_problems_new (file->path, NULL);
  g_autoptr(GVariant) settings = NULL;
  g_autofree char *base = g_path_get_dirname (file->path);
  g_auto(GStrv) dirs = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  /* Problems are tb_config_new()'s to report; an invalid value is left
   * out, so the default is scanned meanwhile. */
  settings = tb_settings_from_group (file->keyfile, "talkingbits", spec->keys, NULL, scratch);
  dirs = tb_settings_dup_strv (settings, "plugin-path");
  for (guint i = 0; dirs[i]; i++) {
    g_autofree char *dir = g_path_is_absolute (dirs[i])
                           ? g_strdup (dirs[i]) : g_build_filename (base, dirs[i], NULL);

    g_strv_builder_add (builder, dir);
  }
  return g_strv_builder_end (builder);
}

char *
tb_config_default_path (const char *option)
{
  if (option)
    return g_strdup (option);
  if (g_file_test ("talkingbits.conf", G_FILE_TEST_IS_REGULAR))
    return g_strdup ("talkingbits.conf");
  return g_build_filename (TB_SYSCONFDIR, "talkingbits.conf", NULL);
}
