-- 001_initial.sql — the first schema: agents and what they use (tools,
-- numbers), the call log (calls, turns, tool invocations) and the built-in
-- appointment book. Applied by talkingbits in one transaction, recorded in
-- schema_version; no BEGIN/COMMIT here.

-- An agent: who answers, with which providers and how it takes turns.
-- Providers are chains of names, first choice first (as [agent:NAME] stt=
-- in talkingbits.conf); *_options hold settings per provider name.
CREATE TABLE agents (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._-]+$'),
  greeting text NOT NULL DEFAULT '',
  system_prompt text NOT NULL DEFAULT '',
  language text NOT NULL DEFAULT 'en-US',
  stt text[] NOT NULL DEFAULT '{}',
  stt_options jsonb NOT NULL DEFAULT '{}',
  tts text[] NOT NULL DEFAULT '{}',
  tts_options jsonb NOT NULL DEFAULT '{}',
  llm text[] NOT NULL DEFAULT '{}',
  llm_options jsonb NOT NULL DEFAULT '{}',
  voice text NOT NULL DEFAULT '',
  speaking_rate double precision NOT NULL DEFAULT 1.0 CHECK (speaking_rate BETWEEN 0.5 AND 2.0),
  answer_delay_ms integer NOT NULL DEFAULT 0 CHECK (answer_delay_ms >= 0),
  endpointing_ms integer NOT NULL DEFAULT 700 CHECK (endpointing_ms > 0),
  barge_in_min_ms integer NOT NULL DEFAULT 240 CHECK (barge_in_min_ms > 0),
  interruptible boolean NOT NULL DEFAULT true,
  filler_after_ms integer NOT NULL DEFAULT 1000 CHECK (filler_after_ms >= 0),
  fillers text[] NOT NULL DEFAULT '{}',
  -- Declared in talkingbits.conf: provisioned at start, read-only in the API.
  config_managed boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A tool the language model may call: a webhook (url) or a tool plugin.
-- The secret is the name of an environment variable, never its value.
CREATE TABLE tools (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_-]+$'),
  description text NOT NULL DEFAULT '',
  parameters jsonb NOT NULL DEFAULT '{"type": "object", "properties": {}}',
  plugin text NOT NULL DEFAULT 'webhook',
  url text,
  secret_env text,
  timeout_ms integer NOT NULL DEFAULT 5000 CHECK (timeout_ms > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The tools of each agent.
CREATE TABLE agent_tools (
  agent_id bigint NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  tool_id bigint NOT NULL REFERENCES tools (id) ON DELETE RESTRICT,
  PRIMARY KEY (agent_id, tool_id)
);
CREATE INDEX agent_tools_tool ON agent_tools (tool_id);

-- A phone number (or SIP user) and the agent that answers it or calls from it.
CREATE TABLE numbers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number text NOT NULL UNIQUE CHECK (number ~ '^[A-Za-z0-9+*#._!~-]+$'),
  agent_id bigint NOT NULL REFERENCES agents (id) ON DELETE RESTRICT,
  direction text NOT NULL DEFAULT 'inbound'
    CHECK (direction IN ('inbound', 'outbound', 'both')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX numbers_agent ON numbers (agent_id);

-- A call, inbound or outbound; id is the daemon's call id (a UUID). The
-- agent is kept by name too, so that a record outlives its agent.
CREATE TABLE calls (
  id uuid PRIMARY KEY,
  agent_id bigint REFERENCES agents (id) ON DELETE SET NULL,
  agent_name text,
  direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  from_number text,
  to_number text,
  sip_call_id text,
  started_at timestamptz NOT NULL,
  answered_at timestamptz,
  ended_at timestamptz,
  end_reason text
);
CREATE INDEX calls_agent_started ON calls (agent_id, started_at);
CREATE INDEX calls_started ON calls (started_at);
CREATE INDEX calls_to_number ON calls (to_number, started_at);
CREATE INDEX calls_end_reason ON calls (end_reason);

-- What was said, in order: the caller's words or the agent's reply, with
-- the timings of the conversation (ms from the answer) and the latencies
-- of each stage (ms); NULL where they do not apply or were not measured.
CREATE TABLE turns (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
  sequence integer NOT NULL CHECK (sequence >= 0),
  role text NOT NULL CHECK (role IN ('caller', 'agent')),
  text text NOT NULL DEFAULT '',
  speech_start_ms integer,
  speech_end_ms integer,
  stt_final_ms integer,
  llm_first_token_ms integer,
  tts_first_audio_ms integer,
  response_ms integer,
  interrupted boolean NOT NULL DEFAULT false,
  heard_text text,
  barge_in_stop_ms integer,
  failure text,
  UNIQUE (call_id, sequence)
);

-- A tool the agent called during a turn.
CREATE TABLE tool_invocations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
  turn_id bigint REFERENCES turns (id) ON DELETE CASCADE,
  tool_name text NOT NULL,
  arguments jsonb,
  status text NOT NULL CHECK (status IN ('ok', 'error', 'timeout', 'cancelled')),
  latency_ms integer,
  reply text
);
CREATE INDEX tool_invocations_call ON tool_invocations (call_id);
CREATE INDEX tool_invocations_turn ON tool_invocations (turn_id);

-- The built-in appointment book: one booking per slot, cancelled ones kept.
CREATE TABLE appointments (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL CHECK (ends_at > starts_at),
  name text NOT NULL,
  phone text,
  note text,
  call_id uuid REFERENCES calls (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  cancelled_at timestamptz
);
-- Double booking is refused: one live appointment per start time.
CREATE UNIQUE INDEX appointments_live_slot ON appointments (starts_at) WHERE cancelled_at IS NULL;
