/* api.h — the Web API under /api/v1: what its handlers share (the HTTP
 * server, the database, the calls, the SIP endpoint, the plugins) and the
 * one call that registers every route. Each part of the API is a module
 * of its own (api-catalog.c: agents, numbers, tools, providers;
 * api-calls.c: the call log, outbound calls, stats, trunks; ...) with a
 * tb_api_*_register() that adds its routes.
 *
 * Replies are JSON; errors are {"error": "..."} (400 for invalid input
 * also has "fields": {FIELD: WHY}); handlers that need the database answer
 * later (tb_http_defer()) and reply 503 when no database is configured or
 * it is down. */
#pragma once

#include "call-manager.h"
#include "db.h"
#include "http-server.h"
#include "plugin.h"
#include "sip-endpoint.h"

G_BEGIN_DECLS

typedef struct _TbCatalog TbCatalog;

typedef struct {
  TbHttpServer *http;
  TbDb *db;                    /* NULL: no database configured              */
  TbCallManager *calls;
  TbSipEndpoint *sip;
  TbPluginRegistry *registry;
  TbCatalog *catalog;          /* agents, numbers, tools; NULL without db   */
  gboolean draining;           /* set when the daemon stops                 */
  /* State of the modules that keep some (each frees its own in
   * tb_api_clear()): */
} TbApi;

/* Registers every /api/v1 route on @api->http. */
void tb_api_register (TbApi *api);
/* Frees the modules' state; after the HTTP server is shut down. */
void tb_api_clear (TbApi *api);

/* The path's segment after @prefix ("/api/v1/agents/x" with prefix
 * "/api/v1/agents" gives "x"), decoded; NULL when the path is the prefix
 * itself; @rest is set to what follows the segment ("" or "/hangup"). */
char *tb_api_path_segment (const char *path, const char *prefix, const char **rest);

G_END_DECLS
