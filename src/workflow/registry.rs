//! The workflows a board runs: the four shipped ones, embedded in the binary, and any
//! `*.toml` in a workflow folder, which override embedded ones of the same name.

use std::path::Path;
use std::sync::Arc;

use super::definition::Workflow;
use super::load::{LoadError, LoadErrors, load_workflow, read_bounded};

/// The shipped definitions, as `(file name, text)`.
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "marketplace.toml",
        include_str!("../../assets/workflows/marketplace.toml"),
    ),
    (
        "artist-shop.toml",
        include_str!("../../assets/workflows/artist-shop.toml"),
    ),
    (
        "checkout.toml",
        include_str!("../../assets/workflows/checkout.toml"),
    ),
    (
        "fulfilment.toml",
        include_str!("../../assets/workflows/fulfilment.toml"),
    ),
];

/// Every workflow by name, cheap to clone and share between tasks.
#[derive(Clone, Debug, Default)]
pub struct Workflows {
    all: Vec<Arc<Workflow>>,
}

impl Workflows {
    /// The shipped workflows only.
    pub fn shipped() -> Result<Workflows, LoadErrors> {
        let mut workflows = Workflows::default();
        for (file, text) in SHIPPED {
            workflows.insert(load_workflow(&format!("assets/workflows/{file}"), text)?);
        }
        Ok(workflows)
    }

    /// The shipped workflows, then every `*.toml` of `folder` (sorted by file name) on top.
    pub fn shipped_and_folder(folder: Option<&Path>) -> Result<Workflows, LoadErrors> {
        let mut workflows = Workflows::shipped()?;
        let Some(folder) = folder else {
            return Ok(workflows);
        };
        let unreadable = |message: String| {
            LoadErrors(vec![LoadError {
                file: folder.display().to_string(),
                line: 1,
                column: 1,
                message,
            }])
        };
        let entries = std::fs::read_dir(folder)
            .map_err(|e| unreadable(format!("cannot read the workflow folder: {e}")))?;
        let mut paths: Vec<_> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            workflows.insert(load_file(&path)?);
        }
        Ok(workflows)
    }

    /// Adds a workflow, replacing one of the same name in its place.
    pub fn insert(&mut self, workflow: Workflow) {
        match self.all.iter_mut().find(|w| w.name == workflow.name) {
            Some(slot) => *slot = Arc::new(workflow),
            None => self.all.push(Arc::new(workflow)),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Workflow>> {
        self.all.iter().find(|w| w.name == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Workflow>> {
        self.all.iter()
    }

    pub fn names(&self) -> Vec<&str> {
        self.all.iter().map(|w| w.name.as_str()).collect()
    }

    /// The names, each a `String` of its own (for callers that keep them).
    pub fn names_owned(&self) -> Vec<String> {
        self.all.iter().map(|w| w.name.clone()).collect()
    }
}

/// Reads and validates one workflow file; errors name the path as given.
pub fn load_file(path: &Path) -> Result<Workflow, LoadErrors> {
    let file = path.display().to_string();
    let text = read_bounded(path, "file").map_err(|e| {
        LoadErrors(vec![LoadError {
            file: file.clone(),
            line: 1,
            column: 1,
            message: e.to_string(),
        }])
    })?;
    load_workflow(&file, &text)
}
