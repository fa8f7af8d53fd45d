//! Following the signed-in user: an admin may disable or demote them while the board is open.

use chrono::{DateTime, Duration, Utc};

use super::BoardScreen;
use crate::domain::Actor;
use crate::domain::access::Permission;
use crate::tui::app::{Context, Status};
use crate::tui::msg::Effect;

/// How often an open board re-reads its user.
const ACCOUNT_CHECK_EVERY: Duration = Duration::seconds(5);

impl BoardScreen {
    /// Re-reads the signed-in user every so often: an admin may have disabled or demoted
    /// them, and an open board must follow at once, not at the next apply.
    pub(super) fn check_account(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        let due = self
            .sync
            .account_checked_at
            .is_none_or(|at| now - at >= ACCOUNT_CHECK_EVERY);
        if !due || self.sync.account_check_in_flight {
            return Vec::new();
        }
        self.sync.account_checked_at = Some(now);
        self.sync.account_check_in_flight = true;
        let mut effects = vec![Effect::CheckAccount {
            actor: self.signed_in().clone(),
        }];
        if Permission::ManageEffects.allows(self.actor.role) {
            effects.push(Effect::CountAttention {
                actor: self.actor.clone(),
            });
        }
        effects
    }

    pub(super) fn on_account_checked(
        &mut self,
        context: &mut Context,
        result: Result<Option<Actor>, String>,
    ) -> Vec<Effect> {
        self.sync.account_check_in_flight = false;
        match result {
            Ok(Some(actor)) if actor == *self.signed_in() => Vec::new(),
            Ok(current) => {
                // The admin changed while viewing as someone: back to their own board.
                if let Some(admin) = self.viewer.take() {
                    self.actor = admin;
                }
                let message = match &current {
                    Some(actor) => format!("your role is now {}", actor.role),
                    None => format!("{} was disabled; sign in again", self.actor.name),
                };
                self.follow_account(context, current, message)
            }
            // A lost database shows as "reconnecting" through the feed; try again later.
            Err(_) => Vec::new(),
        }
    }

    /// The user changed under an open board: disabled signs out; another role reloads the
    /// board with the new rights and restarts the feed with the new visibility.
    pub(super) fn follow_account(
        &mut self,
        context: &mut Context,
        current: Option<Actor>,
        message: String,
    ) -> Vec<Effect> {
        let Some(actor) = current else {
            self.sync.signed_out = Some(message);
            return Vec::new();
        };
        self.actor = actor;
        self.overlay = None;
        self.feed.events.clear();
        self.order_pane.detail = None;
        self.loading = true;
        *context.status = Status::info(message);
        // The feed restarts with the new visibility where the new board's snapshot is read
        // (once it lands), so that nothing between the two is missed; meanwhile the old
        // feed's lines are not this board's.
        self.sync.feed_started = false;
        vec![
            Effect::StopFeed,
            Effect::LoadBoard {
                actor: self.actor.clone(),
                workflow: None,
                query: self.query(context.now),
                with_recent: true,
            },
        ]
    }
}
