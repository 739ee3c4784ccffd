/* scripted-stt.c — test STT "scripted": the Nth end of turn gives the Nth
 * of its `transcripts` (audio is counted, not recognised; the engine's own
 * voice activity detection decides the turns). `fail=true` fails the
 * session at its first end of turn; `say-samples=true` ends each transcript
 * with how many samples the turn had ("hello 17600"). */
#include "scripted.h"

typedef struct {
  char **transcripts;
  gboolean fail;
  gboolean say_samples;
} Scripted;

struct _TbSttSession {
  Scripted *scripted;
  TbSttCallbacks callbacks;
  gpointer user_data;
  guint next;
  guint pending;
  gsize samples;
  gboolean finishing;
};

static const TbConfigKey keys[] = {
  { .name = "transcripts", .type = TB_CONFIG_TYPE_STRING_LIST, .default_value = "hello",
    .help = "What the caller 'says' at each end of turn, in order; then empty" },
  { .name = "fail", .type = TB_CONFIG_TYPE_BOOL, .default_value = "false",
    .help = "The session fails at its first end of turn" },
  { .name = "say-samples", .type = TB_CONFIG_TYPE_BOOL, .default_value = "false",
    .help = "Each transcript ends with the number of samples of its turn" },
  { NULL }
};

static gpointer
instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  Scripted *scripted = g_new0 (Scripted, 1);

  g_variant_lookup (settings, "transcripts", "^as", &scripted->transcripts);
  g_variant_lookup (settings, "fail", "b", &scripted->fail);
  g_variant_lookup (settings, "say-samples", "b", &scripted->say_samples);
  return scripted;
}

static void
instance_free (gpointer instance)
{
  Scripted *scripted = instance;

  g_strfreev (scripted->transcripts);
  g_free (scripted);
}

static TbSttSession *
session_new (gpointer instance, const TbSttParams *params, const TbSttCallbacks *callbacks,
             gpointer user_data, GCancellable *cancellable, GError **error)
{
  TbSttSession *session = g_new0 (TbSttSession, 1);

  session->scripted = instance;
  session->callbacks = *callbacks;
  session->user_data = user_data;
  return session;
}

static void
push_audio (TbSttSession *session, const gint16 *samples, gsize n)
{
  session->samples += n;
}

static gboolean
deliver (gpointer data)
{
  TbSttSession *session = data;
  char **transcripts = session->scripted->transcripts;
  const char *script = transcripts && session->next < g_strv_length (transcripts)
                       ? transcripts[session->next] : "";
  g_autofree char *text = session->scripted->say_samples && *script
                          ? g_strdup_printf ("%s %" G_GSIZE_FORMAT, script, session->samples)
                          : g_strdup (script);

  session->pending = 0;
  session->next++;
  session->samples = 0;
  if (session->scripted->fail) {
    g_autoptr(GError) error = g_error_new (TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                                           "the recogniser went away");

    session->callbacks.error (error, session->user_data);
    return G_SOURCE_REMOVE;
  }
  if (*text)
    session->callbacks.partial (text, session->user_data);
  session->callbacks.final (text, *text ? 0.9 : 0.0, session->user_data);
  if (session->finishing)
    session->callbacks.done (session->user_data);
  return G_SOURCE_REMOVE;
}

static void
end_of_turn (TbSttSession *session)
{
  if (!session->pending)
    session->pending = scripted_later (30, deliver, session);
}

static void
finish (TbSttSession *session)
{
  session->finishing = TRUE;
  end_of_turn (session);
}

static void
session_free (TbSttSession *session)
{
  scripted_cancel_source (&session->pending);
  g_free (session);
}

static const TbSttVTable vtable = {
  TB_STT_VTABLE_VERSION, session_new, push_audio, end_of_turn, finish, session_free,
};

static const TbPluginDesc desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_STT,
  .name = "scripted",
  .version = "1.0",
  .description = "Test STT: scripted transcripts",
  .license = "MIT",
  .config_keys = keys,
  .instance_new = instance_new,
  .instance_free = instance_free,
  .vtable = &vtable,
};

TB_PLUGIN_DEFINE (desc)
