//! One integration-test crate (one binary to link on a 2-core machine), a module per area.

mod engine;
mod support;
mod workflow_files;
