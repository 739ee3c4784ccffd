/* tbctl-body.h — the JSON body of create and update from the command
 * line: --file FILE.json, then --data '{...}', then each --set KEY=VALUE,
 * later ones over earlier ones.
 *
 * A --set VALUE that parses as JSON is that JSON (800, true, null,
 * ["a","b"], {"k": 1}, "800" for the string); anything else is a string
 * (--set greeting=Hello there). Lists are JSON arrays: --set
 * 'stt=["pocketsphinx"]'. A KEY with dots sets a member inside objects:
 * --set stt_options.pocketsphinx.model=en. */
#pragma once

#include "tbctl.h"

G_BEGIN_DECLS

/* The body; NULL with @error when an option is wrong (a file that cannot
 * be read, JSON that is not an object, a --set without '='). An empty
 * object when no option gives one. */
JsonNode *tbctl_body_build (const TbctlOptions *options, GError **error);
/* TRUE when an option gives a body. */
gboolean tbctl_body_given (const TbctlOptions *options);

G_END_DECLS
