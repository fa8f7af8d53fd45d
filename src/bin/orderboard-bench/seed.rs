//! The demo users every bench acts as, paid orders to move, and `seed` timed.

use std::time::Instant;

use chrono::Utc;
use color_eyre::Result;
use orderboard::auth::Secret;
use orderboard::demo::{DEMO_USERS, Population, demo_password, seed_bulk};
use orderboard::domain::Actor;
use orderboard::service::{Backoffice, OrderDraft};

use crate::report::{Figure, Report};

/// The seed bench's target for a million orders.
const SEED_TARGET_SECONDS: f64 = 60.0;

/// The demo users, so benches can run on an empty database. Returns the admin.
pub async fn ensure_users(backoffice: &Backoffice) -> Result<Actor> {
    let admin = Actor::new(DEMO_USERS[0].0, DEMO_USERS[0].1);
    if backoffice.is_fresh().await? {
        for (name, role) in DEMO_USERS {
            let password = Secret::new(demo_password(name));
            backoffice
                .add_user(Some(&admin), name, *role, &password, Utc::now())
                .await?;
        }
    }
    Ok(admin)
}

/// `seed --orders N` timed on this database.
pub async fn seed(backoffice: &Backoffice, orders: usize, accounts_only: bool) -> Result<Report> {
    let admin = ensure_users(backoffice).await?;
    let actors: Vec<Actor> = DEMO_USERS.iter().map(|(n, r)| Actor::new(*n, *r)).collect();
    let names: Vec<String> = backoffice.workflows().names_owned();
    let started = Instant::now();
    let mut rng = fastrand::Rng::with_seed(7);
    let population = if accounts_only {
        Population::accounts(&actors)
    } else {
        Population::realistic(&actors)
    };
    let (made, transitions) = seed_bulk(
        backoffice,
        &admin,
        &actors,
        population,
        &names,
        orders,
        Utc::now(),
        &mut rng,
    )
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(Report {
        bench: format!(
            "seed --orders {orders}{}",
            if accounts_only {
                " --accounts-only"
            } else {
                ""
            }
        ),
        backend: backoffice.backend_name().into(),
        figures: vec![
            Figure::new("seed time", seconds, "s").below(SEED_TARGET_SECONDS),
            Figure::new("orders written", made as f64, "orders"),
            Figure::new("transitions written", transitions as f64, "transitions"),
            Figure::new("orders per second", made as f64 / seconds, "orders/s"),
        ],
    })
}

/// Marketplace orders in `paid`, for transition benches.
pub async fn paid_orders(backoffice: &Backoffice, admin: &Actor, count: usize) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(count);
    for index in 0..count {
        let draft = OrderDraft {
            workflow: "marketplace".into(),
            customer: "carol".into(),
            seller: "sam".into(),
            title: format!("Bench order {index}"),
            amount_cents: 1000,
            currency: "EUR".into(),
            placed_at: None,
            due_at: None,
            attrs: Default::default(),
        };
        ids.push(backoffice.create_order(admin, draft, Utc::now()).await?);
    }
    Ok(ids)
}
