/* fake-llm.c — OpenAI's Chat Completions API, streamed (route "llm"):
 *
 *   POST /v1/chat/completions                       Authorization: Bearer KEY
 *   POST /openai/deployments/NAME/chat/completions?api-version=V   api-key: KEY
 *                                                   (the Azure OpenAI flavour)
 *
 * A request is checked the way OpenAI checks it (key, model, messages and
 * their roles, tool calls answered, tools, parameters it knows); what it
 * would refuse gets its 400 or 401 with OpenAI's error body and is recorded
 * as a violation. The answer is a text/event-stream of chat.completion.chunk
 * events as OpenAI sends them: a first chunk with the role, the text in
 * small deltas, each tool call's arguments in several fragments, a chunk
 * with the finish_reason, then "data: [DONE]".
 *
 * Script items (one per request, in order):
 *   {"text": "..."}
 *   {"tool_calls": [{"name": "book_appointment", "arguments": {...}}]}
 *   both: the text comes first. "arguments" given as a string is sent as it
 *   is (to send arguments that are not JSON).
 * Without an item left, the answer is "You said: <last user message>".
 *
 * Knobs: status (OpenAI's error body for it; 429 with Retry-After),
 * first_byte_ms (before the status line), chunk_ms (between events),
 * drop_after (events sent before the connection is cut, without [DONE]),
 * malformed_at (that event's data is not JSON), stall (no status line ever).
 *
 * The log's summary: model, messages (count), last_role, last_content,
 * roles, tools (names offered), assistant_calls and tool_results (a tool
 * round trip), temperature, max_tokens, stream, accept, azure, and
 * client_port (the client's TCP port: the same port for two requests means
 * the same connection). */
#define G_LOG_DOMAIN "tb-fake-cloud"

#include "fake.h"

#include <string.h>

#define ROUTE "llm"
#define REQUEST_ID "req_fake"
#define TEXT_PIECE_BYTES 6       /* about a token */
#define ARGUMENT_PIECE_BYTES 7

/* ---- OpenAI's error replies ---------------------------------------------- */

/* "sk-abc***********wxyz": how OpenAI shows a key it refuses. */
static char *
masked_key (const char *key)
{
  gsize len = strlen (key);

  if (len <= 8)
    return g_strdup ("********");
  return g_strdup_printf ("%.3s***********%s", key, key + len - 4);
}

/* The key check; FALSE after answering 401 as OpenAI (or Azure) does. */
static gboolean
check_key (TbFakeRoute *route, SoupServerMessage *msg, gboolean azure)
{
  const char *header = azure ? "api-key" : "Authorization";
  const char *prefix = azure ? "" : "Bearer ";
  const char *value = soup_message_headers_get_one (
    soup_server_message_get_request_headers (msg), header);
  g_autofree char *masked = NULL;
  g_autofree char *message = NULL;

  if (tb_fake_check_key (route, msg, header, prefix))
    return TRUE;
  if (azure) {
    /* Azure's own shape: a string code, no type. */
    const char *body = "{\"error\":{\"code\":\"401\",\"message\":\"Access denied due to "
                       "invalid subscription key or wrong API endpoint. Make sure to provide "
                       "a valid key for an active subscription and use a correct regional API "
                       "endpoint for your resource.\"}}";

    soup_server_message_set_status (msg, 401, NULL);
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, body,
                                      strlen (body));
    return FALSE;
  }
  if (!value || !g_str_has_prefix (value, "Bearer ") || !value[strlen ("Bearer ")]) {
    tb_fake_openai_reply_error (msg, 401, REQUEST_ID, "You didn't provide an API key. You "
                                "need to provide your API key in an Authorization header "
                                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or "
                                "as the password field (with blank username) if you're "
                                "accessing the API from your browser and are prompted for a "
                                "username. You can obtain an API key from "
                                "https://platform.openai.com/account/api-keys.",
                                "invalid_request_error", NULL, NULL);
    return FALSE;
  }
  masked = masked_key (value + strlen ("Bearer "));
  message = g_strdup_printf ("Incorrect API key provided: %s. You can find your API key at "
                             "https://platform.openai.com/account/api-keys.", masked);
  tb_fake_openai_reply_error (msg, 401, REQUEST_ID, message, "invalid_request_error", NULL,
                              "invalid_api_key");
  return FALSE;
}

/* ---- what the request says -------------------------------------------------- */

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
         ? json_node_get_string (node) : NULL;
}

static JsonArray *
member_array (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
member_object (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonObject *
element_object (JsonArray *array, guint i)
{
  JsonNode *node = json_array_get_element (array, i);

  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
is_number (JsonNode *node)
{
  GType type;

  if (!node || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  return type == G_TYPE_INT64 || type == G_TYPE_DOUBLE;
}

/* The text of a message's content: a string, or the text parts of an
 * array; NULL when it has none. */
static char *
content_text (JsonObject *message)
{
  JsonArray *parts = member_array (message, "content");
  GString *text;

  if (member_string (message, "content"))
    return g_strdup (member_string (message, "content"));
  if (!parts)
    return NULL;
  text = g_string_new (NULL);
  for (guint i = 0; i < json_array_get_length (parts); i++) {
    const char *part = member_string (element_object (parts, i), "text");

    if (part)
      g_string_append (text, part);
  }
  return g_string_free (text, FALSE);
}

static void
set_text (JsonObject *object, const char *name, const char *value)
{
  if (value)
    json_object_set_string_member (object, name, value);
  else
    json_object_set_null_member (object, name);
}

static JsonObject *
summary_new (SoupServerMessage *msg, JsonObject *body, gboolean azure)
{
  JsonObject *summary = json_object_new ();
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  JsonArray *messages = member_array (body, "messages");
  JsonArray *tools = member_array (body, "tools");
  JsonArray *roles = json_array_new (), *names = json_array_new ();
  JsonArray *calls = json_array_new (), *results = json_array_new ();
  guint n = messages ? json_array_get_length (messages) : 0;
  const char *accept = soup_message_headers_get_one (
    soup_server_message_get_request_headers (msg), "Accept");

  if (G_IS_INET_SOCKET_ADDRESS (remote))
    json_object_set_int_member (summary, "client_port",
                                g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)));
  json_object_set_boolean_member (summary, "azure", azure);
  if (accept)
    json_object_set_string_member (summary, "accept", accept);
  if (member_string (body, "model"))
    json_object_set_string_member (summary, "model", member_string (body, "model"));
  json_object_set_int_member (summary, "messages", n);
  for (guint i = 0; i < n; i++) {
    JsonObject *message = element_object (messages, i);
    const char *role = member_string (message, "role");
    JsonArray *tool_calls = member_array (message, "tool_calls");

    json_array_add_string_element (roles, role ? role : "?");
    if (i == n - 1) {
      g_autofree char *text = content_text (message);

      json_object_set_string_member (summary, "last_role", role ? role : "?");
      set_text (summary, "last_content", text);
    }
    for (guint j = 0; tool_calls && j < json_array_get_length (tool_calls); j++) {
      JsonObject *call = element_object (tool_calls, j);
      JsonObject *function = member_object (call, "function");
      JsonObject *out = json_object_new ();

      set_text (out, "id", member_string (call, "id"));
      set_text (out, "name", member_string (function, "name"));
      set_text (out, "arguments", member_string (function, "arguments"));
      json_array_add_object_element (calls, out);
    }
    if (g_strcmp0 (role, "tool") == 0) {
      JsonObject *out = json_object_new ();
      g_autofree char *text = content_text (message);

      set_text (out, "tool_call_id", member_string (message, "tool_call_id"));
      set_text (out, "content", text);
      json_array_add_object_element (results, out);
    }
  }
  json_object_set_array_member (summary, "roles", roles);
  for (guint i = 0; tools && i < json_array_get_length (tools); i++) {
    const char *name = member_string (member_object (element_object (tools, i), "function"),
                                      "name");

    json_array_add_string_element (names, name ? name : "?");
  }
  json_object_set_array_member (summary, "tools", names);
  json_object_set_array_member (summary, "assistant_calls", calls);
  json_object_set_array_member (summary, "tool_results", results);
  if (body && json_object_has_member (body, "temperature"))
    json_object_set_member (summary, "temperature",
                            json_node_copy (json_object_get_member (body, "temperature")));
  if (body && json_object_has_member (body, "max_tokens"))
    json_object_set_member (summary, "max_tokens",
                            json_node_copy (json_object_get_member (body, "max_tokens")));
  if (body && json_object_has_member (body, "stream"))
    json_object_set_member (summary, "stream",
                            json_node_copy (json_object_get_member (body, "stream")));
  return summary;
}

/* ---- what OpenAI refuses ----------------------------------------------------- */

typedef struct {
  char *message;
  const char *param;
} Refusal;

static gboolean refuse (Refusal *refusal, const char *param, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

static gboolean
refuse (Refusal *refusal, const char *param, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  refusal->message = g_strdup_vprintf (format, args);
  va_end (args);
  refusal->param = param;
  return FALSE;
}

static gboolean
is_function_name (const char *name)
{
  gsize len = name ? strlen (name) : 0;

  return len >= 1 && len <= 64 &&
         strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == len;
}

static gboolean
check_tool_calls (JsonArray *tool_calls, guint i, GHashTable *open_calls, Refusal *refusal)
{
  for (guint j = 0; j < json_array_get_length (tool_calls); j++) {
    JsonObject *call = element_object (tool_calls, j);
    JsonObject *function = member_object (call, "function");
    const char *id = member_string (call, "id");

    if (!id || !*id || g_strcmp0 (member_string (call, "type"), "function") != 0 ||
        !is_function_name (member_string (function, "name")) ||
        !member_string (function, "arguments"))
      return refuse (refusal, "messages",
                     "Invalid value for 'messages[%u].tool_calls[%u]': each tool call needs "
                     "an 'id', 'type': 'function' and a 'function' with a 'name' and "
                     "'arguments' as a string.", i, j);
    g_hash_table_add (open_calls, g_strdup (id));
  }
  return TRUE;
}

/* Every message a valid one of its role; tool messages answer the calls
 * of the assistant message before them, and every call is answered. */
static gboolean
check_messages (JsonArray *messages, Refusal *refusal)
{
  static const char *const roles[] = { "system", "developer", "user", "assistant", "tool", NULL };
  g_autoptr(GHashTable) open_calls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                            NULL);
  gboolean in_results = FALSE;

  if (!messages || json_array_get_length (messages) == 0)
    return refuse (refusal, "messages", "[] is too short - 'messages'");
  for (guint i = 0; i < json_array_get_length (messages); i++) {
    JsonObject *message = element_object (messages, i);
    const char *role = member_string (message, "role");
    JsonNode *content = message ? json_object_get_member (message, "content") : NULL;
    JsonArray *tool_calls = member_array (message, "tool_calls");

    if (!role || !g_strv_contains (roles, role))
      return refuse (refusal, "messages", "Invalid value: '%s'. Supported values are: "
                     "'system', 'assistant', 'user', 'tool', and 'developer'.",
                     role ? role : "(none)");
    if (in_results && !g_str_equal (role, "tool") && g_hash_table_size (open_calls) > 0)
      return refuse (refusal, "messages",
                     "An assistant message with 'tool_calls' must be followed by tool "
                     "messages responding to each 'tool_call_id'. (messages[%u])", i);
    if (g_str_equal (role, "tool")) {
      const char *id = member_string (message, "tool_call_id");

      if (!in_results)
        return refuse (refusal, "messages", "Invalid parameter: messages with role 'tool' "
                       "must be a response to a preceeding message with 'tool_calls'.");
      if (!id || !g_hash_table_remove (open_calls, id))
        return refuse (refusal, "messages", "Invalid parameter: 'tool_call_id' of '%s' not "
                       "found in 'tool_calls' of previous message.", id ? id : "(none)");
      if (!member_string (message, "content") && !member_array (message, "content"))
        return refuse (refusal, "messages", "Invalid type for 'messages[%u].content': "
                       "expected a string or an array.", i);
      continue;
    }
    in_results = FALSE;
    if (g_str_equal (role, "assistant") && tool_calls && json_array_get_length (tool_calls)) {
      if (!check_tool_calls (tool_calls, i, open_calls, refusal))
        return FALSE;
      in_results = TRUE;
      if (content && !JSON_NODE_HOLDS_NULL (content) && !member_string (message, "content"))
        return refuse (refusal, "messages", "Invalid type for 'messages[%u].content': "
                       "expected a string or null.", i);
      continue;
    }
    if (!member_string (message, "content") && !member_array (message, "content"))
      return refuse (refusal, "messages", "Invalid type for 'messages[%u].content': expected "
                     "one of a string or array of objects, but got %s instead.", i,
                     content ? json_node_type_name (content) : "nothing");
  }
  if (g_hash_table_size (open_calls) > 0)
    return refuse (refusal, "messages",
                   "An assistant message with 'tool_calls' must be followed by tool messages "
                   "responding to each 'tool_call_id'.");
  return TRUE;
}

static gboolean
check_tools (JsonArray *tools, Refusal *refusal)
{
  for (guint i = 0; i < json_array_get_length (tools); i++) {
    JsonObject *tool = element_object (tools, i);
    JsonObject *function = member_object (tool, "function");
    JsonNode *parameters = function ? json_object_get_member (function, "parameters") : NULL;
    JsonNode *description = function ? json_object_get_member (function, "description") : NULL;

    if (g_strcmp0 (member_string (tool, "type"), "function") != 0 || !function)
      return refuse (refusal, "tools", "Missing required parameter: 'tools[%u].function'.", i);
    if (!is_function_name (member_string (function, "name")))
      return refuse (refusal, "tools", "Invalid 'tools[%u].function.name': string does not "
                     "match pattern. Expected a string that matches the pattern "
                     "'^[a-zA-Z0-9_-]+$'.", i);
    if (description && !member_string (function, "description"))
      return refuse (refusal, "tools", "Invalid type for 'tools[%u].function.description': "
                     "expected a string.", i);
    if (parameters && !JSON_NODE_HOLDS_OBJECT (parameters))
      return refuse (refusal, "tools", "Invalid type for 'tools[%u].function.parameters': "
                     "expected an object.", i);
  }
  return TRUE;
}

static gboolean
check_body (JsonObject *body, Refusal *refusal)
{
  static const char *const known[] = {
    "model", "messages", "stream", "stream_options", "temperature", "top_p", "n", "stop",
    "max_tokens", "max_completion_tokens", "presence_penalty", "frequency_penalty",
    "logit_bias", "logprobs", "top_logprobs", "user", "seed", "tools", "tool_choice",
    "parallel_tool_calls", "response_format", "store", "metadata", "service_tier",
    "reasoning_effort", "modalities", "audio", "prediction", NULL
  };
  g_autoptr(GList) members = json_object_get_members (body);
  JsonNode *stream = json_object_get_member (body, "stream");
  JsonNode *temperature = json_object_get_member (body, "temperature");
  JsonNode *max_tokens = json_object_get_member (body, "max_tokens");
  const char *model = member_string (body, "model");

  for (GList *l = members; l; l = l->next)
    if (!g_strv_contains (known, l->data))
      return refuse (refusal, l->data, "Unrecognized request argument supplied: %s",
                     (const char *) l->data);
  if (!model || !*model)
    return refuse (refusal, "model", "you must provide a model parameter");
  if (!check_messages (member_array (body, "messages"), refusal))
    return FALSE;
  /* OpenAI would answer a request without it in one piece; this fake, and
   * the plugin it tests, only speak the streamed answer. */
  if (!stream || !JSON_NODE_HOLDS_VALUE (stream) ||
      json_node_get_value_type (stream) != G_TYPE_BOOLEAN || !json_node_get_boolean (stream))
    return refuse (refusal, "stream", "'stream' must be true: this server streams its answers");
  if (temperature && (!is_number (temperature) || json_node_get_double (temperature) < 0 ||
                      json_node_get_double (temperature) > 2))
    return refuse (refusal, "temperature", "Invalid 'temperature': expected a decimal between "
                   "0 and 2.");
  if (max_tokens && (!JSON_NODE_HOLDS_VALUE (max_tokens) ||
                     json_node_get_value_type (max_tokens) != G_TYPE_INT64 ||
                     json_node_get_int (max_tokens) < 1))
    return refuse (refusal, "max_tokens", "Invalid 'max_tokens': integer below minimum value. "
                   "Expected a value >= 1.");
  if (json_object_has_member (body, "tools")) {
    JsonArray *tools = member_array (body, "tools");

    if (!tools)
      return refuse (refusal, "tools", "Invalid type for 'tools': expected an array of "
                     "objects.");
    if (!check_tools (tools, refusal))
      return FALSE;
  }
  return TRUE;
}

/* ---- the answer ---------------------------------------------------------------- */

static char *
random_id (const char *prefix, guint n)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  GString *id = g_string_new (prefix);

  for (guint i = 0; i < n; i++)
    g_string_append_c (id, alphabet[g_random_int_range (0, sizeof alphabet - 1)]);
  return g_string_free (id, FALSE);
}

typedef struct {
  GPtrArray *events;      /* data of each event, "[DONE]" last */
  char *id, *model;
  gint64 created;
} Answer;

/* One chat.completion.chunk: @delta (taken) and @finish_reason. */
static void
add_chunk (Answer *answer, JsonObject *delta, const char *finish_reason)
{
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  JsonObject *chunk = json_object_new ();
  JsonObject *choice = json_object_new ();
  JsonArray *choices = json_array_new ();

  json_object_set_string_member (chunk, "id", answer->id);
  json_object_set_string_member (chunk, "object", "chat.completion.chunk");
  json_object_set_int_member (chunk, "created", answer->created);
  json_object_set_string_member (chunk, "model", answer->model);
  json_object_set_string_member (chunk, "system_fingerprint", "fp_fake0001");
  json_object_set_int_member (choice, "index", 0);
  json_object_set_object_member (choice, "delta", delta);
  json_object_set_null_member (choice, "logprobs");
  if (finish_reason)
    json_object_set_string_member (choice, "finish_reason", finish_reason);
  else
    json_object_set_null_member (choice, "finish_reason");
  json_array_add_object_element (choices, choice);
  json_object_set_array_member (chunk, "choices", choices);
  json_node_take_object (root, chunk);
  g_ptr_array_add (answer->events, json_to_string (root, FALSE));
}

/* Azure OpenAI opens its stream with the prompt's content filter results,
 * in a chunk without choices. */
static void
add_azure_filter_chunk (Answer *answer)
{
  g_ptr_array_add (answer->events, g_strdup (
    "{\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\","
    "\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":"
    "{\"hate\":{\"filtered\":false,\"severity\":\"safe\"}}}]}"));
}

/* @text in pieces of at most @max bytes, cut between characters, a space
 * starting a new piece (as tokens do). */
static GPtrArray *
split_text (const char *text, gsize max, gboolean at_spaces)
{
  GPtrArray *pieces = g_ptr_array_new_with_free_func (g_free);
  const char *start = text;

  while (*start) {
    const char *p = g_utf8_next_char (start);

    while (*p && (gsize) (g_utf8_next_char (p) - start) <= max && !(at_spaces && *p == ' '))
      p = g_utf8_next_char (p);
    g_ptr_array_add (pieces, g_strndup (start, p - start));
    start = p;
  }
  return pieces;
}

static void
add_text (Answer *answer, const char *text)
{
  g_autoptr(GPtrArray) pieces = split_text (text, TEXT_PIECE_BYTES, TRUE);

  for (guint i = 0; i < pieces->len; i++) {
    JsonObject *delta = json_object_new ();

    json_object_set_string_member (delta, "content", g_ptr_array_index (pieces, i));
    add_chunk (answer, delta, NULL);
  }
}

static JsonObject *
tool_call_fragment (guint index, const char *id, const char *name, const char *arguments)
{
  JsonObject *call = json_object_new ();
  JsonObject *function = json_object_new ();
  JsonArray *calls = json_array_new ();
  JsonObject *delta = json_object_new ();

  json_object_set_int_member (call, "index", index);
  if (id) {
    json_object_set_string_member (call, "id", id);
    json_object_set_string_member (call, "type", "function");
    json_object_set_string_member (function, "name", name);
  }
  json_object_set_string_member (function, "arguments", arguments);
  json_object_set_object_member (call, "function", function);
  json_array_add_object_element (calls, call);
  json_object_set_array_member (delta, "tool_calls", calls);
  return delta;
}

static void
add_tool_calls (Answer *answer, JsonArray *calls, gboolean after_text)
{
  for (guint i = 0; i < json_array_get_length (calls); i++) {
    JsonObject *call = element_object (calls, i);
    JsonNode *arguments = call ? json_object_get_member (call, "arguments") : NULL;
    g_autofree char *id = random_id ("call_", 24);
    g_autofree char *text = NULL;
    g_autoptr(GPtrArray) pieces = NULL;
    JsonObject *first;

    if (arguments && JSON_NODE_HOLDS_VALUE (arguments) &&
        json_node_get_value_type (arguments) == G_TYPE_STRING)
      text = g_strdup (json_node_get_string (arguments));
    else
      text = arguments ? json_to_string (arguments, FALSE) : g_strdup ("{}");
    first = tool_call_fragment (i, id, member_string (call, "name"), "");
    if (i == 0 && !after_text) {
      json_object_set_string_member (first, "role", "assistant");
      json_object_set_null_member (first, "content");
      json_object_set_null_member (first, "refusal");
    }
    add_chunk (answer, first, NULL);
    pieces = split_text (text, ARGUMENT_PIECE_BYTES, FALSE);
    for (guint j = 0; j < pieces->len; j++)
      add_chunk (answer, tool_call_fragment (i, NULL, NULL, g_ptr_array_index (pieces, j)),
                 NULL);
  }
}

/* The events answering @body with script item @item (NULL: none). */
static GPtrArray *
answer_events (JsonObject *body, JsonNode *item, gboolean azure)
{
  Answer answer = { g_ptr_array_new_with_free_func (g_free), random_id ("chatcmpl-", 29),
                    g_strdup (member_string (body, "model")), g_get_real_time () / G_USEC_PER_SEC };
  JsonObject *object = item && JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
  JsonArray *calls = member_array (object, "tool_calls");
  g_autofree char *text = NULL;

  if (object)
    text = g_strdup (member_string (object, "text"));
  else {
    JsonArray *messages = member_array (body, "messages");
    g_autofree char *last = content_text (element_object (messages,
                                                          json_array_get_length (messages) - 1));

    text = g_strdup_printf ("You said: %s", last ? last : "");
  }
  if (azure)
    add_azure_filter_chunk (&answer);
  if (text || !calls) {
    JsonObject *role = json_object_new ();

    json_object_set_string_member (role, "role", "assistant");
    json_object_set_string_member (role, "content", "");
    json_object_set_null_member (role, "refusal");
    add_chunk (&answer, role, NULL);
    add_text (&answer, text ? text : "");
  }
  if (calls)
    add_tool_calls (&answer, calls, text != NULL);
  add_chunk (&answer, json_object_new (), calls ? "tool_calls" : "stop");
  g_ptr_array_add (answer.events, g_strdup ("[DONE]"));
  g_free (answer.id);
  g_free (answer.model);
  return answer.events;
}

/* ---- streaming it ---------------------------------------------------------------- */

/* The request's body, held until the answer is due. */
typedef struct {
  JsonParser *parser;
  gboolean azure;
} Chat;

static void
chat_free (Chat *chat)
{
  g_object_unref (chat->parser);
  g_free (chat);
}

static JsonObject *
chat_body (Chat *chat)
{
  return json_node_get_object (json_parser_get_root (chat->parser));
}

static void
chat_reply_status (SoupServerMessage *msg, const TbFakeKnobs *knobs, gpointer data)
{
  tb_fake_openai_reply_status (msg, knobs, REQUEST_ID, member_string (chat_body (data), "model"));
}

/* The event stream, one chunk an event. */
static GPtrArray *
chat_answer (SoupServerMessage *msg, gpointer data)
{
  Chat *chat = data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GPtrArray) events = answer_events (chat_body (chat),
                                               tb_fake_route_next_item (tb_fake_route (ROUTE)),
                                               chat->azure);
  GPtrArray *chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  soup_message_headers_set_content_type (headers, "text/event-stream; charset=utf-8", NULL);
  soup_message_headers_replace (headers, "Cache-Control", "no-cache, must-revalidate");
  soup_message_headers_replace (headers, "x-request-id", REQUEST_ID);
  for (guint i = 0; i < events->len; i++) {
    char *event = g_strdup_printf ("data: %s\n\n", (const char *) g_ptr_array_index (events, i));

    g_ptr_array_add (chunks, g_bytes_new_take (event, strlen (event)));
  }
  return chunks;
}

static const TbFakeStreamClass chat_stream_class = {
  .reply_status = chat_reply_status,
  .answer = chat_answer,
  .malformed = "data: {\"id\":\"chatcmpl-broken\",\"object\":\"chat.completion.chunk\","
               "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\n\n",
};

static void
on_chat (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
         gpointer data)
{
  TbFakeRoute *route = tb_fake_route (ROUTE);
  gboolean azure = g_str_has_prefix (path, "/openai/deployments/");
  const char *content_type = soup_message_headers_get_content_type (
    soup_server_message_get_request_headers (msg), NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *body;
  Refusal refusal = { NULL, NULL };
  Chat *chat;

  if (azure && !g_str_has_suffix (path, "/chat/completions")) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    tb_fake_violation (route, "%s: no such Azure OpenAI route", path);
    return;
  }
  body = tb_fake_request_object (msg, parser);
  tb_fake_log_request (route, msg, summary_new (msg, body, azure));

  if (g_strcmp0 (soup_server_message_get_method (msg), "POST") != 0) {
    tb_fake_violation (route, "%s %s: only POST is served", soup_server_message_get_method (msg),
                       path);
    tb_fake_openai_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, REQUEST_ID,
                                "Method Not Allowed", "invalid_request_error", NULL,
                                "method_not_supported");
    return;
  }
  if (!check_key (route, msg, azure))
    return;
  if (azure && (!query || !g_hash_table_lookup (query, "api-version"))) {
    tb_fake_violation (route, "Azure OpenAI request without api-version");
    tb_fake_openai_reply_error (msg, SOUP_STATUS_NOT_FOUND, REQUEST_ID, "Resource not found",
                                "invalid_request_error", NULL, "404");
    return;
  }
  if (!body || g_strcmp0 (content_type, "application/json") != 0) {
    tb_fake_violation (route, "the body is not JSON (Content-Type %s)",
                       content_type ? content_type : "none");
    tb_fake_openai_reply_error (msg, SOUP_STATUS_BAD_REQUEST, REQUEST_ID, "We could not parse "
                                "the JSON body of your request. (HINT: This likely means you "
                                "aren't using your HTTP library correctly. The OpenAI API "
                                "expects a JSON payload, but what was sent was not valid "
                                "JSON.)", "invalid_request_error", NULL, NULL);
    return;
  }
  if (!check_body (body, &refusal)) {
    tb_fake_violation (route, "%s", refusal.message);
    tb_fake_openai_reply_error (msg, SOUP_STATUS_BAD_REQUEST, REQUEST_ID, refusal.message,
                                "invalid_request_error", refusal.param, NULL);
    g_free (refusal.message);
    return;
  }

  chat = g_new0 (Chat, 1);
  chat->parser = g_steal_pointer (&parser);
  chat->azure = azure;
  tb_fake_stream_start (msg, route, tb_fake_route_take_fault (route), &chat_stream_class, chat,
                        (GDestroyNotify) chat_free);
}

void
tb_fake_llm_register (SoupServer *server)
{
  soup_server_add_handler (server, "/v1/chat/completions", on_chat, NULL, NULL);
  soup_server_add_handler (server, "/openai/deployments", on_chat, NULL, NULL);
}
