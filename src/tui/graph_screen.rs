//! The state graph (`g`): the workflow's states as boxes and transitions as arrows, laid out
//! by `workflow::graph::layout`, with the selected order's state highlighted, the edges the
//! user may take from it now lit and the blocked ones dim. `tab`/`n` walk the edges out of
//! that state and say who may take the selected one, or why it is blocked. It pans at any
//! size. Its own state, keys ([keys.graph]) and drawing.

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::action::GraphAction;
use super::keymap::KeyMap;
use super::theme::Theme;
use super::view::DrawContext;
use super::widgets::{fit, hint_spans, pad};
use crate::domain::text::display_safe;
use crate::domain::{Actor, Order};
use crate::workflow::graph::layout::{Canvas, EdgePath, GraphLayout, Part, delay, layout};
use crate::workflow::{TransitionMenu, Workflow};

/// The header above the drawing, and the selected edge's three lines and the keys below it.
const ROWS_ABOVE: u16 = 1;
const ROWS_BELOW: u16 = 4;
/// How far one key pans.
const PAN_ROWS: usize = 2;
const PAN_COLUMNS: usize = 8;

pub struct GraphScreen {
    pub workflow: String,
    pub workflow_label: String,
    pub layout: GraphLayout,
    canvas: Canvas,
    /// The order the graph was opened from, and its state's box.
    pub order: Option<Order>,
    pub current: Option<usize>,
    /// What the user may do to that order now, as the engine says.
    menu: TransitionMenu,
    pub actor: Actor,
    /// The drawing's cell at the view's top left corner.
    pub scroll: (usize, usize),
    /// The edges `tab` walks (those out of the order's state, else all), and the one on.
    pub walk: Vec<usize>,
    pub selected: Option<usize>,
}

/// How an edge relates to the order and the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EdgeStatus {
    /// Out of the order's state, and the user may take it now.
    Open,
    /// Out of the order's state, not for this user now: why.
    Blocked(String),
    /// Not out of the order's state.
    Elsewhere,
}

impl GraphScreen {
    pub fn open(
        workflow: &Workflow,
        order: Option<&Order>,
        actor: &Actor,
        now: DateTime<Utc>,
        size: (u16, u16),
    ) -> GraphScreen {
        let layout = layout(workflow);
        let canvas = layout.canvas();
        let order = order.filter(|o| o.workflow == workflow.name).cloned();
        let current = order
            .as_ref()
            .and_then(|o| layout.nodes.iter().position(|n| n.state == o.state));
        let menu = order
            .as_ref()
            .map(|o| workflow.available_transitions(o, actor, now))
            .unwrap_or_default();
        let mut walk: Vec<usize> = (0..layout.edges.len())
            .filter(|e| Some(layout.edges[*e].from) == current)
            .collect();
        if walk.is_empty() {
            walk = (0..layout.edges.len()).collect();
        }
        let mut screen = GraphScreen {
            workflow: workflow.name.clone(),
            workflow_label: workflow.label.clone(),
            layout,
            canvas,
            order,
            current,
            menu,
            actor: actor.clone(),
            scroll: (0, 0),
            walk,
            selected: None,
        };
        let first_open = screen
            .walk
            .iter()
            .copied()
            .find(|e| screen.status(*e) == EdgeStatus::Open);
        screen.selected = first_open.or(screen.walk.first().copied());
        if let Some(node) = current.map(|n| &screen.layout.nodes[n]) {
            let (x, y) = (node.x, node.y);
            screen.reveal(size, (x, y), (node.width, node.height));
        }
        screen
    }

    /// Whether `true` closes the screen.
    pub fn on_key(&mut self, keymap: &KeyMap, size: (u16, u16), key: KeyEvent) -> bool {
        let (x, y) = self.scroll;
        match keymap.graph.action(&key) {
            Some(GraphAction::Close) => return true,
            Some(GraphAction::PanUp) => self.scroll.1 = y.saturating_sub(PAN_ROWS),
            Some(GraphAction::PanDown) => self.scroll.1 = y + PAN_ROWS,
            Some(GraphAction::PanLeft) => self.scroll.0 = x.saturating_sub(PAN_COLUMNS),
            Some(GraphAction::PanRight) => self.scroll.0 = x + PAN_COLUMNS,
            Some(action @ (GraphAction::NextEdge | GraphAction::PreviousEdge)) => {
                self.step_edge(action == GraphAction::NextEdge, size);
            }
            None => {}
        }
        self.clamp(size);
        false
    }

    fn step_edge(&mut self, forward: bool, size: (u16, u16)) {
        let count = self.walk.len();
        if count == 0 {
            return;
        }
        let at = self
            .selected
            .and_then(|s| self.walk.iter().position(|e| *e == s));
        let next = match (at, forward) {
            (None, _) => 0,
            (Some(at), true) => (at + 1) % count,
            (Some(at), false) => (at + count - 1) % count,
        };
        self.selected = Some(self.walk[next]);
        let edge = &self.layout.edges[self.walk[next]];
        let label = (edge.label.chars().count(), 1);
        self.reveal(size, edge.label_at, label);
    }

    /// Pans so a rectangle of the drawing shows, if it is not on screen already.
    fn reveal(&mut self, size: (u16, u16), (x, y): (usize, usize), (w, h): (usize, usize)) {
        let view = view_area(size);
        let (vw, vh) = (view.width as usize, view.height as usize);
        if x < self.scroll.0 || x + w > self.scroll.0 + vw {
            self.scroll.0 = x.saturating_sub(vw.saturating_sub(w) / 2);
        }
        if y < self.scroll.1 || y + h > self.scroll.1 + vh {
            self.scroll.1 = y.saturating_sub(vh.saturating_sub(h) / 2);
        }
        self.clamp(size);
    }

    fn clamp(&mut self, size: (u16, u16)) {
        let view = view_area(size);
        self.scroll.0 = self
            .scroll
            .0
            .min(self.layout.width.saturating_sub(view.width as usize));
        self.scroll.1 = self
            .scroll
            .1
            .min(self.layout.height.saturating_sub(view.height as usize));
    }

    /// Whether the user may take an edge now, from the engine's menu for the order.
    pub fn status(&self, edge: usize) -> EdgeStatus {
        let path = &self.layout.edges[edge];
        if Some(path.from) != self.current {
            return EdgeStatus::Elsewhere;
        }
        let to = &self.layout.nodes[path.to].state;
        if let Some(open) = self.menu.available.iter().find(|a| a.event == path.event) {
            return match open.to == *to {
                true => EdgeStatus::Open,
                false => EdgeStatus::Blocked(format!(
                    "for you, {} leads to {} instead",
                    path.event,
                    self.state_label(&open.to)
                )),
            };
        }
        match self.menu.blocked.iter().find(|b| b.event == path.event) {
            Some(blocked) => EdgeStatus::Blocked(blocked.reason.to_string()),
            None => EdgeStatus::Blocked("no candidate of this event applies".into()),
        }
    }

    fn state_label(&self, state: &str) -> String {
        self.layout
            .nodes
            .iter()
            .find(|n| n.state == state)
            .map(|n| n.label.join(" "))
            .unwrap_or_else(|| display_safe(state).into_owned())
    }

    /// The style of a cell of edges: the selected one, then open ones, stand out.
    fn edge_style(&self, edges: &[usize], theme: &Theme) -> Style {
        if edges.iter().any(|e| Some(*e) == self.selected) {
            return theme.highlight;
        }
        let statuses: Vec<EdgeStatus> = edges.iter().map(|e| self.status(*e)).collect();
        if statuses.contains(&EdgeStatus::Open) {
            theme.available_item.add_modifier(Modifier::BOLD)
        } else if statuses.iter().all(|s| matches!(s, EdgeStatus::Blocked(_))) {
            theme.blocked_item
        } else {
            theme.border
        }
    }

    pub fn draw(
        &self,
        context: &DrawContext,
        workflow: Option<&Workflow>,
        area: Rect,
        buf: &mut Buffer,
    ) {
        let theme = context.theme;
        let width = area.width as usize;
        let view = view_area((area.width, area.height));
        let (vw, vh) = (view.width as usize, view.height as usize);
        let place = match &self.order {
            Some(order) => format!(
                " · #{} {} in {}",
                order.id,
                display_safe(&order.title),
                self.state_label(&order.state)
            ),
            None => " · no order selected".to_string(),
        };
        let shown = if self.layout.width > vw || self.layout.height > vh {
            format!(
                " · columns {}–{} of {}, rows {}–{} of {} (arrows pan)",
                self.scroll.0 + 1,
                (self.scroll.0 + vw).min(self.layout.width),
                self.layout.width,
                self.scroll.1 + 1,
                (self.scroll.1 + vh).min(self.layout.height),
                self.layout.height
            )
        } else {
            String::new()
        };
        let header = format!(
            " State graph · {}{place} · as {} ({}){shown}",
            display_safe(&self.workflow_label),
            display_safe(&self.actor.name),
            self.actor.role
        );
        Paragraph::new(Span::styled(pad(&header, width), theme.title))
            .render(Rect::new(area.x, area.y, area.width, 1), buf);
        for row in 0..vh {
            for column in 0..vw {
                let Some(cell) = self
                    .canvas
                    .cell(self.scroll.0 + column, self.scroll.1 + row)
                else {
                    continue;
                };
                let style = match &cell.part {
                    Part::Empty => continue,
                    Part::Node(n) if Some(*n) == self.current => theme.selected_card,
                    Part::Node(n) if self.layout.nodes[*n].terminal => theme.terminal_column,
                    Part::Node(_) => theme.column_header,
                    Part::Label(e) => self.edge_style(&[*e], theme),
                    Part::Edge(edges) => self.edge_style(edges, theme),
                };
                if let Some(target) = buf.cell_mut((
                    view.x + column as u16 + area.x,
                    view.y + row as u16 + area.y,
                )) {
                    target.set_char(cell.symbol).set_style(style);
                }
            }
        }
        let lines = self.selected_lines(context, workflow);
        let below = Rect::new(
            area.x,
            area.y + area.height.saturating_sub(ROWS_BELOW),
            area.width,
            ROWS_BELOW,
        );
        Paragraph::new(lines.into_iter().map(|l| fit(l, width)).collect::<Vec<_>>())
            .render(below, buf);
    }

    /// The selected edge in words: event and states, who may take it, and whether this user
    /// may now (or why not); then the keys.
    fn selected_lines(
        &self,
        context: &DrawContext,
        workflow: Option<&Workflow>,
    ) -> Vec<Line<'static>> {
        let theme = context.theme;
        let mut lines = match self.selected.map(|e| (e, &self.layout.edges[e])) {
            Some((index, edge)) => self.edge_lines(index, edge, workflow, theme),
            None => vec![Line::from(Span::styled(
                " this workflow has no transitions",
                theme.muted,
            ))],
        };
        lines.resize(ROWS_BELOW as usize - 1, Line::default());
        let mut hints = context.keymap.graph.hints(&[
            GraphAction::NextEdge,
            GraphAction::PreviousEdge,
            GraphAction::Close,
        ]);
        hints.push(("←↑↓→".to_string(), "pan"));
        lines.push(Line::from(hint_spans(&hints, "  ", theme)));
        lines
    }

    fn edge_lines(
        &self,
        index: usize,
        edge: &EdgePath,
        workflow: Option<&Workflow>,
        theme: &Theme,
    ) -> Vec<Line<'static>> {
        let from = &self.layout.nodes[edge.from];
        let to = &self.layout.nodes[edge.to];
        let timer = edge
            .after
            .map(|after| {
                format!(
                    "  ⏲ fires {} after entering {}",
                    delay(after),
                    from.label.join(" ")
                )
            })
            .unwrap_or_default();
        let who: Vec<String> = workflow
            .map(|w| {
                w.candidates(&edge.event)
                    .filter(|t| t.leaves(&from.state) && t.target() == Some(to.state.as_str()))
                    .map(|t| {
                        let roles: Vec<&str> = t.roles.iter().map(|r| r.as_str()).collect();
                        let owner = if t.owner { " (their own orders)" } else { "" };
                        format!("{}{owner}", roles.join(" or "))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (mark, verdict, style) = match self.status(index) {
            EdgeStatus::Open => ("✓", "you may take it now".to_string(), theme.available_item),
            EdgeStatus::Blocked(reason) => ("✗", reason, theme.blocked_item),
            EdgeStatus::Elsewhere => ("·", "not from the order's state".to_string(), theme.muted),
        };
        vec![
            Line::from(vec![
                Span::styled(format!(" ▸ {}", display_safe(&edge.event)), theme.highlight),
                Span::styled(
                    format!("  {} → {}{timer}", from.label.join(" "), to.label.join(" ")),
                    theme.text,
                ),
            ]),
            Line::from(Span::styled(
                format!("   who may take it: {}", who.join("; ")),
                theme.muted,
            )),
            Line::from(Span::styled(
                format!("   {mark} {}", display_safe(&verdict)),
                style,
            )),
        ]
    }
}

/// Where the drawing shows on a screen of `size` (relative to the screen's corner).
fn view_area((width, height): (u16, u16)) -> Rect {
    Rect::new(
        0,
        ROWS_ABOVE,
        width,
        height.saturating_sub(ROWS_ABOVE + ROWS_BELOW),
    )
}
