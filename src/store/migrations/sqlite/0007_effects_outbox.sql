-- The effects outbox (http.md, "The runner"). Keep in step with
-- ../postgres/0007_effects_outbox.sql, which explains the columns.
ALTER TABLE effects ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE effects ADD COLUMN next_attempt_at TEXT;
ALTER TABLE effects ADD COLUMN lease_owner TEXT;
ALTER TABLE effects ADD COLUMN lease_until TEXT;
ALTER TABLE effects ADD COLUMN sink TEXT;
ALTER TABLE effects ADD COLUMN last_error TEXT;
ALTER TABLE effects ADD COLUMN finished_at TEXT;
UPDATE effects SET next_attempt_at = created_at;
CREATE TRIGGER effects_status_insert BEFORE INSERT ON effects
    WHEN NEW.status NOT IN ('pending', 'delivering', 'delivered', 'failed', 'unrouted', 'resolved')
      OR NEW.next_attempt_at IS NULL
BEGIN SELECT RAISE(ABORT, 'effect status or next attempt time is invalid'); END;
CREATE TRIGGER effects_status_update BEFORE UPDATE ON effects
    WHEN NEW.status NOT IN ('pending', 'delivering', 'delivered', 'failed', 'unrouted', 'resolved')
      OR NEW.next_attempt_at IS NULL
BEGIN SELECT RAISE(ABORT, 'effect status or next attempt time is invalid'); END;
CREATE INDEX effects_due ON effects (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX effects_leased ON effects (lease_until, id) WHERE status = 'delivering';
CREATE INDEX effects_by_status ON effects (status, id);
CREATE INDEX effects_by_order ON effects (order_id, id);

CREATE TABLE effect_attempts (
    id          INTEGER PRIMARY KEY,
    effect_id   INTEGER NOT NULL REFERENCES effects (id),
    order_id    INTEGER NOT NULL REFERENCES orders (id),
    attempt     INTEGER NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN
        ('delivered', 'retry', 'failed', 'unrouted', 'abandoned', 'retry_requested', 'resolved')),
    http_status INTEGER,
    detail      TEXT,
    duration_ms INTEGER,
    note        TEXT
);
CREATE INDEX effect_attempts_by_effect ON effect_attempts (effect_id, id);
CREATE INDEX effect_attempts_by_order ON effect_attempts (order_id, id);
CREATE TRIGGER effect_attempts_no_update BEFORE UPDATE ON effect_attempts
BEGIN SELECT RAISE(ABORT, 'effect attempts are append-only'); END;
CREATE TRIGGER effect_attempts_no_delete BEFORE DELETE ON effect_attempts
BEGIN SELECT RAISE(ABORT, 'effect attempts are append-only'); END;
