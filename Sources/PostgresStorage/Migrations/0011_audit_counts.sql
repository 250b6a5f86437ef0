-- The console overview's counts (ARCHITECTURE.md, "Auditor console"): audit events per UTC hour,
-- action, label (a declined payment's code, a failed liveness check) and actor, folded from
-- audit_events behind the cursor of audit_counts_state. Derived data: rebuilt from the events by
-- emptying both tables (cursor 0).
CREATE TABLE audit_hourly_counts (
    hour   TEXT NOT NULL CHECK (length(hour) = 13),
    action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    label  TEXT NOT NULL CHECK (length(label) <= 64),
    actor  TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 64),
    count  BIGINT  NOT NULL CHECK (count >= 0),
    PRIMARY KEY (hour, action, label, actor)
);

CREATE TABLE audit_counts_state (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT  NOT NULL CHECK (seq >= 0)
);
INSERT INTO audit_counts_state (id, seq) VALUES (1, 0);
