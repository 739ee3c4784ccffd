/* rules.h — the rule set of the "rules" LLM plugin (intents, slots,
 * responses loaded from a rules keyfile) and the functions of its parts:
 * text normalisation, slot parsers, templates, intent matching and the
 * dialogue derived from a request's messages. Private to the plugin. */
#pragma once

#include <talkingbits-plugin.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* ---- the rule set ------------------------------------------------------ */

typedef enum {
  RULES_SLOT_DAY,    /* a date: "tomorrow", "next Monday", "the 3rd" -> 2026-11-25 */
  RULES_SLOT_TIME,   /* a time of day: "half past two" -> 14:30               */
  RULES_SLOT_NUMBER, /* a whole number: "three", "12", a DTMF digit            */
  RULES_SLOT_TEXT,   /* whatever the caller says when asked                    */
} RulesSlotType;

typedef struct {
  char *name;
  RulesSlotType type;
  char *prompt;      /* template: asks for the slot                     */
  char *retry;       /* template: asks again when the answer was not understood */
  char **examples;   /* phrases for the recogniser                      */
  char **units;      /* number slots: words that may follow the number  */
} RulesSlot;

/* An argument of a tool call and the slots its template refers to. */
typedef struct {
  char *argument;
  GPtrArray *slots;  /* const RulesSlot * */
} RulesArgument;

typedef struct {
  char *name;
  char **examples;
  GPtrArray *example_stems;  /* char ** per example: content words, stemmed */
  GPtrArray *keyword_stems;  /* char ** per keyword: its words, stemmed      */
  char **keywords;
  char **dtmf;               /* digit strings that choose this intent        */
  GPtrArray *slots;          /* const RulesSlot *, in the order they are asked */
  char *response;            /* template said when the slots are filled      */
  char *tool;                /* tool called then, or NULL                    */
  char *arguments;           /* JSON object whose strings are templates      */
  GPtrArray *argument_slots; /* RulesArgument *                              */
  char *result_response;     /* template said after the tool's result        */
  char *error_response;      /* ... after the tool reported an error         */
  GPtrArray *error_slots;    /* const RulesSlot *: asked again after an error */
  char *unavailable_response;/* ... when the agent does not offer the tool   */
} RulesIntent;

typedef struct {
  char *path;
  char *fallback_response;
  GPtrArray *intents;        /* RulesIntent *, in file order */
  GPtrArray *slots;          /* RulesSlot *, in file order   */
} RulesSet;

/* Loads and checks the rules file @path. Errors name the file, line, group
 * and key of every problem, one per line (TB_PLUGIN_ERROR_CONFIG). */
RulesSet *rules_set_load (const char *path, GError **error);
void rules_set_free (RulesSet *set);
const RulesSlot *rules_set_find_slot (const RulesSet *set, const char *name);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RulesSet, rules_set_free)

/* Where a group (and key, may be NULL) starts in @text: a 1-based line, or
 * 0 when it is not there. */
guint rules_find_line (const char *text, const char *group, const char *key);

/* ---- text -------------------------------------------------------------- */

/* Lower-case words and numbers of @text: "I'd like 3pm, on the 3rd" ->
 * id like 3 pm on the 3rd. "10.30" and "10:30" -> "10:30"; "a.m." -> "am". */
char **rules_tokenize (const char *text);
/* A crude English stem, so that "booking", "booked" and "book" meet. */
char *rules_stem (const char *word);
gboolean rules_is_stopword (const char *word);
/* TRUE when two stems are equal or, both being 6 letters or more, one edit
 * apart (a recogniser's near miss: "apointment"). */
gboolean rules_stems_match (const char *a, const char *b);
/* A cardinal number at @tokens[@i]: "7", "seven", "twenty one". */
gboolean rules_number_at (char **tokens, guint i, gint *value, guint *used);
/* An ordinal at @tokens[@i]: "3rd", "third", "twenty first". */
gboolean rules_ordinal_at (char **tokens, guint i, gint *value, guint *used);
/* "twenty one", "twenty first": @n (0-99) in words. */
char *rules_number_words (guint n);
char *rules_ordinal_words (guint n);
/* The digits of a "[DTMF 12#]" text (what the engine writes for keys
 * pressed), or NULL. */
char *rules_dtmf_digits (const char *text);

/* ---- slot values ------------------------------------------------------- */

typedef struct {
  char *value;   /* normalised: "2026-11-25", "14:30", "3", the text */
  char *spoken;  /* for responses: "Wednesday the 25th of November", "2:30 pm" */
} RulesValue;

void rules_value_clear (RulesValue *value);

/* A value for @slot in what the caller said. @awaited: the slot was just
 * asked for, so a bare answer ("ten", "the 3rd") is taken. */
gboolean rules_slot_parse (const RulesSlot *slot, const char *text, gboolean awaited,
                           const GDate *today, RulesValue *value);

gboolean rules_parse_day (char **tokens, gboolean awaited, const GDate *today, GDate *day);
char *rules_day_spoken (const GDate *day);
char *rules_day_iso (const GDate *day);
gboolean rules_parse_time (char **tokens, gboolean awaited, gint *minutes);
char *rules_time_spoken (gint minutes);
/* Typical answers of a slot type, for the recogniser (new strings added
 * to @phrases). */
void rules_slot_type_phrases (RulesSlotType type, GPtrArray *phrases);
void rules_day_phrases (GPtrArray *phrases);
void rules_time_phrases (GPtrArray *phrases);
const char *rules_slot_type_to_string (RulesSlotType type);
gboolean rules_slot_type_from_string (const char *text, RulesSlotType *type);

/* ---- templates --------------------------------------------------------- */

/* Checks the {placeholders} of @text: each names a slot of @slots ("{day}"
 * spoken, "{day.value}" normalised) or, when @allow_result, a field of the
 * tool's result ("{result.message}"). "{{" and "}}" are literal braces.
 * @referenced, if not NULL, receives the slots named. */
gboolean rules_template_check (const char *text, GPtrArray *slots, gboolean allow_result,
                               GPtrArray *referenced, GError **error);

/* Looks up a placeholder's name ("day", "day.value", "result.message");
 * returns a new string, or NULL for nothing. */
typedef char *(*RulesLookupFunc) (const char *name, gpointer data);
char *rules_template_render (const char *text, RulesLookupFunc lookup, gpointer data);
/* The one placeholder @text consists of ("{count.value}"), or NULL. */
char *rules_template_sole_placeholder (const char *text);

/* ---- intents ----------------------------------------------------------- */

typedef struct {
  const RulesIntent *intent;
  double score;
  gboolean strong;   /* a keyword was heard, or an example almost word for word */
} RulesMatch;

/* The intent @text is most like, if any is like enough. */
gboolean rules_match_intent (const RulesSet *set, const char *text, RulesMatch *match);
const RulesIntent *rules_match_dtmf (const RulesSet *set, const char *digits);
/* Stems the content words of @text, for matching: stop words and the
 * words of values (numbers, days, times) left out, so that "can I come in
 * on Monday at 9:30" is as close to "I want to come in" as can be. */
char **rules_content_stems (const char *text);
/* Words that only say which day or time: "monday", "tomorrow", "june",
 * "pm", "noon", "morning". */
gboolean rules_is_day_word (const char *word);
gboolean rules_is_time_word (const char *word);

/* ---- tool results ------------------------------------------------------ */

/* A result's value as words: a string as it is, a number in digits, an
 * array as "a, b or c", an object by its "message"; NULL for nothing. */
char *rules_result_text (JsonNode *node);
/* The error @result reports (an "error" member, or "ok" or "success"
 * false), or NULL when it reports success. */
char *rules_result_error (JsonNode *result);
/* The slots (const RulesSlot *) of @intent behind the arguments that
 * @error names, when it is about arguments ("missing required argument
 * 'time'"); an empty array otherwise. */
GPtrArray *rules_rejected_slots (const RulesIntent *intent, const char *error);

/* ---- the dialogue ------------------------------------------------------ */

typedef struct {
  char *text;             /* what to say; may be empty             */
  TbLlmToolCall *call;    /* a tool call to make after it, or NULL */
  char *unoffered_tool;   /* a tool the rules wanted but the agent lacks */
} RulesReply;

/* The reply to @request: the dialogue state is derived from its messages
 * alone (the plugin keeps nothing between requests). */
RulesReply *rules_dialog_reply (const RulesSet *set, const TbLlmRequest *request,
                                const GDate *today);
void rules_reply_free (RulesReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RulesReply, rules_reply_free)

G_END_DECLS
