/* fake.h — tb-fake-cloud: one libsoup server that speaks the cloud
 * providers' wire protocols over loopback, so the real plugin code is
 * tested against them. Each protocol is a route file registering its
 * handlers; this header is what they share with fake-main.c.
 *
 *   tb-fake-cloud --api-key KEY [--port N]
 *
 * prints "listening on http://127.0.0.1:PORT" on stdout once it serves.
 * Every provider route checks the API key the way the provider does (a
 * wrong or missing key gets the provider's own 401) and records what is
 * wrong with a request as a violation.
 *
 * Control routes (JSON in, JSON out), used by the tests:
 *   POST /_fake/knobs   {"route":"llm","first_byte_ms":..,"chunk_ms":..,
 *                        "status":..,"retry_after_s":..,"drop_after":..,
 *                        "malformed_at":..,"stall":true,"times":..}
 *                       sets a route's knobs (fields left out: defaults)
 *   POST /_fake/script  {"route":"llm","items":[...]} what the route says,
 *                       item by item (each route documents its items)
 *   GET  /_fake/log     {"requests":[{"route","method","path","summary"}],
 *                        "violations":["route: what was wrong", ...]}
 *   POST /_fake/reset   knobs, scripts and the log back to their start */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  guint first_byte_ms;  /* delay before the status line                    */
  guint chunk_ms;       /* delay between chunks/frames of a streamed answer */
  guint status;         /* != 0: this HTTP status with the provider's error */
  guint retry_after_s;  /* with status 429: the Retry-After header          */
  int drop_after;       /* chunks/frames sent, then the connection is cut; -1 never */
  int malformed_at;     /* index of the chunk/frame sent malformed; -1 never */
  gboolean stall;       /* never answer (until the client gives up)         */
  int times;            /* requests the faults above apply to; -1: all      */
} TbFakeKnobs;

typedef struct {
  const char *name;     /* "llm", "stt-deepgram", "stt-openai", "tts-elevenlabs",
                           "tts-openai", "tts-google" */
  TbFakeKnobs knobs;
  JsonArray *script;    /* set by /_fake/script, or NULL */
  guint script_next;
} TbFakeRoute;

/* The route named @name (made on first use, with default knobs). */
TbFakeRoute *tb_fake_route (const char *name);

/* Whether this request gets the route's faults (status, drop, malformed,
 * stall): TRUE while knobs.times is -1 or > 0, which it counts down. The
 * delays (first_byte_ms, chunk_ms) apply to every request. */
gboolean tb_fake_route_take_fault (TbFakeRoute *route);

/* Whether a streamed answer goes out whole, in one write: no time asked
 * between its chunks, and none of them to be cut or spoilt (@fault: the
 * request gets the faults), as a server with the whole answer ready
 * writes it, not a chunk per pass of its loop. */
gboolean tb_fake_knobs_at_once (const TbFakeKnobs *knobs, gboolean fault);

/* The next script item (borrowed), or NULL when the script is used up or
 * there is none. */
JsonNode *tb_fake_route_next_item (TbFakeRoute *route);

/* Records a request in the log with @summary (taken; may be NULL). */
void tb_fake_log_request (TbFakeRoute *route, SoupServerMessage *msg, JsonObject *summary);

/* Records a violation: what the client sent that the provider would not
 * accept. */
void tb_fake_violation (TbFakeRoute *route, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* The expected API key (--api-key). */
const char *tb_fake_api_key (void);

/* Checks request header @header against @prefix + the API key; records a
 * violation and returns FALSE when it is missing or wrong. */
gboolean tb_fake_check_key (TbFakeRoute *route, SoupServerMessage *msg, const char *header,
                            const char *prefix);

/* Calls @func (@data) after @ms on the default context (at once from an
 * idle when 0). */
guint tb_fake_after (guint ms, GSourceFunc func, gpointer data);

/* @ms of a 440 Hz tone at @rate, signed 16-bit little-endian mono. */
GBytes *tb_fake_tone (guint rate, guint ms);

/* ---- shared by the route files (fake-util.c) ---------------------------- */

/* The request's body as a JSON object (held by @parser), or NULL. */
JsonObject *tb_fake_request_object (SoupServerMessage *msg, JsonParser *parser);

/* Answers @status with @node as application/json. */
void tb_fake_reply_json (SoupServerMessage *msg, guint status, JsonNode *node);

/* The Retry-After header of the answer: @seconds (none when 0). */
void tb_fake_set_retry_after (SoupServerMessage *msg, guint seconds);

/* OpenAI's error body: {"error": {"message", "type", "param", "code"}},
 * param and code null when NULL. */
JsonNode *tb_fake_openai_error (const char *message, const char *type, const char *param,
                                const char *code);

/* Answers @status with OpenAI's error body and x-request-id @request_id. */
void tb_fake_openai_reply_error (SoupServerMessage *msg, guint status, const char *request_id,
                                 const char *message, const char *type, const char *param,
                                 const char *code);

/* What OpenAI answers for the status knob (429: with Retry-After), for a
 * request for @model. */
void tb_fake_openai_reply_status (SoupServerMessage *msg, const TbFakeKnobs *knobs,
                                  const char *request_id, const char *model);

/* Cuts @msg's connection under it: the client sees its answer end where
 * it is, without a proper end. */
void tb_fake_cut_connection (SoupServerMessage *msg);

/* A 200 streamed chunk by chunk as the knobs say: first_byte_ms before the
 * status line, chunk_ms between chunks; with the request's faults, stall
 * (no status line ever), status (@reply_status answers it), drop_after
 * (that many chunks written, then the connection is cut) and malformed_at
 * (that chunk is @malformed instead). */
typedef struct {
  void (*reply_status) (SoupServerMessage *msg, const TbFakeKnobs *knobs, gpointer data);
  /* The body's chunks (GBytes) once the status line is due; sets the
   * answer's headers (content type and the provider's own). */
  GPtrArray *(*answer) (SoupServerMessage *msg, gpointer data);
  const char *malformed;
} TbFakeStreamClass;

/* Answers @msg as @klass says; @fault: whether the knobs' faults apply
 * (tb_fake_route_take_fault). @data is freed with @destroy when the
 * answer is over. */
void tb_fake_stream_start (SoupServerMessage *msg, TbFakeRoute *route, gboolean fault,
                           const TbFakeStreamClass *klass, gpointer data,
                           GDestroyNotify destroy);

/* The route files. */
void tb_fake_llm_register (SoupServer *server);
void tb_fake_deepgram_register (SoupServer *server);
void tb_fake_transcriptions_register (SoupServer *server);
void tb_fake_tts_register (SoupServer *server);
void tb_fake_webhook_register (SoupServer *server);

G_END_DECLS
