//! The workflow engine: workflows as data (TOML), validated at load, and the pure API that
//! decides which transitions an actor may take. Knows nothing of SQL or terminals.

pub mod attributes;
pub mod definition;
pub mod effect;
pub mod engine;
pub mod graph;
pub mod guard;
pub mod load;
pub mod registry;

pub use definition::{NoteRule, Outcome, State, Transition, Workflow};
pub use effect::{EFFECT_KINDS, Effect, EffectError, LedgerEntry, LedgerKind, RefundShare};
pub use engine::{
    ArmedTimer, AvailableTransition, BlockReason, BlockedTransition, Decision, Refusal,
    TransitionMenu,
};
pub use guard::GuardError;
pub use load::{LoadError, LoadErrors, load_workflow};
pub use registry::Workflows;
