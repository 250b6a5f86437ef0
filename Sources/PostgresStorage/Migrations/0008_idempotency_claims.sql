-- 0008: the (device, Idempotency-Key) pairs whose request some node is handling right now.
-- A retry sent to another node while the first request still runs would otherwise start a second
-- run: consume the challenge again, fail liveness, and often commit its decline first, so the
-- original's approval would be answered as that decline. A claimed key makes the retry a 409
-- idempotency_in_progress that touches nothing, on every node (one node's in-memory set did this
-- alone on SQLite). The holder deletes its row when the request ends; a row whose holder died is
-- taken over once its lease (claimed_at_ms + the lease) has passed. Working memory, not a record.
CREATE TABLE idempotency_claims (
    device_id     TEXT NOT NULL CHECK (length(device_id) BETWEEN 1 AND 64),
    key           TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    token         TEXT NOT NULL CHECK (length(token) BETWEEN 1 AND 64),
    claimed_at_ms BIGINT NOT NULL,
    PRIMARY KEY (device_id, key)
);
