/* tbctl.c — the command line of the Talkingbits Web API: options, the
 * commands' names, and main(). The commands are in tbctl-catalog.c and
 * tbctl-calls.c, the requests in tbctl-http.c. */
#define G_LOG_DOMAIN "tbctl"

#include "tbctl.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_URL "http://127.0.0.1:8080"

static const char commands_help[] =
  "Commands:\n"
  "  agents  list | show NAME | create [NAME] | update NAME | delete NAME\n"
  "  numbers list | show NUMBER | create [NUMBER] | update NUMBER | delete NUMBER\n"
  "  tools   list | show NAME | create [NAME] | update NAME | delete NAME\n"
  "  calls   list [--agent A] [--number N] [--direction D] [--since DATE] [--until DATE]\n"
  "                [--end-reason R] [--limit N] [--offset N]\n"
  "  calls   show ID          the transcript, latencies and tool invocations\n"
  "  calls   hangup ID        hangs up a live call\n"
  "  call NUMBER --agent NAME [--trunk T] [--caller-id ID]   places an outbound call\n"
  "  stats   [--since DATE] [--until DATE] [--agent A]        calls and latencies per agent\n"
  "  providers                the provider plugins\n"
  "  trunks                   the SIP trunks and their registration\n"
  "\n"
  "create and update take the fields as --set KEY=VALUE (repeatable), --data JSON and/or\n"
  "--file FILE.json (later ones win). A VALUE that is JSON is taken as JSON (800, true,\n"
  "[\"a\",\"b\"], {...}, \"quoted\"), anything else as a string; lists are JSON arrays\n"
  "(--set 'tools=[\"book\",\"hours\"]'); a dotted KEY sets a member inside an object\n"
  "(--set stt_options.pocketsphinx.model=en). update changes only the fields given.\n"
  "\n"
  "DATE: 2026-11-24 or 2026-11-24T10:00:00+01:00.\n"
  "The API's URL and token come from --url/--token or TALKINGBITS_URL and\n"
  "TALKINGBITS_API_TOKEN (default " DEFAULT_URL "); prefer the variable for the token.\n"
  "Tables are for people; --json prints the API's JSON for scripts.\n"
  "Exit status: 0 done, 1 the API refused or cannot be reached, 2 a wrong command line.";

int
tbctl_usage_error (const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("tbctl: %s (tbctl --help lists the commands)\n", message);
  return TBCTL_EXIT_USAGE;
}

gboolean
tbctl_options_allowed (Tbctl *t, const char *command, guint allowed)
{
  const TbctlOptions *o = t->options;
  const struct { guint flag; gboolean given; const char *name; } options[] = {
    { TBCTL_OPT_AGENT, o->agent != NULL, "--agent" },
    { TBCTL_OPT_NUMBER, o->number != NULL, "--number" },
    { TBCTL_OPT_DIRECTION, o->direction != NULL, "--direction" },
    { TBCTL_OPT_END_REASON, o->end_reason != NULL, "--end-reason" },
    { TBCTL_OPT_SINCE, o->since != NULL, "--since" },
    { TBCTL_OPT_UNTIL, o->until != NULL, "--until" },
    { TBCTL_OPT_PAGE, o->limit >= 0, "--limit" },
    { TBCTL_OPT_PAGE, o->offset >= 0, "--offset" },
    { TBCTL_OPT_TRUNK, o->trunk != NULL, "--trunk" },
    { TBCTL_OPT_TRUNK, o->caller_id != NULL, "--caller-id" },
    { TBCTL_OPT_BODY, o->set != NULL, "--set" },
    { TBCTL_OPT_BODY, o->file != NULL, "--file" },
    { TBCTL_OPT_BODY, o->data != NULL, "--data" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    if (options[i].given && !(allowed & options[i].flag)) {
      tbctl_usage_error ("%s does not apply to '%s'", options[i].name, command);
      return FALSE;
    }
  return TRUE;
}

static void
options_clear (TbctlOptions *o)
{
  char **strings[] = { &o->url, &o->token, &o->agent, &o->number, &o->direction,
                       &o->end_reason, &o->since, &o->until, &o->trunk, &o->caller_id,
                       &o->file, &o->data };

  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    g_clear_pointer (strings[i], g_free);
  g_clear_pointer (&o->set, g_strfreev);
}

static int
run (Tbctl *t, char **words)
{
  const char *command = words[0];
  char **args = words + 1;

  if (g_str_equal (command, "agents") || g_str_equal (command, "numbers") ||
      g_str_equal (command, "tools"))
    return tbctl_catalog_run (t, command, args);
  if (g_str_equal (command, "calls"))
    return tbctl_calls_run (t, args);
  if (g_str_equal (command, "call"))
    return tbctl_call_run (t, args);
  if (g_str_equal (command, "stats"))
    return tbctl_stats_run (t, args);
  if (g_str_equal (command, "providers"))
    return tbctl_providers_run (t, args);
  if (g_str_equal (command, "trunks"))
    return tbctl_trunks_run (t, args);
  return tbctl_usage_error ("unknown command '%s'", command);
}

int
main (int argc, char **argv)
{
  TbctlOptions o = { .limit = -1, .offset = -1 };
  const GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &o.url,
      "The API's URL (TALKINGBITS_URL; default " DEFAULT_URL ")", "URL" },
    { "token", 0, 0, G_OPTION_ARG_STRING, &o.token,
      "The API's bearer token (better: TALKINGBITS_API_TOKEN)", "TOKEN" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, "Print the API's JSON, for scripts", NULL },
    { "agent", 0, 0, G_OPTION_ARG_STRING, &o.agent, "calls list, stats: of this agent; "
      "call: the agent that calls", "NAME" },
    { "number", 0, 0, G_OPTION_ARG_STRING, &o.number, "calls list: from or to this number",
      "NUMBER" },
    { "direction", 0, 0, G_OPTION_ARG_STRING, &o.direction, "calls list: inbound or outbound",
      "DIRECTION" },
    { "end-reason", 0, 0, G_OPTION_ARG_STRING, &o.end_reason, "calls list: calls that ended so",
      "REASON" },
    { "since", 0, 0, G_OPTION_ARG_STRING, &o.since, "calls list, stats: from", "DATE" },
    { "until", 0, 0, G_OPTION_ARG_STRING, &o.until, "calls list, stats: until", "DATE" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &o.limit, "calls list: at most N calls (1-500; 50)",
      "N" },
    { "offset", 0, 0, G_OPTION_ARG_INT, &o.offset, "calls list: skip N calls", "N" },
    { "trunk", 0, 0, G_OPTION_ARG_STRING, &o.trunk, "call: through this trunk", "NAME" },
    { "caller-id", 0, 0, G_OPTION_ARG_STRING, &o.caller_id, "call: the caller ID", "ID" },
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &o.set,
      "create, update: a field (repeatable)", "KEY=VALUE" },
    { "data", 'd', 0, G_OPTION_ARG_STRING, &o.data, "create, update: fields as a JSON object",
      "JSON" },
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &o.file,
      "create, update: fields from a JSON file", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("COMMAND [ARGUMENTS]");
  g_autoptr(GError) error = NULL;
  Tbctl t = { .options = &o };
  int status;

  g_option_context_set_summary (context, "Manage a Talkingbits server through its Web API.");
  g_option_context_set_description (context, commands_help);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return tbctl_usage_error ("%s", error->message);
  if (argc < 2) {
    g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

    g_printerr ("%s", help);
    return TBCTL_EXIT_USAGE;
  }
  if (!o.url)
    o.url = g_strdup (g_getenv ("TALKINGBITS_URL") && *g_getenv ("TALKINGBITS_URL")
                        ? g_getenv ("TALKINGBITS_URL") : DEFAULT_URL);
  if (!o.token && g_getenv ("TALKINGBITS_API_TOKEN") && *g_getenv ("TALKINGBITS_API_TOKEN"))
    o.token = g_strdup (g_getenv ("TALKINGBITS_API_TOKEN"));
  t.session = soup_session_new_with_options ("timeout", 30, "user-agent", "tbctl", NULL);
  status = run (&t, argv + 1);
  g_object_unref (t.session);
  options_clear (&o);
  return status;
}
