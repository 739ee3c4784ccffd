/* tts-stream.h — what the local text-to-speech plugins share: a synthesis
 * runs on a thread of its own (the engine may take the process-wide lock
 * of a library that is not thread-safe without stalling the worker's main
 * loop), its audio is resampled to the requested rate on that thread and
 * handed to the caller's thread-default GMainContext in order, chunk by
 * chunk as the engine produces it, and the request ends with exactly one
 * done() or error() there; a cancelled request ends with
 * error(G_IO_ERROR_CANCELLED) at once and no audio after it. */
#pragma once

#include <talkingbits-plugin.h>

G_BEGIN_DECLS

typedef struct _TbTtsStream TbTtsStream;

/* The engine's part, on the stream's thread: produce audio with
 * tb_tts_stream_push() and stop as soon as it returns FALSE (cancelled).
 * Returns FALSE with @error set when synthesis failed. */
typedef gboolean (*TbTtsSynthFunc) (TbTtsStream *stream, gpointer job, GError **error);

/* From a plugin's init(): sets up what the resampler needs. */
gboolean tb_tts_stream_init (GError **error);
/* From a plugin's shutdown(): waits until no synthesis thread is running. */
void tb_tts_stream_wait_all (void);

/* Starts a request from synthesize(), on the caller's thread: runs @func
 * with @job on a new thread named @thread_name, then frees @job with
 * @job_free there. The callbacks are called on the thread-default context
 * of the caller, never from inside this function. */
void tb_tts_stream_start (const char *thread_name, guint sample_rate,
                          const TbTtsCallbacks *callbacks, gpointer user_data,
                          GCancellable *cancellable,
                          TbTtsSynthFunc func, gpointer job, GDestroyNotify job_free);
/* Ends a request that cannot start (a bad voice, say) with error(@error),
 * or error(G_IO_ERROR_CANCELLED) when cancelled; takes @error. */
void tb_tts_stream_fail (const TbTtsCallbacks *callbacks, gpointer user_data,
                         GCancellable *cancellable, GError *error);

/* On the stream's thread: @n samples at the engine's @rate (the same for the
 * whole request). FALSE when the request was cancelled: stop synthesising. */
gboolean tb_tts_stream_push (TbTtsStream *stream, const gint16 *samples, gsize n, guint rate);
gboolean tb_tts_stream_is_cancelled (TbTtsStream *stream);
/* Sets @error to G_IO_ERROR_CANCELLED and returns FALSE, for a TbTtsSynthFunc
 * that stops because it was cancelled. */
gboolean tb_tts_stream_set_cancelled (GError **error);

G_END_DECLS
