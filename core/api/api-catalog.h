/* api-catalog.h — the catalog routes of the Web API: /api/v1/agents,
 * /api/v1/numbers, /api/v1/tools (api-catalog.c) and /api/v1/providers
 * (api-providers.c). */
#pragma once

#include "api.h"

G_BEGIN_DECLS

void tb_api_catalog_register (TbApi *api);
void tb_api_providers_register (TbApi *api);

G_END_DECLS
