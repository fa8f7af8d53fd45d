//! Money on one order: the upper bound of an amount, how a share of it is computed (checked,
//! rounded in one place), and the rules every order's ledger keeps. The apply path checks
//! them before it writes, the database enforces them again, and `verify` re-checks them.

use std::fmt;

/// The largest order amount: 999,999,999.99 in the currency's units. Small enough that every
/// computation on it (a percentage, the sum of an order's movements) fits an i64 many times
/// over; large enough for any real order. Checked wherever an amount comes in.
pub const MAX_AMOUNT_CENTS: i64 = 99_999_999_999;

/// The share, in percent, that is the whole order.
pub const WHOLE_PERCENT: u8 = 100;

/// Which way money moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LedgerKind {
    /// Back to the customer.
    Refund,
    /// Released to the seller.
    Payout,
    /// Store credit to the customer.
    Credit,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Refund => "refund",
            LedgerKind::Payout => "payout",
            LedgerKind::Credit => "credit",
        }
    }

    pub fn parse(text: &str) -> Option<LedgerKind> {
        match text {
            "refund" => Some(LedgerKind::Refund),
            "payout" => Some(LedgerKind::Payout),
            "credit" => Some(LedgerKind::Credit),
            _ => None,
        }
    }
}

/// One movement of money on an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Movement {
    pub kind: LedgerKind,
    pub amount_cents: i64,
    /// 100 for full refunds, payouts and credits.
    pub share_percent: u8,
}

impl Movement {
    fn is_full_refund(&self) -> bool {
        self.kind == LedgerKind::Refund && self.share_percent == WHOLE_PERCENT
    }
}

/// `percent` of `amount_cents`, rounded half up to the cent (75 % of 0.05 is 0.04); `None`
/// when the amount is outside 0..=MAX_AMOUNT_CENTS or the result cannot be represented.
/// This is the only place a share of an amount is computed.
pub fn share_of(amount_cents: i64, percent: u8) -> Option<i64> {
    if !(0..=MAX_AMOUNT_CENTS).contains(&amount_cents) || percent > WHOLE_PERCENT {
        return None;
    }
    let whole = i64::from(WHOLE_PERCENT);
    amount_cents
        .checked_mul(i64::from(percent))?
        .checked_add(whole / 2)
        .map(|scaled| scaled / whole)
}

/// Why a movement may not be recorded on an order's ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerRefusal {
    /// Money moves once per kind and order.
    Again(LedgerKind),
    /// A full refund and a payout exclude each other, in either order.
    PayoutAfterFullRefund,
    FullRefundAfterPayout,
    /// Refunds and credits together would return more than the order took.
    MoreThanTaken {
        returned_cents: i64,
        amount_cents: i64,
    },
    /// The amount is outside the bounds, or the computation overflows.
    Unrepresentable {
        amount_cents: i64,
    },
}

impl fmt::Display for LedgerRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerRefusal::Again(kind) => write!(
                f,
                "the order already has a {}: money moves once per kind and order",
                kind.as_str()
            ),
            LedgerRefusal::PayoutAfterFullRefund => {
                f.write_str("the order was fully refunded, so it cannot also be paid out")
            }
            LedgerRefusal::FullRefundAfterPayout => {
                f.write_str("the order was paid out, so it cannot also be fully refunded")
            }
            LedgerRefusal::MoreThanTaken {
                returned_cents,
                amount_cents,
            } => write!(
                f,
                "refunds and credits would return {} cents of an order of {} cents",
                returned_cents, amount_cents
            ),
            LedgerRefusal::Unrepresentable { amount_cents } => write!(
                f,
                "an amount of {amount_cents} cents is outside what orderboard can compute with \
                 (at most {MAX_AMOUNT_CENTS} cents)"
            ),
        }
    }
}

/// Checks that `new` may join an order of `amount_cents` whose ledger holds `existing`.
pub fn check_movement(
    amount_cents: i64,
    existing: &[Movement],
    new: &Movement,
) -> Result<(), LedgerRefusal> {
    if existing.iter().any(|m| m.kind == new.kind) {
        return Err(LedgerRefusal::Again(new.kind));
    }
    if new.kind == LedgerKind::Payout && existing.iter().any(Movement::is_full_refund) {
        return Err(LedgerRefusal::PayoutAfterFullRefund);
    }
    if new.is_full_refund() && existing.iter().any(|m| m.kind == LedgerKind::Payout) {
        return Err(LedgerRefusal::FullRefundAfterPayout);
    }
    let returned = existing
        .iter()
        .chain(std::iter::once(new))
        .filter(|m| matches!(m.kind, LedgerKind::Refund | LedgerKind::Credit))
        .try_fold(0i64, |sum, m| sum.checked_add(m.amount_cents))
        .ok_or(LedgerRefusal::Unrepresentable { amount_cents })?;
    if returned > amount_cents {
        return Err(LedgerRefusal::MoreThanTaken {
            returned_cents: returned,
            amount_cents,
        });
    }
    Ok(())
}

/// Every violation of the rules in a whole ledger, for `verify`.
pub fn check_ledger(amount_cents: i64, movements: &[Movement]) -> Vec<LedgerRefusal> {
    let mut problems = Vec::new();
    for (index, movement) in movements.iter().enumerate() {
        if let Err(refusal) = check_movement(amount_cents, &movements[..index], movement) {
            problems.push(refusal);
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refund(percent: u8, amount: i64) -> Movement {
        Movement {
            kind: LedgerKind::Refund,
            amount_cents: share_of(amount, percent).unwrap(),
            share_percent: percent,
        }
    }

    #[test]
    fn shares_round_half_up_and_refuse_what_cannot_be_represented() {
        assert_eq!(share_of(5, 75), Some(4));
        assert_eq!(share_of(12_345, 50), Some(6_173));
        assert_eq!(share_of(MAX_AMOUNT_CENTS, 75), Some(74_999_999_999));
        assert_eq!(share_of(i64::MAX - 10, 75), None);
        assert_eq!(share_of(-1, 50), None);
    }

    #[test]
    fn a_ledger_never_returns_more_than_it_took() {
        let credit = Movement {
            kind: LedgerKind::Credit,
            amount_cents: 1000,
            share_percent: 100,
        };
        assert_eq!(
            check_movement(1000, &[refund(100, 1000)], &credit),
            Err(LedgerRefusal::MoreThanTaken {
                returned_cents: 2000,
                amount_cents: 1000
            })
        );
        let payout = Movement {
            kind: LedgerKind::Payout,
            amount_cents: 1000,
            share_percent: 100,
        };
        assert_eq!(
            check_movement(1000, &[refund(100, 1000)], &payout),
            Err(LedgerRefusal::PayoutAfterFullRefund)
        );
        assert_eq!(
            check_movement(1000, &[payout], &refund(100, 1000)),
            Err(LedgerRefusal::FullRefundAfterPayout)
        );
        assert_eq!(
            check_movement(1000, &[payout], &payout),
            Err(LedgerRefusal::Again(LedgerKind::Payout))
        );
        assert_eq!(check_movement(1000, &[payout], &refund(25, 1000)), Ok(()));
    }
}
