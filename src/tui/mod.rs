//! The terminal UI: a pure state machine (`app` and the screens), rendering that only reads
//! it (`view` and each screen's `draw`), and a runtime that owns the terminal, carries out
//! effects through the service boundary and feeds results back (`runtime`).
//!
//! Screens and overlays are modules holding their state, keys and drawing: `login`, `board`
//! (with `order_pane` and `feed_pane`), `graph_screen`, `explorer`, and `overlays` (menu,
//! note, confirm, help, bulk, the user picker of "view as", palette, prompt).

pub mod action;
pub mod app;
pub mod board;
pub mod clock;
pub mod explorer;
pub mod feed_pane;
pub mod fuzzy;
pub mod graph_screen;
pub mod keymap;
pub mod layout;
pub mod login;
pub mod msg;
pub mod order_pane;
pub mod overlays;
pub mod paste;
pub mod runtime;
pub mod theme;
pub mod view;
pub mod views;
pub mod widgets;

pub use app::{App, update};
pub use keymap::KeyMap;
pub use msg::Msg;
pub use theme::Theme;
pub use view::Frame;
