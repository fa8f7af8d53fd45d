//! The UI's state and its pure update step: `update(&mut App, Msg) -> Vec<Effect>`.
//! No IO here: effects go out as data and their results come back as messages. Tests drive
//! it with key sequences and fixtures, no terminal needed.

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, Utc};
use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::action::Action;
use super::keymap::KeyMap;
use super::layout::{BoardGeometry, MIN_HEIGHT, MIN_WIDTH, board_geometry};
use super::msg::{ApplyFailure, BoardData, ConnectionState, Detail, Effect, Msg};
use crate::auth::Secret;
use crate::domain::{Actor, Order, OrderId, Role};
use crate::store::{FeedEvent, OrderQuery};
use crate::workflow::{AvailableTransition, BlockedTransition, Workflow, Workflows};

/// Cards fetched per column at a time: the board never loads all orders.
pub const PAGE: i64 = 60;
/// Feed lines kept in memory.
pub const FEED_KEEP: usize = 200;

pub struct App {
    pub keymap: KeyMap,
    pub workflows: Workflows,
    pub default_workflow: Option<String>,
    pub now: DateTime<Utc>,
    pub size: (u16, u16),
    pub screen: Screen,
    pub status: Option<Status>,
    pub connection: ConnectionState,
    pub quit: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

impl Status {
    pub fn info(text: impl Into<String>) -> Option<Status> {
        Some(Status {
            text: text.into(),
            error: false,
        })
    }

    pub fn error(text: impl Into<String>) -> Option<Status> {
        Some(Status {
            text: text.into(),
            error: true,
        })
    }
}

/// One screen exists at a time, so the size difference between them costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Screen {
    Login(LoginForm),
    Board(Box<BoardScreen>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginField {
    Name,
    Password,
}

pub struct LoginForm {
    pub name: Input,
    pub password: Input,
    pub focus: LoginField,
    pub error: Option<String>,
    pub busy: bool,
    /// Shown under the form when the database was made by `demo` (name, password, role).
    pub demo_logins: Vec<(String, String, Role)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Board,
    Order,
    Feed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum QuickFilter {
    #[default]
    All,
    Mine,
    Late,
    Disputes,
}

impl QuickFilter {
    pub fn label(self) -> Option<&'static str> {
        match self {
            QuickFilter::All => None,
            QuickFilter::Mine => Some("mine"),
            QuickFilter::Late => Some("late"),
            QuickFilter::Disputes => Some("disputes"),
        }
    }
}

pub struct Column {
    pub state: String,
    pub label: String,
    pub terminal: bool,
    pub count: i64,
    pub cards: Vec<Order>,
    pub selected: usize,
    pub offset: usize,
    /// Every card of the column is loaded.
    pub exhausted: bool,
    pub loading_more: bool,
}

pub enum Overlay {
    Menu(Menu),
    Note(NoteForm),
    Confirm(Confirmation),
    Help,
}

pub struct Menu {
    pub order_id: OrderId,
    pub version: i64,
    pub title: String,
    pub available: Vec<AvailableTransition>,
    pub blocked: Vec<BlockedTransition>,
    /// Events that need another state, only counted.
    pub other_states: usize,
    pub selected: usize,
}

pub struct NoteForm {
    pub order_id: OrderId,
    pub version: i64,
    pub choice: AvailableTransition,
    pub input: Input,
    pub error: Option<String>,
    pub busy: bool,
}

pub struct Confirmation {
    pub order_id: OrderId,
    pub version: i64,
    pub choice: AvailableTransition,
    pub note: Option<String>,
    pub effects: Vec<String>,
    pub busy: bool,
}

pub struct BoardScreen {
    pub actor: Actor,
    /// Workflows holding orders this user may see, and the one shown.
    pub workflow_names: Vec<String>,
    pub workflow: String,
    pub columns: Vec<Column>,
    pub selected_column: usize,
    pub first_visible_column: usize,
    pub show_terminal: bool,
    pub focus: Pane,
    pub filter_text: String,
    pub filter_input: Option<Input>,
    pub quick: QuickFilter,
    pub detail: Option<Detail>,
    pub detail_scroll: u16,
    pub feed: VecDeque<FeedEvent>,
    pub feed_scroll: u16,
    pub overlay: Option<Overlay>,
    pub loading: bool,
    pub feed_started: bool,
    /// History ids whose orders were already fetched (our own changes), so their feed echo
    /// does not fetch them again.
    pub followed: HashSet<i64>,
    /// A counts query is running; another change meanwhile asks for one more after it.
    pub counts_in_flight: bool,
    pub counts_stale: bool,
    /// After our own change, the selection follows the order to its new column.
    pub follow: Option<OrderId>,
    /// After a lost race, the menu reopens on the reloaded order.
    pub reopen_menu_for: Option<OrderId>,
}

impl App {
    pub fn new(keymap: KeyMap, workflows: Workflows, now: DateTime<Utc>, size: (u16, u16)) -> App {
        App {
            keymap,
            workflows,
            default_workflow: None,
            now,
            size,
            screen: Screen::Login(LoginForm {
                name: Input::default(),
                password: Input::default(),
                focus: LoginField::Name,
                error: None,
                busy: false,
                demo_logins: Vec::new(),
            }),
            status: None,
            connection: ConnectionState::Online,
            quit: false,
        }
    }

    /// `--as USER` fills the name and moves to the password.
    pub fn prefill_user(&mut self, name: &str) {
        if let Screen::Login(form) = &mut self.screen {
            form.name = Input::new(name.to_string());
            form.focus = LoginField::Password;
        }
    }

    pub fn board(&self) -> Option<&BoardScreen> {
        match &self.screen {
            Screen::Board(board) => Some(board),
            Screen::Login(_) => None,
        }
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }
}

impl BoardScreen {
    pub fn workflow_def<'a>(&self, workflows: &'a Workflows) -> Option<&'a Workflow> {
        workflows.get(&self.workflow).map(|w| w.as_ref())
    }

    /// Indices of the columns shown (terminal ones hidden when collapsed).
    pub fn visible_columns(&self) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|i| self.show_terminal || !self.columns[*i].terminal)
            .collect()
    }

    pub fn selected_order(&self) -> Option<&Order> {
        let column = self.columns.get(self.selected_column)?;
        column.cards.get(column.selected)
    }

    /// The query behind the board: visibility comes from the actor in the store; this adds
    /// the filters.
    pub fn query(&self, now: DateTime<Utc>) -> OrderQuery {
        OrderQuery {
            workflow: Some(self.workflow.clone()),
            state: None,
            due_before: (self.quick == QuickFilter::Late).then_some(now),
            text: (!self.filter_text.is_empty()).then(|| self.filter_text.clone()),
            acted_by: (self.quick == QuickFilter::Mine && self.actor.role.sees_every_order())
                .then(|| self.actor.name.clone()),
            after_id: None,
            limit: PAGE,
        }
    }

    /// Whether an order belongs on the board under the current filters (for live updates).
    fn admits(
        &self,
        order: &Order,
        workflow: &Workflow,
        now: DateTime<Utc>,
        acted_now_by: Option<&str>,
    ) -> bool {
        if order.workflow != self.workflow || !order.is_visible_to(&self.actor) {
            return false;
        }
        let text_ok = self.filter_text.is_empty() || {
            let needle = self.filter_text.to_lowercase();
            let id = needle.trim_start_matches('#');
            order.title.to_lowercase().contains(&needle)
                || order.customer.to_lowercase().contains(&needle)
                || order.seller.to_lowercase().contains(&needle)
                || order.id.to_string() == id
        };
        let quick_ok = match self.quick {
            QuickFilter::All => true,
            QuickFilter::Late => workflow.is_late(order, now),
            QuickFilter::Disputes => workflow.dispute_states.contains(&order.state),
            QuickFilter::Mine => {
                !self.actor.role.sees_every_order()
                    || acted_now_by == Some(self.actor.name.as_str())
            }
        };
        text_ok && quick_ok
    }

    fn column_index(&self, state: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.state == state)
    }

    fn selected_id(&self) -> Option<OrderId> {
        self.selected_order().map(|o| o.id)
    }

    fn clamp_selection(&mut self) {
        let visible = self.visible_columns();
        if !visible.contains(&self.selected_column) {
            self.selected_column = visible.first().copied().unwrap_or(0);
        }
        for column in &mut self.columns {
            if column.selected >= column.cards.len() {
                column.selected = column.cards.len().saturating_sub(1);
            }
        }
    }
}

/// The one update step.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tick(now) => {
            app.now = now;
            Vec::new()
        }
        Msg::Resize(width, height) => {
            app.size = (width, height);
            if let Screen::Board(board) = &mut app.screen {
                keep_selection_visible(board, app.size);
            }
            Vec::new()
        }
        Msg::Key(key) if key.kind != KeyEventKind::Press => Vec::new(),
        Msg::Key(key) => on_key(app, key),
        Msg::Mouse(mouse) => on_mouse(app, mouse),
        Msg::SignedIn(result) => on_signed_in(app, result),
        Msg::BoardLoaded(result) => on_board_loaded(app, result),
        Msg::MoreCards { state, cards } => on_more_cards(app, &state, cards),
        Msg::DetailLoaded(result) => {
            if let Screen::Board(board) = &mut app.screen {
                match result {
                    // A late answer for an order no longer selected is dropped.
                    Ok(detail) if Some(detail.view.order.id) == board.selected_id() => {
                        board.detail = Some(detail);
                    }
                    Ok(_) => {}
                    Err(error) => {
                        app.status = Some(Status {
                            text: error,
                            error: true,
                        })
                    }
                }
            }
            Vec::new()
        }
        Msg::Applied(result) => on_applied(app, result),
        Msg::Feed(events) => on_feed(app, events),
        Msg::OrderChanged { event, order } => on_order_changed(app, event, order),
        Msg::OrderRefreshed(order) => on_order_refreshed(app, order),
        Msg::CountsRefreshed { workflow, counts } => on_counts(app, &workflow, counts),
        Msg::Connection(state) => on_connection(app, state),
    }
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl_c {
        app.quit = true;
        return vec![Effect::Quit];
    }
    match &mut app.screen {
        Screen::Login(_) => on_login_key(app, key),
        Screen::Board(_) => on_board_key(app, key),
    }
}

fn on_login_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Screen::Login(form) = &mut app.screen else {
        return Vec::new();
    };
    if form.busy {
        return Vec::new();
    }
    match key.code {
        KeyCode::Esc => {
            app.quit = true;
            vec![Effect::Quit]
        }
        KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
            form.focus = match form.focus {
                LoginField::Name => LoginField::Password,
                LoginField::Password => LoginField::Name,
            };
            Vec::new()
        }
        KeyCode::Enter => {
            let name = form.name.value().trim().to_string();
            if name.is_empty() {
                form.focus = LoginField::Name;
                form.error = Some("enter your user name".into());
                return Vec::new();
            }
            if form.focus == LoginField::Name {
                form.focus = LoginField::Password;
                return Vec::new();
            }
            form.busy = true;
            form.error = None;
            let password = Secret::new(form.password.value().to_string());
            vec![Effect::SignIn { name, password }]
        }
        _ => {
            let field = match form.focus {
                LoginField::Name => &mut form.name,
                LoginField::Password => &mut form.password,
            };
            field.handle_event(&crossterm::event::Event::Key(key));
            form.error = None;
            Vec::new()
        }
    }
}

fn on_signed_in(app: &mut App, result: Result<crate::domain::Actor, String>) -> Vec<Effect> {
    let Screen::Login(form) = &mut app.screen else {
        return Vec::new();
    };
    form.busy = false;
    match result {
        Ok(actor) => {
            let board = BoardScreen {
                actor: actor.clone(),
                workflow_names: Vec::new(),
                workflow: String::new(),
                columns: Vec::new(),
                selected_column: 0,
                first_visible_column: 0,
                show_terminal: false,
                focus: Pane::Board,
                filter_text: String::new(),
                filter_input: None,
                quick: if actor.role == Role::Support {
                    QuickFilter::Disputes
                } else {
                    QuickFilter::All
                },
                detail: None,
                detail_scroll: 0,
                feed: VecDeque::new(),
                feed_scroll: 0,
                overlay: None,
                loading: true,
                feed_started: false,
                followed: HashSet::new(),
                counts_in_flight: false,
                counts_stale: false,
                follow: None,
                reopen_menu_for: None,
            };
            let query = board.query(app.now);
            app.screen = Screen::Board(Box::new(board));
            app.status = Status::info(format!("signed in as {} ({})", actor.name, actor.role));
            vec![Effect::LoadBoard {
                actor,
                workflow: app.default_workflow.clone(),
                query,
                with_recent: true,
            }]
        }
        Err(message) => {
            form.password = Input::default();
            form.focus = LoginField::Password;
            form.error = Some(message);
            Vec::new()
        }
    }
}

fn on_board_loaded(app: &mut App, result: Result<BoardData, String>) -> Vec<Effect> {
    let size = app.size;
    let Screen::Board(board) = &mut app.screen else {
        return Vec::new();
    };
    board.loading = false;
    let data = match result {
        Ok(data) => data,
        Err(error) => {
            app.status = Some(Status {
                text: error,
                error: true,
            });
            return Vec::new();
        }
    };
    let Some(workflow) = app.workflows.get(&data.workflow).cloned() else {
        app.status = Some(Status {
            text: format!("workflow \"{}\" is not loaded", data.workflow),
            error: true,
        });
        return Vec::new();
    };
    let keep = board.selected_id();
    let first_load = board.columns.is_empty() || board.workflow != data.workflow;
    board.workflow_names = data.workflows;
    board.workflow = data.workflow;
    let quick = board.quick;
    board.columns = workflow
        .states
        .iter()
        .filter(|state| match quick {
            QuickFilter::Late => workflow.late_states.contains(&state.id),
            QuickFilter::Disputes => workflow.dispute_states.contains(&state.id),
            QuickFilter::All | QuickFilter::Mine => true,
        })
        .map(|state| {
            let loaded = data.columns.iter().find(|c| c.state == state.id);
            let cards = loaded.map(|c| c.cards.clone()).unwrap_or_default();
            Column {
                state: state.id.clone(),
                label: state.label.clone(),
                terminal: state.terminal,
                count: loaded.map(|c| c.count).unwrap_or(0),
                exhausted: (cards.len() as i64) < PAGE,
                cards,
                selected: 0,
                offset: 0,
                loading_more: false,
            }
        })
        .collect();
    if !data.unknown_states.is_empty() {
        let listed: Vec<String> = data
            .unknown_states
            .iter()
            .map(|(state, n)| format!("{state} ({n})"))
            .collect();
        app.status = Status::error(format!(
            "orders in states workflow \"{}\" no longer has: {}; `orderboard verify` names them",
            board.workflow,
            listed.join(", ")
        ));
    } else if board.columns.is_empty() {
        app.status = Some(Status {
            text: "this workflow has no columns under the current filter".into(),
            error: false,
        });
    }
    // Where each role starts: the first of its start columns, else the first column.
    board.selected_column = 0;
    if first_load
        && let Some(starts) = workflow.start_states.get(&board.actor.role)
        && let Some(index) = starts.iter().find_map(|s| board.column_index(s))
    {
        board.selected_column = index;
    }
    if let Some(id) = keep {
        select_order(board, id);
    }
    board.clamp_selection();
    keep_selection_visible(board, size);
    let mut effects = Vec::new();
    if !data.recent.is_empty() && board.feed.is_empty() {
        board.feed = data.recent.into_iter().collect();
    }
    if !board.feed_started {
        board.feed_started = true;
        let after_id = board.feed.front().map(|e| e.entry.id).unwrap_or(0);
        effects.push(Effect::StartFeed {
            actor: board.actor.clone(),
            after_id,
        });
    }
    // Transitions committed after the snapshot was taken were shown in the feed but may be
    // missing from it: place their orders again (placement is idempotent).
    for event in board
        .feed
        .iter()
        .filter(|e| e.entry.id > data.as_of && e.workflow == board.workflow)
    {
        effects.push(Effect::FollowEvent {
            event: event.clone(),
        });
    }
    effects.extend(load_detail(board));
    effects
}

fn on_more_cards(app: &mut App, state: &str, cards: Result<Vec<Order>, String>) -> Vec<Effect> {
    let Screen::Board(board) = &mut app.screen else {
        return Vec::new();
    };
    let Some(index) = board.column_index(state) else {
        return Vec::new();
    };
    let column = &mut board.columns[index];
    column.loading_more = false;
    match cards {
        Ok(cards) => {
            column.exhausted = (cards.len() as i64) < PAGE;
            for card in cards {
                if !column.cards.iter().any(|c| c.id == card.id) {
                    column.cards.push(card);
                }
            }
        }
        Err(error) => {
            app.status = Some(Status {
                text: error,
                error: true,
            })
        }
    }
    Vec::new()
}

fn select_order(board: &mut BoardScreen, id: OrderId) -> bool {
    for (index, column) in board.columns.iter_mut().enumerate() {
        if let Some(position) = column.cards.iter().position(|c| c.id == id) {
            column.selected = position;
            board.selected_column = index;
            return true;
        }
    }
    false
}

fn load_detail(board: &mut BoardScreen) -> Vec<Effect> {
    board.detail_scroll = 0;
    match board.selected_order() {
        Some(order) => {
            if board.detail.as_ref().is_some_and(|d| {
                d.view.order.id == order.id && d.view.order.version == order.version
            }) {
                return Vec::new();
            }
            let order_id = order.id;
            board.detail = None;
            vec![Effect::LoadDetail {
                actor: board.actor.clone(),
                order_id,
            }]
        }
        None => {
            board.detail = None;
            Vec::new()
        }
    }
}

fn reload_board(now: DateTime<Utc>, board: &BoardScreen) -> Effect {
    Effect::LoadBoard {
        actor: board.actor.clone(),
        workflow: Some(board.workflow.clone()),
        query: board.query(now),
        with_recent: false,
    }
}

fn on_board_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let action = app.keymap.action(&key);
    let now = app.now;
    let Screen::Board(board) = &mut app.screen else {
        return Vec::new();
    };
    // Text entry owns the keys while it is open.
    if let Some(input) = &mut board.filter_input {
        match key.code {
            KeyCode::Enter => {
                board.filter_text = input.value().trim().to_string();
                board.filter_input = None;
                board.loading = true;
                return vec![reload_board(now, board)];
            }
            KeyCode::Esc => {
                board.filter_input = None;
                return Vec::new();
            }
            _ => {
                input.handle_event(&crossterm::event::Event::Key(key));
                return Vec::new();
            }
        }
    }
    if board.overlay.is_some() {
        return on_overlay_key(app, key, action);
    }
    let Some(action) = action else {
        return Vec::new();
    };
    let size = app.size;
    match action {
        Action::Quit => {
            app.quit = true;
            vec![Effect::Quit]
        }
        Action::Help => {
            board.overlay = Some(Overlay::Help);
            Vec::new()
        }
        Action::Up
        | Action::Down
        | Action::Top
        | Action::Bottom
        | Action::PageUp
        | Action::PageDown => match board.focus {
            Pane::Board => move_vertically(board, action, size, now),
            Pane::Order => {
                board.detail_scroll = scroll(board.detail_scroll, action);
                Vec::new()
            }
            Pane::Feed => {
                board.feed_scroll = scroll(board.feed_scroll, action);
                Vec::new()
            }
        },
        Action::Left | Action::Right => {
            let visible = board.visible_columns();
            if let Some(position) = visible.iter().position(|i| *i == board.selected_column) {
                let next = if action == Action::Left {
                    position.checked_sub(1)
                } else {
                    (position + 1 < visible.len()).then_some(position + 1)
                };
                if let Some(next) = next {
                    board.selected_column = visible[next];
                }
            }
            keep_selection_visible(board, size);
            load_detail(board)
        }
        Action::OpenMenu => open_menu(app),
        Action::Back => {
            if board.focus != Pane::Board {
                board.focus = Pane::Board;
                Vec::new()
            } else if !board.filter_text.is_empty() || board.quick != QuickFilter::All {
                board.filter_text.clear();
                board.quick = QuickFilter::All;
                board.loading = true;
                app.status = Status::info("filters cleared");
                vec![reload_board(now, board)]
            } else {
                Vec::new()
            }
        }
        Action::NextPane | Action::PreviousPane => {
            let order = [Pane::Board, Pane::Order, Pane::Feed];
            let at = order.iter().position(|p| *p == board.focus).unwrap_or(0);
            let step = if action == Action::NextPane {
                1
            } else {
                order.len() - 1
            };
            board.focus = order[(at + step) % order.len()];
            Vec::new()
        }
        Action::Filter => {
            board.filter_input = Some(Input::new(board.filter_text.clone()));
            Vec::new()
        }
        Action::MineOnly | Action::LateOnly | Action::DisputesOnly => {
            let wanted = match action {
                Action::MineOnly => QuickFilter::Mine,
                Action::LateOnly => QuickFilter::Late,
                _ => QuickFilter::Disputes,
            };
            board.quick = if board.quick == wanted {
                QuickFilter::All
            } else {
                wanted
            };
            if board.quick == QuickFilter::Mine && !board.actor.role.sees_every_order() {
                app.status = Status::info(format!(
                    "as a {} you only see your own orders",
                    board.actor.role
                ));
            }
            board.loading = true;
            vec![reload_board(now, board)]
        }
        Action::SwitchWorkflow => {
            if board.workflow_names.len() < 2 {
                app.status = Status::info("this database holds orders of one workflow only");
                return Vec::new();
            }
            let at = board
                .workflow_names
                .iter()
                .position(|w| *w == board.workflow)
                .unwrap_or(0);
            let next = board.workflow_names[(at + 1) % board.workflow_names.len()].clone();
            board.loading = true;
            board.detail = None;
            vec![Effect::LoadBoard {
                actor: board.actor.clone(),
                workflow: Some(next),
                query: OrderQuery {
                    workflow: None,
                    ..board.query(now)
                },
                with_recent: false,
            }]
        }
        Action::ToggleTerminalColumns => {
            board.show_terminal = !board.show_terminal;
            board.clamp_selection();
            keep_selection_visible(board, size);
            load_detail(board)
        }
        Action::Refresh => {
            board.loading = true;
            vec![reload_board(now, board)]
        }
    }
}

fn scroll(current: u16, action: Action) -> u16 {
    match action {
        Action::Up => current.saturating_sub(1),
        Action::Down => current.saturating_add(1),
        Action::PageUp => current.saturating_sub(10),
        Action::PageDown => current.saturating_add(10),
        Action::Top => 0,
        _ => current.saturating_add(1000),
    }
}

fn move_vertically(
    board: &mut BoardScreen,
    action: Action,
    size: (u16, u16),
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let page = board_geometry(size, board).cards_per_column.max(1);
    let Some(column) = board.columns.get_mut(board.selected_column) else {
        return Vec::new();
    };
    if column.cards.is_empty() {
        return Vec::new();
    }
    let last = column.cards.len() - 1;
    column.selected = match action {
        Action::Up => column.selected.saturating_sub(1),
        Action::Down => (column.selected + 1).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        Action::PageUp => column.selected.saturating_sub(page),
        _ => (column.selected + page).min(last),
    };
    let mut effects = Vec::new();
    // Near the end of what is loaded: fetch the next page (keyset, by id).
    if column.selected + page >= column.cards.len() && !column.exhausted && !column.loading_more {
        column.loading_more = true;
        let after_id = column.cards.last().map(|c| c.id);
        let state = column.state.clone();
        effects.push(Effect::LoadMore {
            actor: board.actor.clone(),
            query: OrderQuery {
                state: Some(state),
                after_id,
                ..board.query(now)
            },
        });
    }
    keep_selection_visible(board, size);
    effects.extend(load_detail(board));
    effects
}

/// Scrolls the selected column so its selected card shows, and the board sideways so the
/// selected column shows.
pub fn keep_selection_visible(board: &mut BoardScreen, size: (u16, u16)) {
    let geometry: BoardGeometry = board_geometry(size, board);
    let per_column = geometry.cards_per_column.max(1);
    if let Some(column) = board.columns.get_mut(board.selected_column) {
        if column.selected < column.offset {
            column.offset = column.selected;
        } else if column.selected >= column.offset + per_column {
            column.offset = column.selected + 1 - per_column;
        }
    }
    let visible = board.visible_columns();
    let Some(position) = visible.iter().position(|i| *i == board.selected_column) else {
        return;
    };
    let fit = geometry.columns_that_fit.max(1);
    if position < board.first_visible_column {
        board.first_visible_column = position;
    } else if position >= board.first_visible_column + fit {
        board.first_visible_column = position + 1 - fit;
    }
    board.first_visible_column = board
        .first_visible_column
        .min(visible.len().saturating_sub(fit));
}

fn open_menu(app: &mut App) -> Vec<Effect> {
    let now = app.now;
    let Screen::Board(board) = &mut app.screen else {
        return Vec::new();
    };
    let Some(order) = board.selected_order().cloned() else {
        app.status = Status::info("no order selected");
        return Vec::new();
    };
    let Some(workflow) = app.workflows.get(&order.workflow).cloned() else {
        app.status = Status::error(format!("workflow \"{}\" is not loaded", order.workflow));
        return Vec::new();
    };
    if workflow.state(&order.state).is_none() {
        app.status = Status::error(format!(
            "order #{} is in state \"{}\", which workflow \"{}\" no longer has",
            order.id, order.state, workflow.name
        ));
        return Vec::new();
    }
    let menu = workflow.available_transitions(&order, &board.actor, now);
    let (blocked, other_states): (Vec<_>, Vec<_>) = menu
        .blocked
        .into_iter()
        .partition(|b| !matches!(b.reason, crate::workflow::BlockReason::WrongState { .. }));
    board.overlay = Some(Overlay::Menu(Menu {
        order_id: order.id,
        version: order.version,
        title: format!(
            "#{} {} · {}",
            order.id,
            crate::domain::text::display_safe(&order.title),
            workflow.state_label(&order.state)
        ),
        available: menu.available,
        blocked,
        other_states: other_states.len(),
        selected: 0,
    }));
    Vec::new()
}

fn on_overlay_key(app: &mut App, key: KeyEvent, action: Option<Action>) -> Vec<Effect> {
    let Screen::Board(board) = &mut app.screen else {
        return Vec::new();
    };
    let Some(overlay) = board.overlay.as_mut() else {
        return Vec::new();
    };
    match overlay {
        Overlay::Help => {
            if matches!(
                action,
                Some(Action::Help) | Some(Action::Back) | Some(Action::Quit)
            ) || key.code == KeyCode::Enter
            {
                board.overlay = None;
            }
            Vec::new()
        }
        Overlay::Menu(menu) => match (key.code, action) {
            (KeyCode::Esc, _) | (_, Some(Action::Back)) => {
                board.overlay = None;
                Vec::new()
            }
            (_, Some(Action::Up)) => {
                menu.selected = menu.selected.saturating_sub(1);
                Vec::new()
            }
            (_, Some(Action::Down)) => {
                if menu.selected + 1 < menu.available.len() {
                    menu.selected += 1;
                }
                Vec::new()
            }
            (KeyCode::Enter, _) => {
                let Some(choice) = menu.available.get(menu.selected).cloned() else {
                    return Vec::new();
                };
                let (order_id, version) = (menu.order_id, menu.version);
                let effects_text = effects_of(&app.workflows, board, order_id, &choice, app.now);
                if choice.note_required {
                    board.overlay = Some(Overlay::Note(NoteForm {
                        order_id,
                        version,
                        choice,
                        input: Input::default(),
                        error: None,
                        busy: false,
                    }));
                    Vec::new()
                } else if choice.needs_confirmation {
                    board.overlay = Some(Overlay::Confirm(Confirmation {
                        order_id,
                        version,
                        choice,
                        note: None,
                        effects: effects_text,
                        busy: false,
                    }));
                    Vec::new()
                } else {
                    apply(board, order_id, version, &choice.event, None)
                }
            }
            _ => Vec::new(),
        },
        Overlay::Note(form) => {
            if form.busy {
                return Vec::new();
            }
            match key.code {
                KeyCode::Esc => {
                    board.overlay = None;
                    Vec::new()
                }
                KeyCode::Enter => {
                    let note = form.input.value().trim().to_string();
                    if note.is_empty() {
                        form.error = Some("a note is required for this transition".into());
                        return Vec::new();
                    }
                    let (order_id, version, choice) =
                        (form.order_id, form.version, form.choice.clone());
                    if choice.needs_confirmation {
                        let effects_text =
                            effects_of(&app.workflows, board, order_id, &choice, app.now);
                        board.overlay = Some(Overlay::Confirm(Confirmation {
                            order_id,
                            version,
                            choice,
                            note: Some(note),
                            effects: effects_text,
                            busy: false,
                        }));
                        Vec::new()
                    } else {
                        form.busy = true;
                        let event = choice.event.clone();
                        apply(board, order_id, version, &event, Some(note))
                    }
                }
                _ => {
                    form.input.handle_event(&crossterm::event::Event::Key(key));
                    form.error = None;
                    Vec::new()
                }
            }
        }
        Overlay::Confirm(confirm) => {
            if confirm.busy {
                return Vec::new();
            }
            match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                    confirm.busy = true;
                    let (order_id, version, event, note) = (
                        confirm.order_id,
                        confirm.version,
                        confirm.choice.event.clone(),
                        confirm.note.clone(),
                    );
                    apply(board, order_id, version, &event, note)
                }
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                    board.overlay = None;
                    Vec::new()
                }
                _ => Vec::new(),
            }
        }
    }
}

/// The effects a choice will record, as written in the workflow, for the confirmation.
fn effects_of(
    workflows: &Workflows,
    board: &BoardScreen,
    order_id: OrderId,
    choice: &AvailableTransition,
    now: DateTime<Utc>,
) -> Vec<String> {
    let Some(order) = board
        .columns
        .iter()
        .flat_map(|c| c.cards.iter())
        .find(|o| o.id == order_id)
    else {
        return Vec::new();
    };
    let Some(workflow) = workflows.get(&order.workflow) else {
        return Vec::new();
    };
    workflow
        .decide(order, &board.actor, &choice.event, Some("-"), now)
        .map(|d| d.effects.iter().map(|e| e.to_string()).collect())
        .unwrap_or_default()
}

fn apply(
    board: &mut BoardScreen,
    order_id: OrderId,
    version: i64,
    event: &str,
    note: Option<String>,
) -> Vec<Effect> {
    if let Some(Overlay::Menu(_)) = board.overlay {
        board.overlay = None;
    }
    vec![Effect::Apply {
        actor: board.actor.clone(),
        order_id,
        event: event.to_string(),
        note,
        version,
    }]
}

fn on_applied(app: &mut App, result: Result<crate::store::Applied, ApplyFailure>) -> Vec<Effect> {
    let Screen::Board(board) = &mut app.screen else {
        return Vec::new();
    };
    match result {
        Ok(applied) => {
            board.overlay = None;
            board.follow = Some(applied.id);
            board.followed.insert(applied.history_id);
            let text = format!(
                "order #{}: {} → {} ({})",
                applied.id, applied.from, applied.to, applied.event
            );
            let event = FeedEvent {
                entry: crate::store::HistoryEntry {
                    id: applied.history_id,
                    order_id: applied.id,
                    at: app.now,
                    actor: board.actor.name.clone(),
                    role: board.actor.role.as_str().to_string(),
                    on_behalf_of: None,
                    event: applied.event.clone(),
                    from: applied.from.clone(),
                    to: applied.to.clone(),
                    note: None,
                    version: applied.version,
                    effects: applied.effects.clone(),
                },
                workflow: board.workflow.clone(),
                title: String::new(),
            };
            app.status = Status::info(text);
            vec![Effect::FollowEvent { event }]
        }
        Err(ApplyFailure::Conflict { order_id, message }) => {
            board.overlay = None;
            board.reopen_menu_for = Some(order_id);
            app.status = Status::error(message);
            vec![Effect::RefreshOrder { order_id }]
        }
        Err(ApplyFailure::ConnectionLost(message)) => {
            // Keep the overlay and what was typed: the user can retry when the database is back.
            match &mut board.overlay {
                Some(Overlay::Note(form)) => form.busy = false,
                Some(Overlay::Confirm(confirm)) => confirm.busy = false,
                _ => {}
            }
            app.status = Status::error(format!(
                "not applied, the database is unreachable: {message}"
            ));
            Vec::new()
        }
        Err(ApplyFailure::Refused(message)) => {
            match &mut board.overlay {
                Some(Overlay::Note(form)) => {
                    form.busy = false;
                    form.error = Some(message.clone());
                }
                _ => board.overlay = None,
            }
            app.status = Status::error(message);
            Vec::new()
        }
    }
}

fn on_feed(app: &mut App, events: Vec<FeedEvent>) -> Vec<Effect> {
    let Screen::Board(board) = &mut app.screen else {
        return Vec::new();
    };
    let mut effects = Vec::new();
    for event in events {
        if board.feed.iter().any(|e| e.entry.id == event.entry.id) {
            continue;
        }
        // Our own changes were followed when they were applied.
        if event.workflow == board.workflow && !board.followed.contains(&event.entry.id) {
            effects.push(Effect::FollowEvent {
                event: event.clone(),
            });
        }
        board.feed.push_front(event);
    }
    board.feed.truncate(FEED_KEEP);
    effects
}

/// Moves a card in place after a transition: counts from the event, the card from the
/// fresh snapshot. Each history id is reflected once, whether it came from our own apply
/// or from the feed.
fn on_order_changed(app: &mut App, event: FeedEvent, order: Option<Order>) -> Vec<Effect> {
    let now = app.now;
    let size = app.size;
    let Some(workflow) = app.workflows.get(&event.workflow).cloned() else {
        return Vec::new();
    };
    let Screen::Board(board) = &mut app.screen else {
        return Vec::new();
    };
    if event.workflow != board.workflow {
        return Vec::new();
    }
    let selected_before = board.selected_id();
    let follow = board.follow.take_if(|id| *id == event.entry.order_id);
    // The card takes its place from the fresh snapshot: idempotent, whatever order events
    // and reloads arrive in. Counts are re-read rather than adjusted, for the same reason.
    for column in &mut board.columns {
        column.cards.retain(|c| c.id != event.entry.order_id);
    }
    if let Some(order) = order
        && board.admits(&order, &workflow, now, Some(&event.entry.actor))
        && let Some(index) = board.column_index(&order.state)
    {
        insert_card(&mut board.columns[index], order);
    }
    // The selection stays on its order; our own change takes it along to the new column.
    let target = follow.or(selected_before);
    if let Some(id) = target
        && !select_order(board, id)
        && let Some(column) = board.columns.get_mut(board.selected_column)
    {
        column.selected = column.selected.min(column.cards.len().saturating_sub(1));
    }
    board.clamp_selection();
    keep_selection_visible(board, size);
    let mut effects = refresh_counts(board, now);
    if board.selected_id() == Some(event.entry.order_id) || target != board.selected_id() {
        board.detail = None;
        effects.extend(load_detail(board));
    }
    effects
}

/// Asks for fresh per-column counts, at most one request in flight.
fn refresh_counts(board: &mut BoardScreen, now: DateTime<Utc>) -> Vec<Effect> {
    if board.counts_in_flight {
        board.counts_stale = true;
        return Vec::new();
    }
    board.counts_in_flight = true;
    board.counts_stale = false;
    vec![Effect::RefreshCounts {
        actor: board.actor.clone(),
        workflow: board.workflow.clone(),
        query: board.query(now),
    }]
}

fn on_counts(
    app: &mut App,
    workflow: &str,
    counts: Result<Vec<(String, i64)>, String>,
) -> Vec<Effect> {
    let now = app.now;
    let Screen::Board(board) = &mut app.screen else {
        return Vec::new();
    };
    board.counts_in_flight = false;
    match counts {
        Ok(counts) if workflow == board.workflow => {
            for column in &mut board.columns {
                column.count = counts
                    .iter()
                    .find(|(s, _)| *s == column.state)
                    .map(|(_, n)| *n)
                    .unwrap_or(0);
            }
        }
        Ok(_) => {}
        Err(error) => app.status = Status::error(error),
    }
    let Screen::Board(board) = &mut app.screen else {
        return Vec::new();
    };
    if board.counts_stale {
        refresh_counts(board, now)
    } else {
        Vec::new()
    }
}

/// Keeps a column sorted by id; a card beyond the loaded window waits for its page.
fn insert_card(column: &mut Column, order: Order) {
    let position = column.cards.partition_point(|c| c.id < order.id);
    if position == column.cards.len() && !column.exhausted {
        return;
    }
    column.cards.insert(position, order);
}

fn on_order_refreshed(app: &mut App, order: Option<Order>) -> Vec<Effect> {
    let Some(order) = order else {
        return Vec::new();
    };
    let Screen::Board(board) = &mut app.screen else {
        return Vec::new();
    };
    for column in &mut board.columns {
        column.cards.retain(|c| c.id != order.id);
    }
    let id = order.id;
    if let Some(index) = board.column_index(&order.state) {
        insert_card(&mut board.columns[index], order);
    }
    let reopen = board.reopen_menu_for.take() == Some(id) && select_order(board, id);
    board.clamp_selection();
    keep_selection_visible(board, app.size);
    board.detail = None;
    let mut effects = load_detail(board);
    if reopen {
        let status = app.status.clone();
        effects.extend(open_menu(app));
        app.status = status;
    }
    effects
}

fn on_connection(app: &mut App, state: ConnectionState) -> Vec<Effect> {
    let was_lost = matches!(app.connection, ConnectionState::Reconnecting(_));
    app.connection = state.clone();
    match (was_lost, state, &app.screen) {
        (true, ConnectionState::Online, Screen::Board(board)) => {
            app.status = Status::info("reconnected");
            // Counts and cards may have moved meanwhile; the feed catches up by id.
            vec![reload_board(app.now, board)]
        }
        _ => Vec::new(),
    }
}

fn on_mouse(app: &mut App, mouse: MouseEvent) -> Vec<Effect> {
    let size = app.size;
    let now = app.now;
    let Screen::Board(board) = &mut app.screen else {
        return Vec::new();
    };
    if board.overlay.is_some() || board.filter_input.is_some() {
        return Vec::new();
    }
    let geometry = board_geometry(size, board);
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            let hit = geometry.card_at(mouse.column, mouse.row, board);
            if let Some((column, card)) = hit {
                board.selected_column = column;
                board.columns[column].selected = card;
                board.focus = Pane::Board;
                keep_selection_visible(board, size);
                return load_detail(board);
            }
            Vec::new()
        }
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            if let Some(column) = geometry.column_at(mouse.column, mouse.row) {
                board.selected_column = column;
                let action = if mouse.kind == MouseEventKind::ScrollDown {
                    Action::Down
                } else {
                    Action::Up
                };
                return move_vertically(board, action, size, now);
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}
