/* tbctl.h — what the parts of tbctl share: the command line's options,
 * the client (an HTTP session on the API's URL with its token) and the
 * exit statuses. Each command is a function of the client and the
 * command's words; it returns an exit status. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

enum {
  TBCTL_EXIT_OK = 0,
  TBCTL_EXIT_FAILED = 1,   /* the API refused, or cannot be reached */
  TBCTL_EXIT_USAGE = 2,    /* the command line is wrong             */
};

typedef struct {
  char *url;               /* --url, TALKINGBITS_URL, http://127.0.0.1:8080 */
  char *token;             /* --token, TALKINGBITS_API_TOKEN; NULL: none    */
  gboolean json;           /* --json: the API's JSON, for scripts           */
  /* Filters of calls list and stats, and call's options. */
  char *agent, *number, *direction, *end_reason, *since, *until, *trunk, *caller_id;
  int limit, offset;       /* -1: not given */
  /* Bodies of create and update. */
  char **set;
  char *file;
  char *data;
} TbctlOptions;

typedef struct {
  TbctlOptions *options;
  SoupSession *session;
} Tbctl;

/* The options a command takes, for tbctl_options_allowed(). */
typedef enum {
  TBCTL_OPT_AGENT = 1 << 0,
  TBCTL_OPT_NUMBER = 1 << 1,
  TBCTL_OPT_DIRECTION = 1 << 2,
  TBCTL_OPT_END_REASON = 1 << 3,
  TBCTL_OPT_SINCE = 1 << 4,
  TBCTL_OPT_UNTIL = 1 << 5,
  TBCTL_OPT_PAGE = 1 << 6,     /* --limit, --offset */
  TBCTL_OPT_TRUNK = 1 << 7,    /* --trunk, --caller-id */
  TBCTL_OPT_BODY = 1 << 8,     /* --set, --file, --data */
} TbctlOptionSet;

/* FALSE, after a usage error, when an option outside @allowed was given
 * to @command. */
gboolean tbctl_options_allowed (Tbctl *t, const char *command, guint allowed);

/* Prints "tbctl: MESSAGE" on stderr and returns TBCTL_EXIT_USAGE. */
int tbctl_usage_error (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* GET @path and print the objects of its array @list as a table of
 * their @members under @headers (or the JSON); @empty when there is none. */
int tbctl_list_print (Tbctl *t, const char *path, const char *list,
                      const char *const *headers, const char *const *members,
                      const char *empty);

/* The commands (tbctl-catalog.c, tbctl-calls.c). @args are the words
 * after the command's name. */
int tbctl_catalog_run (Tbctl *t, const char *kind, char **args);
int tbctl_providers_run (Tbctl *t, char **args);
int tbctl_calls_run (Tbctl *t, char **args);
int tbctl_call_run (Tbctl *t, char **args);
int tbctl_stats_run (Tbctl *t, char **args);
int tbctl_trunks_run (Tbctl *t, char **args);

G_END_DECLS
