/* api-openapi.h — GET /api/v1/openapi.json: the API's OpenAPI document,
 * schemas/openapi.json from the directory the migrations are found in
 * (tb_config_find_data_dir ("schemas")), served as it is on disk. */
#pragma once

#include "api.h"

G_BEGIN_DECLS

void tb_api_openapi_register (TbApi *api);

G_END_DECLS
