//! Small drawing helpers every screen shares: boxes, popups, text fitting and key hints.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Clear, Widget};

use super::theme::Theme;

pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

/// A bordered box in the middle of `area`, cleared; returns its inside.
pub fn popup(
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

pub fn pane_block<'a>(title: &'a str, focused: bool, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            theme.border_focused
        } else {
            theme.border
        })
        .title(Span::styled(title, theme.title))
}

/// Key hints as spans: each key highlighted, its word muted, `separator` between them.
pub fn hint_spans(
    hints: &[(String, &'static str)],
    separator: &str,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for (index, (key, word)) in hints.iter().enumerate() {
        if index > 0 {
            spans.push(Span::styled(separator.to_string(), theme.muted));
        }
        spans.push(Span::styled(key.clone(), theme.key_hint));
        spans.push(Span::styled(format!(" {word}"), theme.muted));
    }
    spans
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

/// At most `width` characters; a cut text ends with an ellipsis.
pub fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Exactly `width` characters: cut with an ellipsis or filled with spaces.
pub fn pad(text: &str, width: usize) -> String {
    let text = truncate(text, width);
    let count = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(count)))
}
