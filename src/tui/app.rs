//! The UI's state and its pure update step: `update(&mut App, Msg) -> Vec<Effect>`.
//! No IO here: effects go out as data and their results come back as messages. Tests drive
//! it with key sequences and fixtures, no terminal needed.
//!
//! Each screen and overlay is a module with its own state, keys and drawing (`login`,
//! `board`, `overlays`, the panes); `update` matches on the screen once and hands it the
//! shared context.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};

use super::clock::Zone;
use super::keymap::KeyMap;
use super::layout::{MIN_HEIGHT, MIN_WIDTH};
use super::msg::{ConnectionState, Effect, Msg};
use crate::config::ViewConfig;
use crate::domain::Role;
use crate::store::OrderQuery;
use crate::workflow::Workflows;

pub use super::board::{BoardScreen, Column, Filters, LiveSync, Pane, QuickFilters, Selection};
pub use super::login::{LoginField, LoginForm, LoginStep};
pub use super::overlays::{Confirmation, Menu, NoteForm, Overlay};

/// Cards fetched per column at a time: the board never loads all orders.
pub const PAGE: i64 = 60;
/// Feed lines kept in memory.
pub const FEED_KEEP: usize = 200;

pub struct App {
    pub keymap: KeyMap,
    pub workflows: Workflows,
    pub default_workflow: Option<String>,
    pub now: DateTime<Utc>,
    /// The zone times are shown in (local time unless configured).
    pub zone: Zone,
    pub size: (u16, u16),
    pub screen: Screen,
    pub status: Option<Status>,
    /// When the status on screen was first shown, so it can expire.
    status_shown: Option<(Status, DateTime<Utc>)>,
    pub connection: ConnectionState,
    pub quit: bool,
    /// Saved views: the built-in start views and the config's `[[views]]`.
    pub views: Vec<ViewConfig>,
    /// The config file saved views are appended to.
    pub config_path: Option<PathBuf>,
    /// The server the UI works through, as the header names it; none on a database.
    pub server: Option<String>,
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

/// What a screen's handlers may read and change besides their own state.
pub struct Context<'a> {
    pub keymap: &'a KeyMap,
    pub workflows: &'a Workflows,
    pub default_workflow: Option<&'a str>,
    pub now: DateTime<Utc>,
    pub zone: Zone,
    pub size: (u16, u16),
    pub status: &'a mut Option<Status>,
    pub quit: &'a mut bool,
    pub views: &'a mut Vec<ViewConfig>,
    pub config_path: Option<&'a Path>,
}

impl App {
    pub fn new(keymap: KeyMap, workflows: Workflows, now: DateTime<Utc>, size: (u16, u16)) -> App {
        App {
            keymap,
            workflows,
            default_workflow: None,
            now,
            zone: Zone::utc(),
            size,
            screen: Screen::Login(LoginForm::default()),
            status: None,
            status_shown: None,
            connection: ConnectionState::Online,
            quit: false,
            views: super::views::all(&[]),
            config_path: None,
            server: None,
        }
    }

    /// `--as USER` fills the name and moves to the password.
    pub fn prefill_user(&mut self, name: &str) {
        if let Screen::Login(form) = &mut self.screen {
            form.prefill(name);
        }
    }

    /// Signs in with a password from the environment; the name must be filled already.
    pub fn sign_in_with(&mut self, password: &crate::auth::Secret) -> Vec<Effect> {
        match &mut self.screen {
            Screen::Login(form) => form.sign_in_with(password),
            Screen::Board(_) => Vec::new(),
        }
    }

    /// The demo's sign-ins, listed under the form (name, password, role).
    pub fn show_demo_logins(&mut self, logins: Vec<(String, String, Role)>) {
        if let Screen::Login(form) = &mut self.screen {
            form.demo_logins = logins;
        }
    }

    pub fn board(&self) -> Option<&BoardScreen> {
        match &self.screen {
            Screen::Board(board) => Some(board),
            Screen::Login(_) => None,
        }
    }

    /// The query behind the board on screen, if one is.
    pub fn board_query(&self) -> Option<OrderQuery> {
        self.board().map(|b| b.query(self.now))
    }

    /// The workflow the board shows, if one is on screen.
    pub fn board_workflow(&self) -> Option<String> {
        self.board().map(|b| b.workflow.clone())
    }

    /// Whether the terminal is below the size the layout needs.
    fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    fn split(&mut self) -> (&mut Screen, Context<'_>) {
        (
            &mut self.screen,
            Context {
                keymap: &self.keymap,
                workflows: &self.workflows,
                default_workflow: self.default_workflow.as_deref(),
                now: self.now,
                zone: self.zone,
                size: self.size,
                status: &mut self.status,
                quit: &mut self.quit,
                views: &mut self.views,
                config_path: self.config_path.as_deref(),
            },
        )
    }
}

/// How long a status message stays: long enough to read, not so long it reads as current.
const STATUS_FOR: chrono::Duration = chrono::Duration::seconds(8);
const ERROR_FOR: chrono::Duration = chrono::Duration::seconds(20);

/// The one update step.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let effects = step(app, msg);
    app.age_status();
    effects
}

impl App {
    /// Notes when a status appeared, and takes it away once it has been read.
    fn age_status(&mut self) {
        let now = self.now;
        match (&self.status, &self.status_shown) {
            (None, _) => self.status_shown = None,
            (Some(status), Some((shown, at))) if shown == status => {
                let lasts = if status.error { ERROR_FOR } else { STATUS_FOR };
                if now - *at >= lasts {
                    self.status = None;
                    self.status_shown = None;
                }
            }
            (Some(status), _) => self.status_shown = Some((status.clone(), now)),
        }
    }
}

impl App {
    /// Whether a change to orders was still under way (sent, not answered) when the app
    /// quit: the process finishes it before it exits, and the terminal says so.
    pub fn change_in_flight(&self) -> bool {
        match &self.screen {
            Screen::Board(board) => {
                board.sync.change_sent || board.overlay.as_ref().is_some_and(|o| o.changing())
            }
            Screen::Login(_) => false,
        }
    }
}

fn step(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tick(now) => app.now = now,
        Msg::Resize(width, height) => app.size = (width, height),
        Msg::Key(key) if key.kind != KeyEventKind::Press => return Vec::new(),
        Msg::Key(key)
            if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) =>
        {
            app.quit = true;
            return vec![Effect::Quit];
        }
        Msg::Connection(state) => return on_connection(app, state),
        _ => {}
    }
    if let (Msg::Key(_) | Msg::Mouse(_) | Msg::Paste(_), true) = (&msg, app.too_small()) {
        // The "terminal too small" screen hides the board: keys would act blind.
        return match &msg {
            Msg::Key(key) if app.keymap.action(key) == Some(super::action::Action::Quit) => {
                app.quit = true;
                vec![Effect::Quit]
            }
            _ => Vec::new(),
        };
    }
    let (screen, mut context) = app.split();
    match screen {
        Screen::Login(form) => {
            let mut effects = match form.update(&mut context, msg) {
                LoginStep::SignedIn(actor) => {
                    let (board, effects) = BoardScreen::open(actor, &mut context);
                    app.screen = Screen::Board(Box::new(board));
                    effects
                }
                LoginStep::Effects(effects) => effects,
            };
            effects.extend(take_quit(app));
            effects
        }
        Screen::Board(board) => {
            let mut effects = board.update(&mut context, msg);
            if let Some(message) = board.sync.signed_out.take() {
                // Disabled while signed in: back to the sign-in screen, the feed stopped.
                let mut form = LoginForm::default();
                form.prefill(&board.signed_in().name);
                form.error = Some(message);
                app.screen = Screen::Login(form);
                effects.push(Effect::StopFeed);
            }
            effects.extend(take_quit(app));
            effects
        }
    }
}

/// A screen that asked to quit gets the runtime told.
fn take_quit(app: &App) -> Option<Effect> {
    app.quit.then_some(Effect::Quit)
}

fn on_connection(app: &mut App, state: ConnectionState) -> Vec<Effect> {
    let was_lost = matches!(app.connection, ConnectionState::Reconnecting(_));
    app.connection = state.clone();
    match (was_lost, state, &mut app.screen) {
        (true, ConnectionState::Online, Screen::Board(board)) => {
            app.status = Status::info("reconnected");
            // Counts and cards may have moved meanwhile; the feed catches up from its place.
            board.loading = true;
            vec![board.reload(app.now)]
        }
        _ => Vec::new(),
    }
}
