//! The live feed pane: what everyone else does, newest first; rows can be selected and
//! opened, and scrolling stops at the last one.

use std::collections::VecDeque;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::app::FEED_KEEP;

/// How far back the feed reads on scroll: far enough for a working day, bounded in memory.
const FEED_KEEP_OLDER: usize = 2_000;
use super::view::DrawContext;
use super::widgets::{Scroll, ScrollMove, fit, pane_block, position_label};
use crate::domain::text::display_safe;
use crate::store::FeedEvent;

#[derive(Default)]
pub struct FeedPane {
    /// Newest first.
    pub events: VecDeque<FeedEvent>,
    /// Older lines are being read, or there are none left.
    pub loading_older: bool,
    pub exhausted: bool,
    /// The selected row (when the feed has focus) and the first row on screen.
    pub selected: usize,
    pub scroll: Scroll,
}

impl FeedPane {
    pub fn contains(&self, history_id: i64) -> bool {
        self.events.iter().any(|e| e.entry.id == history_id)
    }

    pub fn push_newest(&mut self, event: FeedEvent) {
        self.events.push_front(event);
        self.events.truncate(FEED_KEEP);
        // The selection stays on its event as newer ones arrive above it.
        if self.selected > 0 || self.scroll.offset > 0 {
            self.selected = (self.selected + 1).min(self.events.len().saturating_sub(1));
            self.scroll.offset += 1;
        }
    }

    /// Moves the selection for a scrolling key, keeping it on screen (`height` rows).
    pub fn move_selection(&mut self, action: ScrollMove, height: usize) {
        let last = self.events.len().saturating_sub(1);
        let page = height.saturating_sub(1).max(1);
        self.selected = match action {
            ScrollMove::Up => self.selected.saturating_sub(1),
            ScrollMove::Down => self.selected + 1,
            ScrollMove::PageUp => self.selected.saturating_sub(page),
            ScrollMove::PageDown => self.selected + page,
            ScrollMove::Top => 0,
            ScrollMove::Bottom => last,
        }
        .min(last);
        let height = height.max(1);
        if self.selected < self.scroll.offset {
            self.scroll.offset = self.selected;
        } else if self.selected >= self.scroll.offset + height {
            self.scroll.offset = self.selected + 1 - height;
        }
    }

    /// At the last line shown: the next older page, unless one is on its way or none is left.
    pub fn wants_older(&mut self) -> Option<i64> {
        let at_end = self.selected + 1 >= self.events.len();
        if !at_end || self.loading_older || self.exhausted || self.events.len() >= FEED_KEEP_OLDER {
            return None;
        }
        let oldest = self.events.back()?.entry.id;
        self.loading_older = true;
        Some(oldest)
    }

    /// Older lines go below; a short page means the feed's beginning was reached.
    pub fn add_older(&mut self, events: Vec<FeedEvent>, page: usize) {
        self.loading_older = false;
        self.exhausted = events.len() < page;
        for event in events {
            if !self.contains(event.entry.id) {
                self.events.push_back(event);
            }
        }
    }

    pub fn selected_event(&self) -> Option<&FeedEvent> {
        self.events.get(self.selected)
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
        let title = format!(" Live feed · {} ", context.zone.label());
        let mut block = pane_block(&title, focused, theme);
        let height = area.height.saturating_sub(2) as usize;
        let offset = self.scroll.clamped(self.events.len(), height);
        if let Some(position) = position_label(offset, height, self.events.len()) {
            block =
                block.title_bottom(Line::from(Span::styled(position, theme.muted)).right_aligned());
        }
        let inner = block.inner(area);
        block.render(area, buf);
        if self.events.is_empty() {
            Paragraph::new(Span::styled("waiting for changes…", theme.muted)).render(inner, buf);
            return;
        }
        let width = inner.width as usize;
        let lines: Vec<Line> = self
            .events
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .map(|(index, event)| {
                let entry = &event.entry;
                let definition = context.workflows.get(&event.workflow);
                let state_label = |state: &str| {
                    definition
                        .map(|w| w.state_label(state).to_string())
                        .unwrap_or_else(|| display_safe(state).into_owned())
                };
                let workflow = if event.workflow == shown_workflow {
                    String::new()
                } else {
                    format!("[{}] ", display_safe(&event.workflow))
                };
                // ▌ marks the selected row without colour.
                let marker = if focused && index == self.selected {
                    "▌"
                } else {
                    ""
                };
                let line = Line::from(vec![
                    Span::styled(
                        format!("{marker}{} ", context.zone.short(entry.at, context.now)),
                        theme.feed_time,
                    ),
                    Span::styled(format!("{} ", display_safe(&entry.actor)), theme.text),
                    Span::styled(format!("{workflow}#{} ", entry.order_id), theme.title),
                    Span::styled(
                        if event.created {
                            format!("new in {} ", state_label(&entry.to))
                        } else {
                            format!("{}→{} ", state_label(&entry.from), state_label(&entry.to))
                        },
                        theme.available_item,
                    ),
                    Span::styled(display_safe(&event.title).into_owned(), theme.muted),
                ]);
                let row = fit(line, width);
                if focused && index == self.selected {
                    row.style(theme.selected_card)
                } else {
                    row
                }
            })
            .collect();
        Paragraph::new(lines).render(inner, buf);
    }
}
