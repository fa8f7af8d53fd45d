-- The effects outbox (http.md, "The runner"). Effects are written by the apply path in the
-- transition's own transaction; `orderboard serve` delivers them to the sinks of config.toml.
-- Keep in step with ../sqlite/0007_effects_outbox.sql.
--
-- status: pending -> delivering -> delivered | failed; unrouted when no sink takes the kind;
-- resolved when support closed a failed or unrouted one by hand.
-- A runner claims an effect by setting `lease_owner` and `lease_until`; a runner that dies
-- leaves the lease to run out, and the effect is claimed again (same idempotency key).
ALTER TABLE effects ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE effects ADD COLUMN next_attempt_at TIMESTAMPTZ;
ALTER TABLE effects ADD COLUMN lease_owner TEXT;
ALTER TABLE effects ADD COLUMN lease_until TIMESTAMPTZ;
ALTER TABLE effects ADD COLUMN sink TEXT;
ALTER TABLE effects ADD COLUMN last_error TEXT;
ALTER TABLE effects ADD COLUMN finished_at TIMESTAMPTZ;
UPDATE effects SET next_attempt_at = created_at;
ALTER TABLE effects ALTER COLUMN next_attempt_at SET NOT NULL;
ALTER TABLE effects ADD CONSTRAINT effects_status
    CHECK (status IN ('pending', 'delivering', 'delivered', 'failed', 'unrouted', 'resolved'));
CREATE INDEX effects_due ON effects (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX effects_leased ON effects (lease_until, id) WHERE status = 'delivering';
CREATE INDEX effects_by_status ON effects (status, id);
CREATE INDEX effects_by_order ON effects (order_id, id);

-- Every delivery attempt, and every hand retry or resolution (with who and why): append-only.
CREATE TABLE effect_attempts (
    id          BIGSERIAL PRIMARY KEY,
    effect_id   BIGINT NOT NULL REFERENCES effects (id),
    order_id    BIGINT NOT NULL REFERENCES orders (id),
    attempt     INTEGER NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN
        ('delivered', 'retry', 'failed', 'unrouted', 'abandoned', 'retry_requested', 'resolved')),
    http_status INTEGER,
    detail      TEXT,
    duration_ms BIGINT,
    note        TEXT
);
CREATE INDEX effect_attempts_by_effect ON effect_attempts (effect_id, id);
CREATE INDEX effect_attempts_by_order ON effect_attempts (order_id, id);
CREATE TRIGGER effect_attempts_append_only BEFORE UPDATE OR DELETE ON effect_attempts
    FOR EACH ROW EXECUTE FUNCTION orderboard_append_only();
CREATE TRIGGER effect_attempts_no_truncate BEFORE TRUNCATE ON effect_attempts
    FOR EACH STATEMENT EXECUTE FUNCTION orderboard_append_only();
