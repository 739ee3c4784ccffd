/* fake-deepgram.c — route "stt-deepgram": Deepgram's live transcription
 * WebSocket,
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
 * sent), and once it is over "closed", "close_code" and "dropped". */
#define G_LOG_DOMAIN "tb-fake-cloud"

#include "fake.h"

#include <math.h>
#include <string.h>

#define DG_ROUTE "stt-deepgram"

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
  if (status == 429)
    tb_fake_set_retry_after (msg, retry_after_s);
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

/* {"name": model, "version": ..., "arch": model} as member @name. */
static void
add_model_info (JsonBuilder *builder, const char *name, DgConn *conn)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, conn->model);
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, DG_MODEL_VERSION);
  json_builder_set_member_name (builder, "arch");
  json_builder_add_string_value (builder, conn->model);
  json_builder_end_object (builder);
}

static void
add_metadata (JsonBuilder *builder, DgConn *conn)
{
  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "request_id");
  json_builder_add_string_value (builder, conn->request_id);
  add_model_info (builder, "model_info", conn);
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
  add_model_info (builder, uuid, conn);
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

void
tb_fake_deepgram_register (SoupServer *server)
{
  soup_server_add_handler (server, "/v1/listen", dg_on_listen, NULL, NULL);
  soup_server_add_websocket_handler (server, "/v1/listen", NULL, NULL, dg_on_websocket, NULL,
                                     NULL);
}
