/* test-plugin.c — one source, many test plugins: the meson file builds it
 * with different -D knobs to get good plugins of every kind and each way a
 * plugin can be broken. */
#include <talkingbits-plugin.h>

#ifndef TEST_KIND
#  define TEST_KIND TB_PLUGIN_KIND_LLM
#endif
#ifndef TEST_NAME
#  define TEST_NAME "testllm"
#endif
#ifndef TEST_ABI_MAJOR
#  define TEST_ABI_MAJOR TB_PLUGIN_ABI_MAJOR
#endif
#ifndef TEST_ABI_MINOR
#  define TEST_ABI_MINOR TB_PLUGIN_ABI_MINOR
#endif

static const TbConfigKey test_keys[] = {
  { .name = "model", .type = TB_CONFIG_TYPE_STRING, .default_value = "small",
    .help = "Model name; 'reject' makes instance_new fail" },
  { .name = "temperature", .type = TB_CONFIG_TYPE_DOUBLE, .default_value = "0.7",
    .min = 0, .max = 2, .help = "Sampling temperature" },
  { .name = "max-tokens", .type = TB_CONFIG_TYPE_INT, .default_value = "256",
    .min = 1, .max = 4096, .help = "Longest reply" },
  { .name = "stream", .type = TB_CONFIG_TYPE_BOOL, .default_value = "true",
    .help = "Stream the reply" },
  { .name = "stop", .type = TB_CONFIG_TYPE_STRING_LIST, .default_value = "",
    .help = "Stop words" },
  { .name = "format", .type = TB_CONFIG_TYPE_CHOICE, .default_value = "pcm",
    .choices = "pcm|ulaw", .help = "Audio format" },
  { .name = "url", .type = TB_CONFIG_TYPE_STRING,
#ifdef TEST_URL_REQUIRED
    .flags = TB_CONFIG_KEY_REQUIRED,
#endif
    .help = "Endpoint" },
  { .name = "api-key-env", .type = TB_CONFIG_TYPE_SECRET_ENV,
    .help = "Variable holding the API key" },
#ifdef TEST_BAD_DEFAULT
  { .name = "port", .type = TB_CONFIG_TYPE_INT, .default_value = "abc", .help = "Broken" },
#endif
  { NULL }
};

static gboolean
test_init (const TbHost *host, GError **error)
{
#ifdef TEST_INIT_FAILS
  g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED, "cannot open the model file");
  return FALSE;
#else
  return host->struct_size >= sizeof (TbHost) && host->now_us (host) > 0;
#endif
}

static gpointer
test_instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  const char *model = NULL;

  g_variant_lookup (settings, "model", "&s", &model);
  if (g_strcmp0 (model, "reject") == 0) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG, "model 'reject' does not exist");
    return NULL;
  }
  return g_variant_ref (settings);
}

static void
test_instance_free (gpointer instance)
{
  g_variant_unref (instance);
}

static TbSttSession *
stt_session_new (gpointer instance, const TbSttParams *params, const TbSttCallbacks *callbacks,
                 gpointer user_data, GCancellable *cancellable, GError **error)
{
  g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED, "test plugin");
  return NULL;
}
static void stt_push (TbSttSession *s, const gint16 *samples, gsize n) { }
static void stt_session (TbSttSession *s) { }

static void
tts_synthesize (gpointer instance, const TbTtsRequest *request, const TbTtsCallbacks *callbacks,
                gpointer user_data, GCancellable *cancellable) { }
G_GNUC_UNUSED static void
llm_chat (gpointer instance, const TbLlmRequest *request, const TbLlmCallbacks *callbacks,
          gpointer user_data, GCancellable *cancellable) { }
static const TbToolFunction no_functions[] = { { NULL } };
static const TbToolFunction *tool_functions (gpointer instance) { return no_functions; }
static void
tool_invoke (gpointer instance, const TbToolInvocation *invocation,
             const TbToolCallbacks *callbacks, gpointer user_data,
             GCancellable *cancellable) { }

static const TbSttVTable stt_vtable = {
  TB_STT_VTABLE_VERSION, stt_session_new, stt_push, stt_session, stt_session, stt_session
};
static const TbTtsVTable tts_vtable = { TB_TTS_VTABLE_VERSION, tts_synthesize };
#ifdef TEST_NO_CHAT
#  define LLM_CHAT NULL
#else
#  define LLM_CHAT llm_chat
#endif
/* Version 1: without phrases, as plugins built before it are. */
static const TbLlmVTable llm_vtable = { .version = 1, .chat = LLM_CHAT };
static const TbToolVTable tool_vtable = { TB_TOOL_VTABLE_VERSION, tool_functions, tool_invoke };

static const TbPluginDesc test_desc = {
  .abi_major = TEST_ABI_MAJOR,
  .abi_minor = TEST_ABI_MINOR,
  .struct_size = sizeof (TbPluginDesc),
  .kind = TEST_KIND,
  .name = TEST_NAME,
  .version = "9.8.7",
  .description = "Test plugin " TEST_NAME,
  .license = "LGPL-2.1-or-later",
  .config_keys = test_keys,
  .init = test_init,
  .instance_new = test_instance_new,
  .instance_free = test_instance_free,
  .vtable = TEST_KIND == TB_PLUGIN_KIND_STT ? (const void *) &stt_vtable
          : TEST_KIND == TB_PLUGIN_KIND_TTS ? (const void *) &tts_vtable
          : TEST_KIND == TB_PLUGIN_KIND_LLM ? (const void *) &llm_vtable
          : (const void *) &tool_vtable,
};

#ifdef TEST_NO_SYMBOL
G_MODULE_EXPORT const TbPluginDesc *describe_me (void);
G_MODULE_EXPORT const TbPluginDesc *describe_me (void) { return &test_desc; }
#else
TB_PLUGIN_DEFINE (test_desc)
#endif
