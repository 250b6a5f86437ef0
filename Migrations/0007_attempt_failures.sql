-- 0007: failed attempts, so lockouts and attempt budgets survive a restart.
--
-- One row per failure per budget it counts against: a liveness failure against the device's
-- liveness lockout; a failed match (no_match, ambiguous_match) against the device's match budget
-- and, when it named one, the hint bucket's or the claimed customer's. At start-up the rows of
-- the last (window + lock duration) are replayed in order through the in-memory trackers, which
-- rebuilds exactly the locks that held before. Append-only; rows older than every budget's
-- memory are deleted (they can no longer count or lock).
CREATE TABLE attempt_failures (
    seq     INTEGER PRIMARY KEY,
    -- 'liveness', 'device_match', 'hint_bucket' or 'customer'.
    budget  TEXT NOT NULL CHECK (length(budget) BETWEEN 1 AND 32),
    -- A device id, a hint bucket (four digits) or a customer id.
    subject TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 128),
    at_ms   INTEGER NOT NULL
) STRICT;

CREATE INDEX attempt_failures_by_time ON attempt_failures (at_ms);
