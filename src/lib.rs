//! orderboard: a terminal back-office for order workflows.
//!
//! The tree shows the architecture: `domain` (orders, roles, visibility) and `workflow` (the
//! engine) know nothing of SQL or terminals; `store` persists them on SQLite or PostgreSQL;
//! `cli` and `tui` are the two faces, both going through `service` for every read and change.

pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod files;
pub mod http;
pub mod http_client;
pub mod logging;
pub mod office;
pub mod runner;
pub mod service;
pub mod shapes;
pub mod store;
pub mod tui;
pub mod verify;
pub mod workflow;
