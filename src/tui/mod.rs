//! The terminal UI: a pure state machine (`app`), rendering that only reads it (`view`), and
//! a runtime that owns the terminal, carries out effects and feeds results back (`runtime`).

pub mod action;
pub mod app;
pub mod keymap;
pub mod layout;
pub mod msg;
pub mod runtime;
pub mod theme;
pub mod view;
