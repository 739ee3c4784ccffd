/* stt-harness.h — a shipped speech-to-text plugin (build/plugins/stt-*.so)
 * loaded through the registry as the daemon loads it, instances made from
 * keyfile text through the host's settings code, and sessions fed the way
 * the host feeds them (20 ms frames) on the thread-default context, with
 * everything they call back recorded and checked: the context it came on,
 * whether it came from inside a call to the plugin, anything after the
 * terminal callback. */
#pragma once

#include "talkingbits-plugin.h"

G_BEGIN_DECLS

typedef struct _TbTestStt TbTestStt;

/* Loads @file ("stt-deepgram": build/plugins/stt-deepgram.so, linked into
 * a temporary directory) and finds STT plugin @name in it. */
TbTestStt *tb_test_stt_new (const char *file, const char *name);
void tb_test_stt_free (TbTestStt *stt);
const TbPluginDesc *tb_test_stt_desc (TbTestStt *stt);
const TbSttVTable *tb_test_stt_vtable (TbTestStt *stt);

/* Keys every instance's group starts with (the fake's base-url, the
 * api-key-env), before its own ("key=value\n" lines; a key given again
 * takes the later value). */
void tb_test_stt_set_defaults (TbTestStt *stt, const char *group_text);
/* An instance configured by the defaults and @group_text (the keys of an
 * [stt:test] group, "model=...\n..."), in which the host must find no
 * problem; NULL with @error set when the plugin refuses it. */
gpointer tb_test_stt_instance_try (TbTestStt *stt, const char *group_text, GError **error);
/* The same, which must succeed. */
gpointer tb_test_stt_instance_new (TbTestStt *stt, const char *group_text);
void tb_test_stt_instance_free (TbTestStt *stt, gpointer instance);

/* One session and what it called back. */
typedef struct {
  TbTestStt *stt;
  GMainContext *context;      /* thread-default when the session was made */
  TbSttSession *session;
  GCancellable *cancellable;
  guint rate;
  GPtrArray *finals;          /* char * */
  GPtrArray *partials;        /* char * */
  guint n_done, n_errors;
  guint n_after_end;          /* callbacks after the terminal one */
  GError *error;              /* the last error() */
  gboolean partial_before_final;
  gboolean wrong_context;     /* a callback came on another context */
  gboolean inside;            /* in a call to the plugin */
  gboolean called_inside;     /* a callback came from inside one */
  gint64 started_us, terminal_us;
  gint64 final_us;            /* when the first final came */
} TbTestSttRun;

/* The callbacks a run records with (for session_new calls that must fail). */
extern const TbSttCallbacks tb_test_stt_callbacks;

/* A session of @instance with @params, which must start. */
TbTestSttRun *tb_test_stt_run_new_full (TbTestStt *stt, gpointer instance,
                                        const TbSttParams *params);
/* One at @rate for en-US. */
TbTestSttRun *tb_test_stt_run_new (TbTestStt *stt, gpointer instance, guint rate);
/* Frees the session (when the test has not), runs the context for 100 ms
 * so that what the plugin left to end (a request, a connection) ends, then
 * frees @run. */
void tb_test_stt_run_free (TbTestSttRun *run);

/* @n samples in 20 ms frames, at once. */
void tb_test_stt_push_samples (TbTestSttRun *run, const gint16 *samples, gsize n);
/* @audio (gint16) in 20 ms frames, at once or in real time. */
void tb_test_stt_push (TbTestSttRun *run, const GArray *audio);
void tb_test_stt_push_paced (TbTestSttRun *run, const GArray *audio);
void tb_test_stt_end_of_turn (TbTestSttRun *run);
void tb_test_stt_finish (TbTestSttRun *run);

/* Final @i (asserted to exist). */
const char *tb_test_stt_final (TbTestSttRun *run, guint i);

/* A clean end within 10 s: @n_finals finals, one done(), no error, nothing
 * after it, nothing from inside a call or from another context. */
void tb_test_stt_assert_done (TbTestSttRun *run, guint n_finals);
/* The session ended within @ms with one error, @code of @domain, whose
 * message holds @text; no done(), nothing after it, nothing from inside a
 * call or from another context. */
void tb_test_stt_assert_error (TbTestSttRun *run, GQuark domain, int code, const char *text,
                               guint ms);

/* One iteration of the thread-default context (without blocking), then a
 * millisecond's sleep. */
void tb_test_stt_iterate (void);
/* Iterates it for @ms. */
void tb_test_stt_linger (guint ms);

/* Iterates the thread-default context until @cond holds; asserts it after
 * @ms. */
#define TB_TEST_STT_WAIT_FOR(cond, ms) G_STMT_START { \
    gint64 until_ = g_get_monotonic_time () + (gint64) (ms) * 1000; \
    while (!(cond) && g_get_monotonic_time () < until_) \
      tb_test_stt_iterate (); \
    g_assert_true (cond); \
  } G_STMT_END

/* The caller's speech: @ms of a @hz tone, or of silence, appended to
 * @audio (gint16 at @rate). */
void tb_test_stt_add_tone (GArray *audio, guint rate, guint ms, double hz);
void tb_test_stt_add_silence (GArray *audio, guint rate, guint ms);
/* What the host pushes for a turn: 300 ms of silence, each burst of
 * @bursts_ms (0-terminated; burst i a tone of 300 + 100 i Hz) followed by
 * @gap_ms of silence, the last by the 500 ms of silence that ended the
 * turn. */
GArray *tb_test_stt_turn_audio (guint rate, const guint *bursts_ms, guint gap_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbTestStt, tb_test_stt_free)

G_END_DECLS
