//! The live feed from a server: `GET /events/stream` (Server-Sent Events), resumed after a
//! drop with `Last-Event-ID` set to the last event received, so nothing is missed and
//! nothing comes twice. A lost server, like a lost database, is reported as `Lost` and the
//! feed is followed again with a growing pause.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use super::RemoteDesk;
use crate::domain::Actor;
use crate::domain::text::display_safe;
use crate::http_client::describe_error;
use crate::shapes::{DATABASE_BACK_COMMENT, DATABASE_LOST_COMMENT, FeedJson};
use crate::store::live::LiveUpdate;
use crate::store::{FeedEvent, HistoryEntry};

const FIRST_PAUSE: Duration = Duration::from_millis(500);
const LONGEST_PAUSE: Duration = Duration::from_secs(5);

/// The largest event this client reads (a feed line with its note is a few KiB).
const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// Follows the feed after `after` until the sink is dropped.
/// The feed as `actor` sees it: an admin viewing the board as someone follows theirs.
pub async fn follow(
    desk: Arc<RemoteDesk>,
    actor: Actor,
    mut after: i64,
    sink: UnboundedSender<LiveUpdate>,
) {
    let view_as = actor.viewed_by.as_ref().map(|_| actor.name.as_str());
    let mut pause = FIRST_PAUSE;
    loop {
        let reason = read_stream(&desk, view_as, &mut after, &sink, &mut pause).await;
        if sink.is_closed() || sink.send(LiveUpdate::Lost(reason)).is_err() {
            return;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// Reads one connection until it ends, and says why it ended.
async fn read_stream(
    desk: &RemoteDesk,
    view_as: Option<&str>,
    after: &mut i64,
    sink: &UnboundedSender<LiveUpdate>,
    pause: &mut Duration,
) -> String {
    let session = desk.session();
    let server = session.server().to_string();
    let mut response = match session.stream_request(*after, view_as).send().await {
        Ok(response) => response,
        Err(error) => return format!("cannot reach {server}: {}", describe_error(error)),
    };
    let status = response.status();
    if !status.is_success() {
        return match status.as_u16() {
            401 => format!("{server} ended this session; quit and sign in again"),
            503 => format!("{server} has too many open feeds; trying again"),
            _ => format!("{server} answered the feed with {status}"),
        };
    }
    *pause = FIRST_PAUSE;
    if sink.send(LiveUpdate::Online).is_err() {
        return String::new();
    }
    let mut buffer: Vec<u8> = Vec::new();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return format!("{server} closed the feed"),
            Err(error) => return format!("lost {server}: {}", describe_error(error)),
        };
        buffer.extend_from_slice(&chunk);
        let mut events = Vec::new();
        while let Some(end) = block_end(&buffer) {
            let block: Vec<u8> = buffer.drain(..end).collect();
            match parse_block(&String::from_utf8_lossy(&block)) {
                Ok(Block::Event(event)) if event.entry.id > *after => {
                    *after = event.entry.id;
                    events.push(*event);
                }
                Ok(Block::Event(_) | Block::Nothing) => {}
                Ok(Block::Comment(text)) => {
                    let update = match text.as_str() {
                        DATABASE_LOST_COMMENT => {
                            LiveUpdate::Lost(format!("{server}: {DATABASE_LOST_COMMENT}"))
                        }
                        DATABASE_BACK_COMMENT => LiveUpdate::Online,
                        _ => continue,
                    };
                    if sink.send(update).is_err() {
                        return String::new();
                    }
                }
                Err(reason) => {
                    return format!(
                        "{server} sent a feed event this client cannot read ({reason})"
                    );
                }
            }
        }
        if buffer.len() > MAX_EVENT_BYTES {
            return format!("{server} sent a feed event over 1 MiB");
        }
        if !events.is_empty() && sink.send(LiveUpdate::Events(events)).is_err() {
            return String::new();
        }
    }
}

/// Where the first complete block ends (after its blank line), if one has arrived.
fn block_end(buffer: &[u8]) -> Option<usize> {
    buffer
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|at| at + 2)
}

enum Block {
    Event(Box<FeedEvent>),
    Comment(String),
    Nothing,
}

/// One SSE block: `id:`, `event:` and `data:` lines, or a comment line.
fn parse_block(block: &str) -> Result<Block, String> {
    let mut data = String::new();
    let mut comment = None;
    for line in block.lines() {
        if let Some(text) = line.strip_prefix(':') {
            comment = Some(text.trim().to_string());
        } else if let Some(text) = line.strip_prefix("data:") {
            data.push_str(text.strip_prefix(' ').unwrap_or(text));
        }
    }
    if data.is_empty() {
        return Ok(comment.map_or(Block::Nothing, Block::Comment));
    }
    let json: FeedJson = serde_json::from_str(&data).map_err(|e| {
        display_safe(&e.to_string())
            .chars()
            .take(200)
            .collect::<String>()
    })?;
    feed_event(json).map(|event| Block::Event(Box::new(event)))
}

/// A feed line as the board keeps it.
fn feed_event(json: FeedJson) -> Result<FeedEvent, String> {
    let at = DateTime::parse_from_rfc3339(&json.at)
        .map_err(|_| format!("\"at\" is not a time: {}", display_safe(&json.at)))?
        .with_timezone(&Utc);
    Ok(FeedEvent {
        created: json.kind == "created",
        workflow: json.workflow,
        title: json.title,
        entry: HistoryEntry {
            id: json.id,
            order_id: json.order_id,
            at,
            actor: json.actor,
            role: json.role,
            on_behalf_of: json.on_behalf_of,
            event: json.event,
            from: json.from,
            to: json.to,
            note: json.note,
            version: json.version,
            effects: json.effects,
        },
    })
}
