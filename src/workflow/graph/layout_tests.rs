use super::*;
use crate::workflow::Workflows;

fn shipped(name: &str) -> std::sync::Arc<Workflow> {
    Workflows::shipped()
        .expect("the shipped workflows load")
        .get(name)
        .expect("a shipped workflow")
        .clone()
}

fn every_shipped() -> Vec<std::sync::Arc<Workflow>> {
    ["marketplace", "artist-shop", "checkout", "fulfilment"]
        .into_iter()
        .map(shipped)
        .collect()
}

fn rank_of(layout: &GraphLayout, state: &str) -> usize {
    layout
        .nodes
        .iter()
        .find(|n| n.state == state)
        .map(|n| n.rank)
        .expect("the state has a box")
}

#[test]
fn states_are_ranked_by_distance_from_the_initial_state_and_finished_ones_last() {
    let layout = layout(&shipped("marketplace"));
    assert_eq!(rank_of(&layout, "paid"), 0);
    assert_eq!(rank_of(&layout, "inprogress"), 1);
    for state in ["cancel_requested", "delivered", "disputing"] {
        assert_eq!(rank_of(&layout, state), 2, "{state}");
    }
    assert_eq!(rank_of(&layout, "correction_requested"), 3);
    for state in ["completed", "cancelled", "rejected"] {
        assert_eq!(rank_of(&layout, state), 4, "{state}");
    }
    let fulfilment = layout_of("fulfilment");
    assert_eq!(rank_of(&fulfilment, "created"), 0);
    assert_eq!(rank_of(&fulfilment, "payment_failed"), 4);
    assert_eq!(rank_of(&fulfilment, "fulfilled"), 5);
}

fn layout_of(name: &str) -> GraphLayout {
    layout(&shipped(name))
}

#[test]
fn boxes_never_overlap_and_ranks_are_columns_left_to_right() {
    for workflow in every_shipped() {
        let layout = layout(&workflow);
        for (i, a) in layout.nodes.iter().enumerate() {
            assert!(a.x + a.width <= layout.width && a.y + a.height <= layout.height);
            for b in &layout.nodes[i + 1..] {
                let apart = a.x + a.width <= b.x
                    || b.x + b.width <= a.x
                    || a.y + a.height <= b.y
                    || b.y + b.height <= a.y;
                assert!(apart, "{}: {} overlaps {}", workflow.name, a.state, b.state);
                if a.rank < b.rank {
                    assert!(a.x + a.width <= b.x, "{}: {}", workflow.name, b.state);
                }
            }
        }
    }
}

/// Every cell a segment from `a` to `b` covers.
fn cells((x0, y0): (usize, usize), (x1, y1): (usize, usize)) -> Vec<(usize, usize)> {
    if y0 == y1 {
        (x0.min(x1)..=x0.max(x1)).map(|x| (x, y0)).collect()
    } else {
        assert_eq!(x0, x1, "segments are straight");
        (y0.min(y1)..=y0.max(y1)).map(|y| (x0, y)).collect()
    }
}

#[test]
fn every_edge_is_routed_from_its_source_to_its_target_around_every_box() {
    for workflow in every_shipped() {
        let layout = layout(&workflow);
        let wanted = edges(&workflow);
        assert_eq!(layout.edges.len(), wanted.len(), "{}", workflow.name);
        for (edge, path) in wanted.iter().zip(&layout.edges) {
            let (source, target) = (&layout.nodes[path.from], &layout.nodes[path.to]);
            assert_eq!(
                (
                    source.state.as_str(),
                    path.event.as_str(),
                    target.state.as_str()
                ),
                (edge.from, edge.event, edge.to)
            );
            let first = path.points[0];
            let last = *path.points.last().unwrap();
            assert_eq!(first.0, source.x + source.width, "{}", path.event);
            assert!((source.y + 1..source.y + source.height - 1).contains(&first.1));
            assert_eq!(
                (last.0 + 1, last.1),
                (target.x, target.y + target.height - 2)
            );
            for pair in path.points.windows(2) {
                for cell in cells(pair[0], pair[1]) {
                    assert!(
                        layout.nodes.iter().all(|n| !n.contains(cell)),
                        "{}: {} crosses a box at {cell:?}",
                        workflow.name,
                        path.event
                    );
                }
            }
            let (lx, ly) = path.label_at;
            for x in lx..lx + path.label.chars().count() {
                assert!(layout.nodes.iter().all(|n| !n.contains((x, ly))));
            }
        }
    }
}

#[test]
fn timed_edges_carry_their_delay_and_long_labels_are_cut() {
    let layout = layout_of("marketplace");
    let auto = layout
        .edges
        .iter()
        .find(|e| e.event == "order.auto_completed")
        .unwrap();
    assert_eq!(auto.label, "⏲72h auto_…");
    assert_eq!(auto.label.chars().count(), LABEL_MAX);
    assert_eq!(delay(Duration::seconds(10)), "10s");
    assert_eq!(delay(Duration::minutes(5)), "5m");
    assert_eq!(delay(Duration::days(3)), "72h");
    assert_eq!(delay(Duration::days(14)), "14d");
}

#[test]
fn the_canvas_draws_boxes_labels_and_arrowheads() {
    let layout = layout_of("fulfilment");
    let canvas = layout.canvas();
    let text: Vec<String> = (0..canvas.height).map(|y| canvas.row_text(y)).collect();
    let all = text.join("\n");
    assert!(all.contains("│ Created"), "{all}");
    assert!(all.contains("│ Inventory"), "labels wrap:\n{all}");
    assert!(
        all.contains("╔"),
        "finished states have double borders:\n{all}"
    );
    assert!(all.contains(" start "), "{all}");
    assert!(all.contains("validate"), "{all}");
    let arrows = all.matches('►').count();
    let targets: std::collections::BTreeSet<usize> = layout.edges.iter().map(|e| e.to).collect();
    assert_eq!(arrows, targets.len(), "{all}");
    assert!(canvas.cell(canvas.width, 0).is_none());
}
