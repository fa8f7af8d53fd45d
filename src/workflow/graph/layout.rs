//! The state graph laid out in box-drawing characters, with no terminal: states ranked by a
//! breadth-first walk from the initial state (finished states in a last rank of their own),
//! ranks as columns left to right, a box per state, and every edge routed orthogonally.
//!
//! An edge leaves its source by a port of its own on the box's right side, carrying its event
//! as a label, turns down or up in a lane of its own in the gutter right of the column, and
//! enters its target from the left at the target's one entry row. An edge to the next column
//! needs nothing more; any other (back, skipping, to itself) runs along a track of its own in
//! the corridor between two rows of boxes and comes down the target's trunk, a lane every edge
//! of that kind into the target shares. Lanes live only in gutters and tracks only in
//! corridors, so no line crosses a box, and two edges share cells only where they cross or
//! merge into the same arrowhead.

use std::collections::VecDeque;

use chrono::Duration;
use unicode_width::UnicodeWidthChar;

use super::edges;
use crate::domain::text::display_safe;
use crate::workflow::definition::Workflow;

/// Longest label drawn on an edge; the whole event shows when the edge is selected.
pub const LABEL_MAX: usize = 11;
/// State labels longer than this wrap onto more lines of their box (at most `BOX_LINES`).
const BOX_LABEL_WRAP: usize = 12;
const BOX_LINES: usize = 3;
/// Narrowest box text: room for the initial state's "start" mark.
const BOX_LABEL_MIN: usize = 7;

/// A state's box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeBox {
    pub state: String,
    /// The label as drawn, a line per row: display-safe, one column per character.
    pub label: Vec<String>,
    pub rank: usize,
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
    pub initial: bool,
    pub terminal: bool,
}

impl NodeBox {
    pub fn contains(&self, (x, y): (usize, usize)) -> bool {
        (self.x..self.x + self.width).contains(&x) && (self.y..self.y + self.height).contains(&y)
    }

    fn right(&self) -> usize {
        self.x + self.width - 1
    }

    /// The row every edge into this state arrives at: below every outgoing port.
    fn entry_row(&self) -> usize {
        self.y + self.height - 2
    }
}

/// One edge's route: straight segments between corners, from the cell right of the source's
/// box to the arrowhead left of the target's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdgePath {
    /// Indices into `GraphLayout::nodes`.
    pub from: usize,
    pub to: usize,
    pub event: String,
    pub after: Option<Duration>,
    pub label: String,
    pub label_at: (usize, usize),
    pub points: Vec<(usize, usize)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphLayout {
    pub width: usize,
    pub height: usize,
    /// In the workflow's state order.
    pub nodes: Vec<NodeBox>,
    /// In the order `graph::edges` lists them.
    pub edges: Vec<EdgePath>,
}

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

/// Where an edge runs: straight to the next column, or along a corridor track.
#[derive(Clone, Copy)]
enum Route {
    Adjacent,
    Corridor { corridor: usize, track: usize },
}

/// Lays the workflow out.
pub fn layout(workflow: &Workflow) -> GraphLayout {
    let arrows: Vec<(usize, usize)> = edges(workflow)
        .iter()
        .filter_map(|e| Some((state_index(workflow, e.from)?, state_index(workflow, e.to)?)))
        .collect();
    let rank = ranks(workflow, &arrows);
    let columns = rank.iter().max().map_or(0, |r| r + 1);
    let mut slot = vec![0; rank.len()];
    let mut per_column = vec![0usize; columns];
    for (node, r) in rank.iter().enumerate() {
        slot[node] = per_column[*r];
        per_column[*r] += 1;
    }
    let slots = per_column.iter().copied().max().unwrap_or(0);
    // Each source's ports top-down by where its targets sit, so edges cross less.
    let mut outs: Vec<Vec<usize>> = vec![Vec::new(); rank.len()];
    for (index, (from, _)) in arrows.iter().enumerate() {
        outs[*from].push(index);
    }
    for list in &mut outs {
        list.sort_by_key(|e| (slot[arrows[*e].1], rank[arrows[*e].1]));
    }
    let mut port = vec![0; arrows.len()];
    for list in &outs {
        for (position, edge) in list.iter().enumerate() {
            port[*edge] = position;
        }
    }
    let mut slot_height = vec![3; slots];
    for (node, list) in outs.iter().enumerate() {
        // Ports on top, the entry row below them, and room for the label.
        let lines = box_lines(&workflow.states[node].label, BOX_LABEL_WRAP).len();
        slot_height[slot[node]] = slot_height[slot[node]].max(list.len() + 3).max(lines + 2);
    }
    let mut corridor_tracks = vec![0; slots + 1];
    let routes: Vec<Route> = arrows
        .iter()
        .map(|(from, to)| {
            if rank[*to] == rank[*from] + 1 {
                return Route::Adjacent;
            }
            let corridor = if slot[*to] > slot[*from] {
                slot[*from] + 1
            } else {
                slot[*from]
            };
            corridor_tracks[corridor] += 1;
            Route::Corridor {
                corridor,
                track: corridor_tracks[corridor] - 1,
            }
        })
        .collect();
    let grid = Grid {
        workflow,
        arrows: &arrows,
        rank: &rank,
        slot: &slot,
        routes: &routes,
        columns,
    };
    grid.place(&slot_height, &corridor_tracks, &port)
}

fn state_index(workflow: &Workflow, id: &str) -> Option<usize> {
    workflow.states.iter().position(|s| s.id == id)
}

/// Each state's rank: its distance from the initial state, states no walk reaches one rank
/// past the deepest, finished states last; empty ranks are dropped.
pub fn ranks(workflow: &Workflow, arrows: &[(usize, usize)]) -> Vec<usize> {
    let states = &workflow.states;
    let mut distance: Vec<Option<usize>> = vec![None; states.len()];
    let Some(start) = states
        .iter()
        .position(|s| s.initial)
        .or((!states.is_empty()).then_some(0))
    else {
        return Vec::new();
    };
    distance[start] = Some(0);
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        let next = distance[node].map_or(0, |d| d + 1);
        for (_, to) in arrows.iter().filter(|(from, _)| *from == node) {
            if distance[*to].is_none() {
                distance[*to] = Some(next);
                queue.push_back(*to);
            }
        }
    }
    let open = |i: &usize| !states[*i].terminal;
    let deepest = (0..states.len())
        .filter(open)
        .filter_map(|i| distance[i])
        .max()
        .unwrap_or(0);
    let unreached = (0..states.len())
        .filter(open)
        .any(|i| distance[i].is_none());
    let last_open = deepest + usize::from(unreached);
    let raw: Vec<usize> = (0..states.len())
        .map(|i| match (states[i].terminal, distance[i]) {
            (true, _) => last_open + 1,
            (false, Some(d)) => d,
            (false, None) => last_open,
        })
        .collect();
    let mut used: Vec<usize> = raw.clone();
    used.sort_unstable();
    used.dedup();
    raw.iter()
        .map(|r| used.iter().position(|u| u == r).unwrap_or(0))
        .collect()
}

/// What placing needs to know about the ranked graph.
struct Grid<'a> {
    workflow: &'a Workflow,
    arrows: &'a [(usize, usize)],
    rank: &'a [usize],
    slot: &'a [usize],
    routes: &'a [Route],
    columns: usize,
}

impl Grid<'_> {
    /// Sizes every gutter, column, row and corridor, then places boxes and routes edges.
    fn place(
        &self,
        slot_height: &[usize],
        corridor_tracks: &[usize],
        port: &[usize],
    ) -> GraphLayout {
        let graph_edges = edges(self.workflow);
        let labels: Vec<String> = graph_edges
            .iter()
            .map(|e| edge_label(e.event, e.after))
            .collect();
        // Gutter g is left of column g; its lanes: the edges out of column g-1, then the
        // trunks of column g's states that edges reach by a corridor.
        let mut out_lanes: Vec<Vec<usize>> = vec![Vec::new(); self.columns + 1];
        let mut trunks: Vec<Vec<usize>> = vec![Vec::new(); self.columns + 1];
        let mut order: Vec<usize> = (0..self.arrows.len()).collect();
        order.sort_by_key(|e| (self.slot[self.arrows[*e].0], port[*e]));
        for edge in order {
            let (from, to) = self.arrows[edge];
            out_lanes[self.rank[from] + 1].push(edge);
            if matches!(self.routes[edge], Route::Corridor { .. })
                && !trunks[self.rank[to]].contains(&to)
            {
                trunks[self.rank[to]].push(to);
            }
        }
        let label_room: Vec<usize> = out_lanes
            .iter()
            .map(|lanes| {
                let widest = lanes.iter().map(|e| labels[*e].chars().count()).max();
                widest.map_or(0, |w| w + 1)
            })
            .collect();
        let mut gutter_x = vec![0; self.columns + 1];
        let mut column_x = vec![0; self.columns];
        let mut column_width = vec![0; self.columns];
        let mut x = 0;
        for g in 0..=self.columns {
            gutter_x[g] = x;
            let lanes = out_lanes[g].len() + trunks[g].len();
            let inner = g > 0 && g < self.columns;
            // A lane's corner follows the "─" after the longest label; elsewhere a column stays free
            // before the first lane; the arrowhead takes the last column.
            x += match label_room[g] + lanes {
                0 if inner => 2,
                0 => 0,
                used => used + 1 + usize::from(label_room[g] == 0),
            };
            if g < self.columns {
                column_x[g] = x;
                column_width[g] = (0..self.rank.len())
                    .filter(|n| self.rank[*n] == g)
                    .flat_map(|n| box_lines(&self.workflow.states[n].label, BOX_LABEL_WRAP))
                    .map(|line| line.chars().count())
                    .max()
                    .unwrap_or(0)
                    .max(BOX_LABEL_MIN)
                    + 4;
                x += column_width[g];
            }
        }
        let width = x;
        let mut corridor_y = vec![0; corridor_tracks.len()];
        let mut slot_y = vec![0; slot_height.len()];
        let mut y = 0;
        for (k, tracks) in corridor_tracks.iter().enumerate() {
            corridor_y[k] = y;
            let between = k > 0 && k < slot_height.len();
            y += if between { (*tracks).max(1) } else { *tracks };
            if let Some(height) = slot_height.get(k) {
                slot_y[k] = y;
                y += height;
            }
        }
        let nodes: Vec<NodeBox> = self
            .workflow
            .states
            .iter()
            .enumerate()
            .map(|(n, state)| NodeBox {
                state: state.id.clone(),
                label: box_lines(&state.label, BOX_LABEL_WRAP),
                rank: self.rank[n],
                x: column_x[self.rank[n]],
                y: slot_y[self.slot[n]],
                width: column_width[self.rank[n]],
                height: slot_height[self.slot[n]],
                initial: state.initial,
                terminal: state.terminal,
            })
            .collect();
        let lane_x = |g: usize, lane: usize| {
            gutter_x[g] + label_room[g] + lane + usize::from(label_room[g] == 0)
        };
        let paths = (0..self.arrows.len())
            .map(|edge| {
                let (from, to) = self.arrows[edge];
                let (source, target) = (&nodes[from], &nodes[to]);
                let out_gutter = self.rank[from] + 1;
                let lane = out_lanes[out_gutter]
                    .iter()
                    .position(|e| *e == edge)
                    .unwrap_or(0);
                let start = (source.right() + 1, source.y + 1 + port[edge]);
                let turn = lane_x(out_gutter, lane);
                let entry = target.entry_row();
                let mut points = vec![start, (turn, start.1)];
                if let Route::Corridor { corridor, track } = self.routes[edge] {
                    let g = self.rank[to];
                    let trunk =
                        out_lanes[g].len() + trunks[g].iter().position(|t| *t == to).unwrap_or(0);
                    let track_y = corridor_y[corridor] + track;
                    points.push((turn, track_y));
                    points.push((lane_x(g, trunk), track_y));
                    points.push((lane_x(g, trunk), entry));
                } else {
                    points.push((turn, entry));
                }
                points.push((target.x - 1, entry));
                points.dedup();
                EdgePath {
                    from,
                    to,
                    event: graph_edges[edge].event.to_string(),
                    after: graph_edges[edge].after,
                    label: labels[edge].clone(),
                    label_at: start,
                    points,
                }
            })
            .collect();
        GraphLayout {
            width,
            height: y,
            nodes,
            edges: paths,
        }
    }
}

/// An edge's label: the event without its namespace ("order.accepted" → "accepted"), a timed
/// one with ⏲ and its delay, cut to `LABEL_MAX`.
fn edge_label(event: &str, after: Option<Duration>) -> String {
    let short = event.rsplit('.').next().unwrap_or(event);
    let text = match after {
        Some(after) => format!("⏲{} {short}", delay(after)),
        None => short.to_string(),
    };
    one_column_text(&text, LABEL_MAX)
}

/// A timer's delay in its largest whole unit, hours up to a week: 72h, 10s, 14d.
pub fn delay(after: Duration) -> String {
    let seconds = after.num_seconds();
    match seconds {
        s if s >= 7 * 86_400 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s > 0 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// A state label in lines of at most `width` (wider when one word is), broken at spaces,
/// at most `BOX_LINES` of them (the last cut with "…" when the rest does not fit).
fn box_lines(label: &str, width: usize) -> Vec<String> {
    let text = one_column_text(label, width * BOX_LINES);
    let widest_word = text
        .split(' ')
        .map(|w| w.chars().count())
        .max()
        .unwrap_or(0);
    let width = width.max(widest_word.min(width * 2));
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(one_column_text(word, width)),
        }
    }
    if lines.len() > BOX_LINES {
        lines.truncate(BOX_LINES);
        if let Some(last) = lines.last_mut() {
            *last = one_column_text(&format!("{last} …"), width);
        }
    }
    lines
}

/// Display-safe text of one column per character (others become '?'), cut with "…": the
/// grid holds one character per cell.
fn one_column_text(text: &str, max: usize) -> String {
    let cells: Vec<char> = display_safe(text)
        .chars()
        .map(|c| if c.width() == Some(1) { c } else { '?' })
        .collect();
    if cells.len() <= max {
        return cells.into_iter().collect();
    }
    let mut cut: String = cells.into_iter().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
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

#[cfg(test)]
#[path = "layout_tests.rs"]
mod tests;
