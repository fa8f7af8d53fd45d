//! The exit codes of the command-line contract (README, "The command line"), and the
//! one-sentence error every command ends with.

use std::fmt;

use crate::service::{ErrorKind, ServiceError};
use crate::store::StoreError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitKind {
    /// 1: database down, a bug.
    Unexpected = 1,
    /// 2: unknown order or event, missing required note, malformed value or file.
    BadInput = 2,
    /// 3: bad credentials, wrong role, not the owner, not visible to this user.
    NotPermitted = 3,
    /// 4: the state has no such transition, or a guard refuses it.
    NotAllowedNow = 4,
    /// 5: someone else moved the order first.
    Conflict = 5,
}

/// A command's failure: what to print on stderr and how to exit.
#[derive(Debug)]
pub struct CliError {
    pub kind: ExitKind,
    pub message: String,
}

impl CliError {
    pub fn new(kind: ExitKind, message: impl Into<String>) -> Self {
        CliError {
            kind,
            message: message.into(),
        }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        CliError::new(ExitKind::BadInput, message)
    }

    pub fn not_permitted(message: impl Into<String>) -> Self {
        CliError::new(ExitKind::NotPermitted, message)
    }

    pub fn unexpected(message: impl Into<String>) -> Self {
        CliError::new(ExitKind::Unexpected, message)
    }

    pub fn code(&self) -> i32 {
        self.kind as i32
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Every service failure as one sentence and its exit code.
impl From<ServiceError> for CliError {
    fn from(error: ServiceError) -> CliError {
        let kind = match error.kind() {
            ErrorKind::Unexpected => ExitKind::Unexpected,
            ErrorKind::BadInput | ErrorKind::Unseen { staff: true } => ExitKind::BadInput,
            ErrorKind::NotPermitted
            | ErrorKind::Unauthenticated
            | ErrorKind::Unseen { staff: false } => ExitKind::NotPermitted,
            ErrorKind::NotAllowedNow => ExitKind::NotAllowedNow,
            ErrorKind::Conflict => ExitKind::Conflict,
        };
        CliError::new(kind, error.to_string())
    }
}

impl From<StoreError> for CliError {
    fn from(error: StoreError) -> CliError {
        CliError::unexpected(error.to_string())
    }
}
