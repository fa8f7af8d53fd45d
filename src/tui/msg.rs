//! What flows into `update` (inputs and IO results) and out of it (effects to carry out).

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

use std::path::PathBuf;

use crate::auth::Secret;
use crate::config::ViewConfig;
use crate::domain::{Actor, Order, OrderId};
pub use crate::service::{BoardData, ColumnData};
use crate::service::{BulkLine, OrderView, TimelineEntry, UserSummary};
use crate::store::{Applied, ExplorerCursor, ExplorerEntry, ExplorerFilter, FeedEvent, OrderQuery};

/// Inputs to `update`: terminal events, the clock, and results of effects.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste): text for the focused input, never
    /// keys, so a pasted newline submits nothing and a pasted "y" confirms nothing.
    Paste(String),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Tick(DateTime<Utc>),
    SignedIn(Result<Actor, String>),
    BoardLoaded(Result<BoardData, String>),
    MoreCards {
        state: String,
        cards: Result<Vec<Order>, String>,
    },
    DetailLoaded(Result<Detail, String>),
    Applied(Result<Applied, ApplyFailure>),
    /// A hand retry or resolution of an effect: what was done, or why not.
    EffectSettled {
        order_id: OrderId,
        result: Result<String, String>,
    },
    /// New transitions from the live feed, oldest first.
    Feed(Vec<FeedEvent>),
    /// The current snapshot of an order a feed event or our own change touched.
    OrderChanged {
        event: FeedEvent,
        order: Option<Order>,
    },
    /// A fresh snapshot after a lost race.
    OrderRefreshed(Option<Order>),
    /// Fresh per-column counts for a workflow.
    CountsRefreshed {
        workflow: String,
        counts: Result<Vec<(String, i64)>, String>,
    },
    Connection(ConnectionState),
    /// An order looked up by id to go to (`None`: missing or not visible).
    OrderFound {
        order_id: OrderId,
        order: Option<Order>,
    },
    /// Older feed lines, newest first, to go below the ones shown.
    OlderFeed(Result<Vec<FeedEvent>, String>),
    /// Matches of a text search per workflow.
    MatchCounts {
        text: String,
        counts: Result<Vec<(String, i64)>, String>,
    },
    /// The signed-in user as the database has them now (`None`: disabled or gone).
    AccountChecked(Result<Option<Actor>, String>),
    /// The server no longer takes this UI's session (ended by an admin, or expired).
    SessionEnded(String),
    /// Every id of a column under the board's filters, for "select all".
    ColumnMarked(Result<Vec<OrderId>, String>),
    /// A bulk action's dry run.
    BulkPreviewed(Result<Vec<BulkLine>, String>),
    /// Orders a bulk action has applied (or found blocked) since the last report.
    BulkProgress(Vec<BulkLine>),
    /// The bulk action finished; the error that stopped it early, if one did.
    BulkDone(Option<String>),
    /// How many effects need a person now (zero for those who may not handle them).
    AttentionCounted(i64),
    /// A page of the history explorer, for the filter and cursor it was asked with.
    HistoryPage {
        filter: ExplorerFilter,
        after: Option<ExplorerCursor>,
        entries: Result<Vec<ExplorerEntry>, String>,
    },
    /// The users an admin may view the board as.
    UsersLoaded(Result<Vec<UserSummary>, String>),
    /// The user an admin asked to view the board as, as the service built them.
    ViewAs(Result<Actor, String>),
    /// An export finished: how many orders went to which file, or why none did.
    Exported(Result<Exported, ExportFailure>),
    /// The clipboard was written (what was copied: "#42"), or why not.
    Copied(Result<String, String>),
    /// A view was saved to the config file (and to which), or why not.
    ViewSaved(Result<(ViewConfig, PathBuf), String>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exported {
    pub count: usize,
    pub path: PathBuf,
    /// The export stopped at the bound, so the file holds the first `count` orders only.
    pub cut: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportFailure {
    /// The file exists: nothing was written; confirming exports again over it.
    Exists(PathBuf),
    /// The sentence to show.
    Failed(String),
}

/// The file format an export writes, by the path's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

impl ExportFormat {
    /// `.csv` or `.json` (any case), else `None`.
    pub fn of_path(path: &std::path::Path) -> Option<ExportFormat> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(ExportFormat::Csv),
            "json" => Some(ExportFormat::Json),
            _ => None,
        }
    }
}

/// Orders to export: the board's query, read page by page through the service.
#[derive(Clone, Debug)]
pub struct ExportRequest {
    pub actor: Actor,
    pub query: OrderQuery,
    /// The columns the board shows (quick filters hide some states): only their orders.
    pub states: Vec<String>,
    /// Only late orders (the query's due date narrows; lateness also depends on the state).
    pub late_only: bool,
    pub path: PathBuf,
    pub format: ExportFormat,
    pub overwrite: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    Online,
    /// The database stopped answering; the text says what failed.
    Reconnecting(String),
}

/// A refused or failed transition, as the UI needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyFailure {
    /// Someone moved the order first: reload it and offer what is legal now.
    Conflict { order_id: OrderId, message: String },
    /// The database or the server is unreachable (the sentence says which): nothing was
    /// applied, keep what the user typed.
    ConnectionLost(String),
    /// Refused or invalid: the sentence to show.
    Refused(String),
    /// The user was disabled (`role` None) or given another role since signing in.
    ActorChanged {
        role: Option<crate::domain::Role>,
        message: String,
    },
}

/// The selected order with everything the order pane shows.
#[derive(Clone, Debug)]
pub struct Detail {
    pub view: OrderView,
    /// Transitions and, for support and admin, refused attempts: the service's one timeline.
    pub timeline: Vec<TimelineEntry>,
}

/// One event for many orders, as the bulk overlay asks for it.
#[derive(Clone, Debug)]
pub struct BulkRequest {
    pub actor: Actor,
    pub ids: Vec<OrderId>,
    pub event: String,
    pub note: Option<String>,
    /// Applying: the orders the dry run said will move, each at the version it read (an
    /// order changed since is left alone). Empty for the dry run itself.
    pub previewed: Vec<(OrderId, i64)>,
}

/// A hand retry or (with `resolve`) resolution of one of an order's failed effects.
#[derive(Clone, Debug)]
pub struct Settlement {
    pub actor: Actor,
    pub order_id: OrderId,
    pub effect_id: i64,
    pub resolve: bool,
    pub note: Option<String>,
}

/// IO for the runtime to carry out; results come back as `Msg`s.
#[derive(Debug)]
pub enum Effect {
    SignIn {
        name: String,
        password: Secret,
    },
    /// Load a workflow's board (the start workflow when `workflow` is None).
    LoadBoard {
        actor: Actor,
        workflow: Option<String>,
        query: OrderQuery,
        with_recent: bool,
    },
    LoadMore {
        actor: Actor,
        query: OrderQuery,
    },
    LoadDetail {
        actor: Actor,
        order_id: OrderId,
    },
    Apply {
        actor: Actor,
        order_id: OrderId,
        event: String,
        note: Option<String>,
        version: i64,
    },
    /// Retry (or close by hand) one of the order's failed effects.
    SettleEffect(Settlement),
    /// Every id of the column `query` names (its state), up to the bulk limit.
    MarkColumn {
        actor: Actor,
        query: OrderQuery,
    },
    /// `event` on each of `ids`, as a dry run.
    BulkPreview(BulkRequest),
    /// `event` on each of `ids`, each in its own transaction, with progress.
    BulkApply(BulkRequest),
    /// Count the effects that failed or found no sink, for the header's badge.
    CountAttention {
        actor: Actor,
    },
    /// Fetch the order a feed event names, as the actor may see it.
    FollowEvent {
        actor: Actor,
        event: FeedEvent,
    },
    /// Fetch an order again after a lost race, as the actor may see it.
    RefreshOrder {
        actor: Actor,
        order_id: OrderId,
    },
    /// Re-read the per-column counts of a workflow under the board's filters.
    RefreshCounts {
        actor: Actor,
        workflow: String,
        query: OrderQuery,
    },
    /// Start the live feed after this event, the board snapshot's feed position (replacing
    /// a feed already running).
    StartFeed {
        actor: Actor,
        after_id: i64,
    },
    /// Stop the live feed (signed out).
    StopFeed,
    /// Look an order up by id, to go to it wherever it is.
    GoToOrder {
        actor: Actor,
        order_id: OrderId,
    },
    /// Read the feed further back, before this history id.
    LoadOlderFeed {
        actor: Actor,
        before: i64,
    },
    /// Count a text search's matches in every workflow.
    CountMatches {
        actor: Actor,
        text: String,
    },
    /// Re-read the signed-in user: an admin may have disabled or demoted them.
    CheckAccount {
        actor: Actor,
    },
    /// IO for the screens over the board (the explorer, "view as").
    Screen(ScreenIo),
    /// Write the board's orders to a file.
    Export(ExportRequest),
    /// Put text on the clipboard (OSC 52, through the terminal); `label` names it.
    Copy {
        text: String,
        label: String,
    },
    /// Draw with the dark or the light theme from now on.
    SetTheme(super::theme::ThemeName),
    /// Append a view to the config file.
    SaveView {
        path: PathBuf,
        view: ViewConfig,
    },
    Quit,
}

/// IO the screens over the board ask for.
#[derive(Debug)]
pub enum ScreenIo {
    /// One keyset page of the history explorer, newest first, after `after`.
    ExploreHistory {
        actor: Actor,
        filter: ExplorerFilter,
        after: Option<ExplorerCursor>,
    },
    /// The users, for an admin's "view as".
    LoadUsers { actor: Actor },
    /// The named user as an actor, for an admin to view the board as (read-only).
    ViewAs { actor: Actor, name: String },
}
