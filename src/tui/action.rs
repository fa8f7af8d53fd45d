//! The key-binding vocabulary, one enum per mode: what a key can mean on the board and in each
//! overlay. The same enums are what `config.toml` names (snake_case) under [keys] and
//! [keys.MODE], what the help and the footer describe, and what tests feed to `update`.

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A mode's actions: their names in `config.toml`, their defaults and their descriptions.
pub trait ActionSet: Copy + Eq + Ord + DeserializeOwned + 'static {
    /// Where the mode's keys are configured, for messages: "[keys]", "[keys.menu]".
    const TABLE: &'static str;
    /// Every action, in the order help lists them.
    const ALL: &'static [Self];
    /// The default bindings (key, action); several keys may share an action.
    const DEFAULTS: &'static [(&'static str, Self)];
    /// The line the help screen shows.
    fn description(self) -> &'static str;
    /// The short word a footer or overlay hint shows.
    fn hint(self) -> &'static str;
}

/// Keys on the board.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
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
    NeedsAttentionOnly,
    SwitchWorkflow,
    PreviousWorkflow,
    ToggleTerminalColumns,
    Sort,
    Refresh,
    ToggleMark,
    MarkColumn,
    Bulk,
    StateGraph,
    HistoryExplorer,
    ViewAs,
    Palette,
    Export,
    CopyId,
    CopySummary,
    SaveView,
}

impl ActionSet for Action {
    const TABLE: &'static str = "[keys]";
    const ALL: &'static [Action] = &[
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
        Action::NeedsAttentionOnly,
        Action::SwitchWorkflow,
        Action::PreviousWorkflow,
        Action::ToggleTerminalColumns,
        Action::Sort,
        Action::Refresh,
        Action::ToggleMark,
        Action::MarkColumn,
        Action::Bulk,
        Action::StateGraph,
        Action::HistoryExplorer,
        Action::ViewAs,
        Action::Palette,
        Action::Export,
        Action::CopyId,
        Action::CopySummary,
        Action::SaveView,
    ];
    const DEFAULTS: &'static [(&'static str, Action)] = &[
        ("q", Action::Quit),
        ("ctrl-c", Action::Quit),
        ("?", Action::Help),
        ("up", Action::Up),
        ("k", Action::Up),
        ("down", Action::Down),
        ("j", Action::Down),
        ("left", Action::Left),
        ("h", Action::Left),
        ("right", Action::Right),
        ("l", Action::Right),
        ("home", Action::Top),
        ("end", Action::Bottom),
        ("pageup", Action::PageUp),
        ("pagedown", Action::PageDown),
        ("enter", Action::OpenMenu),
        ("esc", Action::Back),
        ("tab", Action::NextPane),
        ("backtab", Action::PreviousPane),
        ("/", Action::Filter),
        ("m", Action::MineOnly),
        ("L", Action::LateOnly),
        ("d", Action::DisputesOnly),
        ("e", Action::NeedsAttentionOnly),
        ("w", Action::SwitchWorkflow),
        ("W", Action::PreviousWorkflow),
        ("c", Action::ToggleTerminalColumns),
        ("s", Action::Sort),
        ("ctrl-r", Action::Refresh),
        ("space", Action::ToggleMark),
        ("V", Action::MarkColumn),
        ("b", Action::Bulk),
        ("g", Action::StateGraph),
        ("H", Action::HistoryExplorer),
        ("A", Action::ViewAs),
        (":", Action::Palette),
        ("x", Action::Export),
        ("y", Action::CopyId),
        ("Y", Action::CopySummary),
        ("v", Action::SaveView),
    ];

    fn description(self) -> &'static str {
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
            Action::NeedsAttentionOnly => "only orders with an effect that failed or found no sink",
            Action::SwitchWorkflow => "next workflow",
            Action::PreviousWorkflow => "previous workflow",
            Action::ToggleTerminalColumns => "collapse or expand finished columns",
            Action::Sort => "sort columns by id, due date, age or amount",
            Action::Refresh => "reload the board",
            Action::ToggleMark => "select or unselect the card for a bulk action",
            Action::MarkColumn => "select every card of the column (under the filter), or none",
            Action::Bulk => "one event on the selected cards: a dry run first, then each order",
            Action::StateGraph => "the workflow's state graph, from the selected order",
            Action::HistoryExplorer => "every transition and refused attempt (support, admin)",
            Action::ViewAs => "view the board read-only as another user (admin)",
            Action::Palette => "command palette: every command, workflow, sort and view",
            Action::Export => "export the column (or the filtered board) to CSV or JSON",
            Action::CopyId => "copy the selected order's id",
            Action::CopySummary => "copy a one-line summary of the selected order",
            Action::SaveView => "save this view (workflow, filters, sort) to config.toml",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::OpenMenu => "actions",
            Action::Filter => "filter",
            Action::NextPane => "pane",
            Action::MineOnly => "mine",
            Action::LateOnly => "late",
            Action::DisputesOnly => "disputes",
            Action::NeedsAttentionOnly => "failed effects",
            Action::SwitchWorkflow => "workflow",
            Action::ToggleTerminalColumns => "finished",
            Action::StateGraph => "graph",
            Action::HistoryExplorer => "history",
            Action::ViewAs => "view as",
            Action::Palette => "commands",
            Action::Export => "export",
            Action::CopyId => "copy id",
            Action::CopySummary => "copy summary",
            Action::SaveView => "save view",
            other => other.description(),
        }
    }
}

/// Keys in the transitions menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MenuAction {
    Up,
    Down,
    Choose,
    Close,
}

impl ActionSet for MenuAction {
    const TABLE: &'static str = "[keys.menu]";
    const ALL: &'static [MenuAction] = &[
        MenuAction::Up,
        MenuAction::Down,
        MenuAction::Choose,
        MenuAction::Close,
    ];
    const DEFAULTS: &'static [(&'static str, MenuAction)] = &[
        ("up", MenuAction::Up),
        ("k", MenuAction::Up),
        ("down", MenuAction::Down),
        ("j", MenuAction::Down),
        ("enter", MenuAction::Choose),
        ("esc", MenuAction::Close),
    ];

    fn description(self) -> &'static str {
        match self {
            MenuAction::Up => "previous transition",
            MenuAction::Down => "next transition",
            MenuAction::Choose => "apply the chosen transition",
            MenuAction::Close => "close the menu",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            MenuAction::Up => "up",
            MenuAction::Down => "down",
            MenuAction::Choose => "apply",
            MenuAction::Close => "close",
        }
    }
}

/// Keys in the command palette: every other key types into its box.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaletteAction {
    Up,
    Down,
    Run,
    Close,
}

impl ActionSet for PaletteAction {
    const TABLE: &'static str = "[keys.palette]";
    const ALL: &'static [PaletteAction] = &[
        PaletteAction::Up,
        PaletteAction::Down,
        PaletteAction::Run,
        PaletteAction::Close,
    ];
    // No letters: they type.
    const DEFAULTS: &'static [(&'static str, PaletteAction)] = &[
        ("up", PaletteAction::Up),
        ("ctrl-p", PaletteAction::Up),
        ("down", PaletteAction::Down),
        ("ctrl-n", PaletteAction::Down),
        ("enter", PaletteAction::Run),
        ("esc", PaletteAction::Close),
    ];

    fn description(self) -> &'static str {
        match self {
            PaletteAction::Up => "previous command",
            PaletteAction::Down => "next command",
            PaletteAction::Run => "run the chosen command",
            PaletteAction::Close => "close the palette",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            PaletteAction::Up => "up",
            PaletteAction::Down => "down",
            PaletteAction::Run => "run",
            PaletteAction::Close => "close",
        }
    }
}

/// Keys in a text box (the note, the filter, a prompt): every other key types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputAction {
    Submit,
    Cancel,
}

impl ActionSet for InputAction {
    const TABLE: &'static str = "[keys.input]";
    const ALL: &'static [InputAction] = &[InputAction::Submit, InputAction::Cancel];
    const DEFAULTS: &'static [(&'static str, InputAction)] =
        &[("enter", InputAction::Submit), ("esc", InputAction::Cancel)];

    fn description(self) -> &'static str {
        match self {
            InputAction::Submit => "accept the text",
            InputAction::Cancel => "cancel",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            InputAction::Submit => "accept",
            InputAction::Cancel => "cancel",
        }
    }
}

/// Keys in a confirmation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmAction {
    Yes,
    No,
}

impl ActionSet for ConfirmAction {
    const TABLE: &'static str = "[keys.confirm]";
    const ALL: &'static [ConfirmAction] = &[ConfirmAction::Yes, ConfirmAction::No];
    // No Enter for yes: money moves or an order ends only on an explicit key.
    const DEFAULTS: &'static [(&'static str, ConfirmAction)] = &[
        ("y", ConfirmAction::Yes),
        ("Y", ConfirmAction::Yes),
        ("n", ConfirmAction::No),
        ("N", ConfirmAction::No),
        ("esc", ConfirmAction::No),
    ];

    fn description(self) -> &'static str {
        match self {
            ConfirmAction::Yes => "yes, apply",
            ConfirmAction::No => "no, go back",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            ConfirmAction::Yes => "yes, apply",
            ConfirmAction::No => "no",
        }
    }
}

/// Keys on the help screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HelpAction {
    Close,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
}

impl ActionSet for HelpAction {
    const TABLE: &'static str = "[keys.help]";
    const ALL: &'static [HelpAction] = &[
        HelpAction::Close,
        HelpAction::Up,
        HelpAction::Down,
        HelpAction::PageUp,
        HelpAction::PageDown,
        HelpAction::Top,
        HelpAction::Bottom,
    ];
    const DEFAULTS: &'static [(&'static str, HelpAction)] = &[
        ("?", HelpAction::Close),
        ("esc", HelpAction::Close),
        ("q", HelpAction::Close),
        ("enter", HelpAction::Close),
        ("up", HelpAction::Up),
        ("k", HelpAction::Up),
        ("down", HelpAction::Down),
        ("j", HelpAction::Down),
        ("pageup", HelpAction::PageUp),
        ("pagedown", HelpAction::PageDown),
        ("home", HelpAction::Top),
        ("end", HelpAction::Bottom),
    ];

    fn description(self) -> &'static str {
        match self {
            HelpAction::Close => "close the help",
            HelpAction::Up => "scroll up",
            HelpAction::Down => "scroll down",
            HelpAction::PageUp => "a page up",
            HelpAction::PageDown => "a page down",
            HelpAction::Top => "to the top",
            HelpAction::Bottom => "to the end",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            HelpAction::Close => "close",
            HelpAction::Up => "up",
            HelpAction::Down => "down",
            HelpAction::PageUp => "page up",
            HelpAction::PageDown => "page down",
            HelpAction::Top => "top",
            HelpAction::Bottom => "end",
        }
    }
}

/// Keys on the sign-in screen: every other key types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginAction {
    SignIn,
    NextField,
    Quit,
}

impl ActionSet for LoginAction {
    const TABLE: &'static str = "[keys.login]";
    const ALL: &'static [LoginAction] = &[
        LoginAction::SignIn,
        LoginAction::NextField,
        LoginAction::Quit,
    ];
    const DEFAULTS: &'static [(&'static str, LoginAction)] = &[
        ("enter", LoginAction::SignIn),
        ("tab", LoginAction::NextField),
        ("backtab", LoginAction::NextField),
        ("up", LoginAction::NextField),
        ("down", LoginAction::NextField),
        ("esc", LoginAction::Quit),
    ];

    fn description(self) -> &'static str {
        match self {
            LoginAction::SignIn => "sign in",
            LoginAction::NextField => "next field",
            LoginAction::Quit => "quit",
        }
    }

    fn hint(self) -> &'static str {
        self.description()
    }
}

/// Keys on the state graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GraphAction {
    Close,
    PanUp,
    PanDown,
    PanLeft,
    PanRight,
    NextEdge,
    PreviousEdge,
}

impl ActionSet for GraphAction {
    const TABLE: &'static str = "[keys.graph]";
    const ALL: &'static [GraphAction] = &[
        GraphAction::NextEdge,
        GraphAction::PreviousEdge,
        GraphAction::Close,
        GraphAction::PanUp,
        GraphAction::PanDown,
        GraphAction::PanLeft,
        GraphAction::PanRight,
    ];
    const DEFAULTS: &'static [(&'static str, GraphAction)] = &[
        ("esc", GraphAction::Close),
        ("q", GraphAction::Close),
        ("g", GraphAction::Close),
        ("up", GraphAction::PanUp),
        ("k", GraphAction::PanUp),
        ("down", GraphAction::PanDown),
        ("j", GraphAction::PanDown),
        ("left", GraphAction::PanLeft),
        ("h", GraphAction::PanLeft),
        ("right", GraphAction::PanRight),
        ("l", GraphAction::PanRight),
        ("tab", GraphAction::NextEdge),
        ("n", GraphAction::NextEdge),
        ("backtab", GraphAction::PreviousEdge),
        ("N", GraphAction::PreviousEdge),
    ];

    fn description(self) -> &'static str {
        match self {
            GraphAction::Close => "back to the board",
            GraphAction::PanUp => "pan up",
            GraphAction::PanDown => "pan down",
            GraphAction::PanLeft => "pan left",
            GraphAction::PanRight => "pan right",
            GraphAction::NextEdge => "next edge out of the order's state",
            GraphAction::PreviousEdge => "previous edge",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            GraphAction::Close => "back",
            GraphAction::PanUp => "up",
            GraphAction::PanDown => "down",
            GraphAction::PanLeft => "left",
            GraphAction::PanRight => "right",
            GraphAction::NextEdge => "next edge",
            GraphAction::PreviousEdge => "previous edge",
        }
    }
}

/// Keys in the history explorer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExplorerAction {
    Close,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    GoToOrder,
    Filter,
}

impl ActionSet for ExplorerAction {
    const TABLE: &'static str = "[keys.explorer]";
    const ALL: &'static [ExplorerAction] = &[
        ExplorerAction::GoToOrder,
        ExplorerAction::Filter,
        ExplorerAction::Close,
        ExplorerAction::Up,
        ExplorerAction::Down,
        ExplorerAction::PageUp,
        ExplorerAction::PageDown,
        ExplorerAction::Top,
    ];
    const DEFAULTS: &'static [(&'static str, ExplorerAction)] = &[
        ("enter", ExplorerAction::GoToOrder),
        ("/", ExplorerAction::Filter),
        ("esc", ExplorerAction::Close),
        ("q", ExplorerAction::Close),
        ("up", ExplorerAction::Up),
        ("k", ExplorerAction::Up),
        ("down", ExplorerAction::Down),
        ("j", ExplorerAction::Down),
        ("pageup", ExplorerAction::PageUp),
        ("pagedown", ExplorerAction::PageDown),
        ("home", ExplorerAction::Top),
    ];

    fn description(self) -> &'static str {
        match self {
            ExplorerAction::Close => "back to the board",
            ExplorerAction::Up => "previous entry",
            ExplorerAction::Down => "next (older) entry",
            ExplorerAction::PageUp => "a page up",
            ExplorerAction::PageDown => "a page down",
            ExplorerAction::Top => "the newest entry",
            ExplorerAction::GoToOrder => "go to the entry's order on the board",
            ExplorerAction::Filter => "filter: actor: role: event: state: workflow: since: until:",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            ExplorerAction::Close => "back",
            ExplorerAction::GoToOrder => "go to order",
            ExplorerAction::Filter => "filter",
            ExplorerAction::Top => "newest",
            other => other.description(),
        }
    }
}
