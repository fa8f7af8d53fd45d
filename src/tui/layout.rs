//! Where things are on screen, computed from the size and the state alone, so rendering and
//! mouse hit-testing agree.

use ratatui::layout::Rect;

use super::board::BoardScreen;

/// Below this the layout breaks; a "terminal too small" message shows instead.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// Columns narrower than this do not fit a card; the board scrolls sideways instead.
pub const MIN_COLUMN_WIDTH: u16 = 26;
/// Title, then who / amount / age, then due date and badges.
pub const CARD_HEIGHT: u16 = 3;
/// Label with count, and a rule.
pub const COLUMN_HEADER: u16 = 2;
/// The row under a column's cards, kept for "↓ 12 more" so it never covers a card.
pub const COLUMN_FOOTER: u16 = 1;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardGeometry {
    pub header: Rect,
    pub board: Rect,
    pub order: Rect,
    pub feed: Rect,
    pub footer: Rect,
    /// (column index, its area), left to right, for the columns on screen.
    pub columns: Vec<(usize, Rect)>,
    pub cards_per_column: usize,
    pub columns_that_fit: usize,
}

pub fn board_geometry(size: (u16, u16), board: &BoardScreen) -> BoardGeometry {
    let (width, height) = size;
    let header = Rect::new(0, 0, width, 1);
    let footer = Rect::new(0, height.saturating_sub(1), width, 1);
    let middle = height.saturating_sub(2);
    let board_height = (middle as u32 * 58 / 100) as u16;
    let bottom_height = middle.saturating_sub(board_height);
    let board_area = Rect::new(0, 1, width, board_height);
    let order_width = (width as u32 * 55 / 100) as u16;
    let order = Rect::new(0, 1 + board_height, order_width, bottom_height);
    let feed = Rect::new(
        order_width,
        1 + board_height,
        width.saturating_sub(order_width),
        bottom_height,
    );

    let visible = board.visible_columns();
    let fit = ((width / MIN_COLUMN_WIDTH) as usize).clamp(1, visible.len().max(1));
    let shown: Vec<usize> = visible
        .iter()
        .copied()
        .skip(board.selection.first_visible_column)
        .take(fit)
        .collect();
    let column_width = if shown.is_empty() {
        width
    } else {
        width / shown.len() as u16
    };
    let columns = shown
        .iter()
        .enumerate()
        .map(|(slot, index)| {
            let x = slot as u16 * column_width;
            // The last column takes the remainder so the board fills the width.
            let w = if slot + 1 == shown.len() {
                width - x
            } else {
                column_width
            };
            (*index, Rect::new(x, board_area.y, w, board_area.height))
        })
        .collect();
    let cards_per_column = (board_area
        .height
        .saturating_sub(COLUMN_HEADER + COLUMN_FOOTER)
        / CARD_HEIGHT) as usize;
    BoardGeometry {
        header,
        board: board_area,
        order,
        feed,
        footer,
        columns,
        cards_per_column,
        columns_that_fit: fit,
    }
}

impl BoardGeometry {
    pub fn column_at(&self, x: u16, y: u16) -> Option<usize> {
        self.columns
            .iter()
            .find(|(_, area)| area.contains((x, y).into()))
            .map(|(index, _)| *index)
    }

    /// (column index, card index) under a point.
    pub fn card_at(&self, x: u16, y: u16, board: &BoardScreen) -> Option<(usize, usize)> {
        let (index, area) = self
            .columns
            .iter()
            .find(|(_, area)| area.contains((x, y).into()))?;
        let row = y.checked_sub(area.y + COLUMN_HEADER)?;
        let column = board.columns.get(*index)?;
        let card = column.offset + (row / CARD_HEIGHT) as usize;
        (card < column.cards.len()).then_some((*index, card))
    }
}
