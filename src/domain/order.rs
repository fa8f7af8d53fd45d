//! An order as the engine sees it: a plain snapshot, no database handles.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::role::{Actor, Party, Role};

pub type OrderId = i64;

/// One order at one version. The store reads these; the engine decides on them.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub workflow: String,
    pub state: String,
    pub version: i64,
    pub customer: String,
    pub seller: String,
    pub title: String,
    pub amount_cents: i64,
    pub currency: String,
    pub placed_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    /// When the order entered its current state: time-in-state and timers count from here.
    pub state_entered_at: DateTime<Utc>,
    pub attrs: BTreeMap<String, serde_json::Value>,
    pub counters: BTreeMap<String, i64>,
    /// The timer armed in the current state, if its state has one.
    pub timer: Option<PendingTimer>,
}

/// How a board column orders its cards (`sort` of a saved view: id, due, age, amount).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderSort {
    /// Oldest order first (the id).
    #[default]
    Id,
    /// Soonest due first; orders without a due date last.
    Due,
    /// Longest in its state first.
    Age,
    /// Largest amount first.
    Amount,
}

/// Where a page of a sorted column ended: the last card's sort key (its id goes with it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SortKey {
    Due(Option<DateTime<Utc>>),
    Age(DateTime<Utc>),
    Amount(i64),
}

impl OrderSort {
    pub const ALL: [OrderSort; 4] = [
        OrderSort::Id,
        OrderSort::Due,
        OrderSort::Age,
        OrderSort::Amount,
    ];

    pub fn label(self) -> &'static str {
        match self {
            OrderSort::Id => "id",
            OrderSort::Due => "due date",
            OrderSort::Age => "age",
            OrderSort::Amount => "amount",
        }
    }

    /// The next sort, round.
    pub fn next(self) -> OrderSort {
        let at = OrderSort::ALL.iter().position(|s| *s == self).unwrap_or(0);
        OrderSort::ALL[(at + 1) % OrderSort::ALL.len()]
    }

    /// The order's key under this sort (`None` for the id sort, whose key is the id).
    pub fn key(self, order: &Order) -> Option<SortKey> {
        match self {
            OrderSort::Id => None,
            OrderSort::Due => Some(SortKey::Due(order.due_at)),
            OrderSort::Age => Some(SortKey::Age(order.state_entered_at)),
            OrderSort::Amount => Some(SortKey::Amount(order.amount_cents)),
        }
    }

    /// Whether `a` comes before `b` in a column sorted this way: the same order the store's
    /// queries page in, so a card placed live lands where a reload would put it.
    pub fn before(self, a: &Order, b: &Order) -> bool {
        self.compare(&SortFields::of(a), &SortFields::of(b)) == std::cmp::Ordering::Less
    }

    /// Where `a` stands against `b` in a column sorted this way (ties broken by id).
    pub fn compare(self, a: &SortFields, b: &SortFields) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let by_key = match self {
            OrderSort::Id => Ordering::Equal,
            // Dated orders first, soonest first; undated ones last.
            OrderSort::Due => match (a.due_at, b.due_at) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
            OrderSort::Age => a.state_entered_at.cmp(&b.state_entered_at),
            OrderSort::Amount => b.amount_cents.cmp(&a.amount_cents),
        };
        by_key.then(a.id.cmp(&b.id))
    }

    /// A page's cursor as the fields it compares: the last card's key and id. `None` on a
    /// first page (a sorted column's first page has no key; the id sort's has no id). The
    /// fields this sort does not compare are filled with anything (the epoch, 0): `compare`
    /// reads only the sort's own field and the id.
    pub fn cursor(self, key: Option<SortKey>, after_id: Option<OrderId>) -> Option<SortFields> {
        let id = after_id.unwrap_or(0);
        let epoch = DateTime::<Utc>::UNIX_EPOCH;
        let fields = |due_at, state_entered_at, amount_cents| SortFields {
            id,
            due_at,
            state_entered_at,
            amount_cents,
        };
        match (self, key) {
            (OrderSort::Id, _) => after_id.map(|_| fields(None, epoch, 0)),
            (OrderSort::Due, Some(SortKey::Due(due))) => Some(fields(due, epoch, 0)),
            (OrderSort::Age, Some(SortKey::Age(at))) => Some(fields(None, at, 0)),
            (OrderSort::Amount, Some(SortKey::Amount(cents))) => Some(fields(None, epoch, cents)),
            _ => None,
        }
    }
}

/// What the column sorts compare of an order: enough to place a search's match without
/// reading the whole order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortFields {
    pub id: OrderId,
    pub due_at: Option<DateTime<Utc>>,
    pub state_entered_at: DateTime<Utc>,
    pub amount_cents: i64,
}

impl SortFields {
    pub fn of(order: &Order) -> SortFields {
        SortFields {
            id: order.id,
            due_at: order.due_at,
            state_entered_at: order.state_entered_at,
            amount_cents: order.amount_cents,
        }
    }
}

/// A timer that fires an event by itself when it is due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PendingTimer {
    pub event: String,
    pub due_at: DateTime<Utc>,
}

impl Order {
    /// The user an order names as `party`.
    pub fn party_name(&self, party: Party) -> Option<&str> {
        match party {
            Party::Customer => Some(&self.customer),
            Party::Seller => Some(&self.seller),
            Party::Support => None,
        }
    }

    /// Whether the actor is this order's customer (acting as customer) or seller (as seller).
    pub fn is_owned_by(&self, actor: &Actor) -> bool {
        match actor.role.party() {
            Some(party) => self.party_name(party) == Some(actor.name.as_str()),
            None => false,
        }
    }

    pub fn counter(&self, name: &str) -> i64 {
        self.counters.get(name).copied().unwrap_or(0)
    }

    /// Whether this actor may see the order at all: staff and system see everything,
    /// customers and sellers only the orders that name them. The one visibility rule.
    pub fn is_visible_to(&self, actor: &Actor) -> bool {
        actor.role.sees_every_order() || self.is_owned_by(actor)
    }

    pub fn money(&self) -> Money<'_> {
        Money {
            cents: self.amount_cents,
            currency: &self.currency,
        }
    }
}

/// What a list query may show an actor: the SQL side turns this into a WHERE clause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Visibility {
    Everything,
    CustomerIs(String),
    SellerIs(String),
}

impl Visibility {
    pub fn for_actor(actor: &Actor) -> Visibility {
        match actor.role {
            Role::Customer => Visibility::CustomerIs(actor.name.clone()),
            Role::Seller => Visibility::SellerIs(actor.name.clone()),
            Role::Support | Role::Admin | Role::System => Visibility::Everything,
        }
    }
}

/// An amount in integer cents with its currency, printed as `12.50 EUR`.
#[derive(Clone, Copy, Debug)]
pub struct Money<'a> {
    pub cents: i64,
    pub currency: &'a str,
}

impl fmt::Display for Money<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        let abs = self.cents.unsigned_abs();
        write!(f, "{sign}{}.{:02} {}", abs / 100, abs % 100, self.currency)
    }
}

/// An amount in units without its currency, as `parse_amount_cents` reads it: `12.50`.
pub fn amount_text(cents: i64) -> String {
    Money {
        cents,
        currency: "",
    }
    .to_string()
    .trim()
    .to_string()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadAmount {
    #[error("\"{0}\" is not an amount (expected a number with at most two decimals, like 12.50)")]
    NotAnAmount(String),
    #[error("{0} is more than the largest amount orderboard takes, 999999999.99")]
    TooLarge(String),
}

/// Parses `12`, `12.5` or `12.50` into cents without going through floating point.
pub fn parse_amount_cents(text: &str) -> Result<i64, BadAmount> {
    let bad = || BadAmount::NotAnAmount(text.to_string());
    let trimmed = text.trim();
    let (whole, fraction) = match trimmed.split_once('.') {
        Some((w, f)) => (w, f),
        None => (trimmed, ""),
    };
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 2
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || (trimmed.contains('.') && fraction.is_empty())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let fraction_cents: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().map_err(|_| bad())? * 10,
        _ => fraction.parse().map_err(|_| bad())?,
    };
    let too_large = || BadAmount::TooLarge(trimmed.to_string());
    let cents = whole
        .checked_mul(100)
        .and_then(|c| c.checked_add(fraction_cents))
        .ok_or_else(too_large)?;
    if cents > crate::domain::ledger::MAX_AMOUNT_CENTS {
        return Err(too_large());
    }
    Ok(cents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly() {
        assert_eq!(parse_amount_cents("12.50"), Ok(1250));
        assert_eq!(parse_amount_cents("12.5"), Ok(1250));
        assert_eq!(parse_amount_cents("12"), Ok(1200));
        assert_eq!(parse_amount_cents("0.07"), Ok(7));
        assert!(parse_amount_cents("12.").is_err());
        assert!(parse_amount_cents("-1").is_err());
        assert!(parse_amount_cents("1.234").is_err());
        assert!(parse_amount_cents("abc").is_err());
        assert!(parse_amount_cents("99999999999999999999").is_err());
        assert_eq!(parse_amount_cents("999999999.99"), Ok(99_999_999_999));
        assert_eq!(
            parse_amount_cents("1000000000").unwrap_err().to_string(),
            "1000000000 is more than the largest amount orderboard takes, 999999999.99"
        );
    }

    #[test]
    fn money_prints_two_decimals() {
        let m = Money {
            cents: 1205,
            currency: "EUR",
        };
        assert_eq!(m.to_string(), "12.05 EUR");
    }
}
