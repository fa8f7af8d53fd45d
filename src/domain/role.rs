//! Who acts: the five roles of the spec and the actor that carries one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A role as the workflows and the user table name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Seller,
    Support,
    Admin,
    /// Timers and service accounts (payment, inventory callbacks); never a person.
    System,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Customer,
        Role::Seller,
        Role::Support,
        Role::Admin,
        Role::System,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Seller => "seller",
            Role::Support => "support",
            Role::Admin => "admin",
            Role::System => "system",
        }
    }

    /// Staff and service accounts see every order; customers and sellers only their own.
    pub fn sees_every_order(self) -> bool {
        matches!(self, Role::Support | Role::Admin | Role::System)
    }

    /// The order party this role owns orders as, if it is a party role at all.
    pub fn party(self) -> Option<Party> {
        match self {
            Role::Customer => Some(Party::Customer),
            Role::Seller => Some(Party::Seller),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    /// `pad`, so widths in format strings (`{role:<9}`) line columns up.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role \"{0}\" (expected customer, seller, support, admin or system)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// The parties an order names, and the audience of a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Customer,
    Seller,
    Support,
}

impl Party {
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Customer => "customer",
            Party::Seller => "seller",
            Party::Support => "support",
        }
    }
}

impl FromStr for Party {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "customer" => Ok(Party::Customer),
            "seller" => Ok(Party::Seller),
            "support" => Ok(Party::Support),
            other => Err(format!(
                "unknown party \"{other}\" (expected customer, seller or support)"
            )),
        }
    }
}

/// The signed-in user, or the `system` clock, as the engine and the access check see them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Actor {
    pub name: String,
    pub role: Role,
    /// An admin seeing the board as this user: such an actor reads and never writes, which
    /// the service checks on every write, whatever screen asked.
    pub viewed_by: Option<String>,
}

impl Actor {
    pub fn new(name: impl Into<String>, role: Role) -> Self {
        Actor {
            name: name.into(),
            role,
            viewed_by: None,
        }
    }

    /// The actor timers fire as.
    pub fn system_clock() -> Self {
        Actor::new("system", Role::System)
    }

    /// The actor a sink's answer applies its event as: `sink:NAME`, role `system`. User names
    /// cannot hold a ':', so no user can sign in as a sink.
    pub fn sink(name: &str) -> Self {
        Actor::new(format!("{SINK_ACTOR_PREFIX}{name}"), Role::System)
    }

    /// The clock and the sinks: built into the runner, with no user row to re-read.
    pub fn is_built_in(&self) -> bool {
        self.role == Role::System
            && (self.name == "system" || self.name.starts_with(SINK_ACTOR_PREFIX))
    }
}

const SINK_ACTOR_PREFIX: &str = "sink:";
