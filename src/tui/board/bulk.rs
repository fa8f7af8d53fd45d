//! Selecting cards and acting on them all: space marks a card, V the whole column under the
//! filters (fetching ids the board has not loaded), b opens the bulk overlay on the marked
//! cards (or the selected one), whose dry run, progress and results come back as messages.

use std::collections::BTreeSet;

use super::BoardScreen;
use crate::domain::OrderId;
use crate::service::{BulkLine, MAX_BULK_ORDERS};
use crate::tui::app::{Context, Status};
use crate::tui::msg::{BulkRequest, Effect};
use crate::tui::overlays::{BulkChoice, BulkEvent, BulkForm, Overlay};
use crate::workflow::NoteRule;

impl BoardScreen {
    pub(super) fn toggle_mark(&mut self, context: &mut Context) -> Vec<Effect> {
        let Some(id) = self.selected_order().map(|o| o.id) else {
            *context.status = Status::info("no order selected");
            return Vec::new();
        };
        if !self.selection.marked.remove(&id) {
            if self.selection.marked.len() >= MAX_BULK_ORDERS {
                *context.status =
                    Status::error(format!("at most {MAX_BULK_ORDERS} orders may be selected"));
                return Vec::new();
            }
            self.selection.marked.insert(id);
        }
        *context.status = Status::info(self.marked_summary());
        Vec::new()
    }

    /// Every card of the column under the current filters; again, none of them.
    pub(super) fn mark_column(&mut self, context: &mut Context) -> Vec<Effect> {
        let Some(column) = self.columns.get(self.selection.column) else {
            return Vec::new();
        };
        let loaded: BTreeSet<OrderId> = column.cards.iter().map(|o| o.id).collect();
        if !loaded.is_empty() && loaded.is_subset(&self.selection.marked) {
            self.selection.marked.retain(|id| !loaded.contains(id));
            *context.status = Status::info(self.marked_summary());
            return Vec::new();
        }
        if column.exhausted || column.cards.len() as i64 >= column.count {
            self.selection.marked.extend(loaded);
            *context.status = Status::info(self.marked_summary());
            return Vec::new();
        }
        // Cards not loaded yet: their ids come from the service, under the same filters.
        let mut query = self.query(context.now);
        query.state = Some(column.state.clone());
        *context.status = Status::info(format!(
            "selecting all {} in {}…",
            column.count, column.label
        ));
        vec![Effect::MarkColumn {
            actor: self.actor.clone(),
            query,
        }]
    }

    pub(super) fn on_column_marked(
        &mut self,
        context: &mut Context,
        result: Result<Vec<OrderId>, String>,
    ) -> Vec<Effect> {
        match result {
            Ok(ids) => {
                let room = MAX_BULK_ORDERS.saturating_sub(self.selection.marked.len());
                self.selection.marked.extend(ids.into_iter().take(room));
                *context.status = Status::info(self.marked_summary());
            }
            Err(error) => *context.status = Status::error(error),
        }
        Vec::new()
    }

    fn marked_summary(&self) -> String {
        match self.selection.marked.len() {
            0 => "no cards selected".to_string(),
            1 => "1 card selected: b acts on it".to_string(),
            n => format!("{n} cards selected: b acts on all of them"),
        }
    }

    /// The bulk overlay on the marked cards, or on the selected card when none is marked.
    pub(super) fn open_bulk(&mut self, context: &mut Context) -> Vec<Effect> {
        let ids: Vec<OrderId> = if self.selection.marked.is_empty() {
            self.selected_order().map(|o| o.id).into_iter().collect()
        } else {
            self.selection.marked.iter().copied().collect()
        };
        if ids.is_empty() {
            *context.status = Status::info("no order selected");
            return Vec::new();
        }
        let Some(workflow) = context.workflows.get(&self.workflow) else {
            return Vec::new();
        };
        // The events this user could ever take (or take for a party); the dry run says which
        // may be taken on each order now.
        let role = self.actor.role;
        let events = workflow
            .events()
            .into_iter()
            .filter(|event| {
                workflow
                    .candidates(event)
                    .any(|t| t.roles.contains(&role) || t.on_behalf.contains(&role))
            })
            .map(|event| {
                let mut candidates = workflow.candidates(event);
                let label = workflow
                    .candidates(event)
                    .next()
                    .map(|t| t.label.clone())
                    .unwrap_or_else(|| event.to_string());
                BulkEvent {
                    event: event.to_string(),
                    label,
                    note_required: candidates.any(|t| t.note == NoteRule::Required),
                }
            })
            .collect::<Vec<_>>();
        if events.is_empty() {
            *context.status = Status::info("no event of this workflow is yours to take");
            return Vec::new();
        }
        let read_only = self.viewer.as_ref().map(|_| self.actor.name.clone());
        let labels = workflow
            .states
            .iter()
            .map(|state| (state.id.clone(), state.label.clone()))
            .collect();
        self.overlay = Some(Overlay::Bulk(BulkForm::new(ids, events, labels, read_only)));
        Vec::new()
    }

    /// The overlay asked for its dry run or for the real thing.
    pub(super) fn carry_out_bulk(&mut self, choice: BulkChoice) -> Vec<Effect> {
        let Some(Overlay::Bulk(form)) = &self.overlay else {
            return Vec::new();
        };
        match choice {
            BulkChoice::Preview { event, note } => vec![Effect::BulkPreview(BulkRequest {
                actor: self.actor.clone(),
                ids: form.ids.clone(),
                event,
                note,
                previewed: Vec::new(),
            })],
            // Viewing as someone else never changes anything, whatever led here.
            BulkChoice::Apply { .. } if self.viewer.is_some() => Vec::new(),
            BulkChoice::Apply {
                event,
                note,
                previewed,
            } => vec![Effect::BulkApply(BulkRequest {
                actor: self.actor.clone(),
                ids: previewed.iter().map(|(id, _)| *id).collect(),
                event,
                note,
                previewed,
            })],
            BulkChoice::Stay | BulkChoice::Close => Vec::new(),
        }
    }

    pub(super) fn on_bulk_previewed(
        &mut self,
        result: Result<Vec<BulkLine>, String>,
    ) -> Vec<Effect> {
        if let Some(Overlay::Bulk(form)) = &mut self.overlay {
            form.on_preview(result);
        }
        Vec::new()
    }

    pub(super) fn on_bulk_progress(&mut self, lines: Vec<BulkLine>) -> Vec<Effect> {
        if let Some(Overlay::Bulk(form)) = &mut self.overlay {
            form.on_progress(lines);
        }
        Vec::new()
    }

    /// Done: the results stay on screen; the marks go and the board reloads, so every card
    /// that moved is where it is now.
    pub(super) fn on_bulk_done(
        &mut self,
        context: &mut Context,
        error: Option<String>,
    ) -> Vec<Effect> {
        if let Some(Overlay::Bulk(form)) = &mut self.overlay {
            form.on_done(error);
        }
        self.selection.marked.clear();
        self.loading = true;
        vec![self.reload(context.now)]
    }
}
