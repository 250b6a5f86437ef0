-- 0005: the replay guard's durable memory becomes an append-only log of frame sightings.
--
-- Why: 0004 keyed frame_fingerprints by the 16-byte digest itself. Digests are uniformly random,
-- so every payment's 30 frames landed on 30 random B-tree leaves, and each leaf is a whole 4 KiB
-- page written to the WAL and fsynced at commit: under load most of the bytes the server wrote
-- were replay-guard pages. Now the server keeps the remembered fingerprints in memory (an exact
-- set, loaded from this table at start-up) and appends one row per capture here, in arrival
-- order, so rows fill one page after another. Expiry and the size cap delete from the old end.
CREATE TABLE frame_sightings (
    seq        INTEGER PRIMARY KEY,
    -- The capture's fingerprints, 16 bytes each, concatenated.
    digests    BLOB NOT NULL CHECK (length(digests) > 0 AND length(digests) % 16 = 0),
    seen_at_ms INTEGER NOT NULL,
    -- Fingerprints in this row and every earlier one still or once stored: the size cap keeps the
    -- rows whose running total is within `fingerprintsMax` of the newest row's.
    running_total INTEGER NOT NULL CHECK (running_total >= length(digests) / 16)
) STRICT;

INSERT INTO frame_sightings (digests, seen_at_ms, running_total)
SELECT digest, last_seen_at_ms, row_number() OVER (ORDER BY last_seen_at_ms, digest)
FROM frame_fingerprints ORDER BY last_seen_at_ms, digest;

DROP TABLE frame_fingerprints;
