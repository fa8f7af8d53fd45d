//! Effects a transition records in the same database transaction: money moves, messages go out.

use std::fmt;
use std::str::FromStr;

use crate::domain::Party;

/// The share, in percent, that is the whole order: what payouts, credits and full refunds move.
pub const FULL_PERCENT: u8 = 100;

/// How much of the order a refund returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundShare {
    Full,
    /// 1 to 99 percent.
    Percent(u8),
}

impl RefundShare {
    pub fn percent(self) -> u8 {
        match self {
            RefundShare::Full => FULL_PERCENT,
            RefundShare::Percent(p) => p,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Refund(RefundShare),
    /// Release the payment to the seller.
    Payout,
    /// Store credit for the order's total.
    Credit,
    Notify(Vec<Party>),
    PaymentLink,
    /// Ask the warehouse whether the stock is there (it answers with the next event).
    InventoryCheck,
    InventoryReserve,
    InventoryRelease,
    /// Ask the payment provider to take the payment (it answers confirmed or failed).
    PaymentRequest,
    /// Ask the warehouse to ship (it answers when shipped).
    ShipmentRequest,
}

/// Every effect kind, as stored and as sinks name them in `config.toml`.
pub const EFFECT_KINDS: [&str; 10] = [
    "refund",
    "payout",
    "credit",
    "notify",
    "payment_link",
    "inventory.check",
    "inventory.reserve",
    "inventory.release",
    "payment.request",
    "shipment.request",
];

pub use crate::domain::ledger::{LedgerKind, Movement as LedgerEntry};
use crate::domain::ledger::{LedgerRefusal, share_of};

impl Effect {
    /// The ledger entry this effect moves on an order of `order_amount_cents`, if it moves
    /// money; refused when the amount cannot be computed with (see `domain::ledger`).
    pub fn ledger_entry(
        &self,
        order_amount_cents: i64,
    ) -> Result<Option<LedgerEntry>, LedgerRefusal> {
        let (kind, share_percent) = match self {
            Effect::Refund(share) => (LedgerKind::Refund, share.percent()),
            Effect::Payout => (LedgerKind::Payout, FULL_PERCENT),
            Effect::Credit => (LedgerKind::Credit, FULL_PERCENT),
            _ => return Ok(None),
        };
        let amount_cents =
            share_of(order_amount_cents, share_percent).ok_or(LedgerRefusal::Unrepresentable {
                amount_cents: order_amount_cents,
            })?;
        Ok(Some(LedgerEntry {
            kind,
            amount_cents,
            share_percent,
        }))
    }

    pub fn moves_money(&self) -> bool {
        matches!(self, Effect::Refund(_) | Effect::Payout | Effect::Credit)
    }

    /// The effect's kind, as stored in the effects table.
    pub fn kind(&self) -> &'static str {
        match self {
            Effect::Refund(_) => "refund",
            Effect::Payout => "payout",
            Effect::Credit => "credit",
            Effect::Notify(_) => "notify",
            Effect::PaymentLink => "payment_link",
            Effect::InventoryCheck => "inventory.check",
            Effect::InventoryReserve => "inventory.reserve",
            Effect::InventoryRelease => "inventory.release",
            Effect::PaymentRequest => "payment.request",
            Effect::ShipmentRequest => "shipment.request",
        }
    }
}

/// Written as a workflow file's `effects = [...]` writes it, so `FromStr` reads it back:
/// `refund(full)`, `refund(75%)`, `notify(customer, seller)`.
impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::Refund(RefundShare::Full) => f.write_str("refund(full)"),
            Effect::Refund(RefundShare::Percent(p)) => write!(f, "refund({p}%)"),
            Effect::Notify(parties) => {
                let names: Vec<&str> = parties.iter().map(|p| p.as_str()).collect();
                write!(f, "notify({})", names.join(", "))
            }
            other => f.write_str(other.kind()),
        }
    }
}

/// Why an `effects = [...]` entry is not an effect.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EffectError {
    #[error("effect \"{0}\" is missing its closing parenthesis")]
    UnclosedParenthesis(String),
    #[error("effect \"{0}\" takes no argument")]
    TakesNoArgument(String),
    #[error("refund share \"{0}\" must be \"full\" or a percentage from 1% to 100%")]
    BadRefundShare(String),
    #[error("effect \"refund\" needs a share: refund(full) or refund(NN%)")]
    MissingRefundShare,
    #[error("effect \"notify\" needs at least one of customer, seller, support")]
    MissingNotifyParty,
    /// The party parser's own message.
    #[error("{0}")]
    UnknownParty(String),
    #[error(
        "unknown effect \"{0}\" (expected refund, payout, credit, notify, payment_link, inventory.check, inventory.reserve, inventory.release, payment.request or shipment.request)"
    )]
    Unknown(String),
}

impl FromStr for Effect {
    type Err = EffectError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (name, argument) = match text.split_once('(') {
            Some((name, rest)) => match rest.strip_suffix(')') {
                Some(arg) => (name.trim(), Some(arg.trim())),
                None => return Err(EffectError::UnclosedParenthesis(text.to_string())),
            },
            None => (text, None),
        };
        let no_argument = |effect: Effect| match argument {
            None => Ok(effect),
            Some(_) => Err(EffectError::TakesNoArgument(name.to_string())),
        };
        match name {
            "refund" => match argument {
                Some("full") => Ok(Effect::Refund(RefundShare::Full)),
                Some(arg) => {
                    let percent = arg
                        .strip_suffix('%')
                        .and_then(|p| p.trim().parse::<u8>().ok())
                        .filter(|p| (1..=FULL_PERCENT).contains(p))
                        .ok_or_else(|| EffectError::BadRefundShare(arg.to_string()))?;
                    Ok(Effect::Refund(if percent == FULL_PERCENT {
                        RefundShare::Full
                    } else {
                        RefundShare::Percent(percent)
                    }))
                }
                None => Err(EffectError::MissingRefundShare),
            },
            "payout" => no_argument(Effect::Payout),
            "credit" => no_argument(Effect::Credit),
            "payment_link" => no_argument(Effect::PaymentLink),
            "inventory.check" => no_argument(Effect::InventoryCheck),
            "inventory.reserve" => no_argument(Effect::InventoryReserve),
            "inventory.release" => no_argument(Effect::InventoryRelease),
            "payment.request" => no_argument(Effect::PaymentRequest),
            "shipment.request" => no_argument(Effect::ShipmentRequest),
            "notify" => {
                let parties = argument
                    .filter(|a| !a.is_empty())
                    .ok_or(EffectError::MissingNotifyParty)?
                    .split(',')
                    .map(|p| p.trim().parse::<Party>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(EffectError::UnknownParty)?;
                Ok(Effect::Notify(parties))
            }
            other => Err(EffectError::Unknown(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effects_round_trip_through_their_written_form() {
        for text in [
            "refund(full)",
            "refund(75%)",
            "payout",
            "credit",
            "notify(customer)",
            "notify(customer, seller)",
            "payment_link",
            "inventory.check",
            "inventory.reserve",
            "inventory.release",
            "payment.request",
            "shipment.request",
        ] {
            let effect: Effect = text.parse().expect(text);
            assert_eq!(effect.to_string(), text);
        }
    }

    #[test]
    fn unknown_or_malformed_effects_are_refused() {
        assert!("refund".parse::<Effect>().is_err());
        assert!("refund(0%)".parse::<Effect>().is_err());
        assert!("refund(150%)".parse::<Effect>().is_err());
        assert!("notify(nobody)".parse::<Effect>().is_err());
        assert!("teleport".parse::<Effect>().is_err());
        assert!("payout(5)".parse::<Effect>().is_err());
    }

    #[test]
    fn partial_refunds_round_half_up_to_the_cent() {
        let entry = Effect::Refund(RefundShare::Percent(75))
            .ledger_entry(5)
            .unwrap()
            .unwrap();
        assert_eq!(entry.amount_cents, 4);
        let entry = Effect::Refund(RefundShare::Percent(50))
            .ledger_entry(12_345)
            .unwrap()
            .unwrap();
        assert_eq!(entry.amount_cents, 6_173);
    }
}
