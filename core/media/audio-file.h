/* audio-file.h — audio files in and out of a call: any file GStreamer can
 * decode, read as mono S16LE at a given rate; WAV files written as calls
 * are recorded. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Decodes @path (filesrc ! decodebin ! audioconvert ! audioresample) into
 * mono S16LE samples at @rate. Blocks; run it off the hot path (once per
 * agent, cached). It always returns: a file that is missing, not a regular
 * file, undecodable or without audio, or whose decoding gets stuck (past
 * 10 s, plus 2 s per MiB), gives NULL and an error that starts with @path. */
gint16 *tb_audio_file_read (const char *path, guint rate, gsize *n_samples, GError **error);

/* A whole mono 16-bit WAV file at @rate in memory (a preview to send). */
GBytes *tb_wav_bytes_new (const gint16 *samples, gsize n_samples, guint rate);

typedef struct _TbWavWriter TbWavWriter;

/* A mono 16-bit WAV file at @rate; the header is completed on close. */
TbWavWriter *tb_wav_writer_new (const char *path, guint rate, GError **error);
gboolean tb_wav_writer_write (TbWavWriter *writer, const gint16 *samples, gsize n_samples,
                              GError **error);
gboolean tb_wav_writer_close (TbWavWriter *writer, GError **error);
void tb_wav_writer_free (TbWavWriter *writer);  /* closes when still open */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbWavWriter, tb_wav_writer_free)

G_END_DECLS
