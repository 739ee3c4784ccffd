-- 003_webhooks.sql — what the built-in webhooks keep (core/api/webhooks.h):
-- the business hours the appointment book's slots follow, and callback
-- requests. Applied by talkingbits in one transaction; no BEGIN/COMMIT here.

-- Opening hours: one row per period (several on a day for a lunch break),
-- in the daemon's local time. A day without rows is closed. Appointments
-- are 30-minute slots from each opening time.
CREATE TABLE business_hours (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  weekday smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),  -- 1 Monday ... 7 Sunday
  opens time NOT NULL,
  closes time NOT NULL CHECK (closes > opens),
  UNIQUE (weekday, opens)
);
INSERT INTO business_hours (weekday, opens, closes) VALUES
  (1, '09:00', '17:00'), (2, '09:00', '17:00'), (3, '09:00', '17:00'),
  (4, '09:00', '17:00'), (5, '09:00', '17:00');

-- Someone to call back: the number (the caller's own unless they gave
-- another), who, why and when they asked to be called, in their words.
CREATE TABLE callback_requests (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  phone text NOT NULL,
  name text,
  reason text,
  requested_time text,
  -- The call that asked for it. Not a foreign key: the call's row is
  -- written when the call ends (the records' write queue), after the
  -- webhook ran during it.
  call_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  done_at timestamptz
);
CREATE INDEX callback_requests_created ON callback_requests (created_at);

-- For the same reason a booking made during a call cannot reference the
-- call's row, which does not exist yet: the appointment keeps the call's
-- id without the foreign key of 001.
ALTER TABLE appointments DROP CONSTRAINT appointments_call_id_fkey;
CREATE INDEX appointments_phone ON appointments (phone) WHERE cancelled_at IS NULL;
