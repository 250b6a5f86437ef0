-- 0009: the replay sightings an erasure deleted, on its gallery change. Every node keeps the
-- replay codes of recent captures in memory; the erasing node drops the erased customer's at
-- once, and the other nodes drop them when they follow this change, so no node keeps codes of a
-- customer who asked to be forgotten (capture ids only: the codes themselves are gone).
-- A constant default adds the column without rewriting or updating a row (the append-only
-- trigger is not fired).
ALTER TABLE gallery_changes ADD COLUMN forgotten_captures BIGINT[] NOT NULL DEFAULT '{}';
