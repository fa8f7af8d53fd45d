-- orderboard schema, PostgreSQL flavour. Keep in step with ../sqlite/0001_schema.sql.

CREATE TABLE users (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL CHECK (role IN ('customer', 'seller', 'support', 'admin', 'system')),
    password_hash   TEXT NOT NULL,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE orders (
    id               BIGSERIAL PRIMARY KEY,
    workflow         TEXT NOT NULL,
    state            TEXT NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1,
    customer         TEXT NOT NULL REFERENCES users (name),
    seller           TEXT NOT NULL REFERENCES users (name),
    title            TEXT NOT NULL,
    amount_cents     BIGINT NOT NULL CHECK (amount_cents >= 0),
    currency         TEXT NOT NULL,
    placed_at        TIMESTAMPTZ NOT NULL,
    due_at           TIMESTAMPTZ,
    state_entered_at TIMESTAMPTZ NOT NULL,
    timer_event      TEXT,
    timer_due_at     TIMESTAMPTZ,
    attrs            TEXT NOT NULL DEFAULT '{}',
    counters         TEXT NOT NULL DEFAULT '{}',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX orders_board ON orders (workflow, state, id);
CREATE INDEX orders_by_seller ON orders (seller, workflow, state, id);
CREATE INDEX orders_by_customer ON orders (customer, workflow, state, id);
CREATE INDEX orders_timers ON orders (timer_due_at) WHERE timer_due_at IS NOT NULL;

CREATE TABLE history (
    id           BIGSERIAL PRIMARY KEY,
    order_id     BIGINT NOT NULL REFERENCES orders (id),
    at           TIMESTAMPTZ NOT NULL,
    actor        TEXT NOT NULL,
    role         TEXT NOT NULL,
    on_behalf_of TEXT,
    event        TEXT NOT NULL,
    from_state   TEXT NOT NULL,
    to_state     TEXT NOT NULL,
    note         TEXT,
    version      BIGINT NOT NULL,
    effects      TEXT NOT NULL DEFAULT '[]',
    UNIQUE (order_id, version)
);
CREATE INDEX history_by_order ON history (order_id, id);

CREATE TABLE effects (
    id              BIGSERIAL PRIMARY KEY,
    order_id        BIGINT NOT NULL REFERENCES orders (id),
    version         BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE ledger (
    id            BIGSERIAL PRIMARY KEY,
    order_id      BIGINT NOT NULL REFERENCES orders (id),
    version       BIGINT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('refund', 'payout', 'credit')),
    amount_cents  BIGINT NOT NULL CHECK (amount_cents >= 0),
    share_percent INTEGER NOT NULL CHECK (share_percent BETWEEN 1 AND 100),
    at            TIMESTAMPTZ NOT NULL,
    UNIQUE (order_id, kind)
);
CREATE UNIQUE INDEX ledger_one_settlement ON ledger (order_id)
    WHERE kind = 'payout' OR (kind = 'refund' AND share_percent = 100);

CREATE TABLE attempts (
    id       BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    at       TIMESTAMPTZ NOT NULL,
    actor    TEXT NOT NULL,
    role     TEXT NOT NULL,
    event    TEXT NOT NULL,
    kind     TEXT NOT NULL,
    reason   TEXT NOT NULL
);
CREATE INDEX attempts_by_order ON attempts (order_id, id);

CREATE FUNCTION orderboard_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history
    FOR EACH ROW EXECUTE FUNCTION orderboard_append_only();
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION orderboard_append_only();
CREATE TRIGGER attempts_append_only BEFORE UPDATE OR DELETE ON attempts
    FOR EACH ROW EXECUTE FUNCTION orderboard_append_only();
-- TRUNCATE skips row triggers: refuse it too.
CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON history
    FOR EACH STATEMENT EXECUTE FUNCTION orderboard_append_only();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
    FOR EACH STATEMENT EXECUTE FUNCTION orderboard_append_only();
