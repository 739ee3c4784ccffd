/* config.h — talkingbits.conf as typed, validated, immutable settings. */
#pragma once

#include "plugin.h"
#include "problems.h"

G_BEGIN_DECLS

typedef struct {
  char *name;
  char **numbers;
  char *greeting;
  char *system_prompt;
  char *language;
  char *voice;
  /* Provider names by stage, first choice first. */
  char **stt;
  char **tts;
  char **llm;
  char **tools;
  char *greeting_file;     /* NULL when unset */
  guint answer_delay_ms;
  /* Turn-taking */
  guint endpointing_ms;
  guint barge_in_min_ms;
  gboolean interruptible;
  guint filler_after_ms;
  char **fillers;
  double speaking_rate;
} TbAgentConfig;

typedef struct {
  char *listen_host;       /* IP address SIP binds to, UDP and TCP      */
  guint listen_port;
  char *public_address;    /* NULL when unset                           */
  char *user_agent;
  guint max_calls;
  GPtrArray *trusted;      /* GInetAddressMask *                        */
  char *realm;             /* of our digest challenges                  */
} TbSipConfig;

/* [trunk:NAME]: a SIP provider we register with and call out through. */
typedef struct {
  char *name;
  char *registrar;         /* SIP URI; NULL: no registration           */
  char *proxy;             /* SIP URI outbound INVITEs go through       */
  char *domain;            /* of the address of record and of numbers  */
  char *username;
  char *auth_username;
  char *password;          /* from the environment; never logged       */
  guint expires;
  char *caller_id;
  GPtrArray *hosts;        /* GInetAddressMask *: registrar and proxy,
                              trusted for inbound calls                 */
} TbTrunkConfig;

/* [account:NAME]: a SIP user that may call in with digest authentication. */
typedef struct {
  char *name;
  char *password;          /* from the environment; never logged       */
} TbAccountConfig;

typedef struct {
  guint rtp_first, rtp_last;
  char *rtp_address;       /* bind address of RTP sockets               */
  guint rtp_timeout_s;
  gboolean transmit_silence;  /* packets of silence between talkspurts */
  GPtrArray *codecs;       /* const TbCodec *, NULL-terminated          */
  guint sample_rate;
  char *inbound_filter;    /* NULL when unset                           */
  char *outbound_filter;
} TbMediaConfig;

typedef struct {
  TbPluginKind kind;
  char *name;              /* NAME of [kind:NAME], or the plugin's name   */
  char *group;             /* "kind:NAME"                                 */
  const TbPlugin *plugin;  /* owned by the registry                       */
  GVariant *settings;      /* a{sv} checked against the plugin's keys     */
} TbProviderConfig;

typedef struct {
  gatomicrefcount ref;
  char *path;
  char **plugin_path;      /* directories from [talkingbits] plugin-path */
  char *default_agent;     /* NULL when unset                            */
  guint workers;           /* 0: one per CPU                             */
  guint calls_per_worker;  /* another worker past this; 0: never       */
  char *recordings_dir;    /* NULL: calls are not recorded               */
  guint provider_failures; /* in a row, before a provider is skipped      */
  guint provider_cooldown_s; /* how long it is skipped; 0: never           */
  TbSipConfig sip;
  TbMediaConfig media;
  GHashTable *numbers;     /* number -> TbAgentConfig *                  */
  GPtrArray *agents;       /* TbAgentConfig *                            */
  GPtrArray *providers;    /* TbProviderConfig *, every one in use       */
  char *http_host;         /* NULL: no HTTP server                       */
  guint http_port;
  char *http_webhook_secret; /* NULL: built-in webhooks are not signed; never logged */
  char *http_api_token;    /* bearer token of /api; NULL: none; never logged */
  char *http_web_root;     /* the web UI's files; NULL: the installed ones */
  char *db_conninfo;       /* libpq conninfo ("": the PG* variables);
                              NULL: no database                          */
  char *db_journal_dir;    /* records not yet written, beyond the memory */
  guint db_queue_memory;   /* records held in memory while the db is down */
  GPtrArray *trunks;       /* TbTrunkConfig *                            */
  GPtrArray *accounts;     /* TbAccountConfig *                          */
} TbConfig;

/* A config file read from disk, before validation. */
typedef struct {
  char *path;
  char *text;
  GKeyFile *keyfile;
} TbConfigFile;

/* @option when given, else ./talkingbits.conf when it exists, else the
 * installed one. */
char *tb_config_default_path (const char *option);

/* Reads and parses @path; a syntax error names the file and line. */
TbConfigFile *tb_config_file_read (const char *path, GError **error);
/* Same, from text in memory; @path is only used in messages. */
TbConfigFile *tb_config_file_new_from_data (const char *path, const char *text, GError **error);
void tb_config_file_free (TbConfigFile *file);

/* The directories of [talkingbits] plugin-path (relative ones resolved
 * against the file's directory); the default when the key is absent or
 * invalid (tb_config_new() reports that problem). */
char **tb_config_file_plugin_dirs (TbConfigFile *file);

/* Validates @file completely against the core schema and, for providers,
 * against the keys of the plugins in @registry. Every problem is reported at
 * once in @error, one per line, each naming file, group and key. */
TbConfig *tb_config_new (TbConfigFile *file, TbPluginRegistry *registry, GError **error);

/* Same, with each problem added to @problems instead (NULL when there is
 * one): for callers that report problems one by one. */
TbConfig *tb_config_build (TbConfigFile *file, TbPluginRegistry *registry, TbProblems *problems);

TbConfig *tb_config_ref (TbConfig *config);
void tb_config_unref (TbConfig *config);

const TbAgentConfig *tb_config_find_agent (TbConfig *config, const char *name);
/* The agent that answers @number: its binding, else the default agent. */
const TbAgentConfig *tb_config_route (TbConfig *config, const char *number);
/* The trunk called @name; with @name NULL, the first one. NULL if none. */
const TbTrunkConfig *tb_config_find_trunk (TbConfig *config, const char *name);
const TbAccountConfig *tb_config_find_account (TbConfig *config, const char *name);
const TbProviderConfig *tb_config_find_provider (TbConfig *config, TbPluginKind kind,
                                                 const char *name);

/* The data directory @name ("schemas", "web"): in the first
 * TALKINGBITS_DATA_PATH directory (':'-separated; an uninstalled build
 * sets it to its data/) that has it, else in the installed data
 * directory (which may not have it either). */
char *tb_config_find_data_dir (const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbConfigFile, tb_config_file_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbConfig, tb_config_unref)

G_END_DECLS
