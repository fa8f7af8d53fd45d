//! Demo and synthetic data, made through the real apply path: every order's history is a
//! sequence of transitions the engine allowed, committed like any user's.

pub mod live;
pub mod population;

use chrono::{DateTime, Duration, Utc};

use crate::auth::Secret;
use crate::domain::{Actor, Role};
use crate::service::{Backoffice, OrderDraft, ServiceError};
pub use population::Population;

/// The demo's users: one or two per role. Passwords are `NAME-demo`.
pub const DEMO_USERS: &[(&str, Role)] = &[
    ("ada", Role::Admin),
    ("sue", Role::Support),
    ("sam", Role::Seller),
    ("sofia", Role::Seller),
    ("carol", Role::Customer),
    ("dave", Role::Customer),
    ("payments", Role::System),
];

/// The demo's random seed: the same demo data on every fresh database.
pub const DEMO_SEED: u64 = 2026;

/// Orders simulated per batch while bulk seeding: large enough to amortise a transaction,
/// small enough to keep memory flat at a million orders.
const SEED_CHUNK: usize = 20_000;

pub fn demo_password(name: &str) -> String {
    format!("{name}-demo")
}

const TITLES: &[&str] = &[
    "Logo design",
    "Wedding invitation set",
    "Pin badge: fox",
    "Sticker pack (12)",
    "Portrait commission",
    "Business cards",
    "Poster A2",
    "Enamel pin: moon",
    "Tote bag print",
    "Website banner",
    "Album cover",
    "Mug, hand-painted",
    "Zine, 24 pages",
    "Pet portrait",
    "Birthday card",
    "Letterpress notebook",
];

const NOTES: &[&str] = &[
    "Customer called, confirmed by phone.",
    "Out of stock until next month.",
    "Colours do not match the brief.",
    "Agreed with both parties.",
    "Delivered late, refund agreed.",
    "Work resumes after clarification.",
    "Duplicate order.",
];

#[derive(Debug, Default)]
pub struct DemoSummary {
    pub users: Vec<(String, Role, String)>,
    pub orders: usize,
    pub transitions: usize,
}

/// Fills an empty database with the demo users and `orders` orders over every workflow,
/// walked to every state. `now` is the end of the demo's clock.
pub async fn create_demo(
    backoffice: &Backoffice,
    orders: usize,
    now: DateTime<Utc>,
    seed: u64,
) -> Result<DemoSummary, ServiceError> {
    if !backoffice.is_fresh().await? {
        return Err(ServiceError::BadInput(
            "this database already has users; demo data goes into a fresh database (--database sqlite://NEW.db)".into(),
        ));
    }
    let mut summary = DemoSummary::default();
    let admin = Actor::new(DEMO_USERS[0].0, DEMO_USERS[0].1);
    for (name, role) in DEMO_USERS {
        let password = demo_password(name);
        backoffice
            .add_user(
                Some(&admin),
                name,
                *role,
                &Secret::new(password.clone()),
                now,
            )
            .await?;
        summary.users.push((name.to_string(), *role, password));
    }
    let actors: Vec<Actor> = DEMO_USERS.iter().map(|(n, r)| Actor::new(*n, *r)).collect();
    let mut rng = fastrand::Rng::with_seed(seed);
    let workflows: Vec<String> = backoffice.workflows().names_owned();
    let (orders_made, transitions) = generate_orders(
        backoffice, &admin, &actors, &workflows, orders, now, &mut rng,
    )
    .await?;
    let (extra_orders, extra_transitions) =
        cover_every_state(backoffice, &admin, &actors, now, &mut rng).await?;
    summary.orders = orders_made + extra_orders;
    summary.transitions = transitions + extra_transitions;
    Ok(summary)
}

/// Random walks leave some states empty; for each empty state, walk new orders along the
/// shortest path to it, each step taken by whoever may take it. Returns (orders, transitions).
async fn cover_every_state(
    backoffice: &Backoffice,
    admin: &Actor,
    actors: &[Actor],
    now: DateTime<Utc>,
    rng: &mut fastrand::Rng,
) -> Result<(usize, usize), ServiceError> {
    let mut made = (0, 0);
    let everyone: Vec<Actor> = actors
        .iter()
        .cloned()
        .chain(std::iter::once(Actor::system_clock()))
        .collect();
    for workflow in backoffice.workflows().iter() {
        let counts = backoffice
            .counts(admin, &workflow.name, &Default::default())
            .await?;
        for state in &workflow.states {
            if counts.iter().any(|(s, n)| *s == state.id && *n > 0) {
                continue;
            }
            let Some(path) = path_to(workflow, &state.id) else {
                continue;
            };
            // Guards may refuse a path for one order (amounts, ages); a few tries cover it.
            for _attempt in 0..12 {
                let reached = walk_path(
                    backoffice, admin, &everyone, workflow, &path, now, rng, &mut made,
                )
                .await?;
                if reached {
                    break;
                }
            }
        }
    }
    Ok(made)
}

/// Events along the shortest path from the initial state to `target`.
fn path_to(workflow: &crate::workflow::Workflow, target: &str) -> Option<Vec<(String, String)>> {
    let start = workflow.initial_state().id.clone();
    let mut previous: std::collections::HashMap<String, (String, String)> =
        std::collections::HashMap::new();
    let mut queue = std::collections::VecDeque::from([start.clone()]);
    while let Some(state) = queue.pop_front() {
        if state == target {
            let mut path = Vec::new();
            let mut at = state;
            while let Some((from, event)) = previous.get(&at) {
                path.push((event.clone(), at.clone()));
                at = from.clone();
            }
            path.reverse();
            return Some(path);
        }
        for transition in workflow.transitions.iter().filter(|t| t.leaves(&state)) {
            if let Some(next) = transition.target()
                && next != start
                && !previous.contains_key(next)
            {
                previous.insert(next.to_string(), (state.clone(), transition.event.clone()));
                queue.push_back(next.to_string());
            }
        }
    }
    None
}

#[allow(clippy::too_many_arguments)]
async fn walk_path(
    backoffice: &Backoffice,
    admin: &Actor,
    everyone: &[Actor],
    workflow: &crate::workflow::Workflow,
    path: &[(String, String)],
    now: DateTime<Utc>,
    rng: &mut fastrand::Rng,
    made: &mut (usize, usize),
) -> Result<bool, ServiceError> {
    // Ages spread over the refund policy's windows (7, 30 and 90 days).
    let placed_at = now - Duration::hours(rng.i64(2..24 * 80));
    let customer = everyone
        .iter()
        .find(|a| a.role == Role::Customer)
        .map(|a| a.name.clone())
        .unwrap_or_default();
    let seller = everyone
        .iter()
        .find(|a| a.role == Role::Seller)
        .map(|a| a.name.clone())
        .unwrap_or_default();
    let draft = OrderDraft {
        workflow: workflow.name.clone(),
        customer,
        seller,
        title: TITLES[rng.usize(..TITLES.len())].to_string(),
        amount_cents: rng.i64(500..25_000),
        currency: "EUR".into(),
        placed_at: Some(placed_at),
        due_at: Some(placed_at + Duration::days(rng.i64(1..14))),
        attrs: std::collections::BTreeMap::new(),
    };
    let id = backoffice.create_order(admin, draft, placed_at).await?;
    made.0 += 1;
    let mut clock = placed_at;
    for (step, (event, to)) in path.iter().enumerate() {
        clock += Duration::minutes(rng.i64(5..90));
        if step + 1 == path.len() {
            // The last step happens recently, so the order's age counts for its guards.
            clock = clock.max(now - Duration::minutes(rng.i64(5..600)));
        }
        let order = backoffice.visible_order(admin, id).await?;
        let taker = everyone.iter().find(|actor| {
            workflow
                .available_transitions(&order, actor, clock)
                .available
                .iter()
                .any(|a| a.event == *event && a.to == *to)
        });
        let Some(actor) = taker else { return Ok(false) };
        let note = Some(NOTES[rng.usize(..NOTES.len())]);
        backoffice
            .advance(actor, id, event, note, Some(order.version), clock)
            .await?;
        made.1 += 1;
    }
    Ok(true)
}

/// Creates `count` orders spread over `workflow_names` and walks each a random number of
/// steps by random eligible actors. Returns (orders, transitions).
pub async fn generate_orders(
    backoffice: &Backoffice,
    admin: &Actor,
    actors: &[Actor],
    workflow_names: &[String],
    count: usize,
    now: DateTime<Utc>,
    rng: &mut fastrand::Rng,
) -> Result<(usize, usize), ServiceError> {
    let customers: Vec<&Actor> = actors.iter().filter(|a| a.role == Role::Customer).collect();
    let sellers: Vec<&Actor> = actors.iter().filter(|a| a.role == Role::Seller).collect();
    if customers.is_empty() || sellers.is_empty() {
        return Err(ServiceError::BadInput(
            "synthetic orders need at least one customer and one seller".into(),
        ));
    }
    let mut transitions = 0;
    for index in 0..count {
        let workflow = workflow_names[index % workflow_names.len()].clone();
        let placed_at = now - Duration::minutes(rng.i64(60..60 * 24 * 45));
        let customer = customers[rng.usize(..customers.len())];
        let seller = sellers[rng.usize(..sellers.len())];
        let mut attrs = std::collections::BTreeMap::new();
        if workflow == "checkout" {
            attrs.insert(
                "premium".to_string(),
                serde_json::Value::Bool(rng.u8(..4) == 0),
            );
        }
        if workflow == "artist-shop" {
            attrs.insert(
                "digital_only".to_string(),
                serde_json::Value::Bool(rng.bool()),
            );
        }
        let draft = OrderDraft {
            workflow: workflow.clone(),
            customer: customer.name.clone(),
            seller: seller.name.clone(),
            title: TITLES[rng.usize(..TITLES.len())].to_string(),
            amount_cents: rng.i64(500..25_000),
            currency: "EUR".into(),
            placed_at: Some(placed_at),
            due_at: Some(placed_at + Duration::days(rng.i64(3..21))),
            attrs,
        };
        let id = backoffice.create_order(admin, draft, placed_at).await?;
        let steps = rng.usize(0..9);
        let mut clock = placed_at;
        for _ in 0..steps {
            clock += Duration::minutes(rng.i64(30..60 * 40));
            if clock > now {
                break;
            }
            let order = backoffice.visible_order(admin, id).await?;
            let workflow = backoffice.workflow(&order.workflow)?;
            let Some((actor, option)) = pick_step(workflow, &order, actors, clock, rng) else {
                break;
            };
            let note = option
                .note_required
                .then(|| NOTES[rng.usize(..NOTES.len())]);
            backoffice
                .advance(&actor, id, &option.event, note, Some(order.version), clock)
                .await?;
            transitions += 1;
        }
    }
    Ok((count, transitions))
}

/// One legal step for the order at `clock`, by whoever may take it, chosen at random with
/// weights: admin overrides are rare in real life, and endings less likely than progress, so
/// every column fills.
fn pick_step(
    workflow: &crate::workflow::Workflow,
    order: &crate::domain::Order,
    actors: &[Actor],
    clock: DateTime<Utc>,
    rng: &mut fastrand::Rng,
) -> Option<(Actor, crate::workflow::AvailableTransition)> {
    let mut choices = Vec::new();
    for actor in actors.iter().chain(std::iter::once(&Actor::system_clock())) {
        for option in workflow
            .available_transitions(order, actor, clock)
            .available
        {
            let weight = if actor.role == Role::Admin {
                1
            } else if workflow.is_terminal(&option.to) {
                4
            } else {
                10
            };
            choices.push((actor.clone(), option, weight));
        }
    }
    let total: u32 = choices.iter().map(|c| c.2).sum();
    if total == 0 {
        return None;
    }
    let mut pick = rng.u32(..total);
    choices.into_iter().find_map(|(actor, option, weight)| {
        if pick < weight {
            Some((actor, option))
        } else {
            pick -= weight;
            None
        }
    })
}

/// Bulk synthetic orders for benchmarks: each order's life is decided by the engine in
/// memory (so `verify` replays it cleanly), then written in large batches. The orders
/// belong to `population`; staff steps are taken by the staff among `actors`. Returns
/// (orders, transitions).
#[allow(clippy::too_many_arguments)]
pub async fn seed_bulk(
    backoffice: &Backoffice,
    admin: &Actor,
    actors: &[Actor],
    population: Population,
    workflow_names: &[String],
    count: usize,
    now: DateTime<Utc>,
    rng: &mut fastrand::Rng,
) -> Result<(usize, usize), ServiceError> {
    if population.is_empty() {
        return Err(ServiceError::BadInput(
            "seeding needs at least one customer and one seller".into(),
        ));
    }
    let workflows: Vec<std::sync::Arc<crate::workflow::Workflow>> = workflow_names
        .iter()
        .map(|name| {
            backoffice
                .workflow(name)
                .map(|_| backoffice.workflows().get(name).cloned())
        })
        .collect::<Result<Option<Vec<_>>, _>>()?
        .unwrap_or_default();
    backoffice
        .seed_parties(admin, &population.parties(), now)
        .await?;
    let first_id = backoffice.next_seed_id(admin).await?;
    let plan = SeedPlan {
        workflows,
        population,
        actors: actors.to_vec(),
        now,
    };
    let plan = std::sync::Arc::new(plan);
    // Two cores: the next chunk is simulated on a blocking thread while this one is written.
    let simulate = |plan: std::sync::Arc<SeedPlan>, start: usize, size: usize, seed: u64| {
        tokio::task::spawn_blocking(move || plan.simulate(first_id, start, size, seed))
    };
    let (mut made, mut transitions) = (0, 0);
    let mut next =
        (count > 0).then(|| simulate(plan.clone(), 0, SEED_CHUNK.min(count), rng.u64(..)));
    while let Some(pending) = next.take() {
        let batch = pending
            .await
            .map_err(|e| ServiceError::Internal(format!("seeding failed: {e}")))?;
        let size = batch.len();
        if made + size < count {
            next = Some(simulate(
                plan.clone(),
                made + size,
                SEED_CHUNK.min(count - made - size),
                rng.u64(..),
            ));
        }
        transitions += batch.iter().map(|o| o.history.len()).sum::<usize>();
        backoffice.seed_batch(admin, &batch).await?;
        made += size;
    }
    Ok((made, transitions))
}

struct SeedPlan {
    workflows: Vec<std::sync::Arc<crate::workflow::Workflow>>,
    population: Population,
    actors: Vec<Actor>,
    now: DateTime<Utc>,
}

impl SeedPlan {
    /// Orders `start .. start + size` of the seed, numbered from `first_id`.
    fn simulate(
        &self,
        first_id: i64,
        start: usize,
        size: usize,
        seed: u64,
    ) -> Vec<crate::store::SeededOrder> {
        let mut rng = fastrand::Rng::with_seed(seed);
        (start..start + size)
            .map(|index| {
                let workflow = &self.workflows[index % self.workflows.len()];
                let customer = self.population.customer(&mut rng);
                let seller = self.population.seller(&mut rng);
                simulate_order(
                    workflow,
                    first_id + index as i64,
                    &customer,
                    &seller,
                    &self.actors,
                    self.now,
                    &mut rng,
                )
            })
            .collect()
    }
}

fn simulate_order(
    workflow: &crate::workflow::Workflow,
    id: i64,
    customer: &Actor,
    seller: &Actor,
    actors: &[Actor],
    now: DateTime<Utc>,
    rng: &mut fastrand::Rng,
) -> crate::store::SeededOrder {
    let placed_at = now - Duration::minutes(rng.i64(60..60 * 24 * 45));
    let mut attrs = std::collections::BTreeMap::new();
    for (name, default) in &workflow.attributes {
        let value = match default {
            serde_json::Value::Bool(_) => serde_json::Value::Bool(rng.u8(..4) == 0),
            other => other.clone(),
        };
        attrs.insert(name.clone(), value);
    }
    let mut order = crate::domain::Order {
        id,
        workflow: workflow.name.clone(),
        state: workflow.initial_state().id.clone(),
        version: 1,
        customer: customer.name.clone(),
        seller: seller.name.clone(),
        title: population::title(rng),
        amount_cents: rng.i64(500..25_000),
        currency: "EUR".into(),
        placed_at,
        due_at: Some(placed_at + Duration::days(rng.i64(3..21))),
        state_entered_at: placed_at,
        attrs,
        counters: std::collections::BTreeMap::new(),
        timer: None,
    };
    let mut timer = workflow
        .timer_for(&order.state)
        .map(|(event, after)| (event.to_string(), placed_at + after));
    let mut history = Vec::new();
    let mut clock = placed_at;
    for _ in 0..rng.usize(0..6) {
        clock += Duration::minutes(rng.i64(30..60 * 40));
        if clock > now {
            break;
        }
        let choices: Vec<&crate::workflow::Transition> = workflow
            .transitions
            .iter()
            .filter(|t| t.leaves(&order.state) && t.target().is_some())
            .collect();
        if choices.is_empty() {
            break;
        }
        let transition = choices[rng.usize(..choices.len())];
        let role = transition.roles[rng.usize(..transition.roles.len())];
        let actor = match role {
            Role::Customer => customer.clone(),
            Role::Seller => seller.clone(),
            Role::System => Actor::system_clock(),
            staff => actors
                .iter()
                .find(|a| a.role == staff)
                .cloned()
                .unwrap_or_else(|| Actor::new(staff.as_str(), staff)),
        };
        let note = NOTES[rng.usize(..NOTES.len())];
        let Ok(decision) = workflow.decide(&order, &actor, &transition.event, Some(note), clock)
        else {
            continue;
        };
        order.version += 1;
        history.push(crate::store::SeededTransition {
            at: clock,
            actor,
            on_behalf_of: decision.on_behalf_of,
            event: decision.event,
            from: decision.from,
            to: decision.to.clone(),
            note: decision.note,
            version: order.version,
            effects: decision.effects,
        });
        order.state = decision.to;
        order.counters = decision.counters;
        order.state_entered_at = clock;
        timer = decision.timer.map(|t| (t.event, t.due_at));
    }
    order.timer = timer
        .clone()
        .map(|(event, due_at)| crate::domain::PendingTimer { event, due_at });
    crate::store::SeededOrder {
        order,
        timer,
        history,
    }
}
