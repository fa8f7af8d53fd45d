//! SQL text shared by both backends: SQLite accepts `$1` placeholders and RETURNING, so only
//! the migrations and a few statements (begin, the feed's reads, notify) differ.

// Column lists are macros rather than constants because `concat!` takes only literals, and
// `concat!` keeps every statement one `&'static str` built at compile time.

/// What `OrderRow` reads.
macro_rules! order_columns {
    () => {
        "id, workflow, state, version, customer, seller, title, amount_cents, currency, placed_at, due_at, state_entered_at, attrs, counters, timer_event, timer_due_at"
    };
}
pub(crate) use order_columns;

mod listing;
pub use listing::{
    BOARD_PAGE_ALL, BOARD_PAGE_SELLER, BY_NUMBER, ListingSql, PG_CONTAINS, PG_MATCH_SETS,
    PG_MATCH_SETS_BY_INDEX, SQLITE_CONTAINS, SQLITE_INDEX_ORDER_TEXT, SQLITE_MATCH_SETS, UNMATCHED,
};
pub(crate) use listing::{
    board_page, board_pages, count_filtered, listing_sql, other_tables_filters, per_workflow,
};

/// What a new order is written with; seeding adds its own `id` in front.
macro_rules! order_insert_columns {
    () => {
        "workflow, state, version, customer, seller, title, amount_cents, currency, placed_at, due_at, state_entered_at, timer_event, timer_due_at, attrs, counters, created_at, updated_at"
    };
}

/// What a transition is written with; `HistoryRow` reads these after `id`.
macro_rules! history_insert_columns {
    () => {
        "order_id, at, actor, role, on_behalf_of, event, from_state, to_state, note, version, effects"
    };
}

/// What `FeedRow` reads: the transition (`h`) and its order's workflow and title (`o`).
macro_rules! feed_columns {
    () => {
        "h.id, h.order_id, h.at, h.actor, h.role, h.on_behalf_of, h.event, h.from_state, h.to_state, h.note, h.version, h.effects, h.kind, o.workflow, o.title"
    };
}

/// What `LedgerRow` reads.
macro_rules! ledger_columns {
    () => {
        "kind, amount_cents, CAST(share_percent AS BIGINT) AS share_percent, version, at"
    };
}

macro_rules! ledger_insert_columns {
    () => {
        "order_id, version, kind, amount_cents, share_percent, at"
    };
}

macro_rules! effect_insert_columns {
    () => {
        "order_id, version, kind, payload, idempotency_key, created_at, next_attempt_at, status"
    };
}

/// What `EffectRecord` reads (INTEGER columns cast so both backends give an i64).
macro_rules! effect_columns {
    () => {
        "id, order_id, version, kind, payload, status, idempotency_key, CAST(attempts AS BIGINT) AS attempts, next_attempt_at, sink, last_error, created_at, finished_at"
    };
}

/// What `EffectAttempt` reads.
macro_rules! effect_attempt_columns {
    () => {
        "id, effect_id, order_id, CAST(attempt AS BIGINT) AS attempt, at, actor, outcome, CAST(http_status AS BIGINT) AS http_status, detail, duration_ms, note"
    };
}

pub(super) const PING: &str = "SELECT 1";

pub const SELECT_ORDER: &str = concat!("SELECT ", order_columns!(), " FROM orders WHERE id = $1");

/// Several orders by id: the caller appends the id list and its closing parenthesis.
pub const SELECT_ORDERS_IN: &str =
    concat!("SELECT ", order_columns!(), " FROM orders WHERE id IN (");

/// Per-column counts without filters: answered from the covering index alone.
/// $1 workflow, $2 customer, $3 seller.
pub const COUNT_ALL: &str = "SELECT state, COUNT(*) AS n FROM orders WHERE workflow = $1 AND $2 IS NULL AND $3 IS NULL GROUP BY state";
pub const COUNT_CUSTOMER: &str = "SELECT state, COUNT(*) AS n FROM orders WHERE customer = $2 AND workflow = $1 AND $3 IS NULL GROUP BY state";
pub const COUNT_SELLER: &str = "SELECT state, COUNT(*) AS n FROM orders WHERE seller = $3 AND workflow = $1 AND $2 IS NULL GROUP BY state";

/// Whether a workflow holds any order the actor may see: one index probe.
/// $1 workflow, $2 customer, $3 seller.
pub const HAS_ORDERS_ALL: &str =
    "SELECT id FROM orders WHERE workflow = $1 AND $2 IS NULL AND $3 IS NULL LIMIT 1";
pub const HAS_ORDERS_CUSTOMER: &str =
    "SELECT id FROM orders WHERE customer = $2 AND workflow = $1 AND $3 IS NULL LIMIT 1";
pub const HAS_ORDERS_SELLER: &str =
    "SELECT id FROM orders WHERE seller = $3 AND workflow = $1 AND $2 IS NULL LIMIT 1";

pub const INSERT_ORDER: &str = concat!(
    "INSERT INTO orders (",
    order_insert_columns!(),
    ") \
     VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, '{}', $14, $14) RETURNING id"
);

/// The optimistic lock: no row back means someone else moved the order first.
pub const UPDATE_ORDER_STATE: &str = "UPDATE orders SET state = $1, version = version + 1, counters = $2, state_entered_at = $3, \
     timer_event = $4, timer_due_at = $5, updated_at = $3 WHERE id = $6 AND version = $7 RETURNING version";

/// A transition's effects, in one statement: the head, then a row of values each (the order,
/// its version, kind, payload, idempotency key, and the time twice: created and due).
pub const INSERT_EFFECTS_HEAD: &str =
    concat!("INSERT INTO effects (", effect_insert_columns!(), ") ");

pub const INSERT_LEDGER: &str = concat!(
    "INSERT INTO ledger (",
    ledger_insert_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6)"
);

pub const INSERT_HISTORY: &str = concat!(
    "INSERT INTO history (",
    history_insert_columns!(),
    ") \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"
);

pub const INSERT_ATTEMPT: &str = "INSERT INTO attempts (order_id, at, actor, role, event, kind, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// An order's creation in the feed's sequence: the actor, the initial state, version 1.
pub const INSERT_CREATION: &str = concat!(
    "INSERT INTO history (",
    history_insert_columns!(),
    ", kind) VALUES ($1, $2, $3, $4, NULL, 'created', '', $5, NULL, 1, '[]', 'created') RETURNING id"
);

pub const SELECT_HISTORY: &str = concat!(
    "SELECT id, ",
    history_insert_columns!(),
    " FROM history WHERE order_id = $1 AND kind = 'transition' ORDER BY id"
);

pub const LAST_HISTORY: &str = concat!(
    "SELECT id, ",
    history_insert_columns!(),
    " FROM history WHERE order_id = $1 AND kind = 'transition' ORDER BY id DESC LIMIT 1"
);

pub const SELECT_ATTEMPTS: &str = "SELECT id, order_id, at, actor, role, event, kind, reason FROM attempts WHERE order_id = $1 ORDER BY id";

pub const SELECT_LEDGER: &str = concat!(
    "SELECT ",
    ledger_columns!(),
    " FROM ledger WHERE order_id = $1 ORDER BY id"
);

pub const SELECT_EFFECTS: &str = concat!(
    "SELECT ",
    effect_columns!(),
    " FROM effects WHERE order_id = $1 ORDER BY id"
);

pub const SELECT_EFFECT: &str =
    concat!("SELECT ", effect_columns!(), " FROM effects WHERE id = $1");

/// Support's list: by status ($1, NULL for any) and order ($2, NULL for any), keyset-paged.
pub const LIST_EFFECTS: &str = concat!(
    "SELECT ",
    effect_columns!(),
    " FROM effects WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR order_id = $2) \
       AND id > $3 ORDER BY id LIMIT $4"
);

/// Effects that need a person (the board's badge).
pub const COUNT_EFFECTS_NEEDING_ATTENTION: &str =
    "SELECT COUNT(*) FROM effects WHERE status IN ('failed', 'unrouted')";

pub const SELECT_EFFECT_ATTEMPTS: &str = concat!(
    "SELECT ",
    effect_attempt_columns!(),
    " FROM effect_attempts WHERE order_id = $1 ORDER BY id"
);

/// Due effects a runner may claim, oldest due first. Each backend appends its own locking
/// clause (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so runners never wait on each other).
macro_rules! claim_due_effects {
    () => {
        "SELECT id FROM effects WHERE status = 'pending' AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at, id LIMIT $2"
    };
}

/// Effects whose runner's lease ran out (it died or stalled): delivered again, same key.
macro_rules! claim_abandoned_effects {
    () => {
        "SELECT id FROM effects WHERE status = 'delivering' AND lease_until < $1 \
         ORDER BY lease_until, id LIMIT $2"
    };
}

pub(super) use {claim_abandoned_effects, claim_due_effects};

/// The claim itself, of a list of ids in one statement; `attempts` counts it. The lease is
/// named by the runner and the attempt number the claim writes. Built as: the head, the
/// runner, the middle, the lease's end, `CLAIM_EFFECTS_WHERE`, the ids, the tail.
pub const CLAIM_EFFECTS_HEAD: &str = "UPDATE effects SET status = 'delivering', lease_owner = ";
pub const CLAIM_EFFECTS_MIDDLE: &str = " || '#' || CAST(attempts + 1 AS TEXT), lease_until = ";
pub const CLAIM_EFFECTS_WHERE: &str = ", attempts = attempts + 1 WHERE id IN (";
pub const CLAIM_EFFECTS_TAIL: &str = concat!(") RETURNING ", effect_columns!());

/// Runners' results, one statement for a batch, each written only while its own claim
/// still holds the effect: the head, a row of values per result (the effect, its lease, the
/// status, next attempt, sink, last error and finish time), the tail. The rows written come
/// back with their attempt number, which tells a current claim from an older one of the
/// same effect. VALUES columns are `column1`… in both databases.
pub const FINISH_EFFECTS_HEAD: &str = "UPDATE effects SET status = v.column3, \
     next_attempt_at = v.column4, sink = COALESCE(v.column5, effects.sink), \
     last_error = v.column6, finished_at = v.column7, lease_owner = NULL, lease_until = NULL \
     FROM (";
pub const FINISH_EFFECTS_TAIL: &str = ") AS v WHERE effects.id = v.column1 \
     AND effects.lease_owner = v.column2 AND effects.status = 'delivering' \
     RETURNING id, CAST(attempts AS BIGINT)";

/// The head of a multi-row `effect_attempts` insert (values in the order of
/// `INSERT_EFFECT_ATTEMPT`'s).
pub const INSERT_EFFECT_ATTEMPTS_HEAD: &str = "INSERT INTO effect_attempts \
     (effect_id, order_id, attempt, at, actor, outcome, http_status, detail, duration_ms, note) ";

/// A hand retry: a fresh series of attempts, due now.
pub const RETRY_EFFECT: &str = "UPDATE effects SET status = 'pending', next_attempt_at = $2, \
     attempts = 0, finished_at = NULL WHERE id = $1 AND status IN ('failed', 'unrouted')";

pub const RESOLVE_EFFECT: &str = "UPDATE effects SET status = 'resolved', finished_at = $2 \
     WHERE id = $1 AND status IN ('failed', 'unrouted')";

pub const INSERT_EFFECT_ATTEMPT: &str = "INSERT INTO effect_attempts \
     (effect_id, order_id, attempt, at, actor, outcome, http_status, detail, duration_ms, note) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// The transition that recorded an effect: the order's history row at the effect's version.
pub const HISTORY_AT_VERSION: &str = concat!(
    "SELECT id, ",
    history_insert_columns!(),
    " FROM history WHERE order_id = $1 AND version = $2 AND kind = 'transition'"
);

/// The feed: transitions after a cursor that the actor may see, oldest first.
/// SQLite's feed: one writer at a time, so ids commit in order and the feed is id order.
pub const FEED_AFTER: &str = concat!(
    "SELECT ",
    feed_columns!(),
    " \
     FROM history h JOIN orders o ON o.id = h.order_id \
     WHERE h.id > $1 AND ($2 IS NULL OR o.customer = $2) AND ($3 IS NULL OR o.seller = $3) \
     ORDER BY h.id LIMIT $4"
);

/// PostgreSQL's feed: (transaction id, id) order, only below the oldest transaction still in
/// flight (migration 0009 says why). The caller's position is an event id; its place in that
/// order is looked up (an id that names no row stands for the nearest event below it, and
/// 0 for the beginning).
///
/// The last column only keeps the planner from a parallel plan (the function is parallel
/// unsafe; its value is never read): the position is unknown when it plans, so it expects to read a large share of history and would start two workers,
/// about 6 ms, to read the handful of rows a follower finds (0.2 ms without).
pub const PG_FEED_AFTER: &str = concat!(
    "SELECT ",
    feed_columns!(),
    ", pg_current_xact_id_if_assigned() AS serial_plan \
     FROM history h JOIN orders o ON o.id = h.order_id \
     WHERE (h.xid, h.id) > ( \
         COALESCE((SELECT c.xid FROM history c WHERE c.id <= $1 ORDER BY c.id DESC LIMIT 1), '0'::xid8), \
         COALESCE((SELECT c.id FROM history c WHERE c.id <= $1 ORDER BY c.id DESC LIMIT 1), 0)) \
       AND h.xid < pg_snapshot_xmin(pg_current_snapshot()) \
       AND ($2 IS NULL OR o.customer = $2) AND ($3 IS NULL OR o.seller = $3) \
     ORDER BY h.xid, h.id LIMIT $4"
);

/// The newest transitions the actor may see, newest first (the feed's opening lines).
pub const FEED_RECENT: &str = concat!(
    "SELECT ",
    feed_columns!(),
    " \
     FROM history h JOIN orders o ON o.id = h.order_id \
     WHERE ($1 IS NULL OR o.customer = $1) AND ($2 IS NULL OR o.seller = $2) \
       AND ($4 IS NULL OR h.id < $4) \
     ORDER BY h.id DESC LIMIT $3"
);

/// Where a new follower starts: the newest event (SQLite: ids commit in order).
pub const LATEST_HISTORY_ID: &str = "SELECT COALESCE(MAX(id), 0) FROM history";

/// PostgreSQL: the transactions in flight and the next to begin, server-wide; it changes
/// whenever one commits.
pub const PG_SNAPSHOT_TEXT: &str = "SELECT pg_current_snapshot()::text";

/// PostgreSQL's: the last event in feed order below the horizon, so that a follower starting
/// after it misses nothing still in flight.
pub const PG_FEED_HEAD: &str = "SELECT COALESCE((SELECT id FROM history WHERE xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY xid DESC, id DESC LIMIT 1), 0)";

/// PostgreSQL: history rows whose transaction id this server has not handed out yet (they
/// came with a restored dump) are reset to 0, "committed long ago" (migration 0010 defines
/// the function, beside the one exception the append-only trigger makes for it).
pub const PG_FORGET_FOREIGN_XIDS: &str = "SELECT orderboard_forget_foreign_xids()";

/// PostgreSQL: whether a committed event waits behind a transaction still in flight. That
/// transaction may never announce anything (it may roll back, or write no history), so the
/// reader looks again soon instead of waiting for the next notification.
pub const PG_FEED_HELD_BACK: &str =
    "SELECT EXISTS (SELECT 1 FROM history WHERE xid >= pg_snapshot_xmin(pg_current_snapshot()))";

/// The armed timers due by $1, earliest first, up to $2.
pub const DUE_TIMERS: &str = "SELECT id, version, timer_event, timer_due_at FROM orders \
     WHERE timer_due_at IS NOT NULL AND timer_due_at <= $1 ORDER BY timer_due_at, id LIMIT $2";

/// `DUE_TIMERS` after the timer due at $3 on order $4 (keyset paging, so a reader can go on
/// past timers it cannot fire).
pub const DUE_TIMERS_AFTER: &str = "SELECT id, version, timer_event, timer_due_at FROM orders \
     WHERE timer_due_at IS NOT NULL AND timer_due_at <= $1 \
       AND (timer_due_at > $3 OR (timer_due_at = $3 AND id > $4)) \
     ORDER BY timer_due_at, id LIMIT $2";

/// Verify's batches: orders after an id, and the history and ledger of an id range.
pub const ORDERS_AFTER: &str = concat!(
    "SELECT ",
    order_columns!(),
    " FROM orders WHERE id > $1 ORDER BY id LIMIT $2"
);
pub const HISTORY_BETWEEN: &str = concat!(
    "SELECT id, ",
    history_insert_columns!(),
    " FROM history WHERE order_id BETWEEN $1 AND $2 AND kind = 'transition' ORDER BY order_id, id"
);
pub const LEDGER_BETWEEN: &str = concat!(
    "SELECT order_id, ",
    ledger_columns!(),
    " FROM ledger WHERE order_id BETWEEN $1 AND $2 ORDER BY order_id, id"
);

/// The ledger rows of a list of orders: the ids and `)` are appended.
pub const LEDGER_OF_ORDERS_IN: &str = concat!(
    "SELECT order_id, ",
    ledger_columns!(),
    " FROM ledger WHERE order_id IN ("
);

/// Seeding's statements: `QueryBuilder::push_values` appends the VALUES rows.
pub(super) const MAX_ORDER_ID: &str = "SELECT COALESCE(MAX(id), 0) FROM orders";
pub(super) const SEED_PARTIES: &str =
    "INSERT INTO users (name, role, password_hash, disabled, failed_sign_ins, created_at) ";
pub(super) const SEED_ORDERS: &str =
    concat!("INSERT INTO orders (id, ", order_insert_columns!(), ") ");
pub(super) const SEED_HISTORY: &str =
    concat!("INSERT INTO history (", history_insert_columns!(), ") ");
pub(super) const SEED_EFFECTS: &str =
    concat!("INSERT INTO effects (", effect_insert_columns!(), ") ");
pub(super) const SEED_LEDGER: &str =
    concat!("INSERT INTO ledger (", ledger_insert_columns!(), ") ");

pub const COUNT_USERS: &str = "SELECT COUNT(*) FROM users";

pub const INSERT_USER: &str = "INSERT INTO users (name, role, password_hash, disabled, failed_sign_ins, created_at) VALUES ($1, $2, $3, FALSE, 0, $4)";

/// The acting user's role and whether they are disabled, read inside the apply path's
/// transaction.
pub const ACTOR_STANDING: &str = "SELECT role, disabled FROM users WHERE name = $1";

/// `ACTOR_STANDING` for an actor named by an API token: no row unless the token ($1, its
/// hash) is live and still the user's ($2).
pub const ACTOR_STANDING_BY_TOKEN: &str = "SELECT u.role, u.disabled FROM api_tokens t JOIN users u ON u.name = t.user_name WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.name = $2";

pub const SET_USER_DISABLED: &str = "UPDATE users SET disabled = $2 WHERE name = $1";

// Issue 10: sign-in limits, the one bootstrap, admin changes to users.

/// What `UserRow` reads, with the user's sign-in counter (`u` users, `l` sign_in_limits).
macro_rules! user_with_limits {
    ($where:literal) => {
        concat!(
            "SELECT u.name, u.role, u.password_hash, u.disabled, \
             CAST(COALESCE(l.failures, 0) AS BIGINT) AS failed_sign_ins, l.locked_until \
             FROM users u LEFT JOIN sign_in_limits l ON l.kind = 'user' AND l.subject = LOWER(u.name) ",
            $where
        )
    };
}

pub const SELECT_USER_WITH_LIMITS: &str = user_with_limits!("WHERE u.name = $1");

pub const SELECT_USERS_WITH_LIMITS: &str = user_with_limits!("ORDER BY u.name");

/// The window restarts once it is older than $4 (now minus the window), unless a lock holds.
macro_rules! window_expired {
    () => {
        "(sign_in_limits.window_start < $4 AND (sign_in_limits.locked_until IS NULL OR sign_in_limits.locked_until <= $3))"
    };
}

/// Counts one attempt: $1 kind, $2 subject, $3 now, $4 window cutoff, $5 threshold, $6 the
/// end of a lock set now, $7 the end of this attempt's lease (NULL: no lease, for sources).
/// The attempt that reaches the threshold sets the lock; the count is returned, this attempt
/// included. No row comes back while another attempt holds the lease. One statement, so
/// concurrent attempts never lose a count.
pub const COUNT_SIGN_IN_ATTEMPT: &str = concat!(
    "INSERT INTO sign_in_limits (kind, subject, failures, window_start, last_failure_at, locked_until, busy_until) \
     VALUES ($1, $2, 1, $3, $3, NULL, $7) \
     ON CONFLICT (kind, subject) DO UPDATE SET \
       failures = CASE WHEN ",
    window_expired!(),
    " THEN 1 ELSE sign_in_limits.failures + 1 END, \
       window_start = CASE WHEN ",
    window_expired!(),
    " THEN $3 ELSE sign_in_limits.window_start END, \
       last_failure_at = $3, \
       locked_until = CASE WHEN ",
    window_expired!(),
    " THEN NULL WHEN sign_in_limits.failures + 1 = $5 THEN $6 ELSE sign_in_limits.locked_until END, \
       busy_until = $7 \
     WHERE sign_in_limits.busy_until IS NULL OR sign_in_limits.busy_until <= $3 \
     RETURNING failures"
);

/// A failed attempt gives up its lease; its count stays.
pub const RELEASE_SIGN_IN_LEASE: &str =
    "UPDATE sign_in_limits SET busy_until = NULL WHERE kind = 'user' AND subject = $1";

/// A success clears the user's counter, lock included (so does an admin's unlock).
pub const CLEAR_USER_SIGN_IN_FAILURES: &str =
    "DELETE FROM sign_in_limits WHERE kind = 'user' AND subject = $1";

/// A success takes its own attempt back from the source's count: only failures stay counted.
pub const FORGIVE_SOURCE_ATTEMPT: &str = "UPDATE sign_in_limits SET failures = failures - 1 \
     WHERE kind = 'source' AND subject = $1 AND failures > 0";

/// $1 last failure before this, $2 now: counters long idle and not locked.
pub const PRUNE_SIGN_IN_LIMITS: &str = "DELETE FROM sign_in_limits \
     WHERE last_failure_at < $1 AND (locked_until IS NULL OR locked_until < $2)";

/// The bootstrap row, only while there are no users; a second one collides on its key.
pub const CLAIM_BOOTSTRAP: &str = "INSERT INTO bootstrap (singleton, first_admin, created_at) \
     SELECT 1, $1, $2 WHERE NOT EXISTS (SELECT 1 FROM users) \
     ON CONFLICT (singleton) DO NOTHING";

/// Locks the bootstrap row: changes to enabled admins take it first, so they run one at a time.
pub const LOCK_ADMIN_CHANGES: &str =
    "UPDATE bootstrap SET singleton = singleton WHERE singleton = 1";

/// Enabled admins other than $1.
pub const COUNT_OTHER_ENABLED_ADMINS: &str =
    "SELECT COUNT(*) FROM users WHERE role = 'admin' AND NOT disabled AND name <> $1";

pub const SET_USER_ROLE: &str = "UPDATE users SET role = $2 WHERE name = $1";

/// The history explorer: transitions and refused attempts across all orders, newest first,
/// keyset-paged by (at, kind, id). Filters: $1 actor, $2 role, $3 event, $4 state, $5
/// workflow, $6 since, $7 until; cursor $8 at, $9 kind, $10 id; $11 limit.
macro_rules! explorer_part {
    ($select:literal, $from:literal, $alias:literal, $kind:literal, $state:literal) => {
        concat!(
            $select,
            " FROM ",
            $from,
            " JOIN orders o ON o.id = ",
            $alias,
            ".order_id WHERE ($1 IS NULL OR ",
            $alias,
            ".actor = $1) AND ($2 IS NULL OR ",
            $alias,
            ".role = $2) AND ($3 IS NULL OR ",
            $alias,
            ".event = $3) AND ",
            $state,
            " AND ($5 IS NULL OR o.workflow = $5) AND ($6 IS NULL OR ",
            $alias,
            ".at >= $6) AND ($7 IS NULL OR ",
            $alias,
            ".at < $7) AND ",
            // The cursor as a plain range on the time index (a first page's cursor is the end
            // of time), so each page starts where the last ended instead of scanning to it.
            $alias,
            ".at <= $8 AND (",
            $alias,
            ".at < $8 OR ",
            $kind,
            " < $9 OR ($9 = ",
            $kind,
            " AND ",
            $alias,
            ".id < $10)) ORDER BY ",
            $alias,
            ".at DESC, ",
            $alias,
            ".id DESC LIMIT $11"
        )
    };
}
pub const EXPLORE_HISTORY: &str = concat!(
    "SELECT at, source, id, order_id, workflow, actor, role, event, from_state, to_state, note, refused FROM (",
    // Each side newest first and limited on its own (its time index stops the scan early),
    // then the two pages merged: never the whole tables sorted.
    "SELECT * FROM (",
    explorer_part!(
        "SELECT h.at AS at, CAST(0 AS BIGINT) AS source, h.id AS id, h.order_id AS order_id, o.workflow AS workflow, h.actor AS actor, h.role AS role, h.event AS event, h.from_state AS from_state, h.to_state AS to_state, h.note AS note, CAST(NULL AS TEXT) AS refused",
        "history h",
        "h",
        "0",
        "h.kind = 'transition' AND ($4 IS NULL OR h.from_state = $4 OR h.to_state = $4)"
    ),
    ") AS transitions UNION ALL SELECT * FROM (",
    explorer_part!(
        "SELECT a.at AS at, CAST(1 AS BIGINT) AS source, a.id AS id, a.order_id AS order_id, o.workflow AS workflow, a.actor AS actor, a.role AS role, a.event AS event, '' AS from_state, '' AS to_state, CAST(NULL AS TEXT) AS note, a.reason AS refused",
        "attempts a",
        "a",
        "1",
        "$4 IS NULL"
    ),
    ") AS refusals) AS merged ORDER BY at DESC, source DESC, id DESC LIMIT $11"
);

// API tokens and the idempotency keys of `POST /orders`.

pub const INSERT_TOKEN: &str =
    "INSERT INTO api_tokens (name, user_name, token_hash, created_at) VALUES ($1, $2, $3, $4)";
/// What `TokenRecord` reads: never the hash.
macro_rules! select_tokens {
    ($where:literal) => {
        concat!(
            "SELECT name, user_name, created_at, revoked_at, last_used_at FROM api_tokens ",
            $where
        )
    };
}
pub const SELECT_TOKENS: &str = select_tokens!("ORDER BY name");
/// Whether a token has the name, revoked or not.
pub const COUNT_TOKENS_NAMED: &str = "SELECT COUNT(*) FROM api_tokens WHERE name = $1";
pub const REVOKE_TOKEN: &str =
    "UPDATE api_tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL";
/// The live token with this hash and its user's standing: revoked tokens, and tokens of users
/// no longer there, are never returned.
pub const SELECT_LIVE_TOKEN_USE: &str = "SELECT t.name, t.user_name, t.created_at, t.revoked_at, t.last_used_at, u.role, u.disabled FROM api_tokens t JOIN users u ON u.name = t.user_name WHERE t.token_hash = $1 AND t.revoked_at IS NULL";
/// At most one write per token and minute ($3 is a minute ago): a busy client does not turn
/// every read into a write.
pub const TOUCH_TOKEN: &str = "UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1 AND (last_used_at IS NULL OR last_used_at < $3)";

// Sign-in sessions of the API.

pub const INSERT_SESSION: &str = "INSERT INTO sessions (user_name, token_hash, source, created_at, last_used_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5) RETURNING id";
/// The live (not ended) session with this hash and its user's standing now.
pub const SELECT_LIVE_SESSION_USE: &str = "SELECT s.id, s.user_name, s.source, s.created_at, s.last_used_at, s.expires_at, u.role, u.disabled FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.token_hash = $1 AND s.ended_at IS NULL";
/// As `TOUCH_TOKEN`: at most one write per session and minute ($3 is a minute ago).
pub const TOUCH_SESSION: &str =
    "UPDATE sessions SET last_used_at = $2 WHERE id = $1 AND last_used_at < $3";
/// Ends one live session; $3 is who ended it.
pub const END_SESSION: &str =
    "UPDATE sessions SET ended_at = $2, ended_by = $3 WHERE id = $1 AND ended_at IS NULL";
/// Ends every live session of a user.
pub const END_SESSIONS_OF: &str =
    "UPDATE sessions SET ended_at = $2, ended_by = $3 WHERE user_name = $1 AND ended_at IS NULL";
/// The live sessions, newest first: not ended, not past their end ($1 is now), used since
/// $2 (the idle cutoff), of enabled users.
pub const SELECT_LIVE_SESSIONS: &str = "SELECT s.id, s.user_name, s.source, s.created_at, s.last_used_at, s.expires_at, u.role, u.disabled FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.ended_at IS NULL AND s.expires_at > $1 AND s.last_used_at > $2 AND NOT u.disabled ORDER BY s.id DESC LIMIT $3";
/// Ends a user's open sessions beyond the newest $3.
pub const END_SESSIONS_BEYOND: &str = "UPDATE sessions SET ended_at = $2, ended_by = 'replaced' WHERE user_name = $1 AND ended_at IS NULL AND id NOT IN (SELECT id FROM sessions WHERE user_name = $1 AND ended_at IS NULL ORDER BY id DESC LIMIT $3)";

/// Claims a key; no row back when the user has used it before.
pub const CLAIM_IDEMPOTENCY_KEY: &str = "INSERT INTO api_idempotency (user_name, key, created_at) VALUES ($1, $2, $3) ON CONFLICT (user_name, key) DO NOTHING RETURNING user_name";
pub const SELECT_IDEMPOTENT_RESPONSE: &str =
    "SELECT status, body, location FROM api_idempotency WHERE user_name = $1 AND key = $2";
pub const COMPLETE_IDEMPOTENCY_KEY: &str = "UPDATE api_idempotency SET status = $3, body = $4, location = $5 WHERE user_name = $1 AND key = $2";
/// A request that failed gives its key back, so a retry is tried afresh.
pub const RELEASE_IDEMPOTENCY_KEY: &str =
    "DELETE FROM api_idempotency WHERE user_name = $1 AND key = $2 AND status IS NULL";
