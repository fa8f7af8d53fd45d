//! The key-binding vocabulary: what a key can mean on the board. The same enum is what
//! `config.toml` names under [keys] (snake_case) and what tests feed to `update`.

use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Help,
    Up,
    Down,
    Left,
    Right,
    Top,
    Bottom,
    PageUp,
    PageDown,
    OpenMenu,
    Back,
    NextPane,
    PreviousPane,
    Filter,
    MineOnly,
    LateOnly,
    DisputesOnly,
    SwitchWorkflow,
    ToggleTerminalColumns,
    Refresh,
}

impl Action {
    pub const ALL: [Action; 21] = [
        Action::Quit,
        Action::Help,
        Action::Up,
        Action::Down,
        Action::Left,
        Action::Right,
        Action::Top,
        Action::Bottom,
        Action::PageUp,
        Action::PageDown,
        Action::OpenMenu,
        Action::Back,
        Action::NextPane,
        Action::PreviousPane,
        Action::Filter,
        Action::MineOnly,
        Action::LateOnly,
        Action::DisputesOnly,
        Action::SwitchWorkflow,
        Action::ToggleTerminalColumns,
        Action::Refresh,
    ];

    /// The line the help screen and the footer show.
    pub fn description(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "show or hide this help",
            Action::Up => "previous card",
            Action::Down => "next card",
            Action::Left => "previous column",
            Action::Right => "next column",
            Action::Top => "first card of the column",
            Action::Bottom => "last card of the column",
            Action::PageUp => "a page up the column",
            Action::PageDown => "a page down the column",
            Action::OpenMenu => "transitions for the selected order",
            Action::Back => "close, or clear the filter",
            Action::NextPane => "next pane (board, order, feed)",
            Action::PreviousPane => "previous pane",
            Action::Filter => "filter by id, title, customer or seller",
            Action::MineOnly => "only orders I acted on / own",
            Action::LateOnly => "only late orders",
            Action::DisputesOnly => "only disputes and cancellation requests",
            Action::SwitchWorkflow => "next workflow",
            Action::ToggleTerminalColumns => "collapse or expand finished columns",
            Action::Refresh => "reload the board",
        }
    }

    /// The short word the footer uses.
    pub fn hint(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::OpenMenu => "actions",
            Action::Filter => "filter",
            Action::NextPane => "pane",
            Action::MineOnly => "mine",
            Action::LateOnly => "late",
            Action::DisputesOnly => "disputes",
            Action::SwitchWorkflow => "workflow",
            Action::ToggleTerminalColumns => "finished",
            other => other.description(),
        }
    }
}
