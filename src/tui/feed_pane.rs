//! The live feed pane: what everyone else does, newest first.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::app::FEED_KEEP;
use super::view::DrawContext;
use super::widgets::pane_block;
use crate::domain::text::display_safe;
use crate::store::FeedEvent;

#[derive(Default)]
pub struct FeedPane {
    /// Newest first.
    pub events: VecDeque<FeedEvent>,
    pub scroll: u16,
}

impl FeedPane {
    pub fn contains(&self, history_id: i64) -> bool {
        self.events.iter().any(|e| e.entry.id == history_id)
    }

    pub fn push_newest(&mut self, event: FeedEvent) {
        self.events.push_front(event);
        self.events.truncate(FEED_KEEP);
    }

    pub fn newest_id(&self) -> Option<i64> {
        self.events.front().map(|e| e.entry.id)
    }

    pub fn draw(
        &self,
        shown_workflow: &str,
        focused: bool,
        context: &DrawContext,
        area: Rect,
        buf: &mut Buffer,
    ) {
        let theme = context.theme;
        let block = pane_block(" Live feed ", focused, theme);
        let inner = block.inner(area);
        block.render(area, buf);
        if self.events.is_empty() {
            Paragraph::new(Span::styled("waiting for changes…", theme.muted)).render(inner, buf);
            return;
        }
        let lines: Vec<Line> = self
            .events
            .iter()
            .skip(self.scroll as usize)
            .take(inner.height as usize)
            .map(|event| {
                let entry = &event.entry;
                let workflow = if event.workflow == shown_workflow {
                    String::new()
                } else {
                    format!("[{}] ", display_safe(&event.workflow))
                };
                Line::from(vec![
                    Span::styled(
                        format!("{} ", age_or_time(entry.at, context.now)),
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
}

fn age_or_time(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if (now - at).num_hours() < 24 {
        at.format("%H:%M:%S").to_string()
    } else {
        at.format("%m-%d").to_string()
    }
}
