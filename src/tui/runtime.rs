//! The impure edge of the UI: owns the terminal, turns terminal events and IO results into
//! messages, and carries out the effects `update` returns.

use std::time::Duration;

use chrono::Utc;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream};
use futures::StreamExt;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::app::{App, PAGE, update};
use super::keymap::KeyMap;
use super::msg::{ApplyFailure, BoardData, ColumnData, ConnectionState, Detail, Effect, Msg};
use super::theme::Theme;
use super::view::Frame;
use crate::backoffice::{Backoffice, ServiceError};
use crate::domain::access::Permission;
use crate::domain::{Actor, Role, Visibility};
use crate::store::live::{LiveUpdate, follow};
use crate::store::{ApplyError, OrderQuery};

/// What the UI is started with.
pub struct Options {
    pub keymap: KeyMap,
    pub theme: Theme,
    pub default_workflow: Option<String>,
    pub feed_interval: Duration,
    pub as_user: Option<String>,
    pub demo_logins: Vec<(String, String, Role)>,
}

/// Runs the UI until the user quits. The terminal is restored on every way out, panics
/// included (ratatui's hook restores it; ours also releases the mouse first).
pub async fn run(backoffice: Backoffice, options: Options) -> std::io::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
        previous(info);
    }));
    let _ = crossterm::execute!(std::io::stdout(), EnableMouseCapture);
    let outcome = event_loop(&mut terminal, backoffice, options).await;
    let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    outcome
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    backoffice: Backoffice,
    options: Options,
) -> std::io::Result<()> {
    let size = terminal.size()?;
    let mut app = App::new(
        options.keymap,
        backoffice.workflows.clone(),
        Utc::now(),
        (size.width, size.height),
    );
    app.default_workflow = options.default_workflow;
    if let Some(name) = &options.as_user {
        app.prefill_user(name);
    }
    if let super::app::Screen::Login(form) = &mut app.screen {
        form.demo_logins = options.demo_logins;
    }
    let (tx, mut rx) = unbounded_channel::<Msg>();

    // One task owns the terminal's events: key presses, mouse and resizes.
    let events_tx = tx.clone();
    let events = tokio::spawn(async move {
        let mut stream = EventStream::new();
        while let Some(Ok(event)) = stream.next().await {
            let msg = match event {
                Event::Key(key) => Msg::Key(key),
                Event::Mouse(mouse) => Msg::Mouse(mouse),
                Event::Resize(w, h) => Msg::Resize(w, h),
                _ => continue,
            };
            if events_tx.send(msg).is_err() {
                break;
            }
        }
    });
    let clock_tx = tx.clone();
    let clock = tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        loop {
            interval.tick().await;
            if clock_tx.send(Msg::Tick(Utc::now())).is_err() {
                break;
            }
        }
    });

    let executor = Executor {
        backoffice,
        tx: tx.clone(),
        feed_interval: options.feed_interval,
    };
    let theme = options.theme;
    let mut result = Ok(());
    loop {
        if let Err(error) = terminal.draw(|frame| {
            frame.render_widget(
                &Frame {
                    app: &app,
                    theme: &theme,
                },
                frame.area(),
            )
        }) {
            result = Err(error);
            break;
        }
        let Some(first) = rx.recv().await else { break };
        // Everything already queued is applied before the next frame.
        let mut pending = vec![first];
        while let Ok(more) = rx.try_recv() {
            pending.push(more);
        }
        for msg in pending {
            for effect in update(&mut app, msg) {
                executor.spawn(effect);
            }
        }
        if app.quit {
            break;
        }
    }
    events.abort();
    clock.abort();
    result
}

struct Executor {
    backoffice: Backoffice,
    tx: UnboundedSender<Msg>,
    feed_interval: Duration,
}

impl Executor {
    fn spawn(&self, effect: Effect) {
        let backoffice = self.backoffice.clone();
        let tx = self.tx.clone();
        let feed_interval = self.feed_interval;
        tokio::spawn(async move {
            let msg = match effect {
                Effect::Quit => return,
                Effect::SignIn { name, password } => Msg::SignedIn(
                    backoffice
                        .sign_in(&name, &password)
                        .await
                        .map_err(|e| e.to_string()),
                ),
                Effect::LoadBoard {
                    actor,
                    workflow,
                    query,
                    with_recent,
                } => Msg::BoardLoaded(
                    load_board(&backoffice, &actor, workflow, query, with_recent)
                        .await
                        .map_err(|e| e.to_string()),
                ),
                Effect::LoadMore { actor, query } => {
                    let state = query.state.clone().unwrap_or_default();
                    Msg::MoreCards {
                        state,
                        cards: backoffice
                            .list(&actor, &query)
                            .await
                            .map_err(|e| e.to_string()),
                    }
                }
                Effect::LoadDetail { actor, order_id } => Msg::DetailLoaded(
                    load_detail(&backoffice, &actor, order_id)
                        .await
                        .map_err(|e| e.to_string()),
                ),
                Effect::Apply {
                    actor,
                    order_id,
                    event,
                    note,
                    version,
                } => {
                    let outcome = backoffice
                        .advance(
                            &actor,
                            order_id,
                            &event,
                            note.as_deref(),
                            Some(version),
                            Utc::now(),
                        )
                        .await;
                    Msg::Applied(outcome.map_err(|error| match error {
                        ServiceError::Apply(ApplyError::Conflict { order_id, .. }) => {
                            ApplyFailure::Conflict {
                                order_id,
                                message: error.to_string(),
                            }
                        }
                        ServiceError::Apply(ApplyError::Store(store))
                        | ServiceError::Store(store)
                            if store.is_connection_lost() =>
                        {
                            ApplyFailure::ConnectionLost(store.to_string())
                        }
                        other => ApplyFailure::Refused(other.to_string()),
                    }))
                }
                Effect::FollowEvent { event } => {
                    match retrying(|| backoffice.store.order(event.entry.order_id)).await {
                        Ok(order) => Msg::OrderChanged { event, order },
                        Err(error) => {
                            Msg::Connection(ConnectionState::Reconnecting(error.to_string()))
                        }
                    }
                }
                Effect::RefreshOrder { order_id } => {
                    match retrying(|| backoffice.store.order(order_id)).await {
                        Ok(order) => Msg::OrderRefreshed(order),
                        Err(error) => {
                            Msg::Connection(ConnectionState::Reconnecting(error.to_string()))
                        }
                    }
                }
                Effect::RefreshCounts {
                    actor,
                    workflow,
                    query,
                } => {
                    let visibility = Visibility::for_actor(&actor);
                    let counts = retrying(|| {
                        backoffice
                            .store
                            .count_by_state(&workflow, &visibility, &query)
                    })
                    .await;
                    Msg::CountsRefreshed {
                        workflow,
                        counts: counts.map_err(|e| e.to_string()),
                    }
                }
                Effect::StartFeed { actor, after_id } => {
                    // With nothing shown yet, the feed starts at the newest event, not the first.
                    let after_id = match after_id {
                        0 => backoffice.store.latest_history_id().await.unwrap_or(0),
                        id => id,
                    };
                    let (live_tx, mut live_rx) = unbounded_channel();
                    let store = backoffice.store.clone();
                    tokio::spawn(follow(
                        store,
                        Visibility::for_actor(&actor),
                        after_id,
                        feed_interval,
                        live_tx,
                    ));
                    while let Some(update) = live_rx.recv().await {
                        let msg = match update {
                            LiveUpdate::Events(events) => Msg::Feed(events),
                            LiveUpdate::Online => Msg::Connection(ConnectionState::Online),
                            LiveUpdate::Lost(reason) => {
                                Msg::Connection(ConnectionState::Reconnecting(reason))
                            }
                        };
                        if tx.send(msg).is_err() {
                            return;
                        }
                    }
                    return;
                }
            };
            let _ = tx.send(msg);
        });
    }
}

/// Reads that fail because the database just came back are retried for a few seconds: the
/// pool replaces dead connections on the next attempt.
async fn retrying<T, F, Fut>(mut read: F) -> Result<T, crate::store::StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::store::StoreError>>,
{
    let mut attempt = 0;
    loop {
        match read().await {
            Err(error) if error.is_connection_lost() && attempt < 20 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            other => return other,
        }
    }
}

/// The start workflow (or the asked one), its per-column counts and each column's first page.
pub async fn load_board(
    backoffice: &Backoffice,
    actor: &Actor,
    workflow: Option<String>,
    query: OrderQuery,
    with_recent: bool,
) -> Result<BoardData, ServiceError> {
    let visibility = Visibility::for_actor(actor);
    // In the definition order (marketplace first), not the alphabet.
    let order: Vec<&str> = backoffice.workflows.names();
    let names: Vec<String> = order.iter().map(|s| s.to_string()).collect();
    let mut in_use = backoffice
        .store
        .workflows_with_orders(&names, &visibility)
        .await?;
    if in_use.is_empty() {
        in_use = order.iter().map(|s| s.to_string()).collect();
    }
    let chosen = workflow
        .filter(|w| backoffice.workflows.get(w).is_some())
        .or_else(|| query.workflow.clone().filter(|w| in_use.contains(w)))
        .unwrap_or_else(|| in_use[0].clone());
    let definition = backoffice.workflow(&chosen)?;
    // Read first: anything committed from here on is re-placed from the feed afterwards.
    let as_of = backoffice.store.latest_history_id().await?;
    let query = OrderQuery {
        workflow: Some(chosen.clone()),
        ..query
    };
    let counts = backoffice
        .store
        .count_by_state(&chosen, &visibility, &query)
        .await?;
    let mut columns = Vec::new();
    for state in &definition.states {
        let page = OrderQuery {
            state: Some(state.id.clone()),
            after_id: None,
            limit: PAGE,
            ..query.clone()
        };
        let count = counts
            .iter()
            .find(|(s, _)| *s == state.id)
            .map(|(_, n)| *n)
            .unwrap_or(0);
        let cards = if count > 0 {
            backoffice.list(actor, &page).await?
        } else {
            Vec::new()
        };
        columns.push(ColumnData {
            state: state.id.clone(),
            count,
            cards,
        });
    }
    let unknown_states: Vec<(String, i64)> = counts
        .iter()
        .filter(|(state, _)| definition.state(state).is_none())
        .cloned()
        .collect();
    let recent = if with_recent {
        backoffice.store.recent_feed(&visibility, 30).await?
    } else {
        Vec::new()
    };
    Ok(BoardData {
        workflows: in_use,
        workflow: chosen,
        columns,
        recent,
        as_of,
        unknown_states,
    })
}

async fn load_detail(
    backoffice: &Backoffice,
    actor: &Actor,
    order_id: i64,
) -> Result<Detail, ServiceError> {
    let view = backoffice.show(actor, order_id, Utc::now()).await?;
    let with_attempts = Permission::SeeAttempts.allows(actor.role);
    let (history, attempts) = backoffice.history(actor, order_id, with_attempts).await?;
    Ok(Detail {
        view,
        history,
        attempts,
    })
}
