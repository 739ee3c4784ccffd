/* ps-engine.h — what an instance of the plugin shares between its
 * sessions: the model's paths and settings, decoders (a fresh small one per
 * grammar session, language-model ones pooled) and the count of session
 * threads still running. Session threads call it; it locks itself. */
#pragma once

#include "ps-grammar.h"

#include <pocketsphinx.h>

G_BEGIN_DECLS

#define TB_PS_CEPSTRA 13

/* What 16 kHz sessions carry (8 kHz is always the phone band). */
typedef enum {
  TB_PS_BANDWIDTH_AUTO,    /* measured at the start of each session */
  TB_PS_BANDWIDTH_NARROW,  /* phone audio resampled to 16 kHz */
  TB_PS_BANDWIDTH_WIDE,    /* wideband speech */
} TbPsBandwidth;

typedef struct {
  char *model;            /* acoustic model directory */
  char *dictionary;
  char *language_model;
  float cmninit[TB_PS_CEPSTRA];           /* narrow-band (telephone) audio */
  float cmninit_wideband[TB_PS_CEPSTRA];  /* 16 kHz audio */
  guint max_idle;         /* language-model decoders kept for reuse */
  TbPsBandwidth bandwidth;
} TbPsEngineSettings;

typedef struct _TbPsEngine TbPsEngine;

/* Checks the paths, loads the shared dictionary and builds one small
 * decoder to prove the acoustic model loads. Errors name the path. */
TbPsEngine *tb_ps_engine_new (const TbPsEngineSettings *settings, GError **error);
/* Waits for the session threads still running, then frees everything. */
void tb_ps_engine_free (TbPsEngine *engine);

const TbPsLexicon *tb_ps_engine_get_lexicon (TbPsEngine *engine);

TbPsBandwidth tb_ps_engine_get_bandwidth (TbPsEngine *engine);

/* A decoder for one session: with only @grammar's words (a few ms), or,
 * when @grammar is NULL, with the full dictionary and the language model
 * (pooled: the first takes a few hundred ms). */
ps_decoder_t *tb_ps_engine_take_decoder (TbPsEngine *engine, const TbPsGrammar *grammar,
                                         GError **error);
/* Readies @decoder for a new stream, as a new decoder starts: the front
 * end's state cleared and the cepstral means at cmninit (@narrowband) or
 * cmninit-wideband, with no history. */
void tb_ps_engine_reset_decoder (TbPsEngine *engine, ps_decoder_t *decoder, gboolean narrowband);
/* Back from a session whose utterance has ended. */
void tb_ps_engine_return_decoder (TbPsEngine *engine, ps_decoder_t *decoder,
                                  gboolean grammar);

/* Session threads: counted so that tb_ps_engine_free() can wait for them. */
void tb_ps_engine_thread_started (TbPsEngine *engine);
void tb_ps_engine_thread_ended (TbPsEngine *engine);

/* The decoder's current cepstral means, "41.00,-5.29,..." (for tuning). */
char *tb_ps_decoder_describe_cmn (ps_decoder_t *decoder);

/* Routes pocketsphinx's messages to GLib: errors as messages, warnings as
 * debug messages; its chatter is dropped. */
void tb_ps_route_logging (void);

G_END_DECLS
