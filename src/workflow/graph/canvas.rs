//! The laid-out graph as a grid of characters: lines first (each cell's symbol from the
//! directions lines leave it by, so crossings and corners join up), then boxes, labels and
//! arrowheads over them. Each cell says what it belongs to, so a screen styles it by meaning.

use super::layout::{GraphLayout, NodeBox};

/// What a cell of the drawing belongs to, so a screen can style it by meaning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Empty,
    Node(usize),
    Label(usize),
    /// The edges whose lines pass here (several where they cross or merge).
    Edge(Vec<usize>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub symbol: char,
    pub part: Part,
}

/// The drawing as a grid of cells, row by row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Canvas {
    pub width: usize,
    pub height: usize,
    cells: Vec<Cell>,
}

impl Canvas {
    pub fn cell(&self, x: usize, y: usize) -> Option<&Cell> {
        (x < self.width).then(|| self.cells.get(y * self.width + x))?
    }

    /// One row as text, for tests and plain output.
    pub fn row_text(&self, y: usize) -> String {
        (0..self.width)
            .filter_map(|x| self.cell(x, y).map(|c| c.symbol))
            .collect()
    }
}

const UP: u8 = 1;
const DOWN: u8 = 2;
const LEFT: u8 = 4;
const RIGHT: u8 = 8;

fn line_symbol(mask: u8) -> char {
    match mask {
        m if m == UP | DOWN | LEFT | RIGHT => '┼',
        m if m == UP | DOWN | RIGHT => '├',
        m if m == UP | DOWN | LEFT => '┤',
        m if m == LEFT | RIGHT | DOWN => '┬',
        m if m == LEFT | RIGHT | UP => '┴',
        m if m == DOWN | RIGHT => '┌',
        m if m == DOWN | LEFT => '┐',
        m if m == UP | RIGHT => '└',
        m if m == UP | LEFT => '┘',
        m if m & (UP | DOWN) != 0 && m & (LEFT | RIGHT) == 0 => '│',
        _ => '─',
    }
}

impl GraphLayout {
    /// The drawing: lines first, then boxes, labels and arrowheads over them.
    pub fn canvas(&self) -> Canvas {
        let (width, height) = (self.width, self.height);
        let mut masks = vec![0u8; width * height];
        let mut owners: Vec<Vec<usize>> = vec![Vec::new(); width * height];
        for (index, edge) in self.edges.iter().enumerate() {
            if let Some(&(x, y)) = edge.points.first()
                && x < width
                && y < height
            {
                // The first cell joins the box's side.
                masks[y * width + x] |= LEFT;
            }
            for pair in edge.points.windows(2) {
                trace(
                    pair[0],
                    pair[1],
                    width,
                    height,
                    &mut masks,
                    &mut owners,
                    index,
                );
            }
        }
        let mut cells: Vec<Cell> = masks
            .iter()
            .zip(owners)
            .map(|(mask, owners)| match mask {
                0 => Cell {
                    symbol: ' ',
                    part: Part::Empty,
                },
                mask => Cell {
                    symbol: line_symbol(*mask),
                    part: Part::Edge(owners),
                },
            })
            .collect();
        let mut put = |x: usize, y: usize, symbol: char, part: Part| {
            if x < width && y < height {
                cells[y * width + x] = Cell { symbol, part };
            }
        };
        for (index, node) in self.nodes.iter().enumerate() {
            draw_box(node, index, &mut put);
        }
        for (index, edge) in self.edges.iter().enumerate() {
            let (x, y) = edge.label_at;
            for (offset, symbol) in edge.label.chars().enumerate() {
                put(x + offset, y, symbol, Part::Label(index));
            }
            if let (Some(&(sx, sy)), Some(&(ax, ay))) = (edge.points.first(), edge.points.last()) {
                put(sx - 1, sy, '├', Part::Node(edge.from));
                let into: Vec<usize> = (0..self.edges.len())
                    .filter(|e| self.edges[*e].to == edge.to)
                    .collect();
                put(ax, ay, '►', Part::Edge(into));
            }
        }
        Canvas {
            width,
            height,
            cells,
        }
    }
}

/// Marks one straight segment's cells with the directions the line leaves them by.
fn trace(
    (x0, y0): (usize, usize),
    (x1, y1): (usize, usize),
    width: usize,
    height: usize,
    masks: &mut [u8],
    owners: &mut [Vec<usize>],
    edge: usize,
) {
    let cells: Vec<(usize, usize, u8)> = if y0 == y1 {
        let (low, high) = (x0.min(x1), x0.max(x1));
        (low..=high)
            .map(|x| {
                let mask = if x > low { LEFT } else { 0 } | if x < high { RIGHT } else { 0 };
                (x, y0, mask)
            })
            .collect()
    } else {
        let (low, high) = (y0.min(y1), y0.max(y1));
        (low..=high)
            .map(|y| {
                let mask = if y > low { UP } else { 0 } | if y < high { DOWN } else { 0 };
                (x0, y, mask)
            })
            .collect()
    };
    for (x, y, mask) in cells {
        if x < width && y < height {
            let at = y * width + x;
            masks[at] |= mask;
            if !owners[at].contains(&edge) {
                owners[at].push(edge);
            }
        }
    }
}

/// A box: single lines, double for a finished state; the initial state says "start" on top.
fn draw_box(node: &NodeBox, index: usize, put: &mut impl FnMut(usize, usize, char, Part)) {
    let [h, v, tl, tr, bl, br] = if node.terminal {
        ['═', '║', '╔', '╗', '╚', '╝']
    } else {
        ['─', '│', '┌', '┐', '└', '┘']
    };
    let (right, bottom) = (node.x + node.width - 1, node.y + node.height - 1);
    for y in node.y..=bottom {
        for x in node.x..=right {
            let symbol = match (x == node.x, x == right, y == node.y, y == bottom) {
                (true, _, true, _) => tl,
                (_, true, true, _) => tr,
                (true, _, _, true) => bl,
                (_, true, _, true) => br,
                (_, _, true, _) | (_, _, _, true) => h,
                (true, _, _, _) | (_, true, _, _) => v,
                _ => ' ',
            };
            put(x, y, symbol, Part::Node(index));
        }
    }
    for (row, line) in node.label.iter().enumerate() {
        for (offset, symbol) in line.chars().enumerate() {
            put(
                node.x + 2 + offset,
                node.y + 1 + row,
                symbol,
                Part::Node(index),
            );
        }
    }
    if node.initial {
        for (offset, symbol) in " start ".chars().enumerate() {
            put(node.x + 1 + offset, node.y, symbol, Part::Node(index));
        }
    }
}
