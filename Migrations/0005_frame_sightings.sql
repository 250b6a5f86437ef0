-- 0005: the replay guard's durable memory becomes an append-only log of frame sightings.
--
-- Why: 0004 keyed frame_fingerprints by the 16-byte digest itself. Digests are uniformly random,
-- so every payment's 30 frames landed on 30 random B-tree leaves, and each leaf is a whole 4 KiB
-- page written to the WAL and fsynced at commit: under load most of the bytes the server wrote
-- were replay-guard pages. Now the server keeps the remembered fingerprints in memory (an exact
-- set, loaded from this table at start-up) and appends each sighting here in arrival order, which
-- fills one page after another. Expiry and the size cap delete from the old end (lowest seq).
CREATE TABLE frame_sightings (
    seq        INTEGER PRIMARY KEY,
    digest     BLOB NOT NULL CHECK (length(digest) = 16),
    seen_at_ms INTEGER NOT NULL
) STRICT;

INSERT INTO frame_sightings (digest, seen_at_ms)
SELECT digest, last_seen_at_ms FROM frame_fingerprints ORDER BY last_seen_at_ms, digest;

DROP TABLE frame_fingerprints;
