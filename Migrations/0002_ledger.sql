-- 0002: the double-entry ledger (accounts, immutable transfers, payments, refunds),
-- idempotency records and the hash-chained audit log. See LEDGER.md.
-- Money is INTEGER minor units. Times are RFC 3339 UTC with milliseconds
-- ('YYYY-MM-DDTHH:MM:SS.sssZ', fixed width, so text order is time order).
-- Customers arrive in a later migration: customer ids are plain TEXT here.

CREATE TABLE accounts (
    id                             TEXT PRIMARY KEY CHECK (id LIKE 'acc\_%' ESCAPE '\' AND length(id) <= 64),
    kind                           TEXT NOT NULL CHECK (kind IN ('customer_wallet', 'merchant', 'system_funding')),
    -- Customer id (wallet), merchant id (merchant) or 'system' (funding).
    owner_id                       TEXT NOT NULL CHECK (length(owner_id) BETWEEN 1 AND 64),
    currency                       TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    debits_must_not_exceed_credits INTEGER NOT NULL CHECK (debits_must_not_exceed_credits IN (0, 1)),
    frozen                         INTEGER NOT NULL DEFAULT 0 CHECK (frozen IN (0, 1)),
    debits_pending                 INTEGER NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
    debits_posted                  INTEGER NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_pending                INTEGER NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
    credits_posted                 INTEGER NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    payment_limit                  INTEGER CHECK (payment_limit IS NULL OR payment_limit > 0),
    daily_limit                    INTEGER CHECK (daily_limit IS NULL OR daily_limit > 0),
    created_at                     TEXT NOT NULL,
    -- The second line of defence behind the ledger rules: a wallet is never overdrawn, pending
    -- holds included.
    CHECK (NOT debits_must_not_exceed_credits OR debits_pending + debits_posted <= credits_posted),
    CHECK (kind <> 'system_funding' OR owner_id = 'system')
) STRICT;

-- One account per owner, kind and currency (a merchant has one account per currency it takes).
CREATE UNIQUE INDEX accounts_owner ON accounts (owner_id, kind, currency);

CREATE TABLE transfers (
    -- seq orders transfers for paging and verification; id is the public id.
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE CHECK (id LIKE 'trf\_%' ESCAPE '\' AND length(id) <= 64),
    kind              TEXT NOT NULL CHECK (kind IN ('deposit', 'payment', 'hold', 'capture', 'void', 'expiry', 'refund')),
    debit_account_id  TEXT NOT NULL REFERENCES accounts (id),
    credit_account_id TEXT NOT NULL REFERENCES accounts (id),
    amount            INTEGER NOT NULL CHECK (amount > 0),
    currency          TEXT NOT NULL CHECK (length(currency) = 3),
    -- The hold that a capture, void or expiry resolves; each hold is resolved at most once.
    pending_id        TEXT REFERENCES transfers (id),
    -- When a hold lapses.
    expires_at        TEXT,
    created_at        TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    payment_id        TEXT,
    device_id         TEXT REFERENCES devices (id),
    merchant_id       TEXT,
    CHECK (debit_account_id <> credit_account_id),
    CHECK ((kind IN ('capture', 'void', 'expiry')) = (pending_id IS NOT NULL)),
    CHECK ((kind = 'hold') = (expires_at IS NOT NULL))
) STRICT;

CREATE UNIQUE INDEX transfers_pending ON transfers (pending_id) WHERE pending_id IS NOT NULL;
-- By time rather than seq: it also answers "what did this wallet spend today" (daily limits),
-- so payments need no index of their own per wallet.
CREATE INDEX transfers_debit_account ON transfers (debit_account_id, created_at);
CREATE INDEX transfers_credit_account ON transfers (credit_account_id, seq);
CREATE INDEX transfers_payment ON transfers (payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX transfers_merchant ON transfers (merchant_id, seq) WHERE merchant_id IS NOT NULL;
CREATE INDEX transfers_device ON transfers (device_id, seq) WHERE device_id IS NOT NULL;
-- No index on created_at: transfer ids sort by creation time (LEDGER.md), so the UNIQUE index on
-- id answers time ranges; one index fewer to maintain on every payment.

-- Both accounts carry the transfer's currency; a resolution moves money between its hold's accounts.
CREATE TRIGGER transfers_check_insert BEFORE INSERT ON transfers
BEGIN
    SELECT RAISE(ABORT, 'transfer currency differs from an account currency')
    WHERE NEW.currency <> (SELECT currency FROM accounts WHERE id = NEW.debit_account_id)
       OR NEW.currency <> (SELECT currency FROM accounts WHERE id = NEW.credit_account_id);
    SELECT RAISE(ABORT, 'a resolution must name a hold between the same accounts')
    WHERE NEW.pending_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM transfers h
        WHERE h.id = NEW.pending_id AND h.kind = 'hold'
          AND h.debit_account_id = NEW.debit_account_id AND h.credit_account_id = NEW.credit_account_id
          AND (NEW.kind = 'capture' AND NEW.amount <= h.amount OR NEW.amount = h.amount));
END;

-- Transfers are immutable: a mistake is corrected by a new transfer.
CREATE TRIGGER transfers_no_update BEFORE UPDATE ON transfers
BEGIN
    SELECT RAISE(ABORT, 'transfers are immutable');
END;
CREATE TRIGGER transfers_no_delete BEFORE DELETE ON transfers
BEGIN
    SELECT RAISE(ABORT, 'transfers are immutable');
END;

CREATE TABLE payments (
    id                  TEXT PRIMARY KEY CHECK (id LIKE 'pay\_%' ESCAPE '\' AND length(id) <= 64),
    status              TEXT NOT NULL CHECK (status IN ('approved', 'authorized', 'captured', 'voided', 'expired', 'declined')),
    decline_code        TEXT CHECK ((status = 'declined') = (decline_code IS NOT NULL)),
    capture_method      TEXT NOT NULL CHECK (capture_method IN ('automatic', 'manual')),
    amount              INTEGER NOT NULL CHECK (amount > 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    amount_held         INTEGER NOT NULL DEFAULT 0 CHECK (amount_held >= 0),
    amount_captured     INTEGER NOT NULL DEFAULT 0 CHECK (amount_captured >= 0),
    amount_refunded     INTEGER NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
    customer_id         TEXT,
    account_id          TEXT REFERENCES accounts (id),
    merchant_id         TEXT NOT NULL,
    merchant_account_id TEXT REFERENCES accounts (id),
    device_id           TEXT NOT NULL REFERENCES devices (id),
    reference           TEXT CHECK (reference IS NULL OR length(reference) <= 255),
    hold_transfer_id    TEXT REFERENCES transfers (id),
    expires_at          TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    CHECK (amount_captured <= amount AND amount_held <= amount),
    CHECK (amount_refunded <= amount_captured),
    CHECK ((capture_method = 'manual' AND status <> 'declined') = (hold_transfer_id IS NOT NULL)),
    CHECK ((hold_transfer_id IS NULL) = (expires_at IS NULL))
) STRICT;

-- Only authorized payments are in this index, so finding due holds never scans settled ones.
CREATE INDEX payments_due_holds ON payments (expires_at) WHERE status = 'authorized';

CREATE TABLE refunds (
    id          TEXT PRIMARY KEY CHECK (id LIKE 'rfd\_%' ESCAPE '\' AND length(id) <= 64),
    payment_id  TEXT NOT NULL REFERENCES payments (id),
    amount      INTEGER NOT NULL CHECK (amount > 0),
    currency    TEXT NOT NULL CHECK (length(currency) = 3),
    transfer_id TEXT NOT NULL UNIQUE REFERENCES transfers (id),
    device_id   TEXT REFERENCES devices (id),
    created_at  TEXT NOT NULL
) STRICT;

CREATE INDEX refunds_payment ON refunds (payment_id);

-- A retry with the same Idempotency-Key (scoped to the calling device) gets the first response.
CREATE TABLE idempotency_records (
    device_id       TEXT NOT NULL CHECK (length(device_id) BETWEEN 1 AND 64),
    key             TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_sha256  TEXT NOT NULL CHECK (length(request_sha256) = 64),
    response_status INTEGER NOT NULL CHECK (response_status BETWEEN 100 AND 599),
    response_body   BLOB NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (device_id, key)
) STRICT, WITHOUT ROWID;

-- The audit log: hash = SHA-256(prev_hash ‖ canonical event), see LEDGER.md. No biometric value
-- is ever written here.
CREATE TABLE audit_events (
    seq       INTEGER PRIMARY KEY CHECK (seq >= 1),
    event_id  TEXT NOT NULL UNIQUE CHECK (event_id LIKE 'evt\_%' ESCAPE '\'),
    time      TEXT NOT NULL CHECK (time GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    -- A device id, 'operator' (the CLI) or 'system' (background services such as hold expiry).
    actor     TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 64),
    action    TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    subject   TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 128),
    detail    TEXT NOT NULL CHECK (json_valid(detail)),
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash      TEXT NOT NULL CHECK (length(hash) = 64)
) STRICT;

CREATE INDEX audit_events_action ON audit_events (action, seq);
-- No index on time: event ids sort by time, so the UNIQUE index on event_id answers "since".

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are immutable');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are immutable');
END;
