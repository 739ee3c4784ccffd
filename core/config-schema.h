/* config-schema.h — the groups and keys of talkingbits.conf the core reads. */
#pragma once

#include "talkingbits-plugin.h"

G_BEGIN_DECLS

typedef struct {
  const char *name;        /* "talkingbits", or a prefix such as "agent" */
  gboolean named;          /* TRUE: groups are "[name:SOMETHING]"         */
  const TbConfigKey *keys;
  const char *help;
} TbConfigGroupSpec;

/* Core groups, terminated by an entry with a NULL name. Provider groups
 * ([stt:NAME], [tts:NAME], [llm:NAME], [tool:NAME]) take the keys of their
 * plugin plus "plugin". */
extern const TbConfigGroupSpec tb_config_groups[];

/* The core spec of @group ("agent:x" -> the agent spec), or NULL. */
const TbConfigGroupSpec *tb_config_schema_find_group (const char *group);

G_END_DECLS
