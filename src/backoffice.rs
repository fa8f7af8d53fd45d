//! The application's one interface to orders, used by the CLI and the TUI alike: every read
//! is filtered by what the actor may see and every change goes through the one apply path.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::auth::{self, Secret, SignInError};
use crate::domain::access::Permission;
use crate::domain::{Actor, Order, OrderId, Role, Visibility};
use crate::store::{
    Applied, ApplyError, ApplyRequest, Attempt, EffectRow, HistoryEntry, LedgerRow, NewOrder,
    OrderQuery, Store, StoreError,
};
use crate::workflow::{TransitionMenu, Workflow, Workflows};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    NotPermitted(String),
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    SignIn(#[from] SignInError),
}

/// An order with everything a detail view shows.
#[derive(Clone, Debug)]
pub struct OrderView {
    pub order: Order,
    pub late: bool,
    pub menu: TransitionMenu,
    pub ledger: Vec<LedgerRow>,
    pub effects: Vec<EffectRow>,
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
}

#[derive(Clone)]
pub struct Backoffice {
    pub store: Store,
    pub workflows: Workflows,
}

impl Backoffice {
    pub fn new(store: Store, workflows: Workflows) -> Backoffice {
        Backoffice { store, workflows }
    }

    pub async fn sign_in(&self, name: &str, password: &Secret) -> Result<Actor, ServiceError> {
        Ok(auth::sign_in(&self.store, name, password).await?)
    }

    pub fn workflow(&self, name: &str) -> Result<&Workflow, ServiceError> {
        self.workflows.get(name).map(|w| w.as_ref()).ok_or_else(|| {
            ServiceError::BadInput(format!(
                "unknown workflow \"{name}\" (known: {})",
                self.workflows.names().join(", ")
            ))
        })
    }

    fn require(actor: &Actor, permission: Permission) -> Result<(), ServiceError> {
        if permission.allows(actor.role) {
            Ok(())
        } else {
            Err(ServiceError::NotPermitted(permission.refusal().to_string()))
        }
    }

    pub async fn list(
        &self,
        actor: &Actor,
        query: &OrderQuery,
    ) -> Result<Vec<Order>, ServiceError> {
        Ok(self
            .store
            .list_orders(&Visibility::for_actor(actor), query)
            .await?)
    }

    /// The order if it exists and the actor may see it.
    pub async fn visible_order(&self, actor: &Actor, id: OrderId) -> Result<Order, ServiceError> {
        let order = self
            .store
            .order(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("order {id} does not exist")))?;
        if !order.is_visible_to(actor) {
            return Err(ServiceError::NotPermitted(format!(
                "order {id} is not visible to you"
            )));
        }
        Ok(order)
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
        Ok(OrderView {
            late: workflow.is_late(&order, now),
            menu,
            ledger: self.store.ledger(id).await?,
            effects: self.store.effects(id).await?,
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
        let request = ApplyRequest {
            order_id: id,
            actor: actor.clone(),
            event: event.to_string(),
            note: note.map(str::to_string),
            expected_version,
            now,
        };
        Ok(self.store.apply(&self.workflows, &request).await?)
    }

    /// The order's transitions, and with `attempts` (support and admin) its refused attempts.
    pub async fn history(
        &self,
        actor: &Actor,
        id: OrderId,
        attempts: bool,
    ) -> Result<(Vec<HistoryEntry>, Vec<Attempt>), ServiceError> {
        if attempts {
            Self::require(actor, Permission::SeeAttempts)?;
        }
        self.visible_order(actor, id).await?;
        let history = self.store.history(id).await?;
        let attempts = if attempts {
            self.store.attempts(id).await?
        } else {
            Vec::new()
        };
        Ok((history, attempts))
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
        if draft.title.trim().is_empty() {
            return Err(ServiceError::BadInput("the order needs a title".into()));
        }
        if draft.currency.len() != 3 || !draft.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ServiceError::BadInput(format!(
                "currency \"{}\" is not a three-letter code like EUR",
                draft.currency
            )));
        }
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
        };
        Ok(self.store.create_order(&new).await?)
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

    /// Adds a user. With no users yet, the first one must be an admin and needs no actor.
    pub async fn add_user(
        &self,
        actor: Option<&Actor>,
        name: &str,
        role: Role,
        password: &Secret,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let bootstrap = self.store.user_count().await? == 0;
        if bootstrap {
            if role != Role::Admin {
                return Err(ServiceError::BadInput(
                    "the first user must be an admin (--role admin)".into(),
                ));
            }
        } else {
            match actor {
                Some(actor) => Self::require(actor, Permission::AddUsers)?,
                None => {
                    return Err(ServiceError::NotPermitted(
                        "adding a user needs --as an admin".into(),
                    ));
                }
            }
        }
        validate_user_name(name)?;
        if password.expose().chars().count() < auth::MIN_PASSWORD_LENGTH {
            return Err(ServiceError::BadInput(format!(
                "the password must be at least {} characters",
                auth::MIN_PASSWORD_LENGTH
            )));
        }
        let hash = auth::hash_password(password)
            .await
            .map_err(|e| ServiceError::BadInput(e.to_string()))?;
        self.store
            .add_user(name, role, &hash, now)
            .await
            .map_err(|e| match e {
                StoreError::Duplicate(message) => ServiceError::BadInput(message),
                other => other.into(),
            })
    }

    /// Fires every due timer as `system`. Two ticks at once fire each timer once: the loser of
    /// the version check counts it as already fired.
    pub async fn tick(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<TickReport, ServiceError> {
        Self::require(actor, Permission::FireTimers)?;
        let clock = Actor::system_clock();
        let mut report = TickReport::default();
        loop {
            let due = self.store.due_timers(now, 500).await?;
            if due.is_empty() {
                break;
            }
            let mut progressed = false;
            for timer in due {
                match self
                    .advance(
                        &clock,
                        timer.order_id,
                        &timer.event,
                        None,
                        Some(timer.version),
                        now,
                    )
                    .await
                {
                    Ok(applied) => {
                        progressed = true;
                        report.fired.push(applied);
                    }
                    Err(ServiceError::Apply(ApplyError::Conflict { .. })) => {
                        report.already_fired += 1;
                    }
                    Err(ServiceError::Apply(ApplyError::Refused(refusal))) => {
                        report
                            .refused
                            .push(format!("order {}: {refusal}", timer.order_id));
                    }
                    Err(other) => return Err(other),
                }
            }
            if !progressed {
                // What is left was refused or fired by someone else; do not spin on it.
                break;
            }
        }
        Ok(report)
    }
}

/// User names: letters, digits, '.', '-' and '_', up to 64, so they are safe everywhere.
pub fn validate_user_name(name: &str) -> Result<(), ServiceError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if valid {
        Ok(())
    } else {
        Err(ServiceError::BadInput(format!(
            "user name \"{}\" must be 1 to 64 letters, digits, '.', '-' or '_'",
            crate::domain::text::display_safe(name)
        )))
    }
}
