-- 0006: the gallery change log. Every node keeps the face galleries in memory; a change to
-- face_templates (an enrolment, an erasure, a retention purge, a re-key) appends a row here in the
-- transaction that makes it, and every node follows the log (the rows after the last seq it
-- applied) to keep its in-memory galleries consistent with face_templates without reloading them.
-- Append-only: rows are never changed or deleted, so a follower's position stays meaningful.
-- customer_id and model: the customer and template model the change concerns, when it concerns
-- one; at: when, in the fixed-width time form of the other tables.
-- seq is an identity, taken at INSERT and not at COMMIT: a row with a smaller seq can become
-- visible after one with a larger seq. Writers serialize their appends (or followers re-read
-- what was still in flight) so that a follower never steps past a row it has not seen.
CREATE TABLE gallery_changes (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('enrolled', 'erased', 'purged', 'rekeyed')),
    customer_id TEXT,
    model       TEXT,
    at          TEXT NOT NULL
);

CREATE TRIGGER gallery_changes_no_update_or_delete BEFORE UPDATE OR DELETE ON gallery_changes
    FOR EACH ROW EXECUTE FUNCTION facepay_refuse_change('gallery changes are append-only');
