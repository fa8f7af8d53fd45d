//! `orderboard bench …`: the figures of BENCHMARKS.md, measured on a real database in a
//! release build. Each prints a table, or JSON with --json.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde::Serialize;

use crate::auth::Secret;
use crate::backoffice::{Backoffice, OrderDraft, ServiceError};
use crate::demo::{DEMO_USERS, demo_password, seed_bulk};
use crate::domain::{Actor, Role, Visibility};
use crate::store::live::{LiveUpdate, follow};
use crate::store::{OrderQuery, Store};
use crate::tui::app::{App, update};
use crate::tui::keymap::KeyMap;
use crate::tui::msg::Msg;
use crate::tui::runtime::load_board;
use crate::tui::theme::Theme;
use crate::tui::view::Frame;

#[derive(Clone, Debug, Serialize)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub target: Option<String>,
    pub met: Option<bool>,
}

impl Figure {
    fn new(name: &str, value: f64, unit: &str) -> Figure {
        Figure {
            name: name.into(),
            value,
            unit: unit.into(),
            target: None,
            met: None,
        }
    }

    fn below(mut self, limit: f64) -> Figure {
        self.target = Some(format!("< {limit} {}", self.unit));
        self.met = Some(self.value < limit);
        self
    }

    fn at_least(mut self, limit: f64) -> Figure {
        self.target = Some(format!(">= {limit} {}", self.unit));
        self.met = Some(self.value >= limit);
        self
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub bench: String,
    pub backend: String,
    pub figures: Vec<Figure>,
}

impl Report {
    pub fn print(&self, json: bool) {
        if json {
            println!("{}", serde_json::to_string_pretty(self).unwrap_or_default());
            return;
        }
        println!("bench {} on {}", self.bench, self.backend);
        for figure in &self.figures {
            let verdict = match figure.met {
                Some(true) => "  ok",
                Some(false) => "  MISSED",
                None => "",
            };
            let target = figure
                .target
                .as_ref()
                .map(|t| format!("  (target {t})"))
                .unwrap_or_default();
            println!(
                "  {:<44} {:>12.2} {}{target}{verdict}",
                figure.name, figure.value, figure.unit
            );
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(|a, b| a.total_cmp(b));
    values
}

/// Resident memory of this process, from /proc (Linux), in MB.
pub fn resident_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The demo users, so benches can run on an empty database.
pub async fn ensure_users(backoffice: &Backoffice) -> Result<Actor, ServiceError> {
    let admin = Actor::new(DEMO_USERS[0].0, DEMO_USERS[0].1);
    if backoffice.store.user_count().await? == 0 {
        for (name, role) in DEMO_USERS {
            backoffice
                .add_user(
                    Some(&admin),
                    name,
                    *role,
                    &Secret::new(demo_password(name)),
                    Utc::now(),
                )
                .await?;
        }
    }
    Ok(admin)
}

/// `seed --orders N` timed on this database.
pub async fn seed(backoffice: &Backoffice, orders: usize) -> Result<Report, ServiceError> {
    ensure_users(backoffice).await?;
    let actors: Vec<Actor> = DEMO_USERS.iter().map(|(n, r)| Actor::new(*n, *r)).collect();
    let names: Vec<String> = backoffice
        .workflows
        .names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let started = Instant::now();
    let mut rng = fastrand::Rng::with_seed(7);
    let (made, transitions) =
        seed_bulk(backoffice, &actors, &names, orders, Utc::now(), &mut rng).await?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(Report {
        bench: format!("seed --orders {orders}"),
        backend: backoffice.store.backend_name().into(),
        figures: vec![
            Figure::new("seed time", seconds, "s").below(60.0),
            Figure::new("orders written", made as f64, "orders"),
            Figure::new("transitions written", transitions as f64, "transitions"),
            Figure::new("orders per second", made as f64 / seconds, "orders/s"),
        ],
    })
}

/// The board on this database: first frame after sign-in, key press to next frame, memory.
pub async fn board(
    backoffice: &Backoffice,
    actor: &Actor,
    presses: usize,
) -> Result<Report, ServiceError> {
    let now = Utc::now();
    let size = (160u16, 48u16);
    let theme = Theme::dark();
    let mut first_frames = Vec::new();
    let mut app = None;
    for _ in 0..5 {
        let started = Instant::now();
        let mut fresh = App::new(KeyMap::default(), backoffice.workflows.clone(), now, size);
        update(&mut fresh, Msg::SignedIn(Ok(actor.clone())));
        let query = fresh.board().map(|b| b.query(now)).unwrap_or_default();
        let data = load_board(backoffice, actor, None, query, true).await?;
        update(&mut fresh, Msg::BoardLoaded(Ok(data)));
        let mut terminal = Terminal::new(TestBackend::new(size.0, size.1))
            .map_err(|e| ServiceError::BadInput(e.to_string()))?;
        draw(&mut terminal, &fresh, &theme)?;
        first_frames.push(started.elapsed().as_secs_f64() * 1000.0);
        app = Some(fresh);
    }
    let Some(mut app) = app else {
        return Err(ServiceError::BadInput("no board".into()));
    };
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1))
        .map_err(|e| ServiceError::BadInput(e.to_string()))?;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let pattern = [
        KeyCode::Char('j'),
        KeyCode::Char('j'),
        KeyCode::Char('l'),
        KeyCode::Char('j'),
        KeyCode::Char('k'),
        KeyCode::Char('h'),
        KeyCode::PageDown,
        KeyCode::Home,
    ];
    let mut latencies = Vec::with_capacity(presses);
    for index in 0..presses {
        let key = KeyEvent::new(pattern[index % pattern.len()], KeyModifiers::NONE);
        let started = Instant::now();
        // The runtime draws right after update; effects (detail, next page) complete later.
        update(&mut app, Msg::Key(key));
        draw(&mut terminal, &app, &theme)?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let first = sorted(first_frames.clone());
    let keys = sorted(latencies);
    let orders: i64 = backoffice
        .store
        .count_by_state(
            &app.board().map(|b| b.workflow.clone()).unwrap_or_default(),
            &Visibility::for_actor(actor),
            &OrderQuery::default(),
        )
        .await?
        .iter()
        .map(|(_, n)| n)
        .sum();
    Ok(Report {
        bench: format!(
            "board as {} ({}), {} orders in the shown workflow",
            actor.name, actor.role, orders
        ),
        backend: backoffice.store.backend_name().into(),
        figures: vec![
            Figure::new("first frame after sign-in, cold", first_frames[0], "ms").below(300.0),
            Figure::new(
                "first frame after sign-in, median of 5",
                percentile(&first, 50.0),
                "ms",
            )
            .below(300.0),
            Figure::new(
                "key press to next frame, p50",
                percentile(&keys, 50.0),
                "ms",
            ),
            Figure::new(
                "key press to next frame, p99",
                percentile(&keys, 99.0),
                "ms",
            )
            .below(16.0),
            Figure::new("resident memory", resident_mb().unwrap_or(0.0), "MB").below(150.0),
        ],
    })
}

/// One frame into the test buffer, as the runtime would draw it.
fn draw(
    terminal: &mut Terminal<TestBackend>,
    app: &App,
    theme: &Theme,
) -> Result<(), ServiceError> {
    terminal
        .draw(|frame| frame.render_widget(&Frame { app, theme }, frame.area()))
        .map(|_| ())
        .map_err(|e| ServiceError::BadInput(e.to_string()))
}

/// Marketplace orders in `paid`, for transition benches.
async fn paid_orders(
    backoffice: &Backoffice,
    admin: &Actor,
    count: usize,
) -> Result<Vec<i64>, ServiceError> {
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

/// Transitions per second through the real apply path against raw SQL making the same row
/// changes, on the same database in the same run, with `clients` concurrent writers.
pub async fn apply(
    backoffice: &Backoffice,
    clients: usize,
    transitions: usize,
) -> Result<Report, ServiceError> {
    if clients == 0 || transitions < clients {
        return Err(ServiceError::BadInput(
            "--clients must be at least 1 and --transitions at least --clients".into(),
        ));
    }
    let admin = ensure_users(backoffice).await?;
    let seller = Actor::new("sam", Role::Seller);
    let per_client = transitions / clients.max(1);
    let total = per_client * clients;
    let run_apply = paid_orders(backoffice, &admin, total).await?;
    let run_raw = paid_orders(backoffice, &admin, total).await?;
    // Alternating rounds, so neither side always meets the larger WAL or the warmer cache.
    const ROUNDS: usize = 4;
    let (mut apply_time, mut raw_time) = (Duration::ZERO, Duration::ZERO);
    let round_size = total.div_ceil(ROUNDS);
    for round in 0..ROUNDS {
        let range = (round * round_size).min(total)..((round + 1) * round_size).min(total);
        for side in 0..2 {
            let apply_side = (round + side) % 2 == 0;
            let ids = if apply_side {
                &run_apply[range.clone()]
            } else {
                &run_raw[range.clone()]
            };
            let elapsed = run_clients(backoffice, &seller, ids, clients, apply_side).await?;
            if apply_side {
                apply_time += elapsed;
            } else {
                raw_time += elapsed;
            }
        }
    }
    let apply_tps = total as f64 / apply_time.as_secs_f64();
    let raw_tps = total as f64 / raw_time.as_secs_f64();
    Ok(Report {
        bench: format!("apply, {clients} clients, {total} transitions each way"),
        backend: backoffice.store.backend_name().into(),
        figures: vec![
            Figure::new("raw SQL baseline", raw_tps, "transitions/s"),
            Figure::new("apply path", apply_tps, "transitions/s"),
            Figure::new("apply path / baseline", 100.0 * apply_tps / raw_tps, "%").at_least(80.0),
        ],
    })
}

/// Accepts `ids` with `clients` concurrent writers, through the apply path or raw SQL.
async fn run_clients(
    backoffice: &Backoffice,
    seller: &Actor,
    ids: &[i64],
    clients: usize,
    apply_path: bool,
) -> Result<Duration, ServiceError> {
    let per_client = ids.len().div_ceil(clients.max(1)).max(1);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for chunk in ids.chunks(per_client) {
        let backoffice = backoffice.clone();
        let seller = seller.clone();
        let chunk = chunk.to_vec();
        tasks.push(tokio::spawn(async move {
            for id in chunk {
                if apply_path {
                    backoffice
                        .advance(&seller, id, "order.accepted", None, Some(1), Utc::now())
                        .await?;
                } else {
                    raw_accept(&backoffice.store, id).await?;
                }
            }
            Ok::<(), ServiceError>(())
        }));
    }
    for task in tasks {
        task.await
            .map_err(|e| ServiceError::BadInput(e.to_string()))??;
    }
    Ok(started.elapsed())
}

/// The same row changes as accepting a marketplace order, in hand-written SQL: read the
/// order, move it under the version check, record the effect, append history.
async fn raw_accept(store: &Store, id: i64) -> Result<(), ServiceError> {
    const READ: &str = "SELECT state, version FROM orders WHERE id = $1";
    const MOVE: &str = "UPDATE orders SET state = $1, version = version + 1, counters = $2, state_entered_at = $3, timer_event = NULL, timer_due_at = NULL, updated_at = $3 WHERE id = $4 AND version = $5 RETURNING version";
    const EFFECT: &str = "INSERT INTO effects (order_id, version, kind, payload, idempotency_key, created_at) VALUES ($1, $2, 'notify', 'notify(customer)', $3, $4)";
    const HISTORY: &str = "INSERT INTO history (order_id, at, actor, role, on_behalf_of, event, from_state, to_state, note, version, effects) VALUES ($1, $2, 'sam', 'seller', NULL, 'order.accepted', 'paid', 'inprogress', NULL, $3, '[\"notify(customer)\"]') RETURNING id";
    let now = crate::store::micros(Utc::now());
    macro_rules! transition {
        ($tx:expr, $db:ty) => {{
            let mut tx = $tx;
            let (_state, version): (String, i64) = sqlx::query_as::<$db, (String, i64)>(READ)
                .bind(id)
                .fetch_one(&mut *tx)
                .await
                .map_err(crate::store::StoreError::from)?;
            let new: i64 = sqlx::query_scalar::<$db, i64>(MOVE)
                .bind("inprogress")
                .bind("{}")
                .bind(now)
                .bind(id)
                .bind(version)
                .fetch_one(&mut *tx)
                .await
                .map_err(crate::store::StoreError::from)?;
            sqlx::query::<$db>(EFFECT)
                .bind(id)
                .bind(new)
                .bind(format!("{id}:{new}:0"))
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(crate::store::StoreError::from)?;
            tx
        }};
    }
    match store {
        Store::Sqlite(s) => {
            let tx = s
                .pool()
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(crate::store::StoreError::from)?;
            let mut tx = transition!(tx, sqlx::Sqlite);
            sqlx::query_scalar::<sqlx::Sqlite, i64>(HISTORY)
                .bind(id)
                .bind(now)
                .bind(2i64)
                .fetch_one(&mut *tx)
                .await
                .map_err(crate::store::StoreError::from)?;
            tx.commit().await.map_err(crate::store::StoreError::from)?;
        }
        Store::Postgres(s) => {
            let tx = s
                .pool()
                .begin()
                .await
                .map_err(crate::store::StoreError::from)?;
            let mut tx = transition!(tx, sqlx::Postgres);
            // The same feed guarantees as the apply path: ids commit in order, readers are woken.
            sqlx::query("SELECT pg_advisory_xact_lock(7)")
                .execute(&mut *tx)
                .await
                .map_err(crate::store::StoreError::from)?;
            let history: i64 = sqlx::query_scalar::<sqlx::Postgres, i64>(HISTORY)
                .bind(id)
                .bind(now)
                .bind(2i64)
                .fetch_one(&mut *tx)
                .await
                .map_err(crate::store::StoreError::from)?;
            sqlx::query("SELECT pg_notify('orderboard_events', $1)")
                .bind(history.to_string())
                .execute(&mut *tx)
                .await
                .map_err(crate::store::StoreError::from)?;
            tx.commit().await.map_err(crate::store::StoreError::from)?;
        }
    }
    Ok(())
}

/// Commit in one process to the event visible in another: this process follows the live
/// feed while a child process (`bench feed-writer`) commits transitions and reports when
/// each commit returned.
pub async fn feed(
    backoffice: &Backoffice,
    database: &str,
    events: usize,
    poll: Duration,
) -> Result<Report, ServiceError> {
    if events == 0 {
        return Err(ServiceError::BadInput("--events must be at least 1".into()));
    }
    let admin = ensure_users(backoffice).await?;
    let ids = paid_orders(backoffice, &admin, events).await?;
    let after = backoffice.store.latest_history_id().await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let follower = tokio::spawn(follow(
        backoffice.store.clone(),
        Visibility::Everything,
        after,
        poll,
        tx,
    ));
    let mut arrivals: HashMap<i64, i128> = HashMap::new();
    let exe = std::env::current_exe().map_err(|e| ServiceError::BadInput(e.to_string()))?;
    let mut child = Command::new(exe)
        .args([
            "--database",
            database,
            "--as",
            &admin.name,
            "bench",
            "feed-writer",
            "--first",
            &ids[0].to_string(),
            "--count",
            &ids.len().to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| ServiceError::BadInput(format!("cannot start the writer: {e}")))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| ServiceError::BadInput("no writer output".into()))?;
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|line| {
                let (id, at) = line.split_once(' ')?;
                Some((id.parse::<i64>().ok()?, at.parse::<i128>().ok()?))
            })
            .collect::<Vec<_>>()
    });
    let deadline = Instant::now() + Duration::from_secs(60 + events as u64 / 10);
    while arrivals.len() < events && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some(LiveUpdate::Events(batch))) => {
                let at = Utc::now().timestamp_nanos_opt().unwrap_or_default() as i128;
                for event in batch {
                    arrivals.entry(event.entry.id).or_insert(at);
                }
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    follower.abort();
    let _ = child.wait();
    let commits = reader.join().unwrap_or_default();
    let latencies = sorted(
        commits
            .iter()
            .filter_map(|(id, committed)| {
                arrivals
                    .get(id)
                    .map(|arrived| (arrived - committed) as f64 / 1e6)
            })
            .collect(),
    );
    let limit = if backoffice.store.backend_name() == "postgres" {
        50.0
    } else {
        250.0
    };
    Ok(Report {
        bench: format!(
            "feed latency, {} events, poll {} ms",
            commits.len(),
            poll.as_millis()
        ),
        backend: backoffice.store.backend_name().into(),
        figures: vec![
            Figure::new("events seen", latencies.len() as f64, "events").at_least(events as f64),
            Figure::new("commit to visible, p50", percentile(&latencies, 50.0), "ms"),
            Figure::new("commit to visible, p99", percentile(&latencies, 99.0), "ms").below(limit),
            Figure::new(
                "commit to visible, max",
                latencies.last().copied().unwrap_or(0.0),
                "ms",
            ),
        ],
    })
}

/// The child side of `feed`: accepts orders one by one, 20 ms apart, printing
/// "HISTORY_ID COMMIT_UNIX_NANOS" after each commit returns.
pub async fn feed_writer(
    backoffice: &Backoffice,
    first: i64,
    count: usize,
) -> Result<(), ServiceError> {
    let seller = Actor::new("sam", Role::Seller);
    for id in first..first + count as i64 {
        let applied = backoffice
            .advance(&seller, id, "order.accepted", None, None, Utc::now())
            .await?;
        let at = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        println!("{} {at}", applied.history_id);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// What one race writer did.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize)]
pub struct RaceOutcome {
    pub applied: usize,
    pub conflicts: usize,
    pub refused: usize,
    pub errors: Vec<String>,
}

/// `transitions` random transitions on orders `first .. first + count`: a random user (or the
/// system clock) takes, most of the time, one of the transitions legal for them, else any
/// event, always with the version it just read, so a lost race is a conflict.
pub async fn race_writer(
    backoffice: &Backoffice,
    first: i64,
    count: i64,
    transitions: usize,
    seed: u64,
) -> Result<RaceOutcome, ServiceError> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut actors: Vec<Actor> = backoffice
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| !u.disabled)
        .map(|u| Actor::new(u.name, u.role))
        .collect();
    actors.push(Actor::system_clock());
    let mut outcome = RaceOutcome::default();
    for _ in 0..transitions {
        // Prefer an order that can still move: a few draws, then whatever came up.
        let mut picked = None;
        for _ in 0..4 {
            let id = first + rng.i64(0..count.max(1));
            if let Some(order) = backoffice.store.order(id).await? {
                let open = backoffice
                    .workflows
                    .get(&order.workflow)
                    .is_some_and(|w| !w.is_terminal(&order.state));
                picked = Some(order);
                if open {
                    break;
                }
            }
        }
        let Some(order) = picked else {
            continue;
        };
        let id = order.id;
        let Some(workflow) = backoffice.workflows.get(&order.workflow) else {
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
            .advance(actor, id, &event, note, Some(order.version), now)
            .await
        {
            Ok(_) => outcome.applied += 1,
            Err(ServiceError::Apply(crate::store::ApplyError::Conflict { .. })) => {
                outcome.conflicts += 1
            }
            Err(ServiceError::Apply(
                crate::store::ApplyError::Refused(_) | crate::store::ApplyError::NotVisible(_),
            )) => outcome.refused += 1,
            Err(other) => outcome.errors.push(other.to_string()),
        }
    }
    Ok(outcome)
}

/// A parameter of an EXPLAINed query, typed as the real code binds it.
enum Param {
    Text(Option<String>),
    Int(i64),
    NoTime,
}

/// The board's queries with their plans on this database, for BENCHMARKS.md.
pub async fn explain(backoffice: &Backoffice) -> Result<(), ServiceError> {
    use crate::store::sql;
    use Param::{Int, NoTime, Text};
    let seller = backoffice
        .store
        .users()
        .await?
        .into_iter()
        .find(|u| u.role == Role::Seller)
        .map(|u| u.name)
        .unwrap_or_default();
    let workflow = || Text(Some("marketplace".into()));
    let none = || Text(None);
    let page = |who: Vec<Param>| {
        let mut params = who;
        params.extend([
            workflow(),
            Text(Some("inprogress".into())),
            NoTime,
            none(),
            none(),
            Int(0),
            Int(60),
            none(),
        ]);
        params
    };
    let queries: Vec<(&str, &'static str, Vec<Param>)> = vec![
        (
            "per-column counts, staff",
            sql::COUNT_ALL,
            vec![workflow(), none(), none()],
        ),
        (
            "per-column counts, one seller",
            sql::COUNT_SELLER,
            vec![workflow(), none(), Text(Some(seller.clone()))],
        ),
        (
            "one column's first page, staff",
            sql::BOARD_PAGE_ALL,
            page(vec![none(), none()]),
        ),
        (
            "one column's first page, one seller",
            sql::BOARD_PAGE_SELLER,
            page(vec![none(), Text(Some(seller.clone()))]),
        ),
        (
            "a workflow holds the seller's orders",
            sql::HAS_ORDERS_SELLER,
            vec![workflow(), none(), Text(Some(seller))],
        ),
        (
            "live feed after an id, staff",
            sql::FEED_AFTER,
            vec![Int(0), none(), none(), Int(500)],
        ),
    ];
    for (label, text, params) in queries {
        println!("### {label}\n\n```sql\n{text}\n```\n\n```");
        match &backoffice.store {
            Store::Sqlite(s) => {
                let mut query = sqlx::query_as::<sqlx::Sqlite, (i64, i64, i64, String)>(
                    sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {text}")),
                );
                for param in params {
                    query = match param {
                        Text(value) => query.bind(value),
                        Int(value) => query.bind(value),
                        NoTime => query.bind(None::<chrono::DateTime<Utc>>),
                    };
                }
                for (_, _, _, detail) in query
                    .fetch_all(s.pool())
                    .await
                    .map_err(crate::store::StoreError::from)?
                {
                    println!("{detail}");
                }
            }
            Store::Postgres(s) => {
                let mut query = sqlx::query_scalar::<sqlx::Postgres, String>(sqlx::AssertSqlSafe(
                    format!("EXPLAIN (ANALYZE, COSTS OFF) {text}"),
                ));
                for param in params {
                    query = match param {
                        Text(value) => query.bind(value),
                        Int(value) => query.bind(value),
                        NoTime => query.bind(None::<chrono::DateTime<Utc>>),
                    };
                }
                for line in query
                    .fetch_all(s.pool())
                    .await
                    .map_err(crate::store::StoreError::from)?
                {
                    println!("{line}");
                }
            }
        }
        println!("```\n");
    }
    Ok(())
}
