/* fake-webhook.c — route "webhook": a business's webhook as the
 * tool-webhook plugin calls it (POST /webhook/NAME with the envelope
 * {"id","timestamp","call_id","agent","caller","callee","tool",
 * "arguments"}), answering {"ok":true,"message":...} after the route's
 * first_byte_ms, or the status knob's error. Benchmarks use it for a tool
 * of a known latency. */
#include "fake.h"

typedef struct {
  SoupServerMessage *msg;
  guint status;
} Pending;

static gboolean
answer (gpointer data)
{
  Pending *pending = data;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();

  if (pending->status) {
    json_object_set_string_member (object, "error", "the fake webhook was told to fail");
  } else {
    json_object_set_boolean_member (object, "ok", TRUE);
    json_object_set_string_member (object, "message", "Done.");
  }
  json_node_take_object (node, object);
  tb_fake_reply_json (pending->msg, pending->status ? pending->status : SOUP_STATUS_OK, node);
  soup_server_message_unpause (pending->msg);
  g_object_unref (pending->msg);
  g_free (pending);
  return G_SOURCE_REMOVE;
}

static void
on_webhook (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
            gpointer data)
{
  TbFakeRoute *route = tb_fake_route ("webhook");
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *envelope = tb_fake_request_object (msg, parser);
  JsonObject *summary = json_object_new ();
  Pending *pending;

  if (!g_str_equal (soup_server_message_get_method (msg), "POST")) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    json_object_unref (summary);
    return;
  }
  if (!envelope || !json_object_has_member (envelope, "tool") ||
      !json_object_has_member (envelope, "arguments"))
    tb_fake_violation (route, "the body is not a tool-webhook envelope with tool and arguments");
  else
    json_object_set_string_member (summary, "tool",
                                   json_object_get_string_member (envelope, "tool"));
  tb_fake_log_request (route, msg, summary);

  pending = g_new0 (Pending, 1);
  pending->msg = g_object_ref (msg);
  pending->status = tb_fake_route_take_fault (route) ? route->knobs.status : 0;
  soup_server_message_pause (msg);
  tb_fake_after (route->knobs.first_byte_ms, answer, pending);
}

void
tb_fake_webhook_register (SoupServer *server)
{
  soup_server_add_handler (server, "/webhook", on_webhook, NULL, NULL);
}
