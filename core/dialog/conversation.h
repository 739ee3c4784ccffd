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

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _TbConversation TbConversation;

/* The call the conversation talks on: its identity, where the agent's audio
 * goes (a call's media session; a simulated line in tb-simulate) and what
 * the conversation may ask of it. Audio is mono S16 at the config's rate. */
typedef struct {
  const char *call_id;
  const char *caller;          /* caller's number or SIP user */
  const char *callee;          /* dialled number */
  /* The audio rate of the line's codec (8000 for G.711), 0 if unknown. */
  guint (*line_rate) (gpointer peer);
  /* Queue audio to send after what is queued. */
  void (*play) (gpointer peer, const gint16 *samples, gsize n);
  /* Drop everything queued, at once. */
  void (*flush) (gpointer peer);
  /* Samples queued and not yet sent. */
  guint64 (*unplayed) (gpointer peer);
  gboolean (*send_dtmf) (gpointer peer, const char *digits, GError **error);
  void (*hangup) (gpointer peer, const char *reason);
  void (*transfer) (gpointer peer, const char *target);
  /* When audio queued now would start going out, on the host's clock;
   * NULL: at once after what is queued. */
  gint64 (*send_time) (gpointer peer);
  /* How long before a frame is given the end of it was heard on the line,
   * µs; NULL: 0. */
  gint64 (*receive_lag_us) (gpointer peer);
} TbConversationPeer;

/* The request to speak @text in @agent's voice, language and speaking
 * rate, at @sample_rate Hz (pointers into @agent and @text). */
void tb_dialog_tts_request_init (TbTtsRequest *request, const TbAgentConfig *agent,
                                 const char *text, guint sample_rate);

/* Whether @agent can hold a conversation: it names an LLM and a TTS provider. */
gboolean tb_conversation_wanted (const TbAgentConfig *agent);

/* Starts the conversation (the greeting plays at once). @peer and its
 * strings are borrowed, with @peer_data: free the conversation before them. */
TbConversation *tb_conversation_new (TbConfig *config, const TbAgentConfig *agent,
                                     const TbHost *host, const TbConversationPeer *peer,
                                     gpointer peer_data, GError **error);
void tb_conversation_free (TbConversation *conversation);

/* The caller's audio (20 ms frames), the end of the queued audio, and the
 * call's events. */
void tb_conversation_frame (TbConversation *conversation, const gint16 *samples, gsize n);
void tb_conversation_drained (TbConversation *conversation);
void tb_conversation_event (TbConversation *conversation, const TbCallEvent *event);

/* The turns with their text and metrics, as a JSON array member "turns". */
void tb_conversation_add_turns (TbConversation *conversation, JsonBuilder *builder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbConversation, tb_conversation_free)

G_END_DECLS
