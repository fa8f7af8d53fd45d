//! The store's queries and the one apply path, written once and expanded for each backend.
//!
//! A macro rather than generics over `sqlx::Database`: the generic version needs a wall of
//! higher-ranked bounds on every method (Executor for `&mut Connection`, Encode/Decode for each
//! type), while the macro expands the same text against concrete types. The per-backend
//! differences are small hooks each backend defines: `begin_write`, `announce_committed`, and for
//! seeding `prepare_bulk` and `finish_bulk`; and a few statements as associated constants
//! (the feed's order, claiming effects).
//!
//! Each file here holds one concern's macro. Every macro wraps its `impl` block in
//! `const _: () = { ... };` so that its `use` lines reach only its own code, not the backend
//! module it expands in. Work that does not touch the database is ordinary functions beside
//! the macros.

pub(crate) mod apply;
pub(crate) mod audit;
pub(crate) mod history;
pub(crate) mod orders;
pub(crate) mod outbox;
pub(crate) mod seeding;
pub(crate) mod sessions;
pub(crate) mod tokens;
pub(crate) mod users;

use serde::Serialize;

use super::StoreError;

/// Every shared method for one backend: `$store` is its store type, `$db` its
/// `sqlx::Database`.
macro_rules! shared_store_impl {
    ($store:ty, $db:ty) => {
        $crate::store::shared::orders::order_queries!($store, $db);
        $crate::store::shared::history::history_queries!($store, $db);
        $crate::store::shared::users::user_queries!($store, $db);
        $crate::store::shared::apply::apply_path!($store, $db);
        $crate::store::shared::seeding::seeding!($store, $db);
        $crate::store::shared::audit::audit_queries!($store, $db);
        $crate::store::shared::outbox::outbox_queries!($store, $db);
        $crate::store::shared::tokens::token_queries!($store, $db);
        $crate::store::shared::sessions::session_queries!($store, $db);
    };
}

pub(crate) use shared_store_impl;

/// Attributes and counters are stored as JSON text.
pub(crate) fn json_text(value: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}
