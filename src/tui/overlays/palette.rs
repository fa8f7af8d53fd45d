//! The command palette: a box that fuzzy-matches every board action (from the same list as
//! the key map and help), the workflows, the sorts, the saved views and the themes, and a
//! typed number as "go to order #N". Each row shows its key; Enter runs it as the key would.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::Outcome;
use crate::domain::access::Permission;
use crate::domain::text::display_safe;
use crate::domain::{OrderId, OrderSort, Role};
use crate::tui::action::{Action, ActionSet, PaletteAction};
use crate::tui::fuzzy::{MAX_QUERY, score};
use crate::tui::keymap::{Bindings, KeyMap};
use crate::tui::theme::ThemeName;
use crate::tui::view::DrawContext;
use crate::tui::widgets::{hint_spans, input_with_caret, pad, popup, truncate};

/// Widest the palette gets on a large terminal.
const MAX_WIDTH: u16 = 80;
/// Most rows listed at once; the list scrolls with the selection.
const MAX_ROWS: usize = 14;
/// The palette's lines besides its rows: two borders, the box, a blank line, the keys.
const CHROME: u16 = 5;

/// What a palette row does when run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// A board action, exactly as its key.
    Action(Action),
    GoToOrder(OrderId),
    Workflow(String),
    Sort(OrderSort),
    /// A saved view, by name.
    View(String),
    Theme(ThemeName),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaletteItem {
    /// Display-safe already: matched positions index its characters.
    pub label: String,
    /// The key that does the same, if one does ("x", "ctrl-r").
    pub key: String,
    pub command: Command,
}

/// What the palette lists besides the actions.
pub struct Targets {
    /// (name, label) of each workflow the user may switch to.
    pub workflows: Vec<(String, String)>,
    pub views: Vec<String>,
    /// The screens on top this user may open (the history explorer, view as).
    pub role: Role,
}

/// Every row: the board's actions this user may take (but the palette itself) by their help
/// text, then the workflows, sorts, views and themes, and quitting last, so that Enter on
/// an empty query never quits.
pub fn commands(keymap: &KeyMap, targets: Targets) -> Vec<PaletteItem> {
    let role = targets.role;
    let offered = |action: &&Action| match **action {
        Action::Palette | Action::Quit => false,
        Action::HistoryExplorer => Permission::SeeAttempts.allows(role),
        Action::ViewAs => Permission::ViewAs.allows(role),
        _ => true,
    };
    let row = |action: &Action| {
        let key = keymap.board.keys(*action).first().map(|k| k.label());
        let label = action.description().to_string();
        (label, key.unwrap_or_default(), Command::Action(*action))
    };
    let actions = Action::ALL.iter().filter(offered).map(row);
    let quit = std::iter::once(row(&Action::Quit));
    let workflows = targets.workflows.into_iter().map(|(name, label)| {
        let text = format!("switch to workflow {label} ({name})");
        (text, String::new(), Command::Workflow(name))
    });
    let sorts = OrderSort::ALL.into_iter().map(|sort| {
        let text = format!("sort by {}", sort.label());
        (text, String::new(), Command::Sort(sort))
    });
    let views = targets
        .views
        .into_iter()
        .map(|name| (format!("view: {name}"), String::new(), Command::View(name)));
    let themes = ThemeName::ALL.into_iter().map(|theme| {
        let text = format!("theme: {}", theme.label());
        (text, String::new(), Command::Theme(theme))
    });
    actions
        .chain(workflows)
        .chain(sorts)
        .chain(views)
        .chain(themes)
        .chain(quit)
        .map(|(label, key, command)| PaletteItem {
            label: display_safe(&label).into_owned(),
            key,
            command,
        })
        .collect()
}

/// A row on show, with the characters the query matched.
#[derive(Clone, Debug)]
pub struct Shown {
    pub item: PaletteItem,
    pub positions: Vec<usize>,
}

pub struct Palette {
    pub input: Input,
    pub items: Vec<PaletteItem>,
    /// The rows matching the query, best first.
    pub shown: Vec<Shown>,
    pub selected: usize,
}

impl Palette {
    pub fn new(items: Vec<PaletteItem>) -> Palette {
        let mut palette = Palette {
            input: Input::default(),
            items,
            shown: Vec::new(),
            selected: 0,
        };
        palette.refilter();
        palette
    }

    pub fn on_key(&mut self, keys: &Bindings<PaletteAction>, key: KeyEvent) -> Outcome {
        match keys.action(&key) {
            Some(PaletteAction::Close) => Outcome::Close,
            Some(PaletteAction::Up) => {
                self.selected = self.selected.saturating_sub(1);
                Outcome::Stay
            }
            Some(PaletteAction::Down) => {
                if self.selected + 1 < self.shown.len() {
                    self.selected += 1;
                }
                Outcome::Stay
            }
            Some(PaletteAction::Run) => match self.shown.get(self.selected) {
                Some(shown) => Outcome::Run(shown.item.command.clone()),
                None => Outcome::Stay,
            },
            None => {
                self.input.handle_event(&crossterm::event::Event::Key(key));
                self.refilter();
                Outcome::Stay
            }
        }
    }

    /// Pasted text goes into the box, cut to the query's bound.
    pub fn paste(&mut self, text: &str) {
        crate::tui::paste::insert(&mut self.input, text);
        self.refilter();
    }

    /// Matches the rows against the query (cut to its bound), best first; a number on its
    /// own ("42", "#42") adds "go to order #42" on top.
    fn refilter(&mut self) {
        if self.input.value().chars().count() > MAX_QUERY {
            let kept: String = self.input.value().chars().take(MAX_QUERY).collect();
            self.input = Input::new(kept);
        }
        let query = self.input.value().trim();
        let mut scored: Vec<(i32, usize, Shown)> = self
            .items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| {
                let found = score(query, &item.label)?;
                let shown = Shown {
                    item: item.clone(),
                    positions: found.positions,
                };
                Some((found.score, index, shown))
            })
            .collect();
        // Best first; equal scores keep the list's order.
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        self.shown = scored.into_iter().map(|(_, _, shown)| shown).collect();
        if let Some(id) = order_number(query) {
            self.shown.insert(
                0,
                Shown {
                    item: PaletteItem {
                        label: format!("go to order #{id}"),
                        key: String::new(),
                        command: Command::GoToOrder(id),
                    },
                    positions: Vec::new(),
                },
            );
        }
        self.selected = 0;
    }

    pub fn draw(&self, context: &DrawContext, area: Rect, buf: &mut Buffer) {
        let theme = context.theme;
        let width = area.width.saturating_sub(4).min(MAX_WIDTH);
        // Borders, the box, a blank line and the keys around the rows; a row of margin.
        let room = area.height.saturating_sub(CHROME + 2) as usize;
        let rows = self.shown.len().clamp(1, MAX_ROWS.min(room.max(1)));
        let title = format!(" Commands · {} of {} ", self.shown.len(), self.items.len());
        let inner = popup(area, width, rows as u16 + CHROME, title, theme, buf);
        let inner_width = inner.width as usize;
        let typed = input_with_caret(&self.input, inner_width.saturating_sub(2));
        let mut lines = vec![
            Line::from(Span::styled(
                pad(&format!("> {typed}"), inner_width),
                theme.highlight,
            )),
            Line::from(""),
        ];
        let offset = self.selected.saturating_sub(rows - 1);
        for (index, shown) in self.shown.iter().enumerate().skip(offset).take(rows) {
            lines.push(row(shown, index == self.selected, inner_width, context));
        }
        if self.shown.is_empty() {
            lines.push(Line::from(Span::styled("no command matches", theme.muted)));
        }
        let hints = context.keymap.palette.hints(PaletteAction::ALL);
        lines.push(Line::from(hint_spans(&hints, " · ", theme)));
        Paragraph::new(lines).render(inner, buf);
    }
}

/// One row: the label with its matched characters marked, its key at the right.
fn row(shown: &Shown, selected: bool, width: usize, context: &DrawContext) -> Line<'static> {
    let theme = context.theme;
    let base = if selected {
        theme.selected_card
    } else {
        theme.available_item
    };
    let key = &shown.item.key;
    let key_width = key.chars().count();
    let label_room = width.saturating_sub(key_width + 3);
    let label = truncate(&shown.item.label, label_room);
    let mut spans = vec![Span::styled(" ", base)];
    let marked: Style = base.add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
    for (index, c) in label.chars().enumerate() {
        let style = if shown.positions.contains(&index) {
            marked
        } else {
            base
        };
        spans.push(Span::styled(c.to_string(), style));
    }
    let used = 1 + label.chars().count();
    let gap = width.saturating_sub(used + key_width + 1);
    spans.push(Span::styled(" ".repeat(gap), base));
    let key_style = if selected { base } else { theme.key_hint };
    spans.push(Span::styled(key.clone(), key_style));
    spans.push(Span::styled(" ", base));
    Line::from(spans)
}

/// "42" or "#42" as an order id.
fn order_number(query: &str) -> Option<OrderId> {
    let digits = query.strip_prefix('#').unwrap_or(query);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse::<OrderId>().ok().filter(|id| *id > 0)
}
