//! Rendering: reads the state, never changes it. `impl Widget for &App` so a frame never
//! clones state. Every text that came from the database goes through `display_safe`.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::action::Action;
use super::app::{App, BoardScreen, Column, LoginField, LoginForm, Overlay, Pane, Screen};
use super::layout::{CARD_HEIGHT, COLUMN_HEADER, MIN_HEIGHT, MIN_WIDTH, board_geometry};
use super::msg::ConnectionState;
use super::theme::Theme;
use crate::domain::text::display_safe;
use crate::domain::{Money, Order, Role};

/// What a frame needs besides the state.
pub struct Frame<'a> {
    pub app: &'a App,
    pub theme: &'a Theme,
}

impl Widget for &Frame<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = self.theme;
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let text = vec![
                Line::from(Span::styled("terminal too small", theme.title)),
                Line::from(format!(
                    "orderboard needs at least {MIN_WIDTH}×{MIN_HEIGHT}; this one is {}×{}.",
                    area.width, area.height
                )),
                Line::from("Enlarge the window, or press q to quit."),
            ];
            Paragraph::new(text)
                .alignment(Alignment::Center)
                .wrap(Wrap { trim: true })
                .render(centered(area, area.width, 3.min(area.height)), buf);
            return;
        }
        match &app.screen {
            Screen::Login(form) => render_login(form, app, theme, area, buf),
            Screen::Board(board) => render_board(board, app, theme, area, buf),
        }
    }
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

fn render_login(form: &LoginForm, app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let demo_rows = if form.demo_logins.is_empty() {
        0
    } else {
        form.demo_logins.len() as u16 + 2
    };
    let box_area = centered(area, 52, 11 + demo_rows);
    Clear.render(box_area, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Span::styled(" orderboard · sign in ", theme.title));
    let inner = block.inner(box_area);
    block.render(box_area, buf);
    let field = |label: &str, value: String, focused: bool| {
        let style = if focused { theme.highlight } else { theme.text };
        Line::from(vec![
            Span::styled(format!("{label:<10}"), theme.muted),
            Span::styled(format!(" {value:<30} "), style),
        ])
    };
    let masked = "•".repeat(form.password.value().chars().count());
    let mut lines = vec![
        Line::from(""),
        field(
            "User",
            display_safe(form.name.value()).into_owned(),
            form.focus == LoginField::Name,
        ),
        Line::from(""),
        field("Password", masked, form.focus == LoginField::Password),
        Line::from(""),
    ];
    if form.busy {
        lines.push(Line::from(Span::styled("signing in…", theme.muted)));
    } else if let Some(error) = &form.error {
        lines.push(Line::from(Span::styled(error.clone(), theme.status_error)));
    } else {
        lines.push(Line::from(""));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled("enter", theme.key_hint),
        Span::styled(" sign in  ", theme.muted),
        Span::styled("tab", theme.key_hint),
        Span::styled(" next field  ", theme.muted),
        Span::styled("esc", theme.key_hint),
        Span::styled(" quit", theme.muted),
    ]));
    if !form.demo_logins.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("Demo sign-ins:", theme.title)));
        for (name, password, role) in &form.demo_logins {
            lines.push(Line::from(Span::styled(
                format!("{name:<10} {password:<15} {role:<9}"),
                theme.text,
            )));
        }
    }
    Paragraph::new(lines)
        .alignment(Alignment::Center)
        .render(inner, buf);
    if let Some(status) = &app.status {
        let style = if status.error {
            theme.status_error
        } else {
            theme.status_info
        };
        Paragraph::new(Span::styled(status.text.clone(), style))
            .render(Rect::new(0, area.height - 1, area.width, 1), buf);
    }
}

fn render_board(board: &BoardScreen, app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let geometry = board_geometry((area.width, area.height), board);
    render_header(
        board,
        app,
        theme,
        geometry.header,
        geometry.columns.len(),
        buf,
    );
    for (index, column_area) in &geometry.columns {
        let column = &board.columns[*index];
        let selected = *index == board.selected_column;
        render_column(
            column,
            selected && board.focus == Pane::Board,
            board,
            app,
            theme,
            *column_area,
            buf,
        );
    }
    if geometry.columns.is_empty() {
        let text = if board.loading {
            "loading…"
        } else {
            "no columns to show"
        };
        Paragraph::new(Span::styled(text, theme.muted))
            .alignment(Alignment::Center)
            .render(geometry.board, buf);
    }
    render_order_pane(board, app, theme, geometry.order, buf);
    render_feed(board, app, theme, geometry.feed, buf);
    render_footer(board, app, theme, geometry.footer, buf);
    // Overlays are drawn last, in one fixed order.
    match &board.overlay {
        Some(Overlay::Menu(menu)) => render_menu(menu, theme, area, buf),
        Some(Overlay::Note(form)) => render_note(form, theme, area, buf),
        Some(Overlay::Confirm(confirm)) => render_confirm(confirm, theme, area, buf),
        Some(Overlay::Help) => render_help(app, theme, area, buf),
        None => {}
    }
}

fn render_header(
    board: &BoardScreen,
    app: &App,
    theme: &Theme,
    area: Rect,
    shown: usize,
    buf: &mut Buffer,
) {
    let workflow_label = app
        .workflows
        .get(&board.workflow)
        .map(|w| w.label.clone())
        .unwrap_or_else(|| board.workflow.clone());
    let position = board
        .workflow_names
        .iter()
        .position(|w| *w == board.workflow)
        .map(|i| format!(" ({}/{})", i + 1, board.workflow_names.len()))
        .unwrap_or_default();
    let mut spans = vec![
        Span::styled(" orderboard ", theme.title),
        Span::styled(format!("· {workflow_label}{position} "), theme.text),
        Span::styled(
            format!(
                "· {} ({}) ",
                display_safe(&board.actor.name),
                board.actor.role
            ),
            theme.muted,
        ),
    ];
    if let Some(label) = board.quick.label() {
        spans.push(Span::styled(format!(" {label} "), theme.highlight));
        spans.push(Span::raw(" "));
    }
    if !board.filter_text.is_empty() {
        spans.push(Span::styled(
            format!(" filter: {} ", display_safe(&board.filter_text)),
            theme.highlight,
        ));
        spans.push(Span::raw(" "));
    }
    // Columns off screen: the board scrolls sideways with the selection.
    let total = board.visible_columns().len();
    if shown > 0 && total > shown {
        let first = board.first_visible_column + 1;
        let left = if first > 1 { "◂ " } else { "" };
        let right = if first + shown - 1 < total {
            " ▸"
        } else {
            ""
        };
        spans.push(Span::styled(
            format!(
                "· {left}columns {first}–{} of {total}{right} ",
                first + shown - 1
            ),
            theme.key_hint,
        ));
    }
    let hidden: Vec<String> = board
        .columns
        .iter()
        .filter(|c| c.terminal && !board.show_terminal)
        .map(|c| format!("{} {}", c.label, c.count))
        .collect();
    if !hidden.is_empty() {
        spans.push(Span::styled(
            format!("· finished: {} ", hidden.join(", ")),
            theme.terminal_column,
        ));
    }
    if board.loading {
        spans.push(Span::styled("· loading… ", theme.muted));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
    if let ConnectionState::Reconnecting(_) = &app.connection {
        let text = " ⟳ reconnecting… ";
        let width = text.chars().count() as u16;
        if area.width > width {
            Paragraph::new(Span::styled(text, theme.reconnecting)).render(
                Rect::new(area.x + area.width - width, area.y, width, 1),
                buf,
            );
        }
    }
}

fn render_column(
    column: &Column,
    focused: bool,
    board: &BoardScreen,
    app: &App,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let header_style = if column.terminal {
        theme.terminal_column
    } else {
        theme.column_header
    };
    let marker = if focused { "▸ " } else { "  " };
    let header = format!("{marker}{} ({})", display_safe(&column.label), column.count);
    Paragraph::new(Span::styled(
        truncate(&header, area.width as usize),
        header_style,
    ))
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
    let visible = (cards_area.height / CARD_HEIGHT) as usize;
    for (slot, card) in column
        .cards
        .iter()
        .skip(column.offset)
        .take(visible)
        .enumerate()
    {
        let index = column.offset + slot;
        let card_area = Rect::new(
            cards_area.x,
            cards_area.y + slot as u16 * CARD_HEIGHT,
            cards_area.width,
            CARD_HEIGHT,
        );
        render_card(
            card,
            index == column.selected && board.selected_column_is(column),
            focused && index == column.selected,
            board,
            app,
            theme,
            card_area,
            buf,
        );
    }
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
    // A thin separator between columns.
    for y in area.y..area.y + area.height {
        if let Some(cell) = buf.cell_mut((area.x + area.width - 1, y)) {
            cell.set_symbol("│").set_style(theme.border);
        }
    }
}

impl BoardScreen {
    fn selected_column_is(&self, column: &Column) -> bool {
        self.columns
            .get(self.selected_column)
            .is_some_and(|c| std::ptr::eq(c, column))
    }
}

#[allow(clippy::too_many_arguments)]
fn render_card(
    order: &Order,
    selected: bool,
    focused: bool,
    board: &BoardScreen,
    app: &App,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let width = area.width as usize;
    let base = if selected && focused {
        theme.selected_card
    } else if selected {
        theme.card.add_modifier(Modifier::REVERSED)
    } else {
        theme.card
    };
    let title = format!(" #{} {}", order.id, display_safe(&order.title));
    let counterpart = match board.actor.role {
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
    }
    .to_string();
    let meta = format!(
        " {counterpart} · {money} · {}",
        age(order.state_entered_at, app.now)
    );
    let late = app
        .workflows
        .get(&order.workflow)
        .is_some_and(|w| w.is_late(order, app.now));
    let due = order
        .due_at
        .map(|d| format!(" due {}", d.format("%b %d")))
        .unwrap_or_default();
    let lines = vec![
        Line::from(Span::styled(
            pad(&title, width),
            base.add_modifier(Modifier::BOLD),
        )),
        Line::from(Span::styled(pad(&meta, width), base)),
        Line::from({
            let mut spans = vec![Span::styled(
                due.clone(),
                if selected { base } else { theme.muted },
            )];
            if late {
                spans.push(Span::raw(" "));
                spans.push(Span::styled(" LATE ", theme.late_badge));
            }
            let used: usize = due.chars().count() + if late { 7 } else { 0 };
            spans.push(Span::styled(
                " ".repeat(width.saturating_sub(used)),
                if selected { base } else { Style::default() },
            ));
            spans
        }),
    ];
    Paragraph::new(lines).render(area, buf);
}

/// Time since an instant, as a short human word: 45s, 12m, 5h, 3d.
pub fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - since).num_seconds().max(0);
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn pad(text: &str, width: usize) -> String {
    let text = truncate(text, width);
    let count = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(count)))
}

fn pane_block<'a>(title: &'a str, focused: bool, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            theme.border_focused
        } else {
            theme.border
        })
        .title(Span::styled(title, theme.title))
}

fn render_order_pane(board: &BoardScreen, app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let block = pane_block(" Order ", board.focus == Pane::Order, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(order) = board.selected_order() else {
        Paragraph::new(Span::styled("no order selected", theme.muted)).render(inner, buf);
        return;
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("#{} ", order.id), theme.title),
        Span::styled(display_safe(&order.title).into_owned(), theme.title),
    ])];
    let workflow = app.workflows.get(&order.workflow);
    let state_label = workflow
        .map(|w| w.state_label(&order.state).to_string())
        .unwrap_or_else(|| order.state.clone());
    lines.push(Line::from(vec![
        Span::styled(format!("{state_label} "), theme.highlight),
        Span::styled(
            format!(" v{} · {} · ", order.version, order.workflow),
            theme.muted,
        ),
        Span::styled(
            Money {
                cents: order.amount_cents,
                currency: &order.currency,
            }
            .to_string(),
            theme.amount,
        ),
    ]));
    lines.push(Line::from(Span::styled(
        format!(
            "customer {} · seller {}",
            display_safe(&order.customer),
            display_safe(&order.seller)
        ),
        theme.text,
    )));
    let due = order
        .due_at
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "none".into());
    lines.push(Line::from(Span::styled(
        format!(
            "placed {} · due {due} · in state {}",
            order.placed_at.format("%Y-%m-%d"),
            age(order.state_entered_at, app.now)
        ),
        theme.muted,
    )));
    let counters: Vec<String> = order
        .counters
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    if !counters.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("counters: {}", counters.join(", ")),
            theme.text,
        )));
    }
    match &board.detail {
        None => lines.push(Line::from(Span::styled("loading history…", theme.muted))),
        Some(detail) => {
            if !detail.view.ledger.is_empty() {
                let ledger: Vec<String> = detail
                    .view
                    .ledger
                    .iter()
                    .map(|row| {
                        format!(
                            "{} {}",
                            row.kind,
                            Money {
                                cents: row.amount_cents,
                                currency: &order.currency
                            }
                        )
                    })
                    .collect();
                lines.push(Line::from(Span::styled(
                    format!("ledger: {}", ledger.join(", ")),
                    theme.amount,
                )));
            }
            if !detail.view.effects.is_empty() {
                let effects: Vec<String> = detail
                    .view
                    .effects
                    .iter()
                    .map(|e| format!("{} ({})", e.payload, e.status))
                    .collect();
                lines.push(Line::from(Span::styled(
                    format!("effects: {}", effects.join(", ")),
                    theme.muted,
                )));
            }
            lines.push(Line::from(Span::styled("History", theme.column_header)));
            // Transitions and (for support and admin) refused attempts, by time.
            let mut timeline: Vec<(DateTime<Utc>, Line)> = detail
                .history
                .iter()
                .map(|h| {
                    let behalf = h
                        .on_behalf_of
                        .as_ref()
                        .map(|c| format!(" for {}", display_safe(c)))
                        .unwrap_or_default();
                    let note = h
                        .note
                        .as_ref()
                        .map(|n| format!(" “{}”", display_safe(n)))
                        .unwrap_or_default();
                    (
                        h.at,
                        Line::from(vec![
                            Span::styled(
                                format!("{} ", h.at.format("%m-%d %H:%M")),
                                theme.feed_time,
                            ),
                            Span::styled(
                                format!("{} ({}){behalf} ", display_safe(&h.actor), h.role),
                                theme.text,
                            ),
                            Span::styled(
                                format!("{} {}→{}", h.event, h.from, h.to),
                                theme.available_item,
                            ),
                            Span::styled(note, theme.muted),
                        ]),
                    )
                })
                .collect();
            timeline.extend(detail.attempts.iter().map(|a| {
                (
                    a.at,
                    Line::from(vec![
                        Span::styled(format!("{} ", a.at.format("%m-%d %H:%M")), theme.feed_time),
                        Span::styled(
                            format!(
                                "{} ({}) tried {} ",
                                display_safe(&a.actor),
                                a.role,
                                display_safe(&a.event)
                            ),
                            theme.blocked_item,
                        ),
                        Span::styled(
                            format!("refused: {}", display_safe(&a.reason)),
                            theme.blocked_item,
                        ),
                    ]),
                )
            }));
            timeline.sort_by_key(|(at, _)| *at);
            if timeline.is_empty() {
                lines.push(Line::from(Span::styled("no transitions yet", theme.muted)));
            }
            lines.extend(timeline.into_iter().map(|(_, line)| line));
        }
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((board.detail_scroll, 0))
        .render(inner, buf);
}

fn render_feed(board: &BoardScreen, app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let block = pane_block(" Live feed ", board.focus == Pane::Feed, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    if board.feed.is_empty() {
        Paragraph::new(Span::styled("waiting for changes…", theme.muted)).render(inner, buf);
        return;
    }
    let lines: Vec<Line> = board
        .feed
        .iter()
        .skip(board.feed_scroll as usize)
        .take(inner.height as usize)
        .map(|event| {
            let entry = &event.entry;
            let workflow = if event.workflow == board.workflow {
                String::new()
            } else {
                format!("[{}] ", display_safe(&event.workflow))
            };
            Line::from(vec![
                Span::styled(
                    format!("{} ", age_or_time(entry.at, app.now)),
                    theme.feed_time,
                ),
                Span::styled(format!("{} ", display_safe(&entry.actor)), theme.text),
                Span::styled(format!("{workflow}#{} ", entry.order_id), theme.title),
                Span::styled(
                    format!("{}→{} ", entry.from, entry.to),
                    theme.available_item,
                ),
                Span::styled(display_safe(&event.title).into_owned(), theme.muted),
            ])
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}

fn age_or_time(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if (now - at).num_hours() < 24 {
        at.format("%H:%M:%S").to_string()
    } else {
        at.format("%m-%d").to_string()
    }
}

fn render_footer(board: &BoardScreen, app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    if let Some(input) = &board.filter_input {
        let line = Line::from(vec![
            Span::styled("filter: ", theme.key_hint),
            Span::styled(display_safe(input.value()).into_owned(), theme.text),
            Span::styled("▏", theme.key_hint),
            Span::styled("   enter apply · esc cancel", theme.muted),
        ]);
        Paragraph::new(line).render(area, buf);
        return;
    }
    if let Some(status) = &app.status {
        let style = if status.error {
            theme.status_error
        } else {
            theme.status_info
        };
        let text = truncate(&display_safe(&status.text), area.width as usize / 2);
        let width = text.chars().count() as u16;
        Paragraph::new(Span::styled(text, style)).render(
            Rect::new(area.x + area.width - width, area.y, width, 1),
            buf,
        );
    }
    // The hints come from the key map, so they show what the keys do.
    let mut spans = Vec::new();
    for action in [
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
    ] {
        let keys = app.keymap.keys_for(action);
        if keys.is_empty() {
            continue;
        }
        let keys = keys.split(", ").next().unwrap_or_default().to_string();
        spans.push(Span::styled(keys, theme.key_hint));
        spans.push(Span::styled(format!(" {}  ", action.hint()), theme.muted));
    }
    let status_width = app
        .status
        .as_ref()
        .map(|s| (s.text.chars().count() as u16).min(area.width / 2) + 1)
        .unwrap_or(0);
    Paragraph::new(Line::from(spans)).render(
        Rect::new(area.x, area.y, area.width.saturating_sub(status_width), 1),
        buf,
    );
}

fn popup(
    area: Rect,
    width: u16,
    height: u16,
    title: String,
    theme: &Theme,
    buf: &mut Buffer,
) -> Rect {
    let rect = centered(area, width, height);
    Clear.render(rect, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(rect);
    block.render(rect, buf);
    inner
}

fn render_menu(menu: &super::app::Menu, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let rows = (menu.available.len() + menu.blocked.len() + 5) as u16;
    let width = (area.width - 4).min(90);
    let inner = popup(
        area,
        width,
        rows.min(area.height - 2),
        format!(" {} ", menu.title),
        theme,
        buf,
    );
    let mut lines = Vec::new();
    if menu.available.is_empty() {
        lines.push(Line::from(Span::styled(
            "Nothing you may do to this order now.",
            theme.muted,
        )));
    }
    for (index, option) in menu.available.iter().enumerate() {
        let style = if index == menu.selected {
            theme.selected_card
        } else {
            theme.available_item
        };
        let mut text = format!(" {} → {}", option.label, option.to);
        if option.note_required {
            text.push_str("  (note)");
        }
        if option.needs_confirmation {
            text.push_str("  (confirm)");
        }
        lines.push(Line::from(Span::styled(
            pad(&text, inner.width as usize),
            style,
        )));
    }
    if !menu.blocked.is_empty() {
        lines.push(Line::from(Span::styled("Not for you now:", theme.muted)));
    }
    for blocked in &menu.blocked {
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {} ", blocked.label),
                theme.blocked_item.add_modifier(Modifier::CROSSED_OUT),
            ),
            Span::styled(format!("— {}", blocked.reason), theme.blocked_item),
        ]));
    }
    if menu.other_states > 0 {
        lines.push(Line::from(Span::styled(
            format!("  ({} more need another state)", menu.other_states),
            theme.muted,
        )));
    }
    lines.push(Line::from(Span::styled(
        "↑/↓ choose · enter apply · esc close",
        theme.key_hint,
    )));
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inner, buf);
}

fn render_note(form: &super::app::NoteForm, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let width = (area.width - 4).min(70);
    let inner = popup(
        area,
        width,
        8,
        format!(" {} — note for #{} ", form.choice.label, form.order_id),
        theme,
        buf,
    );
    let field_width = inner.width.saturating_sub(2) as usize;
    let value = display_safe(form.input.value()).into_owned();
    let scroll = form.input.visual_scroll(field_width);
    let visible: String = value.chars().skip(scroll).take(field_width).collect();
    let mut lines = vec![
        Line::from(Span::styled("This transition needs a note:", theme.text)),
        Line::from(Span::styled(
            pad(&format!(" {visible}"), inner.width as usize),
            theme.highlight,
        )),
    ];
    match (&form.error, form.busy) {
        (_, true) => lines.push(Line::from(Span::styled("applying…", theme.muted))),
        (Some(error), _) => lines.push(Line::from(Span::styled(error.clone(), theme.status_error))),
        _ => lines.push(Line::from("")),
    }
    lines.push(Line::from(Span::styled(
        "enter continue · esc cancel",
        theme.key_hint,
    )));
    Paragraph::new(lines).render(inner, buf);
}

fn render_confirm(confirm: &super::app::Confirmation, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let width = (area.width - 4).min(70);
    let inner = popup(area, width, 9, " Confirm ".to_string(), theme, buf);
    let mut lines = vec![
        Line::from(Span::styled(
            format!(
                "{} order #{} → {}?",
                confirm.choice.label, confirm.order_id, confirm.choice.to
            ),
            theme.title,
        )),
        Line::from(Span::styled(
            if confirm.effects.is_empty() {
                "This ends the order.".to_string()
            } else {
                format!("Records: {}", confirm.effects.join(", "))
            },
            theme.text,
        )),
    ];
    if let Some(note) = &confirm.note {
        lines.push(Line::from(Span::styled(
            format!("Note: {}", display_safe(note)),
            theme.muted,
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(if confirm.busy {
        Span::styled("applying…", theme.muted)
    } else {
        Span::styled("y / enter: yes, apply · n / esc: no", theme.key_hint)
    }));
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inner, buf);
}

fn render_help(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let rows = Action::ALL.len() as u16 + 4;
    let inner = popup(
        area,
        64.min(area.width - 2),
        rows.min(area.height - 2),
        " Keys ".to_string(),
        theme,
        buf,
    );
    let mut lines: Vec<Line> = Action::ALL
        .iter()
        .map(|action| {
            Line::from(vec![
                Span::styled(
                    format!("{:<16}", app.keymap.keys_for(*action)),
                    theme.key_hint,
                ),
                Span::styled(action.description(), theme.text),
            ])
        })
        .collect();
    lines.push(Line::from(Span::styled(
        "mouse: click a card to select it, wheel to scroll",
        theme.muted,
    )));
    lines.push(Line::from(Span::styled(
        "keys are set under [keys] in config.toml",
        theme.muted,
    )));
    let [body] = Layout::vertical([Constraint::Fill(1)]).areas(inner);
    Paragraph::new(lines).render(body, buf);
}
