//! The TUI's calls on the service as data: one `Call` per thing the board asks, one `Reply`
//! per answer. A TUI on the database and `serve` (`POST /desk`) both run them through `dispatch`,
//! so the same request meets the same checks and answers the same way on either side.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{
    Backoffice, BoardData, BulkLine, MAX_EXPLORER_PAGE, MAX_FEED_PAGE, OrderView, ServiceError,
    TimelineEntry, UserSummary, check_text_length,
};
use crate::domain::{Actor, Order, OrderId};
use crate::store::{
    Applied, EffectRecord, ExplorerCursor, ExplorerEntry, ExplorerFilter, FeedEvent, LedgerRow,
    OrderQuery,
};

/// The largest page of orders a call reads (an export reads pages of 1,000).
pub const MAX_DESK_PAGE: i64 = 1_000;

/// The most orders one bulk call names: each is its own transaction, and a call must finish
/// well inside a request's 30 s (a client splits a longer list).
pub const MAX_BULK_PER_CALL: usize = 1_000;

/// The longest name (workflow, state, user, event) a call may carry.
const MAX_NAME_CHARS: usize = 200;

/// One request of the board to the service. The actor is not part of it: it is the one
/// signed in (on `serve`, the session's user as it stands now), or the user an admin views
/// the board as, checked again on every call.
#[derive(Clone, Debug, Serialize, Deserialize)]
// The calls without fields are `{}` structs, not unit variants: serde's
// `deny_unknown_fields` reaches only those.
#[serde(tag = "call", rename_all = "snake_case", deny_unknown_fields)]
pub enum Call {
    Board {
        workflow: Option<String>,
        query: OrderQuery,
        with_recent: bool,
    },
    List {
        query: OrderQuery,
    },
    ListWithLedger {
        query: OrderQuery,
    },
    Counts {
        workflow: String,
        query: OrderQuery,
    },
    MatchCounts {
        text: String,
    },
    Snapshot {
        order_id: OrderId,
    },
    Show {
        order_id: OrderId,
    },
    Timeline {
        order_id: OrderId,
        attempts: bool,
    },
    OlderFeed {
        before: Option<i64>,
        limit: i64,
    },
    Attention {},
    Standing {},
    ExploreHistory {
        filter: ExplorerFilter,
        after: Option<ExplorerCursor>,
        limit: i64,
    },
    Users {},
    ViewAs {
        name: String,
    },
    Advance {
        order_id: OrderId,
        event: String,
        note: Option<String>,
        version: Option<i64>,
    },
    RetryEffect {
        effect_id: i64,
        note: Option<String>,
    },
    ResolveEffect {
        effect_id: i64,
        note: String,
    },
    Bulk {
        ids: Vec<OrderId>,
        event: String,
        note: Option<String>,
        dry_run: bool,
    },
    BulkAsPreviewed {
        previewed: Vec<(OrderId, i64)>,
        event: String,
        note: Option<String>,
    },
    Workflows {},
}

/// A workflow file as the server loaded it, for a client to load the same definitions.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorkflowSource {
    pub name: String,
    pub text: String,
}

/// The answer to one `Call`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "reply", content = "value", rename_all = "snake_case")]
pub enum Reply {
    Board(BoardData),
    Orders(Vec<Order>),
    Ledgered(Vec<(Order, Vec<LedgerRow>)>),
    Counts(Vec<(String, i64)>),
    Snapshot(Option<Order>),
    View(OrderView),
    Timeline(Vec<TimelineEntry>),
    Feed(Vec<FeedEvent>),
    Count(i64),
    Standing(Option<Actor>),
    /// Explorer entries with each one's source (transition or attempt), which their JSON
    /// for people leaves out but the next page's cursor needs.
    History {
        entries: Vec<ExplorerEntry>,
        sources: Vec<i64>,
    },
    Users(Vec<UserSummary>),
    Actor(Actor),
    /// The history entry's id travels beside: the board marks its own line of the feed.
    Applied {
        applied: Applied,
        history_id: i64,
    },
    Effect(EffectRecord),
    Bulk(Vec<BulkLine>),
    Workflows(Vec<WorkflowSource>),
}

impl Call {
    /// The order a call is about, so a "not found" is worded for it.
    pub fn order(&self) -> Option<OrderId> {
        match self {
            Call::Snapshot { order_id }
            | Call::Show { order_id }
            | Call::Timeline { order_id, .. }
            | Call::Advance { order_id, .. } => Some(*order_id),
            _ => None,
        }
    }

    /// Every size a call carries is bounded before anything is read: a page, a name, a
    /// note (the service bounds searches and bulk sizes itself).
    pub fn check(&self) -> Result<(), ServiceError> {
        let page = |limit: i64, max: i64| {
            if (1..=max).contains(&limit) {
                Ok(())
            } else {
                Err(ServiceError::BadInput(format!(
                    "a page holds 1 to {max} entries, not {limit}"
                )))
            }
        };
        let names = |names: &[Option<&String>]| {
            names.iter().flatten().try_for_each(|name| check_name(name))
        };
        let query_ok = |q: &OrderQuery| -> Result<(), ServiceError> {
            page(q.limit, MAX_DESK_PAGE)?;
            names(&[q.workflow.as_ref(), q.state.as_ref(), q.acted_by.as_ref()])
        };
        match self {
            Call::Board {
                workflow, query, ..
            } => {
                names(&[workflow.as_ref()])?;
                query_ok(query)
            }
            Call::List { query } | Call::ListWithLedger { query } => query_ok(query),
            // Counts read no page: only the filters matter.
            Call::Counts { workflow, query } => names(&[
                Some(workflow),
                query.workflow.as_ref(),
                query.state.as_ref(),
                query.acted_by.as_ref(),
            ]),
            Call::OlderFeed { limit, .. } => page(*limit, MAX_FEED_PAGE),
            Call::ExploreHistory { filter, limit, .. } => {
                page(*limit, MAX_EXPLORER_PAGE)?;
                names(&[
                    filter.actor.as_ref(),
                    filter.role.as_ref(),
                    filter.event.as_ref(),
                    filter.state.as_ref(),
                    filter.workflow.as_ref(),
                ])
            }
            Call::ViewAs { name } => check_name(name),
            Call::Bulk { ids, .. } if ids.len() > MAX_BULK_PER_CALL => Err(too_many(ids.len())),
            Call::BulkAsPreviewed { previewed, .. } if previewed.len() > MAX_BULK_PER_CALL => {
                Err(too_many(previewed.len()))
            }
            Call::Advance { event, note, .. }
            | Call::Bulk { event, note, .. }
            | Call::BulkAsPreviewed { event, note, .. } => {
                super::check_event_name(event)?;
                note.as_deref().map(check_text_length).transpose().map(drop)
            }
            Call::RetryEffect { note, .. } => {
                note.as_deref().map(check_text_length).transpose().map(drop)
            }
            Call::ResolveEffect { note, .. } => check_text_length(note),
            Call::MatchCounts { .. }
            | Call::Snapshot { .. }
            | Call::Show { .. }
            | Call::Timeline { .. }
            | Call::Attention {}
            | Call::Standing {}
            | Call::Users {}
            | Call::Workflows {} => Ok(()),
        }
    }
}

fn too_many(count: usize) -> ServiceError {
    ServiceError::BadInput(format!(
        "one bulk call takes at most {MAX_BULK_PER_CALL} orders ({count} given): send the rest in further calls"
    ))
}

/// A name of at most 200 characters (a view-as user's too).
pub fn check_name(name: &str) -> Result<(), ServiceError> {
    if name.chars().count() <= MAX_NAME_CHARS {
        return Ok(());
    }
    Err(ServiceError::BadInput(format!(
        "a name of {} characters was given; names have at most {MAX_NAME_CHARS}",
        name.chars().count()
    )))
}

/// Runs one call as the actor, through the service's own checks.
pub async fn dispatch(
    backoffice: &Backoffice,
    actor: &Actor,
    call: Call,
) -> Result<Reply, ServiceError> {
    call.check()?;
    let now = Utc::now();
    Ok(match call {
        Call::Board {
            workflow,
            query,
            with_recent,
        } => Reply::Board(
            backoffice
                .board(actor, workflow, query, with_recent)
                .await?,
        ),
        Call::List { query } => Reply::Orders(backoffice.list(actor, &query).await?),
        Call::ListWithLedger { query } => {
            Reply::Ledgered(backoffice.list_with_ledger(actor, &query).await?)
        }
        Call::Counts { workflow, query } => {
            Reply::Counts(backoffice.counts(actor, &workflow, &query).await?)
        }
        Call::MatchCounts { text } => Reply::Counts(backoffice.match_counts(actor, &text).await?),
        Call::Snapshot { order_id } => {
            Reply::Snapshot(backoffice.order_snapshot(actor, order_id).await?)
        }
        Call::Show { order_id } => Reply::View(backoffice.show(actor, order_id, now).await?),
        Call::Timeline { order_id, attempts } => {
            Reply::Timeline(backoffice.timeline(actor, order_id, attempts).await?)
        }
        Call::OlderFeed { before, limit } => {
            Reply::Feed(backoffice.older_feed(actor, before, limit).await?)
        }
        Call::Attention {} => Reply::Count(backoffice.effects_needing_attention(actor).await?),
        Call::Standing {} => Reply::Standing(backoffice.standing(actor).await?),
        Call::ExploreHistory {
            filter,
            after,
            limit,
        } => {
            let entries = backoffice
                .explore_history(actor, &filter, after, limit)
                .await?;
            let sources = entries.iter().map(|entry| entry.source).collect();
            Reply::History { entries, sources }
        }
        Call::Users {} => Reply::Users(backoffice.users(actor).await?),
        Call::ViewAs { name } => Reply::Actor(backoffice.actor_to_view_as(actor, &name).await?),
        write @ (Call::Advance { .. }
        | Call::RetryEffect { .. }
        | Call::ResolveEffect { .. }
        | Call::Bulk { .. }
        | Call::BulkAsPreviewed { .. }) => dispatch_write(backoffice, actor, write).await?,
        Call::Workflows {} => Reply::Workflows(
            backoffice
                .workflows()
                .iter()
                .map(|workflow| WorkflowSource {
                    name: workflow.name.clone(),
                    text: workflow.source.clone(),
                })
                .collect(),
        ),
    })
}

/// The calls that change orders or effects, each through the service's one write path.
async fn dispatch_write(
    backoffice: &Backoffice,
    actor: &Actor,
    call: Call,
) -> Result<Reply, ServiceError> {
    let now = Utc::now();
    Ok(match call {
        Call::Advance {
            order_id,
            event,
            note,
            version,
        } => {
            let applied = backoffice
                .advance(actor, order_id, &event, note.as_deref(), version, now)
                .await?;
            let history_id = applied.history_id;
            Reply::Applied {
                applied,
                history_id,
            }
        }
        Call::RetryEffect { effect_id, note } => Reply::Effect(
            backoffice
                .retry_effect(actor, effect_id, note.as_deref(), now)
                .await?,
        ),
        Call::ResolveEffect { effect_id, note } => Reply::Effect(
            backoffice
                .resolve_effect(actor, effect_id, &note, now)
                .await?,
        ),
        Call::Bulk {
            ids,
            event,
            note,
            dry_run,
        } => Reply::Bulk(
            backoffice
                .bulk(actor, &ids, &event, note.as_deref(), dry_run, now)
                .await?,
        ),
        Call::BulkAsPreviewed {
            previewed,
            event,
            note,
        } => Reply::Bulk(
            backoffice
                .bulk_as_previewed(actor, &previewed, &event, note.as_deref(), now)
                .await?,
        ),
        _ => return Err(ServiceError::Internal("not a write call".to_string())),
    })
}
