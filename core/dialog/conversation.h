/* conversation.h — the agent on one call: greeting, then listen -> think ->
 * speak until the call ends. Lives on the call's worker thread and is only
 * touched there; its providers' I/O runs on that thread's context.
 *
 * Listening: 20 ms frames of the caller go through voice activity
 * detection; speech (with 300 ms before it) goes to STT; a silence of
 * endpointing-ms (longer while the transcript looks unfinished) ends the
 * caller's turn. Thinking: the transcript and the history go to the LLM with
 * the agent's tools; its text is cut into sentences as it streams. Speaking:
 * each sentence goes to TTS as soon as it is complete and its audio to the
 * call as soon as it comes. Caller speech of barge-in-min-ms while the agent
 * speaks stops it (queued audio flushed, LLM/TTS/tools cancelled) and the
 * history keeps only what was heard. */
#pragma once

#include "call.h"
#include "media-session.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _TbConversation TbConversation;

/* What the conversation asks of the call. */
typedef struct {
  void (*hangup) (TbCall *call, const char *reason);
  void (*transfer) (TbCall *call, const char *target);
} TbConversationActions;

/* Whether @agent can hold a conversation: it names an LLM and a TTS provider. */
gboolean tb_conversation_wanted (const TbAgentConfig *agent);

/* Starts the conversation (the greeting plays at once). @media is the
 * call's session, borrowed: free the conversation before it. */
TbConversation *tb_conversation_new (TbCall *call, TbConfig *config, const TbAgentConfig *agent,
                                     TbMediaSession *media, const TbHost *host,
                                     const TbConversationActions *actions, GError **error);
void tb_conversation_free (TbConversation *conversation);

/* From the call's media and events. */
void tb_conversation_frame (TbConversation *conversation, const gint16 *samples, gsize n);
void tb_conversation_drained (TbConversation *conversation);
void tb_conversation_event (TbConversation *conversation, const TbCallEvent *event);

/* The turns with their text and metrics, as a JSON array member "turns". */
void tb_conversation_add_turns (TbConversation *conversation, JsonBuilder *builder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbConversation, tb_conversation_free)

G_END_DECLS
