/* tb-call.h — what the files of tb-call, the command-line softphone, share:
 * its options, what one call produced, and the parts that make the call
 * (SIP on sofia's native loop on the main thread, audio on a worker thread,
 * the JSON report). */
#pragma once

#include "media-session.h"
#include "sdp.h"
#include "tb-call-onset.h"

G_BEGIN_DECLS

/* Audio in and out of tb-call: played files, frames heard, the recording. */
#define TB_SOFTPHONE_RATE 16000

typedef enum {
  TB_SOFTPHONE_DTMF_RFC4733,
  TB_SOFTPHONE_DTMF_INFO,
} TbSoftphoneDtmfMode;

/* ---- tb-call-options.c: the command line --------------------------------- */

typedef struct {
  char *target;                 /* sip:USER@HOST[:PORT] */
  char *from_user;
  char *bind_host;              /* local SIP and RTP address */
  guint rtp_first, rtp_last;    /* RTP port range */
  const TbCodec *codecs[4];     /* offered, in order; NULL-terminated */
  guint8 payload_types[3];
  char *play_path;
  char *record_path;
  char *dtmf;                   /* NULL: none */
  TbSoftphoneDtmfMode dtmf_mode;
  guint dtmf_at_ms;             /* after answer */
  gint64 hangup_after_ms;       /* after answer; -1: played audio sent + 3 s, or 10 s */
  guint answer_timeout_ms;
  char *auth_user;              /* NULL: challenges are not answered */
  char *password;               /* from the environment; never printed */
  gboolean verbose;
} TbSoftphoneOptions;

/* Parses and checks the command line; FALSE with a message that says
 * what is wrong. */
gboolean tb_softphone_options_parse (TbSoftphoneOptions *options, int *argc, char ***argv,
                                     GError **error);
void tb_softphone_options_clear (TbSoftphoneOptions *options);

/* ---- what one call produced ----------------------------------------------- */

typedef struct {
  gboolean attempted;           /* an INVITE was sent */
  int status;                   /* final status of the INVITE, 0 if none */
  char *reason;
  char *call_id;
  const TbCodec *codec;         /* NULL until answered */
  gint64 trying_ms, ringing_ms, answered_ms;   /* from the INVITE; -1: not seen */
  const char *hangup;           /* "local", "remote", or NULL (never answered) */
  gboolean ended_normally;      /* answered, then BYE one way or the other */
  gint64 duration_ms;           /* answer -> end of the call */
  /* From the media, when the call was answered. */
  GString *dtmf_sent;
  TbMediaStats rtp;
  GArray *heard;                /* gint16 at TB_SOFTPHONE_RATE: sample 0 is the answer */
  GArray *heard_at;             /* gint64 µs from the answer: when each 20 ms frame of
                                 * heard arrived */
  gint64 play_offset_ms;        /* answer -> when sample 0 of the played audio was
                                 * spoken (its packet left a frame later) */
} TbSoftphoneResult;

void tb_softphone_result_init (TbSoftphoneResult *result);
void tb_softphone_result_clear (TbSoftphoneResult *result);

/* ---- tb-call-media.c: the call's audio on a worker thread ----------------- */

typedef struct _TbSoftphoneMedia TbSoftphoneMedia;

/* Binds the RTP socket (a free port of the range on @bind_host) and starts
 * the worker thread. */
TbSoftphoneMedia *tb_softphone_media_new (const TbSoftphoneOptions *options, GError **error);
guint tb_softphone_media_get_port (TbSoftphoneMedia *media);
/* Starts RTP as the answer @stream says and plays @samples (at
 * TB_SOFTPHONE_RATE) at once; @answered_us is the answer's monotonic time,
 * sample 0 of what is heard. @drained is called on the worker thread once
 * the samples have all been sent. Waits until the worker has done it. */
gboolean tb_softphone_media_start (TbSoftphoneMedia *media, const TbSdpStream *stream,
                                   gint64 answered_us, const gint16 *samples, gsize n_samples,
                                   GFunc drained, gpointer user_data, GError **error);
/* Sends @digits as RFC 4733 events (the worker reports a failure). */
void tb_softphone_media_send_dtmf (TbSoftphoneMedia *media, const char *digits);
/* Stops RTP and moves what the media produced into @result. Waits. */
void tb_softphone_media_stop (TbSoftphoneMedia *media, TbSoftphoneResult *result);
void tb_softphone_media_free (TbSoftphoneMedia *media);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbSoftphoneMedia, tb_softphone_media_free)

/* ---- tb-call-sip.c: the call itself ---------------------------------------- */

/* Places the call on sofia's native loop on this thread and runs it to its
 * end. FALSE with @error when no call could be attempted (the SIP stack
 * did not start); everything after that is in @result. */
gboolean tb_softphone_call (const TbSoftphoneOptions *options, TbSoftphoneMedia *media,
                            const gint16 *play, gsize n_play, TbSoftphoneResult *result,
                            GError **error);

/* ---- tb-call-report.c: the JSON printed at the end ------------------------- */

/* @utterances (TbSegment) are where the caller spoke in the played file. */
char *tb_softphone_report (const TbSoftphoneResult *result, GArray *utterances);

G_END_DECLS
