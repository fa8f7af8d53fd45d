//! One event on many orders: pick the event, give a note if it needs one, see what would
//! happen to each order (a dry run), then apply each through the one apply path with
//! progress, and read the per-order results. The runtime does the work; this is the
//! overlay's state, keys and drawing.

use std::collections::BTreeMap;

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
    /// Viewing as someone else (their name): the dry run shows, nothing is applied.
    read_only: Option<String>,
    /// The first order line shown of a long dry run or result list.
    scroll: usize,
    /// Each state's label by its id, for the lines that say where an order goes.
    state_labels: BTreeMap<String, String>,
}

/// Order lines one PageUp or PageDown moves.
const PAGE: usize = 10;

/// What a key asked the board to do.
pub enum BulkChoice {
    Stay,
    Close,
    Preview {
        event: String,
        note: Option<String>,
    },
    /// The orders the dry run said will move, each at the version it read.
    Apply {
        event: String,
        note: Option<String>,
        previewed: Vec<(OrderId, i64)>,
    },
}

impl BulkForm {
    /// `read_only` names the user viewed as, when an admin views the board as someone else.
    pub fn new(
        ids: Vec<OrderId>,
        events: Vec<BulkEvent>,
        state_labels: BTreeMap<String, String>,
        read_only: Option<String>,
    ) -> BulkForm {
        BulkForm {
            ids,
            stage: BulkStage::Choose {
                events,
                selected: 0,
            },
            read_only,
            scroll: 0,
            state_labels,
        }
    }

    pub fn on_key(&mut self, keys: &KeyMap, key: KeyEvent) -> BulkChoice {
        if self.scrolled(keys, key) {
            return BulkChoice::Stay;
        }
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
                Some(ConfirmAction::Yes) if self.read_only.is_none() => {
                    let (previewed, left): (Vec<_>, Vec<_>) =
                        lines.iter().cloned().partition(|l| l.outcome.succeeded());
                    let previewed: Vec<(OrderId, i64)> = previewed
                        .iter()
                        .filter_map(|line| match line.outcome {
                            BulkOutcome::WouldApply { version, .. } => Some((line.id, version)),
                            _ => None,
                        })
                        .collect();
                    if previewed.is_empty() {
                        return BulkChoice::Stay;
                    }
                    let request = BulkChoice::Apply {
                        event: event.event.clone(),
                        note: note.clone(),
                        previewed,
                    };
                    // The orders the dry run left out stay in the list as it said them.
                    self.stage = BulkStage::Applying {
                        event: event.clone(),
                        lines: left,
                    };
                    self.scroll = 0;
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

    /// Up and down (and the page keys) move through a long list of orders.
    fn scrolled(&mut self, keys: &KeyMap, key: KeyEvent) -> bool {
        use crossterm::event::KeyCode;
        let count = match &self.stage {
            BulkStage::Preview { lines, .. }
            | BulkStage::Applying { lines, .. }
            | BulkStage::Done { lines, .. } => lines.len(),
            _ => return false,
        };
        let step = match (key.code, keys.menu.action(&key)) {
            (KeyCode::PageDown, _) => PAGE as isize,
            (KeyCode::PageUp, _) => -(PAGE as isize),
            (_, Some(MenuAction::Down)) => 1,
            (_, Some(MenuAction::Up)) => -1,
            _ => return false,
        };
        self.scroll = self
            .scroll
            .saturating_add_signed(step)
            .min(count.saturating_sub(1));
        true
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
        self.scroll = 0;
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
        let sheet = self.sheet(context.keymap, theme, inner_width);
        let wanted = sheet.head.len() + sheet.body.len() + usize::from(sheet.keys.is_some());
        let height = (wanted as u16 + 2).min(area.height.saturating_sub(2));
        let rect = centered(area, width, height);
        let inner = popup(area, rect.width, rect.height, sheet.title, theme, buf);
        let mut rows = sheet.head;
        let room =
            (inner.height as usize).saturating_sub(rows.len() + usize::from(sheet.keys.is_some()));
        if sheet.body.len() <= room {
            rows.extend(sheet.body);
        } else {
            // Too many for the screen: a window on the orders from the scrolled-to one, and
            // a line saying how many are above and below.
            let shown = room.saturating_sub(1);
            let start = sheet.starts.get(self.scroll).copied().unwrap_or(0);
            let first = start.min(sheet.body.len() - shown);
            let below = sheet.body.len() - first - shown;
            rows.extend(sheet.body.into_iter().skip(first).take(shown));
            if room > 0 {
                rows.push(Line::from(Span::styled(
                    format!("{first} rows above · {below} below (↑↓ PgUp PgDn scroll)"),
                    theme.muted,
                )));
            }
        }
        rows.extend(sheet.keys);
        Paragraph::new(rows).render(inner, buf);
    }

    fn sheet(&self, keymap: &KeyMap, theme: &Theme, width: usize) -> Sheet {
        let count = self.ids.len();
        let orders = if count == 1 { "order" } else { "orders" };
        let text = |text: String, style| Line::from(Span::styled(text, style));
        match &self.stage {
            BulkStage::Choose { events, selected } => Sheet::fixed(
                format!(" Bulk: {count} {orders} "),
                choose_rows(events, *selected, count, (keymap, theme), width),
            ),
            BulkStage::Note {
                event,
                input,
                error,
            } => Sheet::fixed(
                format!(" Bulk: {} ", display_safe(&event.label)),
                note_rows(event, input, error.as_deref(), (keymap, theme), width),
            ),
            BulkStage::Previewing { event, .. } => Sheet::fixed(
                format!(" Bulk: {} ", display_safe(&event.label)),
                vec![text(format!("Checking {count} {orders}…"), theme.muted)],
            ),
            BulkStage::Preview { event, lines, .. } => {
                let ready = lines.iter().filter(|l| l.outcome.succeeded()).count();
                let heading = format!(
                    "Dry run: {ready} of {} will move; nothing has changed yet.",
                    lines.len()
                );
                let keys = self.preview_keys(ready, keymap, theme);
                Sheet::orders(
                    format!(" Bulk: {} (dry run) ", display_safe(&event.label)),
                    text(heading, theme.title),
                    self.outcome_lines(lines, theme),
                    Some(keys),
                    width,
                )
            }
            BulkStage::Applying { event, lines } => {
                let heading = format!("Applying: {} of {count} done…", lines.len());
                Sheet::orders(
                    format!(" Bulk: {} ", display_safe(&event.label)),
                    text(heading, theme.title),
                    self.outcome_lines(lines, theme),
                    None,
                    width,
                )
            }
            BulkStage::Done {
                event,
                lines,
                error,
            } => {
                let moved = lines
                    .iter()
                    .filter(|l| matches!(l.outcome, BulkOutcome::Applied { .. }))
                    .count();
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
                Sheet::orders(
                    format!(" Bulk: {} ", display_safe(&event.label)),
                    Line::from(heading),
                    self.outcome_lines(lines, theme),
                    Some(keys),
                    width,
                )
            }
        }
    }

    /// "#12 will move to In progress", "#13 blocked: …", one line per order.
    fn outcome_lines(&self, lines: &[BulkLine], theme: &Theme) -> Vec<Line<'static>> {
        let label = |id: &String| self.state_labels.get(id).unwrap_or(id).clone();
        lines
            .iter()
            .map(|line| {
                let (text, style) = match &line.outcome {
                    BulkOutcome::WouldApply { to, .. } => (
                        format!("#{} will move to {}", line.id, label(to)),
                        theme.available_item,
                    ),
                    BulkOutcome::Applied { from, to, .. } => (
                        format!("#{} moved {} → {}", line.id, label(from), label(to)),
                        theme.available_item,
                    ),
                    BulkOutcome::NeedsNote => {
                        (format!("#{} needs a note", line.id), theme.blocked_item)
                    }
                    BulkOutcome::Blocked { reason } => (
                        format!("#{} blocked: {reason}", line.id),
                        theme.blocked_item,
                    ),
                    BulkOutcome::NotFound { reason } => {
                        (format!("#{}: {reason}", line.id), theme.blocked_item)
                    }
                };
                Line::from(Span::styled(display_safe(&text).into_owned(), style))
            })
            .collect()
    }

    /// Apply when some will move and the board is not read-only; else only a way out.
    fn preview_keys(&self, ready: usize, keymap: &KeyMap, theme: &Theme) -> Line<'static> {
        let (lead, actions): (String, &[ConfirmAction]) = match (&self.read_only, ready) {
            (Some(name), _) => (
                format!("read-only, viewing as {}: ", display_safe(name)),
                &[ConfirmAction::No],
            ),
            (None, 0) => ("nothing to apply: ".to_string(), &[ConfirmAction::No]),
            (None, ready) => (format!("apply to the {ready}: "), ConfirmAction::ALL),
        };
        let mut keys = vec![Span::styled(lead, theme.muted)];
        keys.extend(hint_spans(&keymap.confirm.hints(actions), " · ", theme));
        Line::from(keys)
    }
}

/// What the overlay shows: rows that always show, the orders (which scroll) with the row
/// each order starts at, and the keys last.
struct Sheet {
    title: String,
    head: Vec<Line<'static>>,
    body: Vec<Line<'static>>,
    starts: Vec<usize>,
    keys: Option<Line<'static>>,
}

impl Sheet {
    fn fixed(title: String, head: Vec<Line<'static>>) -> Sheet {
        Sheet {
            title,
            head,
            body: Vec::new(),
            starts: Vec::new(),
            keys: None,
        }
    }

    /// A heading, each order wrapped to the width, and the keys.
    fn orders(
        title: String,
        heading: Line<'static>,
        lines: Vec<Line<'static>>,
        keys: Option<Line<'static>>,
        width: usize,
    ) -> Sheet {
        let mut body = Vec::new();
        let mut starts = Vec::with_capacity(lines.len());
        for line in lines {
            starts.push(body.len());
            body.extend(wrap(vec![line], width));
        }
        Sheet {
            title,
            head: vec![heading],
            body,
            starts,
            keys,
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
