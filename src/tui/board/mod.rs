//! The board screen: a column per workflow state, the order pane, the live feed and the
//! overlays. This module holds its state; `keys` turns keys and the mouse into changes,
//! `sync` applies what the database sends back, `draw` renders it.

mod account;
mod act;
mod bulk;
mod commands;
mod draw;
mod export;
mod keys;
mod navigate;
mod screens;
mod sync;

pub use screens::Top;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use tui_input::Input;

use super::app::{Context, PAGE};
use super::feed_pane::FeedPane;
use super::layout::{BoardGeometry, board_geometry};
use super::msg::{Effect, Msg};
use super::order_pane::OrderPane;
use super::overlays::Overlay;
use crate::config::{QuickFilter, ViewConfig};
use crate::domain::{Actor, Order, OrderId, OrderSort};
use crate::service::FEED_RECENT;
use crate::store::{FeedEvent, OrderQuery};
use crate::workflow::Workflow;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Board,
    Order,
    Feed,
}

/// The quick filters, which combine: mine and late shows my late orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct QuickFilters {
    pub mine: bool,
    pub late: bool,
    pub disputes: bool,
    /// Orders with an effect that failed or found no sink: support's queue.
    pub needs_attention: bool,
}

impl QuickFilters {
    pub fn is_empty(self) -> bool {
        self == QuickFilters::default()
    }

    /// The words the header shows, one per filter that is on.
    pub fn labels(self) -> Vec<&'static str> {
        [
            (self.mine, "mine"),
            (self.late, "late"),
            (self.disputes, "disputes"),
            (self.needs_attention, "failed effects"),
        ]
        .into_iter()
        .filter_map(|(on, label)| on.then_some(label))
        .collect()
    }

    /// The filters a saved view names.
    pub fn of_view(names: &[QuickFilter]) -> QuickFilters {
        QuickFilters {
            mine: names.contains(&QuickFilter::Mine),
            late: names.contains(&QuickFilter::Late),
            disputes: names.contains(&QuickFilter::Disputes),
            needs_attention: names.contains(&QuickFilter::FailedEffects),
        }
    }

    /// The filters that are on, as a saved view names them.
    pub fn to_view(self) -> Vec<QuickFilter> {
        [
            (self.mine, QuickFilter::Mine),
            (self.late, QuickFilter::Late),
            (self.disputes, QuickFilter::Disputes),
            (self.needs_attention, QuickFilter::FailedEffects),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }

    /// Whether a state's column shows under these filters.
    pub fn shows_state(self, workflow: &Workflow, state: &str) -> bool {
        let state = state.to_string();
        (!self.late || workflow.late_states.contains(&state))
            && (!self.disputes || workflow.dispute_states.contains(&state))
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
    /// The last card paging reached: the next page starts after it (a card placed by "go to"
    /// beyond it does not move it, so paging skips nothing).
    pub paged_to: Option<Order>,
    pub loading_more: bool,
}

/// Where the user is: the column, the sideways scroll, folded columns and the focused pane.
pub struct Selection {
    pub column: usize,
    pub first_visible_column: usize,
    pub show_terminal: bool,
    pub focus: Pane,
    /// Cards selected for a bulk action (space, V), in this workflow.
    pub marked: std::collections::BTreeSet<OrderId>,
}

/// What narrows the board: the text filter (and its box while typing) and a quick filter.
#[derive(Default)]
pub struct Filters {
    pub text: String,
    pub input: Option<Input>,
    /// The text before the box opened, for Esc to put back.
    pub text_before: String,
    pub quick: QuickFilters,
    /// Matches of the text filter in each workflow: search covers them all.
    pub match_counts: Vec<(String, i64)>,
    /// The text matched more orders than a search reads: the board shows the newest.
    pub matches_capped: bool,
    /// The status line says the text is too short or too long to search (cleared once it
    /// is not).
    pub text_refused: bool,
    /// How the columns order their cards.
    pub sort: OrderSort,
}

impl Filters {
    /// The filters and sort a saved view names.
    pub fn of_view(view: &ViewConfig) -> Filters {
        Filters {
            text: view.filter.clone(),
            quick: QuickFilters::of_view(&view.quick),
            sort: view.sort.unwrap_or_default(),
            ..Filters::default()
        }
    }

    /// The text filter's matches in workflows other than the one shown: "checkout 2" (or
    /// "checkout 2+" when the search read only its newest matches).
    pub fn matches_elsewhere(&self, shown: &str) -> Vec<String> {
        let at_least = if self.matches_capped { "+" } else { "" };
        self.match_counts
            .iter()
            .filter(|(workflow, _)| workflow != shown)
            .map(|(workflow, n)| format!("{workflow} {n}{at_least}"))
            .collect()
    }
}

/// Keeping the board in step with the database while changes arrive.
#[derive(Default)]
pub struct LiveSync {
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
    /// When the signed-in user was last re-read, and whether a read is running.
    pub account_checked_at: Option<DateTime<Utc>>,
    pub account_check_in_flight: bool,
    /// Effects that failed or found no sink, across orders (support and admin): the header's
    /// badge, re-counted with the account check.
    pub effects_needing_attention: i64,
    /// Set when the user turned out disabled: the app signs out with this message.
    pub signed_out: Option<String>,
    /// An order to select once its workflow's board has loaded (go to order).
    pub goto: Option<Order>,
    /// Feed events that arrived while a board load was running: its snapshot may predate
    /// them, so their orders are placed again once it lands (bounded like the feed pane).
    pub arrived_while_loading: Vec<FeedEvent>,
    /// A note typed for an order before a lost race (or a declined confirmation), offered
    /// again in that order's next note box.
    pub kept_note: Option<(OrderId, String)>,
    /// A transition or an effect's settlement was sent and has not been answered yet.
    pub change_sent: bool,
}

pub struct BoardScreen {
    pub actor: Actor,
    /// Workflows holding orders this user may see, and the one shown.
    pub workflow_names: Vec<String>,
    pub workflow: String,
    pub columns: Vec<Column>,
    pub selection: Selection,
    pub filters: Filters,
    pub order_pane: OrderPane,
    pub feed: FeedPane,
    pub overlay: Option<Overlay>,
    pub loading: bool,
    /// The workflow a switch is loading, until it arrives.
    pub switching_to: Option<String>,
    pub sync: LiveSync,
    /// The admin viewing this board as `actor` ("view as"): read-only while set.
    pub viewer: Option<Actor>,
    /// The graph or the history explorer, drawn instead of the board while open.
    pub top: Option<Top>,
}

impl BoardScreen {
    /// The board right after sign-in on the role's start view (`start.ROLE`: support on
    /// disputes, unless the config says otherwise), and the load that fills it.
    pub fn open(actor: Actor, context: &mut Context) -> (BoardScreen, Vec<Effect>) {
        let start = super::views::start_view(context.views, actor.role)
            .cloned()
            .unwrap_or_default();
        let board = BoardScreen {
            actor: actor.clone(),
            workflow_names: Vec::new(),
            workflow: String::new(),
            columns: Vec::new(),
            selection: Selection {
                column: 0,
                first_visible_column: 0,
                show_terminal: false,
                focus: Pane::Board,
                marked: Default::default(),
            },
            filters: Filters::of_view(&start),
            order_pane: OrderPane::default(),
            feed: FeedPane::default(),
            overlay: None,
            loading: true,
            switching_to: None,
            sync: LiveSync::default(),
            viewer: None,
            top: None,
        };
        let effect = Effect::LoadBoard {
            actor,
            workflow: start
                .workflow
                .or_else(|| context.default_workflow.map(str::to_string)),
            query: board.query(context.now),
            with_recent: true,
        };
        (board, vec![effect])
    }

    /// One message for the board.
    pub fn update(&mut self, context: &mut Context, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Resize(..) => {
                self.keep_selection_visible(context.size);
                Vec::new()
            }
            Msg::Key(key) => match self.on_top_key(context, key) {
                Some(effects) => effects,
                None => self.on_key(context, key),
            },
            Msg::Paste(text) => match &mut self.top {
                Some(Top::Explorer(explorer)) => {
                    explorer.on_paste(&text);
                    Vec::new()
                }
                Some(Top::Graph(_)) => Vec::new(),
                None => self.on_paste(context, &text),
            },
            msg @ (Msg::HistoryPage { .. } | Msg::UsersLoaded(_) | Msg::ViewAs(_)) => {
                self.on_screen_msg(context, msg)
            }
            Msg::OrderFound { order_id, order } => self.on_order_found(context, order_id, order),
            Msg::OlderFeed(result) => {
                match result {
                    Ok(events) => self.feed.add_older(events, FEED_RECENT as usize),
                    Err(error) => {
                        self.feed.loading_older = false;
                        *context.status = super::app::Status::error(error);
                    }
                }
                Vec::new()
            }
            Msg::MatchCounts { text, counts } => {
                if text == self.filters.text {
                    self.filters.match_counts = counts.unwrap_or_default();
                    // Also said on the status line, which a narrow header has no room for.
                    let elsewhere = self.filters.matches_elsewhere(&self.workflow);
                    if !elsewhere.is_empty() {
                        *context.status = super::app::Status::info(format!(
                            "also matching: {} (w to switch)",
                            elsewhere.join(", ")
                        ));
                    }
                }
                Vec::new()
            }
            Msg::Mouse(_) if self.top.is_some() => Vec::new(),
            Msg::Mouse(mouse) => self.on_mouse(context, mouse),
            Msg::BoardLoaded(result) => self.on_board_loaded(context, result),
            Msg::MoreCards { state, cards } => self.on_more_cards(context, &state, cards),
            Msg::DetailLoaded(result) => {
                let selected = self.selected_id();
                self.order_pane.on_detail_loaded(context, selected, result);
                Vec::new()
            }
            Msg::Applied(result) => self.on_applied(context, result),
            Msg::EffectSettled { order_id, result } => {
                self.on_effect_settled(context, order_id, result)
            }
            Msg::Feed(events) => self.on_feed(events),
            Msg::OrderChanged { event, order } => self.on_order_changed(context, event, order),
            Msg::OrderRefreshed(order) => self.on_order_refreshed(context, order),
            Msg::CountsRefreshed { workflow, counts } => self.on_counts(context, &workflow, counts),
            Msg::Tick(now) => self.check_account(now),
            Msg::AccountChecked(result) => self.on_account_checked(context, result),
            Msg::SessionEnded(message) => {
                self.sync.signed_out = Some(message);
                Vec::new()
            }
            Msg::ColumnMarked(result) => self.on_column_marked(context, result),
            Msg::BulkPreviewed(result) => self.on_bulk_previewed(result),
            Msg::BulkProgress(lines) => self.on_bulk_progress(lines),
            Msg::BulkDone(error) => self.on_bulk_done(context, error),
            Msg::AttentionCounted(count) => {
                let changed =
                    std::mem::replace(&mut self.sync.effects_needing_attention, count) != count;
                if changed && self.filters.quick.needs_attention {
                    self.loading = true;
                    return vec![self.reload(context.now)];
                }
                Vec::new()
            }
            Msg::Exported(result) => self.on_exported(context, result),
            Msg::Copied(result) => {
                *context.status = match result {
                    Ok(what) => super::app::Status::info(format!("copied {what}")),
                    Err(error) => super::app::Status::error(error),
                };
                Vec::new()
            }
            Msg::ViewSaved(result) => self.on_view_saved(context, result),
            Msg::SignedIn(_) | Msg::Connection(_) => Vec::new(),
        }
    }

    /// Pasted text goes into the text box that is open, if one is; otherwise nowhere.
    fn on_paste(&mut self, context: &mut Context, text: &str) -> Vec<Effect> {
        if let Some(input) = &mut self.filters.input {
            super::paste::insert(input, text);
            return self.filter_as_typed(context);
        }
        match &mut self.overlay {
            Some(Overlay::Note(form)) if !form.busy => {
                super::paste::insert(&mut form.input, text);
                form.error = None;
            }
            Some(Overlay::Palette(palette)) => palette.paste(text),
            Some(Overlay::Prompt(prompt)) => prompt.paste(text),
            _ => {}
        }
        if let Some(Overlay::Bulk(form)) = &mut self.overlay {
            form.paste(text);
        }
        Vec::new()
    }

    /// Who signed in: the admin while viewing as someone else, else the board's actor.
    pub fn signed_in(&self) -> &Actor {
        self.viewer.as_ref().unwrap_or(&self.actor)
    }

    /// Indices of the columns shown (terminal ones hidden when collapsed).
    pub fn visible_columns(&self) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|i| self.selection.show_terminal || !self.columns[*i].terminal)
            .collect()
    }

    pub fn selected_order(&self) -> Option<&Order> {
        let column = self.columns.get(self.selection.column)?;
        column.cards.get(column.selected)
    }

    /// The query behind the board: visibility comes from the actor in the service; this adds
    /// the filters.
    pub fn query(&self, now: DateTime<Utc>) -> OrderQuery {
        let quick = self.filters.quick;
        OrderQuery {
            workflow: Some(self.workflow.clone()),
            state: None,
            due_before: quick.late.then_some(now),
            text: (!self.filters.text.is_empty()).then(|| self.filters.text.clone()),
            acted_by: (quick.mine && self.actor.role.sees_every_order())
                .then(|| self.actor.name.clone()),
            needs_attention: quick.needs_attention,
            after_id: None,
            after_key: None,
            sort: self.filters.sort,
            limit: PAGE,
        }
    }

    /// Reloads the workflow on screen under the current filters.
    pub fn reload(&self, now: DateTime<Utc>) -> Effect {
        Effect::LoadBoard {
            actor: self.actor.clone(),
            workflow: Some(self.workflow.clone()),
            query: self.query(now),
            with_recent: false,
        }
    }

    /// Whether an order belongs on the board under the current filters: the one check for
    /// a card placed by a load, a feed event or a refresh.
    pub fn admits(
        &self,
        order: &Order,
        workflow: &Workflow,
        now: DateTime<Utc>,
        acted_now_by: Option<&str>,
    ) -> bool {
        if order.workflow != self.workflow || !order.is_visible_to(&self.actor) {
            return false;
        }
        let text = &self.filters.text;
        let text_ok = text.is_empty() || {
            let needle = text.to_lowercase();
            let id = needle.trim_start_matches('#');
            order.title.to_lowercase().contains(&needle)
                || order.customer.to_lowercase().contains(&needle)
                || order.seller.to_lowercase().contains(&needle)
                || order.id.to_string() == id
        };
        let quick = self.filters.quick;
        let quick_ok = (!quick.late || workflow.is_late(order, now))
            && (!quick.disputes || workflow.dispute_states.contains(&order.state))
            && (!quick.mine
                || !self.actor.role.sees_every_order()
                || acted_now_by == Some(self.actor.name.as_str()))
            // Effects fail without a feed event, so the board cannot tell from one: under
            // this filter a moved card stays, no new one comes in (a changed count of failed
            // effects reloads the board instead).
            && (!quick.needs_attention || self.find_order(order.id).is_some());
        text_ok && quick_ok
    }

    fn column_index(&self, state: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.state == state)
    }

    fn selected_id(&self) -> Option<OrderId> {
        self.selected_order().map(|o| o.id)
    }

    fn find_order(&self, id: OrderId) -> Option<&Order> {
        self.columns
            .iter()
            .flat_map(|c| c.cards.iter())
            .find(|o| o.id == id)
    }

    fn clamp_selection(&mut self) {
        let visible = self.visible_columns();
        if !visible.contains(&self.selection.column) {
            self.selection.column = visible.first().copied().unwrap_or(0);
        }
        for column in &mut self.columns {
            if column.selected >= column.cards.len() {
                column.selected = column.cards.len().saturating_sub(1);
            }
        }
    }

    fn select_order(&mut self, id: OrderId) -> bool {
        for (index, column) in self.columns.iter_mut().enumerate() {
            if let Some(position) = column.cards.iter().position(|c| c.id == id) {
                column.selected = position;
                self.selection.column = index;
                return true;
            }
        }
        false
    }

    /// Asks for the selected order's details unless they are loaded for its version.
    fn load_detail(&mut self) -> Vec<Effect> {
        let selected = self.selected_order().map(|o| (o.id, o.version));
        self.order_pane
            .load_for(&self.actor, selected)
            .into_iter()
            .collect()
    }

    /// Scrolls the selected column so its selected card shows, and the board sideways so the
    /// selected column shows.
    pub fn keep_selection_visible(&mut self, size: (u16, u16)) {
        let geometry: BoardGeometry = board_geometry(size, self);
        let per_column = geometry.cards_per_column.max(1);
        if let Some(column) = self.columns.get_mut(self.selection.column) {
            if column.selected < column.offset {
                column.offset = column.selected;
            } else if column.selected >= column.offset + per_column {
                column.offset = column.selected + 1 - per_column;
            }
        }
        let visible = self.visible_columns();
        let Some(position) = visible.iter().position(|i| *i == self.selection.column) else {
            return;
        };
        let fit = geometry.columns_that_fit.max(1);
        let first = &mut self.selection.first_visible_column;
        if position < *first {
            *first = position;
        } else if position >= *first + fit {
            *first = position + 1 - fit;
        }
        *first = (*first).min(visible.len().saturating_sub(fit));
    }
}
