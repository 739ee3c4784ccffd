/* sip-dtmf-info.h — key presses carried in SIP INFO bodies:
 * application/dtmf-relay ("Signal=5\r\nDuration=160\r\n") and
 * application/dtmf ("5"). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads the digit of an INFO body of @content_type ("type/subtype", any
 * case, parameters ignored). FALSE when the type is neither of the two or
 * the body holds no valid key ('0'-'9', '*', '#', 'A'-'D'; dtmf-relay's
 * event numbers 10 and 11 mean '*' and '#'). @duration_ms is 0 when the
 * body gives none. */
gboolean tb_sip_dtmf_info_parse (const char *content_type, const char *body, gsize length,
                                 char *digit, guint *duration_ms);

G_END_DECLS
