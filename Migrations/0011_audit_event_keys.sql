-- The audit event filters' index (ARCHITECTURE.md, "Auditor console"): who wrote each event
-- (kind 'actor') and which customer it concerns (kind 'customer'), folded from audit_events with
-- the overview's counts behind the one cursor of audit_counts_state (AuditEventKey.keys decides
-- the keys). Derived data, like the counts: the cursor goes back to 0 here so that both are
-- rebuilt from the events together, the keys of events folded before this migration included.
CREATE TABLE audit_event_keys (
    kind TEXT    NOT NULL CHECK (kind IN ('actor', 'customer')),
    id   TEXT    NOT NULL CHECK (length(id) BETWEEN 1 AND 128),
    seq  INTEGER NOT NULL CHECK (seq >= 1),
    PRIMARY KEY (kind, id, seq)
) STRICT, WITHOUT ROWID;

DELETE FROM audit_hourly_counts;
UPDATE audit_counts_state SET seq = 0 WHERE id = 1;
