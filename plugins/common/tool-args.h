/* tool-args.h — reading the arguments object a language model passed to a
 * tool function, with errors the model can act on. */
#pragma once

#include <talkingbits-plugin.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Parses @arguments_json with @parser and returns its root object (owned by
 * @parser). NULL or empty text is an empty object. Members nobody asked for
 * are left alone (the host checks the arguments against the function's
 * schema). On failure returns NULL and sets a TB_PLUGIN_ERROR_FAILED error
 * naming @function. */
JsonObject *tb_tool_args_parse (JsonParser *parser, const char *function,
                                const char *arguments_json, GError **error);

/* The string member @name of @args: NULL when absent; when present but not
 * a string, NULL with @error set. */
const char *tb_tool_args_get_string (JsonObject *args, const char *function,
                                     const char *name, GError **error);

G_END_DECLS
