//! Every invalid workflow file under tests/fixtures/workflows with its exact message, and the
//! shipped files passing the same check.

use std::path::Path;

use orderboard::workflow::graph::{GraphFormat, render};
use orderboard::workflow::registry::{SHIPPED, load_file};
use orderboard::workflow::{Workflows, load_workflow};

const FIXTURES: &str = "tests/fixtures/workflows";

/// (fixture, every expected line, in order).
const INVALID: &[(&str, &[&str])] = &[
    (
        "syntax-error.toml",
        &["2:10: unclosed array table, expected `]`"],
    ),
    (
        "unknown-key.toml",
        &["5:1: unknown field `inital`, expected one of `id`, `label`, `initial`, `terminal`"],
    ),
    (
        "duplicate-state.toml",
        &["12:6: duplicate state id \"open\""],
    ),
    (
        "no-initial.toml",
        &["3:1: no initial state (mark exactly one state with initial = true)"],
    ),
    (
        "several-initial.toml",
        &[
            "12:6: several initial states: \"open\" and \"also\" (exactly one may be initial)",
            "12:6: state \"also\" is unreachable from the initial state \"open\"",
        ],
    ),
    (
        "unknown-state.toml",
        &[
            "19:9: transition \"jump\" leaves unknown state \"opn\"",
            "20:6: transition \"jump\" goes to unknown state \"nowhere\"",
        ],
    ),
    (
        "leaves-terminal.toml",
        &[
            "19:9: transition \"reopen\" leaves terminal state \"done\" (terminal states have no way out)",
        ],
    ),
    (
        "unreachable-state.toml",
        &["12:6: state \"island\" is unreachable from the initial state \"open\""],
    ),
    (
        "dead-end.toml",
        &[
            "12:6: non-terminal state \"stuck\" has no way out (add a transition or mark it terminal = true)",
        ],
    ),
    (
        "guard-syntax.toml",
        &[
            "17:18: guard `amount >` does not compile: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}",
        ],
    ),
    (
        "guard-unknown-field.toml",
        &[
            "17:10: guard `amout < 100.0` does not compile: refers to unknown field \"amout\" (known: amount, amount_cents, currency, days_since_placed, hours_in_state, now, placed_at, state_entered_at, due_at, counters, attrs, actor, is_owner, state, customer, seller)",
        ],
    ),
    (
        "guard-unknown-counter.toml",
        &[
            "18:9: guard `counters.trys < 3` refers to unknown key \"trys\" (declare counters in counters = [...] and attributes under [attributes])",
        ],
    ),
    (
        "contradicting-effects.toml",
        &[
            "16:28: \"payout\" contradicts the effects before it: a full refund and a payout exclude each other",
            "23:27: \"credit\" contradicts the effects before it: refunds and credits together would return more than the order took",
        ],
    ),
    (
        "unknown-effect.toml",
        &[
            "17:32: unknown effect \"teleport\" (expected refund, payout, credit, notify, payment_link, inventory.check, inventory.reserve, inventory.release, payment.request or shipment.request)",
        ],
    ),
    (
        "unknown-role.toml",
        &["15:10: unknown role \"janitor\" (expected customer, seller, support, admin or system)"],
    ),
    (
        "undeclared-counter.toml",
        &[
            "17:22: transition \"finish\" changes undeclared counter \"tries\" (declare it in counters = [...])",
        ],
    ),
    (
        "bad-timer.toml",
        &["17:9: duration \"soon\" must be a whole number followed by s, m, h or d (like 72h)"],
    ),
];

#[test]
fn every_invalid_fixture_fails_with_its_located_message() {
    for (fixture, expected) in INVALID {
        let path = Path::new(FIXTURES).join(fixture);
        let errors = load_file(&path).expect_err(fixture);
        let got: Vec<String> = errors.0.iter().map(|e| e.to_string()).collect();
        let want: Vec<String> = expected
            .iter()
            .map(|line| format!("{}:{line}", path.display()))
            .collect();
        assert_eq!(got, want, "{fixture}");
    }
}

#[test]
fn every_fixture_is_covered() {
    let mut on_disk: Vec<String> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml") && name != "valid-minimal.toml")
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = INVALID.iter().map(|(f, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn shipped_workflows_and_the_minimal_fixture_are_valid() {
    for (file, text) in SHIPPED {
        load_workflow(file, text).unwrap_or_else(|e| panic!("{e}"));
    }
    load_file(&Path::new(FIXTURES).join("valid-minimal.toml")).unwrap();
    let workflows = Workflows::shipped().unwrap();
    assert_eq!(
        workflows.names(),
        vec!["marketplace", "artist-shop", "checkout", "fulfilment"]
    );
}

#[test]
fn a_folder_overrides_shipped_workflows_by_name() {
    let folder = tempfile::tempdir().unwrap();
    let text = SHIPPED[0]
        .1
        .replace("label = \"Marketplace\"", "label = \"Our marketplace\"");
    std::fs::write(folder.path().join("mine.toml"), text).unwrap();
    let workflows = Workflows::shipped_and_folder(Some(folder.path())).unwrap();
    assert_eq!(
        workflows.get("marketplace").unwrap().label,
        "Our marketplace"
    );
    assert_eq!(workflows.iter().count(), 4);

    std::fs::write(folder.path().join("broken.toml"), "name = ").unwrap();
    let errors = Workflows::shipped_and_folder(Some(folder.path())).unwrap_err();
    assert!(errors.to_string().contains("broken.toml:1:"), "{errors}");
}

#[test]
fn graphs_name_every_edge() {
    let workflows = Workflows::shipped().unwrap();
    let marketplace = workflows.get("marketplace").unwrap();
    let mermaid = render(marketplace, GraphFormat::Mermaid);
    assert!(mermaid.starts_with("stateDiagram-v2\n    [*] --> paid\n"));
    assert!(mermaid.contains("    inprogress --> disputing : order.cancel_requested\n"));
    assert!(mermaid.contains("    cancelled --> [*]\n"));
    let dot = render(workflows.get("artist-shop").unwrap(), GraphFormat::Dot);
    assert!(dot.contains("\"PAID\" -> \"DONE\" [label=\"complete\"];"));
    assert!(dot.contains("\"DONE\" [label=\"Done\", shape=doublecircle];"));
}

/// A file under the size limit may still not describe a workflow of any size: states and
/// transitions are bounded, and the first one too many is located.
#[test]
fn a_workflow_with_too_many_states_or_transitions_is_refused_where_it_goes_over() {
    use orderboard::workflow::load::{MAX_STATES, MAX_TRANSITIONS};
    use std::fmt::Write;
    let states = |count: usize| {
        let mut text = String::from("name = \"big\"\n");
        for i in 0..count {
            let initial = if i == 0 { "initial = true\n" } else { "" };
            let _ = write!(text, "[[states]]\nid = \"s{i}\"\n{initial}");
        }
        text
    };
    let errors = load_workflow("big.toml", &states(MAX_STATES + 1)).unwrap_err();
    let got: Vec<String> = errors.0.iter().map(|e| e.to_string()).collect();
    let line = 2 + 2 * MAX_STATES + 1; // the name, two lines per state, and the initial flag
    assert_eq!(
        got,
        [format!(
            "big.toml:{line}:1: too many states: a workflow may have at most {MAX_STATES}"
        )]
    );

    let mut text = states(2);
    for _ in 0..=MAX_TRANSITIONS {
        text.push_str(
            "[[transitions]]\nevent = \"go\"\nfrom = [\"*\"]\nto = \"s1\"\nroles = [\"admin\"]\n",
        );
    }
    let errors = load_workflow("big.toml", &text).unwrap_err();
    let got: Vec<String> = errors.0.iter().map(|e| e.to_string()).collect();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].ends_with(&format!(
            "too many transitions: a workflow may have at most {MAX_TRANSITIONS}"
        )),
        "{got:?}"
    );
}
