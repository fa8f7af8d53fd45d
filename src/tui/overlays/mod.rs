//! The overlays drawn over the board: the transitions menu, the note box, the confirmation
//! and help. Each is a module with its state, its keys (its own key map) and its drawing.
//! Overlays never act themselves: a key returns an `Outcome` the board carries out, the way
//! a gitui popup returns the action it confirmed.

mod confirm;
mod help;
mod menu;
mod note;

pub use confirm::{Confirmation, consequences};
pub use menu::Menu;
pub use note::NoteForm;

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::keymap::KeyMap;
use super::view::DrawContext;
use super::widgets::Scroll;
use crate::domain::OrderId;
use crate::workflow::AvailableTransition;

pub enum Overlay {
    Menu(Menu),
    Note(NoteForm),
    Confirm(Confirmation),
    Help(Scroll),
}

/// A transition the user picked for an order at the version they saw.
#[derive(Clone, Debug)]
pub struct Choice {
    pub order_id: OrderId,
    pub version: i64,
    pub transition: AvailableTransition,
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
}

impl Overlay {
    pub fn on_key(&mut self, keymap: &KeyMap, size: (u16, u16), key: KeyEvent) -> Outcome {
        match self {
            Overlay::Menu(menu) => menu.on_key(&keymap.menu, key),
            Overlay::Note(form) => form.on_key(&keymap.input, key),
            Overlay::Confirm(confirm) => confirm.on_key(&keymap.confirm, key),
            Overlay::Help(scroll) => help::on_key(scroll, keymap, size, key),
        }
    }

    /// Drawn last, over everything, one at a time.
    pub fn draw(&self, context: &DrawContext, area: Rect, buf: &mut Buffer) {
        match self {
            Overlay::Menu(menu) => menu.draw(context, area, buf),
            Overlay::Note(form) => form.draw(context, area, buf),
            Overlay::Confirm(confirm) => confirm.draw(context, area, buf),
            Overlay::Help(scroll) => help::draw(scroll, context, area, buf),
        }
    }
}
