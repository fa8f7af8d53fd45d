//! The `[board]` table: how the board presents a workflow.

use std::collections::BTreeMap;

use super::Locator;
use super::declarations::StateIndex;
use super::raw::RawBoard;
use crate::domain::Role;

pub(super) struct Board {
    pub dispute_states: Vec<String>,
    pub start_states: BTreeMap<Role, Vec<String>>,
}

pub(super) fn board(raw: &RawBoard, states: &StateIndex, at: &mut Locator<'_>) -> Board {
    let dispute_states = states.known(&raw.disputes, "board.disputes", at);
    let mut start_states = BTreeMap::new();
    for (role, list) in &raw.start {
        match role.get_ref().parse::<Role>() {
            Ok(parsed) => {
                let states = states.known(list, "board.start", at);
                start_states.insert(parsed, states);
            }
            Err(error) => at.error(role.span(), format!("board.start: {error}")),
        }
    }
    Board {
        dispute_states,
        start_states,
    }
}
