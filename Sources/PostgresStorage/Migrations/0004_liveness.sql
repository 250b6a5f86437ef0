-- 0004: liveness state that must survive a restart and be shared by every node: issued
-- challenges (single use, bound to a device, expiring), the replay guard's memory of earlier
-- captures, and failed attempts (so lockouts and attempt budgets hold across restarts and nodes).

CREATE TABLE challenges (
    id         TEXT PRIMARY KEY CHECK (id LIKE 'chl\_%' ESCAPE '\'),
    device_id  TEXT NOT NULL REFERENCES devices (id),
    -- Comma-separated action names in the order they must happen, e.g. 'turn_left,blink'.
    actions    TEXT NOT NULL CHECK (length(actions) BETWEEN 1 AND 100),
    -- Unix epoch milliseconds: compared on every consume, so integers, not text.
    issued_at_ms  BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL CHECK (expires_at_ms > issued_at_ms),
    used_at_ms    BIGINT
);

CREATE INDEX challenges_outstanding_by_device ON challenges (device_id, expires_at_ms) WHERE used_at_ms IS NULL;
CREATE INDEX challenges_by_expiry ON challenges (expires_at_ms);

-- The replay guard remembers each frame as a 512-bit SimHash code of a secret projection
-- (Liveness/ReplayCode.swift); a capture is a replay when its frames lie within a few bits of
-- earlier ones. One row per capture, appended in arrival order (capture ids increase); expiry and
-- the size cap delete from the old end. customer_id is set by the decision that attributed the
-- capture to a customer (enrolment, an accepted match), so erasing that customer's biometrics
-- deletes their codes too.
CREATE TABLE replay_sightings (
    capture_id BIGINT PRIMARY KEY,
    -- The capture's frame codes, 64 bytes each, concatenated.
    codes      BYTEA NOT NULL CHECK (octet_length(codes) > 0 AND octet_length(codes) % 64 = 0),
    seen_at_ms BIGINT NOT NULL,
    -- Frames in this row and every earlier one still or once stored: the size cap keeps the rows
    -- whose running total is within `replayFramesMax` of the newest row's.
    running_total BIGINT NOT NULL CHECK (running_total >= octet_length(codes) / 64),
    customer_id TEXT CHECK (customer_id IS NULL OR length(customer_id) BETWEEN 1 AND 64)
);

CREATE INDEX replay_sightings_by_customer ON replay_sightings (customer_id) WHERE customer_id IS NOT NULL;

-- One row per failure per budget it counts against: a liveness failure against the device's
-- liveness lockout; a failed match (no_match, ambiguous_match) against the device's match budget
-- and, when it named one, the hint bucket's or the claimed customer's. At start-up the rows of
-- the last (window + lock duration) are replayed in order through the in-memory trackers, which
-- rebuilds exactly the locks that held before. Append-only; rows older than every budget's
-- memory are deleted (they can no longer count or lock).
CREATE TABLE attempt_failures (
    seq     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- 'liveness', 'device_match', 'hint_bucket' or 'customer'.
    budget  TEXT NOT NULL CHECK (length(budget) BETWEEN 1 AND 32),
    -- A device id, a hint bucket (four digits) or a customer id.
    subject TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 128),
    at_ms   BIGINT NOT NULL
);

CREATE INDEX attempt_failures_by_time ON attempt_failures (at_ms);
