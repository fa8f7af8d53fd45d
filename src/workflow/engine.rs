//! The pure decision API: what may this actor do to this order now, and what happens if they do.
//! No IO; the clock is a parameter. The store, the TUI and the CLI all ask here.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};

use super::definition::{NoteRule, Outcome, Transition, Workflow};
use super::effect::Effect;
use super::guard::{GuardFacts, GuardVerdict};
use crate::domain::{Actor, Order, Party, Role};

/// Why one transition is not open to this actor now.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BlockReason {
    /// The order is not in a state this event leaves.
    WrongState { state: String, from: Vec<String> },
    /// The actor's role is not among those the transition names.
    WrongRole { allowed: Vec<Role> },
    /// The role fits, but the order belongs to another customer or seller.
    NotOwner { party: Party },
    /// A data guard does not hold; the text names the values that failed it.
    GuardFailed(String),
    /// The matching candidate refuses, with the workflow's own message.
    Refused(String),
    /// A timer event before its time.
    TimerNotDue { due_at: DateTime<Utc> },
}

impl BlockReason {
    /// Not permitted (exit 3) as opposed to not allowed now (exit 4).
    pub fn is_permission(&self) -> bool {
        matches!(
            self,
            BlockReason::WrongRole { .. } | BlockReason::NotOwner { .. }
        )
    }
}

impl fmt::Display for BlockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockReason::WrongState { state, from } => {
                write!(
                    f,
                    "needs the order in {} (it is in {state})",
                    from.join(" or ")
                )
            }
            BlockReason::WrongRole { allowed } => {
                let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
                write!(f, "only {} may do this", names.join(" or "))
            }
            BlockReason::NotOwner { party } => {
                write!(f, "only the order's own {} may do this", party.as_str())
            }
            BlockReason::GuardFailed(text) => f.write_str(text),
            BlockReason::Refused(message) => f.write_str(message),
            BlockReason::TimerNotDue { due_at } => {
                write!(f, "timer not due until {}", due_at.to_rfc3339())
            }
        }
    }
}

/// Why `decide` said no. Each kind maps to one CLI exit code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("workflow \"{workflow}\" has no event \"{event}\"")]
    UnknownEvent { workflow: String, event: String },
    #[error("{event} is not permitted: {reason}")]
    NotPermitted { event: String, reason: BlockReason },
    #[error("{event} is not allowed now: {reason}")]
    NotAllowedNow { event: String, reason: BlockReason },
    #[error("{event} needs a note{}", if *.on_behalf { " (acting on the customer's behalf)" } else { "" })]
    NoteRequired { event: String, on_behalf: bool },
}

impl Refusal {
    /// The reason to record in the attempts audit.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::UnknownEvent { .. } => "unknown_event",
            Refusal::NotPermitted { .. } => "not_permitted",
            Refusal::NotAllowedNow { .. } => "not_allowed_now",
            Refusal::NoteRequired { .. } => "note_required",
        }
    }
}

/// A timer armed on entering a state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArmedTimer {
    pub event: String,
    pub due_at: DateTime<Utc>,
}

/// What taking a transition does, for the store to commit in one transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub event: String,
    pub from: String,
    pub to: String,
    /// The order's counters after the change.
    pub counters: BTreeMap<String, i64>,
    pub effects: Vec<Effect>,
    /// The party an on-behalf actor acted for (a support user for a customer who phoned in).
    pub on_behalf_of: Option<String>,
    pub note: Option<String>,
    pub timer: Option<ArmedTimer>,
}

/// One line of the transition menu that the actor may take.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AvailableTransition {
    pub event: String,
    pub label: String,
    pub to: String,
    pub note_required: bool,
    /// Money moves or the order ends: the UI asks before applying.
    pub needs_confirmation: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlockedTransition {
    pub event: String,
    pub label: String,
    pub reason: BlockReason,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TransitionMenu {
    pub available: Vec<AvailableTransition>,
    pub blocked: Vec<BlockedTransition>,
}

/// The candidate an event resolves to for this actor, and whether they act for someone.
struct Chosen<'w> {
    transition: &'w Transition,
    on_behalf: bool,
}

impl Workflow {
    /// Every event of the workflow for this order and actor: the ones they may take now, and
    /// the others with the reason each is blocked (available first, then blocked ones that
    /// leave the current state, then those that need another state).
    pub fn available_transitions(
        &self,
        order: &Order,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> TransitionMenu {
        // Built only if a guard needs them: most transitions have none.
        let facts = std::cell::OnceCell::new();
        let mut menu = TransitionMenu::default();
        let mut other_state = Vec::new();
        for event in self.events() {
            let label = self
                .candidates(event)
                .next()
                .map(|t| t.label.clone())
                .unwrap_or_else(|| event.to_string());
            match self.choose(order, actor, event, now, &facts) {
                Ok(chosen) => {
                    let transition = chosen.transition;
                    let to = transition.target().unwrap_or_default().to_string();
                    menu.available.push(AvailableTransition {
                        event: event.to_string(),
                        label,
                        needs_confirmation: transition.effects.iter().any(Effect::moves_money)
                            || self.is_terminal(&to),
                        to,
                        note_required: chosen.on_behalf || transition.note == NoteRule::Required,
                    });
                }
                Err(reason) => {
                    let blocked = BlockedTransition {
                        event: event.to_string(),
                        label,
                        reason,
                    };
                    if matches!(blocked.reason, BlockReason::WrongState { .. }) {
                        other_state.push(blocked);
                    } else {
                        menu.blocked.push(blocked);
                    }
                }
            }
        }
        menu.blocked.extend(other_state);
        menu
    }

    /// Decides one transition: the outcome to commit, or a typed refusal.
    pub fn decide(
        &self,
        order: &Order,
        actor: &Actor,
        event: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Decision, Refusal> {
        if self.candidates(event).next().is_none() {
            return Err(Refusal::UnknownEvent {
                workflow: self.name.clone(),
                event: event.to_string(),
            });
        }
        // Built only if a guard needs them: most transitions have none.
        let facts = std::cell::OnceCell::new();
        let chosen = self
            .choose(order, actor, event, now, &facts)
            .map_err(|reason| {
                if reason.is_permission() {
                    Refusal::NotPermitted {
                        event: event.to_string(),
                        reason,
                    }
                } else {
                    Refusal::NotAllowedNow {
                        event: event.to_string(),
                        reason,
                    }
                }
            })?;
        let transition = chosen.transition;
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if note.is_none() && (chosen.on_behalf || transition.note == NoteRule::Required) {
            return Err(Refusal::NoteRequired {
                event: event.to_string(),
                on_behalf: chosen.on_behalf,
            });
        }
        let to = transition.target().unwrap_or_default().to_string();
        let mut counters = order.counters.clone();
        for (name, change) in &transition.counter_changes {
            *counters.entry(name.clone()).or_insert(0) += change;
        }
        let on_behalf_of = if chosen.on_behalf {
            transition
                .roles
                .iter()
                .find_map(|role| role.party())
                .and_then(|party| order.party_name(party))
                .map(str::to_string)
        } else {
            None
        };
        let timer = self.timer_for(&to).map(|(event, after)| ArmedTimer {
            event: event.to_string(),
            due_at: now + after,
        });
        Ok(Decision {
            event: event.to_string(),
            from: order.state.clone(),
            to,
            counters,
            effects: transition.effects.clone(),
            on_behalf_of,
            note: note.map(str::to_string),
            timer,
        })
    }

    fn facts(&self, order: &Order, actor: &Actor, now: DateTime<Utc>) -> GuardFacts {
        GuardFacts::new(order, actor, now, &self.counters, &self.attributes)
    }

    /// XState's rule: among the candidates that leave the current state and admit this actor,
    /// the first whose guard passes wins. A refusing candidate that wins refuses.
    fn choose<'w>(
        &'w self,
        order: &Order,
        actor: &Actor,
        event: &str,
        now: DateTime<Utc>,
        facts: &std::cell::OnceCell<GuardFacts>,
    ) -> Result<Chosen<'w>, BlockReason> {
        let in_state: Vec<&Transition> = self
            .candidates(event)
            .filter(|t| t.leaves(&order.state))
            .collect();
        if in_state.is_empty() {
            let mut from: Vec<String> = Vec::new();
            for transition in self.candidates(event) {
                for state in &transition.from {
                    if !from.contains(state) {
                        from.push(state.clone());
                    }
                }
            }
            return Err(BlockReason::WrongState {
                state: order.state.clone(),
                from,
            });
        }
        let admitted: Vec<Chosen<'w>> = in_state
            .iter()
            .filter_map(|t| {
                admits(t, order, actor).map(|on_behalf| Chosen {
                    transition: t,
                    on_behalf,
                })
            })
            .collect();
        if admitted.is_empty() {
            return Err(permission_reason(&in_state, actor));
        }
        let mut first_failure = None;
        for chosen in admitted {
            let transition = chosen.transition;
            // The delay is when the system takes the step by itself; a person with one of
            // the transition's other roles may take it sooner.
            if let Some(after) = transition.after
                && actor.role == Role::System
            {
                let due_at = order.state_entered_at + after;
                if now < due_at {
                    first_failure.get_or_insert(BlockReason::TimerNotDue { due_at });
                    continue;
                }
            }
            if let Some(guard) = &transition.guard
                && let GuardVerdict::Fails(why) =
                    guard.check(facts.get_or_init(|| self.facts(order, actor, now)))
            {
                first_failure.get_or_insert(BlockReason::GuardFailed(why));
                continue;
            }
            return match &transition.outcome {
                Outcome::MoveTo(_) => Ok(chosen),
                Outcome::Refuse(message) => Err(BlockReason::Refused(message.clone())),
            };
        }
        Err(first_failure
            .unwrap_or_else(|| BlockReason::GuardFailed("no candidate applies".into())))
    }
}

/// Whether the transition admits the actor: `Some(false)` in their own right,
/// `Some(true)` acting on a party's behalf, `None` not at all.
fn admits(transition: &Transition, order: &Order, actor: &Actor) -> Option<bool> {
    if transition.roles.contains(&actor.role) {
        let must_own = transition.owner && actor.role.party().is_some();
        return (!must_own || order.is_owned_by(actor)).then_some(false);
    }
    transition.on_behalf.contains(&actor.role).then_some(true)
}

fn permission_reason(in_state: &[&Transition], actor: &Actor) -> BlockReason {
    if let Some(party) = actor.role.party()
        && in_state.iter().any(|t| t.roles.contains(&actor.role))
    {
        return BlockReason::NotOwner { party };
    }
    let mut allowed: Vec<Role> = Vec::new();
    for transition in in_state {
        for role in transition.roles.iter().chain(&transition.on_behalf) {
            if !allowed.contains(role) {
                allowed.push(*role);
            }
        }
    }
    BlockReason::WrongRole { allowed }
}
