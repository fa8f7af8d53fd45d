//! A signed-in App with a fixed clock and fixed orders, for update and snapshot tests.

use std::collections::BTreeMap;

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use orderboard::domain::{Actor, Order, Role};
use orderboard::service::{OrderView, TimelineEntry};
use orderboard::store::{Attempt, EffectRecord, FeedEvent, HistoryEntry, LedgerRow};
use orderboard::tui::app::{App, update};
use orderboard::tui::keymap::KeyMap;
use orderboard::tui::msg::{BoardData, ColumnData, Detail, Effect, Msg};
use orderboard::workflow::Workflows;

use crate::support::test_now;

pub fn card(id: i64, state: &str, title: &str, customer: &str, due_in_hours: i64) -> Order {
    let now = test_now();
    Order {
        id,
        workflow: "marketplace".into(),
        state: state.into(),
        version: 1,
        customer: customer.into(),
        seller: "sam".into(),
        title: title.into(),
        amount_cents: 1_000 * id + 99,
        currency: "EUR".into(),
        placed_at: now - Duration::days(3),
        due_at: Some(now + Duration::hours(due_in_hours)),
        state_entered_at: now - Duration::hours(id),
        attrs: BTreeMap::new(),
        counters: BTreeMap::new(),
        timer: None,
    }
}

pub fn board_data() -> BoardData {
    let columns = vec![
        ColumnData {
            state: "paid".into(),
            count: 3,
            cards: vec![
                card(11, "paid", "Logo design", "carol", 48),
                card(12, "paid", "Wedding invitation set", "dave", -5),
                // Untrusted text: escapes and controls must not reach the terminal.
                card(
                    13,
                    "paid",
                    "Evil \u{1b}[2J\u{1b}]0;pwned\u{7} title",
                    "carol",
                    24,
                ),
            ],
        },
        ColumnData {
            state: "inprogress".into(),
            count: 2,
            cards: vec![
                card(21, "inprogress", "Poster A2", "carol", 10),
                card(22, "inprogress", "Pet portrait", "dave", -30),
            ],
        },
        ColumnData {
            state: "cancel_requested".into(),
            count: 1,
            cards: vec![card(31, "cancel_requested", "Zine, 24 pages", "dave", 5)],
        },
        ColumnData {
            state: "delivered".into(),
            count: 1,
            cards: vec![card(41, "delivered", "Album cover", "carol", 100)],
        },
        ColumnData {
            state: "completed".into(),
            count: 7,
            cards: vec![card(51, "completed", "Mug, hand-painted", "carol", 0)],
        },
        ColumnData {
            state: "cancelled".into(),
            count: 2,
            cards: vec![],
        },
    ];
    BoardData {
        workflows: vec!["marketplace".into(), "checkout".into()],
        workflow: "marketplace".into(),
        columns,
        recent: vec![feed_event(
            900,
            21,
            "carol",
            "customer",
            "order.cancel_requested",
            "inprogress",
            "cancel_requested",
        )],
        as_of: 900,
        unknown_states: vec![],
        text: None,
        matches_capped: false,
    }
}

pub fn feed_event(
    id: i64,
    order_id: i64,
    actor: &str,
    role: &str,
    event: &str,
    from: &str,
    to: &str,
) -> FeedEvent {
    FeedEvent {
        entry: HistoryEntry {
            id,
            order_id,
            at: test_now() - Duration::minutes(5),
            actor: actor.into(),
            role: role.into(),
            on_behalf_of: None,
            event: event.into(),
            from: from.into(),
            to: to.into(),
            note: None,
            version: 2,
            effects: vec![],
        },
        workflow: "marketplace".into(),
        title: "Poster A2".into(),
        created: event == "created",
    }
}

pub fn new_app(size: (u16, u16)) -> App {
    App::new(
        KeyMap::default(),
        Workflows::shipped().unwrap(),
        test_now(),
        size,
    )
}

/// Signed in as `actor` with the fixture board loaded; returns the effects of loading.
pub fn signed_in(actor: Actor, size: (u16, u16)) -> (App, Vec<Effect>) {
    let mut app = new_app(size);
    let effects = update(&mut app, Msg::SignedIn(Ok(actor)));
    assert!(
        matches!(effects.as_slice(), [Effect::LoadBoard { .. }]),
        "{effects:?}"
    );
    let effects = update(&mut app, Msg::BoardLoaded(Ok(board_data())));
    (app, effects)
}

pub fn seller() -> Actor {
    Actor::new("sam", Role::Seller)
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn typed(text: &str) -> Vec<Msg> {
    text.chars().map(|c| key(KeyCode::Char(c))).collect()
}

pub fn press(app: &mut App, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    let mut effects = Vec::new();
    for msg in msgs {
        effects.extend(update(app, msg));
    }
    effects
}

/// The order pane's content for order 21, with a refused attempt.
pub fn detail_for(order: Order) -> Detail {
    let now = test_now();
    let view = OrderView {
        late: false,
        menu: Default::default(),
        ledger: vec![LedgerRow {
            kind: "refund".into(),
            amount_cents: 500,
            share_percent: 100,
            version: 3,
            at: now,
        }],
        effects: vec![],
        settles_effects: true,
        order: order.clone(),
    };
    let history = HistoryEntry {
        id: 5,
        order_id: order.id,
        at: now - Duration::hours(30),
        actor: "sam".into(),
        role: "seller".into(),
        on_behalf_of: None,
        event: "order.accepted".into(),
        from: "paid".into(),
        to: "inprogress".into(),
        note: Some("on it \u{1b}[31mred".into()),
        version: 2,
        effects: vec!["notify(customer)".into()],
    };
    let attempt = Attempt {
        id: 1,
        order_id: order.id,
        at: now - Duration::hours(2),
        actor: "carol".into(),
        role: "customer".into(),
        event: "order.completed".into(),
        kind: "not_allowed_now".into(),
        reason: "needs the order in delivered (it is in inprogress)".into(),
    };
    // The service's timeline order: the attempt came after the transition.
    Detail {
        view,
        timeline: vec![
            TimelineEntry::Transition(history),
            TimelineEntry::Attempt(attempt),
        ],
    }
}

/// An effect of order `order_id` as the order pane shows it.
pub fn effect(
    id: i64,
    order_id: i64,
    payload: &str,
    status: &str,
    attempts: i64,
    last_error: Option<&str>,
) -> EffectRecord {
    let now = test_now();
    EffectRecord {
        id,
        order_id,
        version: 2,
        kind: payload.split('(').next().unwrap_or(payload).to_string(),
        payload: payload.into(),
        status: status.into(),
        idempotency_key: format!("{order_id}:2:{id}"),
        attempts,
        next_attempt_at: now + Duration::seconds(40),
        sink: (attempts > 0).then(|| "payments".to_string()),
        last_error: last_error.map(str::to_string),
        created_at: now - Duration::minutes(5),
        finished_at: None,
    }
}

/// Support's board with order 11's details: a refund that failed, a notification that is
/// waiting for its next try, one delivered; and the header's count of failed effects.
pub fn support_with_failed_effects(size: (u16, u16)) -> App {
    let (mut app, _) = signed_in(Actor::new("sue", Role::Support), size);
    // Support starts on disputes: the whole board instead, where order 11 is selected.
    press(&mut app, [key(KeyCode::Char('d'))]);
    update(&mut app, Msg::BoardLoaded(Ok(board_data())));
    let mut detail = detail_for(card(11, "paid", "Logo design", "carol", 48));
    detail.view.effects = vec![
        effect(7, 11, "notify(customer)", "delivered", 1, None),
        effect(
            8,
            11,
            "refund(full)",
            "failed",
            8,
            Some("HTTP 503: provider unavailable (gave up after 8 attempts)"),
        ),
        effect(
            9,
            11,
            "notify(seller)",
            "pending",
            2,
            Some("no answer within 5000 ms"),
        ),
    ];
    update(&mut app, Msg::DetailLoaded(Ok(detail)));
    update(&mut app, Msg::AttentionCounted(3));
    app
}

/// `count` explorer entries, newest first, for orders 11, 12, 13 in turn; every fifth a
/// refused attempt with untrusted text.
pub fn explorer_page(first_id: i64, count: usize) -> Vec<orderboard::store::ExplorerEntry> {
    (0..count as i64)
        .map(|n| {
            let id = first_id - n;
            let refused = id % 5 == 0;
            orderboard::store::ExplorerEntry {
                at: test_now() - Duration::minutes(7 * (first_id - id + 1)),
                source: i64::from(refused),
                id,
                order_id: 11 + id % 3,
                workflow: "marketplace".into(),
                actor: if refused { "carol" } else { "sam" }.into(),
                role: if refused { "customer" } else { "seller" }.into(),
                event: if refused {
                    "order.completed"
                } else {
                    "order.accepted"
                }
                .into(),
                from_state: if refused { "" } else { "paid" }.into(),
                to_state: if refused { "" } else { "inprogress" }.into(),
                note: (!refused).then(|| "on it \u{1b}[31mred".to_string()),
                refused: refused
                    .then(|| "needs the order in delivered (it is in paid)".to_string()),
            }
        })
        .collect()
}

/// The users an admin may view the board as.
pub fn users() -> Vec<orderboard::service::UserSummary> {
    [
        ("ada", Role::Admin, false),
        ("sam", Role::Seller, false),
        ("sue", Role::Support, false),
        ("old", Role::Customer, true),
    ]
    .into_iter()
    .map(|(name, role, disabled)| orderboard::service::UserSummary {
        name: name.into(),
        role,
        disabled,
        failed_sign_ins: 0,
        locked_until: None,
    })
    .collect()
}

/// The screen as text.
pub fn screen_text(app: &App) -> String {
    use orderboard::tui::theme::Theme;
    use orderboard::tui::view::Frame;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    let theme = Theme::dark();
    terminal
        .draw(|frame| frame.render_widget(&Frame { app, theme: &theme }, frame.area()))
        .unwrap();
    terminal.backend().to_string()
}

/// Ada (admin) viewing the board as sam (seller), the board loaded: returns the effects of
/// choosing sam.
pub fn admin_viewing_as_sam(size: (u16, u16)) -> (App, Vec<Effect>) {
    let (mut app, _) = signed_in(Actor::new("ada", Role::Admin), size);
    press(&mut app, [key(KeyCode::Char('A'))]);
    update(&mut app, Msg::UsersLoaded(Ok(users())));
    let mut effects = press(&mut app, [key(KeyCode::Enter)]);
    effects.extend(update(&mut app, Msg::ViewAs(Ok(seller()))));
    effects.extend(update(&mut app, Msg::BoardLoaded(Ok(board_data()))));
    (app, effects)
}
