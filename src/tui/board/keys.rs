//! The board's keys and mouse: moving, filtering, switching workflow; what an overlay returns
//! is carried out in `act`.

use crate::domain::search::TextFilter;
use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::{BoardScreen, Pane, QuickFilters};
use crate::store::OrderQuery;
use crate::tui::action::{Action, InputAction};
use crate::tui::app::{Context, Status};
use crate::tui::layout::board_geometry;
use crate::tui::msg::Effect;
use crate::tui::overlays::Overlay;
use crate::tui::widgets::ScrollMove;

impl BoardScreen {
    pub(super) fn on_key(&mut self, context: &mut Context, key: KeyEvent) -> Vec<Effect> {
        // Text entry owns the keys while it is open.
        if let Some(input) = &mut self.filters.input {
            return match context.keymap.input.action(&key) {
                Some(InputAction::Submit) => self.submit_filter(context),
                Some(InputAction::Cancel) => {
                    self.filters.input = None;
                    let before = std::mem::take(&mut self.filters.text_before);
                    self.filter_by(context, before)
                }
                None => {
                    input.handle_event(&crossterm::event::Event::Key(key));
                    self.filter_as_typed(context)
                }
            };
        }
        if let Some(overlay) = &mut self.overlay {
            let outcome = overlay.on_key(context.keymap, context.size, key);
            return self.carry_out(context, outcome);
        }
        match context.keymap.action(&key) {
            Some(action) => self.on_action(context, action),
            None => Vec::new(),
        }
    }

    /// What a board key does; the palette runs its commands through here too.
    pub(super) fn on_action(&mut self, context: &mut Context, action: Action) -> Vec<Effect> {
        let now = context.now;
        match action {
            Action::Quit => {
                *context.quit = true;
                Vec::new()
            }
            Action::Help => {
                self.overlay = Some(Overlay::Help(Default::default()));
                Vec::new()
            }
            Action::Up
            | Action::Down
            | Action::Top
            | Action::Bottom
            | Action::PageUp
            | Action::PageDown => self.move_or_scroll(action, context),
            Action::Left | Action::Right if self.selection.focus == Pane::Order => {
                self.order_pane
                    .switch_tab(if action == Action::Left { -1 } else { 1 });
                Vec::new()
            }
            Action::Left | Action::Right => self.move_sideways(action, context.size),
            Action::OpenMenu if self.selection.focus == Pane::Feed => self.go_to_feed_row(),
            Action::OpenMenu => self.open_menu(context),
            Action::Back => self.back(context),
            Action::NextPane | Action::PreviousPane => {
                self.cycle_focus(action);
                Vec::new()
            }
            Action::Filter => {
                self.filters.input = Some(Input::new(self.filters.text.clone()));
                self.filters.text_before = self.filters.text.clone();
                Vec::new()
            }
            Action::MineOnly
            | Action::LateOnly
            | Action::DisputesOnly
            | Action::NeedsAttentionOnly => self.toggle_quick_filter(context, action),
            Action::SwitchWorkflow => self.switch_workflow(context, 1),
            Action::PreviousWorkflow => self.switch_workflow(context, -1),
            Action::ToggleTerminalColumns => {
                self.selection.show_terminal = !self.selection.show_terminal;
                self.clamp_selection();
                self.keep_selection_visible(context.size);
                self.load_detail()
            }
            Action::Refresh => {
                self.loading = true;
                vec![self.reload(now)]
            }
            Action::ToggleMark => self.toggle_mark(context),
            Action::MarkColumn => self.mark_column(context),
            Action::Bulk => self.open_bulk(context),
            Action::StateGraph => self.open_graph(context),
            Action::HistoryExplorer => self.open_explorer(context),
            Action::ViewAs => self.view_as(context),
            Action::Sort => self.sort_by(context, self.filters.sort.next()),
            Action::Palette => self.open_palette(context),
            Action::Export => self.open_export(context),
            Action::CopyId | Action::CopySummary => self.copy(context, action),
            Action::SaveView => self.open_save_view(),
        }
    }

    /// Sorts the columns another way and reloads them.
    pub(super) fn sort_by(
        &mut self,
        context: &mut Context,
        sort: crate::domain::OrderSort,
    ) -> Vec<Effect> {
        self.filters.sort = sort;
        *context.status = Status::info(format!("columns sorted by {}", sort.label()));
        self.loading = true;
        vec![self.reload(context.now)]
    }

    /// The filter follows every keystroke; "#1234" waits for Enter, which goes to the order.
    pub(super) fn filter_as_typed(&mut self, context: &mut Context) -> Vec<Effect> {
        let typed = self
            .filters
            .input
            .as_ref()
            .map(|i| i.value().trim().to_string())
            .unwrap_or_default();
        if order_id_of(&typed).is_some() {
            return Vec::new();
        }
        self.filter_by(context, typed)
    }

    fn submit_filter(&mut self, context: &mut Context) -> Vec<Effect> {
        let typed = self
            .filters
            .input
            .take()
            .map(|i| i.value().trim().to_string())
            .unwrap_or_default();
        match order_id_of(&typed) {
            Some(order_id) => {
                let before = std::mem::take(&mut self.filters.text_before);
                let mut effects = self.filter_by(context, before);
                effects.push(Effect::GoToOrder {
                    actor: self.actor.clone(),
                    order_id,
                });
                effects
            }
            None => self.filter_by(context, typed),
        }
    }

    /// Reloads under a new text filter (nothing when it did not change), counting its
    /// matches in every workflow too.
    fn filter_by(&mut self, context: &mut Context, text: String) -> Vec<Effect> {
        // Too short to search: the board keeps its last filter until the text is long enough.
        if let Some(problem) = TextFilter::of(Some(&text)).problem() {
            *context.status = Status::info(problem);
            self.filters.text_refused = true;
            return Vec::new();
        }
        if std::mem::take(&mut self.filters.text_refused) {
            *context.status = None;
        }
        if text == self.filters.text {
            return Vec::new();
        }
        self.filters.text = text;
        self.filters.match_counts.clear();
        self.filters.matches_capped = false;
        self.loading = true;
        let mut effects = vec![self.reload(context.now)];
        if !self.filters.text.is_empty() {
            effects.push(Effect::CountMatches {
                actor: self.actor.clone(),
                text: self.filters.text.clone(),
            });
        }
        effects
    }

    fn go_to_feed_row(&mut self) -> Vec<Effect> {
        match self.feed.selected_event() {
            Some(event) => vec![Effect::GoToOrder {
                actor: self.actor.clone(),
                order_id: event.entry.order_id,
            }],
            None => Vec::new(),
        }
    }

    fn move_or_scroll(&mut self, action: Action, context: &Context) -> Vec<Effect> {
        let (workflows, size, now, zone) =
            (context.workflows, context.size, context.now, context.zone);
        let geometry = board_geometry(size, self);
        let step = scroll_move(action);
        match self.selection.focus {
            Pane::Board => self.move_vertically(action, size, now),
            Pane::Order => {
                let (total, height) = self.order_pane.measure(
                    self.selected_order(),
                    workflows,
                    (now, zone),
                    geometry.order,
                );
                self.order_pane.scroll.apply(step, total, height);
                Vec::new()
            }
            Pane::Feed => {
                let height = geometry.feed.height.saturating_sub(2) as usize;
                self.feed.move_selection(step, height);
                match self.feed.wants_older() {
                    Some(before) => vec![Effect::LoadOlderFeed {
                        actor: self.actor.clone(),
                        before,
                    }],
                    None => Vec::new(),
                }
            }
        }
    }

    fn move_sideways(&mut self, action: Action, size: (u16, u16)) -> Vec<Effect> {
        let visible = self.visible_columns();
        if let Some(position) = visible.iter().position(|i| *i == self.selection.column) {
            let next = if action == Action::Left {
                position.checked_sub(1)
            } else {
                (position + 1 < visible.len()).then_some(position + 1)
            };
            if let Some(next) = next {
                self.selection.column = visible[next];
            }
        }
        self.keep_selection_visible(size);
        self.load_detail()
    }

    fn back(&mut self, context: &mut Context) -> Vec<Effect> {
        if self.selection.focus != Pane::Board {
            self.selection.focus = Pane::Board;
            Vec::new()
        } else if self.viewer.is_some() {
            self.view_as(context)
        } else if !self.filters.text.is_empty() || !self.filters.quick.is_empty() {
            self.filters.text.clear();
            self.filters.quick = QuickFilters::default();
            self.loading = true;
            *context.status = Status::info("filters cleared");
            vec![self.reload(context.now)]
        } else {
            Vec::new()
        }
    }

    fn cycle_focus(&mut self, action: Action) {
        let order = [Pane::Board, Pane::Order, Pane::Feed];
        let at = order
            .iter()
            .position(|p| *p == self.selection.focus)
            .unwrap_or(0);
        let step = if action == Action::NextPane {
            1
        } else {
            order.len() - 1
        };
        self.selection.focus = order[(at + step) % order.len()];
    }

    fn toggle_quick_filter(&mut self, context: &mut Context, action: Action) -> Vec<Effect> {
        let quick = &mut self.filters.quick;
        let flag = match action {
            Action::MineOnly => &mut quick.mine,
            Action::LateOnly => &mut quick.late,
            Action::NeedsAttentionOnly => &mut quick.needs_attention,
            _ => &mut quick.disputes,
        };
        *flag = !*flag;
        if action == Action::MineOnly && quick.mine && !self.actor.role.sees_every_order() {
            *context.status = Status::info(format!(
                "as a {} you only see your own orders",
                self.actor.role
            ));
        }
        self.loading = true;
        vec![self.reload(context.now)]
    }

    /// Moves `step` workflows on (or back), counting from the one a load is already on its
    /// way to, so two quick presses move two workflows.
    fn switch_workflow(&mut self, context: &mut Context, step: isize) -> Vec<Effect> {
        let count = self.workflow_names.len();
        if count < 2 {
            *context.status = Status::info("this database holds orders of one workflow only");
            return Vec::new();
        }
        let from = self.switching_to.as_ref().unwrap_or(&self.workflow);
        let at = self
            .workflow_names
            .iter()
            .position(|w| w == from)
            .unwrap_or(0);
        let next =
            self.workflow_names[(at as isize + step).rem_euclid(count as isize) as usize].clone();
        self.load_workflow(context, next)
    }

    /// Loads another workflow's board under the current filters.
    pub(super) fn load_workflow(&mut self, context: &Context, next: String) -> Vec<Effect> {
        self.switching_to = Some(next.clone());
        self.loading = true;
        self.order_pane.detail = None;
        vec![Effect::LoadBoard {
            actor: self.actor.clone(),
            workflow: Some(next),
            query: OrderQuery {
                workflow: None,
                ..self.query(context.now)
            },
            with_recent: false,
        }]
    }

    fn move_vertically(
        &mut self,
        action: Action,
        size: (u16, u16),
        now: DateTime<Utc>,
    ) -> Vec<Effect> {
        let page = board_geometry(size, self).cards_per_column.max(1);
        let query = self.query(now);
        let actor = self.actor.clone();
        let Some(column) = self.columns.get_mut(self.selection.column) else {
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
        if column.selected + page >= column.cards.len() && !column.exhausted && !column.loading_more
        {
            column.loading_more = true;
            effects.push(Effect::LoadMore {
                actor,
                query: OrderQuery {
                    state: Some(column.state.clone()),
                    after_id: column.paged_to.as_ref().map(|o| o.id),
                    after_key: column.paged_to.as_ref().and_then(|o| query.sort.key(o)),
                    ..query
                },
            });
        }
        self.keep_selection_visible(size);
        effects.extend(self.load_detail());
        effects
    }

    /// A click selects a card, focuses a pane or picks a menu item; the wheel scrolls what
    /// is under the pointer.
    pub(super) fn on_mouse(&mut self, context: &mut Context, mouse: MouseEvent) -> Vec<Effect> {
        let (x, y) = (mouse.column, mouse.row);
        let click = mouse.kind == MouseEventKind::Down(MouseButton::Left);
        if let Some(Overlay::Menu(menu)) = &mut self.overlay {
            let screen = Rect::new(0, 0, context.size.0, context.size.1);
            let Some(item) = menu
                .item_at((context.keymap, context.workflows), screen, (x, y))
                .filter(|_| click)
            else {
                return Vec::new();
            };
            menu.selected = item;
            let outcome = menu.choose();
            return self.carry_out(context, outcome);
        }
        if self.overlay.is_some() || self.filters.input.is_some() {
            return Vec::new();
        }
        let geometry = board_geometry(context.size, self);
        let pane = if geometry.order.contains((x, y).into()) {
            Pane::Order
        } else if geometry.feed.contains((x, y).into()) {
            Pane::Feed
        } else {
            Pane::Board
        };
        let step = match mouse.kind {
            MouseEventKind::ScrollDown => Some(Action::Down),
            MouseEventKind::ScrollUp => Some(Action::Up),
            _ => None,
        };
        match (pane, click, step) {
            (Pane::Board, true, _) => {
                let Some((column, card)) = geometry.card_at(x, y, self) else {
                    return Vec::new();
                };
                self.selection.column = column;
                self.columns[column].selected = card;
                self.selection.focus = Pane::Board;
                self.keep_selection_visible(context.size);
                self.load_detail()
            }
            (Pane::Board, false, Some(action)) => {
                let Some(column) = geometry.column_at(x, y) else {
                    return Vec::new();
                };
                self.selection.column = column;
                self.move_vertically(action, context.size, context.now)
            }
            (Pane::Feed, true, _) => {
                self.selection.focus = Pane::Feed;
                let row = y.saturating_sub(geometry.feed.y + 1) as usize;
                let target = self.feed.scroll.offset + row;
                if target < self.feed.events.len() {
                    self.feed.selected = target;
                }
                Vec::new()
            }
            (Pane::Order, true, _) => {
                self.selection.focus = Pane::Order;
                Vec::new()
            }
            (pane, false, Some(action)) => {
                // The wheel scrolls the pane under it, whichever pane has focus.
                let focus = std::mem::replace(&mut self.selection.focus, pane);
                let effects = self.move_or_scroll(action, context);
                self.selection.focus = focus;
                effects
            }
            _ => Vec::new(),
        }
    }
}

/// "#1234" (or "#1234" with spaces around) as an order id to go to.
fn order_id_of(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('#')?;
    digits.parse::<i64>().ok().filter(|id| *id > 0)
}

/// A scrolling key as a pane move.
fn scroll_move(action: Action) -> ScrollMove {
    match action {
        Action::Up => ScrollMove::Up,
        Action::Down => ScrollMove::Down,
        Action::PageUp => ScrollMove::PageUp,
        Action::PageDown => ScrollMove::PageDown,
        Action::Top => ScrollMove::Top,
        _ => ScrollMove::Bottom,
    }
}
