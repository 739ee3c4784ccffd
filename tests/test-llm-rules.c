/* test-llm-rules.c — the "rules" LLM plugin (build/plugins/llm-rules.so)
 * loaded through the registry and configured through the host's settings
 * code: the demo receptionist's conversations turn by turn (hours, booking
 * over several turns and in one sentence, tool results and errors,
 * transfer, goodbye, keys pressed, fallback), tools the agent lacks,
 * streaming in several deltas with one terminal callback, cancellation,
 * phrases(), the slot parsers on many spellings, and rules files that are
 * refused with the file, line, group and key named. */
#include "plugin.h"
#include "settings.h"
#include "test-util.h"

#include <string.h>

/* A Tuesday. */
#define TODAY "2026-11-24"
#define DEMO_RULES TB_SOURCE_ROOT "/data/demo-rules.conf"

static char *plugin_dir;
static TbPluginRegistry *registry;
static const TbPluginDesc *desc;
static const TbLlmVTable *vtable;

static const TbLlmTool demo_tools[] = {
  { "book_appointment", "Books an appointment", "{\"type\":\"object\"}" },
  { "transfer_call", "Transfers the call", "{\"type\":\"object\"}" },
  { "end_call", "Hangs up", "{\"type\":\"object\"}" },
};

/* ---- the plugin -------------------------------------------------------- */

static void
load_plugin (void)
{
  g_autofree char *from = g_build_filename (TB_BUILD_ROOT, "plugins", "llm-rules.so", NULL);
  g_autofree char *to = NULL;
  g_autofree char *data = NULL;
  gsize len;
  g_autoptr(GError) error = NULL;
  const char *dirs[] = { NULL, NULL };
  g_autoptr(TbPluginScan) scan = NULL;
  const TbPlugin *plugin;

  plugin_dir = tb_test_plugin_dir_new (NULL);
  to = g_build_filename (plugin_dir, "llm-rules.so", NULL);
  g_file_get_contents (from, &data, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (to, data, len, &error);
  g_assert_no_error (error);
  dirs[0] = plugin_dir;
  registry = tb_plugin_registry_new (tb_test_host ());
  scan = tb_plugin_registry_scan (registry, dirs);
  g_assert_cmpuint (scan->skipped->len, ==, 0);
  plugin = tb_plugin_registry_lookup (registry, TB_PLUGIN_KIND_LLM, "rules");
  g_assert_nonnull (plugin);
  desc = plugin->desc;
  vtable = desc->vtable;
  g_assert_cmpuint (vtable->version, ==, 2);
}

/* An instance from the keys of an [llm:rules] group, checked by the host's
 * settings code as the daemon does; NULL with @error when refused. */
static gpointer
instance_new (const char *group_text, GError **error)
{
  g_autofree char *text = g_strconcat ("[llm:rules]\n", group_text, NULL);
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(TbProblems) problems = tb_problems_new ("test.conf", text);
  g_autoptr(GVariant) settings = NULL;
  g_autoptr(GError) local = NULL;

  g_key_file_load_from_data (keyfile, text, -1, G_KEY_FILE_NONE, &local);
  g_assert_no_error (local);
  settings = g_variant_ref_sink (tb_settings_from_group (keyfile, "llm:rules", desc->config_keys,
                                                         NULL, problems));
  if (!tb_problems_to_error (problems, error))
    return NULL;
  return desc->instance_new (tb_test_host (), settings, error);
}

static gpointer
demo_instance (void)
{
  g_autoptr(GError) error = NULL;
  gpointer instance = instance_new ("rules-file=" DEMO_RULES "\ntoday=" TODAY "\n", &error);

  g_assert_no_error (error);
  return instance;
}

/* An instance of rules @text (written to a temporary file). */
static gpointer
rules_instance (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tb-rules-XXXXXX", NULL);
  g_autofree char *path = tb_test_write_file (dir, "rules.conf", text);
  g_autofree char *group = g_strdup_printf ("rules-file=%s\ntoday=" TODAY "\n", path);
  gpointer instance = instance_new (group, &error);

  g_assert_no_error (error);
  tb_test_remove_tree (dir);
  return instance;
}

/* ---- conversations ----------------------------------------------------- */

typedef struct {
  GArray *messages;   /* TbLlmMessage */
  GPtrArray *keep;    /* what the messages point to */
} Conversation;

static Conversation *
conversation_new (void)
{
  Conversation *c = g_new0 (Conversation, 1);

  c->messages = g_array_new (FALSE, TRUE, sizeof (TbLlmMessage));
  c->keep = g_ptr_array_new_with_free_func (g_free);
  return c;
}

static void
conversation_free (Conversation *c)
{
  g_array_unref (c->messages);
  g_ptr_array_unref (c->keep);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Conversation, conversation_free)

static const char *
keep (Conversation *c, const char *text)
{
  char *copy = g_strdup (text);

  if (copy)
    g_ptr_array_add (c->keep, copy);
  return copy;
}

static void
add_message (Conversation *c, TbLlmRole role, const char *content, const char *tool_call_id,
             const TbLlmToolCall *call)
{
  TbLlmMessage message = { role, keep (c, content), keep (c, tool_call_id), NULL, 0 };

  if (call) {
    TbLlmToolCall *copy = g_new0 (TbLlmToolCall, 1);

    copy->id = keep (c, call->id);
    copy->name = keep (c, call->name);
    copy->arguments_json = keep (c, call->arguments_json);
    g_ptr_array_add (c->keep, copy);
    message.tool_calls = copy;
    message.n_tool_calls = 1;
  }
  g_array_append_val (c->messages, message);
}

/* What the callbacks of one chat() saw. */
typedef struct {
  GPtrArray *deltas;
  GString *text;
  char *call_id, *call_name, *call_arguments;
  guint calls, done, errors;
  GError *error;
  gboolean in_chat;
} Outcome;

static Outcome *
outcome_new (void)
{
  Outcome *o = g_new0 (Outcome, 1);

  o->deltas = g_ptr_array_new_with_free_func (g_free);
  o->text = g_string_new (NULL);
  return o;
}

static void
outcome_free (Outcome *o)
{
  g_ptr_array_unref (o->deltas);
  g_string_free (o->text, TRUE);
  g_free (o->call_id);
  g_free (o->call_name);
  g_free (o->call_arguments);
  g_clear_error (&o->error);
  g_free (o);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Outcome, outcome_free)

static void
check_callback (Outcome *o)
{
  /* Never from inside chat(), never after the terminal callback. */
  g_assert_false (o->in_chat);
  g_assert_cmpuint (o->done + o->errors, ==, 0);
}

static void
on_delta (const char *text, gpointer data)
{
  Outcome *o = data;

  check_callback (o);
  g_assert_cmpuint (o->calls, ==, 0);
  g_ptr_array_add (o->deltas, g_strdup (text));
  g_string_append (o->text, text);
}

static void
on_tool_call (const TbLlmToolCall *call, gpointer data)
{
  Outcome *o = data;

  check_callback (o);
  o->calls++;
  o->call_id = g_strdup (call->id);
  o->call_name = g_strdup (call->name);
  o->call_arguments = g_strdup (call->arguments_json);
}

static void
on_done (gpointer data)
{
  Outcome *o = data;

  check_callback (o);
  o->done++;
}

static void
on_error (const GError *error, gpointer data)
{
  Outcome *o = data;

  check_callback (o);
  o->errors++;
  o->error = g_error_copy (error);
}

static const TbLlmCallbacks callbacks = { on_delta, on_tool_call, on_done, on_error };

/* Starts chat() on a context of its own (as on a worker); @after_first,
 * when not NULL, is cancelled after the first delta. */
static Outcome *
run_chat (gpointer instance, Conversation *c, const TbLlmTool *tools, guint n_tools,
          GCancellable *cancellable, gboolean cancel_after_first)
{
  GMainContext *context = g_main_context_new ();
  TbLlmRequest request = { (const TbLlmMessage *) c->messages->data, c->messages->len,
                           tools, n_tools };
  Outcome *o = outcome_new ();
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_main_context_push_thread_default (context);
  o->in_chat = TRUE;
  vtable->chat (instance, &request, &callbacks, o, cancellable);
  o->in_chat = FALSE;
  while (o->done + o->errors == 0) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_main_context_iteration (context, TRUE);
    if (cancel_after_first && o->deltas->len == 1)
      g_cancellable_cancel (cancellable);
  }
  /* A second terminal callback would show up now. */
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (context, FALSE);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  g_assert_cmpuint (o->done + o->errors, ==, 1);
  return o;
}

/* The caller says @text; the reply is added to the conversation as the
 * engine adds it (text and tool call in one assistant message). */
static Outcome *
turn_with_tools (gpointer instance, Conversation *c, const char *text, const TbLlmTool *tools,
                 guint n_tools)
{
  Outcome *o;
  TbLlmToolCall call;

  add_message (c, TB_LLM_ROLE_USER, text, NULL, NULL);
  o = run_chat (instance, c, tools, n_tools, NULL, FALSE);
  g_assert_cmpuint (o->done, ==, 1);
  g_assert_cmpuint (o->calls, <=, 1);
  call = (TbLlmToolCall) { o->call_id, o->call_name, o->call_arguments };
  add_message (c, TB_LLM_ROLE_ASSISTANT, o->text->str, NULL, o->calls ? &call : NULL);
  return o;
}

static Outcome *
turn (gpointer instance, Conversation *c, const char *text)
{
  return turn_with_tools (instance, c, text, demo_tools, G_N_ELEMENTS (demo_tools));
}

/* The tool's result comes back for the last call. */
static Outcome *
tool_result (gpointer instance, Conversation *c, const char *call_id, const char *result)
{
  Outcome *o;

  add_message (c, TB_LLM_ROLE_TOOL, result, call_id, NULL);
  o = run_chat (instance, c, demo_tools, G_N_ELEMENTS (demo_tools), NULL, FALSE);
  g_assert_cmpuint (o->done, ==, 1);
  add_message (c, TB_LLM_ROLE_ASSISTANT, o->text->str, NULL, NULL);
  return o;
}

static void
assert_said (Outcome *o, const char *text)
{
  g_assert_cmpstr (o->text->str, ==, text);
  g_assert_cmpuint (o->calls, ==, 0);
}

static void
assert_call (Outcome *o, const char *name, const char *arguments)
{
  g_assert_cmpuint (o->calls, ==, 1);
  g_assert_cmpstr (o->call_name, ==, name);
  g_assert_cmpstr (o->call_arguments, ==, arguments);
  g_assert_nonnull (o->call_id);
}

#define HOURS "We are open Monday to Friday from 8 am to 6 pm, and on Saturday from 9 am " \
              "to 1 pm. We are closed on Sundays."
#define ASK_DAY "For which day would you like the appointment?"
#define RETRY_TIME "Sorry, at what time? For example, ten in the morning or half past two."
#define FALLBACK "Sorry, I did not catch that. I can tell you our opening hours, book an " \
                 "appointment, or put you through to a person."

/* ---- the demo receptionist --------------------------------------------- */

/* One turn of a scripted conversation: the caller says @user, or the
 * result of the last tool call (of @call_id when set) comes back; the
 * reply is @reply (unchecked when NULL) with the tool call @call, "NAME
 * ARGUMENTS" (none when NULL). */
typedef struct {
  const char *user;
  const char *result;
  const char *reply;
  const char *call;
  const char *call_id;
} Step;

typedef struct {
  const char *name;
  Step steps[8];
} Script;

#define SAY(text, reply, call) { text, NULL, reply, call, NULL }
#define RESULT(json, reply, call) { NULL, json, reply, call, NULL }

static const Script scripts[] = {
  { "hours", {
    SAY ("Hi, what are your opening hours?", HOURS, NULL),
    SAY ("[DTMF 1]", HOURS, NULL),
  } },
  { "book-over-several-turns", {
    SAY ("I would like to book an appointment", ASK_DAY, NULL),
    SAY ("tomorrow", "At what time would you like to come in on Wednesday the 25th of November?",
         NULL),
    SAY ("at ten in the morning", "Let me book that for you.",
         "book_appointment {\"day\":\"2026-11-25\",\"time\":\"10:00\"}"),
    RESULT ("{\"ok\":true,\"message\":\"Booked for Wednesday 25 November at 10:00.\","
            "\"appointment\":{\"id\":7,\"day\":\"2026-11-25\",\"time\":\"10:00\"}}",
            "Booked for Wednesday 25 November at 10:00. Is there anything else I can do for you?",
            NULL),
    /* The booking is over: a time now is not understood. */
    SAY ("at eleven", FALLBACK, NULL),
  } },
  { "book-in-one-sentence", {
    SAY ("Book me in for Tuesday at half past two, please.", "Let me book that for you.",
         "book_appointment {\"day\":\"2026-12-01\",\"time\":\"14:30\"}"),
  } },
  { "book-misheard-and-told-at-once", {
    /* A recogniser's near miss of a long word. */
    SAY ("I'd like an apointment", ASK_DAY, NULL),
    SAY ("can I come in on Monday at 9:30", "Let me book that for you.",
         "book_appointment {\"day\":\"2026-11-30\",\"time\":\"09:30\"}"),
  } },
  { "book-corrections-and-questions", {
    SAY ("can I make an appointment for Friday",
         "At what time would you like to come in on Friday the 27th of November?", NULL),
    /* A question in between is answered, then the booking asks again. */
    SAY ("hang on, what time do you close?",
         HOURS " At what time would you like to come in on Friday the 27th of November?", NULL),
    /* Not understood: the retry prompt. */
    SAY ("hmm let me think", RETRY_TIME, NULL),
    /* A bare answer to the question; the day corrected at the same time. */
    SAY ("actually make it Thursday, at 3", NULL,
         "book_appointment {\"day\":\"2026-11-26\",\"time\":\"15:00\"}"),
    RESULT ("{\"ok\":true,\"message\":\"Booked.\"}",
            "Booked. Is there anything else I can do for you?", NULL),
  } },
  { "book-rejected-arguments", {
    SAY ("I need to see a doctor tomorrow at 9", NULL,
         "book_appointment {\"day\":\"2026-11-25\",\"time\":\"09:00\"}"),
    /* The engine refused the arguments: the slot named is asked again. */
    RESULT ("{\"error\":\"missing required argument 'time'\"}", RETRY_TIME, NULL),
    SAY ("quarter past eleven", NULL,
         "book_appointment {\"day\":\"2026-11-25\",\"time\":\"11:15\"}"),
    /* The book refused the time: said, and another time asked for. */
    RESULT ("{\"ok\":false,\"error\":\"That time is already taken.\","
            "\"alternatives\":[\"11:30\",\"12:00\"]}",
            "Sorry, I could not book that. That time is already taken. At what time would you "
            "like to come in on Wednesday the 25th of November?", NULL),
    SAY ("half past eleven", NULL,
         "book_appointment {\"day\":\"2026-11-25\",\"time\":\"11:30\"}"),
  } },
  { "fallback", {
    SAY ("the weather is lovely", FALLBACK, NULL),
    SAY ("", FALLBACK, NULL),
  } },
  { "transfer-and-goodbye", {
    SAY ("Can I speak to a real person please?", "Of course, I am putting you through now.",
         "transfer_call {\"number\":\"+15550100\"}"),
    RESULT ("{\"error\":\"the transfer was refused: 486 Busy\"}",
            "Sorry, nobody can take your call right now. Please call back later.", NULL),
    SAY ("OK, goodbye then", "Thank you for calling. Goodbye!", "end_call {}"),
    /* After the hang-up's result there is nothing more to say. */
    RESULT ("{\"call\":{\"action\":\"hangup\"}}", "", NULL),
    /* Nor for a call the rules did not make. */
    { NULL, "{\"ok\":true}", "", NULL, "call_from_another_model" },
  } },
  { "dtmf", {
    SAY ("[DTMF 2]", ASK_DAY, NULL),
    /* A key no intent has, while a day is asked for. */
    SAY ("[DTMF 5]", "Sorry, which day was that? You can say today, tomorrow, or a day of the "
                     "week.", NULL),
    SAY ("[DTMF 0]", NULL, "transfer_call {\"number\":\"+15550100\"}"),
    SAY ("[DTMF #]", NULL, "end_call {}"),
  } },
};

static void
test_script (gconstpointer data)
{
  const Script *script = data;
  gpointer rules = demo_instance ();
  g_autoptr(Conversation) c = conversation_new ();
  g_autofree char *last_call = NULL;

  /* What the engine starts every conversation with. */
  add_message (c, TB_LLM_ROLE_SYSTEM, "You are a receptionist.", NULL, NULL);
  add_message (c, TB_LLM_ROLE_ASSISTANT, "Hello, how can I help you?", NULL, NULL);
  for (const Step *step = script->steps; step->user || step->result; step++) {
    g_autoptr(Outcome) o = NULL;
    g_autofree char *call = NULL;

    if (step->user)
      o = turn (rules, c, step->user);
    else
      o = tool_result (rules, c, step->call_id ? step->call_id : last_call, step->result);
    if (step->reply)
      g_assert_cmpstr (o->text->str, ==, step->reply);
    if (o->calls)
      call = g_strdup_printf ("%s %s", o->call_name, o->call_arguments);
    g_assert_cmpstr (call, ==, step->call);
    if (o->calls) {
      g_free (last_call);
      last_call = g_strdup (o->call_id);
    }
  }
  desc->instance_free (rules);
}

/* Run in a subprocess: the warning is checked on its stderr. */
static void
test_tool_not_offered (void)
{
  static const TbLlmTool no_booking[] = {
    { "transfer_call", "Transfers the call", "{}" },
  };

  if (g_test_subprocess ()) {
    gpointer rules = demo_instance ();
    g_autoptr(Conversation) c = conversation_new ();
    g_autoptr(Outcome) o1 = NULL, o2 = NULL, o3 = NULL;

    /* Warnings are not fatal here: the parent counts them. */
    g_log_set_always_fatal (G_LOG_FATAL_MASK);
    o1 = turn_with_tools (rules, c, "book me in for tomorrow at noon", no_booking, 1);
    assert_said (o1, "Sorry, I cannot book appointments on this line. Let me tell you our "
                     "opening hours instead: Monday to Friday from 8 am to 6 pm.");
    o2 = turn_with_tools (rules, c, "goodbye", NULL, 0);
    assert_said (o2, "Sorry, I cannot do that on this line. Please call back during our "
                     "opening hours to speak to a person.");
    o3 = turn_with_tools (rules, c, "book an appointment for tomorrow at ten", no_booking, 1);
    g_assert_cmpuint (o3->calls, ==, 0);
    desc->instance_free (rules);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*the rules call the tool 'book_appointment', which the agent does "
                             "not offer*the tool 'end_call'*");
  /* Once per tool. */
  g_test_trap_assert_stderr_unmatched ("*'book_appointment'*'book_appointment'*");
}

/* ---- streaming and cancellation ---------------------------------------- */

static void
test_streaming (void)
{
  gpointer rules = demo_instance ();
  g_autoptr(Conversation) c = conversation_new ();
  g_autoptr(Outcome) o = NULL;
  g_autoptr(GString) joined = g_string_new (NULL);

  add_message (c, TB_LLM_ROLE_USER, "when are you open", NULL, NULL);
  o = run_chat (rules, c, demo_tools, G_N_ELEMENTS (demo_tools), NULL, FALSE);
  g_assert_cmpuint (o->done, ==, 1);
  g_assert_cmpuint (o->errors, ==, 0);
  /* Word by word: as many deltas as words. */
  g_assert_cmpuint (o->deltas->len, ==, 26);
  for (guint i = 0; i < o->deltas->len; i++)
    g_string_append (joined, g_ptr_array_index (o->deltas, i));
  g_assert_cmpstr (joined->str, ==, HOURS);
  g_assert_cmpstr (g_ptr_array_index (o->deltas, 0), ==, "We");
  g_assert_cmpstr (g_ptr_array_index (o->deltas, 1), ==, " are");
  desc->instance_free (rules);
}

static void
test_cancel_before (void)
{
  gpointer rules = demo_instance ();
  g_autoptr(Conversation) c = conversation_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(Outcome) o = NULL;

  add_message (c, TB_LLM_ROLE_USER, "goodbye", NULL, NULL);
  g_cancellable_cancel (cancellable);
  o = run_chat (rules, c, demo_tools, G_N_ELEMENTS (demo_tools), cancellable, FALSE);
  g_assert_cmpuint (o->errors, ==, 1);
  g_assert_error (o->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (o->deltas->len, ==, 0);
  g_assert_cmpuint (o->calls, ==, 0);
  g_assert_cmpuint (o->done, ==, 0);
  desc->instance_free (rules);
}

static void
test_cancel_while_streaming (void)
{
  gpointer rules = demo_instance ();
  g_autoptr(Conversation) c = conversation_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(Outcome) o = NULL;

  add_message (c, TB_LLM_ROLE_USER, "goodbye", NULL, NULL);
  o = run_chat (rules, c, demo_tools, G_N_ELEMENTS (demo_tools), cancellable, TRUE);
  g_assert_cmpuint (o->errors, ==, 1);
  g_assert_error (o->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (o->deltas->len, ==, 1);
  g_assert_cmpuint (o->calls, ==, 0);
  g_assert_cmpuint (o->done, ==, 0);
  desc->instance_free (rules);
}

/* ---- phrases ----------------------------------------------------------- */

static void
test_phrases (void)
{
  gpointer rules = demo_instance ();
  const char *const *phrases = vtable->phrases (rules);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const char *const expected[] = {
    "what are your opening hours", "I would like to book an appointment", "goodbye",
    "can I speak to a person", "tomorrow", "next monday", "the third", "the twenty first",
    "at ten in the morning", "half past two", "noon", "ten in the morning", "operator",
  };

  g_assert_nonnull (phrases);
  for (guint i = 0; phrases[i]; i++)
    g_assert_true (g_hash_table_add (seen, (gpointer) phrases[i])); /* each once */
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++) {
    if (!g_hash_table_contains (seen, expected[i]))
      g_error ("'%s' is not among the %u phrases", expected[i], g_hash_table_size (seen));
  }
  g_test_message ("%u phrases", g_hash_table_size (seen));
  desc->instance_free (rules);
}

/* ---- slot parsers ------------------------------------------------------ */

#define PROBE_RULES \
  "[intent:day]\nkeywords=dayprobe\ndtmf=7\nslots=day\nresponse={day.value} {day}\n" \
  "[intent:time]\nkeywords=timeprobe\nslots=time\nresponse={time.value} {time}\n" \
  "[intent:number]\nkeywords=numberprobe\nslots=count\nresponse={count.value}\n" \
  "tool=count_tool\narguments={\"n\": \"{count.value}\", \"label\": \"n={count}\"}\n" \
  "[intent:text]\nkeywords=textprobe\nslots=name\nresponse=[{name}]\n" \
  "[slot:day]\ntype=day\nprompt=Which day?\n" \
  "[slot:time]\ntype=time\nprompt=What time?\n" \
  "[slot:count]\ntype=number\nprompt=How many?\nunits=people;guests\n" \
  "[slot:name]\ntype=text\nprompt=Your name?\n"

typedef struct {
  const char *said;
  const char *value;  /* NULL: not understood */
} Spelling;

/* Said when the day was asked for (today is Tuesday 2026-11-24). */
static const Spelling day_answers[] = {
  { "today", "2026-11-24" },
  { "Tomorrow!", "2026-11-25" },
  { "uh tomorrow I think", "2026-11-25" },
  { "the day after tomorrow", "2026-11-26" },
  { "on Friday", "2026-11-27" },
  { "friday", "2026-11-27" },
  { "Wed", "2026-11-25" },
  { "Tuesday", "2026-12-01" },
  { "this Tuesday", "2026-11-24" },
  { "next Friday", "2026-12-04" },
  { "next Monday", "2026-11-30" },
  { "next Tuesday", "2026-12-01" },
  { "on Sunday", "2026-11-29" },
  { "the 3rd", "2026-12-03" },
  { "the third", "2026-12-03" },
  { "third", "2026-12-03" },
  { "3", "2026-12-03" },
  { "on the 30th", "2026-11-30" },
  { "the twenty fifth", "2026-11-25" },
  { "the twenty-fifth", "2026-11-25" },
  { "the 24th", "2026-11-24" },
  { "the 31st", "2026-12-31" },
  { "November the 28th", "2026-11-28" },
  { "28 November", "2026-11-28" },
  { "the 5th of January", "2027-01-05" },
  { "March 3rd 2027", "2027-03-03" },
  { "on Dec 2", "2026-12-02" },
  { "2026-12-24", "2026-12-24" },
  { "in three days", "2026-11-27" },
  { "in a week", "2026-12-01" },
  { "in 2 weeks", "2026-12-08" },
  { "whenever suits you", NULL },
  { "at 10", NULL },
  { "February the 30th", NULL },
};

/* Said when the time was asked for. */
static const Spelling time_answers[] = {
  { "ten in the morning", "10:00" },
  { "at ten in the morning", "10:00" },
  { "10:30", "10:30" },
  { "10.30", "10:30" },
  { "half past two", "14:30" },
  { "half two", "14:30" },
  { "quarter past nine", "09:15" },
  { "a quarter to five", "16:45" },
  { "quarter to eight", "07:45" },
  { "twenty past four", "16:20" },
  { "ten to five", "16:50" },
  { "5 minutes past 3", "15:05" },
  { "3 pm", "15:00" },
  { "3pm", "15:00" },
  { "3 p.m.", "15:00" },
  { "11 am", "11:00" },
  { "10:30am", "10:30" },
  { "12 pm", "12:00" },
  { "12 am", "00:00" },
  { "noon", "12:00" },
  { "around midday", "12:00" },
  { "midnight", "00:00" },
  { "ten", "10:00" },
  { "2", "14:00" },
  { "nine o'clock", "09:00" },
  { "ten thirty", "10:30" },
  { "ten thirty pm", "22:30" },
  { "ten oh five", "10:05" },
  { "14:00", "14:00" },
  { "at 7 in the evening", "19:00" },
  { "eight tonight", "20:00" },
  { "seven in the morning", "07:00" },
  { "around 4", "16:00" },
  { "in the afternoon at 4:15", "16:15" },
  { "whenever", NULL },
  { "25:00", NULL },
  { "13 pm", NULL },
  { "in 3 days", NULL },
};

/* Said in the sentence that starts the intent: nothing was asked yet, so a
 * bare number is not a day or a time. */
static const Spelling day_unasked[] = {
  { "dayprobe for tomorrow", "2026-11-25" },
  { "dayprobe on the 3rd", "2026-12-03" },
  { "dayprobe next Monday at 10", "2026-11-30" },
  { "dayprobe at 3", NULL },
  { "dayprobe my first visit", NULL },
};
static const Spelling time_unasked[] = {
  { "timeprobe at 3", "15:00" },
  { "timeprobe tomorrow at half past ten", "10:30" },
  { "timeprobe 3", NULL },
  { "timeprobe for 2 on the 3rd", NULL },
};

typedef struct {
  const char *name;
  const char *ask;          /* first turn; NULL: the spelling is the first turn */
  const char *question;     /* the slot's prompt */
  const Spelling *cases;
  guint n_cases;
} SpellingTable;

static const SpellingTable tables[] = {
  { "day", "dayprobe", "Which day?", day_answers, G_N_ELEMENTS (day_answers) },
  { "time", "timeprobe", "What time?", time_answers, G_N_ELEMENTS (time_answers) },
  { "day-unasked", NULL, "Which day?", day_unasked, G_N_ELEMENTS (day_unasked) },
  { "time-unasked", NULL, "What time?", time_unasked, G_N_ELEMENTS (time_unasked) },
};

static void
test_spellings (gconstpointer data)
{
  const SpellingTable *table = data;
  gpointer rules = rules_instance (PROBE_RULES);

  for (guint i = 0; i < table->n_cases; i++) {
    const Spelling *s = &table->cases[i];
    g_autoptr(Conversation) c = conversation_new ();
    g_autoptr(Outcome) first = NULL, o = NULL;
    g_auto(GStrv) words = NULL;

    if (table->ask) {
      first = turn (rules, c, table->ask);
      g_assert_cmpstr (first->text->str, ==, table->question);
    }
    o = turn (rules, c, s->said);
    /* Understood: "VALUE spoken form"; not: the question again. */
    words = g_strsplit (o->text->str, " ", 2);
    if (s->value ? g_strcmp0 (words[0], s->value) != 0
                 : g_strcmp0 (o->text->str, table->question) != 0) {
      g_test_message ("'%s': expected %s, the reply was '%s'", s->said,
                      s->value ? s->value : "not understood", o->text->str);
      g_test_fail ();
    }
  }
  desc->instance_free (rules);
}

static void
test_spoken_values (void)
{
  gpointer rules = rules_instance (PROBE_RULES);
  const struct { const char *said, *reply; } cases[] = {
    { "dayprobe tomorrow", "2026-11-25 Wednesday the 25th of November" },
    { "dayprobe on the 1st of December", "2026-12-01 Tuesday the 1st of December" },
    { "dayprobe the 22nd of December", "2026-12-22 Tuesday the 22nd of December" },
    { "dayprobe January the 13th", "2027-01-13 Wednesday the 13th of January" },
    { "timeprobe at half past two", "14:30 2:30 pm" },
    { "timeprobe at ten", "10:00 10 am" },
    { "timeprobe at noon", "12:00 noon" },
    { "timeprobe at 12:05 am", "00:05 12:05 am" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(Conversation) c = conversation_new ();
    g_autoptr(Outcome) o = turn (rules, c, cases[i].said);

    assert_said (o, cases[i].reply);
  }
  desc->instance_free (rules);
}

static void
test_number_and_text_slots (void)
{
  static const TbLlmTool count_tool[] = { { "count_tool", "Counts", "{}" } };
  gpointer rules = rules_instance (PROBE_RULES);
  const struct { const char *first, *second, *arguments; } numbers[] = {
    { "numberprobe", "three", "{\"n\":3,\"label\":\"n=3\"}" },
    { "numberprobe", "21", "{\"n\":21,\"label\":\"n=21\"}" },
    { "numberprobe", "twenty one please", "{\"n\":21,\"label\":\"n=21\"}" },
    /* A number when a number is asked for, though 7 chooses an intent. */
    { "numberprobe", "[DTMF 7]", "{\"n\":7,\"label\":\"n=7\"}" },
    { "[DTMF 7]", NULL, NULL },
    { "numberprobe for 4 people", NULL, "{\"n\":4,\"label\":\"n=4\"}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++) {
    g_autoptr(Conversation) c = conversation_new ();
    g_autoptr(Outcome) o1 = turn_with_tools (rules, c, numbers[i].first, count_tool, 1);
    g_autoptr(Outcome) o2 = NULL;

    if (!numbers[i].arguments) {
      assert_said (o1, "Which day?");
      continue;
    }
    if (numbers[i].second) {
      assert_said (o1, "How many?");
      o2 = turn_with_tools (rules, c, numbers[i].second, count_tool, 1);
    }
    assert_call (o2 ? o2 : o1, "count_tool", numbers[i].arguments);
  }
  {
    /* Without a unit, an unasked number is not the count. */
    g_autoptr(Conversation) c = conversation_new ();
    g_autoptr(Outcome) o = turn_with_tools (rules, c, "numberprobe 4", count_tool, 1);

    assert_said (o, "How many?");
  }
  {
    g_autoptr(Conversation) c = conversation_new ();
    g_autoptr(Outcome) o1 = turn (rules, c, "textprobe");
    g_autoptr(Outcome) o2 = turn (rules, c, "  Jane {Smith}  ");

    assert_said (o1, "Your name?");
    assert_said (o2, "[Jane {Smith}]");
  }
  desc->instance_free (rules);
}

/* ---- refused settings and rules files ---------------------------------- */

typedef struct {
  const char *name;
  const char *rules;     /* the rules file */
  const char *expected;  /* "@" stands for the file's path */
} BadRules;

#define SLOT_DAY "[slot:day]\ntype=day\nprompt=Which day?\n"
#define GOOD_INTENT "[intent:hours]\nkeywords=open\nresponse=Nine to five.\n"

static const BadRules bad_rules[] = {
  { "unknown-slot-type", GOOD_INTENT "[slot:day]\ntype=dya\nprompt=Which day?\n",
    "@:5: [slot:day] type: unknown slot type 'dya' (day, time, number or text)" },
  { "undefined-slot-in-response",
    SLOT_DAY "[intent:book]\nkeywords=book\nslots=day\ntool=book\n"
    "response=Booked for {day} at {tiem}.\n",
    "@:8: [intent:book] response: {tiem} is not one of the slots here (day)" },
  { "syntax-error", GOOD_INTENT "this line is no key\n",
    "@:4: syntax error: 'this line is no key' is not a [group], a key=value line or a # comment" },
  { "undefined-slot", "[intent:book]\nkeywords=book\nslots=day;time\ntool=book\n" SLOT_DAY,
    "@:3: [intent:book] slots: no [slot:time] group in this file" },
  { "unknown-key", GOOD_INTENT "tol=book\n",
    "@:4: [intent:hours] tol: unknown key (known here: examples, keywords, dtmf, slots" },
  { "unknown-group", GOOD_INTENT "[intents:x]\n",
    "@:4: [intents:x] unknown group: a rules file has [rules], [intent:NAME] and [slot:NAME]" },
  { "no-intent", SLOT_DAY,
    "@: no [intent:NAME] group: the rules would never understand anything" },
  { "unreachable", "[intent:hours]\nresponse=Nine to five.\n",
    "@:1: [intent:hours] no examples, keywords or dtmf: callers cannot reach this intent" },
  { "does-nothing", "[intent:hours]\nkeywords=open\n",
    "@:1: [intent:hours] neither response nor tool: the intent would do nothing" },
  { "arguments-not-json", "[intent:t]\nkeywords=put\ntool=transfer_call\narguments={number: 5}\n",
    "@:4: [intent:t] arguments: not JSON:" },
  { "arguments-undefined-slot",
    "[intent:t]\nkeywords=put\ntool=transfer_call\narguments={\"number\": \"{who}\"}\n",
    "@:4: [intent:t] arguments: \"number\": {who} names a slot, but there are no slots here" },
  { "result-outside-result-response",
    "[intent:t]\nkeywords=put\ntool=x\nresponse=Done: {result.message}\n",
    "@:4: [intent:t] response: {result.message}: a tool's result is only known in "
    "result-response and error-response" },
  { "tool-key-without-tool", GOOD_INTENT "result-response=Done.\n",
    "@:4: [intent:hours] result-response: only an intent with a tool= has it" },
  { "brace", GOOD_INTENT "[rules]\nfallback-response=Say {{ or }\n",
    "@:5: [rules] fallback-response: '}' without '{' (write '}}' for a brace)" },
  { "duplicate-dtmf", GOOD_INTENT "dtmf=1\n[intent:book]\ndtmf=1\nresponse=Hm.\n",
    "@:6: [intent:book] dtmf: '1' already chooses [intent:hours]" },
  { "bad-dtmf", GOOD_INTENT "dtmf=1x\n",
    "@:4: [intent:hours] dtmf: '1x' is not keys of a phone (0-9, *, #, A-D)" },
  { "error-slots", SLOT_DAY "[intent:b]\nkeywords=b\ntool=b\nerror-slots=day\n",
    "@:7: [intent:b] error-slots: 'day' is not one of this intent's slots" },
  { "missing-prompt", GOOD_INTENT "[slot:day]\ntype=day\n",
    "@:4: [slot:day] prompt: required: what to ask when the slot is missing" },
  { "bad-slot-value-suffix", SLOT_DAY "[intent:b]\nkeywords=b\nslots=day\nresponse={day.iso}\n",
    "@:7: [intent:b] response: {day.iso}: a slot is written {day} (as said) or {day.value} "
    "(normalised)" },
};

static void
test_bad_rules (gconstpointer data)
{
  const BadRules *bad = data;
  g_autofree char *dir = g_dir_make_tmp ("tb-rules-XXXXXX", NULL);
  g_autofree char *path = tb_test_write_file (dir, "bad-rules.conf", bad->rules);
  g_autofree char *group = g_strdup_printf ("rules-file=%s\n", path);
  g_auto(GStrv) parts = g_strsplit (bad->expected, "@", -1);
  g_autofree char *expected = g_strjoinv (path, parts);
  g_autoptr(GError) error = NULL;

  g_assert_null (instance_new (group, &error));
  g_assert_error (error, TB_PLUGIN_ERROR, TB_PLUGIN_ERROR_CONFIG);
  g_assert_true (g_str_has_prefix (error->message, "rules-file: "));
  g_assert_true (tb_test_contains (error->message, expected));
  tb_test_remove_tree (dir);
}

static void
test_bad_settings (void)
{
  const struct { const char *group, *expected; } cases[] = {
    { "rules-file=/nonexistent/rules.conf\n",
      "rules-file: cannot read the rules file: Failed to open file “/nonexistent/rules.conf”" },
    { "rules-file=" DEMO_RULES "\ntimezone=Mars/Olympus\n",
      "timezone: unknown time zone 'Mars/Olympus'" },
    { "rules-file=" DEMO_RULES "\ntoday=24/11/2026\n",
      "today: '24/11/2026' is not a date written YYYY-MM-DD" },
    { "rules-file=" DEMO_RULES "\nrule-file=x\n", "rule-file" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;

    g_assert_null (instance_new (cases[i].group, &error));
    g_assert_nonnull (error);
    g_assert_true (tb_test_contains (error->message, cases[i].expected));
  }
}

/* Several problems are reported at once. */
static void
test_all_problems (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tb-rules-XXXXXX", NULL);
  g_autofree char *path = tb_test_write_file (dir, "rules.conf",
    "[intent:a]\nkeywords=a\nslots=nope\nresponse={nope}\n[slot:b]\ntype=x\nprompt=?\n");
  g_autofree char *group = g_strdup_printf ("rules-file=%s\n", path);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_null (instance_new (group, &error));
  lines = g_strsplit (error->message, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_true (tb_test_contains (lines[0], ":6: [slot:b] type: unknown slot type 'x'"));
  g_assert_true (tb_test_contains (lines[1], ":3: [intent:a] slots: no [slot:nope] group"));
  g_assert_true (tb_test_contains (lines[2], ":4: [intent:a] response: {nope} names a slot"));
  tb_test_remove_tree (dir);
}

/* The daemon refuses to start with a bad rules file and says where. */
static void
test_daemon_refuses_bad_rules (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tb-rules-XXXXXX", NULL);
  g_autofree char *rules = tb_test_write_file (dir, "rules.conf",
    GOOD_INTENT "[slot:day]\ntype=weekday\nprompt=Which day?\n");
  g_autofree char *conf_text = g_strdup_printf (
    "[llm:reception]\nplugin=rules\nrules-file=%s\n",
    rules);
  g_autofree char *conf = tb_test_write_file (dir, "talkingbits.conf", conf_text);
  g_autofree char *good_conf = NULL;
  const char *argv[] = { TB_DAEMON, "--check-config", "--config", conf, NULL };
  g_autofree char *out = NULL, *err = NULL, *expected = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  status = tb_test_run (argv, plugin_dir, &out, &err);
  expected = g_strdup_printf ("%s:5: [slot:day] type: unknown slot type 'weekday'", rules);
  g_assert_cmpint (status, ==, 1);
  g_assert_true (tb_test_contains (err, "[llm:reception]"));
  g_assert_true (tb_test_contains (err, expected));

  /* The demo file, found in TALKINGBITS_DATA_PATH by its name (the
   * default rules-file=demo-rules.conf). */
  good_conf = tb_test_write_file (dir, "good.conf", "[llm:reception]\nplugin=rules\n");
  argv[3] = good_conf;
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_setenv (launcher, "TALKINGBITS_PLUGIN_PATH", plugin_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "TALKINGBITS_DATA_PATH", TB_SOURCE_ROOT "/data", TRUE);
  daemon = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_clear_pointer (&out, g_free);
  g_subprocess_communicate_utf8 (daemon, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  if (g_subprocess_get_exit_status (daemon) != 0)
    g_printerr ("%s", out);
  g_assert_cmpint (g_subprocess_get_exit_status (daemon), ==, 0);
  tb_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  load_plugin ();
  for (guint i = 0; i < G_N_ELEMENTS (scripts); i++) {
    g_autofree char *path = g_strdup_printf ("/llm-rules/script/%s", scripts[i].name);

    g_test_add_data_func (path, &scripts[i], test_script);
  }
  g_test_add_func ("/llm-rules/tool-not-offered", test_tool_not_offered);
  g_test_add_func ("/llm-rules/streaming", test_streaming);
  g_test_add_func ("/llm-rules/cancel/before", test_cancel_before);
  g_test_add_func ("/llm-rules/cancel/while-streaming", test_cancel_while_streaming);
  g_test_add_func ("/llm-rules/phrases", test_phrases);
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++) {
    g_autofree char *path = g_strdup_printf ("/llm-rules/spellings/%s", tables[i].name);

    g_test_add_data_func (path, &tables[i], test_spellings);
  }
  g_test_add_func ("/llm-rules/spoken-values", test_spoken_values);
  g_test_add_func ("/llm-rules/number-and-text-slots", test_number_and_text_slots);
  for (guint i = 0; i < G_N_ELEMENTS (bad_rules); i++) {
    g_autofree char *path = g_strdup_printf ("/llm-rules/bad-rules/%s", bad_rules[i].name);

    g_test_add_data_func (path, &bad_rules[i], test_bad_rules);
  }
  g_test_add_func ("/llm-rules/bad-settings", test_bad_settings);
  g_test_add_func ("/llm-rules/all-problems", test_all_problems);
  g_test_add_func ("/llm-rules/daemon-refuses-bad-rules", test_daemon_refuses_bad_rules);
  status = g_test_run ();
  tb_plugin_registry_free (registry);
  tb_test_remove_tree (plugin_dir);
  g_free (plugin_dir);
  return status;
}
