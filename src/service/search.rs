//! A board searched by text: its matches are looked up once (`Store::match_set`) and every
//! count and page the board then asks for is answered from that set, so a keystroke costs
//! one lookup of the text index (on PostgreSQL a few bounded reads,
//! `PgStore::match_set_reading_first`) instead of one per column (BENCHMARKS.md, issue 14).
//!
//! A set that left matches out (a text in more than `MATCHES_READ` orders) answers only the
//! keystroke itself: the board's counts and first pages, which say so (`matches_capped`).
//! Anything that must be whole (a list, a column's later pages, counts asked alone, bulk, an
//! export) goes to the store's statements, which read every match through the same index.
//!
//! The few newest sets are remembered, keyed by the feed's position when they were read:
//! the board, the matches in other workflows and a column's next page that follow one
//! keystroke share one lookup, and a change to an order moves the feed on, so a set is not
//! answered after an order changed under it. A change to an effect does not move the feed,
//! so a set read for the orders "needing a person" is not remembered. A set is forgotten
//! after a few seconds too, so that a position held back on PostgreSQL (by a transaction
//! still in flight) cannot keep one alive; and on PostgreSQL the key holds the server's
//! snapshot as well, so that a change committed while the position is held back is not
//! answered from before it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::{Backoffice, ServiceError};
use crate::domain::search::MatchSet;
use crate::domain::{Order, OrderId, OrderSort, SortKey, Visibility};
use crate::store::OrderQuery;

/// Sets remembered at once: a few users typing at the same time on one `serve`.
const REMEMBERED: usize = 16;

/// How long a set may be answered from memory.
const REMEMBERED_FOR: Duration = Duration::from_secs(5);

/// What a set was read for.
#[derive(Clone, Debug, PartialEq)]
struct SearchKey {
    visibility: Visibility,
    text: String,
    due_before: Option<DateTime<Utc>>,
    acted_by: Option<String>,
    needs_attention: bool,
    /// The feed's position, read before the set.
    as_of: i64,
    /// What tells that nothing committed since (`Store::commits_marker`), read before the
    /// set: on PostgreSQL the feed's position may be held back by a transaction in flight.
    commits: String,
}

#[derive(Default)]
pub(crate) struct RecentSearches {
    sets: Mutex<VecDeque<(SearchKey, Instant, Arc<MatchSet>)>>,
}

impl RecentSearches {
    fn find(&self, key: &SearchKey) -> Option<Arc<MatchSet>> {
        let sets = self
            .sets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        sets.iter()
            .find(|(k, read, _)| k == key && read.elapsed() < REMEMBERED_FOR)
            .map(|(_, _, set)| set.clone())
    }

    fn remember(&self, key: SearchKey, set: Arc<MatchSet>) {
        let mut sets = self
            .sets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        sets.retain(|(k, read, _)| k != &key && read.elapsed() < REMEMBERED_FOR);
        if sets.len() >= REMEMBERED {
            sets.pop_back();
        }
        sets.push_front((key, Instant::now(), set));
    }
}

impl Backoffice {
    /// The orders matching `text` under the query's filters (not its workflow, state or
    /// paging), as of the feed position `as_of` (read by the caller before).
    pub(super) async fn match_set(
        &self,
        visibility: &Visibility,
        text: &str,
        query: &OrderQuery,
        as_of: i64,
    ) -> Result<Arc<MatchSet>, ServiceError> {
        let key = SearchKey {
            visibility: visibility.clone(),
            text: text.to_string(),
            due_before: query.due_before,
            acted_by: query.acted_by.clone(),
            needs_attention: query.needs_attention,
            as_of,
            commits: self.store.commits_marker().await?,
        };
        if let Some(set) = self.searches.find(&key) {
            return Ok(set);
        }
        let set = Arc::new(self.store.match_set(visibility, text, query).await?);
        if !query.needs_attention {
            self.searches.remember(key, set.clone());
        }
        Ok(set)
    }

    /// `match_set` as the database stands now (the feed's position read first).
    pub(super) async fn current_match_set(
        &self,
        visibility: &Visibility,
        text: &str,
        query: &OrderQuery,
    ) -> Result<Arc<MatchSet>, ServiceError> {
        let as_of = self.store.latest_history_id().await?;
        self.match_set(visibility, text, query, as_of).await
    }

    /// Each of `states`' first page from a search's matches, the pages' orders read together
    /// (one statement per `ORDERS_PER_QUERY`; a `column_page` each would be a round trip
    /// each). A column whose first
    /// orders did not all still stand in it is paged alone, as `column_page` does.
    pub(super) async fn first_pages(
        &self,
        set: &MatchSet,
        workflow: &str,
        states: &[&str],
        sort: OrderSort,
        limit: i64,
    ) -> Result<Vec<Vec<Order>>, ServiceError> {
        let per_page = usize::try_from(limit).unwrap_or(0);
        let firsts: Vec<Vec<OrderId>> = states
            .iter()
            .map(|state| {
                let mut ids = set.column_after(workflow, state, sort, None);
                ids.truncate(per_page);
                ids
            })
            .collect();
        let mut found: HashMap<OrderId, Order> = self
            .store
            .orders_by_ids(&firsts.concat())
            .await?
            .into_iter()
            .map(|order| (order.id, order))
            .collect();
        let mut pages = Vec::with_capacity(states.len());
        for (state, ids) in states.iter().zip(firsts) {
            let page: Vec<Order> = ids
                .iter()
                .filter_map(|id| found.remove(id))
                .filter(|order| order.workflow == workflow && order.state == *state)
                .collect();
            if page.len() == ids.len() {
                pages.push(page);
            } else {
                pages.push(
                    self.column_page(set, (workflow, state), sort, None, limit)
                        .await?,
                );
            }
        }
        Ok(pages)
    }

    /// A page of a column from a search's matches: the first `limit` of the column's matches
    /// after the cursor (`MatchSet::column_after`) that still stand in the column, read a
    /// page's worth at a time. An order that left the column since the set was read is left
    /// out (its new column shows it, through the feed), and the page is filled from the ones
    /// after it, so a short page still means the column's end.
    pub(super) async fn column_page(
        &self,
        set: &MatchSet,
        (workflow, state): (&str, &str),
        sort: OrderSort,
        after: Option<(Option<SortKey>, Option<OrderId>)>,
        limit: i64,
    ) -> Result<Vec<Order>, ServiceError> {
        let ids = set.column_after(workflow, state, sort, after);
        let limit = usize::try_from(limit).unwrap_or(0);
        let mut page = Vec::new();
        for chunk in ids.chunks(limit.max(1)) {
            if page.len() >= limit {
                break;
            }
            let place: HashMap<OrderId, usize> =
                chunk.iter().enumerate().map(|(at, id)| (*id, at)).collect();
            let mut found = self.store.orders_by_ids(chunk).await?;
            found.retain(|order| order.workflow == workflow && order.state == state);
            found.sort_by_key(|order| place.get(&order.id).copied());
            page.extend(found);
        }
        page.truncate(limit);
        Ok(page)
    }
}
