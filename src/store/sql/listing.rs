//! The statements that list orders and count them per column, in three families by how text
//! is matched: not at all, an order number (a primary-key probe), or the text anywhere in the
//! title, customer or seller (looked up in the backend's text index of migration 0012; the
//! board's keystroke reads its matches once instead, with the match-set statements at the
//! end). A family's text condition may differ by visibility.
//!
//! Parameters of pages and lists: $1 customer and $2 seller (NULL for staff), $3 workflow,
//! $4 state, $5 due before, $6 search text, $7 order number, $8 the id cursor, $9 limit,
//! $10 acted by, $11 only orders with an effect needing a person (1) or any (0); sorted pages
//! add the cursor's key ($12) and for the due date which part of the column the cursor is in
//! ($13: 0 first page, 1 dated orders, 2 undated ones, which come last).
//!
//! Parameters of counts: $1 workflow, $2 customer, $3 seller, $4 search text, $5 order
//! number, $6 due before, $7 acted by, $8 needing a person.
//!
//! Every family mentions every parameter, so both backends type them all.

/// The statements of one family.
pub struct ListingSql {
    /// By visibility [everything, a customer's, a seller's], then by sort [id, due date,
    /// age, amount]: one board column's page, each driven by its visibility's index.
    pub pages: [[&'static str; 4]; 3],
    /// By visibility: per-state counts of a workflow under the filters.
    pub counts: [&'static str; 3],
    /// By visibility: matches per workflow (text only; $1 unused, $6 to $8 not bound).
    pub per_workflow: [&'static str; 3],
    /// Every matching order, keyset-paged by id (visibility by parameter; the text
    /// condition of staff, with the customer's and seller's conditions beside it).
    pub list: &'static str,
}

/// The filters that read other tables, the same in every listing: orders the named user
/// acted on (`$actor` NULL: any), and orders with an effect that needs a person (`$attention`
/// 0: any). Spaces around, so it joins the clauses before and after it.
macro_rules! other_tables_filters {
    ($actor:literal, $attention:literal) => {
        concat!(
            " AND (",
            $actor,
            " IS NULL OR orders.id IN (SELECT order_id FROM history WHERE actor = ",
            $actor,
            ")) AND (",
            $attention,
            " = 0 OR orders.id IN (SELECT order_id FROM effects WHERE status IN ('failed', 'unrouted'))) "
        )
    };
}
pub(crate) use other_tables_filters;

/// A family whose text condition is the same for every visibility: `$pages` over $6 and
/// $7, `$counts` over $4 and $5.
macro_rules! listing_sql {
    ($pages:literal, $counts:literal) => {
        $crate::store::sql::listing_sql!([$pages, $pages, $pages], [$counts, $counts, $counts])
    };
    ([$all:literal, $customer:literal, $seller:literal], [$c_all:literal, $c_customer:literal, $c_seller:literal]) => {
        $crate::store::sql::ListingSql {
            pages: [
                $crate::store::sql::board_pages!("$1 IS NULL AND $2 IS NULL", $all),
                $crate::store::sql::board_pages!("orders.customer = $1 AND $2 IS NULL", $customer),
                $crate::store::sql::board_pages!("orders.seller = $2 AND $1 IS NULL", $seller),
            ],
            counts: [
                $crate::store::sql::count_filtered!("$2 IS NULL AND $3 IS NULL", $c_all),
                $crate::store::sql::count_filtered!("orders.customer = $2 AND $3 IS NULL", $c_customer),
                $crate::store::sql::count_filtered!("orders.seller = $3 AND $2 IS NULL", $c_seller),
            ],
            per_workflow: [
                $crate::store::sql::per_workflow!("$2 IS NULL AND $3 IS NULL", $c_all),
                $crate::store::sql::per_workflow!("orders.customer = $2 AND $3 IS NULL", $c_customer),
                $crate::store::sql::per_workflow!("orders.seller = $3 AND $2 IS NULL", $c_seller),
            ],
            list: concat!(
                "SELECT ",
                $crate::store::sql::order_columns!(),
                " FROM orders \
                 WHERE ($1 IS NULL OR orders.customer = $1) AND ($2 IS NULL OR orders.seller = $2) \
                   AND ($3 IS NULL OR orders.workflow = $3) AND ($4 IS NULL OR orders.state = $4) \
                   AND ($5 IS NULL OR orders.due_at < $5) \
                   AND (($1 IS NULL AND $2 IS NULL AND ",
                $all,
                ") OR ($1 IS NOT NULL AND ",
                $customer,
                ") OR ($2 IS NOT NULL AND ",
                $seller,
                ")) AND orders.id > $8",
                $crate::store::sql::other_tables_filters!("$10", "$11"),
                "ORDER BY orders.id LIMIT $9"
            ),
        }
    };
}
pub(crate) use listing_sql;

/// Matches per workflow, for one visibility.
macro_rules! per_workflow {
    ($who:literal, $text:literal) => {
        concat!(
            "SELECT orders.workflow, COUNT(*) AS n FROM orders WHERE ",
            $who,
            " AND $1 IS NULL AND ",
            $text,
            " GROUP BY orders.workflow"
        )
    };
}
pub(crate) use per_workflow;

// The board's queries come in one variant per visibility, so that the seller's or the
// customer's index drives the scan (`seller = $x` is sargable; `$x IS NULL OR seller = $x` is
// not). Unused visibility parameters are still mentioned, so both backends type them.

/// One board column's page: workflow ($3) and state ($4) given.
macro_rules! board_page {
    ($who:literal, $text:literal, $after:literal, $order:literal) => {
        concat!(
            "SELECT ",
            $crate::store::sql::order_columns!(),
            " FROM orders WHERE ",
            $who,
            " AND orders.workflow = $3 AND orders.state = $4 AND ($5 IS NULL OR orders.due_at < $5) AND ",
            $text,
            " AND ",
            $after,
            $crate::store::sql::other_tables_filters!("$10", "$11"),
            "ORDER BY ",
            $order,
            " LIMIT $9"
        )
    };
}
pub(crate) use board_page;

/// A column's pages in each sort, for one visibility.
macro_rules! board_pages {
    ($who:literal, $text:literal) => {
        [
            $crate::store::sql::board_page!($who, $text, "orders.id > $8", "orders.id"),
            $crate::store::sql::board_page!(
                $who,
                $text,
                "($13 = 0 OR ($13 = 1 AND (orders.due_at IS NULL OR orders.due_at > $12 OR (orders.due_at = $12 AND orders.id > $8))) OR ($13 = 2 AND orders.due_at IS NULL AND orders.id > $8))",
                "(orders.due_at IS NULL), orders.due_at, orders.id"
            ),
            $crate::store::sql::board_page!(
                $who,
                $text,
                "($12 IS NULL OR orders.state_entered_at > $12 OR (orders.state_entered_at = $12 AND orders.id > $8))",
                "orders.state_entered_at, orders.id"
            ),
            $crate::store::sql::board_page!(
                $who,
                $text,
                "($12 IS NULL OR orders.amount_cents < $12 OR (orders.amount_cents = $12 AND orders.id > $8))",
                "orders.amount_cents DESC, orders.id"
            ),
        ]
    };
}
pub(crate) use board_pages;

/// Per-column counts under filters, for one visibility.
macro_rules! count_filtered {
    ($who:literal, $text:literal) => {
        concat!(
            "SELECT orders.state, COUNT(*) AS n FROM orders WHERE ",
            $who,
            " AND orders.workflow = $1 AND ",
            $text,
            " AND ($6 IS NULL OR orders.due_at < $6)",
            $crate::store::sql::other_tables_filters!("$7", "$8"),
            "GROUP BY orders.state"
        )
    };
}
pub(crate) use count_filtered;

/// No text to match.
pub const UNMATCHED: ListingSql =
    listing_sql!("($6 IS NULL AND $7 IS NULL)", "($4 IS NULL AND $5 IS NULL)");

/// An order number: one primary-key probe.
pub const BY_NUMBER: ListingSql = listing_sql!(
    "(orders.id = $7 AND $6 IS NULL)",
    "(orders.id = $5 AND $4 IS NULL)"
);

/// The text anywhere in the title, customer or seller, ignoring case, looked up in SQLite's
/// trigram index (migration 0012; $6 and $4: the text as a quoted FTS5 phrase).
pub const SQLITE_CONTAINS: ListingSql = listing_sql!(
    "(orders.id IN (SELECT rowid FROM orders_search WHERE orders_search MATCH $6) AND $7 IS NULL)",
    "(orders.id IN (SELECT rowid FROM orders_search WHERE orders_search MATCH $4) AND $5 IS NULL)"
);

/// The text anywhere in the title, customer or seller, ignoring case, looked up in
/// PostgreSQL's trigram index ($6 and $4: a LIKE pattern with its wildcards escaped). The
/// indexed expression is spelled exactly as migration 0012 does, or the planner cannot use
/// the index.
pub const PG_CONTAINS: ListingSql = listing_sql!(
    "((lower(orders.title) || E'\\u0001' || lower(orders.customer) || E'\\u0001' || lower(orders.seller)) LIKE $6 AND $7 IS NULL)",
    "((lower(orders.title) || E'\\u0001' || lower(orders.customer) || E'\\u0001' || lower(orders.seller)) LIKE $4 AND $5 IS NULL)"
);

/// A search's match set (`domain::search::MatchSet`), newest first, by visibility. Parameters:
/// $1 customer, $2 seller, $3 the text as the backend's index takes it, $4 due before, $5
/// acted by, $6 needing a person, $7 limit, and the ids read: from $8 and below $9 (NULL:
/// no bound).
macro_rules! match_set {
    ($from:literal, $who:literal, $text:literal, $newest:literal) => {
        concat!(
            "SELECT orders.id, orders.workflow, orders.state, orders.due_at, \
                    orders.state_entered_at, orders.amount_cents FROM ",
            $from,
            " WHERE ",
            $text,
            " AND ",
            $who,
            " AND ($4 IS NULL OR orders.due_at < $4) \
             AND ($8 IS NULL OR orders.id >= $8) AND ($9 IS NULL OR orders.id < $9)",
            $crate::store::sql::other_tables_filters!("$5", "$6"),
            "ORDER BY ",
            $newest,
            " DESC LIMIT $7"
        )
    };
}

macro_rules! match_sets {
    ($from:literal, $text:literal, $newest:literal) => {
        [
            match_set!($from, "$1 IS NULL AND $2 IS NULL", $text, $newest),
            match_set!($from, "orders.customer = $1 AND $2 IS NULL", $text, $newest),
            match_set!($from, "orders.seller = $2 AND $1 IS NULL", $text, $newest),
        ]
    };
}

/// SQLite: the index's matches newest first (FTS5 reads its rowids backwards), each joined
/// to its order (CROSS JOIN keeps the index the outer loop), until the limit is reached.
pub const SQLITE_MATCH_SETS: [&str; 3] = match_sets!(
    "orders_search CROSS JOIN orders ON orders.id = orders_search.rowid",
    "orders_search MATCH $3",
    "orders_search.rowid"
);

/// PostgreSQL, the matches newest first: the planner chooses between the trigram index (a
/// rare text) and reading the primary key backwards until the limit is reached (a common
/// one). It takes the text's share of the orders as the same everywhere, so among orders
/// that rarely hold the text it would read them all: the store asks this of bounded ranges
/// of ids (`PgStore::match_set_reading_first`).
pub const PG_MATCH_SETS: [&str; 3] = match_sets!(
    "orders",
    "(lower(orders.title) || E'\\u0001' || lower(orders.customer) || E'\\u0001' || lower(orders.seller)) LIKE $3",
    "orders.id"
);

/// PostgreSQL, the matches found through the trigram index (with the party's index, for a
/// customer or seller, intersected as bitmaps), then sorted: sorting by an expression leaves
/// the planner no index to read in order. Its cost follows the text's matches, not the
/// orders: what suits a text the newest orders rarely hold.
pub const PG_MATCH_SETS_BY_INDEX: [&str; 3] = match_sets!(
    "orders",
    "(lower(orders.title) || E'\\u0001' || lower(orders.customer) || E'\\u0001' || lower(orders.seller)) LIKE $3",
    "(orders.id + 0)"
);

/// SQLite: index new orders' text for search (migration 0012), in the transaction that
/// inserts them; values (rowid, title, customer, seller) follow.
pub const SQLITE_INDEX_ORDER_TEXT: &str =
    "INSERT INTO orders_search (rowid, title, customer, seller) ";

/// The first page of a staff and of a seller's column with no text, for `explain`.
pub const BOARD_PAGE_ALL: &str = UNMATCHED.pages[0][0];
pub const BOARD_PAGE_SELLER: &str = UNMATCHED.pages[2][0];
