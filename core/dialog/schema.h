/* schema.h — checking a tool's arguments against its JSON schema before
 * the tool runs, so that missing or wrong arguments go back to the LLM
 * (which asks the caller) instead of reaching the tool. The subset of JSON
 * Schema tools use: type, properties, required, additionalProperties,
 * enum, pattern, minimum/maximum, minLength/maxLength, items. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when @arguments_json (an object) satisfies @schema_json; else FALSE
 * with @problem saying what is wrong, in words an LLM can act on
 * ("missing required argument 'day'"). An unreadable schema is a problem
 * too. */
gboolean tb_dialog_schema_check (const char *schema_json, const char *arguments_json,
                                 char **problem);

G_END_DECLS
