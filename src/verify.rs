//! `orderboard verify`: replay every order's history against its workflow and check the
//! ledger. Reads only; reports each violation it finds.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::ledger::{Movement, check_ledger as check_ledger_rules};
use crate::domain::{Actor, Order, Role};
use crate::store::{HistoryEntry, LedgerRow, Store, StoreError};
use crate::workflow::{Decision, Effect, Workflow, Workflows};

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

/// Orders per audit batch: three queries a batch, and memory holds one batch's histories and
/// ledgers at a time, whatever the size of the database.
const ORDERS_PER_BATCH: i64 = 1000;

pub async fn verify_all(store: &Store, workflows: &Workflows) -> Result<VerifyReport, StoreError> {
    let mut report = VerifyReport::default();
    let mut after = 0;
    loop {
        let batch = store.audit_batch(after, ORDERS_PER_BATCH).await?;
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
    let replayed = replay(order, history, workflow, &mut problems);
    check_replayed_snapshot(order, &replayed, &mut problems);
    check_ledger(order, ledger, &replayed.money_moves, &mut problems);
    problems
}

/// Where an order's history leads when the engine decides each transition again.
struct Replayed {
    state: String,
    version: i64,
    counters: BTreeMap<String, i64>,
    /// Each effect that moves money, with the version whose transition made it.
    money_moves: Vec<(i64, Effect)>,
}

/// Replays the history from the workflow's initial state, checking each transition against
/// the snapshot as it was just before it.
fn replay(
    order: &Order,
    history: &[HistoryEntry],
    workflow: &Workflow,
    problems: &mut Vec<String>,
) -> Replayed {
    let mut snapshot = order.clone();
    snapshot.state = workflow.initial_state().id.clone();
    snapshot.version = 1;
    snapshot.counters = BTreeMap::new();
    snapshot.state_entered_at = order.placed_at;
    let mut money_moves = Vec::new();
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
        if let Some(decision) = decide_again(workflow, &snapshot, entry, problems) {
            let moves = decision.effects.iter().filter(|e| e.moves_money());
            money_moves.extend(moves.map(|effect| (entry.version, effect.clone())));
            snapshot.counters = decision.counters;
        }
        snapshot.state = entry.to.clone();
        snapshot.version = entry.version;
        snapshot.state_entered_at = entry.at;
    }
    Replayed {
        state: snapshot.state,
        version: snapshot.version,
        counters: snapshot.counters,
        money_moves,
    }
}

/// The engine's decision for one recorded transition, if it leads where the history says.
fn decide_again(
    workflow: &Workflow,
    snapshot: &Order,
    entry: &HistoryEntry,
    problems: &mut Vec<String>,
) -> Option<Decision> {
    let decided = match entry.role.parse::<Role>() {
        Ok(role) => workflow
            .decide(
                snapshot,
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
            Some(decision)
        }
        Ok(decision) => {
            problems.push(format!(
                "history {}: {} --{}--> {} by {}, but the workflow leads to {}",
                entry.id, entry.from, entry.event, entry.to, entry.actor, decision.to
            ));
            None
        }
        Err(refusal) => {
            problems.push(format!(
                "history {}: {} --{}--> {} by {} ({}) is not allowed: {refusal}",
                entry.id, entry.from, entry.event, entry.to, entry.actor, entry.role
            ));
            None
        }
    }
}

/// The stored snapshot must be where the history leads.
fn check_replayed_snapshot(order: &Order, replayed: &Replayed, problems: &mut Vec<String>) {
    let Replayed {
        state,
        version,
        counters,
        ..
    } = replayed;
    if *state != order.state {
        problems.push(format!(
            "is in \"{}\" but its history ends in \"{state}\"",
            order.state
        ));
    }
    if *version != order.version {
        problems.push(format!(
            "is at version {} but its history ends at version {version}",
            order.version
        ));
    }
    // A counter at zero and a missing one mean the same.
    let stored: BTreeMap<String, i64> = order
        .counters
        .iter()
        .filter(|(_, v)| **v != 0)
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    let replayed: BTreeMap<String, i64> = counters
        .iter()
        .filter(|(_, v)| **v != 0)
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    if stored != replayed {
        problems.push(format!(
            "counters are {stored:?} but the history gives {replayed:?}"
        ));
    }
}

/// The ledger must hold exactly the money the history moves, and money moves once per order.
fn check_ledger(
    order: &Order,
    ledger: &[LedgerRow],
    money_moves: &[(i64, Effect)],
    problems: &mut Vec<String>,
) {
    for (version, effect) in money_moves {
        let entry = match effect.ledger_entry(order.amount_cents) {
            Ok(Some(entry)) => entry,
            Ok(None) => continue,
            Err(refusal) => {
                problems.push(format!("{effect} at version {version}: {refusal}"));
                continue;
            }
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
    if ledger.len() != money_moves.len() {
        problems.push(format!(
            "has {} ledger rows but its history moves money {} times",
            ledger.len(),
            money_moves.len()
        ));
    }
    // The rules every ledger keeps, in the order its rows were written.
    let movements: Vec<Movement> = ledger.iter().filter_map(LedgerRow::movement).collect();
    for refusal in check_ledger_rules(order.amount_cents, &movements) {
        problems.push(format!("ledger: {refusal}"));
    }
}
