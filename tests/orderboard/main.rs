//! One integration-test crate (one binary to link on a 2-core machine), a module per area.

mod cli;
mod db;
mod engine;
mod races;
mod story;
mod support;
mod workflow_files;
