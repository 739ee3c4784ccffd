/* call-control.c — tool plugin "call-control": functions that let the
 * language model act on the phone call itself. end_call hangs up,
 * transfer_call transfers the caller (REFER), send_dtmf presses keys, and
 * current_time tells the time. Each answers with a "call" object that the
 * host carries out once the reply has been spoken (see TbToolCallbacks). */
#define G_LOG_DOMAIN "tb-tool-call-control"

#include <talkingbits-plugin.h>
#include <string.h>

#include "clock-time.h"
#include "tool-args.h"
#include "tool-reply.h"

#define MAX_DTMF_DIGITS 64
#define MAX_TARGET_LENGTH 256

typedef struct {
  char *default_timezone;
  char **allowed_targets;  /* NULL: any; else normalised targets or PREFIX* */
  GArray *functions;       /* TbToolFunction, NULL-name terminated */
} CallControl;

typedef char *(*Handler) (CallControl *cc, const char *function,
                          const char *arguments_json, GError **error);

static char *end_call (CallControl *, const char *, const char *, GError **);
static char *transfer_call (CallControl *, const char *, const char *, GError **);
static char *send_dtmf (CallControl *, const char *, const char *, GError **);
static char *current_time (CallControl *, const char *, const char *, GError **);

static const TbToolFunction end_call_function = {
  "end_call",
  "Ends the phone call once your reply has been spoken. Use it when the caller says "
  "goodbye or the conversation is over.",
  "{\"type\":\"object\",\"properties\":{},\"required\":[],\"additionalProperties\":false}",
};

static const TbToolFunction transfer_call_function = {
  "transfer_call",
  "Transfers the caller to another phone number once your reply has been spoken "
  "(a blind transfer: you leave the call).",
  "{\"type\":\"object\",\"properties\":{\"number\":{\"type\":\"string\","
  "\"description\":\"Phone number to transfer to, such as +15550100, or a sip: URI\"}},"
  "\"required\":[\"number\"],\"additionalProperties\":false}",
};

static const TbToolFunction send_dtmf_function = {
  "send_dtmf",
  "Presses telephone keys (DTMF tones) on the call once your reply has been spoken, "
  "for example to choose an option in a phone menu.",
  "{\"type\":\"object\",\"properties\":{\"digits\":{\"type\":\"string\","
  "\"pattern\":\"^[0-9*#A-D]{1,64}$\","
  "\"description\":\"Keys to press, in order: 0-9, *, # and A-D\"}},"
  "\"required\":[\"digits\"],\"additionalProperties\":false}",
};

static const struct {
  const TbToolFunction *function;
  Handler handler;
} builtins[] = {
  { &end_call_function, end_call },
  { &transfer_call_function, transfer_call },
  { &send_dtmf_function, send_dtmf },
  { &tb_clock_current_time_function, current_time },
};

static const TbConfigKey call_control_keys[] = {
  { .name = "functions", .type = TB_CONFIG_TYPE_STRING_LIST,
    .default_value = "end_call;transfer_call;send_dtmf;current_time",
    .help = "Functions offered to the language model, from end_call, transfer_call, "
            "send_dtmf and current_time" },
  { .name = "allowed-numbers", .type = TB_CONFIG_TYPE_STRING_LIST,
    .help = "Numbers or sip: URIs transfer_call may transfer to; a trailing * allows every "
            "number that starts with what precedes it (+1555*); unset: any, empty: none" },
  TB_CLOCK_DEFAULT_TIMEZONE_KEY,
  { NULL }
};

static int
find_builtin (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (builtins); i++)
    if (g_strcmp0 (builtins[i].function->name, name) == 0)
      return i;
  return -1;
}

/* A number without the spaces, dashes, dots and brackets people write in
 * it; a sip: or sips: URI as it is. NULL when it is neither. */
static char *
normalise_target (const char *target)
{
  g_autoptr(GString) number = g_string_new (NULL);

  if (g_str_has_prefix (target, "sip:") || g_str_has_prefix (target, "sips:")) {
    if (strlen (target) > MAX_TARGET_LENGTH || strchr (target, ':')[1] == '\0')
      return NULL;
    for (const char *p = target; *p; p++)
      if (!g_ascii_isgraph (*p))
        return NULL;
    return g_strdup (target);
  }
  for (const char *p = target; *p; p++) {
    if (g_ascii_isdigit (*p) || (*p == '+' && number->len == 0))
      g_string_append_c (number, *p);
    else if (!strchr (" -.()", *p))
      return NULL;
  }
  if (number->len == 0 || number->str[number->len - 1] == '+' || number->len > 32)
    return NULL;
  return g_string_free (g_steal_pointer (&number), FALSE);
}

static gboolean
target_allowed (CallControl *cc, const char *target)
{
  if (!cc->allowed_targets)
    return TRUE;
  for (guint i = 0; cc->allowed_targets[i]; i++) {
    const char *allowed = cc->allowed_targets[i];
    gsize len = strlen (allowed);

    if ((allowed[len - 1] == '*') ? strncmp (target, allowed, len - 1) == 0
                                  : strcmp (target, allowed) == 0)
      return TRUE;
  }
  return FALSE;
}

/* {"ok":true,"call":{"action":ACTION[,KEY:VALUE]}} */
static char *
call_result (const char *action, const char *key, const char *value)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "call");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "action");
  json_builder_add_string_value (builder, action);
  if (key) {
    json_builder_set_member_name (builder, key);
    json_builder_add_string_value (builder, value);
  }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* The required string argument @name, or NULL with @error set. */
static char *
required_string (const char *function, const char *arguments_json, const char *name,
                 GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  JsonObject *args = tb_tool_args_parse (parser, function, arguments_json, error);
  const char *value;

  if (!args)
    return NULL;
  value = tb_tool_args_get_string (args, function, name, &local_error);
  if (local_error) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return NULL;
  }
  if (!value || !*value) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "%s: argument '%s' is required", function, name);
    return NULL;
  }
  return g_strdup (value);
}

static char *
end_call (CallControl *cc, const char *function, const char *arguments_json, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!tb_tool_args_parse (parser, function, arguments_json, error))
    return NULL;
  return call_result ("hangup", NULL, NULL);
}

static char *
transfer_call (CallControl *cc, const char *function, const char *arguments_json,
               GError **error)
{
  g_autofree char *number = required_string (function, arguments_json, "number", error);
  g_autofree char *target = NULL;

  if (!number)
    return NULL;
  target = normalise_target (number);
  if (!target) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "%s: '%s' is not a phone number or a sip: URI", function, number);
    return NULL;
  }
  if (!target_allowed (cc, target)) {
    g_message ("transfer to %s refused: not in allowed-numbers", target);
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "%s: transfers to %s are not allowed", function, target);
    return NULL;
  }
  return call_result ("transfer", "target", target);
}

static char *
send_dtmf (CallControl *cc, const char *function, const char *arguments_json, GError **error)
{
  g_autofree char *digits = required_string (function, arguments_json, "digits", error);

  if (!digits)
    return NULL;
  if (strlen (digits) > MAX_DTMF_DIGITS ||
      strspn (digits, "0123456789*#ABCD") != strlen (digits)) {
    g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "%s: digits must be 1 to %d of 0-9, *, # and A-D, not '%s'",
                 function, MAX_DTMF_DIGITS, digits);
    return NULL;
  }
  return call_result ("dtmf", "digits", digits);
}

static char *
current_time (CallControl *cc, const char *function, const char *arguments_json,
              GError **error)
{
  return tb_clock_current_time (cc->default_timezone, arguments_json, error);
}

static void
call_control_instance_free (gpointer instance)
{
  CallControl *cc = instance;

  g_free (cc->default_timezone);
  g_strfreev (cc->allowed_targets);
  g_array_unref (cc->functions);
  g_free (cc);
}

static gboolean
read_allowed (CallControl *cc, GVariant *settings, GError **error)
{
  g_autofree const char **entries = NULL;
  g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func (g_free);

  if (!g_variant_lookup (settings, "allowed-numbers", "^a&s", &entries))
    return TRUE;
  for (guint i = 0; entries[i]; i++) {
    gsize len = strlen (entries[i]);
    gboolean prefix = len > 0 && entries[i][len - 1] == '*';
    g_autofree char *stem = g_strndup (entries[i], prefix ? len - 1 : len);
    g_autofree char *target = normalise_target (stem);

    /* A lone * is refused too: leaving the key unset is how to allow any. */
    if (!target) {
      g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                   "allowed-numbers: '%s' is not a phone number, a number prefix ending "
                   "in * or a sip: URI", entries[i]);
      return FALSE;
    }
    g_ptr_array_add (targets, prefix ? g_strconcat (target, "*", NULL) : g_strdup (target));
  }
  g_ptr_array_add (targets, NULL);
  cc->allowed_targets = (char **) g_ptr_array_steal (targets, NULL);
  return TRUE;
}

static gboolean
offered (CallControl *cc, const char *name)
{
  for (guint i = 0; i < cc->functions->len; i++)
    if (g_strcmp0 (g_array_index (cc->functions, TbToolFunction, i).name, name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
read_functions (CallControl *cc, GVariant *settings, GError **error)
{
  g_autofree const char **names = NULL;
  TbToolFunction end = { NULL };

  g_variant_lookup (settings, "functions", "^a&s", &names);
  for (guint i = 0; names && names[i]; i++) {
    int index = find_builtin (names[i]);

    if (index < 0) {
      g_set_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG,
                   "functions: no function '%s' (there are end_call, transfer_call, "
                   "send_dtmf and current_time)", names[i]);
      return FALSE;
    }
    if (!offered (cc, names[i]))
      g_array_append_val (cc->functions, *builtins[index].function);
  }
  g_array_append_val (cc->functions, end);
  return TRUE;
}

static gpointer
call_control_instance_new (const TbHost *host, GVariant *settings, GError **error)
{
  CallControl *cc = g_new0 (CallControl, 1);
  const char *zone = NULL;

  cc->functions = g_array_new (FALSE, TRUE, sizeof (TbToolFunction));
  g_variant_lookup (settings, "default-timezone", "&s", &zone);
  if (!tb_clock_check_default_zone (zone, error) ||
      !read_allowed (cc, settings, error) ||
      !read_functions (cc, settings, error)) {
    call_control_instance_free (cc);
    return NULL;
  }
  cc->default_timezone = g_strdup (zone);
  return cc;
}

static const TbToolFunction *
call_control_functions (gpointer instance)
{
  return (const TbToolFunction *) ((CallControl *) instance)->functions->data;
}

static void
call_control_invoke (gpointer instance, const TbToolInvocation *invocation,
                     const TbToolCallbacks *callbacks, gpointer user_data,
                     GCancellable *cancellable)
{
  CallControl *cc = instance;
  int index = find_builtin (invocation->function);
  GError *error = NULL;
  char *result = NULL;

  if (index < 0 || !offered (cc, invocation->function))
    g_set_error (&error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_FAILED,
                 "no function '%s' in the call-control tool", invocation->function);
  else
    result = builtins[index].handler (cc, invocation->function, invocation->arguments_json,
                                      &error);
  tb_tool_reply_later (callbacks, user_data, cancellable, result, error);
}

static const TbToolVTable call_control_vtable = {
  .version = TB_TOOL_VTABLE_VERSION,
  .functions = call_control_functions,
  .invoke = call_control_invoke,
};

static const TbPluginDesc call_control_desc = {
  TB_PLUGIN_DESC_HEADER,
  .kind = TB_PLUGIN_KIND_TOOL,
  .name = "call-control",
  .version = "0.1.0",
  .description = "Lets the agent hang up, transfer the call, press keys and tell the time",
  .license = "LGPL-2.1-or-later",
  .config_keys = call_control_keys,
  .instance_new = call_control_instance_new,
  .instance_free = call_control_instance_free,
  .vtable = &call_control_vtable,
};

TB_PLUGIN_DEFINE (call_control_desc)
