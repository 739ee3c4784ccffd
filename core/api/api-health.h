/* api-health.h — the daemon's health for load balancers and monitoring:
 * GET /readyz (database reachable, SIP bound, not draining: 200, else 503;
 * no token needed) and GET /metrics (Prometheus text exposition 0.0.4 of
 * metrics.h and the gauges of the moment: active calls, the call records'
 * queue, the trunks' registration). /metrics needs the bearer token when
 * one is set ([http] api-token-env), like /api: it tells who calls. */
#pragma once

#include "api.h"

G_BEGIN_DECLS

void tb_api_health_register (TbApi *api);

G_END_DECLS
