//! Small drawing helpers every screen shares: boxes, popups, text fitting and key hints.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Widget};
use unicode_width::UnicodeWidthChar;

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

/// A pane's box: the focused one has a double border, so focus reads without colour.
pub fn pane_block<'a>(title: &'a str, focused: bool, theme: &Theme) -> Block<'a> {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title));
    if focused {
        block
            .border_type(BorderType::Double)
            .border_style(theme.border_focused)
    } else {
        block.border_style(theme.border)
    }
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

/// A label in at most `width` characters, shortened before it is cut: long words become
/// their first letters and a dot ("Correction requested" → "Corr. req."), and only then is
/// the rest cut with an ellipsis.
pub fn shorten(label: &str, width: usize) -> String {
    if label.chars().count() <= width {
        return label.to_string();
    }
    let abbreviated = label
        .split_whitespace()
        .enumerate()
        .map(|(index, word)| {
            let keep = if index == 0 { 4 } else { 3 };
            if word.chars().count() > keep + 1 {
                format!("{}.", word.chars().take(keep).collect::<String>())
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    truncate(&abbreviated, width)
}

/// "Label (12)" in `width` characters: the label gives way, the number never does. A count
/// that is only a lower bound (a search that read its newest matches) reads "(12+)".
pub fn label_with_count(label: &str, count: i64, at_least: bool, width: usize) -> String {
    let count = format!("({count}{})", if at_least { "+" } else { "" });
    let room = width.saturating_sub(count.chars().count() + 1);
    if room == 0 {
        return count;
    }
    format!("{} {count}", shorten(label, room))
}

/// Exactly `width` characters: cut with an ellipsis or filled with spaces.
pub fn pad(text: &str, width: usize) -> String {
    let text = truncate(text, width);
    let count = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(count)))
}

/// Lines cut into rows of at most `width` columns, so a pane knows exactly how many rows its
/// content takes (for scrolling that stops at the end) and draws exactly those. Rows break
/// after a space when one is in reach, else mid-word; wide characters (漢字, emoji) count
/// their two columns.
pub fn wrap(lines: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(2);
    let mut rows = Vec::new();
    for line in lines {
        let cells: Vec<(char, Style)> = line
            .spans
            .iter()
            .flat_map(|span| span.content.chars().map(move |c| (c, span.style)))
            .collect();
        if cells.is_empty() {
            rows.push(Line::default());
            continue;
        }
        let mut start = 0;
        while start < cells.len() {
            let (end, next) = row_end(&cells[start..], width);
            rows.push(styled_row(&cells[start..start + end]));
            start += next;
        }
    }
    rows
}

/// How many cells of `cells` fit in `width` columns (breaking after the last space in reach
/// when the rest does not fit), and where the next row starts.
fn row_end(cells: &[(char, Style)], width: usize) -> (usize, usize) {
    let mut used = 0;
    let mut last_space = None;
    for (index, (c, _)) in cells.iter().enumerate() {
        let w = UnicodeWidthChar::width(*c).unwrap_or(0);
        if used + w > width {
            return match last_space {
                Some(space) if space > 0 => (space, space + 1),
                _ => (index.max(1), index.max(1)),
            };
        }
        used += w;
        if *c == ' ' {
            last_space = Some(index);
        }
    }
    (cells.len(), cells.len())
}

fn styled_row(cells: &[(char, Style)]) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    for (c, style) in cells {
        match spans.last_mut() {
            Some(span) if span.style == *style => span.content.to_mut().push(*c),
            _ => spans.push(Span::styled(c.to_string(), *style)),
        }
    }
    Line::from(spans)
}

/// One row of at most `width` columns: what does not fit is cut, and the cut ends with "…".
pub fn fit(line: Line<'static>, width: usize) -> Line<'static> {
    let cells: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|span| span.content.chars().map(move |c| (c, span.style)))
        .collect();
    let total: usize = cells
        .iter()
        .map(|(c, _)| UnicodeWidthChar::width(*c).unwrap_or(0))
        .sum();
    if total <= width {
        return line;
    }
    let mut kept = Vec::new();
    let mut used = 0;
    for (c, style) in cells {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            kept.push(('…', style));
            break;
        }
        used += w;
        kept.push((c, style));
    }
    styled_row(&kept)
}

/// Where a pane scrolled to, kept within its content: the last row never leaves the bottom.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scroll {
    pub offset: usize,
}

/// Rows a pane scrolls for page up and page down, short of a whole pane so context stays.
const PAGE_OVERLAP: usize = 1;

impl Scroll {
    /// Moves for a scrolling key over content of `total` rows in a pane of `height` rows.
    pub fn apply(&mut self, action: ScrollMove, total: usize, height: usize) {
        let last = total.saturating_sub(height.max(1));
        let page = height.saturating_sub(PAGE_OVERLAP).max(1);
        self.offset = match action {
            ScrollMove::Up => self.offset.saturating_sub(1),
            ScrollMove::Down => self.offset + 1,
            ScrollMove::PageUp => self.offset.saturating_sub(page),
            ScrollMove::PageDown => self.offset + page,
            ScrollMove::Top => 0,
            ScrollMove::Bottom => last,
        }
        .min(last);
    }

    /// The offset to draw at, for content that may have shrunk since the last key.
    pub fn clamped(&self, total: usize, height: usize) -> usize {
        self.offset.min(total.saturating_sub(height.max(1)))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScrollMove {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
}

/// "lines 11–27 of 64" when the content is longer than the pane, else nothing.
pub fn position_label(offset: usize, height: usize, total: usize) -> Option<String> {
    if total <= height {
        return None;
    }
    let last = (offset + height).min(total);
    Some(format!(" lines {}–{last} of {total} ", offset + 1))
}

/// `input`'s text scrolled to its cursor, with a caret (▏) where typing goes: at most
/// `width` cells, for a one-line field drawn without the terminal's cursor.
pub fn input_with_caret(input: &tui_input::Input, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let text_width = width.saturating_sub(1);
    let (scroll, cursor) = (input.visual_scroll(text_width), input.visual_cursor());
    let mut shown = String::new();
    let mut caret = false;
    let mut column = 0;
    for c in input.value().chars() {
        if column >= scroll {
            if !caret && column >= cursor {
                shown.push('▏');
                caret = true;
            }
            if column + c.width().unwrap_or(0) > scroll + text_width {
                break;
            }
            shown.push(c);
        }
        column += c.width().unwrap_or(0);
    }
    if !caret {
        shown.push('▏');
    }
    crate::domain::text::display_safe(&shown).into_owned()
}

/// A one-line text field showing `input` scrolled to its cursor, `width` cells wide.
pub fn input_line(input: &tui_input::Input, width: usize, theme: &Theme) -> Line<'static> {
    let field_width = width.saturating_sub(2);
    let value = crate::domain::text::display_safe(input.value()).into_owned();
    let scroll = input.visual_scroll(field_width);
    let visible: String = value.chars().skip(scroll).take(field_width).collect();
    Line::from(Span::styled(
        pad(&format!(" {visible}"), width),
        theme.highlight,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_input_shows_the_cells_around_its_cursor_and_the_caret() {
        let long = "a".repeat(70) + "bcdefghij";
        let mut input = tui_input::Input::new(long);
        assert_eq!(input_with_caret(&input, 10), "bcdefghij▏");
        input = input.with_cursor(3);
        assert_eq!(input_with_caret(&input, 10), "aaa▏aaaaaa");
        input = input.with_cursor(75);
        assert_eq!(input_with_caret(&input, 10), "aaaabcdef▏");
        assert_eq!(
            input_with_caret(&tui_input::Input::new("ab".into()), 10),
            "ab▏"
        );
        assert_eq!(input_with_caret(&tui_input::Input::default(), 0), "▏");
    }

    #[test]
    fn wrapping_cuts_rows_at_the_width_and_keeps_styles() {
        let rows = wrap(
            vec![Line::from(vec![Span::raw("abcd"), Span::raw("efg")])],
            3,
        );
        let text: Vec<String> = rows.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, ["abc", "def", "g"]);
        assert_eq!(wrap(vec![Line::from("abc")], 3).len(), 1);
        assert_eq!(wrap(vec![Line::from("")], 3).len(), 1);
    }

    #[test]
    fn scrolling_stops_at_the_content() {
        let mut scroll = Scroll::default();
        scroll.apply(ScrollMove::Bottom, 64, 17);
        assert_eq!(scroll.offset, 47);
        scroll.apply(ScrollMove::Down, 64, 17);
        assert_eq!(scroll.offset, 47);
        assert_eq!(
            position_label(10, 17, 64).as_deref(),
            Some(" lines 11–27 of 64 ")
        );
        assert_eq!(shorten("Correction requested", 10), "Corr. req.");
        assert_eq!(
            label_with_count("Correction requested", 12, false, 15),
            "Corr. req. (12)"
        );
        assert_eq!(label_with_count("Paid", 85, true, 15), "Paid (85+)");
    }
}
