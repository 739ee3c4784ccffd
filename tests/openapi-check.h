/* openapi-check.h — a small OpenAPI 3.0 checker for the tests: it loads
 * schemas/openapi.json, checks the document itself (every $ref resolves,
 * every operation has responses, path parameters are declared, schemas
 * use only the keywords this checker understands) and validates a real
 * response against the operation's schema, found by method, path (matched
 * against the path templates) and status code.
 *
 * The JSON Schema subset: type (string, integer, number, boolean, object,
 * array) with nullable, properties, required, additionalProperties (false,
 * true or a schema), items, enum, pattern, minimum, maximum, format
 * (date-time, date, uuid; loosely) and $ref to anywhere in the document.
 * Anything else in a schema is reported by the document check, so that a
 * keyword never passes silently unchecked. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _TbOpenApi TbOpenApi;

/* Reads and parses the document at @path. */
TbOpenApi *tb_openapi_load (const char *path, GError **error);
/* The same from a JSON text (for testing the checker). */
TbOpenApi *tb_openapi_load_data (const char *json, GError **error);
void tb_openapi_free (TbOpenApi *api);

/* Problems with the document itself, one message each; empty when none. */
GPtrArray *tb_openapi_check_document (TbOpenApi *api);

/* The path template of the document that @path ("/api/v1/agents/x",
 * without a query) matches, literal segments preferred over parameters;
 * NULL when none does. */
const char *tb_openapi_match_path (TbOpenApi *api, const char *path);

/* Validates @value against @schema (a schema object of the document or
 * one with $refs into it); appends a message per problem to @problems,
 * each starting with the JSON path of the value ("$.agents[0].name").
 * TRUE when there was none. */
gboolean tb_openapi_validate (TbOpenApi *api, JsonNode *schema, JsonNode *value,
                              GPtrArray *problems);

/* Checks a real response: the operation @method @path has a response for
 * @status (or NXX, or default), whose content type is @content_type (its
 * media type; NULL for no body); a JSON body @body (NULL when there is
 * none or it is not JSON) is validated against its schema. Problems are
 * appended to @problems, starting with "METHOD PATH STATUS: ". */
gboolean tb_openapi_check_response (TbOpenApi *api, const char *method, const char *path,
                                    guint status, const char *content_type, JsonNode *body,
                                    GPtrArray *problems);

/* The component schema @name ("Agent"); NULL when there is none. */
JsonNode *tb_openapi_component (TbOpenApi *api, const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbOpenApi, tb_openapi_free)

G_END_DECLS
