-- 002_catalog.sql — agents, numbers and tools managed through the Web API
-- beside those declared in talkingbits.conf. What the file declares is
-- provisioned at start and marked config_managed: the API shows it and
-- refuses to change it (the file is where it is changed). Rows the API
-- writes take effect for the next call.

ALTER TABLE numbers ADD COLUMN config_managed boolean NOT NULL DEFAULT false;
ALTER TABLE tools ADD COLUMN config_managed boolean NOT NULL DEFAULT false;
-- The function name the language model sees; the tool's name when NULL.
ALTER TABLE tools ADD COLUMN function_name text
  CHECK (function_name ~ '^[A-Za-z0-9_-]+$');
-- Settings of a tool plugin other than the webhook (key -> value, the
-- keys talkingbits-inspect lists for the plugin).
ALTER TABLE tools ADD COLUMN options jsonb NOT NULL DEFAULT '{}';
ALTER TABLE tools ALTER COLUMN parameters DROP NOT NULL;
ALTER TABLE tools ALTER COLUMN parameters SET DEFAULT NULL;
ALTER TABLE tools ADD CONSTRAINT tools_secret_env_name
  CHECK (secret_env ~ '^[A-Za-z_][A-Za-z0-9_]*$');

CREATE INDEX calls_from_number ON calls (from_number, started_at);

-- Tools served by plugins other than the webhook have no timeout of their own.
ALTER TABLE tools ALTER COLUMN timeout_ms DROP NOT NULL;
ALTER TABLE tools ALTER COLUMN timeout_ms DROP DEFAULT;

-- Tool names are provider names, as in [tool:NAME]: '.' is allowed too.
ALTER TABLE tools DROP CONSTRAINT tools_name_check;
ALTER TABLE tools ADD CONSTRAINT tools_name_check CHECK (name ~ '^[A-Za-z0-9._-]+$');
