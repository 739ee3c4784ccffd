/* dg-message.c — Deepgram's live messages, read leniently: a field that is
 * missing or of another type reads as its zero value, because the service
 * adds fields over time; only a message that is not JSON, or has no type,
 * is refused. */
#define G_LOG_DOMAIN "tb-stt-deepgram"

#include "dg-message.h"

#include <talkingbits-plugin.h>
#include <json-glib/json-glib.h>
#include <string.h>

static JsonNode *
member (JsonObject *object, const char *name)
{
  return object ? json_object_get_member (object, name) : NULL;
}

static JsonObject *
object_member (JsonObject *object, const char *name)
{
  JsonNode *node = member (object, name);

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static const char *
string_member (JsonObject *object, const char *name)
{
  JsonNode *node = member (object, name);

  if (node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return NULL;
}

static double
number_member (JsonObject *object, const char *name)
{
  JsonNode *node = member (object, name);
  GType type;

  if (!node || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_DOUBLE || type == G_TYPE_INT64)
    return json_node_get_double (node);
  return 0;
}

static gboolean
bool_member (JsonObject *object, const char *name)
{
  JsonNode *node = member (object, name);

  return node && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

/* channel.alternatives[0]: the best transcript. */
static void
read_alternative (JsonObject *root, DgMessage *message)
{
  JsonObject *channel = object_member (root, "channel");
  JsonNode *alternatives = member (channel, "alternatives");
  JsonObject *best = NULL;

  if (alternatives && JSON_NODE_HOLDS_ARRAY (alternatives) &&
      json_array_get_length (json_node_get_array (alternatives)) > 0) {
    JsonNode *first = json_array_get_element (json_node_get_array (alternatives), 0);

    if (JSON_NODE_HOLDS_OBJECT (first))
      best = json_node_get_object (first);
  }
  message->transcript = g_strdup (string_member (best, "transcript"));
  if (!message->transcript)
    message->transcript = g_strdup ("");
  g_strstrip (message->transcript);
  message->confidence = CLAMP (number_member (best, "confidence"), 0.0, 1.0);
}

gboolean
dg_message_parse (const char *data, gsize len, DgMessage *message, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  JsonObject *root;
  const char *type;

  memset (message, 0, sizeof *message);
  if (!json_parser_load_from_data (parser, data, len, &local) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                 "provider Deepgram sent a message that is not a JSON object%s%s",
                 local ? ": " : "", local ? local->message : "");
    return FALSE;
  }
  root = json_node_get_object (json_parser_get_root (parser));
  type = string_member (root, "type");
  if (!type) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                 "provider Deepgram sent a message without a type");
    return FALSE;
  }
  message->type_name = g_strdup (type);

  if (g_str_equal (type, "Results")) {
    message->type = DG_MESSAGE_RESULTS;
    message->start = number_member (root, "start");
    message->duration = number_member (root, "duration");
    message->is_final = bool_member (root, "is_final");
    message->speech_final = bool_member (root, "speech_final");
    message->from_finalize = bool_member (root, "from_finalize");
    read_alternative (root, message);
    message->request_id = g_strdup (string_member (object_member (root, "metadata"),
                                                   "request_id"));
  } else if (g_str_equal (type, "UtteranceEnd")) {
    message->type = DG_MESSAGE_UTTERANCE_END;
    message->time = number_member (root, "last_word_end");
  } else if (g_str_equal (type, "SpeechStarted")) {
    message->type = DG_MESSAGE_SPEECH_STARTED;
    message->time = number_member (root, "timestamp");
  } else if (g_str_equal (type, "Metadata")) {
    message->type = DG_MESSAGE_METADATA;
    message->duration = number_member (root, "duration");
    message->request_id = g_strdup (string_member (root, "request_id"));
  } else if (g_str_equal (type, "Error")) {
    const char *description = string_member (root, "description");

    message->type = DG_MESSAGE_ERROR;
    message->description = g_strdup (description ? description
                                                 : string_member (root, "message"));
  } else {
    message->type = DG_MESSAGE_OTHER;
  }
  return TRUE;
}

void
dg_message_clear (DgMessage *message)
{
  g_clear_pointer (&message->type_name, g_free);
  g_clear_pointer (&message->transcript, g_free);
  g_clear_pointer (&message->request_id, g_free);
  g_clear_pointer (&message->description, g_free);
}
