/* config-schema.c — the groups and keys of talkingbits.conf the core reads.
 * Every key here is documented, with its default, in talkingbits.conf. */
#define G_LOG_DOMAIN "tb-config"

#include "config-schema.h"

#include "tb-build-config.h"

#include <string.h>

static const TbConfigKey talkingbits_keys[] = {
  { .name = "plugin-path", .type = TB_CONFIG_TYPE_STRING_LIST,
    .default_value = TB_PLUGINDIR,
    .help = "Directories scanned for plugin .so files, in order, before "
            "TALKINGBITS_PLUGIN_PATH; relative paths are relative to the config file" },
  { .name = "default-agent", .type = TB_CONFIG_TYPE_STRING,
    .help = "Agent that answers numbers bound to no agent; unset: such calls are refused" },
  { .name = "workers", .type = TB_CONFIG_TYPE_INT, .default_value = "0", .min = 0, .max = 256,
    .help = "Worker threads that carry the calls from the start; 0: one per CPU" },
  { .name = "calls-per-worker", .type = TB_CONFIG_TYPE_INT, .default_value = "32", .min = 0,
    .max = 100000,
    .help = "Another worker thread is started whenever every worker carries this many calls "
            "(a worker's cost per call grows with its calls); 0: only the first workers" },
  { .name = "recordings-dir", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "Directory where each call's caller audio is recorded as CALL-ID.wav; empty: no recording" },
  { .name = "provider-failures", .type = TB_CONFIG_TYPE_INT, .default_value = "3", .min = 1,
    .max = 1000,
    .help = "Failures in a row after which a provider is skipped for provider-cooldown-s "
            "when an agent's chain has another" },
  { .name = "provider-cooldown-s", .type = TB_CONFIG_TYPE_INT, .default_value = "30", .min = 0,
    .max = 86400,
    .help = "Seconds a failing provider is skipped before it is tried again; 0: never skipped" },
  { NULL }
};

static const TbConfigKey sip_keys[] = {
  { .name = "listen", .type = TB_CONFIG_TYPE_STRING, .default_value = "0.0.0.0:5060",
    .help = "Address (IP:PORT) where SIP is received over UDP and TCP" },
  { .name = "public-address", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "Address put in Contact and SDP when the server is behind NAT; empty: the listen address" },
  { .name = "user-agent", .type = TB_CONFIG_TYPE_STRING, .default_value = "Talkingbits",
    .help = "User-Agent and Server header value" },
  { .name = "max-calls", .type = TB_CONFIG_TYPE_INT, .default_value = "1000", .min = 1, .max = 100000,
    .help = "Concurrent calls; more are refused with 503 and Retry-After" },
  { .name = "trusted", .type = TB_CONFIG_TYPE_STRING_LIST, .default_value = "127.0.0.0/8;::1",
    .help = "Networks (CIDR) and hosts whose INVITEs are accepted without authentication" },
  { .name = "realm", .type = TB_CONFIG_TYPE_STRING, .default_value = "talkingbits",
    .help = "Digest realm of the challenges sent to callers outside trusted ([account:NAME])" },
  { NULL }
};

static const TbConfigKey http_keys[] = {
  { .name = "listen", .type = TB_CONFIG_TYPE_STRING, .default_value = "127.0.0.1:8080",
    .help = "Address (IP:PORT) of the HTTP server (Web API, built-in webhooks); empty: none" },
  { .name = "webhook-secret-env", .type = TB_CONFIG_TYPE_SECRET_ENV,
    .help = "Environment variable holding the secret the built-in webhooks check "
            "X-Talkingbits-Signature with; unset: requests are not checked" },
  { .name = "api-token-env", .type = TB_CONFIG_TYPE_SECRET_ENV,
    .help = "Environment variable holding the bearer token every /api route and /metrics "
            "need; unset: they are open, and listen must be a loopback address" },
  { .name = "web-root", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "Directory of the web UI's files (served under /ui/), relative to the config "
            "file; empty: the installed one ($datadir/talkingbits/web, or web/ in a "
            "TALKINGBITS_DATA_PATH directory)" },
  { NULL }
};

static const TbConfigKey database_keys[] = {
  { .name = "conninfo", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "libpq connection string of the PostgreSQL database (key=value ... or a "
            "postgresql:// URI); empty: libpq's PG* environment variables, and when none is "
            "set, no database" },
  { .name = "journal-dir", .type = TB_CONFIG_TYPE_STRING, .default_value = "db-journal",
    .help = "Directory (relative to the config file, made when missing) of the journal of "
            "call records that could not be written while the database was down" },
  { .name = "queue-memory", .type = TB_CONFIG_TYPE_INT, .default_value = "1000", .min = 0,
    .max = 1000000,
    .help = "Call records kept in memory while the database is down; more go to the journal" },
  { NULL }
};

static const TbConfigKey account_keys[] = {
  { .name = "password-env", .type = TB_CONFIG_TYPE_SECRET_ENV, .flags = TB_CONFIG_KEY_REQUIRED,
    .help = "Environment variable holding the password of this SIP account (user NAME)" },
  { NULL }
};

static const TbConfigKey trunk_keys[] = {
  { .name = "registrar", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "SIP URI the trunk registers with (sip:host[:port]); empty: no registration" },
  { .name = "proxy", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "SIP URI outbound calls are sent through; empty: the registrar" },
  { .name = "domain", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "Domain of the trunk's address of record and of dialled numbers; empty: the "
            "registrar's (else the proxy's) host" },
  { .name = "username", .type = TB_CONFIG_TYPE_STRING, .flags = TB_CONFIG_KEY_REQUIRED,
    .help = "Account name at the provider: user of the address of record" },
  { .name = "auth-username", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "Name used in digest authentication; empty: username" },
  { .name = "password-env", .type = TB_CONFIG_TYPE_SECRET_ENV, .flags = TB_CONFIG_KEY_REQUIRED,
    .help = "Environment variable holding the trunk password" },
  { .name = "expires", .type = TB_CONFIG_TYPE_INT, .default_value = "3600", .min = 60,
    .max = 86400, .help = "Registration lifetime asked for, in seconds; refreshed before it ends" },
  { .name = "caller-id", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "Number presented on outbound calls (From user); empty: username" },
  { NULL }
};

static const TbConfigKey media_keys[] = {
  { .name = "rtp-ports", .type = TB_CONFIG_TYPE_STRING, .default_value = "20000-29999",
    .help = "Range of local UDP ports for RTP, FIRST-LAST" },
  { .name = "rtp-address", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "Local address RTP sockets bind to; empty: the first SIP listen address" },
  { .name = "rtp-timeout", .type = TB_CONFIG_TYPE_INT, .default_value = "30", .min = 0, .max = 3600,
    .help = "Seconds without RTP from the caller before the call is ended; 0: never" },
  { .name = "transmit-silence", .type = TB_CONFIG_TYPE_BOOL, .default_value = "false",
    .help = "Send packets of silence while the agent is quiet; false: send nothing "
            "between its replies, each reply going out as soon as its audio is ready" },
  { .name = "codecs", .type = TB_CONFIG_TYPE_STRING_LIST, .default_value = "PCMU;PCMA;G722",
    .help = "Codecs accepted and offered (PCMU, PCMA, G722); the caller's order decides" },
  { .name = "sample-rate", .type = TB_CONFIG_TYPE_CHOICE, .default_value = "16000",
    .choices = "8000|16000|24000|48000",
    .help = "Rate of the audio frames exchanged with the conversation (Hz)" },
  { .name = "inbound-filter", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "GStreamer elements (gst-launch syntax) applied to the caller's audio" },
  { .name = "outbound-filter", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "GStreamer elements (gst-launch syntax) applied to the agent's audio" },
  { NULL }
};

static const TbConfigKey agent_keys[] = {
  { .name = "numbers", .type = TB_CONFIG_TYPE_STRING_LIST, .default_value = "",
    .help = "Dialled numbers (Request-URI or To user) this agent answers, ';'-separated" },
  { .name = "greeting", .type = TB_CONFIG_TYPE_STRING,
    .default_value = "Hello, how can I help you?",
    .help = "First words of the agent when it answers" },
  { .name = "system-prompt", .type = TB_CONFIG_TYPE_STRING,
    .default_value = "You are a helpful phone assistant. Keep your answers short.",
    .help = "Instructions given to the language model" },
  { .name = "language", .type = TB_CONFIG_TYPE_STRING, .default_value = "en-US",
    .help = "Language of the conversation as a BCP 47 tag" },
  { .name = "voice", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "Voice of the text-to-speech provider; empty: the provider's default" },
  { .name = "stt", .type = TB_CONFIG_TYPE_STRING_LIST, .default_value = "",
    .help = "Speech-to-text providers, first choice first" },
  { .name = "tts", .type = TB_CONFIG_TYPE_STRING_LIST, .default_value = "",
    .help = "Text-to-speech providers, first choice first" },
  { .name = "llm", .type = TB_CONFIG_TYPE_STRING_LIST, .default_value = "",
    .help = "Language-model providers, first choice first" },
  { .name = "tools", .type = TB_CONFIG_TYPE_STRING_LIST, .default_value = "",
    .help = "Tool providers whose functions the language model may call" },
  { .name = "greeting-file", .type = TB_CONFIG_TYPE_STRING, .default_value = "",
    .help = "Audio file played when the call is answered (until a TTS greeting replaces it)" },
  { .name = "answer-delay-ms", .type = TB_CONFIG_TYPE_INT, .default_value = "0",
    .min = 0, .max = 60000, .help = "Ringing time before the agent answers" },
  { .name = "endpointing-ms", .type = TB_CONFIG_TYPE_INT, .default_value = "700",
    .min = 100, .max = 5000,
    .help = "Silence after the caller's speech that ends their turn (longer while the "
            "transcript looks unfinished)" },
  { .name = "barge-in-min-ms", .type = TB_CONFIG_TYPE_INT, .default_value = "240",
    .min = 20, .max = 5000,
    .help = "Caller speech needed to interrupt the agent while it speaks" },
  { .name = "interruptible", .type = TB_CONFIG_TYPE_BOOL, .default_value = "true",
    .help = "Whether the caller can interrupt the agent by speaking" },
  { .name = "filler-after-ms", .type = TB_CONFIG_TYPE_INT, .default_value = "1000",
    .min = 0, .max = 60000,
    .help = "A tool that takes longer than this gets a filler phrase; 0: never" },
  { .name = "fillers", .type = TB_CONFIG_TYPE_STRING_LIST,
    .default_value = "One moment, please.;Let me check that.",
    .help = "Filler phrases spoken while a slow tool runs, in turn" },
  { .name = "speaking-rate", .type = TB_CONFIG_TYPE_DOUBLE, .default_value = "1.0",
    .min = 0.5, .max = 2.0, .help = "Speaking rate of the agent's voice, 1.0 = normal" },
  { NULL }
};

const TbConfigGroupSpec tb_config_groups[] = {
  { "talkingbits", FALSE, talkingbits_keys, "The daemon itself" },
  { "sip", FALSE, sip_keys, "SIP: where to listen, who may call" },
  { "media", FALSE, media_keys, "RTP and audio processing" },
  { "http", FALSE, http_keys, "The HTTP server: Web API and built-in webhooks" },
  { "database", FALSE, database_keys, "The PostgreSQL database: schema, call records" },
  { "agent", TRUE, agent_keys, "An agent: who answers which numbers, and how" },
  { "trunk", TRUE, trunk_keys, "A SIP trunk: registration and outbound calls through a provider" },
  { "account", TRUE, account_keys, "A SIP account that may call in from anywhere with digest "
                                   "authentication" },
  { NULL, FALSE, NULL, NULL }
};

const TbConfigGroupSpec *
tb_config_schema_find_group (const char *group)
{
  for (guint i = 0; tb_config_groups[i].name; i++) {
    const TbConfigGroupSpec *spec = &tb_config_groups[i];
    gsize len = strlen (spec->name);

    if (!spec->named && g_str_equal (group, spec->name))
      return spec;
    if (spec->named && strncmp (group, spec->name, len) == 0 && group[len] == ':')
      return spec;
  }
  return NULL;
}
