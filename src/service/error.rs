//! How the service fails, and the one classification of its failures that every face maps
//! to its own terms: exit codes for the CLI, HTTP statuses for the API.

use crate::auth::SignInError;
use crate::domain::OrderId;
use crate::store::{ApplyError, StoreError};
use crate::workflow::Refusal;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    NotPermitted(String),
    #[error("{0}")]
    BadInput(String),
    /// An order that is missing or that the actor may not see: one answer for both, so
    /// nobody learns that an order they may not see exists. Staff, who see every order,
    /// learn that it is missing.
    #[error("order {order_id} does not exist{}", if *.sees_every_order { "" } else { " or is not visible to you" })]
    Unseen {
        order_id: OrderId,
        sees_every_order: bool,
    },
    /// Something other than an order (an effect, a token) that does not exist; only staff
    /// reach such things, so saying so gives nothing away.
    #[error("{0}")]
    Missing(String),
    /// Not allowed in the thing's present state (an effect already delivered, say).
    #[error("{0}")]
    NotNow(String),
    /// No credentials, or ones that no longer work (an unknown or revoked API token, a
    /// disabled user's token).
    #[error("{0}")]
    Unauthenticated(String),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    SignIn(#[from] SignInError),
    /// Something failed that is not the caller's doing (a worker thread died, say).
    #[error("{0}")]
    Internal(String),
    /// A failure the server reported to the remote office: its classification (from the
    /// problem's status and type) and its sentence, shown as the server wrote it.
    #[error("{detail}")]
    Remote {
        kind: ErrorKind,
        detail: String,
        reasons: Vec<String>,
    },
    /// The server of the remote office did not answer (refused, timed out, cut off): like a
    /// database that went away.
    #[error("{0}")]
    Unreachable(String),
}

/// What kind of failure it is, whatever the face: the exit codes of the CLI contract and
/// the statuses of the HTTP API are both derived from this and nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Database down, a bug.
    Unexpected,
    /// Unknown event, missing required note, malformed value.
    BadInput,
    /// Wrong role, not the owner, bad credentials.
    NotPermitted,
    /// No credentials or ones that no longer work (the CLI counts it as not permitted).
    Unauthenticated,
    /// An order missing or not visible: `staff` when the actor sees every order (so it is
    /// missing, and the CLI calls that bad input).
    Unseen { staff: bool },
    /// The state has no such transition now, a guard or the ledger refuses it.
    NotAllowedNow,
    /// Someone else moved the order first.
    Conflict,
}

impl ServiceError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ServiceError::NotPermitted(_) => ErrorKind::NotPermitted,
            ServiceError::BadInput(_) => ErrorKind::BadInput,
            ServiceError::Unseen {
                sees_every_order, ..
            } => ErrorKind::Unseen {
                staff: *sees_every_order,
            },
            ServiceError::Unauthenticated(_) => ErrorKind::Unauthenticated,
            ServiceError::Missing(_) => ErrorKind::Unseen { staff: true },
            ServiceError::NotNow(_) => ErrorKind::NotAllowedNow,
            ServiceError::SignIn(SignInError::InvalidCredentials) => ErrorKind::NotPermitted,
            ServiceError::SignIn(_) | ServiceError::Store(_) | ServiceError::Internal(_) => {
                ErrorKind::Unexpected
            }
            ServiceError::Apply(apply) => apply_kind(apply),
            ServiceError::Remote { kind, .. } => *kind,
            ServiceError::Unreachable(_) => ErrorKind::Unexpected,
        }
    }

    /// Why a transition was refused now, for a face that lists reasons: empty unless the
    /// kind is `NotAllowedNow`.
    pub fn reasons(&self) -> Vec<String> {
        match self {
            ServiceError::Apply(ApplyError::Refused(Refusal::NotAllowedNow { reason, .. })) => {
                vec![reason.to_string()]
            }
            ServiceError::Apply(ApplyError::LedgerRefused { refusal, .. }) => {
                vec![refusal.to_string()]
            }
            ServiceError::Remote { reasons, .. } => reasons.clone(),
            _ => Vec::new(),
        }
    }

    /// Whether another writer held what this needed past `store::LOCK_WAIT`: nothing was
    /// written, and trying again later may work.
    pub fn is_busy(&self) -> bool {
        match self {
            ServiceError::Store(store)
            | ServiceError::Apply(ApplyError::Store(store))
            | ServiceError::SignIn(SignInError::Store(store)) => store.is_busy(),
            _ => false,
        }
    }

    /// Whether the database went away: the UI shows "reconnecting" and keeps what was typed.
    pub fn is_connection_lost(&self) -> bool {
        match self {
            ServiceError::Store(store) | ServiceError::Apply(ApplyError::Store(store)) => {
                store.is_connection_lost()
            }
            ServiceError::Unreachable(_) => true,
            _ => false,
        }
    }
}

fn apply_kind(error: &ApplyError) -> ErrorKind {
    match error {
        ApplyError::NotFound(_) => ErrorKind::BadInput,
        ApplyError::NotVisible(_) | ApplyError::ActorChanged { .. } => ErrorKind::NotPermitted,
        ApplyError::TokenRevoked => ErrorKind::Unauthenticated,
        ApplyError::Refused(refusal) => match refusal {
            Refusal::UnknownEvent { .. } | Refusal::NoteRequired { .. } => ErrorKind::BadInput,
            Refusal::NotPermitted { .. } => ErrorKind::NotPermitted,
            Refusal::NotAllowedNow { .. } => ErrorKind::NotAllowedNow,
        },
        ApplyError::Conflict { .. } => ErrorKind::Conflict,
        // The ledger's rules refuse it now: like a guard, not a failure.
        ApplyError::LedgerRefused { .. } => ErrorKind::NotAllowedNow,
        ApplyError::UnknownWorkflow { .. }
        | ApplyError::UnknownState { .. }
        | ApplyError::Store(_) => ErrorKind::Unexpected,
    }
}
