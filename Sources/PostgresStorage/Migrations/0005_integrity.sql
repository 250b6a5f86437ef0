-- 0005: the last verified state of the audit chain and the ledger, so GET /v1/audit/verify and the
-- console check only what was written since (see ARCHITECTURE.md, "Incremental verification");
-- and the index the retention purge deletes expired idempotency records by (LEDGER.md).
-- These rows are the verifier's working memory, not a record: they are replaced as verification
-- advances, and `facepay audit verify --full` checks everything without trusting them.

-- One row: what the last successful verification covered.
CREATE TABLE integrity_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    -- The last verified audit event and its hash: the chain continues from here.
    audit_seq    BIGINT NOT NULL CHECK (audit_seq >= 0),
    audit_hash   TEXT NOT NULL CHECK (length(audit_hash) = 64),
    -- Transfers up to this seq are replayed into the sums and holds below.
    transfer_seq BIGINT NOT NULL CHECK (transfer_seq >= 0),
    verified_at  TEXT NOT NULL
);

-- Per account, the sums of its transfers up to transfer_seq (what its four counters must equal).
CREATE TABLE integrity_account_sums (
    account_id      TEXT PRIMARY KEY,
    debits_pending  BIGINT NOT NULL,
    debits_posted   BIGINT NOT NULL,
    credits_pending BIGINT NOT NULL,
    credits_posted  BIGINT NOT NULL
);

-- Holds posted up to transfer_seq and not resolved by then: what a later capture, void or expiry
-- must name.
CREATE TABLE integrity_open_holds (
    transfer_id       TEXT PRIMARY KEY,
    amount            BIGINT NOT NULL,
    debit_account_id  TEXT NOT NULL,
    credit_account_id TEXT NOT NULL
);

-- Idempotency records expire after the configured retention (default 24 h): the purge deletes the
-- oldest first, in bounded batches, without scanning the table.
CREATE INDEX idempotency_records_by_created_at ON idempotency_records (created_at);
