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

/// Follows the feed after `after` until the sink is dropped: the feed as `actor` sees it: an admin viewing the board as someone follows theirs.
pub async fn follow(
    desk: Arc<RemoteDesk>,
    actor: Actor,
    mut after: i64,
    sink: UnboundedSender<LiveUpdate>,
) {
    let view_as = actor.viewed_by.as_ref().map(|_| actor.name.as_str());
    let mut pause = FIRST_PAUSE;
    loop {
        // The board gone (the sink dropped) ends the follower at once, even on a quiet
        // stream: a leftover stream would hold one of the user's few open-stream places.
        let reason = tokio::select! {
            reason = read_stream(&desk, view_as, &mut after, &sink, &mut pause) => reason,
            () = sink.closed() => return,
        };
        if sink.send(LiveUpdate::Lost(reason)).is_err() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = sink.closed() => return,
        }
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// Reads one connection until it ends, and says why it ended. Every event read is sent
/// before `after` is counted past it, so a connection that breaks mid-way loses nothing.
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
    let mut blocks = Blocks::default();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return format!("{server} closed the feed"),
            Err(error) => return format!("lost {server}: {}", describe_error(error)),
        };
        blocks.push(&chunk);
        let mut events = Vec::new();
        let mut updates = Vec::new();
        while let Some(block) = blocks.next_block() {
            match parse_block(&block) {
                Block::Event(event) if event.entry.id > *after => events.push(*event),
                Block::Comment(text) if text == DATABASE_LOST_COMMENT => updates.push(
                    LiveUpdate::Lost(format!("{server}: {DATABASE_LOST_COMMENT}")),
                ),
                Block::Comment(text) if text == DATABASE_BACK_COMMENT => {
                    updates.push(LiveUpdate::Online);
                }
                // A line this client cannot read is passed over (asking for it again after
                // a reconnect would only meet it again), and said in the log.
                Block::Unreadable(reason) => {
                    tracing::warn!(%server, reason, "a feed event this client cannot read");
                }
                Block::Event(_) | Block::Comment(_) | Block::Nothing => {}
            }
        }
        if let Some(last) = events.last() {
            let last = last.entry.id;
            if sink.send(LiveUpdate::Events(events)).is_err() {
                return String::new();
            }
            *after = last;
        }
        for update in updates {
            if sink.send(update).is_err() {
                return String::new();
            }
        }
        if blocks.pending() > MAX_EVENT_BYTES {
            return format!("{server} sent a feed event over 1 MiB");
        }
    }
}

/// The stream's bytes cut into blocks (an event or comment, ended by a blank line), with
/// `\r\n` and `\r` line ends read as `\n` as the SSE format allows.
#[derive(Default)]
struct Blocks {
    buffer: Vec<u8>,
    /// How far `buffer` is known to hold no blank line: a slow trickle is scanned once.
    scanned: usize,
    /// A `\r` ended the last chunk: a `\n` opening the next one belongs to it.
    after_cr: bool,
}

impl Blocks {
    fn push(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            match (byte, self.after_cr) {
                (b'\n', true) => {}
                (b'\r', _) => self.buffer.push(b'\n'),
                (byte, _) => self.buffer.push(byte),
            }
            self.after_cr = byte == b'\r';
        }
    }

    fn next_block(&mut self) -> Option<String> {
        let from = self.scanned.saturating_sub(1);
        match self.buffer[from..].windows(2).position(|w| w == b"\n\n") {
            Some(at) => {
                let end = from + at + 2;
                let block: Vec<u8> = self.buffer.drain(..end).collect();
                self.scanned = 0;
                Some(String::from_utf8_lossy(&block).into_owned())
            }
            None => {
                self.scanned = self.buffer.len();
                None
            }
        }
    }

    /// Bytes waiting for the end of their block.
    fn pending(&self) -> usize {
        self.buffer.len()
    }
}

enum Block {
    Event(Box<FeedEvent>),
    Comment(String),
    Unreadable(String),
    Nothing,
}

/// One SSE block: `id:`, `event:` and `data:` lines (several `data:` lines are one value,
/// joined by line ends), or a comment line.
fn parse_block(block: &str) -> Block {
    let mut data: Vec<&str> = Vec::new();
    let mut comment = None;
    for line in block.lines() {
        if let Some(text) = line.strip_prefix(':') {
            comment = Some(text.trim().to_string());
        } else if let Some(text) = line.strip_prefix("data:") {
            data.push(text.strip_prefix(' ').unwrap_or(text));
        }
    }
    if data.is_empty() {
        return comment.map_or(Block::Nothing, Block::Comment);
    }
    let read = serde_json::from_str::<FeedJson>(&data.join("\n"))
        .map_err(|e| {
            display_safe(&e.to_string())
                .chars()
                .take(200)
                .collect::<String>()
        })
        .and_then(feed_event);
    match read {
        Ok(event) => Block::Event(Box::new(event)),
        Err(reason) => Block::Unreadable(reason),
    }
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

#[cfg(test)]
mod tests {
    use super::{Block, Blocks, parse_block};

    fn blocks_of(chunks: &[&[u8]]) -> Vec<String> {
        let mut blocks = Blocks::default();
        let mut out = Vec::new();
        for chunk in chunks {
            blocks.push(chunk);
            while let Some(block) = blocks.next_block() {
                out.push(block);
            }
        }
        out
    }

    #[test]
    fn blocks_end_at_a_blank_line_whatever_the_line_ends_and_the_chunks() {
        let whole = blocks_of(&[b"id: 1\ndata: a\n\nid: 2\ndata: b\n\n"]);
        assert_eq!(whole, ["id: 1\ndata: a\n\n", "id: 2\ndata: b\n\n"]);
        let crlf = blocks_of(&[b"id: 1\r\ndata: a\r\n\r\n"]);
        assert_eq!(crlf, ["id: 1\ndata: a\n\n"]);
        let cr = blocks_of(&[b"id: 1\rdata: a\r\r"]);
        assert_eq!(cr, ["id: 1\ndata: a\n\n"]);
        // A byte at a time, a CR LF split across chunks included.
        let text = b"id: 1\r\ndata: a\r\n\r\n: keep-alive\n\n";
        let trickle: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(
            blocks_of(&trickle),
            ["id: 1\ndata: a\n\n", ": keep-alive\n\n"]
        );
        // Half a block waits for the rest.
        let mut blocks = Blocks::default();
        blocks.push(b"id: 3\ndata: {");
        assert!(blocks.next_block().is_none());
        assert_eq!(blocks.pending(), "id: 3\ndata: {".len());
    }

    #[test]
    fn data_lines_join_and_unreadable_events_are_told_apart() {
        let event = "id: 7\nevent: created\ndata: {\"id\": 7, \"kind\": \"created\",\ndata: \"order_id\": 3, \"workflow\": \"marketplace\", \"title\": \"Logo\", \"at\": \"2026-12-07T05:00:00Z\", \"actor\": \"ada\", \"role\": \"admin\", \"event\": \"order.created\", \"from\": \"\", \"to\": \"paid\", \"version\": 1, \"note\": null, \"effects\": []}\n\n";
        match parse_block(event) {
            Block::Event(event) => {
                assert_eq!((event.entry.id, event.entry.order_id), (7, 3));
                assert!(event.created);
            }
            _ => panic!("the event was not read"),
        }
        assert!(matches!(
            parse_block("data: {nope\n\n"),
            Block::Unreadable(_)
        ));
        assert!(matches!(parse_block(": online\n\n"), Block::Comment(text) if text == "online"));
        assert!(matches!(parse_block("\n\n"), Block::Nothing));
    }
}
