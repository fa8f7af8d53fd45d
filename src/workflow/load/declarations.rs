//! The parts of a workflow transitions refer to: its states, counters and attributes.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use chrono::{TimeZone, Utc};
use toml::Spanned;

use super::Locator;
use super::raw::RawState;
use crate::domain::text::has_controls;
use crate::domain::{Actor, Order, Role};
use crate::workflow::definition::State;
use crate::workflow::guard::GuardFacts;

/// The valid states in file (board column) order, and where each id is written.
pub(super) struct StateIndex {
    states: Vec<State>,
    spans: HashMap<String, Range<usize>>,
}

impl StateIndex {
    /// Keeps every state with a usable, unique id; reports the others and the initial and
    /// terminal flags' mistakes.
    pub fn build(raw_states: &[Spanned<RawState>], at: &mut Locator<'_>) -> StateIndex {
        let mut index = StateIndex {
            states: Vec::new(),
            spans: HashMap::new(),
        };
        for raw_state in raw_states {
            index.add(raw_state.get_ref(), at);
        }
        if raw_states.is_empty() {
            at.error(0..0, "workflow has no states (add [[states]] tables)");
        }
        check_initial_and_terminal(raw_states, at);
        index
    }

    fn add(&mut self, raw: &RawState, at: &mut Locator<'_>) {
        let id = raw.id.get_ref().trim().to_string();
        if id.is_empty() {
            at.error(raw.id.span(), "state id must not be empty");
            return;
        }
        // Ids are printed as they are (in messages and command output), so no escapes.
        if has_controls(&id) {
            at.error(
                raw.id.span(),
                format!("state id \"{id}\" must not contain control characters"),
            );
            return;
        }
        if self.spans.contains_key(&id) {
            at.error(raw.id.span(), format!("duplicate state id \"{id}\""));
            return;
        }
        self.spans.insert(id.clone(), raw.id.span());
        self.states.push(State {
            label: raw.label.clone().unwrap_or_else(|| id.clone()),
            id,
            initial: raw.initial,
            terminal: raw.terminal,
        });
    }

    pub fn contains(&self, id: &str) -> bool {
        self.spans.contains_key(id)
    }

    pub fn is_terminal(&self, id: &str) -> bool {
        self.states.iter().any(|s| s.terminal && s.id == id)
    }

    pub fn non_terminal_ids(&self) -> impl Iterator<Item = String> + '_ {
        self.states
            .iter()
            .filter(|s| !s.terminal)
            .map(|s| s.id.clone())
    }

    /// The states of `list` that exist; each other one is reported as `{what} names unknown
    /// state "..."`.
    pub fn known(&self, list: &[Spanned<String>], what: &str, at: &mut Locator<'_>) -> Vec<String> {
        list.iter()
            .filter_map(|s| {
                if self.contains(s.get_ref()) {
                    Some(s.get_ref().clone())
                } else {
                    at.error(
                        s.span(),
                        format!("{what} names unknown state \"{}\"", s.get_ref()),
                    );
                    None
                }
            })
            .collect()
    }

    /// The states, and where each id is written (for the graph checks).
    pub fn into_parts(self) -> (Vec<State>, HashMap<String, Range<usize>>) {
        (self.states, self.spans)
    }
}

fn check_initial_and_terminal(raw_states: &[Spanned<RawState>], at: &mut Locator<'_>) {
    let initial: Vec<&Spanned<RawState>> =
        raw_states.iter().filter(|s| s.get_ref().initial).collect();
    match initial.len() {
        0 if !raw_states.is_empty() => at.error(
            raw_states[0].span(),
            "no initial state (mark exactly one state with initial = true)",
        ),
        0 | 1 => {}
        _ => {
            for extra in &initial[1..] {
                at.error(
                    extra.get_ref().id.span(),
                    format!(
                        "several initial states: \"{}\" and \"{}\" (exactly one may be initial)",
                        initial[0].get_ref().id.get_ref(),
                        extra.get_ref().id.get_ref()
                    ),
                );
            }
        }
    }
    for state in raw_states
        .iter()
        .filter(|s| s.get_ref().initial && s.get_ref().terminal)
    {
        at.error(
            state.get_ref().id.span(),
            format!(
                "state \"{}\" cannot be both initial and terminal",
                state.get_ref().id.get_ref()
            ),
        );
    }
}

/// Declared counter names, without the invalid and duplicate ones (which are reported).
pub(super) fn counters(raw: &[Spanned<String>], at: &mut Locator<'_>) -> Vec<String> {
    let mut counters: Vec<String> = Vec::new();
    for counter in raw {
        let name = counter.get_ref().trim().to_string();
        // Counter names become CEL field names (`counters.NAME`), where '-' would subtract.
        if !super::is_identifier(&name) || name.contains('-') {
            at.error(
                counter.span(),
                format!("counter name \"{name}\" must be letters, digits or '_'"),
            );
        } else if counters.contains(&name) {
            at.error(counter.span(), format!("duplicate counter \"{name}\""));
        } else {
            counters.push(name);
        }
    }
    counters
}

/// Declared attributes with their defaults as JSON; non-scalar defaults are reported.
pub(super) fn attributes(
    raw: &BTreeMap<String, Spanned<toml::Value>>,
    at: &mut Locator<'_>,
) -> BTreeMap<String, serde_json::Value> {
    let mut attributes = BTreeMap::new();
    for (key, value) in raw {
        match toml_scalar_to_json(value.get_ref()) {
            Some(json) => {
                attributes.insert(key.clone(), json);
            }
            None => at.error(
                value.span(),
                format!("attribute \"{key}\" default must be a string, number or boolean"),
            ),
        }
    }
    attributes
}

fn toml_scalar_to_json(value: &toml::Value) -> Option<serde_json::Value> {
    match value {
        toml::Value::String(s) => Some(serde_json::Value::String(s.clone())),
        toml::Value::Integer(i) => Some(serde_json::Value::from(*i)),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map(serde_json::Value::Number),
        toml::Value::Boolean(b) => Some(serde_json::Value::Bool(*b)),
        _ => None,
    }
}

/// A made-up order with every declared counter and attribute, to try guards on at load.
/// Only names and types matter there; the moment is fixed so a load never depends on the clock.
pub(super) fn sample_facts(
    counters: &[String],
    attributes: &BTreeMap<String, serde_json::Value>,
) -> GuardFacts {
    let at = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let order = Order {
        id: 0,
        workflow: String::new(),
        state: String::new(),
        version: 1,
        customer: "customer".into(),
        seller: "seller".into(),
        title: String::new(),
        amount_cents: 0,
        currency: "EUR".into(),
        placed_at: at,
        due_at: Some(at),
        state_entered_at: at,
        attrs: BTreeMap::new(),
        counters: BTreeMap::new(),
        timer: None,
    };
    GuardFacts::new(
        &order,
        &Actor::new("admin", Role::Admin),
        at,
        counters,
        attributes,
    )
}
