/* config.c — talkingbits.conf validated into typed, immutable settings. */
#define G_LOG_DOMAIN "tb-config"

#include "config.h"

#include "config-schema.h"
#include "config-telephony.h"
#include "config-trunk.h"
#include "settings.h"
#include "store.h"
#include "tb-build-config.h"

#include <string.h>

static const char *const provider_handled_keys[] = { "plugin", NULL };

static void
agent_free (TbAgentConfig *agent)
{
  g_free (agent->name);
  g_strfreev (agent->numbers);
  g_free (agent->greeting);
  g_free (agent->system_prompt);
  g_free (agent->language);
  g_free (agent->voice);
  g_strfreev (agent->stt);
  g_strfreev (agent->tts);
  g_strfreev (agent->llm);
  g_strfreev (agent->tools);
  g_free (agent->greeting_file);
  g_strfreev (agent->fillers);
  g_free (agent);
}

static void
provider_free (TbProviderConfig *provider)
{
  g_free (provider->name);
  g_free (provider->group);
  g_clear_pointer (&provider->settings, g_variant_unref);
  g_free (provider);
}

TbConfig *
tb_config_ref (TbConfig *config)
{
  g_atomic_ref_count_inc (&config->ref);
  return config;
}

void
tb_config_unref (TbConfig *config)
{
  if (!config || !g_atomic_ref_count_dec (&config->ref))
    return;
  g_free (config->path);
  g_strfreev (config->plugin_path);
  g_free (config->default_agent);
  g_free (config->recordings_dir);
  g_free (config->http_host);
  g_free (config->http_webhook_secret);
  g_free (config->http_api_token);
  g_free (config->http_web_root);
  g_free (config->db_conninfo);
  g_free (config->db_journal_dir);
  tb_sip_config_clear (&config->sip);
  tb_media_config_clear (&config->media);
  g_hash_table_unref (config->numbers);
  g_ptr_array_unref (config->agents);
  g_ptr_array_unref (config->providers);
  g_ptr_array_unref (config->trunks);
  g_ptr_array_unref (config->accounts);
  g_free (config);
}

const TbAgentConfig *
tb_config_find_agent (TbConfig *config, const char *name)
{
  for (guint i = 0; i < config->agents->len; i++) {
    const TbAgentConfig *agent = g_ptr_array_index (config->agents, i);

    if (g_str_equal (agent->name, name))
      return agent;
  }
  return NULL;
}

const TbAgentConfig *
tb_config_route (TbConfig *config, const char *number)
{
  const TbAgentConfig *agent = number ? g_hash_table_lookup (config->numbers, number) : NULL;

  if (!agent && config->default_agent)
    agent = tb_config_find_agent (config, config->default_agent);
  return agent;
}

const TbTrunkConfig *
tb_config_find_trunk (TbConfig *config, const char *name)
{
  for (guint i = 0; i < config->trunks->len; i++) {
    const TbTrunkConfig *trunk = g_ptr_array_index (config->trunks, i);

    if (!name || g_str_equal (trunk->name, name))
      return trunk;
  }
  return NULL;
}

const TbAccountConfig *
tb_config_find_account (TbConfig *config, const char *name)
{
  for (guint i = 0; name && i < config->accounts->len; i++) {
    const TbAccountConfig *account = g_ptr_array_index (config->accounts, i);

    if (g_str_equal (account->name, name))
      return account;
  }
  return NULL;
}

const TbProviderConfig *
tb_config_find_provider (TbConfig *config, TbPluginKind kind, const char *name)
{
  for (guint i = 0; i < config->providers->len; i++) {
    const TbProviderConfig *provider = g_ptr_array_index (config->providers, i);

    if (provider->kind == kind && g_str_equal (provider->name, name))
      return provider;
  }
  return NULL;
}

char *
tb_config_find_data_dir (const char *name)
{
  const char *env = g_getenv ("TALKINGBITS_DATA_PATH");
  g_auto(GStrv) dirs = g_strsplit (env ? env : "", ":", -1);

  for (guint i = 0; dirs[i]; i++) {
    g_autofree char *candidate = NULL;

    if (!*dirs[i])
      continue;
    candidate = g_build_filename (dirs[i], name, NULL);
    if (g_file_test (candidate, G_FILE_TEST_IS_DIR))
      return g_steal_pointer (&candidate);
  }
  return g_build_filename (TB_DATADIR, name, NULL);
}

/* Non-empty, and only letters, digits and the characters in @extra. */
static gboolean
is_word (const char *text, const char *extra)
{
  if (!text || !*text)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr (extra, *p))
      return FALSE;
  return TRUE;
}

/* Names of agents and providers. */
#define NAME_CHARS "-_."
/* A dialled number (digits, a leading '+') or SIP user: what a SIP user
 * part may carry unescaped. */
#define NUMBER_CHARS "+*#-_.!~"

typedef struct {
  TbConfigFile *file;
  TbPluginRegistry *registry;
  TbProblems *problems;
  TbConfig *config;
} Builder;

/* ---- groups of the core ------------------------------------------------ */

/* Paths in the file are relative to the file's directory. */
static char *
relative_to_config (Builder *b, const char *path)
{
  g_autofree char *base = NULL;

  if (g_path_is_absolute (path))
    return g_strdup (path);
  base = g_path_get_dirname (b->file->path);
  return g_build_filename (base, path, NULL);
}

/* A data file (a greeting): relative to the config file when it is there,
 * else found in the TALKINGBITS_DATA_PATH directories (':'-separated; an
 * uninstalled build sets it to its data/), else in the installed data
 * directory. */
static char *
find_data_file (Builder *b, const char *path)
{
  char *beside = relative_to_config (b, path);
  g_auto(GStrv) dirs = NULL;
  const char *env = g_getenv ("TALKINGBITS_DATA_PATH");

  if (g_path_is_absolute (path) || g_file_test (beside, G_FILE_TEST_EXISTS))
    return beside;
  dirs = g_strsplit (env ? env : "", ":", -1);
  for (guint i = 0; dirs[i]; i++) {
    g_autofree char *candidate = NULL;

    if (!*dirs[i])
      continue;
    candidate = g_build_filename (dirs[i], path, NULL);
    if (g_file_test (candidate, G_FILE_TEST_EXISTS)) {
      g_free (beside);
      return g_steal_pointer (&candidate);
    }
  }
  {
    g_autofree char *installed = g_build_filename (TB_DATADIR, path, NULL);

    if (g_file_test (installed, G_FILE_TEST_EXISTS)) {
      g_free (beside);
      return g_steal_pointer (&installed);
    }
  }
  return beside;
}

static void
read_talkingbits (Builder *b)
{
  const TbConfigGroupSpec *spec = tb_config_schema_find_group ("talkingbits");
  g_autoptr(GVariant) settings =
    tb_settings_from_group (b->file->keyfile, "talkingbits", spec->keys, NULL, b->problems);
  const char *agent, *dir;

  b->config->plugin_path = tb_config_file_plugin_dirs (b->file);
  agent = tb_settings_get_string (settings, "default-agent");
  if (agent && *agent)
    b->config->default_agent = g_strdup (agent);
  b->config->workers = (guint) tb_settings_get_int (settings, "workers");
  b->config->calls_per_worker = (guint) tb_settings_get_int (settings, "calls-per-worker");
  b->config->provider_failures = (guint) tb_settings_get_int (settings, "provider-failures");
  b->config->provider_cooldown_s = (guint) tb_settings_get_int (settings, "provider-cooldown-s");
  dir = tb_settings_get_string (settings, "recordings-dir");
  if (dir && *dir)
    b->config->recordings_dir = relative_to_config (b, dir);
}

/* Without a token, the Web API is open: only on a loopback address. */
static void
check_http_open (Builder *b, const char *listen)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (b->config->http_host);

  if (address && g_inet_address_get_is_loopback (address))
    return;
  tb_problems_add (b->problems, "http", "listen",
                   "'%s' is not a loopback address and no api-token-env is set: the Web API "
                   "would be open to the network; set [http] api-token-env to a variable "
                   "holding a bearer token, or listen on 127.0.0.1", listen);
}

/* [http] web-root: a directory with the UI's index.html. */
static void
read_web_root (Builder *b, const char *root)
{
  g_autofree char *dir = NULL;
  g_autofree char *index = NULL;

  if (!root || !*root)
    return;
  dir = relative_to_config (b, root);
  index = g_build_filename (dir, "index.html", NULL);
  if (!g_file_test (index, G_FILE_TEST_IS_REGULAR)) {
    tb_problems_add (b->problems, "http", "web-root",
                     "'%s' is not a directory holding the web UI (no %s)", root, index);
    return;
  }
  b->config->http_web_root = g_steal_pointer (&dir);
}

static void
read_http (Builder *b)
{
  const TbConfigGroupSpec *spec = tb_config_schema_find_group ("http");
  g_autoptr(GVariant) s = tb_settings_from_group (b->file->keyfile, "http", spec->keys, NULL,
                                                  b->problems);
  const char *listen = tb_settings_get_string (s, "listen");
  const char *secret = NULL;
  const char *token = NULL;

  if (g_variant_lookup (s, "webhook-secret-env", "&s", &secret))
    b->config->http_webhook_secret = g_strdup (secret);
  if (g_variant_lookup (s, "api-token-env", "&s", &token))
    b->config->http_api_token = g_strdup (token);
  read_web_root (b, tb_settings_get_string (s, "web-root"));
  if (!listen || !*listen)
    return;
  if (!tb_config_split_host_port (listen, 8080, &b->config->http_host, &b->config->http_port) ||
      !g_hostname_is_ip_address (b->config->http_host)) {
    tb_problems_add (b->problems, "http", "listen",
                     "'%s' is not an IP address with an optional :PORT", listen);
    g_clear_pointer (&b->config->http_host, g_free);
  } else if (!b->config->http_api_token && !g_key_file_has_key (b->file->keyfile, "http",
                                                                 "api-token-env", NULL)) {
    check_http_open (b, listen);
  }
}

/* [database] conninfo; when it is empty, libpq's PG* variables, and when
 * those are not set either, no database. */
static void
read_database (Builder *b)
{
  const TbConfigGroupSpec *spec = tb_config_schema_find_group ("database");
  g_autoptr(GVariant) s = tb_settings_from_group (b->file->keyfile, "database", spec->keys, NULL,
                                                  b->problems);
  const char *conninfo = tb_settings_get_string (s, "conninfo");
  const char *journal = tb_settings_get_string (s, "journal-dir");

  b->config->db_journal_dir = relative_to_config (b, journal && *journal ? journal : "db-journal");
  b->config->db_queue_memory = (guint) tb_settings_get_int (s, "queue-memory");
  if (conninfo && *conninfo)
    b->config->db_conninfo = g_strdup (conninfo);
  else if (tb_store_env_configured ())
    b->config->db_conninfo = g_strdup ("");
}

/* A list of provider names: ';'-separated like every list, and ','
 * accepted too (llm=openai,rules), since no name holds one. */
static char **
provider_list (GVariant *settings, const char *key)
{
  g_auto(GStrv) items = tb_settings_dup_strv (settings, key);
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();

  for (guint i = 0; items && items[i]; i++) {
    g_auto(GStrv) parts = g_strsplit (items[i], ",", -1);

    for (guint p = 0; parts[p]; p++) {
      g_strstrip (parts[p]);
      if (*parts[p])
        g_strv_builder_add (names, parts[p]);
    }
  }
  return items ? g_strv_builder_end (names) : NULL;
}

static void
read_agent (Builder *b, const char *group, const char *name)
{
  const TbConfigGroupSpec *spec = tb_config_schema_find_group (group);
  g_autoptr(GVariant) s =
    tb_settings_from_group (b->file->keyfile, group, spec->keys, NULL, b->problems);
  TbAgentConfig *agent;
  const char *greeting_file;

  agent = g_new0 (TbAgentConfig, 1);
  agent->name = g_strdup (name);
  agent->numbers = tb_settings_dup_strv (s, "numbers");
  agent->greeting = g_strdup (tb_settings_get_string (s, "greeting"));
  agent->system_prompt = g_strdup (tb_settings_get_string (s, "system-prompt"));
  agent->language = g_strdup (tb_settings_get_string (s, "language"));
  agent->voice = g_strdup (tb_settings_get_string (s, "voice"));
  agent->stt = provider_list (s, "stt");
  agent->tts = provider_list (s, "tts");
  agent->llm = provider_list (s, "llm");
  agent->tools = provider_list (s, "tools");
  greeting_file = tb_settings_get_string (s, "greeting-file");
  if (greeting_file && *greeting_file)
    agent->greeting_file = find_data_file (b, greeting_file);
  agent->answer_delay_ms = (guint) tb_settings_get_int (s, "answer-delay-ms");
  agent->endpointing_ms = (guint) tb_settings_get_int (s, "endpointing-ms");
  agent->barge_in_min_ms = (guint) tb_settings_get_int (s, "barge-in-min-ms");
  agent->interruptible = tb_settings_get_bool (s, "interruptible");
  agent->filler_after_ms = (guint) tb_settings_get_int (s, "filler-after-ms");
  agent->fillers = tb_settings_dup_strv (s, "fillers");
  agent->speaking_rate = tb_settings_get_double (s, "speaking-rate");
  g_ptr_array_add (b->config->agents, agent);
  if (agent->greeting_file && !g_file_test (agent->greeting_file, G_FILE_TEST_IS_REGULAR))
    tb_problems_add (b->problems, group, "greeting-file", "%s is not a readable file",
                     agent->greeting_file);

  for (guint i = 0; agent->numbers[i]; i++) {
    const char *number = agent->numbers[i];
    const TbAgentConfig *owner_agent = g_hash_table_lookup (b->config->numbers, number);
    const char *owner = owner_agent ? owner_agent->name : NULL;

    if (!is_word (number, NUMBER_CHARS))
      tb_problems_add (b->problems, group, "numbers",
                       "'%s' is not a phone number or SIP user", number);
    else if (owner)
      tb_problems_add (b->problems, group, "numbers",
                       "number %s is already bound to agent '%s'", number, owner);
    else
      g_hash_table_insert (b->config->numbers, agent->numbers[i], agent);
  }
}

/* ---- providers --------------------------------------------------------- */

static void
add_provider (Builder *b, TbPluginKind kind, const char *name, const char *group,
              const TbPlugin *plugin)
{
  TbProviderConfig *provider;
  guint before = tb_problems_count (b->problems);
  GVariant *settings = tb_settings_from_group (b->file->keyfile, group,
                                               plugin->desc->config_keys,
                                               provider_handled_keys, b->problems);

  if (tb_problems_count (b->problems) > before) {
    g_variant_unref (settings);
    return;
  }
  /* Let the plugin judge the settings too, as it will for every worker. */
  if (plugin->desc->instance_new) {
    g_autoptr(GError) error = NULL;
    gpointer instance = plugin->desc->instance_new (tb_plugin_registry_get_host (b->registry),
                                                    settings, &error);

    if (!instance) {
      tb_problems_add (b->problems, group, NULL, "the %s plugin '%s' refused these settings: %s",
                       tb_plugin_kind_to_string (kind), plugin->desc->name,
                       error ? error->message : "no reason given");
      g_variant_unref (settings);
      return;
    }
    if (plugin->desc->instance_free)
      plugin->desc->instance_free (instance);
  }
  provider = g_new0 (TbProviderConfig, 1);
  provider->kind = kind;
  provider->name = g_strdup (name);
  provider->group = g_strdup (group);
  provider->plugin = plugin;
  provider->settings = settings;
  g_ptr_array_add (b->config->providers, provider);
}

/* [kind:NAME] groups: their plugin is "plugin=" or NAME. */
static void
read_provider_group (Builder *b, TbPluginKind kind, const char *group, const char *name)
{
  g_autofree char *plugin_name = g_key_file_get_string (b->file->keyfile, group, "plugin", NULL);
  const char *wanted = plugin_name ? g_strstrip (plugin_name) : name;
  const TbPlugin *plugin = tb_plugin_registry_lookup (b->registry, kind, wanted);

  if (!plugin) {
    tb_problems_add (b->problems, group, plugin_name ? "plugin" : NULL,
                     "no %s plugin '%s' is loaded (talkingbits-inspect lists the plugins found)",
                     tb_plugin_kind_to_string (kind), wanted);
    return;
  }
  add_provider (b, kind, name, group, plugin);
}

/* A provider an agent names: a [kind:NAME] group, else a plugin NAME with
 * its defaults. */
static void
resolve_reference (Builder *b, const char *agent_group, const char *key,
                   TbPluginKind kind, const char *name)
{
  const char *kind_name = tb_plugin_kind_to_string (kind);
  g_autofree char *group = g_strdup_printf ("%s:%s", kind_name, name);
  const TbPlugin *plugin;

  if (g_key_file_has_group (b->file->keyfile, group))
    return; /* read_provider_group() checks it */
  if (tb_config_find_provider (b->config, kind, name))
    return;
  plugin = tb_plugin_registry_lookup (b->registry, kind, name);
  if (!plugin) {
    tb_problems_add (b->problems, agent_group, key,
                     "no %s provider '%s': there is no [%s] group and no %s plugin '%s' "
                     "is loaded (talkingbits-inspect lists the plugins found)",
                     kind_name, name, group, kind_name, name);
    return;
  }
  add_provider (b, kind, name, group, plugin);
}

static void
resolve_agents (Builder *b)
{
  static const struct { const char *key; TbPluginKind kind; gsize offset; } stages[] = {
    { "stt", TB_PLUGIN_KIND_STT, G_STRUCT_OFFSET (TbAgentConfig, stt) },
    { "tts", TB_PLUGIN_KIND_TTS, G_STRUCT_OFFSET (TbAgentConfig, tts) },
    { "llm", TB_PLUGIN_KIND_LLM, G_STRUCT_OFFSET (TbAgentConfig, llm) },
    { "tools", TB_PLUGIN_KIND_TOOL, G_STRUCT_OFFSET (TbAgentConfig, tools) },
  };

  for (guint i = 0; i < b->config->agents->len; i++) {
    TbAgentConfig *agent = g_ptr_array_index (b->config->agents, i);
    g_autofree char *group = g_strdup_printf ("agent:%s", agent->name);

    for (guint s = 0; s < G_N_ELEMENTS (stages); s++) {
      char **chain = G_STRUCT_MEMBER (char **, agent, stages[s].offset);

      for (guint j = 0; chain[j]; j++)
        resolve_reference (b, group, stages[s].key, stages[s].kind, chain[j]);
    }
  }

  if (b->config->default_agent && !tb_config_find_agent (b->config, b->config->default_agent))
    tb_problems_add (b->problems, "talkingbits", "default-agent",
                     "no agent '%s' ([agent:%s] is not defined)",
                     b->config->default_agent, b->config->default_agent);
}

/* ---- the whole file ---------------------------------------------------- */

static void
report_unknown_group (Builder *b, const char *group)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *colon = strchr (group, ':');
  const char *suggestion;

  for (guint i = 0; tb_config_groups[i].name; i++)
    g_ptr_array_add (names, g_strdup (tb_config_groups[i].name));
  for (TbPluginKind k = TB_PLUGIN_KIND_STT; k <= TB_PLUGIN_KIND_TOOL; k++)
    g_ptr_array_add (names, g_strdup (tb_plugin_kind_to_string (k)));
  g_ptr_array_add (names, NULL);

  {
    g_autofree char *prefix = colon ? g_strndup (group, colon - group) : g_strdup (group);

    suggestion = tb_problems_suggest (prefix, (const char *const *) names->pdata);
    if (suggestion && !g_str_equal (suggestion, prefix))
      tb_problems_add (b->problems, group, NULL, "unknown group (did you mean [%s%s]?)",
                       suggestion, colon ? colon : "");
    else
      tb_problems_add (b->problems, group, NULL,
                       "unknown group (known: [talkingbits], [sip], [media], [agent:NAME], "
                       "[trunk:NAME], [account:NAME], "
                       "[stt:NAME], [tts:NAME], [llm:NAME], [tool:NAME])");
  }
}

static void
read_groups (Builder *b)
{
  g_auto(GStrv) groups = g_key_file_get_groups (b->file->keyfile, NULL);

  read_talkingbits (b);
  read_http (b);
  read_database (b);
  tb_config_read_sip (&b->config->sip, b->file->keyfile, b->problems);
  tb_config_read_media (&b->config->media, b->file->keyfile, &b->config->sip, b->problems);
  for (guint i = 0; groups[i]; i++) {
    const char *group = groups[i];
    const char *colon = strchr (group, ':');
    const char *name = colon ? colon + 1 : NULL;
    g_autofree char *prefix = colon ? g_strndup (group, colon - group) : g_strdup (group);
    const TbConfigGroupSpec *spec = tb_config_schema_find_group (group);
    TbPluginKind kind;

    if (spec && !spec->named)
      continue; /* [talkingbits], [sip], [media]: read above */
    if ((spec || tb_plugin_kind_from_string (prefix, &kind)) && !is_word (name, NAME_CHARS)) {
      tb_problems_add (b->problems, group, NULL,
                       "needs a name after '%s:' (letters, digits, '-', '_', '.')", prefix);
      continue;
    }
    if (spec && g_str_equal (spec->name, "trunk"))
      g_ptr_array_add (b->config->trunks,
                       tb_config_read_trunk (b->file->keyfile, group, name, b->problems));
    else if (spec && g_str_equal (spec->name, "account"))
      g_ptr_array_add (b->config->accounts,
                       tb_config_read_account (b->file->keyfile, group, name, b->problems));
    else if (spec)
      read_agent (b, group, name);
    else if (tb_plugin_kind_from_string (prefix, &kind))
      read_provider_group (b, kind, group, name);
    else
      report_unknown_group (b, group);
  }
  resolve_agents (b);
}

TbConfig *
tb_config_new (TbConfigFile *file, TbPluginRegistry *registry, GError **error)
{
  g_autoptr(TbProblems) problems = tb_problems_new (file->path, file->text);
  g_autoptr(TbConfig) config = tb_config_build (file, registry, problems);

  if (!tb_problems_to_error (problems, error))
    return NULL;
  return g_steal_pointer (&config);
}

TbConfig *
tb_config_build (TbConfigFile *file, TbPluginRegistry *registry, TbProblems *problems)
{
  g_autoptr(TbConfig) config = g_new0 (TbConfig, 1);
  Builder b = { file, registry, problems, config };

  g_atomic_ref_count_init (&config->ref);
  config->path = g_strdup (file->path);
  config->agents = g_ptr_array_new_with_free_func ((GDestroyNotify) agent_free);
  config->providers = g_ptr_array_new_with_free_func ((GDestroyNotify) provider_free);
  config->numbers = g_hash_table_new (g_str_hash, g_str_equal);
  config->trunks = g_ptr_array_new_with_free_func ((GDestroyNotify) tb_trunk_config_free);
  config->accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) tb_account_config_free);

  read_groups (&b);

  if (tb_problems_count (problems) > 0)
    return NULL;
  return g_steal_pointer (&config);
}
