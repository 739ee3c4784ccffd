/* greetings.h — synthesised greetings, cached for the process by provider,
 * voice, rate and text, so that answering a call needs no TTS round trip. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A new reference, or NULL. */
GBytes *tb_dialog_greeting_lookup (const char *key);
void tb_dialog_greeting_store (const char *key, GBytes *audio);

G_END_DECLS
