//! Builders shared by the test modules.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use orderboard::domain::{Actor, Order, Role};

pub fn at(year: i32, month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, hour, 0, 0).unwrap()
}

/// A fixed "now" for tests that need one.
pub fn test_now() -> DateTime<Utc> {
    at(2026, 3, 1, 12)
}

pub const CUSTOMER: &str = "carol";
pub const SELLER: &str = "sam";

pub fn order(workflow: &str, state: &str) -> Order {
    let now = test_now();
    Order {
        id: 1,
        workflow: workflow.into(),
        state: state.into(),
        version: 1,
        customer: CUSTOMER.into(),
        seller: SELLER.into(),
        title: "Logo design".into(),
        amount_cents: 12_500,
        currency: "EUR".into(),
        placed_at: now,
        due_at: None,
        state_entered_at: now,
        attrs: BTreeMap::new(),
        counters: BTreeMap::new(),
    }
}

/// The actor for `role`, owning the order (the order's customer or seller) or not.
pub fn actor(role: Role, owner: bool) -> Actor {
    let name = match (role, owner) {
        (Role::Customer, true) => CUSTOMER,
        (Role::Seller, true) => SELLER,
        (Role::Customer, false) => "other-customer",
        (Role::Seller, false) => "other-seller",
        (Role::Support, _) => "sue",
        (Role::Admin, _) => "ada",
        (Role::System, _) => "system",
    };
    Actor::new(name, role)
}
