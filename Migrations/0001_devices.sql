-- 0001: devices (terminals, kiosks, auditors) identified by their client certificate's CN.
-- Released migrations are never edited: the runner records each file's SHA-256 and refuses to
-- start when an applied file changed.
CREATE TABLE devices (
    id                 TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
    role               TEXT NOT NULL CHECK (role IN ('terminal', 'kiosk', 'auditor')),
    -- A terminal belongs to exactly one merchant; kiosks and auditors to none.
    merchant_id        TEXT CHECK ((role = 'terminal') = (merchant_id IS NOT NULL)),
    status             TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    -- Raw 32-byte Ed25519 public key; when present the device must sign request bodies.
    signing_public_key BLOB CHECK (signing_public_key IS NULL OR length(signing_public_key) = 32),
    created_at         TEXT NOT NULL,
    revoked_at         TEXT,
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
) STRICT;
