//! The domain: orders, roles and the rules about who may see what. No SQL, no terminal.

pub mod access;
pub mod ledger;
pub mod note;
pub mod order;
pub mod role;
pub mod search;
pub mod text;

pub use order::{Money, Order, OrderId, OrderSort, PendingTimer, SortFields, SortKey, Visibility};
pub use role::{Actor, Party, Role};
