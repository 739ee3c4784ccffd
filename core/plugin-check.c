/* plugin-check.c — is a plugin descriptor one this host can use? */
#define G_LOG_DOMAIN "tb-plugin"

#include "plugin-check.h"

#include "plugin.h"
#include "settings.h"

/* The size of TbPluginDesc at ABI 1.0; later minors may only be larger. */
#define DESC_SIZE_1_0 (G_STRUCT_OFFSET (TbPluginDesc, vtable) + sizeof (gpointer))

static gboolean
fail (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED, message);
  return FALSE;
}

static gboolean
is_plugin_name (const char *name)
{
  if (!name || !*name || name[0] == '-')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '-'))
      return FALSE;
  return TRUE;
}

static gboolean
check_vtable (const TbPluginDesc *desc, GError **error)
{
  const guint32 *version = desc->vtable;
  const char *kind = tb_plugin_kind_to_string (desc->kind);

  if (!version)
    return fail (error, "%s plugin has no vtable", kind);
  if (*version < 1)
    return fail (error, "%s vtable has version %u", kind, *version);

  switch (desc->kind) {
  case TB_PLUGIN_KIND_STT: {
    const TbSttVTable *v = desc->vtable;

    if (!v->session_new || !v->push_audio || !v->end_of_turn || !v->finish || !v->session_free)
      return fail (error, "stt vtable lacks session_new, push_audio, end_of_turn, finish or session_free");
    break;
  }
  case TB_PLUGIN_KIND_TTS: {
    const TbTtsVTable *v = desc->vtable;

    if (!v->synthesize)
      return fail (error, "tts vtable lacks synthesize");
    break;
  }
  case TB_PLUGIN_KIND_LLM: {
    const TbLlmVTable *v = desc->vtable;

    if (!v->chat)
      return fail (error, "llm vtable lacks chat");
    break;
  }
  case TB_PLUGIN_KIND_TOOL: {
    const TbToolVTable *v = desc->vtable;

    if (!v->functions || !v->invoke)
      return fail (error, "tool vtable lacks functions or invoke");
    break;
  }
  }
  return TRUE;
}

gboolean
tb_plugin_check_desc (const TbPluginDesc *desc, GError **error)
{
  g_autoptr(GError) keys_error = NULL;

  if (!desc)
    return fail (error, TB_PLUGIN_ENTRY_SYMBOL "() returned NULL");
  if (desc->abi_major != TB_PLUGIN_ABI_MAJOR)
    return fail (error, "built for plugin ABI %u.%u; this daemon speaks ABI %u.%u "
                 "(the major versions must be equal)",
                 desc->abi_major, desc->abi_minor, TB_PLUGIN_ABI_MAJOR, TB_PLUGIN_ABI_MINOR);
  if (desc->abi_minor > TB_PLUGIN_ABI_MINOR)
    return fail (error, "built for plugin ABI %u.%u, newer than this daemon's %u.%u "
                 "(update the daemon)",
                 desc->abi_major, desc->abi_minor, TB_PLUGIN_ABI_MAJOR, TB_PLUGIN_ABI_MINOR);
  if (desc->struct_size < DESC_SIZE_1_0)
    return fail (error, "descriptor is %u bytes, smaller than ABI %u.%u's %u",
                 desc->struct_size, TB_PLUGIN_ABI_MAJOR, desc->abi_minor,
                 (guint) DESC_SIZE_1_0);
  if (!tb_plugin_kind_to_string (desc->kind))
    return fail (error, "unknown plugin kind %d", desc->kind);
  if (!is_plugin_name (desc->name))
    return fail (error, "invalid plugin name '%s' (lower-case letters, digits and '-')",
                 desc->name ? desc->name : "(null)");
  if (!desc->version || !*desc->version)
    return fail (error, "plugin '%s' declares no version", desc->name);
  if (!check_vtable (desc, error))
    return FALSE;
  if (!tb_settings_check_keys (desc->config_keys, &keys_error))
    return fail (error, "%s", keys_error->message);
  for (guint i = 0; desc->config_keys && desc->config_keys[i].name; i++)
    if (g_str_equal (desc->config_keys[i].name, "plugin"))
      return fail (error, "config key 'plugin' is reserved for the host");
  return TRUE;
}
