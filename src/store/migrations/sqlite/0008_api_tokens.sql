-- API tokens (`orderboard token add`): each acts as its user, whose role and enabled state are
-- read again on every request. Only the secret's SHA-256 (hex) is kept: a copy of the database
-- gives no working token. Revoking keeps the row, so the name stays taken and the list shows it.
-- (0007 is another change's number; migrations apply by version, so the gap is harmless.)
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    user_name    TEXT NOT NULL REFERENCES users (name),
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);

-- `POST /orders` with an Idempotency-Key: the first response, replayed to a retry by the same
-- user. A row is claimed (status NULL) before the order is created and completed after, so of
-- two concurrent requests with one key only one creates.
CREATE TABLE api_idempotency (
    user_name  TEXT NOT NULL,
    key        TEXT NOT NULL,
    status     INTEGER,
    body       TEXT,
    location   TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_name, key)
);
