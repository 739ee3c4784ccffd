/* tool-reply.c — a tool's answer delivered from an idle source on the
 * thread-default context, never from inside invoke(). */
#define G_LOG_DOMAIN "tb-tool-reply"

#include "tool-reply.h"

typedef struct {
  TbToolCallbacks callbacks;
  gpointer user_data;
  GCancellable *cancellable;
  char *result_json;
  GError *error;
} Reply;

static gboolean
reply_dispatch (gpointer data)
{
  Reply *reply = data;

  if (g_cancellable_is_cancelled (reply->cancellable)) {
    g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                       "cancelled");

    reply->callbacks.error (cancelled, reply->user_data);
  } else if (reply->error) {
    reply->callbacks.error (reply->error, reply->user_data);
  } else {
    reply->callbacks.result (reply->result_json, reply->user_data);
  }
  return G_SOURCE_REMOVE;
}

static void
reply_free (gpointer data)
{
  Reply *reply = data;

  g_free (reply->result_json);
  g_clear_error (&reply->error);
  g_clear_object (&reply->cancellable);
  g_free (reply);
}

void
tb_tool_reply_later (const TbToolCallbacks *callbacks, gpointer user_data,
                     GCancellable *cancellable, char *result_json, GError *error)
{
  Reply *reply;
  g_autoptr(GSource) source = NULL;

  g_return_if_fail ((result_json == NULL) != (error == NULL));
  reply = g_new0 (Reply, 1);
  source = g_idle_source_new ();
  reply->callbacks = *callbacks;
  reply->user_data = user_data;
  reply->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  reply->result_json = result_json;
  reply->error = error;
  g_source_set_callback (source, reply_dispatch, reply, reply_free);
  g_source_attach (source, g_main_context_get_thread_default ());
}
