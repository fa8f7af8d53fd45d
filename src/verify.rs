//! `orderboard verify`: replay every order's history against its workflow and check the
//! ledger. Reads only; reports each violation it finds.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::{Actor, Order, Role};
use crate::store::{HistoryEntry, LedgerRow, Store, StoreError};
use crate::workflow::{Effect, LedgerKind, Workflows};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub order_id: i64,
    pub problem: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct VerifyReport {
    pub orders: u64,
    pub transitions: u64,
    pub violations: Vec<Violation>,
}

pub async fn verify_all(store: &Store, workflows: &Workflows) -> Result<VerifyReport, StoreError> {
    let mut report = VerifyReport::default();
    let mut after = 0;
    loop {
        let batch = store.audit_batch(after, 1000).await?;
        let Some(last) = batch.last() else { break };
        after = last.order.id;
        for audited in &batch {
            report.orders += 1;
            report.transitions += audited.history.len() as u64;
            for problem in check_order(&audited.order, &audited.history, &audited.ledger, workflows)
            {
                report.violations.push(Violation {
                    order_id: audited.order.id,
                    problem,
                });
            }
        }
    }
    Ok(report)
}

/// Every way one order's record can disagree with its workflow or its ledger.
pub fn check_order(
    order: &Order,
    history: &[HistoryEntry],
    ledger: &[LedgerRow],
    workflows: &Workflows,
) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(workflow) = workflows.get(&order.workflow) else {
        problems.push(format!(
            "uses workflow \"{}\", which is not loaded",
            order.workflow
        ));
        return problems;
    };
    if workflow.state(&order.state).is_none() {
        problems.push(format!(
            "is in state \"{}\", which workflow \"{}\" does not have",
            order.state, workflow.name
        ));
    }
    // Replay: the snapshot as it was before each transition, decided again by the engine.
    let mut snapshot = order.clone();
    snapshot.state = workflow.initial_state().id.clone();
    snapshot.version = 1;
    snapshot.counters = BTreeMap::new();
    snapshot.state_entered_at = order.placed_at;
    let mut expected_money: Vec<(i64, Effect)> = Vec::new();
    for entry in history {
        if entry.from != snapshot.state {
            problems.push(format!(
                "history {} leaves \"{}\" but the order was in \"{}\"",
                entry.id, entry.from, snapshot.state
            ));
        }
        if entry.version != snapshot.version + 1 {
            problems.push(format!(
                "history {} has version {} after version {}",
                entry.id, entry.version, snapshot.version
            ));
        }
        let decided = match entry.role.parse::<Role>() {
            Ok(role) => workflow
                .decide(
                    &snapshot,
                    &Actor::new(entry.actor.clone(), role),
                    &entry.event,
                    entry.note.as_deref(),
                    entry.at,
                )
                .map_err(|refusal| refusal.to_string()),
            Err(error) => Err(error.to_string()),
        };
        match decided {
            Ok(decision) if decision.to == entry.to => {
                let written: Vec<String> = decision.effects.iter().map(|e| e.to_string()).collect();
                if written != entry.effects {
                    problems.push(format!(
                        "history {} records effects {:?}, the workflow gives {:?}",
                        entry.id, entry.effects, written
                    ));
                }
                for effect in decision.effects.iter().filter(|e| e.moves_money()) {
                    expected_money.push((entry.version, effect.clone()));
                }
                snapshot.counters = decision.counters;
            }
            Ok(decision) => problems.push(format!(
                "history {}: {} --{}--> {} by {}, but the workflow leads to {}",
                entry.id, entry.from, entry.event, entry.to, entry.actor, decision.to
            )),
            Err(refusal) => problems.push(format!(
                "history {}: {} --{}--> {} by {} ({}) is not allowed: {refusal}",
                entry.id, entry.from, entry.event, entry.to, entry.actor, entry.role
            )),
        }
        snapshot.state = entry.to.clone();
        snapshot.version = entry.version;
        snapshot.state_entered_at = entry.at;
    }
    let (state, version, counters) = (snapshot.state, snapshot.version, snapshot.counters);
    if state != order.state {
        problems.push(format!(
            "is in \"{}\" but its history ends in \"{state}\"",
            order.state
        ));
    }
    if version != order.version {
        problems.push(format!(
            "is at version {} but its history ends at version {version}",
            order.version
        ));
    }
    let stored: BTreeMap<String, i64> = order
        .counters
        .iter()
        .filter(|(_, v)| **v != 0)
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    let replayed: BTreeMap<String, i64> = counters.into_iter().filter(|(_, v)| *v != 0).collect();
    if stored != replayed {
        problems.push(format!(
            "counters are {stored:?} but the history gives {replayed:?}"
        ));
    }
    for (version, effect) in &expected_money {
        let Some(entry) = effect.ledger_entry(order.amount_cents) else {
            continue;
        };
        let found = ledger.iter().any(|row| {
            row.version == *version
                && row.kind == entry.kind.as_str()
                && row.amount_cents == entry.amount_cents
        });
        if !found {
            problems.push(format!(
                "{effect} at version {version} has no matching ledger row"
            ));
        }
    }
    if ledger.len() != expected_money.len() {
        problems.push(format!(
            "has {} ledger rows but its history moves money {} times",
            ledger.len(),
            expected_money.len()
        ));
    }
    let payouts = ledger
        .iter()
        .filter(|r| r.kind == LedgerKind::Payout.as_str())
        .count();
    let refunds = ledger
        .iter()
        .filter(|r| r.kind == LedgerKind::Refund.as_str())
        .count();
    let full_refunds = ledger
        .iter()
        .filter(|r| r.kind == LedgerKind::Refund.as_str() && r.share_percent == 100)
        .count();
    if payouts > 1 || refunds > 1 {
        problems.push(format!(
            "money moved twice: {payouts} payouts, {refunds} refunds"
        ));
    }
    if payouts > 0 && full_refunds > 0 {
        problems.push("was both paid out and fully refunded".into());
    }
    problems
}
