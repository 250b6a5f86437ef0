-- 0003: enrolled customers, their consent, and their encrypted face templates.
-- Templates are AES-256-GCM sealed (nonce ‖ ciphertext ‖ tag) under the key named by key_id;
-- the plaintext never reaches the database. Erasure deletes the template rows; the customer row
-- and the account stay (money is not erased). SQLite's secure_delete and WAL checkpoint have no
-- counterpart here: a deleted template's sealed bytes stay in table pages and WAL until
-- overwritten (they are ciphertext; the key ring is what makes them readable).
CREATE TABLE customers (
    id                  TEXT PRIMARY KEY CHECK (id LIKE 'cus\_%' ESCAPE '\'),
    full_name           TEXT NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    -- What the till shows: initials ("J. D."), never the full name.
    display_name        TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 40),
    phone_e164          TEXT NOT NULL CHECK (phone_e164 ~ '^\+[1-9]' AND length(phone_e164) BETWEEN 8 AND 16),
    -- The hint bucket: terminals may send these four digits to narrow a 1:N search.
    phone_last4         TEXT NOT NULL CHECK (length(phone_last4) = 4 AND phone_last4 !~ '[^0-9]'),
    account_id          TEXT NOT NULL UNIQUE,
    consent_version     TEXT NOT NULL CHECK (length(consent_version) BETWEEN 1 AND 32),
    consent_accepted_at TEXT NOT NULL,
    consent_kiosk_id    TEXT NOT NULL REFERENCES devices (id),
    created_at          TEXT NOT NULL,
    biometrics_erased_at TEXT
);

CREATE INDEX customers_by_phone_last4 ON customers (phone_last4);

CREATE TABLE face_templates (
    customer_id  TEXT NOT NULL REFERENCES customers (id),
    model        TEXT NOT NULL CHECK (length(model) BETWEEN 1 AND 64),
    key_id       TEXT NOT NULL CHECK (length(key_id) BETWEEN 1 AND 32),
    sealed       BYTEA NOT NULL CHECK (octet_length(sealed) > 28),
    created_at   TEXT NOT NULL,
    -- Refreshed when the template matches a payment; the retention purge reads it.
    last_used_at TEXT NOT NULL,
    PRIMARY KEY (customer_id, model)
);

CREATE INDEX face_templates_by_last_use ON face_templates (last_used_at);
