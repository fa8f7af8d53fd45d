//! The history explorer (`H`, support and admin): every transition and refused attempt across
//! all orders, newest first, read a keyset page at a time through the service as the
//! selection nears the end, narrowed by a strict filter text (`filter`); Enter goes to the
//! entry's order on the board. Its own state, keys ([keys.explorer]) and drawing.

mod filter;

pub use filter::{MAX_FILTER_CHARS, parse_filter};

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::action::{ExplorerAction, InputAction};
use super::app::{Context, Status};
use super::msg::{Effect, ScreenIo};
use super::view::DrawContext;
use super::widgets::{fit, hint_spans, pad, truncate, wrap};
use crate::domain::text::display_safe;
use crate::domain::{Actor, OrderId};
use crate::store::{ExplorerCursor, ExplorerEntry, ExplorerFilter};

/// Entries asked for per page.
pub const PAGE: i64 = 100;
/// The next page is asked for when the selection comes this close to the last entry loaded.
const PREFETCH: usize = 20;
/// Rows above the list (header, column titles) and below it (the entry in full, the footer).
const ROWS_ABOVE: u16 = 2;
const ROWS_BELOW: u16 = 3;
/// From this width on, a row shows the workflow and the full actor column.
const WIDE: usize = 110;

pub struct Explorer {
    pub actor: Actor,
    pub filter: ExplorerFilter,
    /// The filter as typed, shown in the header and offered again by `/`.
    pub filter_text: String,
    /// The filter box while it is open, and why its text was refused.
    pub input: Option<Input>,
    pub error: Option<String>,
    pub entries: Vec<ExplorerEntry>,
    pub selected: usize,
    pub offset: usize,
    pub loading: bool,
    /// The last page came back short: nothing older is left.
    pub exhausted: bool,
}

/// What a key did in the explorer, for the board to carry out.
pub enum ExplorerStep {
    Stay(Vec<Effect>),
    Close,
    GoTo(OrderId),
}

impl Explorer {
    /// The explorer on its first page, unfiltered.
    pub fn open(actor: Actor) -> (Explorer, Effect) {
        let mut explorer = Explorer {
            actor,
            filter: ExplorerFilter::default(),
            filter_text: String::new(),
            input: None,
            error: None,
            entries: Vec::new(),
            selected: 0,
            offset: 0,
            loading: false,
            exhausted: false,
        };
        let first = explorer.reload();
        (explorer, first)
    }

    fn reload(&mut self) -> Effect {
        self.entries.clear();
        self.selected = 0;
        self.offset = 0;
        self.exhausted = false;
        self.loading = true;
        Effect::Screen(ScreenIo::ExploreHistory {
            actor: self.actor.clone(),
            filter: self.filter.clone(),
            after: None,
        })
    }

    /// Where the loaded entries end: the next page starts after it.
    fn cursor(&self) -> Option<ExplorerCursor> {
        self.entries.last().map(ExplorerEntry::cursor)
    }

    pub fn on_key(&mut self, context: &mut Context, key: KeyEvent) -> ExplorerStep {
        if let Some(input) = &mut self.input {
            return match context.keymap.input.action(&key) {
                Some(InputAction::Submit) => self.submit_filter(context),
                Some(InputAction::Cancel) => {
                    self.input = None;
                    self.error = None;
                    ExplorerStep::Stay(Vec::new())
                }
                None => {
                    input.handle_event(&crossterm::event::Event::Key(key));
                    if input.value().chars().count() > MAX_FILTER_CHARS {
                        let kept: String = input.value().chars().take(MAX_FILTER_CHARS).collect();
                        *input = Input::new(kept);
                    }
                    self.error = None;
                    ExplorerStep::Stay(Vec::new())
                }
            };
        }
        let page = list_height(context.size).max(1);
        let last = self.entries.len().saturating_sub(1);
        self.selected = match context.keymap.explorer.action(&key) {
            None => return ExplorerStep::Stay(Vec::new()),
            Some(ExplorerAction::Close) => return ExplorerStep::Close,
            Some(ExplorerAction::GoToOrder) => {
                return match self.entries.get(self.selected) {
                    Some(entry) => ExplorerStep::GoTo(entry.order_id),
                    None => ExplorerStep::Stay(Vec::new()),
                };
            }
            Some(ExplorerAction::Filter) => {
                self.input = Some(Input::new(self.filter_text.clone()));
                return ExplorerStep::Stay(Vec::new());
            }
            Some(ExplorerAction::Up) => self.selected.saturating_sub(1),
            Some(ExplorerAction::Down) => (self.selected + 1).min(last),
            Some(ExplorerAction::PageUp) => self.selected.saturating_sub(page),
            Some(ExplorerAction::PageDown) => (self.selected + page).min(last),
            Some(ExplorerAction::Top) => 0,
        };
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + page {
            self.offset = self.selected + 1 - page;
        }
        ExplorerStep::Stay(self.more_if_near_the_end(page).into_iter().collect())
    }

    /// Pasted text goes into the filter box when it is open.
    pub fn on_paste(&mut self, text: &str) {
        if let Some(input) = &mut self.input {
            let room = MAX_FILTER_CHARS.saturating_sub(input.value().chars().count());
            let text: String = text.chars().take(room).collect();
            super::paste::insert(input, &text);
        }
    }

    fn submit_filter(&mut self, context: &mut Context) -> ExplorerStep {
        let text = self
            .input
            .as_ref()
            .map(|i| i.value().trim().to_string())
            .unwrap_or_default();
        match parse_filter(&text, context.workflows, context.zone) {
            Ok(filter) => {
                self.input = None;
                self.error = None;
                self.filter_text = text;
                self.filter = filter;
                ExplorerStep::Stay(vec![self.reload()])
            }
            Err(error) => {
                self.error = Some(error);
                ExplorerStep::Stay(Vec::new())
            }
        }
    }

    /// The next page once the selection nears the end of what is loaded.
    fn more_if_near_the_end(&mut self, page: usize) -> Option<Effect> {
        let near = self.selected + PREFETCH.max(page) >= self.entries.len();
        if !near || self.exhausted || self.loading {
            return None;
        }
        self.loading = true;
        Some(Effect::Screen(ScreenIo::ExploreHistory {
            actor: self.actor.clone(),
            filter: self.filter.clone(),
            after: self.cursor(),
        }))
    }

    /// A page came back: kept only if it is the one asked for last (same filter, same place).
    pub fn on_page(
        &mut self,
        context: &mut Context,
        filter: ExplorerFilter,
        after: Option<ExplorerCursor>,
        entries: Result<Vec<ExplorerEntry>, String>,
    ) -> Vec<Effect> {
        if filter != self.filter || after != self.cursor() {
            return Vec::new();
        }
        self.loading = false;
        match entries {
            Ok(page) => {
                self.exhausted = (page.len() as i64) < PAGE;
                self.entries.extend(page);
                let height = list_height(context.size).max(1);
                self.more_if_near_the_end(height).into_iter().collect()
            }
            Err(error) => {
                *context.status = Status::error(error);
                Vec::new()
            }
        }
    }

    pub fn draw(&self, context: &DrawContext, area: Rect, buf: &mut Buffer) {
        let theme = context.theme;
        let width = area.width as usize;
        let mut header = format!(
            " History · every transition and refused attempt, newest first · {} loaded{}",
            self.entries.len(),
            if self.exhausted { "" } else { "+" }
        );
        if self.loading {
            header.push_str(" · loading…");
        }
        let rows = [
            Line::from(Span::styled(pad(&header, width), theme.title)),
            Line::from(Span::styled(
                pad(
                    &if width >= WIDE {
                        format!(
                            " {:<14} {:<7} {:<12} {:<22} what",
                            "when", "order", "workflow", "who"
                        )
                    } else {
                        format!(" {:<11} {:<7} {:<14} what", "when", "order", "who")
                    },
                    width,
                ),
                theme.column_header,
            )),
        ];
        Paragraph::new(rows.to_vec())
            .render(Rect::new(area.x, area.y, area.width, ROWS_ABOVE), buf);
        let list = Rect::new(
            area.x,
            area.y + ROWS_ABOVE,
            area.width,
            list_height((area.width, area.height)) as u16,
        );
        let lines: Vec<Line> = self
            .entries
            .iter()
            .enumerate()
            .skip(self.offset)
            .take(list.height as usize)
            .map(|(index, entry)| self.row(context, entry, index == self.selected, width))
            .collect();
        if lines.is_empty() {
            let text = if self.loading {
                "  loading…"
            } else {
                "  nothing matches"
            };
            Paragraph::new(Span::styled(text, theme.muted)).render(list, buf);
        } else {
            Paragraph::new(lines).render(list, buf);
        }
        self.draw_bottom(context, area, buf);
    }

    fn row(
        &self,
        context: &DrawContext,
        entry: &ExplorerEntry,
        selected: bool,
        width: usize,
    ) -> Line<'static> {
        let theme = context.theme;
        let base = if selected {
            theme.selected_card
        } else {
            theme.text
        };
        let who = format!(
            "{} ({})",
            display_safe(&entry.actor),
            display_safe(&entry.role)
        );
        let mark = if selected { "▌" } else { " " };
        let at = context.zone.short(entry.at, context.now);
        // A narrow terminal drops the workflow column and narrows the others, so what
        // happened keeps most of the row.
        let lead = if width >= WIDE {
            format!(
                "{mark}{:<14} #{:<6} {:<12} {:<22} ",
                truncate(&at, 14),
                entry.order_id,
                truncate(&display_safe(&entry.workflow), 12),
                truncate(&who, 22),
            )
        } else {
            format!(
                "{mark}{:<11} #{:<6} {:<14} ",
                truncate(&at, 11),
                entry.order_id,
                truncate(&who, 14),
            )
        };
        let what = match &entry.refused {
            Some(reason) => Span::styled(
                format!(
                    "✗ {} refused: {}",
                    display_safe(&entry.event),
                    display_safe(reason)
                ),
                if selected {
                    base
                } else {
                    theme.blocked_item.add_modifier(Modifier::ITALIC)
                },
            ),
            None => Span::styled(
                format!(
                    "{} {} → {}",
                    display_safe(&entry.event),
                    display_safe(&entry.from_state),
                    display_safe(&entry.to_state)
                ),
                base,
            ),
        };
        let line = Line::from(vec![Span::styled(lead, base), what]);
        let mut line = fit(line, width);
        let used = line.width();
        line.spans
            .push(Span::styled(" ".repeat(width.saturating_sub(used)), base));
        line
    }

    /// The selected entry in full (its note or reason), then the filter box or the keys.
    fn draw_bottom(&self, context: &DrawContext, area: Rect, buf: &mut Buffer) {
        let theme = context.theme;
        let width = area.width as usize;
        let y = area.y + area.height.saturating_sub(ROWS_BELOW);
        let detail = self.entries.get(self.selected).map(|entry| {
            let text = match (&entry.refused, &entry.note) {
                (Some(reason), _) => format!("refused: {reason}"),
                (None, Some(note)) => format!("note: “{note}”"),
                (None, None) => "no note".to_string(),
            };
            format!(
                " #{} · {} · {}",
                entry.order_id,
                context.zone.stamp(entry.at),
                display_safe(&text)
            )
        });
        let filter = match self.filter_text.is_empty() {
            true => " filter: none (/ to filter)".to_string(),
            false => format!(" filter: {}", display_safe(&self.filter_text)),
        };
        // A refused filter is said whole, over both lines.
        let lines = match &self.error {
            Some(error) => wrap(
                vec![Line::from(Span::styled(
                    format!(" ✗ {}", display_safe(error)),
                    theme.status_error,
                ))],
                width,
            ),
            None => vec![
                Line::from(Span::styled(
                    truncate(&detail.unwrap_or_default(), width),
                    theme.muted,
                )),
                Line::from(Span::styled(truncate(&filter, width), theme.key_hint)),
            ],
        };
        Paragraph::new(lines).render(Rect::new(area.x, y, area.width, 2), buf);
        let footer = Rect::new(area.x, y + 2, area.width, 1);
        let line = match &self.input {
            Some(input) => {
                let mut spans = vec![
                    Span::styled("filter: ", theme.key_hint),
                    Span::styled(display_safe(input.value()).into_owned(), theme.text),
                    Span::styled("▏ ", theme.key_hint),
                ];
                spans.extend(hint_spans(
                    &context
                        .keymap
                        .input
                        .hints(&[InputAction::Submit, InputAction::Cancel]),
                    " · ",
                    theme,
                ));
                Line::from(spans)
            }
            None => {
                let mut spans = hint_spans(
                    &context.keymap.explorer.hints(&[
                        ExplorerAction::GoToOrder,
                        ExplorerAction::Filter,
                        ExplorerAction::Down,
                        ExplorerAction::Close,
                    ]),
                    "  ",
                    theme,
                );
                if let Some(status) = context.status {
                    let style = if status.error {
                        theme.status_error
                    } else {
                        theme.status_info
                    };
                    spans.push(Span::raw("  "));
                    spans.push(Span::styled(display_safe(&status.text).into_owned(), style));
                }
                Line::from(spans)
            }
        };
        Paragraph::new(fit(line, width)).render(footer, buf);
    }
}

/// Rows the list gets on a screen of `size`.
fn list_height(size: (u16, u16)) -> usize {
    size.1.saturating_sub(ROWS_ABOVE + ROWS_BELOW) as usize
}
