-- 0001: devices (terminals, kiosks, auditors) identified by their client certificate's CN.
-- The PostgreSQL schema of FacePay, for several stateless nodes on one database. It is the final
-- state of the SQLite migrations (Migrations/0001..0008), written fresh: same tables, same column
-- names and meanings, same constraints, in PostgreSQL types (times stay fixed-width TEXT, money
-- and milliseconds are BIGINT, 0/1 flags BOOLEAN, blobs BYTEA).
-- Released migrations are never edited: the runner records each file's SHA-256 and refuses to
-- start when an applied file changed. A change is a new numbered file.
-- The files contain dollar-quoted plpgsql bodies: run each file whole (simple query protocol),
-- never split on ';'.
CREATE TABLE devices (
    id                 TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
    role               TEXT NOT NULL CHECK (role IN ('terminal', 'kiosk', 'auditor')),
    -- A terminal belongs to exactly one merchant; kiosks and auditors to none.
    merchant_id        TEXT CHECK ((role = 'terminal') = (merchant_id IS NOT NULL)),
    status             TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    -- Raw 32-byte Ed25519 public key; when present the device must sign request bodies.
    signing_public_key BYTEA CHECK (signing_public_key IS NULL OR octet_length(signing_public_key) = 32),
    created_at         TEXT NOT NULL,
    revoked_at         TEXT,
    CONSTRAINT devices_revoked_iff_revoked_at CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
