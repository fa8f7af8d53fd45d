-- Sign-in sessions of the API (`POST /sessions`): a person signs in with name and password and
-- works with the session's token until it ends: signed out, revoked by an admin, idle too long
-- or past its absolute lifetime (both checked by the service on every request). As with API
-- tokens only the secret's SHA-256 (hex) is kept, and the user's role and enabled state are
-- read again on every request. Ended sessions keep their row (who ended it, and when) for the
-- admin's list; live ones are found by hash.
-- (0009 and 0010 are PostgreSQL's; migrations apply by version, so the gap is harmless.)
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    user_name    TEXT NOT NULL REFERENCES users (name),
    token_hash   TEXT NOT NULL UNIQUE,
    source       TEXT,
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    ended_at     TEXT,
    ended_by     TEXT
);
CREATE INDEX sessions_live_by_user ON sessions (user_name) WHERE ended_at IS NULL;
