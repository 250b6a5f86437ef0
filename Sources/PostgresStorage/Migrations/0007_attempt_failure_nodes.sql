-- 0007: which node recorded each failed attempt. Every node counts every failure against the
-- lockouts and attempt budgets: its own as it decides, the others' by following this table (rows
-- with seq above its cursor and another node's id), so an attacker cannot move to the next node.
-- Rows are inserted under the audit chain head lock, so seq is commit order and a cursor never
-- skips a row that commits later.
ALTER TABLE attempt_failures ADD COLUMN node TEXT CHECK (node IS NULL OR length(node) BETWEEN 1 AND 64);
