-- 0008: the replay guard remembers locality-sensitive codes instead of exact fingerprints.
--
-- Why: 0005's SHA-256 fingerprints only caught a byte-identical replay; noise of 1e-3 per
-- component defeated them. Each frame is now remembered as a 512-bit SimHash code of a secret
-- projection (Liveness/ReplayCode.swift), and a capture is a replay when its frames lie within a
-- few bits of earlier ones. The old digests cannot be turned into codes, so they are dropped: the
-- guard starts with an empty memory once, which forgets replays but never declines anyone.
--
-- One row per capture, appended in arrival order (capture ids increase), so rows fill one page
-- after another; expiry and the size cap delete from the old end as 0005 did. customer_id is set
-- by the decision that attributed the capture to a customer (enrolment, an accepted match), so
-- erasing that customer's biometrics deletes their codes too.
DROP TABLE frame_sightings;

CREATE TABLE replay_sightings (
    capture_id INTEGER PRIMARY KEY,
    -- The capture's frame codes, 64 bytes each, concatenated.
    codes      BLOB NOT NULL CHECK (length(codes) > 0 AND length(codes) % 64 = 0),
    seen_at_ms INTEGER NOT NULL,
    -- Frames in this row and every earlier one still or once stored: the size cap keeps the rows
    -- whose running total is within `replayFramesMax` of the newest row's.
    running_total INTEGER NOT NULL CHECK (running_total >= length(codes) / 64),
    customer_id TEXT CHECK (customer_id IS NULL OR length(customer_id) BETWEEN 1 AND 64)
) STRICT;

CREATE INDEX replay_sightings_by_customer ON replay_sightings (customer_id) WHERE customer_id IS NOT NULL;
