//! One delivery attempt: the signed body http.md describes, and what the sink's answer means
//! for the effect (delivered, retried later, failed, or an event to apply).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::sinks::{MAX_RETRY_DELAY, Sink};
use super::transport::{Answer, Outgoing};
use crate::domain::text::display_safe;
use crate::service::{Backoffice, DeliveryContext, ServiceError};
use crate::shapes::{OrderJson, rfc3339};
use crate::store::{AttemptReport, ClaimedEffect, EffectRecord, EffectStatus};

/// The longest error or answer text kept on an attempt.
const MAX_DETAIL_CHARS: usize = 300;
/// The longest event name or note a sink's answer may carry.
const MAX_ANSWER_EVENT: usize = 128;

/// The body of `POST url`.
pub fn delivery_body(effect: &EffectRecord, context: &DeliveryContext) -> Vec<u8> {
    let transition = context.transition.as_ref().map(|t| {
        json!({
            "id": t.id,
            "event": t.event,
            "from": t.from,
            "to": t.to,
            "actor": t.actor,
            "at": rfc3339(t.at),
        })
    });
    let body = json!({
        "effect_id": effect.id,
        "idempotency_key": effect.idempotency_key,
        "kind": effect.kind,
        "effect": effect.payload,
        "attempt": effect.attempts,
        "order": OrderJson::of_view(&context.view),
        "transition": transition,
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// Delivers one claimed effect through `sink` and says what came of it. Never fails: every
/// error is an outcome recorded on the effect.
pub async fn attempt(office: &Backoffice, sink: &Sink, claim: &ClaimedEffect) -> AttemptReport {
    let effect = &claim.effect;
    let context = match office
        .delivery_context(&sink.name, effect, Utc::now())
        .await
    {
        Ok(context) => context,
        Err(error) => {
            let detail = format!("could not read the order to deliver: {error}");
            return retry_or_fail(sink, effect, detail, None, None, None);
        }
    };
    let body = delivery_body(effect, &context);
    let outgoing = Outgoing {
        signature: sink.secret.sign(&body),
        body,
        idempotency_key: effect.idempotency_key.clone(),
        attempt: effect.attempts,
    };
    let started = Instant::now();
    // The transport's own timeout (HTTP's) should fire first; this bounds any transport.
    let answer = tokio::time::timeout(sink.timeout, sink.transport.send(&outgoing))
        .await
        .unwrap_or(Answer::TimedOut);
    let duration_ms = Some(started.elapsed().as_millis().min(i64::MAX as u128) as i64);
    match answer {
        Answer::Status { code, body, .. } if (200..300).contains(&code) => {
            match act_on_answer(office, sink, effect, &body).await {
                Ok(detail) => AttemptReport {
                    status: EffectStatus::Delivered,
                    next_attempt_at: Utc::now(),
                    sink: Some(sink.name.clone()),
                    outcome: "delivered",
                    http_status: Some(i64::from(code)),
                    detail,
                    duration_ms,
                    at: Utc::now(),
                },
                // Its answer could not be applied for now: delivered again later with the
                // same idempotency key, so that the sink's answer is not lost.
                Err(detail) => retry_or_fail(sink, effect, detail, Some(code), None, duration_ms),
            }
        }
        Answer::Status {
            code,
            retry_after,
            body,
        } => {
            let detail = format!("HTTP {code}{}", snippet(&body));
            if code == 408 || code == 429 || code >= 500 {
                retry_or_fail(sink, effect, detail, Some(code), retry_after, duration_ms)
            } else {
                failed(sink, detail, Some(code), duration_ms)
            }
        }
        Answer::TimedOut => {
            let detail = format!("no answer within {} ms", sink.timeout.as_millis());
            retry_or_fail(sink, effect, detail, None, None, duration_ms)
        }
        Answer::Failed(error) => retry_or_fail(sink, effect, error, None, None, duration_ms),
    }
}

/// The part of a sink's 2xx answer the runner acts on.
#[derive(Debug, Deserialize)]
struct SinkReply {
    event: Option<String>,
    note: Option<String>,
}

/// Applies the event a 2xx answer asks for, as the sink, through the one apply path; what
/// happened is recorded on the attempt. A refusal or a lost race is recorded, not retried;
/// an order another writer held past the lock wait, or a database that went away, is an
/// `Err`: the delivery is tried again.
async fn act_on_answer(
    office: &Backoffice,
    sink: &Sink,
    effect: &EffectRecord,
    body: &[u8],
) -> Result<Option<String>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let reply: SinkReply = match serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .map(serde_json::from_value)
    {
        Some(Ok(reply)) => reply,
        _ => {
            return Ok(Some(
                "the answer was not a JSON object with \"event\"; ignored".into(),
            ));
        }
    };
    let Some(event) = reply.event else {
        return Ok(None);
    };
    if event.is_empty() || event.len() > MAX_ANSWER_EVENT {
        return Ok(Some(format!(
            "the answer's event must be 1 to {MAX_ANSWER_EVENT} bytes; ignored"
        )));
    }
    let note = reply.note.as_deref();
    let applied = office
        .apply_for_sink(&sink.name, effect.order_id, &event, note, Utc::now())
        .await;
    match applied {
        Err(error) if error.is_busy() || error.is_connection_lost() => Err(format!(
            "answer {} not applied yet: {error}",
            display_safe(&event)
        )),
        Ok(applied) => Ok(Some(format!(
            "applied {}: {} -> {} (version {})",
            applied.event, applied.from, applied.to, applied.version
        ))),
        Err(error @ ServiceError::Apply(_)) => Ok(Some(format!(
            "answer {} refused: {error}",
            display_safe(&event)
        ))),
        Err(error) => Ok(Some(format!(
            "answer {} not applied: {error}",
            display_safe(&event)
        ))),
    }
}

/// A failure worth retrying: pending again after the backoff (or the sink's `Retry-After`,
/// whichever is later), or failed once the sink's attempts are used up.
fn retry_or_fail(
    sink: &Sink,
    effect: &EffectRecord,
    detail: String,
    code: Option<u16>,
    retry_after: Option<Duration>,
    duration_ms: Option<i64>,
) -> AttemptReport {
    let attempts = u32::try_from(effect.attempts).unwrap_or(u32::MAX);
    if attempts >= sink.max_attempts {
        let detail = format!("{detail} (gave up after {attempts} attempts)");
        return failed(sink, detail, code, duration_ms);
    }
    let wait =
        backoff(sink.first_retry, attempts, fastrand::f64()).max(retry_after.unwrap_or_default());
    let now = Utc::now();
    AttemptReport {
        status: EffectStatus::Pending,
        next_attempt_at: now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX),
        sink: Some(sink.name.clone()),
        outcome: "retry",
        http_status: code.map(i64::from),
        detail: Some(clip(detail)),
        duration_ms,
        at: now,
    }
}

fn failed(
    sink: &Sink,
    detail: String,
    code: Option<u16>,
    duration_ms: Option<i64>,
) -> AttemptReport {
    let now = Utc::now();
    AttemptReport {
        status: EffectStatus::Failed,
        next_attempt_at: now,
        sink: Some(sink.name.clone()),
        outcome: "failed",
        http_status: code.map(i64::from),
        detail: Some(clip(detail)),
        duration_ms,
        at: now,
    }
}

/// No sink takes the effect's kind: visible at once, never pending forever.
pub fn unrouted(effect: &EffectRecord, at: DateTime<Utc>) -> AttemptReport {
    AttemptReport {
        status: EffectStatus::Unrouted,
        next_attempt_at: at,
        sink: None,
        outcome: "unrouted",
        http_status: None,
        detail: Some(format!("no sink takes effects of kind \"{}\"", effect.kind)),
        duration_ms: None,
        at,
    }
}

/// The wait before retry number `attempts` + 1: `first` doubled per attempt, capped at 10
/// minutes, with "equal jitter" (half fixed, half random, `random` in 0..1) so that many
/// effects failing together do not all come back at the same instant.
pub fn backoff(first: Duration, attempts: u32, random: f64) -> Duration {
    let doublings = attempts.saturating_sub(1).min(30);
    let full = first.saturating_mul(1u32 << doublings).min(MAX_RETRY_DELAY);
    let half = full / 2;
    half + half.mul_f64(random.clamp(0.0, 1.0))
}

/// The start of a sink's error answer, printable.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        String::new()
    } else {
        format!(": {}", display_safe(text))
    }
}

fn clip(text: String) -> String {
    if text.chars().count() <= MAX_DETAIL_CHARS {
        text
    } else {
        let mut clipped: String = text.chars().take(MAX_DETAIL_CHARS).collect();
        clipped.push('…');
        clipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_ten_minutes() {
        let first = Duration::from_secs(1);
        assert_eq!(backoff(first, 1, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(first, 1, 0.0), Duration::from_millis(500));
        assert_eq!(backoff(first, 3, 1.0), Duration::from_secs(4));
        assert_eq!(backoff(first, 40, 1.0), MAX_RETRY_DELAY);
        let jittered = backoff(first, 4, 0.5);
        assert!(jittered > Duration::from_secs(4) && jittered < Duration::from_secs(8));
    }
}
