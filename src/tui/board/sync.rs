//! Keeping the board in step with the database: loads, pages, our own applies, the live
//! feed, refreshed orders and counts. Each card takes its place from a fresh snapshot, so
//! the result is the same whatever order the answers arrive in.

use super::{BoardScreen, Column, QuickFilters};
use crate::domain::search::MATCHES_READ;
use crate::domain::{Actor, Order, OrderSort};
use crate::service::BoardData;
use crate::store::{Applied, FeedEvent, HistoryEntry};
use crate::tui::app::{Context, PAGE, Status};
use crate::tui::msg::{ApplyFailure, Effect};
use crate::tui::overlays::Overlay;
use crate::workflow::Workflow;

/// At most this many events are placed again after a load: a load takes well under a second,
/// and a burst beyond this is more than a screen's worth of cards.
const ARRIVED_WHILE_LOADING: usize = 2_000;

impl BoardScreen {
    pub(super) fn on_board_loaded(
        &mut self,
        context: &mut Context,
        result: Result<BoardData, String>,
    ) -> Vec<Effect> {
        // A stale answer (an older switch's, or text typed past) changes nothing: the
        // current one is on its way, whatever order they arrive in.
        let arrived = std::mem::take(&mut self.sync.arrived_while_loading);
        let data = match result {
            Ok(data)
                if self
                    .switching_to
                    .as_ref()
                    .is_some_and(|to| *to != data.workflow) =>
            {
                self.sync.arrived_while_loading = arrived;
                return Vec::new();
            }
            Ok(data) if data.text.as_deref().unwrap_or("") != self.filters.text => {
                self.sync.arrived_while_loading = arrived;
                return Vec::new();
            }
            Ok(data) => data,
            Err(error) => {
                self.loading = false;
                self.switching_to = None;
                *context.status = Status::error(error);
                return Vec::new();
            }
        };
        self.loading = false;
        let Some(workflow) = context.workflows.get(&data.workflow).cloned() else {
            *context.status =
                Status::error(format!("workflow \"{}\" is not loaded", data.workflow));
            return Vec::new();
        };
        self.switching_to = None;
        let keep = self.selected_id();
        let first_load = self.columns.is_empty() || self.workflow != data.workflow;
        if self.workflow != data.workflow {
            // Marks belong to one workflow's board: an event means nothing in another.
            self.selection.marked.clear();
        }
        self.workflow_names = data.workflows;
        self.workflow = data.workflow;
        self.columns = columns(&workflow, self.filters.quick, &data.columns);
        // Said once per text (a live reload of the same search keeps the status line).
        let newly_capped = data.matches_capped && !self.filters.matches_capped;
        self.filters.matches_capped = data.matches_capped;
        if newly_capped {
            *context.status = Status::info(format!(
                "over {MATCHES_READ} match; the newest {MATCHES_READ} shown, type more to narrow"
            ));
        }
        if !data.unknown_states.is_empty() {
            let listed: Vec<String> = data
                .unknown_states
                .iter()
                .map(|(state, n)| format!("{state} ({n})"))
                .collect();
            *context.status = Status::error(format!(
                "orders in states workflow \"{}\" no longer has: {}; `orderboard verify` names them",
                self.workflow,
                listed.join(", ")
            ));
        } else if self.columns.is_empty() {
            *context.status = Status::info("this workflow has no columns under the current filter");
        }
        self.place_selection(&workflow, first_load, keep, context.size);
        if let Some(order) = self.sync.goto.take_if(|o| o.workflow == self.workflow) {
            self.show_order(order, context.size);
        } else if !self.filters.text.is_empty() && self.selected_order().is_none() {
            self.select_first_match(context);
        }
        let mut effects = Vec::new();
        if !data.recent.is_empty() && self.feed.events.is_empty() {
            self.feed.events = data.recent.into_iter().collect();
        }
        if !self.sync.feed_started {
            // From the snapshot's position in the feed: everything committed after it comes
            // through the feed and is placed as it arrives (the opening lines are shown
            // already and are not repeated).
            self.sync.feed_started = true;
            effects.push(Effect::StartFeed {
                actor: self.actor.clone(),
                after_id: data.as_of,
            });
        }
        effects.extend(self.place_again(arrived, data.as_of));
        effects.extend(self.load_detail());
        effects
    }

    /// Transitions that arrived while the snapshot was read may be missing from it: their
    /// orders are placed again (placement is idempotent). Two ways to know them: those that
    /// arrived while a load ran, and, should loads overlap (one landing ends "loading" while
    /// another still reads), those after the snapshot's position by id (exact on SQLite; on
    /// PostgreSQL ids mostly rise with the feed's order).
    fn place_again(&self, arrived: Vec<FeedEvent>, as_of: i64) -> Vec<Effect> {
        let mut again: Vec<FeedEvent> = arrived
            .into_iter()
            .filter(|e| e.workflow == self.workflow)
            .collect();
        for event in self.feed.events.iter() {
            if event.entry.id > as_of
                && event.workflow == self.workflow
                && !again.iter().any(|e| e.entry.id == event.entry.id)
            {
                again.push(event.clone());
            }
        }
        again
            .into_iter()
            .map(|event| Effect::FollowEvent {
                actor: self.actor.clone(),
                event,
            })
            .collect()
    }

    /// Where each role starts (the first of its start columns), else the first column; the
    /// selected order keeps its selection across reloads.
    fn place_selection(
        &mut self,
        workflow: &Workflow,
        first_load: bool,
        keep: Option<i64>,
        size: (u16, u16),
    ) {
        self.selection.column = 0;
        if first_load
            && let Some(starts) = workflow.start_states.get(&self.actor.role)
            && let Some(index) = starts.iter().find_map(|s| self.column_index(s))
        {
            self.selection.column = index;
        }
        if let Some(id) = keep {
            self.select_order(id);
        }
        self.clamp_selection();
        self.keep_selection_visible(size);
    }

    pub(super) fn on_more_cards(
        &mut self,
        context: &mut Context,
        state: &str,
        cards: Result<Vec<Order>, String>,
    ) -> Vec<Effect> {
        let Some(index) = self.column_index(state) else {
            return Vec::new();
        };
        let column = &mut self.columns[index];
        column.loading_more = false;
        match cards {
            Ok(cards) => {
                column.exhausted = (cards.len() as i64) < PAGE;
                if let Some(last) = cards.last() {
                    column.paged_to = Some(last.clone());
                }
                for card in cards {
                    if !column.cards.iter().any(|c| c.id == card.id) {
                        column.cards.push(card);
                    }
                }
            }
            Err(error) => *context.status = Status::error(error),
        }
        Vec::new()
    }

    pub(super) fn on_applied(
        &mut self,
        context: &mut Context,
        result: Result<Applied, ApplyFailure>,
    ) -> Vec<Effect> {
        self.sync.change_sent = false;
        match result {
            Ok(applied) => {
                self.overlay = None;
                self.sync.follow = Some(applied.id);
                self.sync.followed.insert(applied.history_id);
                // In the workflow's words, as the columns and the menu say them.
                let workflow = context.workflows.get(&self.workflow);
                let state = |id: &str| {
                    workflow
                        .and_then(|w| w.state(id))
                        .map_or(id.to_string(), |s| s.label.clone())
                };
                let event = workflow
                    .and_then(|w| w.candidates(&applied.event).next())
                    .map_or(applied.event.clone(), |t| t.label.clone());
                *context.status = Status::info(format!(
                    "order #{}: {} → {} ({event})",
                    applied.id,
                    state(&applied.from),
                    state(&applied.to)
                ));
                let event = self.own_event(&applied, context);
                vec![Effect::FollowEvent {
                    actor: self.actor.clone(),
                    event,
                }]
            }
            Err(ApplyFailure::Conflict { order_id, message }) => {
                self.keep_typed_note();
                self.overlay = None;
                self.sync.reopen_menu_for = Some(order_id);
                *context.status = Status::error(message);
                vec![Effect::RefreshOrder {
                    actor: self.actor.clone(),
                    order_id,
                }]
            }
            Err(ApplyFailure::ConnectionLost(message)) => {
                // Keep the overlay and what was typed: the user can retry when it is back.
                match &mut self.overlay {
                    Some(Overlay::Note(form)) => form.busy = false,
                    Some(Overlay::Confirm(confirm)) => confirm.busy = false,
                    _ => {}
                }
                *context.status = Status::error(format!("not applied, {message}"));
                Vec::new()
            }
            Err(ApplyFailure::ActorChanged { role, message }) => {
                self.overlay = None;
                let current = role.map(|role| Actor::new(self.actor.name.clone(), role));
                self.follow_account(context, current, message)
            }
            Err(ApplyFailure::Refused(message)) => {
                match &mut self.overlay {
                    Some(Overlay::Note(form)) => {
                        form.busy = false;
                        form.error = Some(message.clone());
                    }
                    _ => self.overlay = None,
                }
                *context.status = Status::error(message);
                Vec::new()
            }
        }
    }

    /// Our own transition as a feed line, so the board follows it at once.
    fn own_event(&self, applied: &Applied, context: &Context) -> FeedEvent {
        FeedEvent {
            entry: HistoryEntry {
                id: applied.history_id,
                order_id: applied.id,
                at: context.now,
                actor: self.actor.name.clone(),
                role: self.actor.role.as_str().to_string(),
                on_behalf_of: None,
                event: applied.event.clone(),
                from: applied.from.clone(),
                to: applied.to.clone(),
                note: None,
                version: applied.version,
                effects: applied.effects.clone(),
            },
            workflow: self.workflow.clone(),
            title: String::new(),
            created: false,
        }
    }

    pub(super) fn on_feed(&mut self, events: Vec<FeedEvent>) -> Vec<Effect> {
        // Lines from a feed started for another board (before "view as" reopened this one)
        // are not this board's: its own feed starts once it has loaded.
        if !self.sync.feed_started {
            return Vec::new();
        }
        let mut effects = Vec::new();
        for event in events {
            if self.feed.contains(event.entry.id) {
                continue;
            }
            // Our own changes were followed when they were applied.
            if event.workflow == self.workflow && !self.sync.followed.contains(&event.entry.id) {
                effects.push(Effect::FollowEvent {
                    actor: self.actor.clone(),
                    event: event.clone(),
                });
            }
            if self.loading
                && event.workflow == self.workflow
                && self.sync.arrived_while_loading.len() < ARRIVED_WHILE_LOADING
            {
                self.sync.arrived_while_loading.push(event.clone());
            }
            self.feed.push_newest(event);
        }
        effects
    }

    /// Moves a card in place after a transition: the card from the fresh snapshot, counts
    /// re-read. Each history id is reflected once, whether from our own apply or the feed.
    pub(super) fn on_order_changed(
        &mut self,
        context: &mut Context,
        event: FeedEvent,
        order: Option<Order>,
    ) -> Vec<Effect> {
        let Some(workflow) = context.workflows.get(&event.workflow).cloned() else {
            return Vec::new();
        };
        if event.workflow != self.workflow {
            return Vec::new();
        }
        let order_id = event.entry.order_id;
        let selected_before = self.selected_id();
        let follow = self.sync.follow.take_if(|id| *id == order_id);
        // Not our own apply in this screen: someone else, or this user elsewhere.
        let moved_elsewhere = follow.is_none() && !event.created;
        let overlay_on_it = self.overlay_order() == Some(order_id);
        let fresh = order.clone();
        self.remove_card(order_id);
        if let Some(order) = order
            && self.admits(&order, &workflow, context.now, Some(&event.entry.actor))
        {
            self.place_card(order);
        }
        // The selection stays on its order; our own change takes it along to the new column.
        let target = follow.or(selected_before);
        if let Some(id) = target
            && !self.select_order(id)
            && let Some(column) = self.columns.get_mut(self.selection.column)
        {
            column.selected = column.selected.min(column.cards.len().saturating_sub(1));
        }
        self.clamp_selection();
        self.keep_selection_visible(context.size);
        let mut effects = self.refresh_counts(context);
        if self.selected_id() == Some(order_id) || target != self.selected_id() {
            self.order_pane.detail = None;
            effects.extend(self.load_detail());
        }
        if moved_elsewhere && (selected_before == Some(order_id) || overlay_on_it) {
            self.tell_moved(context, &event, &workflow, fresh.as_ref());
        }
        effects
    }

    /// The order an open overlay acts on, if one is open.
    fn overlay_order(&self) -> Option<i64> {
        match &self.overlay {
            Some(Overlay::Menu(menu)) => Some(menu.order_id),
            Some(Overlay::Note(form)) => Some(form.choice.order_id),
            Some(Overlay::Confirm(confirm)) => Some(confirm.choice.order_id),
            _ => None,
        }
    }

    /// A fresh snapshot after a lost race: placed under the same filter check as any card,
    /// and the menu reopened on it.
    pub(super) fn on_order_refreshed(
        &mut self,
        context: &mut Context,
        order: Option<Order>,
    ) -> Vec<Effect> {
        let Some(order) = order else {
            return Vec::new();
        };
        let id = order.id;
        let snapshot = order.clone();
        self.remove_card(id);
        if let Some(workflow) = context.workflows.get(&order.workflow).cloned()
            && self.admits(&order, &workflow, context.now, None)
        {
            self.place_card(order);
        }
        let reopen = self.sync.reopen_menu_for.take() == Some(id);
        self.select_order(id);
        self.clamp_selection();
        self.keep_selection_visible(context.size);
        self.order_pane.detail = None;
        let effects = self.load_detail();
        if reopen {
            // The conflict's message stays on screen, whole, in the menu reopened on the
            // order as it is now, even if it left the filtered view.
            let status = context.status.clone();
            self.open_menu_for(context, &snapshot);
            if let (Some(Overlay::Menu(menu)), Some(status)) = (&mut self.overlay, &status) {
                menu.notice = Some(status.text.clone());
            }
            *context.status = status;
        }
        effects
    }

    /// The note in an open note box or confirmation, kept for the next try.
    fn keep_typed_note(&mut self) {
        let typed = match &self.overlay {
            Some(Overlay::Note(form)) => {
                Some((form.choice.order_id, form.input.value().to_string()))
            }
            Some(Overlay::Confirm(confirm)) => confirm
                .note
                .clone()
                .map(|note| (confirm.choice.order_id, note)),
            _ => None,
        };
        if let Some(kept) = typed.filter(|(_, n)| !n.trim().is_empty()) {
            self.sync.kept_note = Some(kept);
        }
    }

    /// The order on screen moved elsewhere (by someone else, or by this user in another
    /// window): say so; an overlay open on it would act on a stale order, so it gives way to a
    /// menu on the order as it is now (a typed note is kept), or closes when it is gone.
    fn tell_moved(
        &mut self,
        context: &mut Context,
        event: &FeedEvent,
        workflow: &Workflow,
        fresh: Option<&Order>,
    ) {
        let entry = &event.entry;
        let message = format!(
            "#{} moved to {} by {}",
            entry.order_id,
            workflow.state_label(&entry.to),
            crate::domain::text::display_safe(&entry.actor)
        );
        *context.status = Status::info(message.clone());
        if self.overlay_order() != Some(entry.order_id) {
            return;
        }
        self.keep_typed_note();
        self.overlay = None;
        if let Some(order) = fresh {
            self.open_menu_for(context, order);
            if let Some(Overlay::Menu(menu)) = &mut self.overlay {
                menu.notice = Some(message.clone());
            }
        }
        *context.status = Status::info(message);
    }

    pub(super) fn remove_card(&mut self, id: i64) {
        for column in &mut self.columns {
            column.cards.retain(|c| c.id != id);
        }
    }

    fn place_card(&mut self, order: Order) {
        if let Some(index) = self.column_index(&order.state) {
            insert_card(&mut self.columns[index], order, self.filters.sort);
        }
    }

    /// Asks for fresh per-column counts, at most one request in flight.
    fn refresh_counts(&mut self, context: &Context) -> Vec<Effect> {
        if self.sync.counts_in_flight {
            self.sync.counts_stale = true;
            return Vec::new();
        }
        self.sync.counts_in_flight = true;
        self.sync.counts_stale = false;
        vec![Effect::RefreshCounts {
            actor: self.actor.clone(),
            workflow: self.workflow.clone(),
            query: self.query(context.now),
        }]
    }

    pub(super) fn on_counts(
        &mut self,
        context: &mut Context,
        workflow: &str,
        counts: Result<Vec<(String, i64)>, String>,
    ) -> Vec<Effect> {
        self.sync.counts_in_flight = false;
        match counts {
            Ok(counts) if workflow == self.workflow => {
                for column in &mut self.columns {
                    column.count = counts
                        .iter()
                        .find(|(s, _)| *s == column.state)
                        .map(|(_, n)| *n)
                        .unwrap_or(0);
                }
            }
            Ok(_) => {}
            Err(error) => *context.status = Status::error(error),
        }
        if self.sync.counts_stale {
            self.refresh_counts(context)
        } else {
            Vec::new()
        }
    }
}

/// The columns a quick filter shows, each with its loaded first page.
fn columns(
    workflow: &Workflow,
    quick: QuickFilters,
    loaded: &[crate::service::ColumnData],
) -> Vec<Column> {
    workflow
        .states
        .iter()
        .filter(|state| quick.shows_state(workflow, &state.id))
        .map(|state| {
            let loaded = loaded.iter().find(|c| c.state == state.id);
            let cards = loaded.map(|c| c.cards.clone()).unwrap_or_default();
            Column {
                state: state.id.clone(),
                label: state.label.clone(),
                terminal: state.terminal,
                count: loaded.map(|c| c.count).unwrap_or(0),
                exhausted: (cards.len() as i64) < PAGE,
                paged_to: cards.last().cloned(),
                cards,
                selected: 0,
                offset: 0,
                loading_more: false,
            }
        })
        .collect()
}

/// Keeps a column in its sort order; a card beyond the loaded window waits for its page.
fn insert_card(column: &mut Column, order: Order, sort: OrderSort) {
    let position = column.cards.partition_point(|c| sort.before(c, &order));
    if position == column.cards.len() && !column.exhausted {
        return;
    }
    column.cards.insert(position, order);
}
