//! A loaded, validated workflow: states in column order and transitions in candidate order.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::effect::Effect;
use super::guard::Guard;
use crate::domain::{Order, Role};

#[derive(Clone, Debug)]
pub struct Workflow {
    pub name: String,
    pub label: String,
    pub description: String,
    /// In board column order.
    pub states: Vec<State>,
    pub counters: Vec<String>,
    /// Attributes guards may read, with the value an order has when it does not set one.
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// States in which an order past its due date counts as late.
    pub late_states: Vec<String>,
    /// In file order: for one event, candidates are tried top-down.
    pub transitions: Vec<Transition>,
    /// States the board's "disputes" quick filter shows.
    pub dispute_states: Vec<String>,
    /// Where each role's board starts: the columns of their open work.
    pub start_states: BTreeMap<Role, Vec<String>>,
    /// The file's text, for a remote client to load the server's workflows as its own.
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub id: String,
    pub label: String,
    pub initial: bool,
    pub terminal: bool,
}

/// Where a candidate leads: a new state, or a refusal with a message for the user
/// (checkout's "Refund period expired").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    MoveTo(String),
    Refuse(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteRule {
    Optional,
    Required,
}

#[derive(Clone, Debug)]
pub struct Transition {
    pub event: String,
    /// A short human label for menus ("Accept order"); defaults to the event name.
    pub label: String,
    pub from: Vec<String>,
    pub outcome: Outcome,
    pub roles: Vec<Role>,
    /// Customers and sellers among `roles` must be the order's own customer or seller.
    pub owner: bool,
    /// Roles that may act in the name of the order's party (support for a customer who
    /// phoned in); a note is then required and the history names both.
    pub on_behalf: Vec<Role>,
    pub guard: Option<Guard>,
    pub counter_changes: Vec<(String, i64)>,
    pub effects: Vec<Effect>,
    pub note: NoteRule,
    /// A timer: `system` fires this event this long after the order entered the state.
    pub after: Option<Duration>,
}

impl Transition {
    pub fn target(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::MoveTo(state) => Some(state),
            Outcome::Refuse(_) => None,
        }
    }

    pub fn leaves(&self, state: &str) -> bool {
        self.from.iter().any(|s| s == state)
    }
}

impl Workflow {
    pub fn state(&self, id: &str) -> Option<&State> {
        self.states.iter().find(|s| s.id == id)
    }

    pub fn initial_state(&self) -> &State {
        // Validation guarantees exactly one initial state.
        self.states
            .iter()
            .find(|s| s.initial)
            .unwrap_or(&self.states[0])
    }

    pub fn is_terminal(&self, state: &str) -> bool {
        self.state(state).is_some_and(|s| s.terminal)
    }

    pub fn state_label<'a>(&'a self, id: &'a str) -> &'a str {
        self.state(id).map(|s| s.label.as_str()).unwrap_or(id)
    }

    /// Distinct event names in the order the file first names them.
    pub fn events(&self) -> Vec<&str> {
        let mut events: Vec<&str> = Vec::new();
        for transition in &self.transitions {
            if !events.contains(&transition.event.as_str()) {
                events.push(&transition.event);
            }
        }
        events
    }

    pub fn candidates<'a, 'e>(
        &'a self,
        event: &'e str,
    ) -> impl Iterator<Item = &'a Transition> + use<'a, 'e> {
        self.transitions.iter().filter(move |t| t.event == event)
    }

    /// Late means past its due date (an order without one is never late) while in one of
    /// `late_states`, the states where it still waits on someone; a workflow that does not
    /// list them makes every non-terminal state count.
    pub fn is_late(&self, order: &Order, now: DateTime<Utc>) -> bool {
        order.due_at.is_some_and(|due| due < now) && self.late_states.contains(&order.state)
    }

    /// The timer armed on entering `state`: the earliest timed transition out of it (the
    /// first in the file among equally early ones).
    pub fn timer_for(&self, state: &str) -> Option<(&str, Duration)> {
        self.timed_events_from(state).into_iter().next()
    }

    /// The timed transitions out of `state`, earliest first, file order among equals: when
    /// the armed one's guard refuses at its time, the runner tries the next that is due (a
    /// payment retry while attempts are left, else giving up).
    pub fn timed_events_from(&self, state: &str) -> Vec<(&str, Duration)> {
        let mut timed: Vec<(&str, Duration)> = Vec::new();
        for transition in self.transitions.iter().filter(|t| t.leaves(state)) {
            if let Some(after) = transition.after
                && !timed.iter().any(|(event, _)| *event == transition.event)
            {
                timed.push((transition.event.as_str(), after));
            }
        }
        // A stable sort keeps file order among equal delays.
        timed.sort_by_key(|(_, after)| *after);
        timed
    }
}
