-- 0004: liveness state that must survive a restart: issued challenges (single use, bound to a
-- device, expiring) and the replay guard's frame fingerprints (every frame ever received,
-- accepted or not, forgotten after the retention period or when the table is full).
CREATE TABLE challenges (
    id         TEXT PRIMARY KEY CHECK (id GLOB 'chl_*'),
    device_id  TEXT NOT NULL REFERENCES devices(id),
    -- Comma-separated action names in the order they must happen, e.g. 'turn_left,blink'.
    actions    TEXT NOT NULL CHECK (length(actions) BETWEEN 1 AND 100),
    -- Unix epoch milliseconds: compared on every consume, so integers, not text.
    issued_at_ms  INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL CHECK (expires_at_ms > issued_at_ms),
    used_at_ms    INTEGER
) STRICT;

CREATE INDEX challenges_outstanding_by_device ON challenges (device_id, expires_at_ms) WHERE used_at_ms IS NULL;
CREATE INDEX challenges_by_expiry ON challenges (expires_at_ms);

CREATE TABLE frame_fingerprints (
    digest          BLOB PRIMARY KEY CHECK (length(digest) = 16),
    last_seen_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX frame_fingerprints_by_last_seen ON frame_fingerprints (last_seen_at_ms);
