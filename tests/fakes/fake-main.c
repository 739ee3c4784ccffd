/* fake-main.c — tb-fake-cloud's server, its routes' shared state, the
 * control routes and main(). See fake.h. */
#include "fake.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static GHashTable *routes;      /* name -> TbFakeRoute * */
static JsonArray *log_requests;
static JsonArray *log_violations;
static char *api_key;

static void
knobs_default (TbFakeKnobs *knobs)
{
  *knobs = (TbFakeKnobs) { .drop_after = -1, .malformed_at = -1, .times = -1 };
}

static void
route_free (TbFakeRoute *route)
{
  g_clear_pointer (&route->script, json_array_unref);
  g_free ((char *) route->name);
  g_free (route);
}

TbFakeRoute *
tb_fake_route (const char *name)
{
  TbFakeRoute *route = g_hash_table_lookup (routes, name);

  if (!route) {
    route = g_new0 (TbFakeRoute, 1);
    route->name = g_strdup (name);
    knobs_default (&route->knobs);
    g_hash_table_insert (routes, (char *) route->name, route);
  }
  return route;
}

gboolean
tb_fake_route_take_fault (TbFakeRoute *route)
{
  if (route->knobs.times == 0)
    return FALSE;
  if (route->knobs.times > 0)
    route->knobs.times--;
  return TRUE;
}

gboolean
tb_fake_knobs_at_once (const TbFakeKnobs *knobs, gboolean fault)
{
  return knobs->chunk_ms == 0 && !(fault && (knobs->drop_after >= 0 || knobs->malformed_at >= 0));
}

JsonNode *
tb_fake_route_next_item (TbFakeRoute *route)
{
  if (!route->script || route->script_next >= json_array_get_length (route->script))
    return NULL;
  return json_array_get_element (route->script, route->script_next++);
}

void
tb_fake_log_request (TbFakeRoute *route, SoupServerMessage *msg, JsonObject *summary)
{
  JsonObject *entry = json_object_new ();
  GUri *uri = soup_server_message_get_uri (msg);

  json_object_set_string_member (entry, "route", route->name);
  json_object_set_string_member (entry, "method", soup_server_message_get_method (msg));
  json_object_set_string_member (entry, "path", g_uri_get_path (uri));
  if (g_uri_get_query (uri))
    json_object_set_string_member (entry, "query", g_uri_get_query (uri));
  json_object_set_object_member (entry, "summary", summary ? summary : json_object_new ());
  json_array_add_object_element (log_requests, entry);
}

void
tb_fake_violation (TbFakeRoute *route, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("tb-fake-cloud: violation: %s: %s\n", route->name, text);
  json_array_add_string_element (log_violations,
                                 g_strdup_printf ("%s: %s", route->name, text));
}

const char *
tb_fake_api_key (void)
{
  return api_key;
}

gboolean
tb_fake_check_key (TbFakeRoute *route, SoupServerMessage *msg, const char *header,
                   const char *prefix)
{
  const char *value = soup_message_headers_get_one (
    soup_server_message_get_request_headers (msg), header);
  g_autofree char *expected = g_strconcat (prefix ? prefix : "", api_key, NULL);

  if (!value) {
    tb_fake_violation (route, "no %s header", header);
    return FALSE;
  }
  if (!g_str_equal (value, expected)) {
    tb_fake_violation (route, "%s header does not hold the API key as %s<key>", header,
                       prefix && *prefix ? prefix : "");
    return FALSE;
  }
  return TRUE;
}

guint
tb_fake_after (guint ms, GSourceFunc func, gpointer data)
{
  return ms ? g_timeout_add (ms, func, data) : g_idle_add (func, data);
}

GBytes *
tb_fake_tone (guint rate, guint ms)
{
  gsize n = (gsize) rate * ms / 1000;
  gint16 *samples = g_new (gint16, n);

  for (gsize i = 0; i < n; i++)
    samples[i] = GINT16_TO_LE ((gint16) (8000 * sin (2 * G_PI * 440.0 * i / rate)));
  return g_bytes_new_take (samples, n * sizeof (gint16));
}

/* ---- control routes ------------------------------------------------------ */

/* {"error": @message}, or {"ok": @message} with status 200. */
static void
reply_error (SoupServerMessage *msg, guint status, const char *message)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, status == SOUP_STATUS_OK ? "ok" : "error", message);
  json_node_take_object (node, object);
  tb_fake_reply_json (msg, status, node);
}

static gboolean
set_knobs (TbFakeRoute *route, JsonObject *object, char **problem)
{
  TbFakeKnobs knobs;
  const struct { const char *name; int *field; } ints[] = {
    { "drop_after", &knobs.drop_after }, { "malformed_at", &knobs.malformed_at },
    { "times", &knobs.times },
  };
  const struct { const char *name; guint *field; } uints[] = {
    { "first_byte_ms", &knobs.first_byte_ms }, { "chunk_ms", &knobs.chunk_ms },
    { "status", &knobs.status }, { "retry_after_s", &knobs.retry_after_s },
  };
  g_autoptr(GList) members = json_object_get_members (object);

  knobs_default (&knobs);
  for (GList *l = members; l; l = l->next) {
    const char *name = l->data;
    gboolean known = g_str_equal (name, "route");

    for (guint i = 0; i < G_N_ELEMENTS (ints); i++)
      if (g_str_equal (name, ints[i].name)) {
        *ints[i].field = json_object_get_int_member (object, name);
        known = TRUE;
      }
    for (guint i = 0; i < G_N_ELEMENTS (uints); i++)
      if (g_str_equal (name, uints[i].name)) {
        *uints[i].field = json_object_get_int_member (object, name);
        known = TRUE;
      }
    if (g_str_equal (name, "stall")) {
      knobs.stall = json_object_get_boolean_member (object, name);
      known = TRUE;
    }
    if (!known) {
      *problem = g_strdup_printf ("unknown knob %s", name);
      return FALSE;
    }
  }
  route->knobs = knobs;
  return TRUE;
}

static void
reset (void)
{
  g_hash_table_remove_all (routes);
  g_clear_pointer (&log_requests, json_array_unref);
  g_clear_pointer (&log_violations, json_array_unref);
  log_requests = json_array_new ();
  log_violations = json_array_new ();
}

static void
on_control (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
            gpointer data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *problem = NULL;
  JsonObject *object;
  const char *route_name;

  if (g_str_equal (path, "/_fake/log")) {
    g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
    JsonObject *out = json_object_new ();

    json_object_set_array_member (out, "requests", json_array_ref (log_requests));
    json_object_set_array_member (out, "violations", json_array_ref (log_violations));
    json_node_take_object (node, out);
    tb_fake_reply_json (msg, SOUP_STATUS_OK, node);
    return;
  }
  if (g_str_equal (path, "/_fake/reset")) {
    reset ();
    reply_error (msg, SOUP_STATUS_OK, "reset");
    return;
  }
  object = tb_fake_request_object (msg, parser);
  route_name = object && json_object_has_member (object, "route")
               ? json_object_get_string_member (object, "route") : NULL;
  if (!route_name) {
    reply_error (msg, SOUP_STATUS_BAD_REQUEST, "a JSON object with \"route\" is expected");
    return;
  }
  if (g_str_equal (path, "/_fake/knobs")) {
    if (!set_knobs (tb_fake_route (route_name), object, &problem)) {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, problem);
      return;
    }
  } else if (g_str_equal (path, "/_fake/script")) {
    TbFakeRoute *route = tb_fake_route (route_name);
    JsonNode *items = json_object_get_member (object, "items");

    if (!items || !JSON_NODE_HOLDS_ARRAY (items)) {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "\"items\" must be an array");
      return;
    }
    g_clear_pointer (&route->script, json_array_unref);
    route->script = json_array_ref (json_node_get_array (items));
    route->script_next = 0;
  } else {
    reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such control route");
    return;
  }
  reply_error (msg, SOUP_STATUS_OK, "ok");
}

/* ---- main ------------------------------------------------------------------ */

/* Runs the main loop for good. With @batch_us > 0, a pass over the sources
 * happens at most that often: with hundreds of connections open, each
 * pass polls every socket, and a pass per message (a Deepgram stream
 * sends 50 a second) costs more than the messages; waiting lets one pass
 * take what came meanwhile, each message and timer up to @batch_us late. */
static void
run (gint64 batch_us)
{
  g_autoptr(GMainLoop) loop = NULL;

  if (batch_us <= 0) {
    loop = g_main_loop_new (NULL, FALSE);
    g_main_loop_run (loop);
    return;
  }
  for (;;) {
    gint64 start = g_get_monotonic_time ();
    gint64 left;

    /* What is ready, of every priority: a pass dispatches one. */
    g_main_context_iteration (NULL, TRUE);
    for (guint more = 0; more < 8 && g_main_context_iteration (NULL, FALSE); more++)
      ;
    left = batch_us - (g_get_monotonic_time () - start);
    if (left > 0)
      g_usleep (left);
  }
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- cloud providers' protocols");
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;
  g_autofree char *url = NULL;
  int port = 0;
  gint64 batch_us = 0;
  GOptionEntry entries[] = {
    { "api-key", 0, 0, G_OPTION_ARG_STRING, &api_key, "API key the routes expect", "KEY" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port on 127.0.0.1 (0: any free one)", "N" },
    { "batch-us", 0, 0, G_OPTION_ARG_INT64, &batch_us,
      "Wake up at most this often (µs; for hundreds of connections)", "US" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || !api_key) {
    g_printerr ("tb-fake-cloud: %s\n", error ? error->message : "--api-key is required");
    return 2;
  }
  routes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) route_free);
  reset ();

  server = soup_server_new ("server-header", "tb-fake-cloud", NULL);
  soup_server_add_handler (server, "/_fake", on_control, NULL, NULL);
  tb_fake_llm_register (server);
  tb_fake_deepgram_register (server);
  tb_fake_transcriptions_register (server);
  tb_fake_tts_register (server);
  tb_fake_webhook_register (server);
  if (!soup_server_listen_local (server, port, SOUP_SERVER_LISTEN_IPV4_ONLY, &error)) {
    g_printerr ("tb-fake-cloud: %s\n", error->message);
    return 1;
  }
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  printf ("listening on %s\n", url);
  fflush (stdout);

  run (batch_us);
  return 0;
}
