//! An admin's tools over the whole database: verifying every history and seeding synthetic
//! orders.

use chrono::{DateTime, Utc};

use super::{Backoffice, ServiceError};
use crate::domain::access::Permission;
use crate::domain::{Actor, Role};
use crate::store::SeededOrder;
use crate::verify::{self, VerifyReport};

impl Backoffice {
    /// Replays every order's history against its workflow and checks the ledger (admin).
    pub async fn verify(&self, actor: &Actor) -> Result<VerifyReport, ServiceError> {
        Self::require(actor, Permission::Verify)?;
        Ok(verify::verify_all(&self.store, &self.workflows).await?)
    }

    /// The id the next seeded order takes (seeded orders carry explicit ids).
    pub async fn next_seed_id(&self, actor: &Actor) -> Result<i64, ServiceError> {
        Self::require(actor, Permission::Seed)?;
        Ok(self.store.max_order_id().await? + 1)
    }

    /// Adds the customers and sellers of a synthetic seed as users nobody can sign in as:
    /// their password hash is of a random secret thrown away at once (admin).
    pub async fn seed_parties(
        &self,
        actor: &Actor,
        parties: &[(String, Role)],
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        Self::require(actor, Permission::Seed)?;
        let secret = crate::auth::Secret::new(format!("{:032x}", fastrand::u128(..)));
        let hash = crate::auth::hash_password(&secret)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(self.store.insert_parties(parties, &hash, now).await?)
    }

    /// Writes a batch of synthetic orders whose every transition the engine decided (admin).
    pub async fn seed_batch(
        &self,
        actor: &Actor,
        orders: &[SeededOrder],
    ) -> Result<(), ServiceError> {
        Self::require(actor, Permission::Seed)?;
        Ok(self.store.bulk_insert(orders).await?)
    }
}
