/* stt-harness.c — shipped STT plugins under test: loaded by the registry,
 * configured through the host's settings code, sessions fed and watched
 * on the thread-default context. */
#include "stt-harness.h"

#include "plugin.h"
#include "settings.h"
#include "test-util.h"

#include <math.h>
#include <string.h>

struct _TbTestStt {
  char *dir;
  TbPluginRegistry *registry;
  const TbPlugin *plugin;
  char *defaults;
};

TbTestStt *
tb_test_stt_new (const char *file, const char *name)
{
  TbTestStt *stt = g_new0 (TbTestStt, 1);

  stt->registry = tb_test_shipped_registry_new ((const char *const[]) { file, NULL }, &stt->dir);
  stt->plugin = tb_plugin_registry_lookup (stt->registry, TB_PLUGIN_KIND_STT, name);
  g_assert_nonnull (stt->plugin);
  return stt;
}

void
tb_test_stt_free (TbTestStt *stt)
{
  tb_plugin_registry_free (stt->registry);
  tb_test_remove_tree (stt->dir);
  g_free (stt->dir);
  g_free (stt->defaults);
  g_free (stt);
}

const TbPluginDesc *
tb_test_stt_desc (TbTestStt *stt)
{
  return stt->plugin->desc;
}

const TbSttVTable *
tb_test_stt_vtable (TbTestStt *stt)
{
  return stt->plugin->desc->vtable;
}

void
tb_test_stt_set_defaults (TbTestStt *stt, const char *group_text)
{
  g_free (stt->defaults);
  stt->defaults = g_strdup (group_text);
}

gpointer
tb_test_stt_instance_try (TbTestStt *stt, const char *group_text, GError **error)
{
  const TbPluginDesc *desc = stt->plugin->desc;
  g_autofree char *text = g_strconcat ("[stt:test]\n", stt->defaults ? stt->defaults : "",
                                       group_text ? group_text : "", NULL);
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(TbProblems) problems = tb_problems_new (NULL, text);
  g_autoptr(GVariant) settings = NULL;

  g_assert_true (g_key_file_load_from_data (keyfile, text, -1, G_KEY_FILE_NONE, NULL));
  settings = tb_settings_from_group (keyfile, "stt:test", desc->config_keys, NULL, problems);
  g_assert_cmpuint (tb_problems_count (problems), ==, 0);
  return desc->instance_new (tb_test_host (), settings, error);
}

gpointer
tb_test_stt_instance_new (TbTestStt *stt, const char *group_text)
{
  g_autoptr(GError) error = NULL;
  gpointer instance = tb_test_stt_instance_try (stt, group_text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (instance);
  return instance;
}

void
tb_test_stt_instance_free (TbTestStt *stt, gpointer instance)
{
  stt->plugin->desc->instance_free (instance);
}

/* ---- what a session calls back -------------------------------------------- */

static void
callback_check (TbTestSttRun *run)
{
  if (g_main_context_get_thread_default () != run->context)
    run->wrong_context = TRUE;
  if (run->inside)
    run->called_inside = TRUE;
  if (run->n_done + run->n_errors > 0)
    run->n_after_end++;
}

static void
on_partial (const char *text, gpointer data)
{
  TbTestSttRun *run = data;

  callback_check (run);
  g_ptr_array_add (run->partials, g_strdup (text));
  if (run->finals->len == 0)
    run->partial_before_final = TRUE;
}

static void
on_final (const char *text, double confidence, gpointer data)
{
  TbTestSttRun *run = data;

  callback_check (run);
  g_assert_cmpfloat (confidence, >=, 0);
  g_assert_cmpfloat (confidence, <=, 1);
  g_ptr_array_add (run->finals, g_strdup (text));
  if (!run->final_us)
    run->final_us = g_get_monotonic_time ();
}

static void
on_done (gpointer data)
{
  TbTestSttRun *run = data;

  callback_check (run);
  run->n_done++;
  run->terminal_us = g_get_monotonic_time ();
}

static void
on_error (const GError *error, gpointer data)
{
  TbTestSttRun *run = data;

  callback_check (run);
  run->n_errors++;
  g_clear_error (&run->error);
  run->error = g_error_copy (error);
  run->terminal_us = g_get_monotonic_time ();
}

const TbSttCallbacks tb_test_stt_callbacks = { on_partial, on_final, on_done, on_error };

/* ---- a session ---------------------------------------------------------------- */

TbTestSttRun *
tb_test_stt_run_new_full (TbTestStt *stt, gpointer instance, const TbSttParams *params)
{
  TbTestSttRun *run = g_new0 (TbTestSttRun, 1);
  g_autoptr(GError) error = NULL;

  run->stt = stt;
  run->context = g_main_context_get_thread_default ();
  run->rate = params->sample_rate;
  run->cancellable = g_cancellable_new ();
  run->finals = g_ptr_array_new_with_free_func (g_free);
  run->partials = g_ptr_array_new_with_free_func (g_free);
  run->started_us = g_get_monotonic_time ();
  run->inside = TRUE;
  run->session = tb_test_stt_vtable (stt)->session_new (instance, params, &tb_test_stt_callbacks,
                                                        run, run->cancellable, &error);
  run->inside = FALSE;
  g_assert_no_error (error);
  g_assert_nonnull (run->session);
  return run;
}

TbTestSttRun *
tb_test_stt_run_new (TbTestStt *stt, gpointer instance, guint rate)
{
  TbSttParams params = { .sample_rate = rate, .language = "en-US" };

  return tb_test_stt_run_new_full (stt, instance, &params);
}

void
tb_test_stt_iterate (void)
{
  g_main_context_iteration (g_main_context_get_thread_default (), FALSE);
  g_usleep (1000);
}

void
tb_test_stt_linger (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    tb_test_stt_iterate ();
}

void
tb_test_stt_run_free (TbTestSttRun *run)
{
  if (run->session) {
    run->inside = TRUE;
    tb_test_stt_vtable (run->stt)->session_free (run->session);
    run->inside = FALSE;
  }
  /* What the plugin left to end (a request, a connection closing) ends. */
  tb_test_stt_linger (100);
  g_object_unref (run->cancellable);
  g_ptr_array_unref (run->finals);
  g_ptr_array_unref (run->partials);
  g_clear_error (&run->error);
  g_free (run);
}

void
tb_test_stt_push_samples (TbTestSttRun *run, const gint16 *samples, gsize n)
{
  gsize frame = run->rate / 50;

  run->inside = TRUE;
  for (gsize i = 0; i < n; i += frame)
    tb_test_stt_vtable (run->stt)->push_audio (run->session, samples + i, MIN (frame, n - i));
  run->inside = FALSE;
}

void
tb_test_stt_push (TbTestSttRun *run, const GArray *audio)
{
  tb_test_stt_push_samples (run, (const gint16 *) audio->data, audio->len);
}

void
tb_test_stt_push_paced (TbTestSttRun *run, const GArray *audio)
{
  const gint16 *samples = (const gint16 *) audio->data;
  gsize frame = run->rate / 50, n = audio->len;
  gint64 start = g_get_monotonic_time ();

  for (gsize i = 0; i < n; i += frame) {
    gint64 due = start + (gint64) (i / frame) * 20000;

    while (g_get_monotonic_time () < due)
      tb_test_stt_iterate ();
    run->inside = TRUE;
    tb_test_stt_vtable (run->stt)->push_audio (run->session, samples + i, MIN (frame, n - i));
    run->inside = FALSE;
  }
}

void
tb_test_stt_end_of_turn (TbTestSttRun *run)
{
  run->inside = TRUE;
  tb_test_stt_vtable (run->stt)->end_of_turn (run->session);
  run->inside = FALSE;
}

void
tb_test_stt_finish (TbTestSttRun *run)
{
  run->inside = TRUE;
  tb_test_stt_vtable (run->stt)->finish (run->session);
  run->inside = FALSE;
}

const char *
tb_test_stt_final (TbTestSttRun *run, guint i)
{
  g_assert_cmpuint (i, <, run->finals->len);
  return g_ptr_array_index (run->finals, i);
}

void
tb_test_stt_assert_done (TbTestSttRun *run, guint n_finals)
{
  TB_TEST_STT_WAIT_FOR (run->n_done + run->n_errors > 0, 10000);
  tb_test_stt_linger (100);
  if (run->error)
    g_printerr ("error: %s\n", run->error->message);
  g_assert_cmpuint (run->n_errors, ==, 0);
  g_assert_cmpuint (run->n_done, ==, 1);
  g_assert_cmpuint (run->finals->len, ==, n_finals);
  g_assert_cmpuint (run->n_after_end, ==, 0);
  g_assert_false (run->called_inside);
  g_assert_false (run->wrong_context);
}

void
tb_test_stt_assert_error (TbTestSttRun *run, GQuark domain, int code, const char *text, guint ms)
{
  TB_TEST_STT_WAIT_FOR (run->n_done + run->n_errors > 0, ms);
  tb_test_stt_linger (150);
  g_assert_cmpuint (run->n_done, ==, 0);
  g_assert_cmpuint (run->n_errors, ==, 1);
  g_assert_error (run->error, domain, code);
  g_assert_true (tb_test_contains (run->error->message, text));
  g_assert_cmpuint (run->n_after_end, ==, 0);
  g_assert_false (run->called_inside);
  g_assert_false (run->wrong_context);
}

/* ---- the caller's speech ------------------------------------------------------ */

void
tb_test_stt_add_tone (GArray *audio, guint rate, guint ms, double hz)
{
  gsize n = (gsize) rate * ms / 1000;

  for (gsize i = 0; i < n; i++) {
    gint16 sample = (gint16) (6000 * sin (2 * G_PI * hz * i / rate));

    g_array_append_val (audio, sample);
  }
}

void
tb_test_stt_add_silence (GArray *audio, guint rate, guint ms)
{
  gsize n = (gsize) rate * ms / 1000;
  gsize at = audio->len;

  g_array_set_size (audio, at + n);
  memset ((gint16 *) audio->data + at, 0, n * sizeof (gint16));
}

GArray *
tb_test_stt_turn_audio (guint rate, const guint *bursts_ms, guint gap_ms)
{
  GArray *audio = g_array_new (FALSE, FALSE, sizeof (gint16));

  tb_test_stt_add_silence (audio, rate, 300);
  for (guint i = 0; bursts_ms[i]; i++) {
    tb_test_stt_add_tone (audio, rate, bursts_ms[i], 300 + 100 * i);
    tb_test_stt_add_silence (audio, rate, bursts_ms[i + 1] ? gap_ms : 500);
  }
  return audio;
}
