-- 0002: the double-entry ledger (accounts, immutable transfers, payments, refunds),
-- idempotency records, the hash-chained audit log and the head of that chain. See LEDGER.md.
-- Money is BIGINT minor units. Times are RFC 3339 UTC with milliseconds
-- ('YYYY-MM-DDTHH:MM:SS.sssZ', fixed width, so text order is time order).
-- Customers arrive in a later migration: customer ids are plain TEXT here.
--
-- Refusals raised by the triggers below use SQLSTATE 23000 (integrity_constraint_violation), the
-- class of every other constraint failure, with the same messages as the SQLite triggers.

-- Whether a text is valid JSON (SQLite's json_valid): a CHECK cannot catch the cast's error, this
-- function can. `json`, not `jsonb`: it only checks the syntax, as json_valid does (jsonb also
-- refuses \u0000, which json_valid accepts). STRICT: NULL gives NULL, as json_valid(NULL) does.
CREATE FUNCTION facepay_is_json(value TEXT) RETURNS BOOLEAN
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    PERFORM value::pg_catalog.json;
    RETURN true;
EXCEPTION WHEN OTHERS THEN
    RETURN false;
END;
$$;

-- Refuses the change a trigger fires for, with the message given as the trigger's argument: what
-- SQLite's `SELECT RAISE(ABORT, '...')` triggers did. Row triggers for UPDATE and DELETE, a
-- statement trigger for TRUNCATE (which fires no row triggers).
CREATE FUNCTION facepay_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TABLE accounts (
    id                             TEXT PRIMARY KEY CHECK (id LIKE 'acc\_%' ESCAPE '\' AND length(id) <= 64),
    kind                           TEXT NOT NULL CHECK (kind IN ('customer_wallet', 'merchant', 'system_funding')),
    -- Customer id (wallet), merchant id (merchant) or 'system' (funding).
    owner_id                       TEXT NOT NULL CHECK (length(owner_id) BETWEEN 1 AND 64),
    -- COLLATE "C": upper() of ASCII only, as in SQLite, whatever the database's locale.
    currency                       TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency COLLATE "C")),
    debits_must_not_exceed_credits BOOLEAN NOT NULL,
    frozen                         BOOLEAN NOT NULL DEFAULT false,
    debits_pending                 BIGINT NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
    debits_posted                  BIGINT NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_pending                BIGINT NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
    credits_posted                 BIGINT NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    payment_limit                  BIGINT CHECK (payment_limit IS NULL OR payment_limit > 0),
    daily_limit                    BIGINT CHECK (daily_limit IS NULL OR daily_limit > 0),
    created_at                     TEXT NOT NULL,
    -- The second line of defence behind the ledger rules: a wallet is never overdrawn, pending
    -- holds included.
    CONSTRAINT accounts_no_overdraft
        CHECK (NOT debits_must_not_exceed_credits OR debits_pending + debits_posted <= credits_posted),
    CONSTRAINT accounts_system_funding_owner CHECK (kind <> 'system_funding' OR owner_id = 'system')
);

-- One account per owner, kind and currency (a merchant has one account per currency it takes).
CREATE UNIQUE INDEX accounts_owner ON accounts (owner_id, kind, currency);

CREATE TABLE transfers (
    -- seq orders transfers for paging and verification; id is the public id.
    -- An identity value is taken at INSERT, not at COMMIT: two transactions can commit in the
    -- other order than their seqs. Writers that need seq order to be commit order (paging,
    -- incremental verification) serialize on the audit_chain_head row before inserting.
    seq               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE CHECK (id LIKE 'trf\_%' ESCAPE '\' AND length(id) <= 64),
    kind              TEXT NOT NULL CHECK (kind IN ('deposit', 'payment', 'hold', 'capture', 'void', 'expiry', 'refund')),
    debit_account_id  TEXT NOT NULL REFERENCES accounts (id),
    credit_account_id TEXT NOT NULL REFERENCES accounts (id),
    amount            BIGINT NOT NULL CHECK (amount > 0),
    currency          TEXT NOT NULL CHECK (length(currency) = 3),
    -- The hold that a capture, void or expiry resolves; each hold is resolved at most once.
    pending_id        TEXT REFERENCES transfers (id),
    -- When a hold lapses.
    expires_at        TEXT,
    created_at        TEXT NOT NULL CHECK (created_at ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'),
    payment_id        TEXT,
    device_id         TEXT REFERENCES devices (id),
    merchant_id       TEXT,
    CONSTRAINT transfers_distinct_accounts CHECK (debit_account_id <> credit_account_id),
    CONSTRAINT transfers_resolution_names_pending CHECK ((kind IN ('capture', 'void', 'expiry')) = (pending_id IS NOT NULL)),
    CONSTRAINT transfers_hold_expires CHECK ((kind = 'hold') = (expires_at IS NOT NULL))
);

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
-- A missing account is left to the foreign keys (the comparison with NULL refuses nothing here).
CREATE FUNCTION transfers_check_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.currency <> (SELECT currency FROM accounts WHERE id = NEW.debit_account_id)
       OR NEW.currency <> (SELECT currency FROM accounts WHERE id = NEW.credit_account_id) THEN
        RAISE EXCEPTION USING MESSAGE = 'transfer currency differs from an account currency',
            ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.pending_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM transfers h
        WHERE h.id = NEW.pending_id AND h.kind = 'hold'
          AND h.debit_account_id = NEW.debit_account_id AND h.credit_account_id = NEW.credit_account_id
          AND (NEW.kind = 'capture' AND NEW.amount <= h.amount OR NEW.amount = h.amount)) THEN
        RAISE EXCEPTION USING MESSAGE = 'a resolution must name a hold between the same accounts',
            ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER transfers_check_insert BEFORE INSERT ON transfers
    FOR EACH ROW EXECUTE FUNCTION transfers_check_insert();

-- Transfers are immutable: a mistake is corrected by a new transfer.
CREATE TRIGGER transfers_no_update_or_delete BEFORE UPDATE OR DELETE ON transfers
    FOR EACH ROW EXECUTE FUNCTION facepay_refuse_change('transfers are immutable');
CREATE TRIGGER transfers_no_truncate BEFORE TRUNCATE ON transfers
    FOR EACH STATEMENT EXECUTE FUNCTION facepay_refuse_change('transfers are immutable');

CREATE TABLE payments (
    id                  TEXT PRIMARY KEY CHECK (id LIKE 'pay\_%' ESCAPE '\' AND length(id) <= 64),
    status              TEXT NOT NULL CHECK (status IN ('approved', 'authorized', 'captured', 'voided', 'expired', 'declined')),
    decline_code        TEXT CHECK ((status = 'declined') = (decline_code IS NOT NULL)),
    capture_method      TEXT NOT NULL CHECK (capture_method IN ('automatic', 'manual')),
    amount              BIGINT NOT NULL CHECK (amount > 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    amount_held         BIGINT NOT NULL DEFAULT 0 CHECK (amount_held >= 0),
    amount_captured     BIGINT NOT NULL DEFAULT 0 CHECK (amount_captured >= 0),
    amount_refunded     BIGINT NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
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
    CONSTRAINT payments_within_amount CHECK (amount_captured <= amount AND amount_held <= amount),
    CONSTRAINT payments_refunded_within_captured CHECK (amount_refunded <= amount_captured),
    CONSTRAINT payments_manual_has_hold
        CHECK ((capture_method = 'manual' AND status <> 'declined') = (hold_transfer_id IS NOT NULL)),
    CONSTRAINT payments_hold_expires CHECK ((hold_transfer_id IS NULL) = (expires_at IS NULL))
);

-- Only authorized payments are in this index, so finding due holds never scans settled ones.
CREATE INDEX payments_due_holds ON payments (expires_at) WHERE status = 'authorized';

CREATE TABLE refunds (
    id          TEXT PRIMARY KEY CHECK (id LIKE 'rfd\_%' ESCAPE '\' AND length(id) <= 64),
    payment_id  TEXT NOT NULL REFERENCES payments (id),
    amount      BIGINT NOT NULL CHECK (amount > 0),
    currency    TEXT NOT NULL CHECK (length(currency) = 3),
    transfer_id TEXT NOT NULL UNIQUE REFERENCES transfers (id),
    device_id   TEXT REFERENCES devices (id),
    created_at  TEXT NOT NULL
);

CREATE INDEX refunds_payment ON refunds (payment_id);

-- A retry with the same Idempotency-Key (scoped to the calling device) gets the first response.
CREATE TABLE idempotency_records (
    device_id       TEXT NOT NULL CHECK (length(device_id) BETWEEN 1 AND 64),
    key             TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_sha256  TEXT NOT NULL CHECK (length(request_sha256) = 64),
    response_status INTEGER NOT NULL CHECK (response_status BETWEEN 100 AND 599),
    response_body   BYTEA NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (device_id, key)
);

-- The audit log: hash = SHA-256(prev_hash ‖ canonical event), see LEDGER.md. No biometric value
-- is ever written here. seq is not an identity: the writer assigns audit_chain_head.seq + 1 while
-- holding that row, so seqs have no gaps and follow the chain.
CREATE TABLE audit_events (
    seq       BIGINT PRIMARY KEY CHECK (seq >= 1),
    event_id  TEXT NOT NULL UNIQUE CHECK (event_id LIKE 'evt\_%' ESCAPE '\'),
    time      TEXT NOT NULL CHECK (time ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'),
    -- A device id, 'operator' (the CLI) or 'system' (background services such as hold expiry).
    actor     TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 64),
    action    TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    subject   TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 128),
    detail    TEXT NOT NULL CHECK (facepay_is_json(detail)),
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash      TEXT NOT NULL CHECK (length(hash) = 64)
);

CREATE INDEX audit_events_action ON audit_events (action, seq);
-- No index on time: event ids sort by time, so the UNIQUE index on event_id answers "since".

CREATE TRIGGER audit_events_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION facepay_refuse_change('audit events are immutable');
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION facepay_refuse_change('audit events are immutable');

-- The head of the chain: the last event's seq and hash (0 and 64 '0's before the first event).
-- Several nodes write the chain, so an append locks this row FOR UPDATE, inserts the event at
-- seq + 1 with prev_hash = hash, and moves the head, all in one transaction: appends happen one
-- after another, in seq order. It is the only mutable row of the chain.
CREATE TABLE audit_chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL CHECK (seq >= 0),
    hash TEXT NOT NULL CHECK (length(hash) = 64)
);

INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, repeat('0', 64));
