/* conversation-private.h — what the files of the conversation share. */
#pragma once

#include "conversation.h"
#include "sentences.h"
#include "vad.h"

G_BEGIN_DECLS

/* A provider as the conversation uses it. */
typedef struct {
  const TbProviderConfig *config;
  gpointer instance;
  const void *vtable;
} TbDialogProvider;

/* An agent's providers for one stage, first choice first (chain.h). */
typedef struct {
  const char *kind;            /* "llm", "tts", "stt" */
  TbDialogProvider *members;
  guint n;
} TbDialogChain;

/* A function the LLM may call, and the tool provider that runs it. */
typedef struct {
  TbDialogProvider provider;
  const TbToolFunction *function;   /* owned by the instance */
} TbDialogTool;

/* One message of the history, owning its strings. */
typedef struct {
  TbLlmRole role;
  char *content;
  char *tool_call_id;
  GArray *tool_calls;   /* TbLlmToolCall with owned strings, or NULL */
} TbDialogMessage;

typedef struct {
  char *name;
  char *arguments;
  char *result;         /* or the error */
  gboolean ok;
  gint64 started_us, ended_us;
} TbDialogToolRun;

/* A turn: the caller's utterance (none for the greeting) and the reply. */
typedef struct {
  guint index;
  gboolean greeting;
  char *caller_text;
  GString *reply_text;         /* what the agent was to say */
  char *heard_text;            /* what was played, when interrupted */
  gint64 speech_start_us, speech_end_us;
  gint64 end_of_turn_us;       /* endpointing decided the caller was done */
  gint64 stt_final_us;
  gint64 llm_request_us, llm_first_token_us;
  gint64 tts_request_us, tts_first_audio_us;
  gint64 first_audio_out_us;   /* first reply audio handed to the media */
  GPtrArray *tools;            /* TbDialogToolRun * */
  gboolean interrupted;
  gint64 barge_in_speech_us;   /* the caller's speech that interrupted */
  gint64 barge_in_stop_us;     /* playback stopped for it */
  char *failure;
} TbDialogTurn;

/* A sentence queued for speech, and where its audio ends. */
typedef struct {
  char *text;
  gboolean filler;             /* not part of the reply */
  guint64 end_sample;          /* 0 until synthesised */
} TbDialogSpoken;

/* A provider request in flight. Its terminal callback may come after the
 * conversation is gone (the plugin finishes cancelled work on its own
 * time), so callbacks reach the conversation only through this. */
typedef struct {
  TbConversation *c;           /* NULL once the conversation is freed */
  GCancellable *cancellable;
  gpointer data;
  gboolean started;            /* e.g. its first audio has come */
  const TbDialogProvider *provider;  /* the one asked */
} TbDialogOp;

struct _TbConversation {
  const char *id;              /* the call's, for logs */
  const TbConversationPeer *peer;
  gpointer peer_data;
  TbConfig *config;
  const TbAgentConfig *agent;
  const TbHost *host;
  guint rate;
  gint64 start_us;

  TbDialogChain stt_chain, tts_chain, llm_chain;
  /* The provider of each stage asked last (of its chain). */
  const TbDialogProvider *stt, *tts, *llm;
  gboolean have_stt;
  GPtrArray *tools;            /* TbDialogTool * */
  const char *const *phrases;

  /* Listening */
  TbVad vad;
  TbSttSession *stt_session;
  guint stt_restarts;
  GArray *preroll;             /* the last 300 ms before speech */
  GArray *utterance;           /* what STT was given of the speech in
                                  progress, for the next STT provider of
                                  the chain when the one hearing it fails */
  gboolean capturing;          /* speech goes to STT */
  gboolean awaiting_final;
  char *partial;
  GString *pending_caller;     /* caller text of a turn not answered yet */
  gint64 pending_start_us, pending_end_us;
  gint64 vad_speech_start_us, vad_speech_end_us, vad_turn_end_us;
  gint64 endpoint_silent_since_us;  /* the silence endpoint_timer is for */
  gboolean barged;             /* this speech has interrupted already */

  /* History and turns */
  GPtrArray *messages;         /* TbDialogMessage * */
  GPtrArray *turns;            /* TbDialogTurn * */
  TbDialogTurn *turn;          /* the one being answered, or NULL */

  /* The reply in progress */
  GCancellable *reply;         /* cancels its LLM, TTS and tools */
  gboolean thinking;           /* LLM request in flight */
  TbSentences *sentences;
  GPtrArray *tool_calls;       /* TbLlmToolCall copies of this LLM round */
  guint tool_rounds;
  guint tool_index;
  gboolean running_tool;
  GString *round_text;         /* text of this LLM round */
  guint filler_source;
  guint filler_next;
  int assistant_message;       /* index in messages of the reply, -1 */

  /* Speaking */
  GQueue speech_queue;         /* TbDialogSpoken * waiting for TTS */
  GPtrArray *spoken;           /* TbDialogSpoken * synthesised, in order */
  guint64 spoken_start;        /* samples_queued when the reply began */
  gboolean synthesizing;
  guint64 samples_queued;      /* every sample handed to the media */
  GBytes *cached_greeting;
  GByteArray *greeting_audio;  /* being synthesised, to cache */
  char *greeting_key;

  GPtrArray *ops;              /* TbDialogOp * in flight */
  /* Watchdogs: a provider that says nothing in time is left behind. */
  GSource *llm_watchdog;       /* the LLM's first token */
  GSource *tts_watchdog;       /* the first audio of a sentence */
  GSource *stt_watchdog;       /* the transcript after the end of turn */
  GSource *endpoint_timer;     /* the caller's silence reaching the endpoint
                                * between two frames */
  TbDialogOp *llm_op, *tts_op; /* the requests they watch */

  /* What a tool asked of the call, done when the reply has been heard. */
  char *action;
  char *action_argument;
};

/* conversation.c: requests in flight */
TbDialogOp *tb_dialog_op_new (TbConversation *c, GCancellable *cancellable, gpointer data);
/* The conversation, when the request still matters to it (not cancelled). */
TbConversation *tb_dialog_op_live (TbDialogOp *op);
void tb_dialog_op_end (TbDialogOp *op);
/* A tool asked to act on the call; done when the reply has been heard. */
void tb_dialog_set_action (TbConversation *c, const char *action, const char *argument);
void tb_dialog_reply_finished (TbConversation *c);

/* reply.c: thinking and speaking */
void tb_dialog_reply_start (TbConversation *c);
/* Stops the reply at once (queued audio flushed, requests cancelled); with
 * @heard_only the history keeps only what the caller heard of it. */
void tb_dialog_reply_cancel (TbConversation *c, gboolean heard_only);
void tb_dialog_reply_continue (TbConversation *c);
gboolean tb_dialog_reply_active (TbConversation *c);
void tb_dialog_say (TbConversation *c, const char *text, gboolean filler);
void tb_dialog_speak_greeting (TbConversation *c);
/* Samples queued to the media and not yet sent. */
guint64 tb_dialog_unplayed (TbConversation *c);
gboolean tb_dialog_speaking (TbConversation *c);
void tb_dialog_spoken_free (TbDialogSpoken *spoken);
void tb_dialog_reply_maybe_finished (TbConversation *c);

/* tools-run.c */
void tb_dialog_tools_run (TbConversation *c);
void tb_dialog_tools_cancel (TbConversation *c);
const TbLlmTool *tb_dialog_tools_offer (TbConversation *c, guint *n);

/* history.c */
void tb_dialog_add_message (TbConversation *c, TbLlmRole role, const char *content,
                            const char *tool_call_id, const GPtrArray *tool_calls);
TbLlmMessage *tb_dialog_messages_view (TbConversation *c, guint *n);
TbDialogTurn *tb_dialog_turn_new (TbConversation *c, gboolean greeting);
void tb_dialog_turn_free (TbDialogTurn *turn);
void tb_dialog_message_free (TbDialogMessage *message);
void tb_dialog_tool_call_clear (TbLlmToolCall *call);
gint64 tb_dialog_now (TbConversation *c);
/* When audio played now would start going out to the caller. */
gint64 tb_dialog_send_time (TbConversation *c);

/* How long providers may take before the conversation goes on without
 * them (the caller hears an apology rather than silence). */
#define TB_DIALOG_LLM_TIMEOUT_MS 8000
#define TB_DIALOG_TTS_TIMEOUT_MS 5000
#define TB_DIALOG_STT_TIMEOUT_MS 4000

/* conversation.c: a one-shot timer on the thread-default context, after
 * @ms or @us (@func returns G_SOURCE_REMOVE). */
GSource *tb_dialog_watchdog (guint ms, GSourceFunc func, gpointer data);
GSource *tb_dialog_watchdog_us (gint64 us, GSourceFunc func, gpointer data);
void tb_dialog_watchdog_clear (GSource **source);
/* The request no longer reaches the conversation; its callbacks, when
 * they come, are ignored. */
void tb_dialog_op_detach (TbDialogOp *op);

/* Phrases said when something fails, so the caller never hears dead air. */
#define TB_DIALOG_SORRY_LLM "Sorry, I am having trouble right now. Could you say that again?"
#define TB_DIALOG_SORRY_STT "Sorry, I did not catch that. Could you repeat it?"
#define TB_DIALOG_SORRY_TOOLS "Sorry, I could not finish that. Can I help with anything else?"

G_END_DECLS
