//! The runner of `orderboard serve` (http.md, "The runner"): fires due timers and delivers
//! the effects outbox to the sinks, sharing the work with other runners through leases.
//!
//! It calls `Backoffice` only, so a sink's answer goes through the one apply path.

pub mod delivery;
pub mod sinks;
pub mod transport;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use sinks::{Sink, SinkConfigError, SinkSecret, Sinks};
pub use transport::{Answer, Outgoing, Transport};

use crate::domain::OrderId;
use crate::service::{Backoffice, ServiceError, TIMERS_TOGETHER, TimerFiring};
use crate::store::{AttemptReport, ClaimedEffect, DueTimer, EffectStatus};

/// How the runner paces itself.
#[derive(Clone, Debug)]
pub struct RunnerOptions {
    /// How often it looks for due timers and effects when idle: well under the one second
    /// within which a timer must fire.
    pub poll: Duration,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// On shutdown, how long in-flight deliveries may take to finish before they are released
    /// for another runner (with the same idempotency key).
    pub grace: Duration,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        RunnerOptions {
            poll: Duration::from_millis(200),
            concurrency: 32,
            grace: Duration::from_secs(10),
        }
    }
}

/// A lease outlasts the longest delivery (bounded by its sink's timeout) by this much, so a
/// slow but live runner can still write its report. A report written after the lease ran out
/// is dropped (the next claim delivers again), so the margin guards speed, not correctness.
const LEASE_MARGIN: Duration = Duration::from_secs(2);
/// Due timers read per round.
const TIMER_ROUND: i64 = 500;
/// Transactions of due timers (`TIMERS_TOGETHER` each) a round has in flight at once on
/// PostgreSQL: enough to overlap round trips, few enough to leave the pool (10 connections)
/// to the deliveries and the API. SQLite writes one transaction at a time, so there they
/// go one after another.
const TRANSACTIONS_AT_ONCE: usize = 3;
/// Refused timers remembered (per order version) so they are not re-tried every round.
const MAX_REMEMBERED_REFUSALS: usize = 100_000;
/// Pages of due timers a round reads on past remembered refusals: one more than the memory
/// can fill, so a round always reaches a timer it has not tried (or, failing that, clears
/// the memory).
const MAX_PAGES_PER_ROUND: usize = MAX_REMEMBERED_REFUSALS / TIMER_ROUND as usize + 1;

pub struct Runner {
    office: Backoffice,
    sinks: Sinks,
    options: RunnerOptions,
    /// Names this process in leases: its pid and a random tag.
    id: String,
}

impl Runner {
    pub fn new(office: Backoffice, sinks: Sinks, options: RunnerOptions) -> Runner {
        let id = format!("runner-{}-{:08x}", std::process::id(), fastrand::u32(..));
        Runner {
            office,
            sinks,
            options,
            id,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Runs until `shutdown` turns true, then finishes or releases what is in flight.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        tracing::info!(runner = %self.id, sinks = ?self.sinks.iter().map(|s| &s.name).collect::<Vec<_>>(), "runner started");
        let timers = fire_timers(self.office.clone(), self.options.poll, shutdown.clone());
        let outbox = self.deliver_effects(shutdown);
        tokio::join!(timers, outbox);
        tracing::info!(runner = %self.id, "runner stopped");
    }

    async fn deliver_effects(&self, mut shutdown: watch::Receiver<bool>) {
        let lease = self.sinks.longest_timeout() * 2 + LEASE_MARGIN;
        let mut in_flight: JoinSet<Finished> = JoinSet::new();
        let mut claims: HashMap<tokio::task::Id, ClaimedEffect> = HashMap::new();
        let mut reports: Vec<Finished> = Vec::new();
        let mut outage = Outage::default();
        while !*shutdown.borrow() {
            while let Some(done) = in_flight.try_join_next_with_id() {
                collect(done, &mut claims, &mut reports);
            }
            let mut wait = self.options.poll;
            // While reports cannot be written (the database is away), claim nothing more.
            let had_reports = !reports.is_empty();
            let reported = match self.write_reports(&mut reports).await {
                Ok(()) => {
                    if had_reports {
                        outage.recovered("delivering effects");
                    }
                    true
                }
                Err(error) => {
                    wait = outage.failed("reporting deliveries", &error, self.options.poll);
                    false
                }
            };
            let free = self.options.concurrency.saturating_sub(in_flight.len());
            let mut busy = false;
            if free > 0 && reported {
                let now = Utc::now();
                let lease_until = now + chrono::Duration::from_std(lease).unwrap_or_default();
                match self
                    .office
                    .claim_effects(&self.id, now, lease_until, free as i64)
                    .await
                {
                    Ok(claimed) => {
                        outage.recovered("delivering effects");
                        busy = claimed.len() == free;
                        for claim in claimed {
                            let Some(sink) = self.sinks.for_kind(&claim.effect.kind) else {
                                let report = delivery::unrouted(&claim.effect, Utc::now());
                                reports.push((claim, report));
                                continue;
                            };
                            let task =
                                deliver_one(self.office.clone(), sink.clone(), claim.clone());
                            let handle = in_flight.spawn(task);
                            claims.insert(handle.id(), claim);
                        }
                    }
                    Err(error) => {
                        wait = outage.failed("claiming effects", &error, self.options.poll);
                    }
                }
            }
            if busy {
                // A full batch: more may be due. Claim again as soon as there are reports to
                // write or a slot frees.
                if reports.is_empty()
                    && let Some(done) = in_flight.join_next_with_id().await
                {
                    collect(done, &mut claims, &mut reports);
                }
                continue;
            }
            tokio::select! {
                Some(done) = in_flight.join_next_with_id(), if !in_flight.is_empty() => {
                    collect(done, &mut claims, &mut reports);
                }
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => {}
            }
        }
        self.drain(in_flight, claims, reports).await;
    }

    /// Writes the finished attempts' reports in one transaction; the error when the
    /// database is away. Those are kept to try again while their lease holds the effect
    /// ours; once it ran out, another runner delivers again, with the same key.
    async fn write_reports(&self, reports: &mut Vec<Finished>) -> Result<(), ServiceError> {
        if reports.is_empty() {
            return Ok(());
        }
        let batch: Vec<(&ClaimedEffect, &AttemptReport)> = reports
            .iter()
            .map(|(claim, report)| (claim, report))
            .collect();
        match self.office.finish_effects(&batch).await {
            Ok(written) => {
                for ((claim, report), written) in reports.iter().zip(written) {
                    log_report(claim, report, written);
                }
                reports.clear();
                Ok(())
            }
            Err(error) if !error.is_connection_lost() => {
                // The database refused something in the batch: one by one, so that one bad
                // report does not hold back the others.
                tracing::error!(%error, "writing a batch of delivery reports failed; writing them one at a time");
                for (claim, report) in reports.drain(..) {
                    match self.office.finish_effects(&[(&claim, &report)]).await {
                        Ok(written) => log_report(&claim, &report, written.first() == Some(&true)),
                        Err(error) => {
                            tracing::error!(effect = claim.effect.id, %error, "could not write a delivery report; the effect is delivered again when its lease runs out")
                        }
                    }
                }
                Ok(())
            }
            Err(error) => {
                let now = Utc::now();
                reports.retain(|(claim, _)| {
                    let held = now < claim.lease_until;
                    if !held {
                        tracing::warn!(effect = claim.effect.id, %error, "gave up reporting; the lease ran out");
                    }
                    held
                });
                Err(error)
            }
        }
    }

    /// Lets in-flight deliveries finish within the grace period and writes their reports;
    /// what is still running then is stopped and put back to pending, due now, for any runner
    /// to deliver again.
    async fn drain(
        &self,
        mut in_flight: JoinSet<Finished>,
        mut claims: HashMap<tokio::task::Id, ClaimedEffect>,
        mut reports: Vec<Finished>,
    ) {
        let deadline = tokio::time::Instant::now() + self.options.grace;
        while let Ok(Some(done)) =
            tokio::time::timeout_at(deadline, in_flight.join_next_with_id()).await
        {
            collect(done, &mut claims, &mut reports);
        }
        in_flight.abort_all();
        while let Some(done) = in_flight.join_next_with_id().await {
            collect(done, &mut claims, &mut reports);
        }
        let released = claims.len();
        let now = Utc::now();
        reports.extend(claims.into_values().map(|claim| {
            let report = AttemptReport {
                status: EffectStatus::Pending,
                next_attempt_at: now,
                sink: None,
                outcome: "abandoned",
                http_status: None,
                detail: Some("released at shutdown before the sink answered".into()),
                duration_ms: None,
                at: now,
            };
            (claim, report)
        }));
        if let Err(error) = self.write_reports(&mut reports).await {
            tracing::warn!(
                %error,
                left = reports.len(),
                "could not write the last reports at shutdown; their leases will run out"
            );
        }
        if released > 0 {
            tracing::info!(released, "released in-flight deliveries at shutdown");
        }
    }
}

/// A delivery attempt and its report, not yet written.
type Finished = (ClaimedEffect, AttemptReport);

/// A delivery task's end: its report joins those to write. A task stopped at shutdown keeps
/// its claim listed, to be released. One that panicked is forgotten: its lease runs out and
/// the effect is claimed again then, not at once (a delivery that always panics must not spin).
fn collect(
    done: Result<(tokio::task::Id, Finished), tokio::task::JoinError>,
    claims: &mut HashMap<tokio::task::Id, ClaimedEffect>,
    reports: &mut Vec<Finished>,
) {
    match done {
        Ok((id, finished)) => {
            claims.remove(&id);
            reports.push(finished);
        }
        Err(error) if error.is_panic() => {
            if let Some(claim) = claims.remove(&error.id()) {
                tracing::error!(
                    effect = claim.effect.id,
                    "a delivery failed unexpectedly; it is tried again when its lease runs out"
                );
            }
        }
        Err(_) => {}
    }
}

/// One delivery to the sink that takes the effect's kind; the main loop writes its report.
async fn deliver_one(office: Backoffice, sink: Sink, claim: ClaimedEffect) -> Finished {
    let report = delivery::attempt(&office, &sink, &claim).await;
    (claim, report)
}

fn log_report(claim: &ClaimedEffect, report: &AttemptReport, written: bool) {
    if written {
        tracing::info!(
            effect = claim.effect.id,
            order = claim.effect.order_id,
            kind = %claim.effect.kind,
            attempt = claim.effect.attempts,
            outcome = report.outcome,
            status = report.status.as_str(),
            "delivery attempt"
        );
    } else {
        tracing::warn!(
            effect = claim.effect.id,
            "lease lost before the report; another runner delivers it again"
        );
    }
}

/// Fires due timers as `system` within one poll of their time. Several runners may do so at
/// once: the apply path's version check lets exactly one fire each timer.
async fn fire_timers(office: Backoffice, poll: Duration, mut shutdown: watch::Receiver<bool>) {
    let mut refused: HashSet<(OrderId, i64)> = HashSet::new();
    let mut outage = Outage::default();
    while !*shutdown.borrow() {
        let wait = match fire_round(&office, &mut refused).await {
            Ok(more) => {
                outage.recovered("firing timers");
                if more {
                    continue;
                }
                poll
            }
            Err(error) => outage.failed("firing timers", &error, poll),
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// One round over the due timers; `true` when it fired some and its last page of due timers
/// was full (more may be due: the next round starts at once).
///
/// The round goes in slices, each fired in one transaction (`Backoffice::fire_timers`); on
/// PostgreSQL several at once, so a round waits on the database's round trips in parallel.
/// The round's order is shuffled: runners reading the same due timers mostly take different
/// ones first, a slice skips the orders another runner's slice holds, and when two take the
/// same one the version check lets exactly one fire it.
async fn fire_round(
    office: &Backoffice,
    refused: &mut HashSet<(OrderId, i64)>,
) -> Result<bool, ServiceError> {
    use futures::StreamExt;
    let now = Utc::now();
    let (mut due, full) = due_to_try(office, now, refused).await?;
    fastrand::shuffle(&mut due);
    let at_once = if office.backend_name() == "sqlite" {
        1
    } else {
        TRANSACTIONS_AT_ONCE
    };
    let slices: Vec<Vec<DueTimer>> = due.chunks(TIMERS_TOGETHER).map(<[_]>::to_vec).collect();
    let outcomes = futures::stream::iter(slices)
        .map(|slice| {
            let office = office.clone();
            async move {
                let firings = office.fire_timers(&slice, now).await;
                futures::stream::iter(slice.into_iter().zip(firings))
            }
        })
        .buffer_unordered(at_once)
        .flatten();
    let mut outcomes = std::pin::pin!(outcomes);
    let mut fired = 0usize;
    let mut failure = None;
    while let Some((timer, firing)) = outcomes.next().await {
        match firing {
            Ok(TimerFiring::Fired(applied)) => {
                fired += 1;
                tracing::info!(order = timer.order_id, event = %applied.event, to = %applied.to, "timer fired");
            }
            // A held timer is the holder's; if it gives up, the next round fires it.
            Ok(TimerFiring::Taken | TimerFiring::Held) => {}
            Ok(TimerFiring::Refused(refusal)) => {
                tracing::info!(order = timer.order_id, event = %timer.event, %refusal, "timer refused");
                if refused.len() >= MAX_REMEMBERED_REFUSALS {
                    refused.clear();
                }
                refused.insert((timer.order_id, timer.version));
            }
            // The rest of the round still finishes: each slice is its own transaction. Only
            // a lost database makes the loop wait longer; a timer that fails by itself (its
            // workflow gone, say) is logged and tried again next round, holding no other back.
            Err(error) if error.is_connection_lost() => failure = Some(error),
            Err(error) => {
                tracing::error!(order = timer.order_id, event = %timer.event, %error, "timer could not fire");
            }
        }
    }
    match failure {
        Some(error) => Err(error),
        None => Ok(fired > 0 && full),
    }
}

/// The due timers a round tries, and whether the last page read was full (more may be due).
/// Refused timers stay due, so pages of them may head the list: this reads on past the ones
/// remembered until it holds a round's worth or the due timers end, so they never hold back
/// later timers.
async fn due_to_try(
    office: &Backoffice,
    now: chrono::DateTime<Utc>,
    refused: &mut HashSet<(OrderId, i64)>,
) -> Result<(Vec<DueTimer>, bool), ServiceError> {
    let (mut due, mut after, mut full) = (Vec::new(), None, false);
    for _ in 0..MAX_PAGES_PER_ROUND {
        let page = office.due_timers(now, after, TIMER_ROUND).await?;
        full = page.len() as i64 == TIMER_ROUND;
        after = page.last().map(DueTimer::position);
        due.extend(
            page.into_iter()
                .filter(|timer| !refused.contains(&(timer.order_id, timer.version))),
        );
        if due.len() >= TIMER_ROUND as usize || !full {
            break;
        }
    }
    if due.is_empty() && full {
        // Every page read was remembered refusals and more are due: forget them, so that
        // the next rounds try them again (and reach what is behind them) rather than stall.
        refused.clear();
    }
    Ok((due, full))
}

/// The longest wait between two tries while the database keeps failing.
const MAX_OUTAGE_WAIT: Duration = Duration::from_secs(5);
/// While the database keeps failing, the same failure is logged again at most this often.
const OUTAGE_LOG_EVERY: Duration = Duration::from_secs(30);

/// A loop's run of failures: the database went away or keeps refusing (a corrupted file, say).
/// Each try after a failure waits twice as long as the one before, up to `MAX_OUTAGE_WAIT`,
/// and the failure is logged once, then at most every `OUTAGE_LOG_EVERY`, not every poll.
#[derive(Default)]
struct Outage {
    failures: u32,
    last_logged: Option<std::time::Instant>,
}

impl Outage {
    /// Notes a failure (logged if it is time to) and says how long to wait before the next try.
    fn failed(&mut self, what: &str, error: &ServiceError, poll: Duration) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let now = std::time::Instant::now();
        if self
            .last_logged
            .is_none_or(|logged| now.duration_since(logged) >= OUTAGE_LOG_EVERY)
        {
            self.last_logged = Some(now);
            let failures = self.failures;
            if error.is_connection_lost() {
                tracing::warn!(%error, failures, "{what}: database unreachable, reconnecting");
            } else {
                tracing::error!(%error, failures, "{what} failed");
            }
        }
        self.wait(poll)
    }

    fn wait(&self, poll: Duration) -> Duration {
        let doublings = self.failures.saturating_sub(1).min(16);
        poll.saturating_mul(1 << doublings)
            .min(MAX_OUTAGE_WAIT.max(poll))
    }

    /// The loop got through: back to polling as usual.
    fn recovered(&mut self, what: &str) {
        if self.failures > 0 {
            tracing::info!(failures = self.failures, "{what}: working again");
        }
        *self = Outage::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_waits_longer_after_each_failure_up_to_a_limit_and_logs_rarely() {
        let poll = Duration::from_millis(200);
        let error = ServiceError::Unreachable("gone".into());
        let mut outage = Outage::default();
        let waits: Vec<Duration> = (0..8)
            .map(|_| outage.failed("testing", &error, poll))
            .collect();
        let millis: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(millis, [200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
        let first_logged = outage.last_logged;
        assert!(first_logged.is_some());
        outage.failed("testing", &error, poll);
        assert_eq!(outage.last_logged, first_logged, "logged once per 30 s");
        outage.recovered("testing");
        assert_eq!(outage.failed("testing", &error, poll), poll);
        // A poll longer than the limit is never shortened.
        assert_eq!(
            Outage::default().failed("testing", &error, Duration::from_secs(9)),
            Duration::from_secs(9)
        );
    }
}
