/* openai-stream.c — chat.completion.chunk events to text and tool calls. */
#define G_LOG_DOMAIN "tb-llm-openai"

#include "openai-stream.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define EXCERPT_CHARS 80

typedef struct {
  gint64 index;
  char *id;
  char *name;
  GString *arguments;
} Call;

struct _TbOpenaiStream {
  char *provider;
  GPtrArray *calls;     /* Call *, in the order they started */
  GArray *out;          /* TbLlmToolCall, pointing into calls */
  char *finish_reason;
  gboolean done;        /* "[DONE]" came */
};

static void
call_free (gpointer data)
{
  Call *call = data;

  g_free (call->id);
  g_free (call->name);
  g_string_free (call->arguments, TRUE);
  g_free (call);
}

TbOpenaiStream *
tb_openai_stream_new (const char *provider)
{
  TbOpenaiStream *stream = g_new0 (TbOpenaiStream, 1);

  stream->provider = g_strdup (provider);
  stream->calls = g_ptr_array_new_with_free_func (call_free);
  stream->out = g_array_new (FALSE, TRUE, sizeof (TbLlmToolCall));
  return stream;
}

void
tb_openai_stream_free (TbOpenaiStream *stream)
{
  if (!stream)
    return;
  g_ptr_array_unref (stream->calls);
  g_array_unref (stream->out);
  g_free (stream->finish_reason);
  g_free (stream->provider);
  g_free (stream);
}

void
tb_openai_stream_reset (TbOpenaiStream *stream)
{
  g_ptr_array_set_size (stream->calls, 0);
  g_array_set_size (stream->out, 0);
  g_clear_pointer (&stream->finish_reason, g_free);
  stream->done = FALSE;
}

gboolean
tb_openai_stream_finished (TbOpenaiStream *stream)
{
  return stream->done || stream->finish_reason;
}

const char *
tb_openai_stream_finish_reason (TbOpenaiStream *stream)
{
  return stream->finish_reason;
}

/* ---- reading JSON that may be anything ------------------------------------ */

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
         ? json_node_get_string (node) : NULL;
}

static JsonObject *
member_object (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
member_array (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static gboolean
member_int (JsonObject *object, const char *name, gint64 *value)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

/* The start of @text, printable, for a message. */
static char *
excerpt (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p && out->len < EXCERPT_CHARS; p++)
    g_string_append_c (out, g_ascii_isprint (*p) ? *p : ' ');
  if (strlen (text) > EXCERPT_CHARS)
    g_string_append (out, "...");
  return g_string_free (out, FALSE);
}

/* ---- one event -------------------------------------------------------------- */

static Call *
call_for_fragment (TbOpenaiStream *stream, JsonObject *fragment)
{
  gint64 index;
  const char *id = member_string (fragment, "id");
  Call *call;

  if (member_int (fragment, "index", &index)) {
    for (guint i = 0; i < stream->calls->len; i++) {
      call = g_ptr_array_index (stream->calls, i);
      if (call->index == index)
        return call;
    }
  } else {
    /* No index: a new id starts a call, anything else continues the last. */
    call = stream->calls->len ? g_ptr_array_index (stream->calls, stream->calls->len - 1) : NULL;
    if (call && (!id || !*id || g_strcmp0 (id, call->id) == 0))
      return call;
    index = stream->calls->len;
  }
  call = g_new0 (Call, 1);
  call->index = index;
  call->arguments = g_string_new (NULL);
  g_ptr_array_add (stream->calls, call);
  return call;
}

static void
read_tool_call (TbOpenaiStream *stream, JsonObject *fragment)
{
  Call *call = call_for_fragment (stream, fragment);
  JsonObject *function = member_object (fragment, "function");
  const char *id = member_string (fragment, "id");
  const char *name = member_string (function, "name");
  JsonNode *arguments = function ? json_object_get_member (function, "arguments") : NULL;

  /* The id and name come whole, in the call's first fragment. */
  if (id && *id && !call->id)
    call->id = g_strdup (id);
  if (name && *name && !call->name)
    call->name = g_strdup (name);
  if (!arguments)
    return;
  if (JSON_NODE_HOLDS_VALUE (arguments) && json_node_get_value_type (arguments) == G_TYPE_STRING) {
    g_string_append (call->arguments, json_node_get_string (arguments));
  } else if (JSON_NODE_HOLDS_OBJECT (arguments)) {
    /* Some compatible servers send the arguments as an object. */
    g_autofree char *text = json_to_string (arguments, FALSE);

    g_string_assign (call->arguments, text);
  }
}

/* The choice the answer is in: index 0 (we never ask for more than one). */
static JsonObject *
first_choice (JsonArray *choices)
{
  for (guint i = 0; choices && i < json_array_get_length (choices); i++) {
    JsonNode *node = json_array_get_element (choices, i);
    JsonObject *choice = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    gint64 index = 0;

    if (choice && (!member_int (choice, "index", &index) || index == 0))
      return choice;
  }
  return NULL;
}

static gboolean
provider_error (TbOpenaiStream *stream, JsonObject *error_object, GError **error)
{
  const char *message = member_string (error_object, "message");
  const char *code = member_string (error_object, "code");
  const char *type = member_string (error_object, "type");
  gboolean rate = g_strcmp0 (code, "rate_limit_exceeded") == 0 ||
                  g_strcmp0 (type, "requests") == 0 || g_strcmp0 (type, "tokens") == 0;

  g_set_error (error, TB_PLUGIN_ERROR, rate ? TB_PLUGIN_ERROR_RATE_LIMITED : TB_PLUGIN_ERROR_FAILED,
               "provider %s reported an error in its answer: %s", stream->provider,
               message && *message ? message : type ? type : "no message");
  return FALSE;
}

gboolean
tb_openai_stream_event (TbOpenaiStream *stream, const char *data, GString *text, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) parse_error = NULL;
  JsonObject *root, *choice, *delta, *error_object;
  JsonArray *tool_calls;
  const char *content, *refusal, *finish_reason;

  if (tb_openai_stream_finished (stream))
    return TRUE;
  if (g_strcmp0 (data, "[DONE]") == 0) {
    stream->done = TRUE;
    return TRUE;
  }
  if (!json_parser_load_from_data (parser, data, -1, &parse_error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_autofree char *start = excerpt (data);

    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                 "provider %s sent an event that is not a JSON object: '%s'", stream->provider,
                 start);
    return FALSE;
  }
  root = json_node_get_object (json_parser_get_root (parser));
  error_object = member_object (root, "error");
  if (error_object)
    return provider_error (stream, error_object, error);

  /* A chunk without a choice (usage, when asked for) says nothing here. */
  choice = first_choice (member_array (root, "choices"));
  delta = member_object (choice, "delta");
  content = member_string (delta, "content");
  if (content)
    g_string_append (text, content);
  /* A refusal is what the model says instead of an answer. */
  refusal = member_string (delta, "refusal");
  if (refusal)
    g_string_append (text, refusal);
  tool_calls = member_array (delta, "tool_calls");
  for (guint i = 0; tool_calls && i < json_array_get_length (tool_calls); i++) {
    JsonNode *node = json_array_get_element (tool_calls, i);

    if (JSON_NODE_HOLDS_OBJECT (node))
      read_tool_call (stream, json_node_get_object (node));
  }
  finish_reason = member_string (choice, "finish_reason");
  if (finish_reason && *finish_reason)
    stream->finish_reason = g_strdup (finish_reason);
  return TRUE;
}

/* ---- the calls, once whole ---------------------------------------------------- */

static int
compare_calls (gconstpointer a, gconstpointer b)
{
  const Call *x = *(const Call *const *) a, *y = *(const Call *const *) b;

  return x->index < y->index ? -1 : x->index > y->index;
}

static gboolean
check_call (TbOpenaiStream *stream, Call *call, guint n, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!call->name) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                 "provider %s sent tool call %u without a function name", stream->provider, n);
    return FALSE;
  }
  g_strstrip (call->arguments->str);
  call->arguments->len = strlen (call->arguments->str);
  /* Functions without parameters: some servers send nothing at all. */
  if (call->arguments->len == 0)
    g_string_assign (call->arguments, "{}");
  if (!json_parser_load_from_data (parser, call->arguments->str, call->arguments->len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_autofree char *start = excerpt (call->arguments->str);

    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_PROTOCOL,
                 "provider %s sent a call of %s whose arguments are not a JSON object: '%s'",
                 stream->provider, call->name, start);
    return FALSE;
  }
  if (!call->id)
    call->id = g_strdup_printf ("call_%u", n);
  return TRUE;
}

gboolean
tb_openai_stream_tool_calls (TbOpenaiStream *stream, const TbLlmToolCall **calls,
                             guint *n_calls, GError **error)
{
  g_array_set_size (stream->out, 0);
  g_ptr_array_sort (stream->calls, compare_calls);
  for (guint i = 0; i < stream->calls->len; i++) {
    Call *call = g_ptr_array_index (stream->calls, i);
    TbLlmToolCall out;

    if (!check_call (stream, call, i, error)) {
      *calls = NULL;
      *n_calls = 0;
      return FALSE;
    }
    out = (TbLlmToolCall) { call->id, call->name, call->arguments->str };
    g_array_append_val (stream->out, out);
  }
  *calls = (const TbLlmToolCall *) stream->out->data;
  *n_calls = stream->out->len;
  return TRUE;
}
