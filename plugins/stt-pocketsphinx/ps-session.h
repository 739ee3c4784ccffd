/* ps-session.h — one caller stream: audio is decoded incrementally on a
 * thread of the session's own, and partials, finals, done and errors come
 * back, in order, on the thread-default main context of the caller. */
#pragma once

#include "ps-engine.h"

#include <talkingbits-plugin.h>

G_BEGIN_DECLS

/* @grammar (taken; NULL for the language model). Never fails: problems
 * with the decoder arrive as error(). */
/* @line_rate: the line's codec rate when the host knows it (8000: phone
 * audio, whatever @sample_rate), else 0. */
TbSttSession *tb_ps_session_new (TbPsEngine *engine, TbPsGrammar *grammar, guint sample_rate,
                                 guint line_rate, gint64 partial_interval_us, const TbSttCallbacks *callbacks,
                                 gpointer user_data, GCancellable *cancellable);
void tb_ps_session_push_audio (TbSttSession *session, const gint16 *samples, gsize n_samples);
void tb_ps_session_end_of_turn (TbSttSession *session);
void tb_ps_session_finish (TbSttSession *session);
void tb_ps_session_free (TbSttSession *session);

G_END_DECLS
