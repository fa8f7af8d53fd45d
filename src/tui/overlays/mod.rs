//! The overlays drawn over the board: the transitions menu, the note box, the confirmation,
//! help, bulk, the user picker of "view as", the command palette and the one-line prompt
//! (export path, view name). Each is a module with its state, its keys (its own key map) and its drawing.
//! Overlays never act themselves: a key returns an `Outcome` the board carries out, the way
//! a gitui popup returns the action it confirmed.

mod bulk;
mod confirm;
mod help;
mod menu;
mod note;
mod palette;
mod pick_user;
mod prompt;

pub use bulk::{BulkChoice, BulkEvent, BulkForm, BulkStage};
pub use confirm::{Confirmation, consequences};
pub use menu::Menu;
pub use note::NoteForm;
pub use palette::{Command, Palette, PaletteItem, Targets, commands};
pub use pick_user::UserPicker;
pub use prompt::{MAX_PROMPT, Prompt, PromptFor};

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::keymap::KeyMap;
use super::view::DrawContext;
use super::widgets::Scroll;
use crate::domain::OrderId;
use crate::domain::text::display_safe;
use crate::workflow::AvailableTransition;

pub enum Overlay {
    Menu(Menu),
    Note(NoteForm),
    Confirm(Confirmation),
    Help(Scroll),
    Bulk(BulkForm),
    PickUser(UserPicker),
    Palette(Palette),
    Prompt(Prompt),
}

impl Overlay {
    /// Whether changes to orders it sent are still under way (bulk; a single transition is
    /// the board's `change_sent`).
    pub fn changing(&self) -> bool {
        matches!(self, Overlay::Bulk(form) if matches!(form.stage, bulk::BulkStage::Applying { .. }))
    }
}

/// What the user picked in an order's menu, at the version they saw.
#[derive(Clone, Debug)]
pub struct Choice {
    pub order_id: OrderId,
    pub version: i64,
    pub pick: Pick,
}

/// A menu item: a transition, or (support and admin) a hand retry or resolution of one of
/// the order's effects that failed or found no sink.
#[derive(Clone, Debug)]
pub enum Pick {
    Transition(AvailableTransition),
    Effect(EffectPick),
}

#[derive(Clone, Debug)]
pub struct EffectPick {
    pub effect_id: i64,
    /// The effect as the workflow writes it: `refund(full)`.
    pub effect: String,
    pub status: String,
    /// Resolve (close by hand, with a note) rather than retry.
    pub resolve: bool,
    /// A retried refund, payout or credit asks its sink to move money again.
    pub moves_money: bool,
}

impl Pick {
    /// The menu's words for it.
    pub fn label(&self) -> String {
        match self {
            Pick::Transition(transition) => transition.label.clone(),
            Pick::Effect(pick) => format!(
                "{} effect #{} {} ({})",
                if pick.resolve { "Resolve" } else { "Retry" },
                pick.effect_id,
                display_safe(&pick.effect),
                pick.status
            ),
        }
    }

    /// A resolution says why; a retry's note is optional.
    pub fn note_required(&self) -> bool {
        match self {
            Pick::Transition(transition) => transition.note_required,
            Pick::Effect(pick) => pick.resolve,
        }
    }

    pub fn needs_confirmation(&self) -> bool {
        match self {
            Pick::Transition(transition) => transition.needs_confirmation,
            Pick::Effect(pick) => !pick.resolve && pick.moves_money,
        }
    }
}

/// What a key did in an overlay, for the board to carry out.
pub enum Outcome {
    /// Handled inside the overlay.
    Stay,
    Close,
    /// A transition was picked in the menu: it may need a note or a confirmation next.
    Chosen(Choice),
    /// The note was written.
    Noted(Choice, String),
    /// Confirmed: apply it.
    Confirmed(Choice, Option<String>),
    /// The bulk overlay asks for its dry run or for the real thing.
    Bulk(BulkChoice),
    /// An admin picked a user to view the board as.
    ViewAs(String),
    /// A palette row was run: do what its key does.
    Run(Command),
    /// A prompt's text was accepted (`overwrite`: the user said yes to replacing a file).
    Prompted {
        purpose: PromptFor,
        text: String,
        overwrite: bool,
    },
}

impl Overlay {
    pub fn on_key(&mut self, keymap: &KeyMap, size: (u16, u16), key: KeyEvent) -> Outcome {
        match self {
            Overlay::Menu(menu) => menu.on_key(&keymap.menu, key),
            Overlay::Note(form) => form.on_key(&keymap.input, key),
            Overlay::Confirm(confirm) => confirm.on_key(&keymap.confirm, key),
            Overlay::Help(scroll) => help::on_key(scroll, keymap, size, key),
            Overlay::Bulk(form) => match form.on_key(keymap, key) {
                BulkChoice::Stay => Outcome::Stay,
                BulkChoice::Close => Outcome::Close,
                request => Outcome::Bulk(request),
            },
            Overlay::PickUser(picker) => picker.on_key(&keymap.menu, size, key),
            Overlay::Palette(palette) => palette.on_key(&keymap.palette, key),
            Overlay::Prompt(prompt) => prompt.on_key(keymap, key),
        }
    }

    /// Drawn last, over everything, one at a time.
    pub fn draw(&self, context: &DrawContext, area: Rect, buf: &mut Buffer) {
        match self {
            Overlay::Menu(menu) => menu.draw(context, area, buf),
            Overlay::Note(form) => form.draw(context, area, buf),
            Overlay::Confirm(confirm) => confirm.draw(context, area, buf),
            Overlay::Help(scroll) => help::draw(scroll, context, area, buf),
            Overlay::Bulk(form) => form.draw(context, area, buf),
            Overlay::PickUser(picker) => picker.draw(context, area, buf),
            Overlay::Palette(palette) => palette.draw(context, area, buf),
            Overlay::Prompt(prompt) => prompt.draw(context, area, buf),
        }
    }
}
