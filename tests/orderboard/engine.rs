//! The engine against the spec: the marketplace table, the seed 001 table, the checkout
//! refund boundaries, and properties over random event sequences.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use orderboard::domain::Role;
use orderboard::workflow::{BlockReason, Effect, RefundShare, Refusal, Workflows};
use proptest::prelude::*;

use crate::support::{actor, order, test_now};

fn workflows() -> Workflows {
    Workflows::shipped().expect("shipped workflows load")
}

/// The marketplace as `workflows.md` writes it, one row per candidate, top-down.
/// (event, from states or ["*"], to, roles, owner, support may act on the customer's behalf)
/// (event, from, to, roles, owner required, support may act on the customer's behalf)
type SpecRow = (
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static [Role],
    bool,
    bool,
);

const MARKETPLACE: &[SpecRow] = &[
    (
        "order.accepted",
        &["paid"],
        "inprogress",
        &[Role::Seller],
        true,
        false,
    ),
    (
        "order.rejected",
        &["paid"],
        "rejected",
        &[Role::Seller],
        true,
        false,
    ),
    (
        "order.delivered",
        &["inprogress", "correction_requested"],
        "delivered",
        &[Role::Seller],
        true,
        false,
    ),
    (
        "order.cancel_requested",
        &["inprogress"],
        "cancelled",
        &[Role::Seller],
        true,
        false,
    ),
    // With cancel_requests = 0 the third-request candidate does not pass; tested separately.
    (
        "order.cancel_requested",
        &["inprogress"],
        "cancel_requested",
        &[Role::Customer],
        true,
        true,
    ),
    (
        "order.cancel_accepted",
        &["cancel_requested"],
        "cancelled",
        &[Role::Seller],
        true,
        false,
    ),
    (
        "order.cancel_declined",
        &["cancel_requested"],
        "inprogress",
        &[Role::Seller],
        true,
        false,
    ),
    (
        "order.completed",
        &["delivered"],
        "completed",
        &[Role::Customer],
        true,
        false,
    ),
    (
        "order.requires_correction",
        &["delivered"],
        "correction_requested",
        &[Role::Customer],
        true,
        true,
    ),
    (
        "order.dispute_opened",
        &["delivered", "correction_requested"],
        "disputing",
        &[Role::Customer, Role::Seller],
        true,
        false,
    ),
    (
        "order.dispute_refunded",
        &["disputing"],
        "cancelled",
        &[Role::Support, Role::Admin],
        false,
        false,
    ),
    (
        "order.dispute_released",
        &["disputing"],
        "completed",
        &[Role::Support, Role::Admin],
        false,
        false,
    ),
    (
        "order.dispute_resumed",
        &["disputing"],
        "inprogress",
        &[Role::Support, Role::Admin],
        false,
        false,
    ),
    (
        "order.auto_completed",
        &["delivered"],
        "completed",
        &[Role::System],
        false,
        false,
    ),
    (
        "order.force_cancelled",
        &["*"],
        "cancelled",
        &[Role::Admin],
        false,
        false,
    ),
];

const MARKETPLACE_STATES: &[&str] = &[
    "paid",
    "inprogress",
    "cancel_requested",
    "disputing",
    "delivered",
    "correction_requested",
    "completed",
    "cancelled",
    "rejected",
];
const MARKETPLACE_TERMINAL: &[&str] = &["completed", "cancelled", "rejected"];

#[derive(Debug, PartialEq)]
enum Expect {
    MovesTo(&'static str),
    NotPermitted,
    NotAllowedNow,
}

fn expected(state: &str, event: &str, role: Role, owner: bool) -> Expect {
    let leaves = |from: &[&str]| {
        from.contains(&state) || (from == ["*"] && !MARKETPLACE_TERMINAL.contains(&state))
    };
    let in_state: Vec<_> = MARKETPLACE
        .iter()
        .filter(|row| row.0 == event && leaves(row.1))
        .collect();
    if in_state.is_empty() {
        return Expect::NotAllowedNow;
    }
    let party_role = matches!(role, Role::Customer | Role::Seller);
    for row in in_state {
        let (_, _, to, roles, must_own, support_on_behalf) = *row;
        let own_right = roles.contains(&role) && (!must_own || !party_role || owner);
        let on_behalf = support_on_behalf && role == Role::Support;
        if own_right || on_behalf {
            return Expect::MovesTo(to);
        }
    }
    Expect::NotPermitted
}

#[test]
fn marketplace_every_state_event_role_and_ownership() {
    let workflows = workflows();
    let marketplace = workflows.get("marketplace").unwrap();
    let events: BTreeSet<&str> = MARKETPLACE.iter().map(|row| row.0).collect();
    assert_eq!(
        events.len(),
        marketplace.events().len(),
        "the spec and the file name the same events"
    );
    let mut checked = 0;
    for state in MARKETPLACE_STATES {
        for event in &events {
            for role in Role::ALL {
                for owner in [true, false] {
                    let mut subject = order("marketplace", state);
                    // Timers are due: 73 h in the state.
                    subject.state_entered_at = test_now() - Duration::hours(73);
                    let who = actor(role, owner);
                    let outcome =
                        marketplace.decide(&subject, &who, event, Some("a note"), test_now());
                    let got = match &outcome {
                        Ok(decision) => Expect::MovesTo(
                            MARKETPLACE_STATES
                                .iter()
                                .find(|s| **s == decision.to)
                                .copied()
                                .unwrap_or("?"),
                        ),
                        Err(Refusal::NotPermitted { .. }) => Expect::NotPermitted,
                        Err(Refusal::NotAllowedNow { .. }) => Expect::NotAllowedNow,
                        Err(other) => panic!("{state} {event} {role} owner={owner}: {other}"),
                    };
                    assert_eq!(
                        got,
                        expected(state, event, role, owner),
                        "{state} --{event}--> as {role} (owner: {owner}): {outcome:?}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(
        checked,
        9 * 14 * 5 * 2,
        "9 states, 14 events, 5 roles, owner or not"
    );
}

#[test]
fn marketplace_notes_are_required_where_the_spec_says() {
    let workflows = workflows();
    let marketplace = workflows.get("marketplace").unwrap();
    let cases = [
        ("paid", "order.rejected", Role::Seller),
        ("inprogress", "order.cancel_requested", Role::Seller),
        ("cancel_requested", "order.cancel_declined", Role::Seller),
        ("delivered", "order.requires_correction", Role::Customer),
        ("delivered", "order.dispute_opened", Role::Customer),
        ("disputing", "order.dispute_refunded", Role::Support),
        ("disputing", "order.dispute_released", Role::Admin),
        ("disputing", "order.dispute_resumed", Role::Support),
        ("paid", "order.force_cancelled", Role::Admin),
        // Support acting for a customer who phoned in.
        ("inprogress", "order.cancel_requested", Role::Support),
        ("delivered", "order.requires_correction", Role::Support),
    ];
    for (state, event, role) in cases {
        let subject = order("marketplace", state);
        let who = actor(role, true);
        let refusal = marketplace
            .decide(&subject, &who, event, None, test_now())
            .unwrap_err();
        assert!(
            matches!(refusal, Refusal::NoteRequired { .. }),
            "{event} as {role}: {refusal}"
        );
        let blank = marketplace
            .decide(&subject, &who, event, Some("   "), test_now())
            .unwrap_err();
        assert!(
            matches!(blank, Refusal::NoteRequired { .. }),
            "a blank note is no note"
        );
    }
    let subject = order("marketplace", "paid");
    assert!(
        marketplace
            .decide(
                &subject,
                &actor(Role::Seller, true),
                "order.accepted",
                None,
                test_now()
            )
            .is_ok()
    );
}

#[test]
fn the_third_cancel_request_escalates_to_a_dispute() {
    let workflows = workflows();
    let marketplace = workflows.get("marketplace").unwrap();
    let customer = actor(Role::Customer, true);
    let mut subject = order("marketplace", "inprogress");
    for (requests_before, to) in [
        (0, "cancel_requested"),
        (1, "cancel_requested"),
        (2, "disputing"),
        (5, "disputing"),
    ] {
        subject
            .counters
            .insert("cancel_requests".into(), requests_before);
        let decision = marketplace
            .decide(
                &subject,
                &customer,
                "order.cancel_requested",
                None,
                test_now(),
            )
            .unwrap();
        assert_eq!(decision.to, to, "with {requests_before} earlier requests");
        assert_eq!(decision.counters["cancel_requests"], requests_before + 1);
    }
    // The seller's candidate comes first and ignores the counter.
    let decision = marketplace
        .decide(
            &subject,
            &actor(Role::Seller, true),
            "order.cancel_requested",
            Some("sorry"),
            test_now(),
        )
        .unwrap();
    assert_eq!(decision.to, "cancelled");
    assert_eq!(
        decision.effects,
        vec![
            Effect::Refund(RefundShare::Full),
            "notify(customer)".parse().unwrap()
        ]
    );
}

#[test]
fn support_on_behalf_records_the_customer() {
    let workflows = workflows();
    let marketplace = workflows.get("marketplace").unwrap();
    let subject = order("marketplace", "inprogress");
    let decision = marketplace
        .decide(
            &subject,
            &actor(Role::Support, false),
            "order.cancel_requested",
            Some("customer phoned"),
            test_now(),
        )
        .unwrap();
    assert_eq!(
        decision.on_behalf_of.as_deref(),
        Some(crate::support::CUSTOMER)
    );
    let own = marketplace
        .decide(
            &subject,
            &actor(Role::Customer, true),
            "order.cancel_requested",
            None,
            test_now(),
        )
        .unwrap();
    assert_eq!(own.on_behalf_of, None);
}

#[test]
fn delivery_arms_the_auto_completion_timer() {
    let workflows = workflows();
    let marketplace = workflows.get("marketplace").unwrap();
    let subject = order("marketplace", "inprogress");
    let decision = marketplace
        .decide(
            &subject,
            &actor(Role::Seller, true),
            "order.delivered",
            None,
            test_now(),
        )
        .unwrap();
    let timer = decision.timer.expect("a timer");
    assert_eq!(timer.event, "order.auto_completed");
    assert_eq!(timer.due_at, test_now() + Duration::hours(72));

    let mut delivered = order("marketplace", "delivered");
    delivered.state_entered_at = test_now() - Duration::hours(71);
    let early = marketplace.decide(
        &delivered,
        &actor(Role::System, false),
        "order.auto_completed",
        None,
        test_now(),
    );
    assert!(matches!(
        early,
        Err(Refusal::NotAllowedNow {
            reason: BlockReason::TimerNotDue { .. },
            ..
        })
    ));
}

#[test]
fn menus_list_available_then_blocked_with_reasons() {
    let workflows = workflows();
    let marketplace = workflows.get("marketplace").unwrap();
    let subject = order("marketplace", "paid");
    let menu = marketplace.available_transitions(&subject, &actor(Role::Seller, true), test_now());
    let available: Vec<(&str, &str, bool)> = menu
        .available
        .iter()
        .map(|a| (a.event.as_str(), a.to.as_str(), a.note_required))
        .collect();
    assert_eq!(
        available,
        vec![
            ("order.accepted", "inprogress", false),
            ("order.rejected", "rejected", true)
        ]
    );
    let force = menu
        .blocked
        .iter()
        .find(|b| b.event == "order.force_cancelled")
        .unwrap();
    assert_eq!(force.reason.to_string(), "only admin may do this");
    let other =
        marketplace.available_transitions(&subject, &actor(Role::Seller, false), test_now());
    assert!(other.available.is_empty());
    let accept = other
        .blocked
        .iter()
        .find(|b| b.event == "order.accepted")
        .unwrap();
    assert_eq!(
        accept.reason.to_string(),
        "only the order's own seller may do this"
    );
}

#[test]
fn guard_failures_name_the_failing_values() {
    let workflows = workflows();
    let fulfilment = workflows.get("fulfilment").unwrap();
    let mut subject = order("fulfilment", "payment_failed");
    subject.counters.insert("payment_attempts".into(), 3);
    let refusal = fulfilment
        .decide(
            &subject,
            &actor(Role::Admin, false),
            "retry_payment",
            None,
            test_now(),
        )
        .unwrap_err();
    assert_eq!(
        refusal.to_string(),
        "retry_payment is not allowed now: payment attempts: 3 of 3"
    );
    subject.counters.insert("payment_attempts".into(), 2);
    assert!(
        fulfilment
            .decide(
                &subject,
                &actor(Role::Admin, false),
                "retry_payment",
                None,
                test_now()
            )
            .is_ok()
    );
}

/// Seed 001's table, verbatim: the legal targets from each state.
#[test]
fn artist_shop_targets_match_the_seed_table() {
    let seed: &[(&str, &[&str])] = &[
        ("NEW", &["IN_PROGRESS", "PENDING_PAYMENT", "CANCELLED"]),
        ("PENDING_PAYMENT", &["PAID"]),
        ("IN_PROGRESS", &["PENDING_PAYMENT", "PAID", "CANCELLED"]),
        ("PAID", &["TO_SHIP", "DONE", "CANCELLED"]),
        ("TO_SHIP", &["SHIPPED", "CANCELLED"]),
        ("SHIPPED", &["DONE"]),
        ("DONE", &[]),
        ("CANCELLED", &[]),
    ];
    let workflows = workflows();
    let shop = workflows.get("artist-shop").unwrap();
    assert_eq!(shop.states.len(), seed.len());
    for (state, targets) in seed {
        let mut subject = order("artist-shop", state);
        subject
            .attrs
            .insert("digital_only".into(), serde_json::Value::Bool(true));
        let mut reachable = BTreeSet::new();
        for role in Role::ALL {
            for a in shop
                .available_transitions(&subject, &actor(role, true), test_now())
                .available
            {
                reachable.insert(a.to);
            }
        }
        let expected: BTreeSet<String> = targets.iter().map(|s| s.to_string()).collect();
        assert_eq!(reachable, expected, "from {state}");
    }
    // Completing straight from PAID is only for digital-only orders.
    let physical = order("artist-shop", "PAID");
    let refusal = shop
        .decide(
            &physical,
            &actor(Role::Seller, true),
            "complete",
            None,
            test_now(),
        )
        .unwrap_err();
    assert!(
        refusal.to_string().contains("digital_only = false"),
        "{refusal}"
    );
    // Cancelling refunds only when leaving PAID or TO_SHIP.
    for (state, refunds) in [
        ("NEW", false),
        ("IN_PROGRESS", false),
        ("PAID", true),
        ("TO_SHIP", true),
    ] {
        let decision = shop
            .decide(
                &order("artist-shop", state),
                &actor(Role::Seller, true),
                "cancel",
                None,
                test_now(),
            )
            .unwrap();
        assert_eq!(
            decision
                .effects
                .contains(&Effect::Refund(RefundShare::Full)),
            refunds,
            "cancel from {state}"
        );
    }
}

/// The checkout refund policy at every boundary of seed 002.
#[test]
fn checkout_refund_policy_boundaries() {
    let workflows = workflows();
    let checkout = workflows.get("checkout").unwrap();
    let minutes = |days: f64| Duration::minutes((days * 24.0 * 60.0).round() as i64);
    type Expected = Result<(&'static str, Option<Effect>), &'static str>;
    let cases: &[(f64, i64, bool, Expected)] = &[
        (
            6.99,
            9_999,
            false,
            Ok(("refunded", Some(Effect::Refund(RefundShare::Full)))),
        ),
        (
            7.0,
            9_999,
            false,
            Ok((
                "partially_refunded",
                Some(Effect::Refund(RefundShare::Percent(50))),
            )),
        ),
        (6.99, 10_000, false, Ok(("refund_pending", None))),
        (
            7.0,
            10_000,
            false,
            Ok((
                "partially_refunded",
                Some(Effect::Refund(RefundShare::Percent(50))),
            )),
        ),
        (
            7.0,
            9_999,
            true,
            Ok((
                "partially_refunded",
                Some(Effect::Refund(RefundShare::Percent(75))),
            )),
        ),
        (
            29.0,
            10_000,
            true,
            Ok((
                "partially_refunded",
                Some(Effect::Refund(RefundShare::Percent(75))),
            )),
        ),
        (
            29.0,
            10_000,
            false,
            Ok((
                "partially_refunded",
                Some(Effect::Refund(RefundShare::Percent(50))),
            )),
        ),
        (
            30.0,
            10_000,
            true,
            Ok(("credit_issued", Some(Effect::Credit))),
        ),
        (
            30.0,
            10_000,
            false,
            Ok(("credit_issued", Some(Effect::Credit))),
        ),
        (
            89.0,
            500,
            false,
            Ok(("credit_issued", Some(Effect::Credit))),
        ),
        (90.0, 500, false, Err("Refund period expired")),
        (90.0, 500, true, Err("Refund period expired")),
    ];
    for (days, cents, premium, expected) in cases {
        let mut subject = order("checkout", "fulfilled");
        subject.placed_at = test_now() - minutes(*days);
        subject.amount_cents = *cents;
        subject
            .attrs
            .insert("premium".into(), serde_json::Value::Bool(*premium));
        let outcome = checkout.decide(
            &subject,
            &actor(Role::Customer, true),
            "request_refund",
            None,
            test_now(),
        );
        let label = format!("{days} days, {cents} cents, premium {premium}");
        match (expected, outcome) {
            (Ok((to, effect)), Ok(decision)) => {
                assert_eq!(decision.to, *to, "{label}");
                assert_eq!(
                    decision.effects.iter().find(|e| e.moves_money()).cloned(),
                    effect.clone(),
                    "{label}"
                );
            }
            (
                Err(message),
                Err(Refusal::NotAllowedNow {
                    reason: BlockReason::Refused(got),
                    ..
                }),
            ) => {
                assert_eq!(got, *message, "{label}")
            }
            (expected, got) => panic!("{label}: expected {expected:?}, got {got:?}"),
        }
    }
    // Support may request it for any order; another customer may not.
    let subject = order("checkout", "fulfilled");
    assert!(
        checkout
            .decide(
                &subject,
                &actor(Role::Support, false),
                "request_refund",
                None,
                test_now()
            )
            .is_ok()
    );
    let refusal = checkout
        .decide(
            &subject,
            &actor(Role::Customer, false),
            "request_refund",
            None,
            test_now(),
        )
        .unwrap_err();
    assert!(matches!(refusal, Refusal::NotPermitted { .. }));
}

const ACTORS: &[(Role, bool)] = &[
    (Role::Customer, true),
    (Role::Customer, false),
    (Role::Seller, true),
    (Role::Seller, false),
    (Role::Support, false),
    (Role::Admin, false),
    (Role::System, false),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random event sequences by random actors: every outcome is one the definition allows,
    /// no order is both paid out and fully refunded, and terminal states stay terminal.
    #[test]
    fn random_sequences_stay_within_the_definition(
        workflow_index in 0usize..4,
        steps in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..ACTORS.len(), any::<bool>(), 0i64..100), 1..40),
    ) {
        let workflows = workflows();
        let workflow = workflows.iter().nth(workflow_index).unwrap().clone();
        let events = workflow.events();
        let mut now = test_now();
        let mut subject = order(&workflow.name, &workflow.initial_state().id);
        subject.placed_at = now;
        let mut money: BTreeMap<&'static str, u32> = BTreeMap::new();
        let mut full_refunds = 0;
        for (event_pick, actor_pick, with_note, hours) in steps {
            now += Duration::hours(hours);
            let event = events[event_pick.index(events.len())];
            let (role, owner) = ACTORS[actor_pick];
            let who = actor(role, owner);
            let was_terminal = workflow.is_terminal(&subject.state);
            let note = with_note.then_some("because");
            // A refusal changes nothing: the snapshot is left as it was.
            if let Ok(decision) = workflow.decide(&subject, &who, event, note, now) {
                {
                    prop_assert!(!was_terminal, "left terminal state {}", subject.state);
                    let allowed = workflow.candidates(event).any(|t| {
                        t.leaves(&subject.state)
                            && t.target() == Some(decision.to.as_str())
                            && (t.roles.contains(&role) || t.on_behalf.contains(&role))
                    });
                    prop_assert!(allowed, "{} --{}--> {} by {} is not in the definition", subject.state, event, decision.to, role);
                    for effect in &decision.effects {
                        match effect {
                            Effect::Payout => *money.entry("payout").or_default() += 1,
                            Effect::Refund(share) => {
                                *money.entry("refund").or_default() += 1;
                                if *share == RefundShare::Full { full_refunds += 1; }
                            }
                            _ => {}
                        }
                    }
                    subject.state = decision.to;
                    subject.counters = decision.counters;
                    subject.state_entered_at = now;
                    subject.version += 1;
                }
            }
        }
        prop_assert!(money.get("payout").copied().unwrap_or(0) <= 1, "paid out twice");
        prop_assert!(money.get("refund").copied().unwrap_or(0) <= 1, "refunded twice");
        prop_assert!(!(full_refunds > 0 && money.contains_key("payout")), "both paid out and fully refunded");
    }
}
