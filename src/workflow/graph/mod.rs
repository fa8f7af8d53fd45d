//! The state graph as Mermaid or Graphviz text (here), or laid out in box-drawing
//! characters for a terminal (`layout`).

mod canvas;
pub mod layout;

use std::fmt::Write;

use chrono::Duration;

use super::definition::Workflow;
use crate::domain::text::{display_safe, graph_label};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

/// One arrow of the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphEdge<'w> {
    pub from: &'w str,
    pub event: &'w str,
    pub to: &'w str,
    /// A timer: the system takes this edge this long after the order entered `from`.
    pub after: Option<Duration>,
}

/// One edge per (from, event, to), in file order; refusing candidates are not edges.
pub fn edges(workflow: &Workflow) -> Vec<GraphEdge<'_>> {
    let mut edges: Vec<GraphEdge> = Vec::new();
    for transition in &workflow.transitions {
        let Some(target) = transition.target() else {
            continue;
        };
        for from in &transition.from {
            let same = |e: &GraphEdge| {
                (e.from, e.event, e.to) == (from.as_str(), transition.event.as_str(), target)
            };
            if !edges.iter().any(same) {
                edges.push(GraphEdge {
                    from,
                    event: &transition.event,
                    to: target,
                    after: transition.after,
                });
            }
        }
    }
    edges
}

pub fn render(workflow: &Workflow, format: GraphFormat) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail; the results are ignored on purpose.
    match format {
        GraphFormat::Mermaid => {
            let _ = writeln!(out, "stateDiagram-v2");
            let _ = writeln!(
                out,
                "    [*] --> {}",
                mermaid_id(&workflow.initial_state().id)
            );
            for state in &workflow.states {
                let _ = writeln!(
                    out,
                    "    {} : {}",
                    mermaid_id(&state.id),
                    graph_label(&state.label)
                );
            }
            for GraphEdge {
                from, event, to, ..
            } in edges(workflow)
            {
                let _ = writeln!(
                    out,
                    "    {} --> {} : {}",
                    mermaid_id(from),
                    mermaid_id(to),
                    graph_label(event)
                );
            }
            for state in workflow.states.iter().filter(|s| s.terminal) {
                let _ = writeln!(out, "    {} --> [*]", mermaid_id(&state.id));
            }
        }
        GraphFormat::Dot => {
            let _ = writeln!(out, "digraph \"{}\" {{", escape_dot(&workflow.name));
            let _ = writeln!(out, "    rankdir=LR;");
            for state in &workflow.states {
                let shape = if state.terminal {
                    "doublecircle"
                } else if state.initial {
                    "box"
                } else {
                    "ellipse"
                };
                let _ = writeln!(
                    out,
                    "    \"{}\" [label=\"{}\", shape={shape}];",
                    escape_dot(&state.id),
                    escape_dot(&state.label)
                );
            }
            for GraphEdge {
                from, event, to, ..
            } in edges(workflow)
            {
                let _ = writeln!(
                    out,
                    "    \"{}\" -> \"{}\" [label=\"{}\"];",
                    escape_dot(from),
                    escape_dot(to),
                    escape_dot(event)
                );
            }
            let _ = writeln!(out, "}}");
        }
    }
    out
}

/// Mermaid state ids may not contain '-' or '.'.
fn mermaid_id(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Labels and ids come from workflow files: without controls or newlines, quotes escaped.
fn escape_dot(text: &str) -> String {
    display_safe(text)
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
}
