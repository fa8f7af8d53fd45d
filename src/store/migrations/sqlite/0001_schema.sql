-- orderboard schema, SQLite flavour. Keep in step with ../postgres/0001_schema.sql.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL CHECK (role IN ('customer', 'seller', 'support', 'admin', 'system')),
    password_hash   TEXT NOT NULL,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
);

CREATE TABLE orders (
    id               INTEGER PRIMARY KEY,
    workflow         TEXT NOT NULL,
    state            TEXT NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    customer         TEXT NOT NULL REFERENCES users (name),
    seller           TEXT NOT NULL REFERENCES users (name),
    title            TEXT NOT NULL,
    amount_cents     INTEGER NOT NULL CHECK (amount_cents >= 0),
    currency         TEXT NOT NULL,
    placed_at        TEXT NOT NULL,
    due_at           TEXT,
    state_entered_at TEXT NOT NULL,
    timer_event      TEXT,
    timer_due_at     TEXT,
    attrs            TEXT NOT NULL DEFAULT '{}',
    counters         TEXT NOT NULL DEFAULT '{}',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
-- The board: one column = (workflow, state), keyset-paged by id.
CREATE INDEX orders_board ON orders (workflow, state, id);
CREATE INDEX orders_by_seller ON orders (seller, workflow, state, id);
CREATE INDEX orders_by_customer ON orders (customer, workflow, state, id);
CREATE INDEX orders_timers ON orders (timer_due_at) WHERE timer_due_at IS NOT NULL;

-- Append-only: every committed transition. Its id is the feed's cursor.
CREATE TABLE history (
    id           INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL REFERENCES orders (id),
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    role         TEXT NOT NULL,
    on_behalf_of TEXT,
    event        TEXT NOT NULL,
    from_state   TEXT NOT NULL,
    to_state     TEXT NOT NULL,
    note         TEXT,
    version      INTEGER NOT NULL,
    effects      TEXT NOT NULL DEFAULT '[]',
    UNIQUE (order_id, version)
);
CREATE INDEX history_by_order ON history (order_id, id);

-- Effects to carry out (notifications, payment links, inventory), one row per effect.
CREATE TABLE effects (
    id              INTEGER PRIMARY KEY,
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    version         INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL
);

-- Money. At most one refund, one payout and one credit per order, and never both a full
-- refund and a payout: enforced here, whatever the application does.
CREATE TABLE ledger (
    id            INTEGER PRIMARY KEY,
    order_id      INTEGER NOT NULL REFERENCES orders (id),
    version       INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('refund', 'payout', 'credit')),
    amount_cents  INTEGER NOT NULL CHECK (amount_cents >= 0),
    share_percent INTEGER NOT NULL CHECK (share_percent BETWEEN 1 AND 100),
    at            TEXT NOT NULL,
    UNIQUE (order_id, kind)
);
CREATE UNIQUE INDEX ledger_one_settlement ON ledger (order_id)
    WHERE kind = 'payout' OR (kind = 'refund' AND share_percent = 100);

-- Refused attempts, so support can see that a customer tried.
CREATE TABLE attempts (
    id       INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders (id),
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    role     TEXT NOT NULL,
    event    TEXT NOT NULL,
    kind     TEXT NOT NULL,
    reason   TEXT NOT NULL
);
CREATE INDEX attempts_by_order ON attempts (order_id, id);

CREATE TRIGGER history_no_update BEFORE UPDATE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER history_no_delete BEFORE DELETE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER attempts_no_update BEFORE UPDATE ON attempts
BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END;
CREATE TRIGGER attempts_no_delete BEFORE DELETE ON attempts
BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END;
