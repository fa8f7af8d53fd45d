//! Drawing the board: the header, the columns and their cards, the panes, the footer, and
//! the overlay on top.

use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{BoardScreen, Column, Pane};
use crate::domain::search::MATCHES_READ;
use crate::domain::text::display_safe;
use crate::domain::{Money, Order, OrderSort, Role};
use crate::tui::action::Action;
use crate::tui::clock::timer_badge;
use crate::tui::layout::{CARD_HEIGHT, COLUMN_FOOTER, COLUMN_HEADER, board_geometry};
use crate::tui::msg::ConnectionState;
use crate::tui::theme::Theme;
use crate::tui::view::DrawContext;
use crate::tui::widgets::{
    age, hint_spans, input_with_caret, label_with_count, pad, shorten, truncate,
};

const RECONNECTING: &str = " ⟳ reconnecting… ";

/// The board actions the footer names, most used first.
const FOOTER_ACTIONS: [Action; 10] = [
    Action::OpenMenu,
    Action::Filter,
    Action::MineOnly,
    Action::LateOnly,
    Action::DisputesOnly,
    Action::SwitchWorkflow,
    Action::ToggleTerminalColumns,
    Action::NextPane,
    Action::Help,
    Action::Quit,
];

impl BoardScreen {
    pub fn draw(&self, context: &DrawContext, area: Rect, buf: &mut Buffer) {
        if self.draw_top(context, area, buf) {
            return;
        }
        let geometry = board_geometry((area.width, area.height), self);
        self.draw_header(context, geometry.header, geometry.columns.len(), buf);
        for (index, column_area) in &geometry.columns {
            let focused = *index == self.selection.column && self.selection.focus == Pane::Board;
            self.draw_column(*index, focused, context, *column_area, buf);
        }
        if geometry.columns.is_empty() {
            let text = if self.loading {
                "loading…"
            } else {
                "no columns to show"
            };
            Paragraph::new(Span::styled(text, context.theme.muted))
                .alignment(Alignment::Center)
                .render(geometry.board, buf);
        }
        let focus = self.selection.focus;
        self.order_pane.draw(
            self.selected_order(),
            focus == Pane::Order,
            context,
            geometry.order,
            buf,
        );
        self.feed.draw(
            &self.workflow,
            focus == Pane::Feed,
            context,
            geometry.feed,
            buf,
        );
        self.draw_footer(context, geometry.footer, buf);
        if let Some(overlay) = &self.overlay {
            overlay.draw(context, area, buf);
        }
    }

    /// The header's counts: cards selected for a bulk action, effects that need a person.
    fn badges(&self, theme: &Theme) -> Vec<Span<'static>> {
        let mut spans = Vec::new();
        let marked = self.selection.marked.len();
        if marked > 0 {
            spans.push(Span::styled(
                format!(" ✓ {marked} selected "),
                theme.highlight,
            ));
            spans.push(Span::raw(" "));
        }
        let failed = self.sync.effects_needing_attention;
        if failed > 0 {
            spans.push(Span::styled(
                format!(
                    " ⚠ {failed} failed effect{} ",
                    if failed == 1 { "" } else { "s" }
                ),
                theme.late_badge,
            ));
            spans.push(Span::raw(" "));
        }
        spans
    }

    fn draw_header(&self, context: &DrawContext, area: Rect, shown: usize, buf: &mut Buffer) {
        let theme = context.theme;
        let workflow_label = context
            .workflows
            .get(&self.workflow)
            .map(|w| w.label.clone())
            .unwrap_or_else(|| self.workflow.clone());
        let position = self
            .workflow_names
            .iter()
            .position(|w| *w == self.workflow)
            .map(|i| format!(" ({}/{})", i + 1, self.workflow_names.len()))
            .unwrap_or_default();
        let mut spans = vec![
            Span::styled(" orderboard ", theme.title),
            Span::styled(format!("· {workflow_label}{position} "), theme.text),
        ];
        let who = format!("{} ({})", display_safe(&self.actor.name), self.actor.role);
        if self.viewer.is_some() {
            spans.push(Span::styled(
                format!(" viewing as {who} · read-only "),
                theme.highlight,
            ));
            spans.push(Span::raw(" "));
        } else {
            spans.push(Span::styled(format!("· {who} "), theme.muted));
        }
        spans.extend(server_badge(context));
        if self.filters.sort != OrderSort::Id {
            spans.push(Span::styled(
                format!("· by {} ", self.filters.sort.label()),
                theme.key_hint,
            ));
        }
        spans.extend(self.badges(theme));
        let quick = self.filters.quick.labels();
        if !quick.is_empty() {
            spans.push(Span::styled(
                format!(" {} ", quick.join(" + ")),
                theme.highlight,
            ));
            spans.push(Span::raw(" "));
        }
        if !self.filters.text.is_empty() {
            let matches: i64 = self.columns.iter().map(|c| c.count).sum();
            let found = if self.filters.matches_capped {
                format!("{MATCHES_READ}+ matches")
            } else {
                format!("{matches} match{}", if matches == 1 { "" } else { "es" })
            };
            spans.push(Span::styled(
                format!(" filter: {} · {found} ", display_safe(&self.filters.text)),
                theme.highlight,
            ));
            spans.push(Span::raw(" "));
            let elsewhere = self.filters.matches_elsewhere(&self.workflow);
            if !elsewhere.is_empty() {
                spans.push(Span::styled(
                    format!("· also: {} ", elsewhere.join(", ")),
                    theme.key_hint,
                ));
            }
        }
        spans.extend(self.scroll_position(shown, context));
        if self.loading {
            spans.push(Span::styled("· loading… ", theme.muted));
        }
        let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        let reconnecting = matches!(context.connection, ConnectionState::Reconnecting(_));
        let room = (area.width as usize).saturating_sub(
            used + if reconnecting {
                RECONNECTING.chars().count()
            } else {
                0
            },
        );
        if let Some(finished) = self.finished_summary(room) {
            spans.push(Span::styled(finished, theme.terminal_column));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
        if reconnecting {
            let text = RECONNECTING;
            let width = text.chars().count() as u16;
            if area.width > width {
                Paragraph::new(Span::styled(text, theme.reconnecting)).render(
                    Rect::new(area.x + area.width - width, area.y, width, 1),
                    buf,
                );
            }
        }
    }

    /// The folded finished columns with their counts, in `room` characters: labels shorten
    /// first, then give way to a total; a count is never cut.
    fn finished_summary(&self, room: usize) -> Option<String> {
        let hidden: Vec<&Column> = self
            .columns
            .iter()
            .filter(|c| c.terminal && !self.selection.show_terminal)
            .collect();
        if hidden.is_empty() {
            return None;
        }
        let listed = |shorten_to: Option<usize>| {
            let parts: Vec<String> = hidden
                .iter()
                .map(|c| {
                    let label = display_safe(&c.label);
                    let label = shorten_to.map_or(label.to_string(), |w| shorten(&label, w));
                    format!("{label} {}", c.count)
                })
                .collect();
            format!("· finished: {} ", parts.join(", "))
        };
        let total: i64 = hidden.iter().map(|c| c.count).sum();
        [
            listed(None),
            listed(Some(10)),
            listed(Some(5)),
            format!("· finished: {total} "),
        ]
        .into_iter()
        .find(|text| text.chars().count() <= room)
    }

    /// Columns off screen: the board scrolls sideways with the selection.
    fn scroll_position(&self, shown: usize, context: &DrawContext) -> Option<Span<'static>> {
        let total = self.visible_columns().len();
        if shown == 0 || total <= shown {
            return None;
        }
        let first = self.selection.first_visible_column + 1;
        let last = first + shown - 1;
        let left = if first > 1 { "◂ " } else { "" };
        let right = if last < total { " ▸" } else { "" };
        Some(Span::styled(
            format!("· {left}columns {first}–{last} of {total}{right} "),
            context.theme.key_hint,
        ))
    }

    fn draw_column(
        &self,
        index: usize,
        focused: bool,
        context: &DrawContext,
        area: Rect,
        buf: &mut Buffer,
    ) {
        let theme = context.theme;
        let column = &self.columns[index];
        let header_style = if column.terminal {
            theme.terminal_column
        } else {
            theme.column_header
        };
        let marker = if focused { "▸ " } else { "  " };
        let room = (area.width as usize).saturating_sub(marker.chars().count() + 1);
        let header = format!(
            "{marker}{}",
            label_with_count(
                &display_safe(&column.label),
                column.count,
                self.filters.matches_capped,
                room
            )
        );
        Paragraph::new(Span::styled(header, header_style))
            .render(Rect::new(area.x, area.y, area.width, 1), buf);
        let rule_style = if focused {
            theme.border_focused
        } else {
            theme.border
        };
        Paragraph::new(Span::styled(
            "─".repeat(area.width.saturating_sub(1) as usize),
            rule_style,
        ))
        .render(Rect::new(area.x, area.y + 1, area.width, 1), buf);
        let cards_area = Rect::new(
            area.x,
            area.y + COLUMN_HEADER,
            area.width.saturating_sub(1),
            area.height.saturating_sub(COLUMN_HEADER),
        );
        let visible = (cards_area.height.saturating_sub(COLUMN_FOOTER) / CARD_HEIGHT) as usize;
        let is_selected_column = index == self.selection.column;
        for (slot, card) in column
            .cards
            .iter()
            .skip(column.offset)
            .take(visible)
            .enumerate()
        {
            let card_index = column.offset + slot;
            let card_area = Rect::new(
                cards_area.x,
                cards_area.y + slot as u16 * CARD_HEIGHT,
                cards_area.width,
                CARD_HEIGHT,
            );
            let selected = card_index == column.selected && is_selected_column;
            let highlight = CardHighlight {
                selected,
                focused: focused && card_index == column.selected,
            };
            self.draw_card(card, highlight, context, card_area, buf);
        }
        draw_column_footer(column, visible, context, area, cards_area, buf);
    }

    fn draw_card(
        &self,
        order: &Order,
        highlight: CardHighlight,
        context: &DrawContext,
        area: Rect,
        buf: &mut Buffer,
    ) {
        let theme = context.theme;
        let width = area.width as usize;
        let CardHighlight { selected, focused } = highlight;
        // The selection keeps a dim mark while another pane has focus; ▌ marks it without
        // colour either way.
        let base = if selected && focused {
            theme.selected_card
        } else if selected {
            theme
                .card
                .add_modifier(Modifier::DIM | Modifier::UNDERLINED)
        } else {
            theme.card
        };
        let marker = if selected { "▌" } else { " " };
        // A card marked for a bulk action: ✓ before its id, readable without colour.
        let mark = if self.selection.marked.contains(&order.id) {
            "✓"
        } else {
            ""
        };
        let title = format!("{marker}{mark}#{} {}", order.id, display_safe(&order.title));
        let counterpart = match self.actor.role {
            Role::Seller => display_safe(&order.customer).into_owned(),
            Role::Customer => display_safe(&order.seller).into_owned(),
            _ => format!(
                "{} → {}",
                display_safe(&order.customer),
                display_safe(&order.seller)
            ),
        };
        let money = Money {
            cents: order.amount_cents,
            currency: &order.currency,
        };
        let meta = card_meta(
            &counterpart,
            &money.to_string(),
            &age(order.state_entered_at, context.now),
            width,
        );
        let last = badges_line(
            order,
            context,
            width,
            if selected { Some(base) } else { None },
        );
        let lines = vec![
            Line::from(Span::styled(
                pad(&title, width),
                base.add_modifier(Modifier::BOLD),
            )),
            Line::from(Span::styled(pad(&meta, width), base)),
            last,
        ];
        Paragraph::new(lines).render(area, buf);
    }

    fn draw_footer(&self, context: &DrawContext, area: Rect, buf: &mut Buffer) {
        let theme = context.theme;
        if let Some(input) = &self.filters.input {
            const LABEL: &str = "filter: ";
            let hints = context.keymap.input.hints(&[
                crate::tui::action::InputAction::Submit,
                crate::tui::action::InputAction::Cancel,
            ]);
            let room = (area.width as usize).saturating_sub(LABEL.len());
            let typed = unicode_width::UnicodeWidthStr::width(input.value()) + 1;
            // The hints give way to a long text, which scrolls to its cursor.
            let hinted = typed + 3 + hints_width(&hints) <= room;
            let field = if hinted { typed } else { room };
            let mut spans = vec![
                Span::styled(LABEL, theme.key_hint),
                Span::styled(input_with_caret(input, field), theme.text),
            ];
            if hinted {
                spans.push(Span::raw("   "));
                spans.extend(hint_spans(&hints, " · ", theme));
            }
            Paragraph::new(Line::from(spans)).render(area, buf);
            return;
        }
        let width = area.width as usize;
        let status = context
            .status
            .map(|s| (display_safe(&s.text).into_owned(), s.error));
        let status_wants = status
            .as_ref()
            .map_or(0, |(text, _)| text.chars().count() + 1);
        // The hints come from the key map, so they show what the keys do. Help and quit stay
        // whatever the width: the ones before them give way first.
        let mut hints = context.keymap.board.hints(&FOOTER_ACTIONS);
        // A status message is read now: the optional hints give way to it first.
        let room = width.saturating_sub(status_wants);
        while hints_width(&hints) > room && hints.len() > 2 {
            hints.remove(hints.len() - 3);
        }
        let used = hints_width(&hints);
        Paragraph::new(Line::from(hint_spans(&hints, "  ", theme)))
            .render(Rect::new(area.x, area.y, used.min(width) as u16, 1), buf);
        if let Some((text, error)) = status {
            let style = if error {
                theme.status_error
            } else {
                theme.status_info
            };
            let text = truncate(&text, width.saturating_sub(used + 1));
            let shown = text.chars().count() as u16;
            Paragraph::new(Span::styled(text, style)).render(
                Rect::new(area.x + area.width - shown, area.y, shown, 1),
                buf,
            );
        }
    }
}

/// "carol → sam · 127.24 EUR · 25d" in `width`: the names give way first, then the age; the
/// amount is never cut.
fn card_meta(counterpart: &str, money: &str, age: &str, width: usize) -> String {
    let tail = format!(" · {money} · {age}");
    let room = width.saturating_sub(tail.chars().count() + 1);
    if room >= 4 {
        return format!(" {}{tail}", truncate(counterpart, room));
    }
    let short = format!(" {money} · {age}");
    if short.chars().count() <= width {
        short
    } else {
        format!(" {money}")
    }
}

/// A card's last line: the due date, LATE, and a pending timer; the badges come first, so the
/// word "due" gives way when the card is narrow. `selected` carries the card's highlight.
fn badges_line(
    order: &Order,
    context: &DrawContext,
    width: usize,
    selected: Option<Style>,
) -> Line<'static> {
    let theme = context.theme;
    let late = context
        .workflows
        .get(&order.workflow)
        .is_some_and(|w| w.is_late(order, context.now));
    let timer = order.timer.as_ref().map(|timer| {
        let overdue = timer.due_at < context.now;
        let style = if overdue {
            theme.late_badge
        } else {
            theme.key_hint
        };
        (
            format!(" {}", timer_badge(timer.due_at, context.now)),
            style,
        )
    });
    let badges = if late { 7 } else { 0 } + timer.as_ref().map_or(0, |(b, _)| b.chars().count());
    let due = order
        .due_at
        .map(|d| {
            let long = format!(" due {}", d.format("%b %d"));
            if long.chars().count() + badges <= width {
                long
            } else {
                format!(" {}", d.format("%b %d"))
            }
        })
        .unwrap_or_default();
    let used = due.chars().count() + badges;
    let mut spans = vec![Span::styled(due, selected.unwrap_or(theme.muted))];
    if late {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(" LATE ", theme.late_badge));
    }
    if let Some((badge, style)) = timer {
        spans.push(Span::styled(badge, style));
    }
    spans.push(Span::styled(
        " ".repeat(width.saturating_sub(used)),
        selected.unwrap_or_default(),
    ));
    Line::from(spans)
}

/// How wide the hints draw with two spaces between them.
fn hints_width(hints: &[(String, &'static str)]) -> usize {
    let words: usize = hints
        .iter()
        .map(|(key, word)| key.chars().count() + 1 + word.chars().count())
        .sum();
    words + 2 * hints.len().saturating_sub(1)
}

#[derive(Clone, Copy)]
struct CardHighlight {
    /// The column's selected card in the selected column.
    selected: bool,
    /// ... and the board has focus.
    focused: bool,
}

/// "(empty)", "↓ 12 more", and the separator to the next column.
fn draw_column_footer(
    column: &Column,
    visible: usize,
    context: &DrawContext,
    area: Rect,
    cards_area: Rect,
    buf: &mut Buffer,
) {
    let theme = context.theme;
    if column.cards.is_empty() {
        Paragraph::new(Span::styled("  (empty)", theme.muted)).render(
            Rect::new(cards_area.x, cards_area.y, cards_area.width, 1),
            buf,
        );
    }
    let shown_to = (column.offset + visible).min(column.cards.len());
    if (column.count as usize) > shown_to && cards_area.height > 0 {
        let more = format!(" ↓ {} more ", column.count as usize - shown_to);
        let width = (more.chars().count() as u16).min(cards_area.width);
        Paragraph::new(Span::styled(more, theme.muted)).render(
            Rect::new(
                cards_area.x + cards_area.width - width,
                area.y + area.height - 1,
                width,
                1,
            ),
            buf,
        );
    }
    for y in area.y..area.y + area.height {
        if let Some(cell) = buf.cell_mut((area.x + area.width - 1, y)) {
            cell.set_symbol("│").set_style(theme.border);
        }
    }
}

/// The server the board works through; plain HTTP to another machine is worth seeing all day.
fn server_badge<'a>(context: &DrawContext) -> Option<Span<'a>> {
    let server = context.server?;
    let style = if server.starts_with(crate::office::desk::INSECURE_MARK) {
        context.theme.reconnecting
    } else {
        context.theme.muted
    };
    Some(Span::styled(
        format!("· via {} ", display_safe(server)),
        style,
    ))
}
