/* oa-session.h — a caller stream transcribed a turn at a time by OpenAI's
 * /audio/transcriptions (Whisper, gpt-4o-transcribe, ...). */
#pragma once

#include "cloud-http.h"

G_BEGIN_DECLS

typedef struct {
  TbCloudClient client;
  char *model;
  char *language;   /* BCP 47; "" or NULL: the session's own */
  char *prompt;     /* may be NULL */
} OaConfig;

/* The callbacks run on the caller's thread-default context, never from
 * inside these functions. @config must outlive the session. */
TbSttSession *oa_session_new (OaConfig *config, const TbSttParams *params,
                              const TbSttCallbacks *callbacks, gpointer user_data,
                              GCancellable *cancellable, GError **error);
void oa_session_push_audio (TbSttSession *session, const gint16 *samples, gsize n_samples);
void oa_session_end_of_turn (TbSttSession *session);
void oa_session_finish (TbSttSession *session);
void oa_session_free (TbSttSession *session);

G_END_DECLS
