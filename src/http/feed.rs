//! `/events`: the live feed the caller may see, as pages of JSON or as Server-Sent Events.
//! Both read by event id (the feed's commit order), so a client resuming after the last id
//! it saw gets no gap and no duplicate, whatever writers do meanwhile.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde::Deserialize;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::watch;
use utoipa::IntoParams;

use super::AppState;
use super::extract::{ApiQuery, Caller};
use super::problem::Problem;
use crate::service::{Backoffice, MAX_FEED_PAGE};
use crate::shapes::{DATABASE_BACK_COMMENT, DATABASE_LOST_COMMENT, FeedJson};
use crate::store::FeedEvent;
use crate::store::live::LiveUpdate;

/// Events a page holds unless asked.
const DEFAULT_PAGE: i64 = 100;

/// How often the stream's reader looks for new events on SQLite (PostgreSQL is woken).
const POLL: Duration = Duration::from_millis(100);

/// How often a stream checks that its token still works and its user's role is unchanged:
/// a revoked token or a disabled user stops receiving within this.
const RECHECK: Duration = Duration::from_secs(2);

/// A comment line this often keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// Events after this id (0, or left out: from the first).
    pub after: Option<i64>,
    /// 1 to 500; 100 when left out.
    pub limit: Option<i64>,
}

fn after_id(after: Option<i64>) -> Result<Option<i64>, Problem> {
    match after {
        Some(id) if id < 0 => Err(Problem::bad_request("after must be an event id or 0")),
        other => Ok(other),
    }
}

/// The feed after an event id, oldest first: creations and transitions the caller may see.
#[utoipa::path(
    get, path = "/events", tag = "events",
    params(FeedParams),
    responses(
        (status = 200, description = "Events, oldest first", body = Vec<FeedJson>),
        (status = 400, description = "A malformed parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_events(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<FeedParams>,
) -> Result<Json<Vec<FeedJson>>, Problem> {
    let limit = params.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_FEED_PAGE).contains(&limit) {
        return Err(Problem::bad_request(format!(
            "limit must be 1 to {MAX_FEED_PAGE}"
        )));
    }
    let after = after_id(params.after)?.unwrap_or(0);
    let events = state.office.feed_after(&caller.actor, after, limit).await?;
    Ok(Json(events.iter().map(FeedJson::from).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamParams {
    /// Events after this id; the `Last-Event-ID` header wins. Neither: only new events.
    pub after: Option<i64>,
    /// For an admin: the events this user may see (the board "viewed as" them).
    pub view_as: Option<String>,
}

/// The feed as Server-Sent Events: each event's `id` is its feed id and its `event` is
/// `created` or `transition`. Resume with `Last-Event-ID` (or `?after=`).
#[utoipa::path(
    get, path = "/events/stream", tag = "events",
    params(
        StreamParams,
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id"),
    ),
    responses(
        (status = 200, description = "A stream of events", body = FeedJson, content_type = "text/event-stream"),
        (status = 400, description = "A malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many open streams (in all or for this user); Retry-After says when to try again", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn stream_events(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<StreamParams>,
) -> Result<Response, Problem> {
    let last_event_id = match headers.get("last-event-id") {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .ok_or_else(|| Problem::bad_request("Last-Event-ID must be an event id"))?,
        ),
        None => None,
    };
    let after = match after_id(last_event_id.or(params.after))? {
        Some(after) => after,
        None => state.office.latest_event_id().await?,
    };
    let actor = caller
        .viewing_as(&state.office, params.view_as.as_deref())
        .await?;
    let slot = match state.streams.take(&caller.actor.name) {
        Ok(slot) => slot,
        Err(refused) => return Ok(*refused),
    };
    let (sink, updates) = tokio::sync::mpsc::unbounded_channel();
    let office = state.office.clone();
    tokio::spawn(async move { office.follow_feed(&actor, after, POLL, sink).await });
    let reader = FeedReader {
        updates,
        pending: VecDeque::new(),
        office: state.office.clone(),
        caller,
        recheck: tokio::time::interval(RECHECK),
        closing: state.closing.clone(),
        _slot: slot,
    };
    Ok(Sse::new(reader.into_stream())
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}

/// One stream's state: the follower's updates, what is left to send, and what ends it.
struct FeedReader {
    updates: UnboundedReceiver<LiveUpdate>,
    pending: VecDeque<FeedEvent>,
    office: Backoffice,
    caller: Caller,
    recheck: tokio::time::Interval,
    closing: watch::Receiver<bool>,
    /// This stream's place among the bounded open streams, freed when it ends.
    _slot: super::streams::StreamSlot,
}

impl FeedReader {
    fn into_stream(self) -> impl Stream<Item = Result<Event, Infallible>> {
        futures::stream::unfold(self, |mut reader| async move {
            let event = reader.next_event().await?;
            Some((Ok(event), reader))
        })
    }

    /// The next SSE event, or `None` to end the stream (the server closes, the token or the
    /// user's standing changed, the follower stopped).
    async fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(sse_event(&event));
            }
            let recheck = tokio::select! {
                update = self.updates.recv() => match update? {
                    LiveUpdate::Events(events) => {
                        self.pending.extend(events);
                        false
                    }
                    LiveUpdate::Lost(_) => {
                        return Some(Event::default().comment(DATABASE_LOST_COMMENT));
                    }
                    // Said, so that a client showing "reconnecting" knows it is over.
                    LiveUpdate::Online => {
                        return Some(Event::default().comment(DATABASE_BACK_COMMENT));
                    }
                },
                _ = self.recheck.tick() => true,
                _ = self.closing.wait_for(|closing| *closing) => return None,
            };
            if recheck && !self.still_valid().await {
                return None;
            }
        }
    }

    /// The token still works and its user has the role the stream was opened with (a
    /// changed role changes what they may see: the client reconnects to get the new view).
    async fn still_valid(&self) -> bool {
        match self.office.authenticate(self.caller.secret.expose()).await {
            Ok(now) => now == self.caller.actor,
            Err(error) if error.is_connection_lost() => true,
            Err(_) => false,
        }
    }
}

fn sse_event(event: &FeedEvent) -> Event {
    let json = FeedJson::from(event);
    Event::default()
        .id(json.id.to_string())
        .event(json.kind.clone())
        .data(serde_json::to_string(&json).unwrap_or_default())
}
