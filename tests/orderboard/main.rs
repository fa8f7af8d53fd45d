//! One integration-test crate (one binary to link on a 2-core machine), a module per area.

mod api;
mod board_day;
mod board_export;
mod bulk;
mod cli;
mod db;
mod engine;
mod hostile;
mod outage;
mod races;
mod reliability;
mod remote_cli;
mod runner;
mod search;
mod security;
mod story;
mod support;
mod tmux;
mod tokens;
mod trust;
mod tui_fixtures;
mod tui_screens;
mod tui_snapshots;
mod tui_tools;
mod tui_update;
mod workflow_files;
