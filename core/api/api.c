/* api.c — every /api/v1 route, and helpers the API modules share. */
#define G_LOG_DOMAIN "tb-api"

#include "api.h"

#include "api-calls.h"
#include "api-catalog.h"
#include "api-health.h"
#include "api-openapi.h"

#include <string.h>

void
tb_api_register (TbApi *api)
{
  tb_api_catalog_register (api);
  tb_api_providers_register (api);
  tb_api_calls_register (api);
  tb_api_stats_register (api);
  tb_api_trunks_register (api);
  tb_api_health_register (api);
  tb_api_openapi_register (api);
}

void
tb_api_clear (TbApi *api)
{
  (void) api;
}

char *
tb_api_path_segment (const char *path, const char *prefix, const char **rest)
{
  gsize n = strlen (prefix);
  const char *start, *end;

  if (rest)
    *rest = "";
  if (strncmp (path, prefix, n) != 0 || path[n] != '/' || path[n + 1] == '\0')
    return NULL;
  start = path + n + 1;
  end = strchr (start, '/');
  if (rest)
    *rest = end ? end : "";
  return g_uri_unescape_segment (start, end, NULL);
}
