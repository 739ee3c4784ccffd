/* dg-session-private.h — what the two halves of a Deepgram session share:
 * dg-session.c (the caller's turns and what the host hears) and
 * dg-stream.c (the WebSocket: connecting, sending, receiving). */
#pragma once

#include "dg-session.h"
#include "dg-message.h"
#include "dg-turns.h"

G_BEGIN_DECLS

struct _TbSttSession {
  int refs;
  DgConfig *config;
  char *url;
  guint rate;
  GMainContext *context;
  TbSttCallbacks callbacks;
  gpointer user_data;
  GCancellable *cancellable;   /* the caller's, or NULL */
  GSource *cancel_source;
  gboolean ended;              /* a terminal callback ran, or session_free */

  DgTurns turns;
  char *last_partial;
  gboolean finishing;          /* finish() was called */
  gboolean close_sent;         /* CloseStream, on the current connection */
  gint64 close_sent_us;
  GSource *answer_timer, *deliver_idle;

  /* The connection (dg-stream.c) */
  guint attempt;               /* bumped by each try: older callbacks are stale */
  guint failures;              /* failed tries and drops since the last progress */
  gboolean connected_once;
  gint64 opened_us;
  GCancellable *connect_abort;
  SoupMessage *handshake;
  SoupWebsocketConnection *ws;
  gint64 last_send_us;
  gint64 last_message_us;      /* 0: none on this connection */
  GSource *connect_timer, *retry_timer, *keepalive_timer;
};

/* dg-session.c */
TbSttSession *dg_session_ref (TbSttSession *session);
void dg_session_unref (TbSttSession *session);
/* A timeout source on the session's context calling @func (@session). */
GSource *dg_session_timer (TbSttSession *session, gint64 ms, GSourceFunc func);
/* Ends the session with error(@error), once. */
void dg_session_fail (TbSttSession *session, const GError *error);
void dg_session_fail_with (TbSttSession *session, GQuark domain, int code, const char *format,
                           ...) G_GNUC_PRINTF (4, 5);
/* A Results message: the turn it belongs to, a partial for the caller. */
void dg_session_results (TbSttSession *session, const DgMessage *message);
/* The finals of complete turns; the deadline of what is awaited. */
void dg_session_deliver_ready (TbSttSession *session);
void dg_session_arm_answer_timer (TbSttSession *session);
/* CloseStream was answered: the last finals, done(). */
void dg_session_finish_complete (TbSttSession *session);

/* dg-stream.c */
void dg_stream_connect (TbSttSession *session);
gboolean dg_stream_is_open (TbSttSession *session);
/* Sends what the connection has not had: audio, each ended turn's
 * Finalize after its audio, CloseStream once finishing. */
void dg_stream_send_pending (TbSttSession *session);
void dg_stream_close (TbSttSession *session);

G_END_DECLS
