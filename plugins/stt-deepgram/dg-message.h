/* dg-message.h — the JSON messages Deepgram's live /v1/listen WebSocket
 * sends, read into one flat structure. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  DG_MESSAGE_OTHER,          /* a type this client does not use */
  DG_MESSAGE_RESULTS,        /* a transcript, interim or final */
  DG_MESSAGE_UTTERANCE_END,  /* a gap of utterance_end_ms after the last word */
  DG_MESSAGE_SPEECH_STARTED, /* vad_events: speech began */
  DG_MESSAGE_METADATA,       /* the summary sent before the stream closes */
  DG_MESSAGE_ERROR,          /* the service reports a failure */
} DgMessageType;

typedef struct {
  DgMessageType type;
  char *type_name;        /* as sent */
  /* Results */
  double start, duration; /* seconds of the audio stream they cover */
  gboolean is_final, speech_final, from_finalize;
  char *transcript;       /* of the first alternative, "" when none */
  double confidence;
  /* UtteranceEnd: end of the last word; SpeechStarted: where speech began */
  double time;
  char *request_id;       /* Metadata, or a result's metadata */
  char *description;      /* Error */
} DgMessage;

/* Reads one text message. FALSE when it is not a JSON object with a
 * "type" string (the message then makes no sense). */
gboolean dg_message_parse (const char *data, gsize len, DgMessage *message, GError **error);
void dg_message_clear (DgMessage *message);

G_END_DECLS
