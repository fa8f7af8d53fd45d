//! Reading and moving orders: every read filtered by visibility, every change through the
//! one apply path.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Backoffice, ServiceError};
use crate::domain::access::Permission;
use crate::domain::ledger::MAX_AMOUNT_CENTS;
use crate::domain::note::is_blank;
use crate::domain::search::TextFilter;
use crate::domain::{Actor, Order, OrderId, Role, Visibility};
use crate::store::{
    Applied, ApplyError, ApplyRequest, DueTimer, EffectRecord, LedgerRow, NewOrder, OrderQuery,
    StoreError, TimerPosition, Together,
};
use crate::workflow::TransitionMenu;

/// How many due timers one tick round reads at a time.
const TIMER_BATCH: i64 = 500;

/// Due timers fired in one transaction: enough that the transaction's own cost (its begin,
/// its commit, and the read of the orders) is shared, few enough that the feed, which on
/// PostgreSQL reads only below the oldest transaction in flight, is held back no longer than
/// one such transaction takes (tens of milliseconds).
pub const TIMERS_TOGETHER: usize = 25;

/// What became of one due timer.
#[derive(Debug)]
pub enum TimerFiring {
    Fired(Applied),
    /// Another runner or tick fired it first.
    Taken,
    /// Another writer holds its order right now: it moves the order, or gives up and the
    /// timer stays due (the runner tries it again next round; `tick` fires it alone at once,
    /// waiting for the holder).
    Held,
    /// Its guard refused at its time, and no other timed transition out of its state may
    /// fire (the refusal is recorded with the order's attempts).
    Refused(crate::workflow::Refusal),
}

/// An order with everything a detail view shows.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct OrderView {
    pub order: Order,
    pub late: bool,
    pub menu: TransitionMenu,
    pub ledger: Vec<LedgerRow>,
    /// Each effect with its delivery; for those who cannot manage deliveries, without the
    /// sink and its errors (the other systems are no business of a customer or seller).
    pub effects: Vec<EffectRecord>,
    /// The actor may retry or resolve an effect that needs a person.
    pub settles_effects: bool,
}

/// An order as a list shows it: its lateness, ledger and the acting user's menu.
#[derive(Clone, Debug)]
pub struct ListedOrder {
    pub order: Order,
    pub late: bool,
    pub ledger: Vec<LedgerRow>,
    pub menu: TransitionMenu,
}

/// One keyset page of a list.
#[derive(Clone, Debug, Default)]
pub struct OrderPage {
    pub orders: Vec<ListedOrder>,
    /// Where the next page starts (`OrderQuery::after_id`), or `None` after the last page.
    /// With `late_only` a page may hold fewer orders than asked and still have a next one.
    pub next_after: Option<OrderId>,
}

/// Fields of a new order, as the CLI or a seeder gives them.
#[derive(Clone, Debug)]
pub struct OrderDraft {
    pub workflow: String,
    pub customer: String,
    pub seller: String,
    pub title: String,
    pub amount_cents: i64,
    pub currency: String,
    pub placed_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub attrs: BTreeMap<String, serde_json::Value>,
}

/// What one `tick` did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TickReport {
    pub fired: Vec<Applied>,
    /// Timers another tick fired first (a clean conflict, not an error).
    pub already_fired: usize,
    pub refused: Vec<String>,
    /// Timers whose order another writer held past `store::LOCK_WAIT`, left for the next
    /// tick or the runner: a sentence each.
    pub held: Vec<String>,
}

impl Backoffice {
    pub async fn list(
        &self,
        actor: &Actor,
        query: &OrderQuery,
    ) -> Result<Vec<Order>, ServiceError> {
        super::check_search(query.text.as_deref())?;
        let visibility = Visibility::for_actor(actor);
        // A board column searched by text pages through the search's matches, as its count
        // and first page did, unless they left some out (service::search).
        let text = TextFilter::of(query.text.as_deref());
        if let (TextFilter::Contains(text), Some(workflow), Some(state)) =
            (text, &query.workflow, &query.state)
        {
            let set = self.current_match_set(&visibility, text, query).await?;
            if !set.capped {
                let after = Some((query.after_key, query.after_id));
                let column = (workflow.as_str(), state.as_str());
                return self
                    .column_page(&set, column, query.sort, after, query.limit)
                    .await;
            }
        }
        Ok(self.store.list_orders(&visibility, query).await?)
    }

    /// A page of orders with their ledger rows, read for exactly the page's orders (a
    /// sorted column's page is not a range of ids, and a range could span the whole table).
    pub async fn list_with_ledger(
        &self,
        actor: &Actor,
        query: &OrderQuery,
    ) -> Result<Vec<(Order, Vec<LedgerRow>)>, ServiceError> {
        let page = self.list(actor, query).await?;
        if page.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<OrderId> = page.iter().map(|order| order.id).collect();
        let mut ledger: BTreeMap<OrderId, Vec<LedgerRow>> = BTreeMap::new();
        for (id, row) in self.store.ledger_of(&ids).await? {
            ledger.entry(id).or_default().push(row);
        }
        Ok(page
            .into_iter()
            .map(|order| {
                let rows = ledger.remove(&order.id).unwrap_or_default();
                (order, rows)
            })
            .collect())
    }

    /// One keyset page of orders the actor may see, with what a list shows of each.
    /// `late_only` keeps the late ones (the query should set `due_before` to `now`). An
    /// unknown workflow or state is a typo, refused, not an empty page.
    pub async fn order_page(
        &self,
        actor: &Actor,
        query: &OrderQuery,
        late_only: bool,
        now: DateTime<Utc>,
    ) -> Result<OrderPage, ServiceError> {
        if let Some(workflow) = &query.workflow {
            self.workflow(workflow)?;
        }
        if let Some(state) = &query.state {
            self.check_state(query.workflow.as_deref(), state)?;
        }
        let page = self.list_with_ledger(actor, query).await?;
        let full = i64::try_from(page.len()).is_ok_and(|n| n >= query.limit);
        let next_after = page.last().map(|(order, _)| order.id).filter(|_| full);
        let orders = page
            .into_iter()
            .filter_map(|(order, ledger)| {
                let workflow = self.workflows.get(&order.workflow);
                let late = workflow.is_some_and(|w| w.is_late(&order, now));
                let menu = workflow
                    .filter(|w| w.state(&order.state).is_some())
                    .map(|w| w.available_transitions(&order, actor, now))
                    .unwrap_or_default();
                (late || !late_only).then_some(ListedOrder {
                    order,
                    late,
                    ledger,
                    menu,
                })
            })
            .collect();
        Ok(OrderPage { orders, next_after })
    }

    /// The order if it exists and the actor may see it. An order the actor may not see is
    /// answered exactly like a missing one (`unseen`), so nobody learns that it exists.
    pub async fn visible_order(&self, actor: &Actor, id: OrderId) -> Result<Order, ServiceError> {
        self.store
            .order(id)
            .await?
            .filter(|order| order.is_visible_to(actor))
            .ok_or_else(|| unseen(actor, id))
    }

    /// The current snapshot of an order for a live view: `None` when it is gone or the actor
    /// may not see it (the same answer for both, so a view learns nothing it may not).
    pub async fn order_snapshot(
        &self,
        actor: &Actor,
        id: OrderId,
    ) -> Result<Option<Order>, ServiceError> {
        Ok(self
            .store
            .order(id)
            .await?
            .filter(|order| order.is_visible_to(actor)))
    }

    pub async fn show(
        &self,
        actor: &Actor,
        id: OrderId,
        now: DateTime<Utc>,
    ) -> Result<OrderView, ServiceError> {
        let order = self.visible_order(actor, id).await?;
        let workflow = self.workflows.get(&order.workflow).ok_or_else(|| {
            ServiceError::Apply(ApplyError::UnknownWorkflow {
                order_id: id,
                workflow: order.workflow.clone(),
            })
        })?;
        let menu = if workflow.state(&order.state).is_some() {
            workflow.available_transitions(&order, actor, now)
        } else {
            TransitionMenu::default()
        };
        let staff = Permission::ManageEffects.allows(actor.role);
        let mut effects = self.store.effects(id).await?;
        if !staff {
            for effect in &mut effects {
                effect.sink = None;
                effect.last_error = None;
            }
        }
        Ok(OrderView {
            late: workflow.is_late(&order, now),
            menu,
            ledger: self.store.ledger(id).await?,
            effects,
            settles_effects: staff && actor.viewed_by.is_none(),
            order,
        })
    }

    pub async fn advance(
        &self,
        actor: &Actor,
        id: OrderId,
        event: &str,
        note: Option<&str>,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Applied, ServiceError> {
        let request = apply_request(actor, id, event, note, expected_version, now)?;
        self.apply(&request).await
    }

    /// `advance` for an API request, as the user its bearer secret names. For an API token
    /// the request costs no statement of its own: the token's user is remembered for a
    /// minute (a token never changes user), and the token is checked inside the apply
    /// path's transaction with the user's standing, so a token revoked or a user disabled
    /// a moment ago is refused at the moment of acting. A remembered role that changed
    /// meanwhile is read again, once. A session's secret is checked before the transaction,
    /// as on every other route (a session is live or not; its user's standing is still
    /// read inside the transaction).
    pub async fn advance_by_secret(
        &self,
        secret: &str,
        id: OrderId,
        event: &str,
        note: Option<&str>,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Applied, ServiceError> {
        if secret.starts_with(super::SESSION_PREFIX) {
            let actor = self.authenticate(secret).await?;
            return self
                .advance(&actor, id, event, note, expected_version, now)
                .await;
        }
        let (actor, hash, remembered) = self.token_actor(secret).await?;
        let mut request = apply_request(&actor, id, event, note, expected_version, now)?;
        request.token_hash = Some(hash.clone());
        match self.apply(&request).await {
            Err(ServiceError::Apply(ApplyError::ActorChanged { role: Some(_), .. }))
                if remembered =>
            {
                request.actor = self.read_token_actor(&hash).await?;
                let retried = self.apply(&request).await;
                retried.map_err(|error| self.token_refusal(&hash, error))
            }
            other => other.map_err(|error| self.token_refusal(&hash, error)),
        }
    }

    /// The one apply path, its refusals told apart for the faces and logged.
    async fn apply(&self, request: &ApplyRequest) -> Result<Applied, ServiceError> {
        let (actor, id, event) = (&request.actor, request.order_id, &request.event);
        let applied = match self.store.apply(&self.workflows, request).await {
            Err(ApplyError::NotFound(_) | ApplyError::NotVisible(_)) => {
                return Err(unseen(actor, id));
            }
            other => other,
        };
        match &applied {
            Ok(applied) => log_applied(actor, applied),
            Err(error) => tracing::info!(order = id, actor = %actor.name, event, %error, "refused"),
        }
        Ok(applied?)
    }

    pub async fn create_order(
        &self,
        actor: &Actor,
        draft: OrderDraft,
        now: DateTime<Utc>,
    ) -> Result<OrderId, ServiceError> {
        Self::require(actor, Permission::CreateOrders)?;
        let workflow = self.workflow(&draft.workflow)?;
        self.check_party(&draft.customer, Role::Customer).await?;
        self.check_party(&draft.seller, Role::Seller).await?;
        if is_blank(&draft.title) {
            return Err(ServiceError::BadInput("the order needs a title".into()));
        }
        super::check_draft_size(&draft)?;
        if !(0..=MAX_AMOUNT_CENTS).contains(&draft.amount_cents) {
            return Err(ServiceError::BadInput(format!(
                "an amount of {} cents is outside 0 to {MAX_AMOUNT_CENTS} cents",
                draft.amount_cents
            )));
        }
        if draft.currency.len() != 3 || !draft.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ServiceError::BadInput(format!(
                "currency \"{}\" is not a three-letter code like EUR",
                crate::domain::text::display_safe(&draft.currency)
            )));
        }
        workflow
            .check_attributes(&draft.attrs)
            .map_err(ServiceError::BadInput)?;
        let initial = workflow.initial_state();
        let timer = workflow
            .timer_for(&initial.id)
            .map(|(event, after)| (event.to_string(), now + after));
        let new = NewOrder {
            workflow: workflow.name.clone(),
            state: initial.id.clone(),
            customer: draft.customer,
            seller: draft.seller,
            title: draft.title,
            amount_cents: draft.amount_cents,
            currency: draft.currency,
            placed_at: draft.placed_at.unwrap_or(now),
            due_at: draft.due_at,
            attrs: draft.attrs,
            timer,
            now,
            created_by: actor.clone(),
        };
        let id = self.store.create_order(&new).await?;
        tracing::info!(order = id, actor = %actor.name, workflow = %new.workflow, "created");
        Ok(id)
    }

    async fn check_party(&self, name: &str, role: Role) -> Result<(), ServiceError> {
        match self.store.user(name).await? {
            Some(user) if user.role == role => Ok(()),
            Some(user) => Err(ServiceError::BadInput(format!(
                "user \"{name}\" is a {}, not a {role}",
                user.role
            ))),
            None => Err(ServiceError::BadInput(format!(
                "there is no user named \"{name}\""
            ))),
        }
    }

    /// Fires every due timer as `system`. Two ticks at once fire each timer once: the loser of
    /// the version check counts it as already fired.
    pub async fn tick(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<TickReport, ServiceError> {
        Self::require(actor, Permission::FireTimers)?;
        let mut report = TickReport::default();
        // One pass over the due timers in their order, page by page: a timer fired arms its
        // next one after `now` (delays are positive), and one refused stays due, so reading
        // on past each page (not from the start again) fires each timer due by `now` once,
        // and refused timers at the head cannot hold back the ones behind them. A timer that
        // another process arms meanwhile, due by a `now` set in the future, behind the
        // cursor, waits for the next tick or the runner.
        let mut after = None;
        // Held orders are waited for (up to the lock wait) until one is held past it: the
        // rest are reported held at once, so a stuck session costs a tick one wait, not one
        // per timer.
        let mut waited_out = false;
        loop {
            let due = self.store.due_timers(now, after, TIMER_BATCH).await?;
            let Some(last) = due.last() else {
                break;
            };
            after = Some(last.position());
            let full = due.len() as i64 == TIMER_BATCH;
            for (timer, firing) in due.iter().zip(self.fire_timers(&due, now).await) {
                // A timer whose order another writer holds fires alone here, once it is let
                // go: a tick leaves no timer due by `now` that can fire, unless the order
                // is held past `LOCK_WAIT` (a stuck session), which the report says.
                let firing = match firing? {
                    TimerFiring::Held if !waited_out => {
                        let alone = self.fire_alone(timer, now).await?;
                        waited_out = matches!(alone, TimerFiring::Held);
                        alone
                    }
                    other => other,
                };
                match firing {
                    TimerFiring::Fired(applied) => report.fired.push(applied),
                    TimerFiring::Taken => report.already_fired += 1,
                    TimerFiring::Held => report.held.push(format!(
                        "order {}: another writer held it for over {} s; its timer is left for the next tick",
                        timer.order_id,
                        crate::store::LOCK_WAIT.as_secs()
                    )),
                    TimerFiring::Refused(refusal) => report
                        .refused
                        .push(format!("order {}: {refusal}", timer.order_id)),
                }
            }
            if !full {
                break;
            }
        }
        Ok(report)
    }
}

impl Backoffice {
    /// The armed timers due by `now`, earliest first, after `after` if given (the runner's
    /// round).
    pub async fn due_timers(
        &self,
        now: DateTime<Utc>,
        after: Option<TimerPosition>,
        limit: i64,
    ) -> Result<Vec<DueTimer>, ServiceError> {
        Ok(self.store.due_timers(now, after, limit).await?)
    }

    /// Fires due timers as `system`, `TIMERS_TOGETHER` in one transaction (a transaction
    /// per timer was most of a timer's cost); one answer per timer, in their order.
    ///
    /// Exactly once still holds: each timer names the order's version it was read at, and
    /// the order moves only from that version. A timer the transaction cannot finish by
    /// itself (its guard refuses, it moves money, its workflow is gone), or every timer of a
    /// transaction that failed, goes through the one apply path alone, which records the
    /// refusal or says what is wrong.
    pub async fn fire_timers(
        &self,
        timers: &[DueTimer],
        now: DateTime<Utc>,
    ) -> Vec<Result<TimerFiring, ServiceError>> {
        let mut firings = Vec::with_capacity(timers.len());
        for slice in timers.chunks(TIMERS_TOGETHER) {
            let requests: Vec<ApplyRequest> = slice
                .iter()
                .map(|timer| ApplyRequest {
                    order_id: timer.order_id,
                    actor: Actor::system_clock(),
                    event: timer.event.clone(),
                    note: None,
                    expected_version: Some(timer.version),
                    now,
                    token_hash: None,
                })
                .collect();
            let together = match self.store.apply_together(&self.workflows, &requests).await {
                Ok(together) => together,
                Err(error) => {
                    let error = ServiceError::from(error);
                    if error.is_busy() {
                        // Another writer held an order or the database past the lock wait:
                        // alone, each would wait as long again. Left for the next round.
                        tracing::info!(%error, "timers left for the next round");
                        firings.extend(slice.iter().map(|_| Ok(TimerFiring::Held)));
                        continue;
                    }
                    if error.is_connection_lost() {
                        // Alone, or slice by slice, they would each wait for it in turn.
                        let gone = error.to_string();
                        firings.push(Err(error));
                        firings.resize_with(timers.len(), || {
                            Err(ServiceError::Store(StoreError::Unreachable(gone.clone())))
                        });
                        return firings;
                    }
                    tracing::warn!(%error, "timers fired together failed; firing them one by one");
                    slice.iter().map(|_| Together::Alone).collect()
                }
            };
            for (timer, outcome) in slice.iter().zip(together) {
                firings.push(match outcome {
                    Together::Applied(applied) => {
                        log_applied(&requests[0].actor, &applied);
                        Ok(TimerFiring::Fired(applied))
                    }
                    Together::Taken => Ok(TimerFiring::Taken),
                    Together::Held => Ok(TimerFiring::Held),
                    Together::Alone => self.fire_alone(timer, now).await,
                });
            }
        }
        firings
    }

    /// `fire_timer`, its outcome told as `fire_timers` tells it.
    async fn fire_alone(
        &self,
        timer: &DueTimer,
        now: DateTime<Utc>,
    ) -> Result<TimerFiring, ServiceError> {
        match self.fire_timer(timer, now).await {
            Ok(applied) => Ok(TimerFiring::Fired(applied)),
            Err(ServiceError::Apply(ApplyError::Conflict { .. })) => Ok(TimerFiring::Taken),
            Err(ServiceError::Apply(ApplyError::Refused(refusal))) => {
                Ok(TimerFiring::Refused(refusal))
            }
            Err(error) if error.is_busy() => Ok(TimerFiring::Held),
            Err(other) => Err(other),
        }
    }

    /// Fires one armed timer as `system` through the apply path alone. When its guard refuses at its time, the next timed transition
    /// out of the same state that is due by now fires instead (e.g. a payment retry while
    /// attempts are left, else giving up); the first refusal is reported when none may.
    async fn fire_timer(
        &self,
        timer: &DueTimer,
        now: DateTime<Utc>,
    ) -> Result<Applied, ServiceError> {
        let clock = &Actor::system_clock();
        let first = self
            .advance(
                clock,
                timer.order_id,
                &timer.event,
                None,
                Some(timer.version),
                now,
            )
            .await;
        let Err(ServiceError::Apply(ApplyError::Refused(_))) = &first else {
            return first;
        };
        let Some(order) = self.store.order(timer.order_id).await? else {
            return first;
        };
        let Ok(workflow) = self.workflow(&order.workflow) else {
            return first;
        };
        for (event, after) in workflow.timed_events_from(&order.state) {
            if event == timer.event || order.state_entered_at + after > now {
                continue;
            }
            match self
                .advance(clock, order.id, event, None, Some(order.version), now)
                .await
            {
                Err(ServiceError::Apply(ApplyError::Refused(_))) => continue,
                other => return other,
            }
        }
        first
    }
}

fn log_applied(actor: &Actor, applied: &Applied) {
    tracing::info!(
        order = applied.id,
        actor = %actor.name,
        event = %applied.event,
        from = %applied.from,
        to = %applied.to,
        version = applied.version,
        "applied"
    );
}

/// A request to move an order, once the actor may write and the note is within bounds.
fn apply_request(
    actor: &Actor,
    id: OrderId,
    event: &str,
    note: Option<&str>,
    expected_version: Option<i64>,
    now: DateTime<Utc>,
) -> Result<ApplyRequest, ServiceError> {
    Backoffice::writable(actor)?;
    // Every face checks it too; here it holds for the API's event route as well, so that no
    // endless name is stored as a refused attempt.
    super::check_event_name(event)?;
    if let Some(note) = note {
        super::check_text_length(note)?;
    }
    // A note that shows nothing (an escape, a zero-width space) is no note.
    let note = note.filter(|n| !is_blank(n));
    Ok(ApplyRequest {
        order_id: id,
        actor: actor.clone(),
        event: event.to_string(),
        note: note.map(str::to_string),
        expected_version,
        now,
        token_hash: None,
    })
}

/// The one answer for an order that is missing or that the actor may not see (see
/// `ServiceError::Unseen`).
pub(super) fn unseen(actor: &Actor, id: OrderId) -> ServiceError {
    ServiceError::Unseen {
        order_id: id,
        sees_every_order: actor.role.sees_every_order(),
    }
}
