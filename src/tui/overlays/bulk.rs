//! One event on many orders: pick the event, give a note if it needs one, see what would
//! happen to each order (a dry run), then apply each through the one apply path with
//! progress, and read the per-order results. The runtime does the work; this is the
//! overlay's state, keys and drawing.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::domain::OrderId;
use crate::domain::text::display_safe;
use crate::service::{BulkLine, BulkOutcome};
use crate::tui::action::{ActionSet, ConfirmAction, InputAction, MenuAction};
use crate::tui::keymap::KeyMap;
use crate::tui::theme::Theme;
use crate::tui::view::DrawContext;
use crate::tui::widgets::{centered, hint_spans, input_line, pad, popup, wrap};

/// Widest the overlay gets on a large terminal.
const MAX_WIDTH: u16 = 90;

/// An event of the workflow as the chooser lists it.
#[derive(Clone, Debug)]
pub struct BulkEvent {
    pub event: String,
    pub label: String,
    /// Some transition of this event asks for a note.
    pub note_required: bool,
}

#[derive(Clone, Debug)]
pub enum BulkStage {
    Choose {
        events: Vec<BulkEvent>,
        selected: usize,
    },
    Note {
        event: BulkEvent,
        input: Input,
        error: Option<String>,
    },
    /// The dry run is on its way.
    Previewing {
        event: BulkEvent,
        note: Option<String>,
    },
    Preview {
        event: BulkEvent,
        note: Option<String>,
        lines: Vec<BulkLine>,
    },
    Applying {
        event: BulkEvent,
        lines: Vec<BulkLine>,
    },
    Done {
        event: BulkEvent,
        lines: Vec<BulkLine>,
        error: Option<String>,
    },
}

pub struct BulkForm {
    pub ids: Vec<OrderId>,
    pub stage: BulkStage,
}

/// What a key asked the board to do.
pub enum BulkChoice {
    Stay,
    Close,
    Preview { event: String, note: Option<String> },
    Apply { event: String, note: Option<String> },
}

impl BulkForm {
    pub fn new(ids: Vec<OrderId>, events: Vec<BulkEvent>) -> BulkForm {
        BulkForm {
            ids,
            stage: BulkStage::Choose {
                events,
                selected: 0,
            },
        }
    }

    pub fn on_key(&mut self, keys: &KeyMap, key: KeyEvent) -> BulkChoice {
        match &mut self.stage {
            BulkStage::Choose { events, selected } => match keys.menu.action(&key) {
                Some(MenuAction::Close) => BulkChoice::Close,
                Some(MenuAction::Up) => {
                    *selected = selected.saturating_sub(1);
                    BulkChoice::Stay
                }
                Some(MenuAction::Down) => {
                    *selected = (*selected + 1).min(events.len().saturating_sub(1));
                    BulkChoice::Stay
                }
                Some(MenuAction::Choose) => match events.get(*selected).cloned() {
                    Some(event) if event.note_required => {
                        self.stage = BulkStage::Note {
                            event,
                            input: Input::default(),
                            error: None,
                        };
                        BulkChoice::Stay
                    }
                    Some(event) => self.preview(event, None),
                    None => BulkChoice::Stay,
                },
                None => BulkChoice::Stay,
            },
            BulkStage::Note {
                event,
                input,
                error,
            } => match keys.input.action(&key) {
                Some(InputAction::Cancel) => BulkChoice::Close,
                Some(InputAction::Submit) => {
                    let note = input.value().trim().to_string();
                    if crate::domain::note::is_blank(&note) {
                        *error = Some("a note is required for this event".into());
                        return BulkChoice::Stay;
                    }
                    let event = event.clone();
                    self.preview(event, Some(note))
                }
                None => {
                    input.handle_event(&crossterm::event::Event::Key(key));
                    *error = None;
                    BulkChoice::Stay
                }
            },
            BulkStage::Preview { event, note, lines } => match keys.confirm.action(&key) {
                Some(ConfirmAction::Yes) if lines.iter().any(|l| l.outcome.succeeded()) => {
                    let request = BulkChoice::Apply {
                        event: event.event.clone(),
                        note: note.clone(),
                    };
                    self.stage = BulkStage::Applying {
                        event: event.clone(),
                        lines: Vec::new(),
                    };
                    request
                }
                Some(ConfirmAction::No) => BulkChoice::Close,
                _ => BulkChoice::Stay,
            },
            // Each order is its own transaction: what is under way finishes.
            BulkStage::Previewing { .. } | BulkStage::Applying { .. } => BulkChoice::Stay,
            BulkStage::Done { .. } => {
                let close = keys.confirm.action(&key).is_some()
                    || keys.menu.action(&key) == Some(MenuAction::Close)
                    || keys.menu.action(&key) == Some(MenuAction::Choose);
                if close {
                    BulkChoice::Close
                } else {
                    BulkChoice::Stay
                }
            }
        }
    }

    fn preview(&mut self, event: BulkEvent, note: Option<String>) -> BulkChoice {
        let request = BulkChoice::Preview {
            event: event.event.clone(),
            note: note.clone(),
        };
        self.stage = BulkStage::Previewing { event, note };
        request
    }

    /// Pasted text goes into the note box, if that is what is open; never keystrokes.
    pub fn paste(&mut self, text: &str) {
        if let BulkStage::Note { input, error, .. } = &mut self.stage {
            crate::tui::paste::insert(input, text);
            *error = None;
        }
    }

    /// The dry run came back.
    pub fn on_preview(&mut self, result: Result<Vec<BulkLine>, String>) {
        let BulkStage::Previewing { event, note } = &self.stage else {
            return;
        };
        let event = event.clone();
        self.stage = match result {
            Ok(lines) => BulkStage::Preview {
                event,
                note: note.clone(),
                lines,
            },
            Err(error) => BulkStage::Done {
                event,
                lines: Vec::new(),
                error: Some(error),
            },
        };
    }

    /// Orders applied so far.
    pub fn on_progress(&mut self, mut done: Vec<BulkLine>) {
        if let BulkStage::Applying { lines, .. } = &mut self.stage {
            lines.append(&mut done);
        }
    }

    pub fn on_done(&mut self, error: Option<String>) {
        if let BulkStage::Applying { event, lines } = &mut self.stage {
            self.stage = BulkStage::Done {
                event: event.clone(),
                lines: std::mem::take(lines),
                error,
            };
        }
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.stage, BulkStage::Done { .. })
    }

    pub fn draw(&self, context: &DrawContext, area: Rect, buf: &mut Buffer) {
        let theme = context.theme;
        let width = area.width.saturating_sub(4).min(MAX_WIDTH);
        let inner_width = width.saturating_sub(2) as usize;
        let (title, rows) = self.rows(context.keymap, theme, inner_width);
        let height = (rows.len() as u16 + 2).min(area.height.saturating_sub(2));
        let rect = centered(area, width, height);
        let inner = popup(area, rect.width, rect.height, title, theme, buf);
        let mut rows = rows;
        // Too many for the screen: the keys stay at the bottom, the middle gives way.
        if rows.len() > inner.height as usize && inner.height > 1 {
            let keys = rows.pop();
            rows.truncate(inner.height as usize - 1);
            rows.extend(keys);
        }
        Paragraph::new(rows).render(inner, buf);
    }

    fn rows(&self, keymap: &KeyMap, theme: &Theme, width: usize) -> (String, Vec<Line<'static>>) {
        let count = self.ids.len();
        let orders = if count == 1 { "order" } else { "orders" };
        let text = |text: String, style| Line::from(Span::styled(text, style));
        match &self.stage {
            BulkStage::Choose { events, selected } => {
                let rows = choose_rows(events, *selected, count, (keymap, theme), width);
                (format!(" Bulk: {count} {orders} "), rows)
            }
            BulkStage::Note {
                event,
                input,
                error,
            } => {
                let rows = note_rows(event, input, error.as_deref(), (keymap, theme), width);
                (format!(" Bulk: {} ", event.label), rows)
            }
            BulkStage::Previewing { event, .. } => (
                format!(" Bulk: {} ", event.label),
                vec![text(format!("Checking {count} {orders}…"), theme.muted)],
            ),
            BulkStage::Preview { event, lines, .. } => {
                let ready = lines.iter().filter(|l| l.outcome.succeeded()).count();
                let heading = format!(
                    "Dry run: {ready} of {} will move; nothing has changed yet.",
                    lines.len()
                );
                let mut keys = vec![Span::styled(
                    if ready > 0 {
                        format!("apply to the {ready}: ")
                    } else {
                        "nothing to apply: ".to_string()
                    },
                    theme.muted,
                )];
                keys.extend(hint_spans(
                    &keymap.confirm.hints(ConfirmAction::ALL),
                    " · ",
                    theme,
                ));
                let rows = outcome_rows(
                    text(heading, theme.title),
                    lines,
                    Some(Line::from(keys)),
                    theme,
                    width,
                );
                (format!(" Bulk: {} (dry run) ", event.label), rows)
            }
            BulkStage::Applying { event, lines } => {
                let heading = format!("Applying: {} of {count} done…", lines.len());
                let rows = outcome_rows(text(heading, theme.title), lines, None, theme, width);
                (format!(" Bulk: {} ", event.label), rows)
            }
            BulkStage::Done {
                event,
                lines,
                error,
            } => {
                let moved = lines.iter().filter(|l| l.outcome.succeeded()).count();
                let mut heading = vec![Span::styled(
                    format!("Done: {moved} of {} moved. ", lines.len()),
                    theme.title,
                )];
                if let Some(error) = error {
                    heading.push(Span::styled(error.clone(), theme.status_error));
                }
                let keys = Line::from(hint_spans(
                    &keymap.menu.hints(&[MenuAction::Close]),
                    " · ",
                    theme,
                ));
                let rows = outcome_rows(Line::from(heading), lines, Some(keys), theme, width);
                (format!(" Bulk: {} ", event.label), rows)
            }
        }
    }
}

/// The events to choose from, the selected one highlighted.
fn choose_rows(
    events: &[BulkEvent],
    selected: usize,
    count: usize,
    (keymap, theme): (&KeyMap, &Theme),
    width: usize,
) -> Vec<Line<'static>> {
    let orders = if count == 1 { "order" } else { "orders" };
    let mut rows = vec![Line::from(Span::styled(
        format!("Which event, for {count} {orders}?"),
        theme.text,
    ))];
    for (index, event) in events.iter().enumerate() {
        let style = if index == selected {
            theme.selected_card
        } else {
            theme.available_item
        };
        let note = if event.note_required { "  (note)" } else { "" };
        let label = format!(" {}{note}", display_safe(&event.label));
        rows.push(Line::from(Span::styled(pad(&label, width), style)));
    }
    rows.push(Line::from(hint_spans(
        &keymap.menu.hints(MenuAction::ALL),
        " · ",
        theme,
    )));
    rows
}

/// The note box: one note for every order of the action.
fn note_rows(
    event: &BulkEvent,
    input: &Input,
    error: Option<&str>,
    (keymap, theme): (&KeyMap, &Theme),
    width: usize,
) -> Vec<Line<'static>> {
    let mut rows = vec![
        Line::from(Span::styled(
            format!("{} needs a note (the same for every order):", event.label),
            theme.text,
        )),
        input_line(input, width, theme),
    ];
    if let Some(error) = error {
        rows.push(Line::from(Span::styled(
            error.to_string(),
            theme.status_error,
        )));
    }
    rows.push(Line::from(hint_spans(
        &keymap.input.hints(InputAction::ALL),
        " · ",
        theme,
    )));
    rows
}

/// A heading, one wrapped row per order, and the keys last.
fn outcome_rows(
    heading: Line<'static>,
    lines: &[BulkLine],
    keys: Option<Line<'static>>,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let mut rows = vec![heading];
    rows.extend(wrap(
        lines.iter().map(|line| outcome_line(line, theme)).collect(),
        width,
    ));
    rows.extend(keys);
    rows
}

/// "#12 → inprogress", "#13 blocked: …", one row per order.
fn outcome_line(line: &BulkLine, theme: &Theme) -> Line<'static> {
    let (text, style) = match &line.outcome {
        BulkOutcome::WouldApply { to } => (
            format!("#{} will move to {to}", line.id),
            theme.available_item,
        ),
        BulkOutcome::Applied { from, to, .. } => (
            format!("#{} moved {from} → {to}", line.id),
            theme.available_item,
        ),
        BulkOutcome::NeedsNote => (format!("#{} needs a note", line.id), theme.blocked_item),
        BulkOutcome::Blocked { reason } => (
            format!("#{} blocked: {reason}", line.id),
            theme.blocked_item,
        ),
        BulkOutcome::NotFound { reason } => (format!("#{}: {reason}", line.id), theme.blocked_item),
    };
    Line::from(Span::styled(display_safe(&text).into_owned(), style))
}
