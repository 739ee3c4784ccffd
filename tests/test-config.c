/* test-config.c — talkingbits.conf parsing: typed values, every error case
 * (each message names file, group and key), secrets, and the shipped file. */
#include "config.h"
#include "config-schema.h"
#include "settings.h"
#include "codec.h"
#include "test-util.h"

#include <string.h>


#define SECRET_VALUE "sk-live-5ecret-Value-0042"

typedef struct {
  char *dir;
  TbPluginRegistry *registry;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  const char *dirs[] = { NULL, NULL };
  TbPluginScan *scan;

  f->dir = tb_test_plugin_dir_new (tb_test_good_plugins);
  dirs[0] = f->dir;
  f->registry = tb_plugin_registry_new (tb_test_host ());
  scan = tb_plugin_registry_scan (f->registry, dirs);
  g_assert_cmpuint (scan->loaded->len, ==, 4);
  tb_plugin_scan_free (scan);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  tb_plugin_registry_free (f->registry);
  tb_test_remove_tree (f->dir);
  g_free (f->dir);
}

/* Loads @text as "test.conf"; returns the config or NULL with @error. */
static TbConfig *
load (Fixture *f, const char *text, GError **error)
{
  g_autoptr(TbConfigFile) file = tb_config_file_new_from_data ("test.conf", text, error);

  if (!file)
    return NULL;
  return tb_config_new (file, f->registry, error);
}

#define AGENT_OK "[agent:a]\nnumbers=1000\nstt=teststt\ntts=testtts\nllm=testllm\n"
#define TOOL_OK "[tool:testtool]\nurl=http://127.0.0.1:9/book\n"

static void
test_valid (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TbConfig) config = load (f,
    "# a comment\n"
    "[talkingbits]\n"
    "default-agent=reception\n"
    "plugin-path=plugins;/opt/tb\n"
    "provider-failures=5\n"
    "[agent:reception]\n"
    "numbers=1000; +15550100 ;\n"
    "greeting=Good morning, Dr. Smith's clinic.\n"
    "stt=teststt\n"
    "tts=fast;testtts\n"
    "llm=testllm\n"
    "tools=booking\n"
    "[agent:commas]\n"
    "stt=teststt\n"
    "tts=fast, testtts;fast\n"
    "llm=testllm\n"
    "[tts:fast]\n"
    "plugin=testtts\n"
    "temperature=1.5\n"
    "max-tokens=4096\n"
    "stream=no\n"
    "stop=bye;goodbye\n"
    "format=ulaw\n"
    "api-key-env=TB_TEST_SECRET\n"
    "[tool:booking]\n"
    "plugin=testtool\n"
    "url=http://127.0.0.1:9/book\n",
    &error);
  const TbAgentConfig *agent;
  const TbProviderConfig *fast, *llm, *booking;
  double temperature = 0;
  const char *key = NULL;
  g_auto(GStrv) stop = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_cmpstr (config->default_agent, ==, "reception");
  g_assert_cmpstr (config->plugin_path[0], ==, "./plugins");
  g_assert_cmpstr (config->plugin_path[1], ==, "/opt/tb");

  agent = tb_config_find_agent (config, "reception");
  g_assert_nonnull (agent);
  g_assert_cmpuint (g_strv_length (agent->numbers), ==, 2);
  g_assert_cmpstr (agent->numbers[1], ==, "+15550100");
  g_assert_cmpstr (agent->greeting, ==, "Good morning, Dr. Smith's clinic.");
  g_assert_cmpstr (agent->language, ==, "en-US");     /* default */
  g_assert_cmpstr (agent->tts[0], ==, "fast");
  g_assert_cmpstr (agent->tts[1], ==, "testtts");
  /* A chain may be written with ',' too. */
  agent = tb_config_find_agent (config, "commas");
  g_assert_cmpuint (g_strv_length (agent->tts), ==, 3);
  g_assert_cmpstr (agent->tts[0], ==, "fast");
  g_assert_cmpstr (agent->tts[1], ==, "testtts");
  g_assert_cmpstr (agent->tts[2], ==, "fast");
  g_assert_cmpuint (config->provider_failures, ==, 5);
  g_assert_cmpuint (config->provider_cooldown_s, ==, 30);   /* default */
  agent = tb_config_find_agent (config, "reception");

  /* A named provider group with a plugin= key, typed values, resolved secret. */
  fast = tb_config_find_provider (config, TB_PLUGIN_KIND_TTS, "fast");
  g_assert_nonnull (fast);
  g_assert_cmpstr (fast->plugin->desc->name, ==, "testtts");
  g_assert_true (g_variant_lookup (fast->settings, "temperature", "d", &temperature));
  g_assert_cmpfloat (temperature, ==, 1.5);
  g_assert_cmpint (tb_settings_get_int (fast->settings, "max-tokens"), ==, 4096);
  g_assert_false (tb_settings_get_bool (fast->settings, "stream"));
  stop = tb_settings_dup_strv (fast->settings, "stop");
  g_assert_cmpuint (g_strv_length (stop), ==, 2);
  g_assert_cmpstr (tb_settings_get_string (fast->settings, "format"), ==, "ulaw");
  g_assert_true (g_variant_lookup (fast->settings, "api-key-env", "&s", &key));
  g_assert_cmpstr (key, ==, SECRET_VALUE);

  /* A provider named by an agent without a group: the plugin's defaults. */
  llm = tb_config_find_provider (config, TB_PLUGIN_KIND_LLM, "testllm");
  g_assert_nonnull (llm);
  g_assert_cmpint (tb_settings_get_int (llm->settings, "max-tokens"), ==, 256);
  g_assert_true (tb_settings_get_bool (llm->settings, "stream"));
  g_assert_null (tb_settings_get_string (llm->settings, "url")); /* no default */

  booking = tb_config_find_provider (config, TB_PLUGIN_KIND_TOOL, "booking");
  g_assert_nonnull (booking);
  g_assert_cmpstr (tb_settings_get_string (booking->settings, "url"), ==, "http://127.0.0.1:9/book");
  g_assert_cmpuint (config->providers->len, ==, 5);

  /* Routing: bound numbers, then the default agent. */
  g_assert_true (tb_config_route (config, "+15550100") == agent);
  g_assert_true (tb_config_route (config, "9999") == agent);
}

static void
test_telephony (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TbConfig) config = load (f,
    "[sip]\nlisten=127.0.0.1:5080\nmax-calls=20\ntrusted=10.1.0.0/16;192.0.2.7\n"
    "[media]\nrtp-ports=40000-40100\ncodecs=G722;PCMA\nsample-rate=8000\n"
    "inbound-filter=webrtcdsp echo-cancel=false noise-suppression-level=high\n"
    "[agent:a]\nnumbers=1000\n"
    "[trunk:carrier]\nregistrar=sip:192.0.2.50:5070\nusername=15550100\n"
    "password-env=TB_TEST_SECRET\nexpires=600\n"
    "[trunk:direct]\nproxy=sip:gw@198.51.100.9;transport=tcp\nusername=u\n"
    "auth-username=u-auth\npassword-env=TB_TEST_SECRET\ncaller-id=+15550199\n"
    "[account:alice]\npassword-env=TB_TEST_SECRET\n"
    "[http]\nlisten=127.0.0.2:8081\nwebhook-secret-env=TB_TEST_SECRET\n", &error);
  const TbTrunkConfig *trunk;
  g_autoptr(GInetAddress) inside = g_inet_address_new_from_string ("10.1.200.3");
  g_autoptr(GInetAddress) outside = g_inet_address_new_from_string ("10.2.0.1");
  gboolean matched = FALSE;

  g_assert_no_error (error);
  g_assert_cmpstr (config->sip.listen_host, ==, "127.0.0.1");
  g_assert_cmpuint (config->sip.listen_port, ==, 5080);
  g_assert_cmpuint (config->sip.max_calls, ==, 20);
  g_assert_cmpuint (config->sip.trusted->len, ==, 2);
  g_assert_true (g_inet_address_mask_matches (g_ptr_array_index (config->sip.trusted, 0), inside));
  for (guint i = 0; i < config->sip.trusted->len; i++)
    matched |= g_inet_address_mask_matches (g_ptr_array_index (config->sip.trusted, i), outside);
  g_assert_false (matched);
  g_assert_cmpuint (config->media.rtp_first, ==, 40000);
  g_assert_cmpuint (config->media.rtp_last, ==, 40100);
  g_assert_cmpstr (config->media.rtp_address, ==, "127.0.0.1");
  g_assert_cmpstr (((const TbCodec *) g_ptr_array_index (config->media.codecs, 0))->encoding_name,
                   ==, "G722");
  g_assert_cmpuint (config->media.sample_rate, ==, 8000);
  g_assert_cmpuint (config->media.rtp_timeout_s, ==, 30);
  g_assert_cmpstr (config->http_host, ==, "127.0.0.2");
  g_assert_cmpuint (config->http_port, ==, 8081);
  g_assert_cmpstr (config->http_webhook_secret, ==, SECRET_VALUE);
  /* No default agent: an unbound number has no agent. */
  g_assert_null (tb_config_route (config, "2000"));
  g_assert_nonnull (tb_config_route (config, "1000"));

  /* Trunks: URIs, domain from the registrar host, defaults. */
  trunk = tb_config_find_trunk (config, NULL);
  g_assert_cmpstr (trunk->name, ==, "carrier");
  g_assert_cmpstr (trunk->registrar, ==, "sip:192.0.2.50:5070");
  g_assert_cmpstr (trunk->proxy, ==, "sip:192.0.2.50:5070");
  g_assert_cmpstr (trunk->domain, ==, "192.0.2.50");
  g_assert_cmpstr (trunk->auth_username, ==, "15550100");
  g_assert_cmpstr (trunk->caller_id, ==, "15550100");
  g_assert_cmpstr (trunk->password, ==, SECRET_VALUE);
  g_assert_cmpuint (trunk->expires, ==, 600);
  g_assert_cmpuint (trunk->hosts->len, ==, 1);
  trunk = tb_config_find_trunk (config, "direct");
  g_assert_null (trunk->registrar);
  g_assert_cmpstr (trunk->domain, ==, "198.51.100.9");
  g_assert_cmpstr (trunk->auth_username, ==, "u-auth");
  g_assert_cmpstr (trunk->caller_id, ==, "+15550199");
  g_assert_null (tb_config_find_trunk (config, "nope"));
  g_assert_cmpstr (tb_config_find_account (config, "alice")->password, ==, SECRET_VALUE);
  g_assert_null (tb_config_find_account (config, "bob"));
  g_assert_cmpstr (config->sip.realm, ==, "talkingbits");
}

typedef struct {
  const char *name;
  const char *text;
  const char *expected;   /* a line of the error */
} ErrorCase;

static const ErrorCase error_cases[] = {
  { "unknown-key", AGENT_OK "greting=Hi\n",
    "test.conf:6: [agent:a] greting: unknown key (did you mean 'greeting'?)" },
  { "unknown-core-key", "[talkingbits]\nplugin-pth=/x\n",
    "test.conf:2: [talkingbits] plugin-pth: unknown key (did you mean 'plugin-path'?)" },
  { "unknown-plugin-key", AGENT_OK "[llm:testllm]\nmodle=big\n",
    "test.conf:7: [llm:testllm] modle: unknown key (did you mean 'model'?)" },
  { "unknown-group", AGENT_OK "[agnet:b]\n",
    "test.conf:6: [agnet:b] unknown group (did you mean [agent:b]?)" },
  { "unknown-group-far", "[inventory]\nshelves=x\n",
    "test.conf:1: [inventory] unknown group" },
  { "unnamed-group", "[agent:]\nstt=teststt\n",
    "test.conf:1: [agent:] needs a name after 'agent:'" },
  { "wrong-type-int", AGENT_OK "[llm:testllm]\nmax-tokens=many\n",
    "test.conf:7: [llm:testllm] max-tokens: expected an integer, got 'many'" },
  { "out-of-range-int", AGENT_OK "[llm:testllm]\nmax-tokens=0\n",
    "[llm:testllm] max-tokens: 0 is out of range (1 to 4096)" },
  { "wrong-type-double", AGENT_OK "[llm:testllm]\ntemperature=warm\n",
    "[llm:testllm] temperature: expected a number, got 'warm'" },
  { "out-of-range-double", AGENT_OK "[llm:testllm]\ntemperature=2.5\n",
    "[llm:testllm] temperature: 2.5 is out of range (0 to 2)" },
  { "wrong-type-bool", AGENT_OK "[llm:testllm]\nstream=maybe\n",
    "[llm:testllm] stream: expected true or false, got 'maybe'" },
  { "wrong-choice", AGENT_OK "[llm:testllm]\nformat=mp3\n",
    "[llm:testllm] format: expected one of pcm, ulaw, got 'mp3'" },
  { "missing-required-plugin", AGENT_OK "tools=testtool\n",
    "[tool:testtool] url: required key is missing" },
  { "undefined-provider", "[agent:a]\nstt=teststt\ntts=testtts\nllm=gpt\n",
    "test.conf:4: [agent:a] llm: no llm provider 'gpt': there is no [llm:gpt] group and no llm plugin 'gpt' is loaded" },
  { "undefined-tool", AGENT_OK "tools=booking\n",
    "test.conf:6: [agent:a] tools: no tool provider 'booking'" },
  { "wrong-kind", "[agent:a]\nstt=testtts\ntts=testtts\nllm=testllm\n",
    "[agent:a] stt: no stt provider 'testtts'" },
  { "undefined-plugin", AGENT_OK "[llm:local]\nplugin=llama\n",
    "test.conf:7: [llm:local] plugin: no llm plugin 'llama' is loaded" },
  { "undefined-agent", "[talkingbits]\ndefault-agent=ghost\n" AGENT_OK,
    "test.conf:2: [talkingbits] default-agent: no agent 'ghost' ([agent:ghost] is not defined)" },
  { "missing-env", AGENT_OK TOOL_OK "api-key-env=TB_TEST_UNSET_VAR\n",
    "test.conf:8: [tool:testtool] api-key-env: environment variable TB_TEST_UNSET_VAR is not set" },
  { "trunk-without-uri", AGENT_OK "[trunk:t]\nusername=u\npassword-env=TB_TEST_SECRET\n",
    "[trunk:t] registrar: a trunk needs a registrar or a proxy" },
  { "trunk-bad-uri", AGENT_OK "[trunk:t]\nregistrar=http://x\nusername=u\npassword-env=TB_TEST_SECRET\n",
    "test.conf:7: [trunk:t] registrar: 'http://x' is not a SIP URI" },
  { "trunk-missing-username", AGENT_OK "[trunk:t]\nproxy=sip:127.0.0.1\npassword-env=TB_TEST_SECRET\n",
    "[trunk:t] username: required key is missing" },
  { "trunk-missing-env", AGENT_OK "[trunk:t]\nproxy=sip:127.0.0.1\nusername=u\npassword-env=TB_TEST_UNSET_VAR\n",
    "[trunk:t] password-env: environment variable TB_TEST_UNSET_VAR is not set" },
  { "account-missing-password", AGENT_OK "[account:alice]\n",
    "[account:alice] password-env: required key is missing" },
  { "secret-in-file", AGENT_OK TOOL_OK "api-key-env=" SECRET_VALUE "\n",
    "[tool:testtool] api-key-env: must name an environment variable" },
  { "refused-by-plugin", AGENT_OK "[llm:testllm]\nmodel=reject\n",
    "test.conf:6: [llm:testllm] the llm plugin 'testllm' refused these settings: model 'reject' does not exist" },
  { "duplicate-number", AGENT_OK "[agent:b]\nnumbers=2000;1000\nstt=teststt\ntts=testtts\nllm=testllm\n",
    "test.conf:7: [agent:b] numbers: number 1000 is already bound to agent 'a'" },
  { "bad-number", "[agent:a]\nnumbers=10 00\nstt=teststt\ntts=testtts\nllm=testllm\n",
    "test.conf:2: [agent:a] numbers: '10 00' is not a phone number or SIP user" },
  { "http-bad-listen", "[http]\nlisten=localhost:8080\n",
    "test.conf:2: [http] listen: 'localhost:8080' is not an IP address with an optional :PORT" },
  { "http-bad-web-root", "[http]\nweb-root=no-such-ui-dir\n",
    "test.conf:2: [http] web-root: 'no-such-ui-dir' is not a directory holding the web UI (no " },
  { "http-secret-unset", "[http]\nwebhook-secret-env=TB_TEST_UNSET_VAR\n",
    "test.conf:2: [http] webhook-secret-env: environment variable TB_TEST_UNSET_VAR is not set" },
  { "bad-listen", "[sip]\nlisten=localhost:5060\n",
    "test.conf:2: [sip] listen: 'localhost:5060' is not an IP address with an optional :PORT" },
  { "bad-listen-port", "[sip]\nlisten=127.0.0.1:99999\n",
    "[sip] listen: '127.0.0.1:99999' is not an IP address" },
  { "bad-trusted", "[sip]\ntrusted=10.0.0.0/33\n",
    "test.conf:2: [sip] trusted: '10.0.0.0/33' is neither a network (CIDR)" },
  { "bad-max-calls", "[sip]\nmax-calls=0\n",
    "[sip] max-calls: 0 is out of range (1 to 100000)" },
  { "bad-rtp-ports", "[media]\nrtp-ports=30000-20000\n",
    "test.conf:2: [media] rtp-ports: expected FIRST-LAST with 1024 <= FIRST < LAST <= 65535, got '30000-20000'" },
  { "bad-codec", "[media]\ncodecs=PCMU;G729\n",
    "[media] codecs: unknown codec 'G729' (known: PCMU, PCMA, G722)" },
  { "bad-sample-rate", "[media]\nsample-rate=44100\n",
    "[media] sample-rate: expected one of 8000, 16000, 24000, 48000, got '44100'" },
  { "missing-greeting-file", AGENT_OK "greeting-file=/nonexistent/greeting.wav\n",
    "test.conf:6: [agent:a] greeting-file: /nonexistent/greeting.wav is not a readable file" },
  { "bad-inbound-filter", "[media]\ninbound-filter=webrtcdsp noise-suppression-level=loudest\n",
    "test.conf:2: [media] inbound-filter: " },
  { "unknown-filter-element", "[media]\noutbound-filter=nosuchelement\n",
    "test.conf:2: [media] outbound-filter: " },
  { "syntax", "[agent:a]\nstt=teststt\nthis line is not keyfile\n",
    "test.conf:3: syntax error" },
  { "no-group", "stt=teststt\n", "test.conf:1: syntax error" },
};

static void
test_error (Fixture *f, gconstpointer data)
{
  const ErrorCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TbConfig) config = load (f, c->text, &error);

  g_assert_null (config);
  g_assert_nonnull (error);
  g_assert_true (error->domain == TB_CONFIG_ERROR);
  g_assert_true (tb_test_contains (error->message, c->expected));
  /* Each problem is on its own line, and every line names the file. */
  {
    g_auto(GStrv) lines = g_strsplit (error->message, "\n", -1);

    for (guint i = 0; lines[i]; i++)
      g_assert_true (g_str_has_prefix (lines[i], "test.conf"));
  }
  /* A secret never appears in a message, even when pasted in the file. */
  g_assert_null (strstr (error->message, SECRET_VALUE));
}

/* All problems are reported at once, not just the first. */
static void
test_all_problems (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TbConfig) config = load (f,
    "[talkingbits]\nverbose=true\n"
    "[agent:a]\nstt=teststt\ntts=testtts\nllm=gpt\ngreting=hi\n", &error);
  g_auto(GStrv) lines = NULL;

  g_assert_null (config);
  lines = g_strsplit (error->message, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
}

/* A valid secret is resolved but appears in no message about the file. */
static void
test_secret_not_in_messages (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TbConfig) config = load (f,
    AGENT_OK TOOL_OK "api-key-env=TB_TEST_SECRET\nmodel=reject\n", &error);

  g_assert_null (config);
  g_assert_true (tb_test_contains (error->message, "refused these settings"));
  g_assert_null (strstr (error->message, SECRET_VALUE));
}

/* The shipped talkingbits.conf documents every key the core reads, and it
 * is valid with the plugins this build ships. */
static void
test_shipped_config (void)
{
  g_autofree char *path = g_build_filename (TB_SOURCE_ROOT, "talkingbits.conf", NULL);
  g_autofree char *plugins = g_build_filename (TB_BUILD_ROOT, "plugins", NULL);
  const char *const dirs[] = { plugins, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(TbConfigFile) file = tb_config_file_read (path, &error);
  g_autoptr(TbPluginRegistry) registry = tb_plugin_registry_new (tb_test_host ());
  g_autoptr(TbPluginScan) scan = NULL;
  g_autoptr(TbConfig) config = NULL;

  g_assert_no_error (error);
  /* The demo agent's greeting, as built. */
  g_setenv ("TALKINGBITS_DATA_PATH", TB_BUILD_ROOT "/data", TRUE);
  for (guint g = 0; tb_config_groups[g].name; g++) {
    const TbConfigGroupSpec *spec = &tb_config_groups[g];
    g_autofree char *header = g_strdup_printf (spec->named ? "[%s:" : "[%s]", spec->name);

    g_assert_true (tb_test_contains (file->text, header));
    g_assert_true (tb_settings_check_keys (spec->keys, NULL));
    for (guint k = 0; spec->keys[k].name; k++) {
      g_autofree char *pattern = g_strdup_printf ("(?m)^#?%s=", spec->keys[k].name);

      if (!g_regex_match_simple (pattern, file->text, 0, 0))
        g_error ("talkingbits.conf does not document [%s] %s", spec->name, spec->keys[k].name);
    }
  }

  scan = tb_plugin_registry_scan (registry, dirs);
  g_assert_cmpuint (scan->skipped->len, ==, 0);
  config = tb_config_new (file, registry, &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
}

int
main (int argc, char **argv)
{
  g_setenv ("TB_TEST_SECRET", SECRET_VALUE, TRUE);
  g_unsetenv ("TB_TEST_UNSET_VAR");
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/config/valid", Fixture, NULL, fixture_set_up, test_valid, fixture_tear_down);
  for (guint i = 0; i < G_N_ELEMENTS (error_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/config/error/%s", error_cases[i].name);

    g_test_add (path, Fixture, &error_cases[i], fixture_set_up, test_error, fixture_tear_down);
  }
  g_test_add ("/config/telephony", Fixture, NULL, fixture_set_up, test_telephony, fixture_tear_down);
  g_test_add ("/config/all-problems", Fixture, NULL, fixture_set_up, test_all_problems,
              fixture_tear_down);
  g_test_add ("/config/secret-not-in-messages", Fixture, NULL, fixture_set_up,
              test_secret_not_in_messages, fixture_tear_down);
  g_test_add_func ("/config/shipped", test_shipped_config);
  return g_test_run ();
}
