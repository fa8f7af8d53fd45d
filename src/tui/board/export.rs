//! Taking orders off the board: exporting the column (or the filtered board) to a CSV or
//! JSON file, and copying the selected order's id or summary to the clipboard. The file and
//! the clipboard are written by the runtime; this asks and reports.

use std::path::PathBuf;

use super::BoardScreen;
use crate::domain::text::display_safe;
use crate::domain::{Money, OrderSort};
use crate::tui::action::Action;
use crate::tui::app::{Context, Status};
use crate::tui::msg::{Effect, ExportFailure, ExportFormat, ExportRequest, Exported};
use crate::tui::overlays::{Overlay, Prompt, PromptFor};
use crate::tui::widgets::truncate;

/// Orders read per page while exporting.
pub const EXPORT_PAGE: i64 = 1000;
/// The longest summary put on the clipboard.
const MAX_SUMMARY: usize = 300;

impl BoardScreen {
    /// Asks where to export: the selected column, or with a text or quick filter on, every
    /// column of this workflow under the filters.
    pub(super) fn open_export(&mut self, context: &mut Context) -> Vec<Effect> {
        let filtered = !self.filters.text.is_empty() || !self.filters.quick.is_empty();
        let column = self.columns.get(self.selection.column);
        let (state, title) = match (filtered, column) {
            (true, _) => (None, " Export the filtered board ".to_string()),
            (false, Some(column)) => (
                Some(column.state.clone()),
                format!(" Export column {} ", display_safe(&column.label)),
            ),
            (false, None) => {
                *context.status = Status::info("no column to export");
                return Vec::new();
            }
        };
        let date = context.zone.at(context.now).format("%Y-%m-%d");
        let path = format!(
            "orderboard-{}-{}-{date}.csv",
            file_part(&self.workflow),
            state.as_deref().map_or("filtered".into(), file_part)
        );
        self.overlay = Some(Overlay::Prompt(Prompt::new(
            PromptFor::Export { state },
            title,
            "Write to (.csv or .json):",
            path,
        )));
        Vec::new()
    }

    /// The path was given (and, with `overwrite`, replacing the file agreed to): export.
    pub(super) fn export_to(
        &mut self,
        context: &Context,
        state: Option<String>,
        path: String,
        overwrite: bool,
    ) -> Vec<Effect> {
        let format = ExportFormat::of_path(std::path::Path::new(&path));
        let mut query = self.query(context.now);
        query.state = state.clone();
        query.limit = EXPORT_PAGE;
        // In id order, as `order list` writes them (a page's ledger is read by id range).
        query.sort = OrderSort::Id;
        let states = match &state {
            Some(state) => vec![state.clone()],
            None => self.columns.iter().map(|c| c.state.clone()).collect(),
        };
        let late_only = self.filters.quick.late;
        let actor = self.actor.clone();
        let Some(Overlay::Prompt(prompt)) = &mut self.overlay else {
            return Vec::new();
        };
        let format = match (path.is_empty(), format) {
            (true, _) => {
                prompt.error = Some("give the file to write".into());
                return Vec::new();
            }
            (false, None) => {
                prompt.error = Some("the file name must end in .csv or .json".into());
                return Vec::new();
            }
            (false, Some(format)) => format,
        };
        prompt.busy = true;
        prompt.confirm_overwrite = false;
        prompt.error = None;
        vec![Effect::Export(ExportRequest {
            actor,
            query,
            states,
            late_only,
            path: PathBuf::from(path),
            format,
            overwrite,
        })]
    }

    /// The export finished: the count and the file, or the one sentence that says why not;
    /// an existing file asks whether to write over it.
    pub(super) fn on_exported(
        &mut self,
        context: &mut Context,
        result: Result<Exported, ExportFailure>,
    ) -> Vec<Effect> {
        let prompt = match &mut self.overlay {
            Some(Overlay::Prompt(prompt)) if matches!(prompt.purpose, PromptFor::Export { .. }) => {
                Some(prompt)
            }
            _ => None,
        };
        match (result, prompt) {
            (Ok(done), prompt) => {
                if prompt.is_some() {
                    self.overlay = None;
                }
                let path = display_safe(&done.path.display().to_string()).into_owned();
                let plural = if done.count == 1 { "" } else { "s" };
                let cut = if done.cut {
                    " (the most one export writes)"
                } else {
                    ""
                };
                *context.status = Status::info(format!(
                    "exported {} order{plural} to {path}{cut}",
                    done.count
                ));
            }
            (Err(ExportFailure::Exists(_)), Some(prompt)) => {
                prompt.busy = false;
                prompt.confirm_overwrite = true;
            }
            (Err(ExportFailure::Exists(path)), None) => {
                *context.status = Status::error(format!(
                    "not exported: {} exists",
                    display_safe(&path.display().to_string())
                ));
            }
            (Err(ExportFailure::Failed(error)), prompt) => {
                if let Some(prompt) = prompt {
                    prompt.busy = false;
                    prompt.error = Some(error.clone());
                }
                *context.status = Status::error(error);
            }
        }
        Vec::new()
    }

    /// Copies the selected order's id (`y`) or a one-line summary (`Y`).
    pub(super) fn copy(&mut self, context: &mut Context, action: Action) -> Vec<Effect> {
        let Some(order) = self.selected_order() else {
            *context.status = Status::info("no order selected");
            return Vec::new();
        };
        let label = if action == Action::CopyId {
            format!("the id of #{}", order.id)
        } else {
            format!("a summary of #{}", order.id)
        };
        let text = if action == Action::CopyId {
            order.id.to_string()
        } else {
            let state = context
                .workflows
                .get(&order.workflow)
                .map_or(order.state.as_str(), |w| w.state_label(&order.state));
            let money = Money {
                cents: order.amount_cents,
                currency: &order.currency,
            };
            let summary = format!(
                "#{} {} · {} → {} · {money} · {}",
                order.id,
                display_safe(&order.title),
                display_safe(&order.customer),
                display_safe(&order.seller),
                display_safe(state)
            );
            truncate(&summary, MAX_SUMMARY)
        };
        vec![Effect::Copy { text, label }]
    }
}

/// A name as part of a file name: letters, digits, `-` and `_`; the rest become `-`.
fn file_part(name: &str) -> String {
    name.chars()
        .take(40)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
