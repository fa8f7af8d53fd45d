//! The workflow file as serde reads it, every value with its span so errors can point at it.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWorkflow {
    pub name: Spanned<String>,
    pub label: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub counters: Vec<Spanned<String>>,
    #[serde(default)]
    pub attributes: BTreeMap<String, Spanned<toml::Value>>,
    pub late_states: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub states: Vec<Spanned<RawState>>,
    #[serde(default)]
    pub transitions: Vec<Spanned<RawTransition>>,
    #[serde(default)]
    pub board: RawBoard,
}

/// How the board presents the workflow: which states are disputes, where each role starts.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBoard {
    /// Absent means the workflow has no dispute states.
    #[serde(default)]
    pub disputes: Vec<Spanned<String>>,
    #[serde(default)]
    pub start: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawState {
    pub id: Spanned<String>,
    pub label: Option<String>,
    #[serde(default)]
    pub initial: bool,
    #[serde(default)]
    pub terminal: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTransition {
    pub event: Spanned<String>,
    pub label: Option<String>,
    pub from: Spanned<Vec<Spanned<String>>>,
    pub to: Option<Spanned<String>>,
    pub refuse: Option<Spanned<String>>,
    pub roles: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub owner: bool,
    #[serde(default)]
    pub on_behalf: Vec<Spanned<String>>,
    pub guard: Option<Spanned<String>>,
    pub explain: Option<Spanned<String>>,
    #[serde(default)]
    pub counters: BTreeMap<String, Spanned<i64>>,
    #[serde(default)]
    pub effects: Vec<Spanned<String>>,
    pub note: Option<Spanned<String>>,
    pub after: Option<Spanned<String>>,
}
