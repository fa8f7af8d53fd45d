//! The race writer of the reliability tests: random transitions by random users on shared
//! orders, always with the version just read, so a lost race is a conflict.

use chrono::Utc;
use color_eyre::Result;
use orderboard::domain::{Actor, Order};
use orderboard::service::{Backoffice, ServiceError};
use orderboard::store::ApplyError;
use serde::Serialize;

/// What one race writer did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RaceOutcome {
    pub applied: usize,
    pub conflicts: usize,
    pub refused: usize,
    pub errors: Vec<String>,
}

/// Draws per transition to find an order that can still move.
const DRAWS: usize = 4;

/// `transitions` random transitions on orders `first .. first + count`: a random user (or the
/// system clock) takes, most of the time, one of the transitions legal for them, else any
/// event.
pub async fn race_writer(
    backoffice: &Backoffice,
    admin: &Actor,
    first: i64,
    count: i64,
    transitions: usize,
    seed: u64,
) -> Result<RaceOutcome> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut actors = backoffice.seed_actors(admin).await?;
    actors.push(Actor::system_clock());
    let mut outcome = RaceOutcome::default();
    for _ in 0..transitions {
        let Some(order) = pick_order(backoffice, admin, first, count, &mut rng).await? else {
            continue;
        };
        let Some(workflow) = backoffice.workflows().get(&order.workflow) else {
            continue;
        };
        let now = Utc::now();
        // Mostly someone who can move the order now; sometimes anyone, trying anything.
        let start = rng.usize(..actors.len());
        let purposeful = rng.u8(..10) < 8;
        let actor = (0..actors.len())
            .map(|offset| &actors[(start + offset) % actors.len()])
            .find(|a| {
                !purposeful
                    || !workflow
                        .available_transitions(&order, a, now)
                        .available
                        .is_empty()
            })
            .unwrap_or(&actors[start]);
        let menu = workflow.available_transitions(&order, actor, now);
        let event = if !menu.available.is_empty() && purposeful {
            menu.available[rng.usize(..menu.available.len())]
                .event
                .clone()
        } else {
            let events = workflow.events();
            events[rng.usize(..events.len())].to_string()
        };
        let note = rng.bool().then_some("race test");
        match backoffice
            .advance(actor, order.id, &event, note, Some(order.version), now)
            .await
        {
            Ok(_) => outcome.applied += 1,
            Err(ServiceError::Apply(ApplyError::Conflict { .. })) => outcome.conflicts += 1,
            Err(
                ServiceError::Apply(ApplyError::Refused(_))
                | ServiceError::NotPermitted(_)
                | ServiceError::Unseen { .. },
            ) => outcome.refused += 1,
            Err(other) => outcome.errors.push(other.to_string()),
        }
    }
    Ok(outcome)
}

/// Prefers an order that can still move: a few draws, then whatever came up.
async fn pick_order(
    backoffice: &Backoffice,
    admin: &Actor,
    first: i64,
    count: i64,
    rng: &mut fastrand::Rng,
) -> Result<Option<Order>> {
    let mut picked = None;
    for _ in 0..DRAWS {
        let id = first + rng.i64(0..count.max(1));
        if let Some(order) = backoffice.order_snapshot(admin, id).await? {
            let open = backoffice
                .workflows()
                .get(&order.workflow)
                .is_some_and(|w| !w.is_terminal(&order.state));
            picked = Some(order);
            if open {
                break;
            }
        }
    }
    Ok(picked)
}
