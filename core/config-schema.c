/* config-schema.c — the groups and keys of talkingbits.conf the core reads.
 * Every key here is documented, with its default, in talkingbits.conf. */
#define G_LOG_DOMAIN "tb-config"

#include "config-schema.h"

#include "tb-build-config.h"

#include <string.h>

static const TbConfigKey talkingbits_keys[] = {
  { .name = "plugin-path", .type = TB_CONFIG_TYPE_STRING_LIST,
    .default_value = TB_PLUGINDIR,
    .help = "Directories scanned for plugin .so files, in order, before "
            "TALKINGBITS_PLUGIN_PATH; relative paths are relative to the config file" },
  { .name = "default-agent", .type = TB_CONFIG_TYPE_STRING,
    .help = "Agent that answers numbers bound to no agent; unset: such calls are refused" },
  { NULL }
};

static const TbConfigKey agent_keys[] = {
  { .name = "numbers", .type = TB_CONFIG_TYPE_STRING_LIST, .default_value = "",
    .help = "Dialled numbers (Request-URI or To user) this agent answers, ';'-separated" },
  { .name = "greeting", .type = TB_CONFIG_TYPE_STRING,
    .default_value = "Hello, how can I help you?",
    .help = "First words of the agent when it answers" },
  { .name = "system-prompt", .type = TB_CONFIG_TYPE_STRING,
    .default_value = "You are a helpful phone assistant. Keep your answers short.",
    .help = "Instructions given to the language model" },
  { .name = "language", .type = TB_CONFIG_TYPE_STRING, .default_value = "en-US",
    .help = "Language of the conversation as a BCP 47 tag" },
  { .name = "voice", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "Voice of the text-to-speech provider; empty: the provider's default" },
  { .name = "stt", .type = TB_CONFIG_TYPE_STRING_LIST, .flags = TB_CONFIG_KEY_REQUIRED,
    .help = "Speech-to-text providers, first choice first" },
  { .name = "tts", .type = TB_CONFIG_TYPE_STRING_LIST, .flags = TB_CONFIG_KEY_REQUIRED,
    .help = "Text-to-speech providers, first choice first" },
  { .name = "llm", .type = TB_CONFIG_TYPE_STRING_LIST, .flags = TB_CONFIG_KEY_REQUIRED,
    .help = "Language-model providers, first choice first" },
  { .name = "tools", .type = TB_CONFIG_TYPE_STRING_LIST, .default_value = "",
    .help = "Tool providers whose functions the language model may call" },
  { NULL }
};

const TbConfigGroupSpec tb_config_groups[] = {
  { "talkingbits", FALSE, talkingbits_keys, "The daemon itself" },
  { "agent", TRUE, agent_keys, "An agent: who answers which numbers, and how" },
  { NULL, FALSE, NULL, NULL }
};

const TbConfigGroupSpec *
tb_config_schema_find_group (const char *group)
{
  for (guint i = 0; tb_config_groups[i].name; i++) {
    const TbConfigGroupSpec *spec = &tb_config_groups[i];
    gsize len = strlen (spec->name);

    if (!spec->named && g_str_equal (group, spec->name))
      return spec;
    if (spec->named && strncmp (group, spec->name, len) == 0 && group[len] == ':')
      return spec;
  }
  return NULL;
}
