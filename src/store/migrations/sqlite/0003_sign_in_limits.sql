-- Sign-in limits: failures counted per user (kind 'user', the lower-cased name given, known or
-- not) and per source (kind 'source': a client address, when there is one). A row is written
-- before the password is checked, so a process killed mid-check has still been counted.
-- `failures` counts within the window starting at `window_start`; reaching the threshold sets
-- `locked_until`, and the window does not restart while a lock holds. `busy_until` is the lease
-- of the one attempt being checked for a user name: attempts for a name are checked one at a
-- time, so concurrent ones are counted as they are decided, and a killed holder's lease runs out.
CREATE TABLE sign_in_limits (
    kind            TEXT NOT NULL CHECK (kind IN ('user', 'source')),
    subject         TEXT NOT NULL,
    failures        INTEGER NOT NULL,
    window_start    TEXT NOT NULL,
    last_failure_at TEXT NOT NULL,
    locked_until    TEXT,
    busy_until      TEXT,
    PRIMARY KEY (kind, subject)
);
CREATE INDEX sign_in_limits_by_last_failure ON sign_in_limits (last_failure_at);

-- One row, written in the same transaction as the first user: a second bootstrap collides on
-- the key. Changes to who is an enabled admin also lock this row, so two of them never both
-- see "another admin is left".
CREATE TABLE bootstrap (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    first_admin TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
INSERT INTO bootstrap (singleton, first_admin, created_at)
    SELECT 1, name, created_at FROM users ORDER BY id LIMIT 1;

-- `SAM` and `sam` are the same person to a reader: names are unique without case.
CREATE UNIQUE INDEX users_name_folded ON users (LOWER(name));
