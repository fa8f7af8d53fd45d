//! SQL text shared by both backends: SQLite accepts `$1` placeholders and RETURNING, so only
//! the migrations and a few statements (begin, advisory lock, notify) differ.

pub const SELECT_ORDER: &str = "SELECT id, workflow, state, version, customer, seller, title, amount_cents, currency, placed_at, due_at, state_entered_at, attrs, counters FROM orders WHERE id = $1";

/// Visibility ($1 customer, $2 seller: NULL for staff) and filters, keyset-paged by id.
pub const LIST_ORDERS: &str = "SELECT id, workflow, state, version, customer, seller, title, amount_cents, currency, placed_at, due_at, state_entered_at, attrs, counters FROM orders \
     WHERE ($1 IS NULL OR customer = $1) AND ($2 IS NULL OR seller = $2) \
       AND ($3 IS NULL OR workflow = $3) AND ($4 IS NULL OR state = $4) \
       AND ($5 IS NULL OR due_at < $5) \
       AND ($6 IS NULL OR LOWER(title) LIKE $6 ESCAPE '\\' OR LOWER(customer) LIKE $6 ESCAPE '\\' OR LOWER(seller) LIKE $6 ESCAPE '\\' OR CAST(id AS TEXT) = $7) \
       AND id > $8 \
       AND ($10 IS NULL OR id IN (SELECT order_id FROM history WHERE actor = $10)) \
     ORDER BY id LIMIT $9";

// The board's queries come in one variant per visibility, so that the seller's or the
// customer's index drives the scan (`seller = $x` is sargable; `$x IS NULL OR seller = $x` is
// not). Unused visibility parameters are still mentioned, so both backends type them.

/// One board column's page. Parameters as LIST_ORDERS; workflow ($3) and state ($4) given.
macro_rules! board_page {
    ($who:literal) => {
        concat!(
            "SELECT id, workflow, state, version, customer, seller, title, amount_cents, currency, placed_at, due_at, state_entered_at, attrs, counters FROM orders WHERE ",
            $who,
            " AND workflow = $3 AND state = $4 AND ($5 IS NULL OR due_at < $5) \
              AND ($6 IS NULL OR LOWER(title) LIKE $6 ESCAPE '\\' OR LOWER(customer) LIKE $6 ESCAPE '\\' OR LOWER(seller) LIKE $6 ESCAPE '\\' OR CAST(id AS TEXT) = $7) \
              AND id > $8 AND ($10 IS NULL OR id IN (SELECT order_id FROM history WHERE actor = $10)) \
              ORDER BY id LIMIT $9"
        )
    };
}
pub const BOARD_PAGE_ALL: &str = board_page!("$1 IS NULL AND $2 IS NULL");
pub const BOARD_PAGE_CUSTOMER: &str = board_page!("customer = $1 AND $2 IS NULL");
pub const BOARD_PAGE_SELLER: &str = board_page!("seller = $2 AND $1 IS NULL");

/// Per-column counts without filters: answered from the covering index alone.
/// $1 workflow, $2 customer, $3 seller.
pub const COUNT_ALL: &str = "SELECT state, COUNT(*) AS n FROM orders WHERE workflow = $1 AND $2 IS NULL AND $3 IS NULL GROUP BY state";
pub const COUNT_CUSTOMER: &str = "SELECT state, COUNT(*) AS n FROM orders WHERE customer = $2 AND workflow = $1 AND $3 IS NULL GROUP BY state";
pub const COUNT_SELLER: &str = "SELECT state, COUNT(*) AS n FROM orders WHERE seller = $3 AND workflow = $1 AND $2 IS NULL GROUP BY state";

/// Per-column counts under filters: $4 text pattern, $5 exact id, $6 due before, $7 acted by.
macro_rules! count_filtered {
    ($who:literal) => {
        concat!(
            "SELECT state, COUNT(*) AS n FROM orders WHERE ",
            $who,
            " AND workflow = $1 \
              AND ($4 IS NULL OR LOWER(title) LIKE $4 ESCAPE '\\' OR LOWER(customer) LIKE $4 ESCAPE '\\' OR LOWER(seller) LIKE $4 ESCAPE '\\' OR CAST(id AS TEXT) = $5) \
              AND ($6 IS NULL OR due_at < $6) \
              AND ($7 IS NULL OR id IN (SELECT order_id FROM history WHERE actor = $7)) \
              GROUP BY state"
        )
    };
}
pub const COUNT_FILTERED_ALL: &str = count_filtered!("$2 IS NULL AND $3 IS NULL");
pub const COUNT_FILTERED_CUSTOMER: &str = count_filtered!("customer = $2 AND $3 IS NULL");
pub const COUNT_FILTERED_SELLER: &str = count_filtered!("seller = $3 AND $2 IS NULL");

/// Whether a workflow holds any order the actor may see: one index probe.
/// $1 workflow, $2 customer, $3 seller.
pub const HAS_ORDERS_ALL: &str =
    "SELECT id FROM orders WHERE workflow = $1 AND $2 IS NULL AND $3 IS NULL LIMIT 1";
pub const HAS_ORDERS_CUSTOMER: &str =
    "SELECT id FROM orders WHERE customer = $2 AND workflow = $1 AND $3 IS NULL LIMIT 1";
pub const HAS_ORDERS_SELLER: &str =
    "SELECT id FROM orders WHERE seller = $3 AND workflow = $1 AND $2 IS NULL LIMIT 1";

pub const INSERT_ORDER: &str = "INSERT INTO orders (workflow, state, version, customer, seller, title, amount_cents, currency, placed_at, due_at, state_entered_at, timer_event, timer_due_at, attrs, counters, created_at, updated_at) \
     VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, '{}', $14, $14) RETURNING id";

/// The optimistic lock: no row back means someone else moved the order first.
pub const UPDATE_ORDER_STATE: &str = "UPDATE orders SET state = $1, version = version + 1, counters = $2, state_entered_at = $3, \
     timer_event = $4, timer_due_at = $5, updated_at = $3 WHERE id = $6 AND version = $7 RETURNING version";

pub const INSERT_EFFECT: &str = "INSERT INTO effects (order_id, version, kind, payload, idempotency_key, created_at) VALUES ($1, $2, $3, $4, $5, $6)";

pub const INSERT_LEDGER: &str = "INSERT INTO ledger (order_id, version, kind, amount_cents, share_percent, at) VALUES ($1, $2, $3, $4, $5, $6)";

pub const INSERT_HISTORY: &str = "INSERT INTO history (order_id, at, actor, role, on_behalf_of, event, from_state, to_state, note, version, effects) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";

pub const INSERT_ATTEMPT: &str = "INSERT INTO attempts (order_id, at, actor, role, event, kind, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)";

pub const SELECT_HISTORY: &str = "SELECT id, order_id, at, actor, role, on_behalf_of, event, from_state, to_state, note, version, effects FROM history WHERE order_id = $1 ORDER BY id";

pub const LAST_HISTORY: &str = "SELECT id, order_id, at, actor, role, on_behalf_of, event, from_state, to_state, note, version, effects FROM history WHERE order_id = $1 ORDER BY id DESC LIMIT 1";

pub const SELECT_ATTEMPTS: &str = "SELECT id, order_id, at, actor, role, event, kind, reason FROM attempts WHERE order_id = $1 ORDER BY id";

pub const SELECT_LEDGER: &str = "SELECT kind, amount_cents, CAST(share_percent AS BIGINT) AS share_percent, version, at FROM ledger WHERE order_id = $1 ORDER BY id";

pub const SELECT_EFFECTS: &str =
    "SELECT kind, payload, status, version FROM effects WHERE order_id = $1 ORDER BY id";

/// The feed: transitions after a cursor that the actor may see, oldest first.
pub const FEED_AFTER: &str = "SELECT h.id, h.order_id, h.at, h.actor, h.role, h.on_behalf_of, h.event, h.from_state, h.to_state, h.note, h.version, h.effects, o.workflow, o.title \
     FROM history h JOIN orders o ON o.id = h.order_id \
     WHERE h.id > $1 AND ($2 IS NULL OR o.customer = $2) AND ($3 IS NULL OR o.seller = $3) \
     ORDER BY h.id LIMIT $4";

/// The newest transitions the actor may see, newest first (the feed's opening lines).
pub const FEED_RECENT: &str = "SELECT h.id, h.order_id, h.at, h.actor, h.role, h.on_behalf_of, h.event, h.from_state, h.to_state, h.note, h.version, h.effects, o.workflow, o.title \
     FROM history h JOIN orders o ON o.id = h.order_id \
     WHERE ($1 IS NULL OR o.customer = $1) AND ($2 IS NULL OR o.seller = $2) \
     ORDER BY h.id DESC LIMIT $3";

pub const LATEST_HISTORY_ID: &str = "SELECT COALESCE(MAX(id), 0) FROM history";

pub const DUE_TIMERS: &str = "SELECT id, version, timer_event FROM orders WHERE timer_due_at IS NOT NULL AND timer_due_at <= $1 ORDER BY timer_due_at, id LIMIT $2";

/// Verify's batches: orders after an id, and the history and ledger of an id range.
pub const ORDERS_AFTER: &str = "SELECT id, workflow, state, version, customer, seller, title, amount_cents, currency, placed_at, due_at, state_entered_at, attrs, counters FROM orders WHERE id > $1 ORDER BY id LIMIT $2";
pub const HISTORY_BETWEEN: &str = "SELECT id, order_id, at, actor, role, on_behalf_of, event, from_state, to_state, note, version, effects FROM history WHERE order_id BETWEEN $1 AND $2 ORDER BY order_id, id";
pub const LEDGER_BETWEEN: &str = "SELECT order_id, kind, amount_cents, CAST(share_percent AS BIGINT) AS share_percent, version, at FROM ledger WHERE order_id BETWEEN $1 AND $2 ORDER BY order_id, id";

pub const COUNT_USERS: &str = "SELECT COUNT(*) FROM users";

pub const INSERT_USER: &str = "INSERT INTO users (name, role, password_hash, disabled, failed_sign_ins, created_at) VALUES ($1, $2, $3, FALSE, 0, $4)";

pub const SELECT_USER: &str = "SELECT name, role, password_hash, disabled, CAST(failed_sign_ins AS BIGINT) AS failed_sign_ins FROM users WHERE name = $1";

pub const SELECT_USERS: &str = "SELECT name, role, password_hash, disabled, CAST(failed_sign_ins AS BIGINT) AS failed_sign_ins FROM users ORDER BY name";

pub const COUNT_FAILED_SIGN_IN: &str =
    "UPDATE users SET failed_sign_ins = failed_sign_ins + 1 WHERE name = $1";

pub const RESET_FAILED_SIGN_INS: &str =
    "UPDATE users SET failed_sign_ins = 0 WHERE name = $1 AND failed_sign_ins <> 0";

pub const SET_USER_DISABLED: &str = "UPDATE users SET disabled = $2 WHERE name = $1";
