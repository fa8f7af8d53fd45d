//! What the test modules share: builders of orders and actors, the people and drafts of the
//! service-level tests, the real binaries (`process`) and a real terminal (`tmux`).

mod process;
mod tmux;

pub use process::*;
pub use tmux::Tmux;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use orderboard::auth::Secret;
use orderboard::domain::{Actor, Order, Role};
use orderboard::service::{Backoffice, OrderDraft};

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
        timer: None,
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

/// The bootstrap admin and the users of the service-level tests; returns (admin, sam the
/// seller, carol the customer, sue from support). zoe is a second seller.
pub async fn people(backoffice: &Backoffice) -> (Actor, Actor, Actor, Actor) {
    let now = test_now();
    let password = Secret::new("correct horse");
    backoffice
        .add_user(None, "ada", Role::Admin, &password, now)
        .await
        .unwrap();
    let admin = backoffice.sign_in("ada", &password).await.unwrap();
    for (name, role) in [
        ("sam", Role::Seller),
        ("carol", Role::Customer),
        ("sue", Role::Support),
        ("zoe", Role::Seller),
    ] {
        backoffice
            .add_user(Some(&admin), name, role, &password, now)
            .await
            .unwrap();
    }
    (
        admin,
        Actor::new("sam", Role::Seller),
        Actor::new("carol", Role::Customer),
        Actor::new("sue", Role::Support),
    )
}

pub fn draft(workflow: &str) -> OrderDraft {
    OrderDraft {
        workflow: workflow.into(),
        customer: "carol".into(),
        seller: "sam".into(),
        title: "Logo design".into(),
        amount_cents: 12_500,
        currency: "EUR".into(),
        placed_at: None,
        due_at: Some(test_now() + Duration::days(3)),
        attrs: Default::default(),
    }
}
