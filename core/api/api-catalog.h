/* api-catalog.h — the catalog routes of the Web API: /api/v1/agents,
 * /api/v1/numbers, /api/v1/tools (api-catalog.c) and /api/v1/providers
 * (api-providers.c). */
#pragma once

#include "api.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* One of the catalog's kinds of row (agents, numbers, tools). */
typedef struct _TbApiResource TbApiResource;

void tb_api_catalog_register (TbApi *api);
void tb_api_providers_register (TbApi *api);

/* The configuration the catalog would give with the fields of @body (an
 * object; NULL: none) changed in @existing, a row of @r, checked as a PATCH of it is; NULL after replying 400 with
 * each field's problem. Nothing is written. A row of the configuration
 * file cannot be changed (409); without changes, it gives the calls'
 * configuration. */
TbConfig *tb_api_catalog_try_patch (TbApi *api, const TbApiResource *r, SoupServerMessage *msg,
                                    JsonObject *existing, JsonObject *body);

/* POST /api/v1/agents/{name}/greeting-preview (api-preview.c): the
 * agent's greeting spoken by its first text-to-speech provider, as WAV. */
void tb_api_greeting_preview (TbApi *api, const TbApiResource *agents, SoupServerMessage *msg,
                              JsonObject *agent);
/* POST /api/v1/tools/{name}/test (api-tool-test.c): the tool invoked with
 * sample arguments, and what it answered. */
void tb_api_tool_test (TbApi *api, const TbApiResource *tools, SoupServerMessage *msg,
                       JsonObject *tool);

G_END_DECLS
