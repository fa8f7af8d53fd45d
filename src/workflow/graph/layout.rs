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

pub use super::canvas::{Canvas, Cell, Part};
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
        let mut gutters = self.gutters(port, &labels);
        let (column_x, column_width, width) = self.columns_across(&mut gutters);
        let (slot_y, corridor_y, height) = rows_down(slot_height, corridor_tracks);
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
        let paths = (0..self.arrows.len())
            .map(|edge| {
                let (from, to) = self.arrows[edge];
                let start = (nodes[from].right() + 1, nodes[from].y + 1 + port[edge]);
                EdgePath {
                    from,
                    to,
                    event: graph_edges[edge].event.to_string(),
                    after: graph_edges[edge].after,
                    label: labels[edge].clone(),
                    label_at: start,
                    points: self.route(edge, start, &nodes[to], &gutters, &corridor_y),
                }
            })
            .collect();
        GraphLayout {
            width,
            height,
            nodes,
            edges: paths,
        }
    }

    /// Gutter g is left of column g; its lanes: the edges out of column g-1, then the
    /// trunks of column g's states that edges reach by a corridor.
    fn gutters(&self, port: &[usize], labels: &[String]) -> Gutters {
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
        let label_room = out_lanes
            .iter()
            .map(|lanes| {
                let widest = lanes.iter().map(|e| labels[*e].chars().count()).max();
                widest.map_or(0, |w| w + 1)
            })
            .collect();
        Gutters {
            x: vec![0; self.columns + 1],
            out_lanes,
            trunks,
            label_room,
        }
    }

    /// Each column's x and width (boxes as wide as the column's widest label), each
    /// gutter's x, and the whole width.
    fn columns_across(&self, gutters: &mut Gutters) -> (Vec<usize>, Vec<usize>, usize) {
        let mut column_x = vec![0; self.columns];
        let mut column_width = vec![0; self.columns];
        let mut x = 0;
        for g in 0..=self.columns {
            gutters.x[g] = x;
            let lanes = gutters.out_lanes[g].len() + gutters.trunks[g].len();
            let inner = g > 0 && g < self.columns;
            // A lane's corner follows the "─" after the longest label; elsewhere a column
            // stays free before the first lane; the arrowhead takes the last column.
            x += match gutters.label_room[g] + lanes {
                0 if inner => 2,
                0 => 0,
                used => used + 1 + usize::from(gutters.label_room[g] == 0),
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
        (column_x, column_width, x)
    }

    /// An edge's corners: out along its port to its lane, then to the target's entry row
    /// (next column), or along its corridor track to the target's trunk and down it.
    fn route(
        &self,
        edge: usize,
        start: (usize, usize),
        target: &NodeBox,
        gutters: &Gutters,
        corridor_y: &[usize],
    ) -> Vec<(usize, usize)> {
        let (from, to) = self.arrows[edge];
        let out_gutter = self.rank[from] + 1;
        let lane = gutters.out_lanes[out_gutter]
            .iter()
            .position(|e| *e == edge)
            .unwrap_or(0);
        let turn = gutters.lane_x(out_gutter, lane);
        let entry = target.entry_row();
        let mut points = vec![start, (turn, start.1)];
        if let Route::Corridor { corridor, track } = self.routes[edge] {
            let g = self.rank[to];
            let trunk = gutters.out_lanes[g].len()
                + gutters.trunks[g].iter().position(|t| *t == to).unwrap_or(0);
            let track_y = corridor_y[corridor] + track;
            points.push((turn, track_y));
            points.push((gutters.lane_x(g, trunk), track_y));
            points.push((gutters.lane_x(g, trunk), entry));
        } else {
            points.push((turn, entry));
        }
        points.push((target.x - 1, entry));
        points.dedup();
        points
    }
}

/// The lanes of each gutter, the room its labels take, and where it starts.
struct Gutters {
    x: Vec<usize>,
    out_lanes: Vec<Vec<usize>>,
    trunks: Vec<Vec<usize>>,
    label_room: Vec<usize>,
}

impl Gutters {
    fn lane_x(&self, gutter: usize, lane: usize) -> usize {
        let room = self.label_room[gutter];
        self.x[gutter] + room + lane + usize::from(room == 0)
    }
}

/// Each row of boxes' y, each corridor's y (a row of its own per track; one at least
/// between two rows of boxes), and the whole height.
fn rows_down(slot_height: &[usize], corridor_tracks: &[usize]) -> (Vec<usize>, Vec<usize>, usize) {
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
    (slot_y, corridor_y, y)
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

#[cfg(test)]
#[path = "layout_tests.rs"]
mod tests;
