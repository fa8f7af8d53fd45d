//! Reading a workflow from TOML and validating it, each problem located as `FILE:LINE:COL`.

mod board;
mod declarations;
mod raw;
mod transition;

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::io::Read;
use std::ops::Range;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use declarations::StateIndex;
use raw::RawWorkflow;
use transition::LoadContext;
pub use transition::{BadDuration, MAX_TIMER_DAYS, parse_duration};

use super::definition::Workflow;

/// `from = ["*"]` means every non-terminal state.
pub const ANY_NON_TERMINAL: &str = "*";

/// One problem in a workflow file, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Every problem found in one file, in file order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// Turns byte offsets into 1-based line and column (in characters).
struct Locator<'a> {
    file: &'a str,
    text: &'a str,
    errors: Vec<(usize, LoadError)>,
}

impl<'a> Locator<'a> {
    /// Every error is one line, whatever a library's message holds.
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let message = message.into().replace(['\n', '\r'], " ");
        // Offsets inside a guard are computed from its decoded text, so they may fall inside a
        // multi-byte character of the file: step back to where the character starts.
        let mut offset = span.start.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let (line, column) = line_column(self.text, offset);
        self.errors.push((
            offset,
            LoadError {
                file: self.file.to_string(),
                line,
                column,
                message,
            },
        ));
    }

    fn finish(mut self) -> Result<(), LoadErrors> {
        if self.errors.is_empty() {
            return Ok(());
        }
        self.errors.sort_by_key(|(offset, _)| *offset);
        Err(LoadErrors(
            self.errors.into_iter().map(|(_, e)| e).collect(),
        ))
    }
}

/// Parses and validates one workflow. `file` is only used to locate errors.
pub fn load_workflow(file: &str, text: &str) -> Result<Workflow, LoadErrors> {
    let mut at = Locator {
        file,
        text,
        errors: Vec::new(),
    };
    let raw: RawWorkflow = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(error) => {
            let message = error.message().trim().replace('\n', " ");
            at.error(error.span().unwrap_or(0..0), message);
            return Err(LoadErrors(at.errors.into_iter().map(|(_, e)| e).collect()));
        }
    };
    if too_large(&raw, &mut at) {
        return Err(LoadErrors(at.errors.into_iter().map(|(_, e)| e).collect()));
    }
    let mut workflow = build(&raw, &mut at);
    at.finish()?;
    workflow.source = text.to_string();
    Ok(workflow)
}

/// The most states and transitions a workflow may have. A workflow is a process people work
/// through on a board, far below these; the bound keeps what a file can make the loader do
/// small, since `from = ["*"]` names every state (a 1 MiB file of 9,000 states and 10,000
/// such transitions took 15 s and 5 GB to check before).
pub const MAX_STATES: usize = 200;
pub const MAX_TRANSITIONS: usize = 500;

/// Whether the file has more states or transitions than a workflow may; located at the first
/// one too many.
fn too_large(raw: &RawWorkflow, at: &mut Locator<'_>) -> bool {
    let mut over = false;
    if let Some(state) = raw.states.get(MAX_STATES) {
        at.error(
            state.span(),
            format!("too many states: a workflow may have at most {MAX_STATES}"),
        );
        over = true;
    }
    if let Some(transition) = raw.transitions.get(MAX_TRANSITIONS) {
        at.error(
            transition.span(),
            format!("too many transitions: a workflow may have at most {MAX_TRANSITIONS}"),
        );
        over = true;
    }
    over
}

fn build(raw: &RawWorkflow, at: &mut Locator<'_>) -> Workflow {
    let name = raw.name.get_ref().trim().to_string();
    if !is_identifier(&name) {
        at.error(
            raw.name.span(),
            format!("workflow name \"{name}\" must be letters, digits, '-' or '_'"),
        );
    }
    let states = StateIndex::build(&raw.states, at);
    let counters = declarations::counters(&raw.counters, at);
    let attributes = declarations::attributes(&raw.attributes, at);
    let late_states = match &raw.late_states {
        Some(list) => states.known(list, "late_states", at),
        None => states.non_terminal_ids().collect(),
    };
    let sample_facts = declarations::sample_facts(&counters, &attributes);
    let mut context = LoadContext {
        states: &states,
        counters: &counters,
        sample_facts: &sample_facts,
        at,
    };
    let transitions = raw
        .transitions
        .iter()
        .map(|transition| context.transition(transition))
        .collect();
    let board = board::board(&raw.board, &states, at);

    let (states, state_spans) = states.into_parts();
    let workflow = Workflow {
        label: raw.label.clone().unwrap_or_else(|| name.clone()),
        name,
        description: raw.description.clone(),
        states,
        counters,
        attributes,
        late_states,
        transitions,
        dispute_states: board.dispute_states,
        start_states: board.start_states,
        source: String::new(),
    };
    check_graph(&workflow, &state_spans, at);
    workflow
}

/// Unreachable states and non-terminal dead ends, located at the state's id.
fn check_graph(workflow: &Workflow, spans: &HashMap<String, Range<usize>>, at: &mut Locator<'_>) {
    let Some(initial) = workflow.states.iter().find(|s| s.initial) else {
        return;
    };
    let mut reached: HashSet<&str> = HashSet::from([initial.id.as_str()]);
    let mut queue = VecDeque::from([initial.id.as_str()]);
    while let Some(state) = queue.pop_front() {
        for transition in workflow.transitions.iter().filter(|t| t.leaves(state)) {
            if let Some(target) = transition.target()
                && reached.insert(target)
            {
                queue.push_back(target);
            }
        }
    }
    for state in &workflow.states {
        let span = spans.get(&state.id).cloned().unwrap_or(0..0);
        if !reached.contains(state.id.as_str()) {
            at.error(
                span.clone(),
                format!(
                    "state \"{}\" is unreachable from the initial state \"{}\"",
                    state.id, initial.id
                ),
            );
        }
        let has_exit = workflow
            .transitions
            .iter()
            .any(|t| t.leaves(&state.id) && t.target().is_some());
        if !state.terminal && !has_exit {
            at.error(span, format!("non-terminal state \"{}\" has no way out (add a transition or mark it terminal = true)", state.id));
        }
    }
}

/// Largest workflow or config file read: the shipped workflows are under 20 KiB, and reading
/// stops here, so `/dev/zero` or a runaway file cannot fill the memory.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Why a workflow or config file could not be read as text.
#[derive(Debug, thiserror::Error)]
pub enum ReadFileError {
    #[error("cannot read the {what}: {error}")]
    Io {
        what: &'static str,
        error: std::io::Error,
    },
    #[error("the {what} is larger than {} KiB", MAX_FILE_BYTES / 1024)]
    TooLarge { what: &'static str },
    #[error("the {what} is not UTF-8 text")]
    NotUtf8 { what: &'static str },
    #[error("the {what} is not a regular file (a pipe, a socket or a device); name a file")]
    NotAFile { what: &'static str },
}

/// Reads at most `MAX_FILE_BYTES` of `path` as UTF-8; `what` names the file in errors
/// ("file", "config file").
pub fn read_bounded(path: &Path, what: &'static str) -> Result<String, ReadFileError> {
    let io = |error| ReadFileError::Io { what, error };
    // Opening a named pipe waits for a writer, and a terminal or a socket for input: such a
    // path is refused before it is opened (the empty /dev/null is read like an empty file).
    let kind = std::fs::metadata(path).map_err(io)?.file_type();
    if !(kind.is_file() || kind.is_char_device() && path == Path::new("/dev/null")) {
        return Err(ReadFileError::NotAFile { what });
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        // One byte past the limit tells a file of exactly the limit from a larger one.
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadFileError::TooLarge { what });
    }
    String::from_utf8(bytes).map_err(|_| ReadFileError::NotUtf8 { what })
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[start..].chars().count() + 1)
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use crate::workflow::Workflows;

    /// The lists each shipped workflow had while a state id containing "disput" still made
    /// a dispute state by default; naming them in `[board]` must not change the board.
    #[test]
    fn shipped_workflows_keep_their_dispute_states() {
        let workflows = Workflows::shipped().expect("shipped workflows load");
        let disputes = |name: &str| {
            workflows
                .get(name)
                .map(|w| w.dispute_states.clone())
                .unwrap_or_default()
        };
        assert_eq!(disputes("marketplace"), ["disputing", "cancel_requested"]);
        assert_eq!(disputes("artist-shop"), Vec::<String>::new());
        assert_eq!(disputes("checkout"), ["refund_pending"]);
        assert_eq!(disputes("fulfilment"), ["payment_failed"]);
    }

    #[test]
    fn a_state_named_like_a_dispute_is_not_one_unless_listed() {
        let text = r#"
name = "plain"

[[states]]
id = "open"
initial = true

[[states]]
id = "disputed"
terminal = true

[[transitions]]
event = "dispute"
from = ["open"]
to = "disputed"
roles = ["customer"]
"#;
        let workflow = super::load_workflow("plain.toml", text).expect("valid workflow");
        assert!(workflow.dispute_states.is_empty());
    }
}
