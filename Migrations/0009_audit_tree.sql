-- The stored nodes of the audit log's Merkle tree (LEDGER.md, "Receipts"): every fourth level
-- (4, 8, 12, …), node `idx` of level L covering leaves [idx·2^L, (idx+1)·2^L). A cache derived
-- from audit_events, written once a node's leaves all exist; a running server checks it against
-- the events before it signs, and `audit verify --receipts` recomputes from the events.
CREATE TABLE audit_tree_nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 4 AND 60 AND level % 4 = 0),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;
