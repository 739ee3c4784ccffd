/* dg-session.h — one caller stream transcribed live by Deepgram over a
 * WebSocket, reconnecting when the connection drops. */
#pragma once

#include "cloud-http.h"

G_BEGIN_DECLS

typedef struct {
  TbCloudClient client;
  char *model;
  char *language;            /* "" or NULL: the session's own */
  gboolean interim_results;
  gboolean smart_format;
  gboolean punctuate;
  gboolean vad_events;
  guint endpointing_ms;      /* 0: endpointing=false */
  guint utterance_end_ms;    /* 0: not asked for */
  guint audio_chunk_ms;      /* audio of an open turn goes out in pieces of this */
  guint keepalive_s;
  guint reconnect_attempts;
} DgConfig;

/* A session streaming to @url (the listen URL with its query), for audio
 * at @rate. The callbacks run on the thread-default context of the
 * caller; none from inside these functions. @config must outlive the
 * session. */
TbSttSession *dg_session_new (DgConfig *config, const char *url, guint rate,
                              const TbSttCallbacks *callbacks, gpointer user_data,
                              GCancellable *cancellable, GError **error);
void dg_session_push_audio (TbSttSession *session, const gint16 *samples, gsize n_samples);
void dg_session_end_of_turn (TbSttSession *session);
void dg_session_finish (TbSttSession *session);
void dg_session_free (TbSttSession *session);

G_END_DECLS
