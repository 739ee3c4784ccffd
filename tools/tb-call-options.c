/* tb-call-options.c — tb-call's command line: parsed, checked, and turned
 * into the settings of one call. The password is read from the environment
 * variable that --password-env names, and never printed. */
#define G_LOG_DOMAIN "tb-call"

#include "tb-call.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_RTP_FIRST 10000   /* apart from the daemon's default, 20000-29999 */
#define DEFAULT_RTP_LAST 19999
#define DTMF_KEYS "0123456789*#ABCD"
#define MAX_SECONDS (24 * 3600.0)

static gboolean
check_seconds (const char *option, double seconds, gboolean zero_ok, GError **error)
{
  if (isfinite (seconds) && (seconds > 0 || (zero_ok && seconds == 0)) && seconds <= MAX_SECONDS)
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "%s %g: expected seconds, %s 0 and at most %g", option, seconds,
               zero_ok ? "at least" : "more than", MAX_SECONDS);
  return FALSE;
}

/* --codec, repeated or with commas: the offer's codecs in that order. */
static gboolean
read_codecs (TbSoftphoneOptions *options, char **names, GError **error)
{
  guint n = 0;

  for (guint i = 0; names && names[i]; i++) {
    g_auto(GStrv) parts = g_strsplit (names[i], ",", -1);

    for (guint k = 0; parts[k]; k++) {
      const TbCodec *codec = tb_codec_find (g_strstrip (parts[k]), 8000);
      gboolean seen = FALSE;

      if (!codec) {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     "--codec %s: unknown codec (PCMU, PCMA or G722)", parts[k]);
        return FALSE;
      }
      for (guint j = 0; j < n; j++)
        seen |= options->codecs[j] == codec;
      if (!seen)
        options->codecs[n++] = codec;
    }
  }
  if (n == 0)
    for (const TbCodec *const *all = tb_codec_all (); *all; all++)
      options->codecs[n++] = *all;
  options->codecs[n] = NULL;
  for (guint i = 0; i < n; i++)
    options->payload_types[i] = options->codecs[i]->static_payload_type;
  return TRUE;
}

static gboolean
read_dtmf (TbSoftphoneOptions *options, const char *digits, const char *mode, GError **error)
{
  if (g_strcmp0 (mode, "info") == 0) {
    options->dtmf_mode = TB_SOFTPHONE_DTMF_INFO;
  } else if (mode && g_strcmp0 (mode, "rfc4733") != 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--dtmf-mode %s: expected rfc4733 or info", mode);
    return FALSE;
  }
  if (!digits)
    return TRUE;
  options->dtmf = g_ascii_strup (digits, -1);
  if (!*options->dtmf || strspn (options->dtmf, DTMF_KEYS) != strlen (options->dtmf)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--dtmf %s: expected DTMF keys (0-9, *, #, A-D)", digits);
    return FALSE;
  }
  return TRUE;
}

static gboolean
read_auth (TbSoftphoneOptions *options, const char *user, const char *variable, GError **error)
{
  const char *password;

  if (!user && !variable)
    return TRUE;
  if (!user || !variable) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "--auth-user and --password-env go together");
    return FALSE;
  }
  password = g_getenv (variable);
  if (!password) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "--password-env %s: that environment variable is not set", variable);
    return FALSE;
  }
  options->auth_user = g_strdup (user);
  options->password = g_strdup (password);
  return TRUE;
}

static gboolean
read_rtp_ports (TbSoftphoneOptions *options, const char *range, GError **error)
{
  guint first = 0, last = 0;
  char end;

  options->rtp_first = DEFAULT_RTP_FIRST;
  options->rtp_last = DEFAULT_RTP_LAST;
  if (!range)
    return TRUE;
  if (sscanf (range, "%u-%u%c", &first, &last, &end) != 2 || first < 1024 || first >= last ||
      last > 65535) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--rtp-ports %s: expected FIRST-LAST with 1024 <= FIRST < LAST <= 65535", range);
    return FALSE;
  }
  options->rtp_first = first;
  options->rtp_last = last;
  return TRUE;
}

static guint
to_ms (double seconds)
{
  return (guint) llround (seconds * 1000);
}

gboolean
tb_softphone_options_parse (TbSoftphoneOptions *options, int *argc, char ***argv,
                            GError **error)
{
  g_autofree char *from = NULL, *bind = NULL, *dtmf = NULL, *dtmf_mode = NULL;
  g_autofree char *auth_user = NULL, *password_env = NULL, *rtp_ports = NULL;
  g_auto(GStrv) codecs = NULL;
  double dtmf_at = 1.0, hangup_after = -1, answer_timeout = 30;
  const GOptionEntry entries[] = {
    { "play", 0, 0, G_OPTION_ARG_FILENAME, &options->play_path,
      "Send this audio file (any WAV) from the answer on", "FILE" },
    { "record", 0, 0, G_OPTION_ARG_FILENAME, &options->record_path,
      "Write what is heard to this WAV file (16 kHz mono)", "FILE" },
    { "dtmf", 0, 0, G_OPTION_ARG_STRING, &dtmf, "Press these keys (0-9, *, #, A-D)", "DIGITS" },
    { "dtmf-at", 0, 0, G_OPTION_ARG_DOUBLE, &dtmf_at,
      "Seconds after the answer to press them (default 1.0)", "SECONDS" },
    { "dtmf-mode", 0, 0, G_OPTION_ARG_STRING, &dtmf_mode,
      "rfc4733 (RTP events, default) or info (one SIP INFO per key)", "MODE" },
    { "hangup-after", 0, 0, G_OPTION_ARG_DOUBLE, &hangup_after,
      "Hang up this long after the answer (default: 3 s after the played audio, or 10 s)",
      "SECONDS" },
    { "answer-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &answer_timeout,
      "Cancel the call when it is not answered in time (default 30)", "SECONDS" },
    { "codec", 0, 0, G_OPTION_ARG_STRING_ARRAY, &codecs,
      "Offer only these codecs, in this order (PCMU, PCMA, G722; repeat or use commas)",
      "NAME" },
    { "from", 0, 0, G_OPTION_ARG_STRING, &from, "Caller's user name (default tb-call)", "USER" },
    { "bind", 0, 0, G_OPTION_ARG_STRING, &bind,
      "Local address for SIP and RTP (default 127.0.0.1)", "ADDRESS" },
    { "rtp-ports", 0, 0, G_OPTION_ARG_STRING, &rtp_ports,
      "Local RTP port range (default 10000-19999)", "FIRST-LAST" },
    { "auth-user", 0, 0, G_OPTION_ARG_STRING, &auth_user,
      "User name for digest challenges (401/407)", "USER" },
    { "password-env", 0, 0, G_OPTION_ARG_STRING, &password_env,
      "Environment variable that holds the password", "VAR" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &options->verbose,
      "Log what happens on stderr, sofia-sip's messages included", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("sip:USER@HOST[:PORT]");

  g_option_context_set_summary (context,
    "Calls a SIP URI, plays a file, records what it hears, presses keys, hangs up, and prints\n"
    "one JSON object with the call's status, timings and response times.");
  g_option_context_set_description (context,
    "Exit status: 0 when the call was answered and ended normally, 1 when it was not,\n"
    "2 for bad arguments.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (*argc != 2 || !g_str_has_prefix ((*argv)[1], "sip:")) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "expected one sip: URI to call (see --help)");
    return FALSE;
  }
  options->target = g_strdup ((*argv)[1]);
  options->from_user = g_strdup (from ? from : "tb-call");
  options->bind_host = g_strdup (bind ? bind : "127.0.0.1");
  if (!check_seconds ("--dtmf-at", dtmf_at, TRUE, error) ||
      !check_seconds ("--answer-timeout", answer_timeout, FALSE, error) ||
      (hangup_after != -1 && !check_seconds ("--hangup-after", hangup_after, FALSE, error)) ||
      !read_codecs (options, codecs, error) || !read_dtmf (options, dtmf, dtmf_mode, error) ||
      !read_auth (options, auth_user, password_env, error) ||
      !read_rtp_ports (options, rtp_ports, error))
    return FALSE;
  options->dtmf_at_ms = to_ms (dtmf_at);
  options->answer_timeout_ms = to_ms (answer_timeout);
  options->hangup_after_ms = hangup_after == -1 ? -1 : (gint64) to_ms (hangup_after);
  return TRUE;
}

void
tb_softphone_options_clear (TbSoftphoneOptions *options)
{
  g_free (options->target);
  g_free (options->from_user);
  g_free (options->bind_host);
  g_free (options->play_path);
  g_free (options->record_path);
  g_free (options->dtmf);
  g_free (options->auth_user);
  if (options->password)
    memset (options->password, 0, strlen (options->password));
  g_free (options->password);
  memset (options, 0, sizeof *options);
}
