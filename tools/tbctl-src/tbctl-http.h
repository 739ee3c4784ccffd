/* tbctl-http.h — tbctl's requests to the API: JSON in and out, the bearer
 * token, and errors told plainly (an unreachable URL by name, the API's
 * message and its field errors). */
#pragma once

#include "tbctl.h"

G_BEGIN_DECLS

/* Sends @method @path (with its query) with @body (NULL: none). On a 2xx
 * answer TRUE, with its JSON in @out (NULL when it has no body). Otherwise
 * FALSE after printing why on stderr. */
gboolean tbctl_request (Tbctl *t, const char *method, const char *path, JsonNode *body,
                        JsonNode **out);

/* Appends "NAME=VALUE" (escaped, after '?' or '&') to @path when @value
 * is not NULL. */
void tbctl_query_add (GString *path, const char *name, const char *value);
/* @segment escaped for a path. */
char *tbctl_path_escape (const char *segment);

/* @node as indented JSON on stdout. */
void tbctl_print_json (JsonNode *node);

G_END_DECLS
