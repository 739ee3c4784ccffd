/* fake-stt.c — two speech-to-text protocols.
 *
 * Route "stt-deepgram": Deepgram's live transcription WebSocket,
 *
 *   GET /v1/listen?encoding=linear16&sample_rate=R&channels=1&model=M&...
 *       Authorization: Token KEY            (upgraded to a WebSocket)
 *
 * The handshake is refused the way Deepgram refuses it (the status, a
 * dg-error header and {"err_code","err_msg","request_id"}): 401 for a
 * wrong key, 400 for parameters it would not take. On the socket, binary
 * frames are linear16 audio and text frames the control messages
 * KeepAlive, Finalize and CloseStream. Speech is found by energy (10 ms
 * blocks): while a stretch of speech comes in, interim Results show more
 * and more words of its transcript; once endpointing ms of silence follow
 * it, a final one (is_final, speech_final); Finalize finalizes what has
 * come so far (from_finalize; nothing when less than 100 ms of audio are
 * left to finalize, as Deepgram does not promise an answer then); CloseStream
 * finalizes, sends Metadata and closes normally. UtteranceEnd comes
 * utterance_end_ms after the last word, SpeechStarted with vad_events.
 * A client silent for 10 s (no audio, no KeepAlive) is closed with 1011
 * NET-0001, as Deepgram does, and that is a violation.
 *
 * Script items: strings, the transcripts of the stretches of speech in
 * order, across connections ("" or no item left: nothing recognised).
 *
 * Knobs: status (the handshake refused with it; 429 with Retry-After),
 * first_byte_ms (before the handshake's answer), chunk_ms (before each
 * message the server sends), drop_after (Results messages sent, then the
 * TCP connection is cut without a close frame; 0: right after the
 * handshake), malformed_at (that server message is not JSON), stall
 * (nothing is ever sent: no results, no close).
 *
 * The log has one entry per connection, its handshake, whose summary
 * follows the connection as it goes: the query's parameters, "connection"
 * (a number), "messages" (the control messages in order, each
 * {"message": type, "at_s": audio received by then, in seconds}),
 * "keepalives", "finalizes", "close_streams", "audio_s" (audio received,
 * in seconds at the sample rate asked for), "frames", "results" (Results
 * sent), and once it is over "closed", "close_code" and "dropped".
 *
 * Route "stt-openai": OpenAI's POST /v1/audio/transcriptions, a
 * multipart/form-data body with the file (a WAV file: RIFF/WAVE, 16-bit
 * PCM, mono, with data), model, language (ISO-639-1), prompt and
 * response_format (json or text). The answer is {"text": next script item}.
 * Knobs: status (OpenAI's error body; 429 with Retry-After), first_byte_ms,
 * chunk_ms (between the pieces of the answer's body), drop_after (pieces
 * sent before the connection is cut), malformed_at (that piece is not
 * JSON), stall (no answer). Summary: model, language, prompt,
 * response_format, filename, file_type, rate, channels, bits, audio_s. */
#define G_LOG_DOMAIN "tb-fake-cloud"

#include "fake.h"

#include <math.h>
#include <string.h>

#define DG_ROUTE "stt-deepgram"
#define OA_ROUTE "stt-openai"

#define DG_CONN_KEY "tb-fake-deepgram-connection"
#define DG_LOUD_RMS 300.0
#define DG_WORD_MS 150            /* speech per word shown in interim results */
#define DG_SILENT_CLIENT_S 10     /* Deepgram's NET-0001 */
#define DG_FINALIZE_MIN_MS 100    /* less audio left: Finalize goes unanswered */
#define DG_MODEL_VERSION "2024-01-09.29447"

/* ---- Deepgram: refusals ----------------------------------------------------- */

static void
dg_refuse (SoupServerMessage *msg, guint status, const char *code, const char *text,
           guint retry_after_s)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *request_id = g_uuid_string_random ();
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "err_code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "err_msg");
  json_builder_add_string_value (builder, text);
  json_builder_set_member_name (builder, "request_id");
  json_builder_add_string_value (builder, request_id);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (headers, "dg-request-id", request_id);
  soup_message_headers_replace (headers, "dg-error", text);
  if (status == 429 && retry_after_s) {
    g_autofree char *seconds = g_strdup_printf ("%u", retry_after_s);

    soup_message_headers_replace (headers, "Retry-After", seconds);
  }
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body,
                                    strlen (body));
}

static void
dg_refuse_status (SoupServerMessage *msg, const TbFakeKnobs *knobs)
{
  switch (knobs->status) {
  case 401:
    dg_refuse (msg, 401, "INVALID_AUTH", "Invalid credentials.", 0);
    break;
  case 402:
    dg_refuse (msg, 402, "ASR_PAYMENT_REQUIRED", "Project does not have enough credits.", 0);
    break;
  case 429:
    dg_refuse (msg, 429, "TOO_MANY_REQUESTS",
               "Too many requests. Please try again later.", knobs->retry_after_s);
    break;
  case 500:
    dg_refuse (msg, 500, "INTERNAL_SERVER_ERROR",
               "An internal server error occurred. Please retry.", 0);
    break;
  case 503:
    dg_refuse (msg, 503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable.", 0);
    break;
  default:
    dg_refuse (msg, knobs->status, "ERROR", soup_status_get_phrase (knobs->status)
               ? soup_status_get_phrase (knobs->status) : "error", 0);
    break;
  }
}

/* ---- Deepgram: one connection ----------------------------------------------- */

typedef struct {
  guint id;
  SoupServerMessage *msg;       /* the handshake */
  JsonObject *summary;          /* its log entry's, kept up to date */
  SoupWebsocketConnection *ws;
  GSocket *socket;
  char *request_id;

  /* What the handshake asked for */
  guint rate;
  char *model;
  gboolean interim, vad_events;
  int endpointing_ms;           /* -1: endpointing=false */
  guint utterance_end_ms;       /* 0: none */

  TbFakeKnobs knobs;
  gboolean fault;

  /* The audio */
  guint64 samples, bytes, frames;
  GChecksum *sha256;
  double block_energy;
  guint block_fill;
  gboolean in_speech;
  guint64 speech_start, last_loud_end, finalized;
  char **words;                 /* the transcript of the speech going on */
  guint n_words, shown;
  double last_word_end;
  gboolean utterance_end_due;
  gboolean close_stream;        /* CloseStream came */

  /* What the server sends */
  GQueue out;                   /* char *: messages in order */
  guint sent, results_sent;
  guint send_source, drop_source, watch_source;
  gboolean dropped;
  gint64 last_client_us;
  gboolean silence_noted;
} DgConn;

static guint dg_connections;

static void
dg_conn_free (DgConn *conn)
{
  if (conn->send_source)
    g_source_remove (conn->send_source);
  if (conn->drop_source)
    g_source_remove (conn->drop_source);
  if (conn->watch_source)
    g_source_remove (conn->watch_source);
  if (conn->ws)
    g_signal_handlers_disconnect_by_data (conn->ws, conn);
  g_clear_object (&conn->ws);
  g_clear_object (&conn->msg);
  g_clear_pointer (&conn->summary, json_object_unref);
  g_clear_object (&conn->socket);
  g_clear_pointer (&conn->sha256, g_checksum_free);
  g_queue_clear_full (&conn->out, g_free);
  g_strfreev (conn->words);
  g_free (conn->model);
  g_free (conn->request_id);
  g_free (conn);
}

static double
dg_seconds (const DgConn *conn, guint64 samples)
{
  return (double) samples / conn->rate;
}

/* The connection's numbers in its log entry. */
static void
dg_summary_update (DgConn *conn)
{
  json_object_set_double_member (conn->summary, "audio_s", dg_seconds (conn, conn->samples));
  json_object_set_int_member (conn->summary, "frames", conn->frames);
  json_object_set_int_member (conn->summary, "results", conn->results_sent);
}

static void
dg_summary_count (DgConn *conn, const char *type)
{
  const char *counter = g_str_equal (type, "KeepAlive") ? "keepalives"
                      : g_str_equal (type, "Finalize") ? "finalizes" : "close_streams";
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "message", type);
  json_object_set_double_member (message, "at_s", dg_seconds (conn, conn->samples));
  json_array_add_object_element (json_object_get_array_member (conn->summary, "messages"),
                                 message);
  json_object_set_int_member (conn->summary, counter,
                              json_object_get_int_member (conn->summary, counter) + 1);
  dg_summary_update (conn);
}

static void
add_metadata (JsonBuilder *builder, DgConn *conn)
{
  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "request_id");
  json_builder_add_string_value (builder, conn->request_id);
  json_builder_set_member_name (builder, "model_info");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, conn->model);
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, DG_MODEL_VERSION);
  json_builder_set_member_name (builder, "arch");
  json_builder_add_string_value (builder, conn->model);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "model_uuid");
  json_builder_add_string_value (builder, "6b28e919-8427-4f32-9847-492e2efd7daf");
  json_builder_end_object (builder);
}

static void
add_channel_list (JsonBuilder *builder, const char *name)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  json_builder_add_int_value (builder, 0);
  json_builder_add_int_value (builder, 1);
  json_builder_end_array (builder);
}

static void
dg_queue (DgConn *conn, JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  g_queue_push_tail (&conn->out, json_to_string (root, FALSE));
}

static void dg_flush (DgConn *conn);

/* A Results message covering [finalized, @end) with the first @n_words
 * of the speech's words, spread over the speech. */
static void
dg_queue_results (DgConn *conn, guint64 end, guint n_words, gboolean is_final,
                  gboolean speech_final, gboolean from_finalize)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  GString *text = g_string_new (NULL);
  g_autofree char *transcript = NULL;
  double speech_s = dg_seconds (conn, conn->speech_start);
  double per_word = conn->n_words
                    ? (dg_seconds (conn, conn->last_loud_end) - speech_s) / conn->n_words : 0;

  for (guint i = 0; i < n_words; i++)
    g_string_append_printf (text, "%s%s", i ? " " : "", conn->words[i]);
  transcript = g_string_free (text, FALSE);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "Results");
  add_channel_list (builder, "channel_index");
  json_builder_set_member_name (builder, "duration");
  json_builder_add_double_value (builder, dg_seconds (conn, end - conn->finalized));
  json_builder_set_member_name (builder, "start");
  json_builder_add_double_value (builder, dg_seconds (conn, conn->finalized));
  json_builder_set_member_name (builder, "is_final");
  json_builder_add_boolean_value (builder, is_final);
  json_builder_set_member_name (builder, "speech_final");
  json_builder_add_boolean_value (builder, speech_final);
  json_builder_set_member_name (builder, "from_finalize");
  json_builder_add_boolean_value (builder, from_finalize);
  json_builder_set_member_name (builder, "channel");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "alternatives");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "transcript");
  json_builder_add_string_value (builder, transcript);
  json_builder_set_member_name (builder, "confidence");
  json_builder_add_double_value (builder, n_words ? 0.97 : 0.0);
  json_builder_set_member_name (builder, "words");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_words; i++) {
    json_builder_begin_object (builder);
    json_builder_set_member_name (builder, "word");
    json_builder_add_string_value (builder, conn->words[i]);
    json_builder_set_member_name (builder, "start");
    json_builder_add_double_value (builder, speech_s + i * per_word);
    json_builder_set_member_name (builder, "end");
    json_builder_add_double_value (builder, speech_s + (i + 1) * per_word);
    json_builder_set_member_name (builder, "confidence");
    json_builder_add_double_value (builder, 0.97);
    json_builder_set_member_name (builder, "punctuated_word");
    json_builder_add_string_value (builder, conn->words[i]);
    json_builder_end_object (builder);
  }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  add_metadata (builder, conn);
  json_builder_end_object (builder);
  dg_queue (conn, builder);
}

static void
dg_queue_simple (DgConn *conn, const char *type, const char *time_name, double time)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  add_channel_list (builder, "channel");
  json_builder_set_member_name (builder, time_name);
  json_builder_add_double_value (builder, time);
  json_builder_end_object (builder);
  dg_queue (conn, builder);
}

static void
dg_queue_metadata (DgConn *conn)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *created = g_date_time_format_iso8601 (now);
  const char *uuid = "6b28e919-8427-4f32-9847-492e2efd7daf";

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "Metadata");
  json_builder_set_member_name (builder, "transaction_key");
  json_builder_add_string_value (builder, "deprecated");
  json_builder_set_member_name (builder, "request_id");
  json_builder_add_string_value (builder, conn->request_id);
  json_builder_set_member_name (builder, "sha256");
  json_builder_add_string_value (builder, g_checksum_get_string (conn->sha256));
  json_builder_set_member_name (builder, "created");
  json_builder_add_string_value (builder, created);
  json_builder_set_member_name (builder, "duration");
  json_builder_add_double_value (builder, dg_seconds (conn, conn->samples));
  json_builder_set_member_name (builder, "channels");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "models");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, uuid);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "model_info");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, uuid);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, conn->model);
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, DG_MODEL_VERSION);
  json_builder_set_member_name (builder, "arch");
  json_builder_add_string_value (builder, conn->model);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  dg_queue (conn, builder);
}

/* The speech going on ends at @end (or the audio so far is finalized,
 * speech or not): its final result. */
static void
dg_finalize (DgConn *conn, guint64 end, gboolean speech_final, gboolean from_finalize)
{
  guint n_words = conn->in_speech ? conn->n_words : 0;

  dg_queue_results (conn, end, n_words, TRUE, speech_final, from_finalize);
  if (n_words) {
    conn->last_word_end = dg_seconds (conn, conn->last_loud_end);
    conn->utterance_end_due = conn->utterance_end_ms > 0;
  }
  conn->finalized = end;
  conn->in_speech = FALSE;
  g_clear_pointer (&conn->words, g_strfreev);
  conn->n_words = conn->shown = 0;
}

static void
dg_speech_starts (DgConn *conn, guint64 at)
{
  JsonNode *item = tb_fake_route_next_item (tb_fake_route (DG_ROUTE));
  const char *text = item && JSON_NODE_HOLDS_VALUE (item) &&
                     json_node_get_value_type (item) == G_TYPE_STRING
                     ? json_node_get_string (item) : "";

  conn->in_speech = TRUE;
  conn->speech_start = at;
  conn->words = g_strsplit_set (text, " ", -1);
  /* g_strsplit_set gives empty strings for doubled spaces: keep words. */
  {
    guint n = 0;

    for (guint i = 0; conn->words[i]; i++) {
      if (*conn->words[i])
        conn->words[n++] = conn->words[i];
      else
        g_free (conn->words[i]);
    }
    conn->words[n] = NULL;
    conn->n_words = n;
  }
  conn->shown = 0;
  if (conn->vad_events)
    dg_queue_simple (conn, "SpeechStarted", "timestamp", dg_seconds (conn, at));
}

/* One 10 ms block of audio ending at conn->samples. */
static void
dg_block (DgConn *conn, double rms, guint block)
{
  guint64 end = conn->samples;

  if (rms >= DG_LOUD_RMS) {
    if (!conn->in_speech)
      dg_speech_starts (conn, end - block);
    conn->last_loud_end = end;
    if (conn->interim && conn->n_words) {
      guint64 speech_ms = (end - conn->speech_start) * 1000 / conn->rate;
      guint want = MIN (conn->n_words, 1 + speech_ms / DG_WORD_MS);

      if (want > conn->shown) {
        conn->shown = want;
        dg_queue_results (conn, end, want, FALSE, FALSE, FALSE);
      }
    }
  } else if (conn->in_speech && conn->endpointing_ms >= 0 &&
             (end - conn->last_loud_end) * 1000 >= (guint64) conn->endpointing_ms * conn->rate) {
    dg_finalize (conn, end, TRUE, FALSE);
  }
  if (conn->utterance_end_due && !conn->in_speech &&
      (dg_seconds (conn, end) - conn->last_word_end) * 1000 >= conn->utterance_end_ms) {
    conn->utterance_end_due = FALSE;
    dg_queue_simple (conn, "UtteranceEnd", "last_word_end", conn->last_word_end);
  }
}

static void
dg_audio (DgConn *conn, const guint8 *data, gsize len)
{
  TbFakeRoute *route = tb_fake_route (DG_ROUTE);
  guint block = MAX (conn->rate / 100, 1);

  if (len == 0)
    tb_fake_violation (route, "an empty binary frame (Deepgram takes it for the end of the "
                       "audio and closes the stream)");
  if (len % 2)
    tb_fake_violation (route, "a binary frame of %" G_GSIZE_FORMAT " bytes: not whole 16-bit "
                       "samples", len);
  if (conn->close_stream)
    tb_fake_violation (route, "audio after CloseStream");
  conn->frames++;
  conn->bytes += len;
  g_checksum_update (conn->sha256, data, len);
  for (gsize i = 0; i + 1 < len; i += 2) {
    gint16 sample = (gint16) (data[i] | (data[i + 1] << 8));

    conn->block_energy += (double) sample * sample;
    conn->samples++;
    if (++conn->block_fill == block) {
      dg_block (conn, sqrt (conn->block_energy / block), block);
      conn->block_energy = 0;
      conn->block_fill = 0;
    }
  }
}

/* The client's control messages. */
static void
dg_control (DgConn *conn, const char *text, gsize len)
{
  TbFakeRoute *route = tb_fake_route (DG_ROUTE);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;
  JsonNode *type_node;
  const char *type;

  if (!json_parser_load_from_data (parser, text, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    tb_fake_violation (route, "a text frame that is not a JSON object: %.*s", (int) MIN (len, 80),
                       text);
    return;
  }
  object = json_node_get_object (json_parser_get_root (parser));
  type_node = json_object_get_member (object, "type");
  type = type_node && JSON_NODE_HOLDS_VALUE (type_node) &&
         json_node_get_value_type (type_node) == G_TYPE_STRING
         ? json_node_get_string (type_node) : NULL;
  if (!type || !(g_str_equal (type, "KeepAlive") || g_str_equal (type, "Finalize") ||
                 g_str_equal (type, "CloseStream"))) {
    tb_fake_violation (route, "a text frame that is no control message Deepgram knows: %.*s",
                       (int) MIN (len, 80), text);
    return;
  }
  if (json_object_get_size (object) != 1 &&
      !(g_str_equal (type, "Finalize") && json_object_has_member (object, "channel")))
    tb_fake_violation (route, "%s with members Deepgram does not know: %.*s", type,
                       (int) MIN (len, 80), text);
  dg_summary_count (conn, type);

  if (g_str_equal (type, "Finalize")) {
    /* Deepgram answers with from_finalize when there was audio to
     * finalize; it does not promise an answer otherwise. */
    if (conn->in_speech ||
        (conn->samples - conn->finalized) * 1000 >= (guint64) DG_FINALIZE_MIN_MS * conn->rate)
      dg_finalize (conn, conn->samples, FALSE, TRUE);
  } else if (g_str_equal (type, "CloseStream")) {
    if (conn->close_stream)
      tb_fake_violation (route, "CloseStream sent twice");
    conn->close_stream = TRUE;
    if (conn->in_speech || conn->samples > conn->finalized)
      dg_finalize (conn, conn->samples, FALSE, FALSE);
    dg_queue_metadata (conn);
  }
}

/* Cuts the TCP connection under the WebSocket: no close frame. */
static gboolean
dg_drop_now (gpointer data)
{
  DgConn *conn = data;

  conn->drop_source = 0;
  conn->dropped = TRUE;
  g_debug ("connection %u: cut after %u results", conn->id, conn->results_sent);
  if (conn->socket)
    g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
  return G_SOURCE_REMOVE;
}

static void
dg_drop_soon (DgConn *conn)
{
  /* A moment for the last message to be written. */
  if (!conn->drop_source && !conn->dropped)
    conn->drop_source = g_timeout_add (50, dg_drop_now, conn);
}

static gboolean
dg_send_next (gpointer data)
{
  DgConn *conn = data;
  g_autofree char *message = NULL;

  conn->send_source = 0;
  if (conn->dropped || conn->drop_source ||
      soup_websocket_connection_get_state (conn->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return G_SOURCE_REMOVE;
  message = g_queue_pop_head (&conn->out);
  if (!message) {
    if (conn->close_stream)
      soup_websocket_connection_close (conn->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    return G_SOURCE_REMOVE;
  }
  if (conn->fault && conn->knobs.malformed_at == (int) conn->sent)
    soup_websocket_connection_send_text (conn->ws, "{\"type\":\"Results\",\"channel_index\":[0,");
  else
    soup_websocket_connection_send_text (conn->ws, message);
  conn->sent++;
  if (g_str_has_prefix (message, "{\"type\":\"Results\"")) {
    conn->results_sent++;
    if (conn->fault && conn->knobs.drop_after > 0 &&
        conn->results_sent >= (guint) conn->knobs.drop_after) {
      dg_drop_soon (conn);
      return G_SOURCE_REMOVE;
    }
  }
  dg_flush (conn);
  return G_SOURCE_REMOVE;
}

/* Sends what is queued, chunk_ms before each message. */
static void
dg_flush (DgConn *conn)
{
  if (conn->send_source)
    return;
  if (conn->fault && conn->knobs.stall) {
    g_queue_clear_full (&conn->out, g_free);
    return;
  }
  if (g_queue_is_empty (&conn->out) && !conn->close_stream)
    return;
  conn->send_source = tb_fake_after (conn->knobs.chunk_ms, dg_send_next, conn);
}

static void
dg_on_message (SoupWebsocketConnection *ws, SoupWebsocketDataType type, GBytes *message,
               gpointer data)
{
  DgConn *conn = data;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (message, &len);

  conn->last_client_us = g_get_monotonic_time ();
  if (type == SOUP_WEBSOCKET_DATA_BINARY)
    dg_audio (conn, bytes, len);
  else
    dg_control (conn, (const char *) bytes, len);
  dg_flush (conn);
}

static void
dg_on_closed (SoupWebsocketConnection *ws, gpointer data)
{
  DgConn *conn = data;

  dg_summary_update (conn);
  json_object_set_boolean_member (conn->summary, "closed", TRUE);
  json_object_set_int_member (conn->summary, "close_code",
                              soup_websocket_connection_get_close_code (ws));
  json_object_set_boolean_member (conn->summary, "dropped", conn->dropped);
  dg_conn_free (conn);
}

/* Deepgram closes a stream that gets neither audio nor KeepAlive for
 * 10 s: a client should never let that happen. */
static gboolean
dg_watch (gpointer data)
{
  DgConn *conn = data;

  if (conn->silence_noted || conn->dropped || conn->close_stream ||
      g_get_monotonic_time () - conn->last_client_us < DG_SILENT_CLIENT_S * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;
  conn->silence_noted = TRUE;
  tb_fake_violation (tb_fake_route (DG_ROUTE), "connection %u: no audio and no KeepAlive for "
                     "%d s (Deepgram closes the stream: 1011 NET-0001)", conn->id,
                     DG_SILENT_CLIENT_S);
  soup_websocket_connection_close (conn->ws, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "NET-0001");
  return G_SOURCE_CONTINUE;
}

static void
dg_on_websocket (SoupServer *server, SoupServerMessage *msg, const char *path,
                 SoupWebsocketConnection *ws, gpointer data)
{
  DgConn *conn = g_object_steal_data (G_OBJECT (msg), DG_CONN_KEY);

  if (!conn) {
    soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "no state");
    return;
  }
  conn->msg = g_object_ref (msg);
  conn->ws = g_object_ref (ws);
  conn->last_client_us = g_get_monotonic_time ();
  /* Results of long turns are larger than libsoup's default allows. */
  soup_websocket_connection_set_max_incoming_payload_size (ws, 1 << 20);
  g_signal_connect (ws, "message", G_CALLBACK (dg_on_message), conn);
  g_signal_connect (ws, "closed", G_CALLBACK (dg_on_closed), conn);
  conn->watch_source = g_timeout_add (500, dg_watch, conn);
  if (conn->fault && conn->knobs.drop_after == 0)
    dg_drop_soon (conn);
}

/* A handshake's answer held back for first_byte_ms, unless the client
 * has gone meanwhile. */
typedef struct {
  SoupServerMessage *msg;
  gboolean gone;
} DgDelay;

static void
dg_on_gone (SoupServerMessage *msg, gpointer data)
{
  ((DgDelay *) data)->gone = TRUE;
}

/* Whether the client closed its end: libsoup does not watch a paused
 * message's connection. */
static gboolean
client_closed (SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  char byte;
  GInputVector vector = { &byte, 1 };
  int flags = G_SOCKET_MSG_PEEK;

  if (!socket || !(g_socket_condition_check (socket, G_IO_IN | G_IO_HUP | G_IO_ERR)))
    return FALSE;
  return g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL,
                                   NULL) <= 0;
}

static gboolean
dg_unpause (gpointer data)
{
  DgDelay *delay = data;

  g_signal_handlers_disconnect_by_data (delay->msg, delay);
  if (!delay->gone && !client_closed (delay->msg))
    soup_server_message_unpause (delay->msg);
  g_object_unref (delay->msg);
  g_free (delay);
  return G_SOURCE_REMOVE;
}

static void
dg_delay (SoupServerMessage *msg, guint ms)
{
  DgDelay *delay = g_new0 (DgDelay, 1);

  delay->msg = g_object_ref (msg);
  g_signal_connect (msg, "finished", G_CALLBACK (dg_on_gone), delay);
  g_signal_connect (msg, "disconnected", G_CALLBACK (dg_on_gone), delay);
  soup_server_message_pause (msg);
  g_timeout_add (ms, dg_unpause, delay);
}

static const char *
query_get (GHashTable *query, const char *name)
{
  return query ? g_hash_table_lookup (query, name) : NULL;
}

static gboolean
parse_uint (const char *text, guint64 min, guint64 max, guint64 *out)
{
  return text && g_ascii_string_to_unsigned (text, 10, min, max, out, NULL);
}

static gboolean
is_bool (const char *text)
{
  return g_strcmp0 (text, "true") == 0 || g_strcmp0 (text, "false") == 0;
}

/* The query's parameters as Deepgram checks them; FALSE after refusing
 * the handshake with 400. */
static gboolean
dg_check_query (SoupServerMessage *msg, GHashTable *query, DgConn *conn)
{
  TbFakeRoute *route = tb_fake_route (DG_ROUTE);
  const char *encoding = query_get (query, "encoding");
  const char *rate = query_get (query, "sample_rate");
  const char *channels = query_get (query, "channels");
  const char *model = query_get (query, "model");
  const char *interim = query_get (query, "interim_results");
  const char *endpointing = query_get (query, "endpointing");
  const char *utterance_end = query_get (query, "utterance_end_ms");
  const char *vad_events = query_get (query, "vad_events");
  guint64 number;
  g_autofree char *problem = NULL;

  if (g_strcmp0 (encoding, "linear16") != 0)
    problem = g_strdup_printf ("encoding is %s, not linear16 (16-bit PCM is what is sent)",
                               encoding ? encoding : "missing");
  else if (!parse_uint (rate, 8000, 48000, &number))
    problem = g_strdup_printf ("sample_rate %s: raw audio needs a sample rate (8000 to 48000)",
                               rate ? rate : "missing");
  else if (g_strcmp0 (channels, "1") != 0)
    problem = g_strdup_printf ("channels is %s, not 1", channels ? channels : "missing");
  else if (!model || !*model)
    problem = g_strdup ("no model");
  else if (interim && !is_bool (interim))
    problem = g_strdup_printf ("interim_results=%s is not true or false", interim);
  else if (vad_events && !is_bool (vad_events))
    problem = g_strdup_printf ("vad_events=%s is not true or false", vad_events);
  else if (endpointing && g_strcmp0 (endpointing, "false") != 0 &&
           !parse_uint (endpointing, 0, 60000, NULL))
    problem = g_strdup_printf ("endpointing=%s is neither a number of ms nor false", endpointing);
  else if (utterance_end && !parse_uint (utterance_end, 1000, 60000, NULL))
    problem = g_strdup_printf ("utterance_end_ms=%s: at least 1000 ms", utterance_end);
  else if (utterance_end && g_strcmp0 (interim, "true") != 0)
    problem = g_strdup ("utterance_end_ms needs interim_results=true");
  if (problem) {
    tb_fake_violation (route, "%s", problem);
    dg_refuse (msg, SOUP_STATUS_BAD_REQUEST, "Bad Request", problem, 0);
    return FALSE;
  }
  conn->rate = (guint) number;
  conn->model = g_strdup (model);
  conn->interim = g_strcmp0 (interim, "true") == 0;
  conn->vad_events = g_strcmp0 (vad_events, "true") == 0;
  if (g_strcmp0 (endpointing, "false") == 0)
    conn->endpointing_ms = -1;
  else if (endpointing)
    conn->endpointing_ms = (int) g_ascii_strtoull (endpointing, NULL, 10);
  else
    conn->endpointing_ms = 10;    /* Deepgram's default */
  conn->utterance_end_ms = utterance_end ? (guint) g_ascii_strtoull (utterance_end, NULL, 10) : 0;
  return TRUE;
}

static void
summary_add_query (JsonObject *summary, GHashTable *query)
{
  GHashTableIter iter;
  gpointer key, value;

  if (!query)
    return;
  g_hash_table_iter_init (&iter, query);
  while (g_hash_table_iter_next (&iter, &key, &value))
    json_object_set_string_member (summary, key, value);
}

/* The handshake: checked, refused or answered (after first_byte_ms);
 * libsoup completes the upgrade after this handler when no status is set. */
static void
dg_on_listen (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
              gpointer data)
{
  TbFakeRoute *route = tb_fake_route (DG_ROUTE);
  JsonObject *summary = json_object_new ();
  DgConn *conn = g_new0 (DgConn, 1);

  conn->id = ++dg_connections;
  conn->knobs = route->knobs;
  conn->request_id = g_uuid_string_random ();
  conn->sha256 = g_checksum_new (G_CHECKSUM_SHA256);
  summary_add_query (summary, query);
  json_object_set_int_member (summary, "connection", conn->id);
  json_object_set_array_member (summary, "messages", json_array_new ());
  json_object_set_int_member (summary, "keepalives", 0);
  json_object_set_int_member (summary, "finalizes", 0);
  json_object_set_int_member (summary, "close_streams", 0);
  conn->summary = json_object_ref (summary);
  tb_fake_log_request (route, msg, summary);

  if (g_strcmp0 (soup_server_message_get_method (msg), "GET") != 0) {
    tb_fake_violation (route, "%s /v1/listen: the live API is a WebSocket (GET)",
                       soup_server_message_get_method (msg));
    dg_refuse (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Bad Request", "Method not allowed.", 0);
  } else if (!tb_fake_check_key (route, msg, "Authorization", "Token ")) {
    dg_refuse (msg, SOUP_STATUS_UNAUTHORIZED, "INVALID_AUTH", "Invalid credentials.", 0);
  } else if (dg_check_query (msg, query, conn)) {
    conn->fault = tb_fake_route_take_fault (route);
    if (conn->fault && conn->knobs.status) {
      dg_refuse_status (msg, &conn->knobs);
    } else {
      GSocket *socket = soup_server_message_get_socket (msg);

      conn->socket = socket ? g_object_ref (socket) : NULL;
      g_object_set_data_full (G_OBJECT (msg), DG_CONN_KEY, g_steal_pointer (&conn),
                              (GDestroyNotify) dg_conn_free);
    }
  }
  if (conn)
    dg_conn_free (conn);
  if (route->knobs.first_byte_ms)
    dg_delay (msg, route->knobs.first_byte_ms);
}

/* ---- OpenAI: audio transcriptions ---------------------------------------------- */

typedef struct {
  char *message;
  const char *param;
} Refusal;

static void
oa_reply_error (SoupServerMessage *msg, guint status, const char *message, const char *type,
                const char *param, const char *code)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  json_builder_set_member_name (builder, "param");
  param ? json_builder_add_string_value (builder, param) : json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "code");
  code ? json_builder_add_string_value (builder, code) : json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "x-request-id",
                                "req_fake_transcription");
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text,
                                    strlen (text));
}

static void
oa_reply_status (SoupServerMessage *msg, const TbFakeKnobs *knobs)
{
  switch (knobs->status) {
  case 401:
    oa_reply_error (msg, 401, "Incorrect API key provided: sk-tes***********cdef. You can find "
                    "your API key at https://platform.openai.com/account/api-keys.",
                    "invalid_request_error", NULL, "invalid_api_key");
    break;
  case 429: {
    g_autofree char *message = g_strdup_printf (
      "Rate limit reached for whisper-1 in organization org-fake on requests per min (RPM): "
      "Limit 3, Used 3, Requested 1. Please try again in %us.", knobs->retry_after_s);

    oa_reply_error (msg, 429, message, "requests", "requests", "rate_limit_exceeded");
    if (knobs->retry_after_s) {
      g_autofree char *seconds = g_strdup_printf ("%u", knobs->retry_after_s);

      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", seconds);
    }
    break;
  }
  case 500:
    oa_reply_error (msg, 500, "The server had an error while processing your request. Sorry "
                    "about that!", "server_error", NULL, NULL);
    break;
  case 503:
    oa_reply_error (msg, 503, "The engine is currently overloaded, please try again later.",
                    "server_error", NULL, NULL);
    break;
  default:
    oa_reply_error (msg, knobs->status, soup_status_get_phrase (knobs->status)
                    ? soup_status_get_phrase (knobs->status) : "error",
                    "invalid_request_error", NULL, NULL);
    break;
  }
}

static gboolean
oa_check_key (TbFakeRoute *route, SoupServerMessage *msg)
{
  if (tb_fake_check_key (route, msg, "Authorization", "Bearer "))
    return TRUE;
  oa_reply_error (msg, 401, "Incorrect API key provided. You can find your API key at "
                  "https://platform.openai.com/account/api-keys.", "invalid_request_error",
                  NULL, "invalid_api_key");
  return FALSE;
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static guint16
le16 (const guint8 *p)
{
  return (guint16) (p[0] | p[1] << 8);
}

/* A WAV file as OpenAI decodes it: RIFF/WAVE, a fmt chunk of 16-bit PCM
 * mono, a data chunk with audio. */
static gboolean
oa_check_wav (GBytes *file, JsonObject *summary, char **problem)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (file, &len);
  gsize pos = 12;
  gboolean have_fmt = FALSE;
  guint16 format = 0, channels = 0, bits = 0;
  guint32 rate = 0;

  if (len < 12 || memcmp (data, "RIFF", 4) != 0 || memcmp (data + 8, "WAVE", 4) != 0) {
    *problem = g_strdup ("the file is not a RIFF/WAVE file");
    return FALSE;
  }
  if (le32 (data + 4) != len - 8) {
    *problem = g_strdup_printf ("the RIFF size says %u bytes, the file has %" G_GSIZE_FORMAT,
                                le32 (data + 4), len - 8);
    return FALSE;
  }
  while (pos + 8 <= len) {
    guint32 size = le32 (data + pos + 4);
    const guint8 *body = data + pos + 8;

    if (pos + 8 + size > len) {
      *problem = g_strdup_printf ("chunk %.4s runs past the end of the file", data + pos);
      return FALSE;
    }
    if (memcmp (data + pos, "fmt ", 4) == 0 && size >= 16) {
      format = le16 (body);
      channels = le16 (body + 2);
      rate = le32 (body + 4);
      bits = le16 (body + 14);
      have_fmt = TRUE;
      if (le32 (body + 8) != rate * channels * bits / 8 ||
          le16 (body + 12) != channels * bits / 8) {
        *problem = g_strdup ("the fmt chunk's byte rate or block align does not match");
        return FALSE;
      }
    } else if (memcmp (data + pos, "data", 4) == 0) {
      if (!have_fmt) {
        *problem = g_strdup ("the data chunk comes before a fmt chunk");
        return FALSE;
      }
      if (format != 1 || channels != 1 || bits != 16) {
        *problem = g_strdup_printf ("audio is format %u, %u channels, %u bits: 16-bit PCM "
                                    "mono is what is sent", format, channels, bits);
        return FALSE;
      }
      if (rate < 8000 || rate > 48000) {
        *problem = g_strdup_printf ("sample rate %u", rate);
        return FALSE;
      }
      if (size == 0 || size % 2) {
        *problem = g_strdup_printf ("the data chunk has %u bytes", size);
        return FALSE;
      }
      json_object_set_int_member (summary, "rate", rate);
      json_object_set_int_member (summary, "channels", channels);
      json_object_set_int_member (summary, "bits", bits);
      json_object_set_double_member (summary, "audio_s", (double) size / 2 / rate);
      return TRUE;
    }
    pos += 8 + size + (size & 1);
  }
  *problem = g_strdup ("no data chunk");
  return FALSE;
}

typedef struct {
  SoupServerMessage *msg;
  TbFakeKnobs knobs;
  gboolean fault;
  char *body;        /* the answer */
  gboolean text_format;
  guint pieces, next;
  guint source;
} OaAnswer;

static void
oa_answer_free (OaAnswer *answer)
{
  if (answer->source)
    g_source_remove (answer->source);
  g_signal_handlers_disconnect_by_data (answer->msg, answer);
  g_object_unref (answer->msg);
  g_free (answer->body);
  g_free (answer);
}

static void
oa_on_finished (SoupServerMessage *msg, gpointer data)
{
  oa_answer_free (data);
}

static gboolean
oa_drop_now (gpointer data)
{
  OaAnswer *answer = data;
  g_autoptr(GIOStream) connection = NULL;

  answer->source = 0;
  g_signal_handlers_disconnect_by_data (answer->msg, answer);
  connection = soup_server_message_steal_connection (answer->msg);
  if (connection)
    g_io_stream_close (connection, NULL, NULL);
  oa_answer_free (answer);
  return G_SOURCE_REMOVE;
}

/* The answer's body in three pieces, chunk_ms apart. */
static gboolean
oa_send_piece (gpointer data)
{
  OaAnswer *answer = data;
  SoupMessageBody *body = soup_server_message_get_response_body (answer->msg);
  gsize len = strlen (answer->body);
  gsize from = len * answer->next / answer->pieces;
  gsize to = len * (answer->next + 1) / answer->pieces;

  answer->source = 0;
  if (answer->fault && answer->knobs.drop_after >= 0 &&
      answer->next >= (guint) answer->knobs.drop_after) {
    answer->source = g_timeout_add (50, oa_drop_now, answer);
    return G_SOURCE_REMOVE;
  }
  if (answer->next == answer->pieces) {
    soup_message_body_complete (body);
    soup_server_message_unpause (answer->msg);
    return G_SOURCE_REMOVE;
  }
  if (answer->fault && answer->knobs.malformed_at == (int) answer->next)
    soup_message_body_append (body, SOUP_MEMORY_COPY, "<html>upstream error</html>",
                              strlen ("<html>upstream error</html>"));
  else
    soup_message_body_append (body, SOUP_MEMORY_COPY, answer->body + from, to - from);
  answer->next++;
  soup_server_message_unpause (answer->msg);
  answer->source = tb_fake_after (answer->knobs.chunk_ms, oa_send_piece, answer);
  return G_SOURCE_REMOVE;
}

static gboolean
oa_answer_now (gpointer data)
{
  OaAnswer *answer = data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (answer->msg);

  answer->source = 0;
  if (answer->fault && answer->knobs.stall)
    return G_SOURCE_REMOVE;     /* until the client gives up */
  if (answer->fault && answer->knobs.status) {
    oa_reply_status (answer->msg, &answer->knobs);
    soup_server_message_unpause (answer->msg);
    return G_SOURCE_REMOVE;
  }
  soup_server_message_set_status (answer->msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (headers, answer->text_format
                                         ? "text/plain; charset=utf-8" : "application/json",
                                         NULL);
  soup_message_headers_replace (headers, "x-request-id", "req_fake_transcription");
  soup_message_body_set_accumulate (soup_server_message_get_response_body (answer->msg), FALSE);
  soup_server_message_unpause (answer->msg);
  return oa_send_piece (answer);
}

static char *
oa_text_body (const char *text, gboolean text_format)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;

  if (text_format)
    return g_strconcat (text, "\n", NULL);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, text);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static gboolean
is_iso639_1 (const char *language)
{
  return strlen (language) == 2 && g_ascii_islower (language[0]) && g_ascii_islower (language[1]);
}

/* The multipart form's parts: fields (name -> text) and the file. */
static gboolean
oa_read_form (SoupServerMessage *msg, GHashTable *fields, GBytes **file, char **filename,
              char **file_type, Refusal *refusal)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *request_body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (request_body);
  g_autoptr(SoupMultipart) multipart = soup_multipart_new_from_message (request_headers, body);

  if (!multipart) {
    refusal->message = g_strdup ("Could not parse multipart form");
    return FALSE;
  }
  for (int i = 0; i < soup_multipart_get_length (multipart); i++) {
    SoupMessageHeaders *headers;
    GBytes *part;
    g_autofree char *disposition = NULL;
    g_autoptr(GHashTable) params = NULL;
    const char *name;

    if (!soup_multipart_get_part (multipart, i, &headers, &part) ||
        !soup_message_headers_get_content_disposition (headers, &disposition, &params) ||
        g_strcmp0 (disposition, "form-data") != 0 ||
        !(name = g_hash_table_lookup (params, "name"))) {
      refusal->message = g_strdup ("Could not parse multipart form: a part without "
                                   "Content-Disposition: form-data; name=...");
      return FALSE;
    }
    if (g_str_equal (name, "file")) {
      const char *type = soup_message_headers_get_content_type (headers, NULL);

      g_clear_pointer (file, g_bytes_unref);
      *file = g_bytes_ref (part);
      g_free (*filename);
      *filename = g_strdup (g_hash_table_lookup (params, "filename"));
      g_free (*file_type);
      *file_type = g_strdup (type);
    } else {
      g_hash_table_replace (fields, g_strdup (name),
                            g_strndup (g_bytes_get_data (part, NULL), g_bytes_get_size (part)));
    }
  }
  return TRUE;
}

static gboolean
oa_check_form (GHashTable *fields, GBytes *file, const char *filename, JsonObject *summary,
               Refusal *refusal)
{
  const char *model = g_hash_table_lookup (fields, "model");
  const char *language = g_hash_table_lookup (fields, "language");
  const char *format = g_hash_table_lookup (fields, "response_format");
  g_autofree char *problem = NULL;

  if (!file) {
    refusal->message = g_strdup ("1 validation error for Request\nbody -> file\n  field required");
    refusal->param = "file";
    return FALSE;
  }
  if (!model || !*model) {
    refusal->message = g_strdup ("you must provide a model parameter");
    refusal->param = "model";
    return FALSE;
  }
  if (!filename || !g_str_has_suffix (filename, ".wav")) {
    refusal->message = g_strdup_printf ("Unrecognized file format (%s). Supported formats: "
                                        "['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', "
                                        "'ogg', 'wav', 'webm']", filename ? filename : "no name");
    refusal->param = "file";
    return FALSE;
  }
  if (!oa_check_wav (file, summary, &problem)) {
    refusal->message = g_strdup_printf ("Audio file might be corrupted or unsupported: %s",
                                        problem);
    refusal->param = "file";
    return FALSE;
  }
  if (language && !is_iso639_1 (language)) {
    refusal->message = g_strdup_printf ("Invalid language '%s'. Language parameter must be "
                                        "specified in ISO-639-1 format.", language);
    refusal->param = "language";
    return FALSE;
  }
  if (format && !g_str_equal (format, "json") && !g_str_equal (format, "text")) {
    refusal->message = g_strdup_printf ("response_format %s is not json or text (the fake "
                                        "serves those)", format);
    refusal->param = "response_format";
    return FALSE;
  }
  return TRUE;
}

static void
oa_on_transcriptions (SoupServer *server, SoupServerMessage *msg, const char *path,
                      GHashTable *query, gpointer data)
{
  TbFakeRoute *route = tb_fake_route (OA_ROUTE);
  g_autoptr(GHashTable) fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GBytes) file = NULL;
  g_autofree char *filename = NULL, *file_type = NULL;
  JsonObject *summary = json_object_new ();
  Refusal refusal = { NULL, NULL };
  const char *const names[] = { "model", "language", "prompt", "response_format" };
  JsonNode *item;
  OaAnswer *answer;

  if (g_strcmp0 (soup_server_message_get_method (msg), "POST") != 0) {
    tb_fake_log_request (route, msg, summary);
    tb_fake_violation (route, "%s %s: only POST is served", soup_server_message_get_method (msg),
                       path);
    oa_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Method Not Allowed",
                    "invalid_request_error", NULL, "method_not_supported");
    return;
  }
  if (!oa_read_form (msg, fields, &file, &filename, &file_type, &refusal)) {
    tb_fake_log_request (route, msg, summary);
    tb_fake_violation (route, "%s", refusal.message);
    oa_reply_error (msg, SOUP_STATUS_BAD_REQUEST, refusal.message, "invalid_request_error",
                    NULL, NULL);
    g_free (refusal.message);
    return;
  }
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_hash_table_lookup (fields, names[i]))
      json_object_set_string_member (summary, names[i], g_hash_table_lookup (fields, names[i]));
  if (filename)
    json_object_set_string_member (summary, "filename", filename);
  if (file_type)
    json_object_set_string_member (summary, "file_type", file_type);
  if (!oa_check_key (route, msg)) {
    tb_fake_log_request (route, msg, summary);
    return;
  }
  if (!oa_check_form (fields, file, filename, summary, &refusal)) {
    tb_fake_log_request (route, msg, summary);
    tb_fake_violation (route, "%s", refusal.message);
    oa_reply_error (msg, SOUP_STATUS_BAD_REQUEST, refusal.message, "invalid_request_error",
                    refusal.param, NULL);
    g_free (refusal.message);
    return;
  }
  tb_fake_log_request (route, msg, summary);

  answer = g_new0 (OaAnswer, 1);
  answer->msg = g_object_ref (msg);
  answer->knobs = route->knobs;
  answer->fault = tb_fake_route_take_fault (route);
  answer->text_format = g_strcmp0 (g_hash_table_lookup (fields, "response_format"), "text") == 0;
  item = answer->fault && answer->knobs.status ? NULL : tb_fake_route_next_item (route);
  answer->body = oa_text_body (item && JSON_NODE_HOLDS_VALUE (item) &&
                               json_node_get_value_type (item) == G_TYPE_STRING
                               ? json_node_get_string (item) : "", answer->text_format);
  answer->pieces = 3;
  g_signal_connect (msg, "finished", G_CALLBACK (oa_on_finished), answer);
  soup_server_message_pause (msg);
  answer->source = tb_fake_after (answer->knobs.first_byte_ms, oa_answer_now, answer);
}

void
tb_fake_stt_register (SoupServer *server)
{
  soup_server_add_handler (server, "/v1/listen", dg_on_listen, NULL, NULL);
  soup_server_add_websocket_handler (server, "/v1/listen", NULL, NULL, dg_on_websocket, NULL,
                                     NULL);
  soup_server_add_handler (server, "/v1/audio/transcriptions", oa_on_transcriptions, NULL, NULL);
}
