//! What a board shows, and the live feed that keeps it current: both filtered by what the
//! actor may see.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::{Backoffice, ServiceError};
use crate::domain::search::TextFilter;
use crate::domain::{Actor, Order, Visibility};
use crate::store::live::{self, LiveUpdate};
use crate::store::{FeedEvent, OrderQuery};

/// Feed lines a board opens with.
pub const FEED_RECENT: i64 = 30;

/// The most events one page of the feed holds.
pub const MAX_FEED_PAGE: i64 = 500;

/// One column's first page and count.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ColumnData {
    pub state: String,
    pub count: i64,
    pub cards: Vec<Order>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BoardData {
    /// Workflows that hold orders this user may see.
    pub workflows: Vec<String>,
    pub workflow: String,
    pub columns: Vec<ColumnData>,
    /// Newest first, for the feed's opening lines.
    pub recent: Vec<FeedEvent>,
    /// The feed's position when the snapshot was taken (read before it): a follower started
    /// after it misses nothing the snapshot lacks.
    pub as_of: i64,
    /// Orders in states the workflow no longer has (it changed under them): (state, count).
    pub unknown_states: Vec<(String, i64)>,
    /// The text filter this board was read with, so a screen can tell a stale answer.
    pub text: Option<String>,
    /// The text matched more orders than a search reads (`MATCHES_READ`): the counts and
    /// cards are of the newest matches.
    #[serde(default)]
    pub matches_capped: bool,
}

impl Backoffice {
    /// The start workflow (or the asked one), its per-column counts and each column's first
    /// page of `query.limit` cards.
    pub async fn board(
        &self,
        actor: &Actor,
        workflow: Option<String>,
        query: OrderQuery,
        with_recent: bool,
    ) -> Result<BoardData, ServiceError> {
        super::check_search(query.text.as_deref())?;
        let visibility = Visibility::for_actor(actor);
        let in_use = self.workflows_in_use(&visibility).await?;
        let chosen = workflow
            .filter(|w| self.workflows.get(w).is_some())
            .or_else(|| query.workflow.clone().filter(|w| in_use.contains(w)))
            .unwrap_or_else(|| in_use[0].clone());
        let definition = self.workflow(&chosen)?;
        // Read first: anything committed from here on comes through the feed afterwards. The
        // opening lines are read before the cards too, so each of them is in the snapshot.
        let as_of = self.store.latest_history_id().await?;
        let recent = if with_recent {
            self.recent_feed(actor, FEED_RECENT).await?
        } else {
            Vec::new()
        };
        let query = OrderQuery {
            workflow: Some(chosen.clone()),
            ..query
        };
        let text = query.text.clone();
        // A text search reads its matches once; counts and pages come from them.
        let matches = match TextFilter::of(text.as_deref()) {
            TextFilter::Contains(text) => {
                Some(self.match_set(&visibility, text, &query, as_of).await?)
            }
            _ => None,
        };
        let counts = match &matches {
            Some(set) => set.per_state(&chosen),
            None => {
                self.store
                    .count_by_state(&chosen, &visibility, &query)
                    .await?
            }
        };
        let count_of = |state: &str| {
            counts
                .iter()
                .find(|(s, _)| s == state)
                .map(|(_, n)| *n)
                .unwrap_or(0)
        };
        // A search's first pages come from its matches, read together.
        let mut searched: HashMap<&str, Vec<Order>> = HashMap::new();
        if let Some(set) = &matches {
            let states: Vec<&str> = definition
                .states
                .iter()
                .map(|state| state.id.as_str())
                .filter(|state| count_of(state) > 0)
                .collect();
            let pages = self
                .first_pages(set, &chosen, &states, query.sort, query.limit)
                .await?;
            searched = states.into_iter().zip(pages).collect();
        }
        let mut columns = Vec::new();
        for state in &definition.states {
            let count = count_of(&state.id);
            let cards = match &matches {
                _ if count == 0 => Vec::new(),
                Some(_) => searched.remove(state.id.as_str()).unwrap_or_default(),
                None => {
                    let page = OrderQuery {
                        state: Some(state.id.clone()),
                        after_id: None,
                        ..query.clone()
                    };
                    self.list(actor, &page).await?
                }
            };
            columns.push(ColumnData {
                state: state.id.clone(),
                count,
                cards,
            });
        }
        let unknown_states = counts
            .into_iter()
            .filter(|(state, _)| definition.state(state).is_none())
            .collect();
        Ok(BoardData {
            workflows: in_use,
            workflow: chosen,
            columns,
            recent,
            as_of,
            unknown_states,
            text,
            matches_capped: matches.is_some_and(|set| set.capped),
        })
    }

    /// How many orders match a text search in each workflow the actor may see (those with
    /// none left out), for "search covers every workflow".
    pub async fn match_counts(
        &self,
        actor: &Actor,
        text: &str,
    ) -> Result<Vec<(String, i64)>, ServiceError> {
        super::check_search(Some(text))?;
        let visibility = Visibility::for_actor(actor);
        let counts = match TextFilter::of(Some(text)) {
            TextFilter::Contains(text) => {
                let everything = OrderQuery::default();
                self.current_match_set(&visibility, text, &everything)
                    .await?
                    .per_workflow()
            }
            _ => self.store.matches_per_workflow(&visibility, text).await?,
        };
        // In the workflows' order, and only those still loaded.
        Ok(self
            .workflows
            .iter()
            .filter_map(|w| {
                let n = counts.iter().find(|(name, _)| *name == w.name)?.1;
                (n > 0).then(|| (w.name.clone(), n))
            })
            .collect())
    }

    /// Workflows holding orders this viewer may see, in definition order (all when none do).
    async fn workflows_in_use(&self, visibility: &Visibility) -> Result<Vec<String>, ServiceError> {
        let names: Vec<String> = self.workflows.names_owned();
        let in_use = self.store.workflows_with_orders(&names, visibility).await?;
        Ok(if in_use.is_empty() { names } else { in_use })
    }

    /// Per-state counts of a workflow's orders under the query's filters.
    pub async fn counts(
        &self,
        actor: &Actor,
        workflow: &str,
        query: &OrderQuery,
    ) -> Result<Vec<(String, i64)>, ServiceError> {
        super::check_search(query.text.as_deref())?;
        let visibility = Visibility::for_actor(actor);
        // A search's remembered matches answer, unless they left some out.
        if let TextFilter::Contains(text) = TextFilter::of(query.text.as_deref()) {
            let set = self.current_match_set(&visibility, text, query).await?;
            if !set.capped {
                return Ok(set.per_state(workflow));
            }
        }
        Ok(self
            .store
            .count_by_state(workflow, &visibility, query)
            .await?)
    }

    /// The newest events the actor may see, newest first.
    pub async fn recent_feed(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<FeedEvent>, ServiceError> {
        self.older_feed(actor, None, limit).await
    }

    /// Events before `before` (the oldest one shown), newest first: the feed scrolled back.
    pub async fn older_feed(
        &self,
        actor: &Actor,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<FeedEvent>, ServiceError> {
        Ok(self
            .store
            .recent_feed(&Visibility::for_actor(actor), before, limit)
            .await?)
    }

    /// Events after `after_id` that the actor may see, oldest first: the feed read page by
    /// page (`limit` kept within 1 to `MAX_FEED_PAGE`).
    pub async fn feed_after(
        &self,
        actor: &Actor,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<FeedEvent>, ServiceError> {
        Ok(self
            .store
            .feed_after(
                after_id,
                &Visibility::for_actor(actor),
                limit.clamp(1, MAX_FEED_PAGE),
            )
            .await?)
    }

    /// Where a new follower starts: the newest event id (ids are not secret; events are).
    pub async fn latest_event_id(&self) -> Result<i64, ServiceError> {
        Ok(self.store.latest_history_id().await?)
    }

    /// Follows every transition the actor may see after `after_id` until `sink` is dropped.
    pub async fn follow_feed(
        &self,
        actor: &Actor,
        after_id: i64,
        poll: Duration,
        sink: UnboundedSender<LiveUpdate>,
    ) {
        tracing::debug!(actor = %actor.name, after_id, "following the feed");
        live::follow(
            self.store.clone(),
            Visibility::for_actor(actor),
            after_id,
            poll,
            sink,
        )
        .await
    }
}
