/* test-tbcall-run.h — running tb-call against a test server and reading
 * its JSON summary; caller audio made of tone bursts. */
#pragma once

#include "test-server.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  int status;          /* tb-call's exit status */
  char *out;
  char *err;
  JsonParser *parser;
  JsonObject *json;    /* NULL when nothing was printed */
} TbTestRun;

/* Runs tb-call to @number of @s (NULL: nobody listening) with @args
 * (NULL-terminated) and waits for its end. */
void tb_test_run_tb_call (TbTestServer *s, const char *number, const char *const *args,
                          TbTestRun *run);
void tb_test_run_clear (TbTestRun *run);
/* Runs tb-call to @number of @s playing @caller and recording what it
 * hears into @heard, hanging up @hangup_s after the start, with
 * @more_args (NULL-terminated, or NULL) after those; asserts that it
 * printed its summary, then waits for the daemon's end-of-call line and
 * returns it. */
char *tb_test_run_call (TbTestServer *s, const char *number, const char *caller,
                        const char *heard, double hangup_s, const char *const *more_args,
                        TbTestRun *run);
/* @json parsed (it must be an object, put in @object). */
JsonParser *tb_test_parse_object (const char *json, JsonObject **object);
/* tb-call's command line for such a run, and reading its output. */
GPtrArray *tb_test_tb_call_argv (TbTestServer *s, const char *number, const char *const *args);
void tb_test_run_parse (TbTestRun *run);

/* A WAV at @rate, @total_ms long, holding a @hz tone from @bursts_ms[0] to
 * [1], from [2] to [3], ... (then 0), and silence elsewhere. */
void tb_test_write_bursts (const char *path, guint rate, double hz, const guint *bursts_ms,
                           guint total_ms);

G_END_DECLS
