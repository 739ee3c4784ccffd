/* talkingbits-plugin.h — the Talkingbits plugin ABI.
 *
 * This is the only header a provider plugin (speech-to-text, text-to-speech,
 * language model or tool) compiles against. Build it out of tree with
 *
 *     cc -shared -fPIC -fvisibility=hidden my-plugin.c \
 *        $(pkg-config --cflags --libs talkingbits-plugin) -o my-plugin.so
 *
 * and drop the .so into a directory of `[talkingbits] plugin-path` or of the
 * TALKINGBITS_PLUGIN_PATH environment variable.
 *
 * Rules of the ABI
 * ----------------
 * - A plugin exports exactly one symbol, tb_plugin_describe() (use
 *   TB_PLUGIN_DEFINE), returning a pointer to a constant TbPluginDesc that
 *   lives as long as the module. Everything else stays hidden
 *   (-fvisibility=hidden).
 * - The host loads a plugin when its abi_major equals TB_PLUGIN_ABI_MAJOR and
 *   its abi_minor is not newer than the host's (GStreamer's rule). Structures
 *   only grow at their end; a minor version adds fields, a major version may
 *   change anything. struct_size lets either side tell how much of a
 *   structure the other knows.
 * - Every kind-specific vtable starts with its own version (guint32), so a
 *   table can grow without changing the plugin ABI.
 * - Once its init() has run, a plugin stays mapped until the process exits
 *   (GTypes and quarks it or its libraries register remain valid); the host
 *   calls shutdown() but never unloads it.
 * - Plugins never call the daemon's private symbols: everything they need
 *   from the host comes through the TbHost passed to init() and
 *   instance_new().
 * - Configuration reaches a plugin as a GVariant dictionary (a{sv}) built by
 *   the host from the plugin's keyfile group, checked against the keys the
 *   plugin declares (unknown key, wrong type, out of range and missing
 *   required key are errors reported by the host, naming file, group and
 *   key). Every declared key is present in the dictionary, with its default
 *   when the group does not set it; keys without a default that are not set
 *   are absent. Keys of type TB_CONFIG_TYPE_SECRET_ENV name an environment
 *   variable in the keyfile; the dictionary holds the variable's value. A
 *   plugin must never log it.
 *
 * Threads and asynchrony
 * ----------------------
 * init() and shutdown() run on the daemon's main thread. instance_new()
 * and instance_free() may run on any thread: the host checks a provider's
 * settings by creating (and freeing) an instance when it loads the config,
 * then creates one instance per provider and worker thread. An instance is
 * only used from its worker's thread, with that worker's GMainContext pushed
 * as the thread-default context: a plugin attaches its sources and I/O to
 * g_main_context_get_thread_default() and invokes the callbacks from there,
 * never from another thread. Shared state across instances is the plugin's
 * to lock. Every asynchronous
 * operation takes a GCancellable and ends with exactly one terminal callback
 * (done/final or error); when cancelled, the terminal callback is error()
 * with G_IO_ERROR_CANCELLED, and it is never called from inside the function
 * that started the operation (dispatch it from an idle source instead).
 * Request structures and the strings they point to are only valid during the
 * call that receives them: copy what you keep.
 */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include <gmodule.h>

G_BEGIN_DECLS

#define TB_PLUGIN_ABI_MAJOR 1
#define TB_PLUGIN_ABI_MINOR 1

/* The one symbol a plugin exports. */
#define TB_PLUGIN_ENTRY_SYMBOL "tb_plugin_describe"

/* ---- configuration keys ------------------------------------------------ */

typedef enum {
  TB_CONFIG_TYPE_STRING = 1,  /* any text                                   */
  TB_CONFIG_TYPE_INT,         /* 64-bit integer, range [min, max] if min<max */
  TB_CONFIG_TYPE_DOUBLE,      /* floating point, range [min, max] if min<max */
  TB_CONFIG_TYPE_BOOL,        /* true / false                               */
  TB_CONFIG_TYPE_STRING_LIST, /* ';'-separated list (keyfile list syntax)   */
  TB_CONFIG_TYPE_CHOICE,      /* one of the '|'-separated words in choices  */
  TB_CONFIG_TYPE_SECRET_ENV,  /* names an environment variable; the plugin
                                 receives the variable's value (a string)   */
} TbConfigType;

typedef enum {
  TB_CONFIG_KEY_REQUIRED = 1 << 0, /* the group must set it                 */
} TbConfigKeyFlags;

/* One configuration key. Arrays of keys end with an entry whose name is
 * NULL. The size of this structure is fixed for ABI major 1 (it keeps
 * reserved room for later fields). */
typedef struct {
  const char *name;          /* lower-case words joined by '-'              */
  TbConfigType type;
  guint flags;               /* TbConfigKeyFlags                            */
  const char *default_value; /* in keyfile syntax; NULL when it has none    */
  const char *help;          /* one sentence for talkingbits-inspect/web UI */
  double min, max;           /* numeric range, inclusive, used if min < max */
  const char *choices;       /* TB_CONFIG_TYPE_CHOICE: "pcm|ulaw"           */
  gpointer reserved[4];
} TbConfigKey;

/* Value types in the settings dictionary, by TbConfigType:
 * STRING, CHOICE, SECRET_ENV: "s"; INT: "x"; DOUBLE: "d"; BOOL: "b";
 * STRING_LIST: "as". */

/* ---- host services ----------------------------------------------------- */

typedef struct _TbHost TbHost;
struct _TbHost {
  guint32 version;        /* TB_PLUGIN_ABI_MINOR of the host */
  guint32 struct_size;    /* sizeof (TbHost) in the host     */
  const char *host_version;   /* the daemon's version, "0.1.0" */
  const char *data_dir;       /* shared data (grammars, voices, prompts) */
  /* Monotonic clock in microseconds (g_get_monotonic_time() unless a test
   * or a simulation replaces it). Use it for every latency you report. */
  gint64 (*now_us) (const TbHost *host);
  gpointer host_data;         /* private to the host */
};

/* ---- plugin kinds and their vtables ------------------------------------ */

typedef enum {
  TB_PLUGIN_KIND_STT = 1,
  TB_PLUGIN_KIND_TTS,
  TB_PLUGIN_KIND_LLM,
  TB_PLUGIN_KIND_TOOL,
} TbPluginKind;

/* Audio crossing the ABI is always mono, signed 16-bit, native endian, at
 * the sample rate named in the request. */

/* -- STT: speech to text, one session per caller stream -- */

typedef struct _TbSttSession TbSttSession; /* defined by the plugin */

typedef struct {
  guint sample_rate;              /* 8000, 16000, ...             */
  const char *language;           /* BCP 47, "en-US"; may be NULL */
  const char *const *phrases;     /* expected phrases (grammar/hints); may be NULL */
  /* ABI 1.1: the audio rate of the codec on the line (8000 for G.711,
   * 16000 for G.722), so a recogniser knows phone audio resampled to
   * sample_rate for what it is; 0 when not known. */
  guint line_rate;
} TbSttParams;

typedef struct {
  /* A hypothesis for the utterance in progress; may be called many times. */
  void (*partial) (const char *text, gpointer user_data);
  /* The transcript of an utterance. After finish() the last final() (empty
   * text when nothing was recognised) is followed by done(). */
  void (*final) (const char *text, double confidence, gpointer user_data);
  /* The session ended after finish(): no more callbacks follow. */
  void (*done) (gpointer user_data);
  /* The session failed or was cancelled: no more callbacks follow. */
  void (*error) (const GError *error, gpointer user_data);
} TbSttCallbacks;

#define TB_STT_VTABLE_VERSION 1
typedef struct {
  guint32 version;
  TbSttSession *(*session_new) (gpointer instance, const TbSttParams *params,
                                const TbSttCallbacks *callbacks, gpointer user_data,
                                GCancellable *cancellable, GError **error);
  /* Audio of the caller, in order, in 20 ms frames or any other size. */
  void (*push_audio) (TbSttSession *session, const gint16 *samples, gsize n_samples);
  /* End of the caller's turn (endpointing): deliver the final transcript. */
  void (*end_of_turn) (TbSttSession *session);
  /* End of the stream: flush, then done(). */
  void (*finish) (TbSttSession *session);
  /* Releases the session; no callback is called after it returns. */
  void (*session_free) (TbSttSession *session);
} TbSttVTable;

/* -- TTS: text to speech -- */

typedef struct {
  const char *text;
  const char *voice;      /* provider's voice name/id; NULL = default */
  const char *language;   /* may be NULL */
  double rate;            /* speaking rate, 1.0 = normal */
  guint sample_rate;      /* wanted output rate */
} TbTtsRequest;

typedef struct {
  /* A chunk of audio at the requested rate; call as soon as it exists. */
  void (*audio) (const gint16 *samples, gsize n_samples, gpointer user_data);
  void (*done) (gpointer user_data);
  void (*error) (const GError *error, gpointer user_data);
} TbTtsCallbacks;

#define TB_TTS_VTABLE_VERSION 1
typedef struct {
  guint32 version;
  void (*synthesize) (gpointer instance, const TbTtsRequest *request,
                      const TbTtsCallbacks *callbacks, gpointer user_data,
                      GCancellable *cancellable);
} TbTtsVTable;

/* -- LLM: chat completion with tools, streamed -- */

typedef enum {
  TB_LLM_ROLE_SYSTEM = 1,
  TB_LLM_ROLE_USER,
  TB_LLM_ROLE_ASSISTANT,
  TB_LLM_ROLE_TOOL,
} TbLlmRole;

typedef struct {
  const char *id;              /* provider's tool-call id */
  const char *name;            /* tool function name      */
  const char *arguments_json;  /* a JSON object, as text  */
} TbLlmToolCall;

typedef struct {
  TbLlmRole role;
  const char *content;               /* may be NULL for tool-call turns */
  const char *tool_call_id;          /* TB_LLM_ROLE_TOOL: the call answered */
  const TbLlmToolCall *tool_calls;   /* TB_LLM_ROLE_ASSISTANT: calls made */
  guint n_tool_calls;
} TbLlmMessage;

typedef struct {
  const char *name;
  const char *description;
  const char *parameters_json;  /* JSON schema of the arguments object */
} TbLlmTool;

typedef struct {
  const TbLlmMessage *messages;
  guint n_messages;
  const TbLlmTool *tools;
  guint n_tools;
} TbLlmRequest;

typedef struct {
  /* Text of the reply as it is generated. */
  void (*delta) (const char *text, gpointer user_data);
  /* A complete tool call (arguments fully streamed). */
  void (*tool_call) (const TbLlmToolCall *call, gpointer user_data);
  void (*done) (gpointer user_data);
  void (*error) (const GError *error, gpointer user_data);
} TbLlmCallbacks;

#define TB_LLM_VTABLE_VERSION 2
typedef struct {
  guint32 version;
  void (*chat) (gpointer instance, const TbLlmRequest *request,
                const TbLlmCallbacks *callbacks, gpointer user_data,
                GCancellable *cancellable);
  /* Version 2. What callers are expected to say to this instance (the
   * example phrases of a rules-based dialogue), NULL-terminated, owned by
   * the instance; NULL (or a NULL function) when anything may be said. The
   * host hands them to STT as TbSttParams.phrases (a grammar or hints). */
  const char *const *(*phrases) (gpointer instance);
} TbLlmVTable;

/* -- TOOL: functions the LLM may call -- */

typedef struct {
  const char *name;             /* function name offered to the LLM    */
  const char *description;
  const char *parameters_json;  /* JSON schema of the arguments object */
} TbToolFunction;

typedef struct {
  const char *call_id;          /* the phone call's id              */
  const char *agent;            /* the agent's name                 */
  const char *caller;           /* caller's number or SIP user      */
  const char *callee;           /* dialled number                   */
  const char *function;         /* which of the plugin's functions  */
  const char *arguments_json;   /* validated against its schema     */
} TbToolInvocation;

/* A tool acts on the call by putting a "call" object in its result, which
 * the host carries out once the reply to the caller has been spoken:
 *   {"call": {"action": "hangup"}}
 *   {"call": {"action": "transfer", "target": "+15550100"}}  (REFER; a
 *                                    number or a sip: URI)
 *   {"call": {"action": "dtmf", "digits": "12#"}}           (RFC 4733)
 * The rest of the result goes to the LLM as usual. Webhooks may reply with
 * the same object. */
typedef struct {
  /* The result as JSON text (an object); given to the LLM. */
  void (*result) (const char *result_json, gpointer user_data);
  void (*error) (const GError *error, gpointer user_data);
} TbToolCallbacks;

#define TB_TOOL_VTABLE_VERSION 1
typedef struct {
  guint32 version;
  /* The functions this instance offers, terminated by a NULL name; owned by
   * the instance and valid until instance_free(). */
  const TbToolFunction *(*functions) (gpointer instance);
  void (*invoke) (gpointer instance, const TbToolInvocation *invocation,
                  const TbToolCallbacks *callbacks, gpointer user_data,
                  GCancellable *cancellable);
} TbToolVTable;

/* ---- the descriptor ---------------------------------------------------- */

typedef struct _TbPluginDesc TbPluginDesc;
struct _TbPluginDesc {
  guint16 abi_major;           /* TB_PLUGIN_ABI_MAJOR at build time */
  guint16 abi_minor;           /* TB_PLUGIN_ABI_MINOR at build time */
  guint32 struct_size;         /* sizeof (TbPluginDesc) at build time */

  TbPluginKind kind;
  const char *name;            /* [a-z0-9-]+, unique per kind: "espeak" */
  const char *version;         /* the plugin's own version, "1.2.0" */
  const char *description;     /* one line */
  const char *license;         /* SPDX identifier, "LGPL-2.1-or-later" */
  const TbConfigKey *config_keys; /* NULL-name terminated; NULL = no keys */

  /* Once per process, after loading; NULL when not needed. Returning FALSE
   * (with error set) makes the host skip the plugin and report why. */
  gboolean (*init) (const TbHost *host, GError **error);
  /* Once, before the process exits; NULL when not needed. */
  void (*shutdown) (void);

  /* An instance of a provider ([tts:NAME]) with its settings (a{sv}):
   * non-NULL, or NULL with @error saying what is wrong with the settings.
   * When instance_new is NULL, vtable functions get a NULL instance. */
  gpointer (*instance_new) (const TbHost *host, GVariant *settings, GError **error);
  void (*instance_free) (gpointer instance);

  /* TbSttVTable, TbTtsVTable, TbLlmVTable or TbToolVTable, by kind. */
  const void *vtable;
};

/* Fills the ABI fields of a descriptor:
 *   static const TbPluginDesc desc = { TB_PLUGIN_DESC_HEADER, .kind = ... }; */
#define TB_PLUGIN_DESC_HEADER \
  .abi_major = TB_PLUGIN_ABI_MAJOR, .abi_minor = TB_PLUGIN_ABI_MINOR, \
  .struct_size = sizeof (TbPluginDesc)

typedef const TbPluginDesc *(*TbPluginDescribeFunc) (void);

/* Defines the plugin's one exported symbol. */
#define TB_PLUGIN_DEFINE(desc) \
  G_MODULE_EXPORT const TbPluginDesc *tb_plugin_describe (void); \
  G_MODULE_EXPORT const TbPluginDesc *tb_plugin_describe (void) { return &(desc); }

/* Error domain plugins may use for provider failures. (Never register a
 * quark with g_quark_from_static_string() from a string inside a plugin:
 * GLib keeps the pointer for the life of the process.) */
#define TB_PLUGIN_ERROR (g_quark_from_string ("tb-plugin-error-quark"))
typedef enum {
  TB_PLUGIN_ERROR_FAILED,       /* anything else                            */
  TB_PLUGIN_ERROR_CONFIG,       /* settings the plugin cannot work with     */
  TB_PLUGIN_ERROR_AUTH,         /* credentials refused by the provider      */
  TB_PLUGIN_ERROR_RATE_LIMITED, /* provider asked to slow down              */
  TB_PLUGIN_ERROR_TIMEOUT,      /* no answer in time                        */
  TB_PLUGIN_ERROR_PROTOCOL,     /* the provider's reply made no sense       */
} TbPluginErrorCode;

G_END_DECLS
