//! The story test: one marketplace order's life, run against SQLite and PostgreSQL alike.

use chrono::Duration;
use orderboard::domain::{Actor, Role, Visibility};
use orderboard::service::ServiceError;
use orderboard::store::{ApplyError, Store};
use orderboard::workflow::Refusal;

use crate::db::{TestDb, both};
use crate::support::{draft, people, test_now};

/// The story's transitions, in order: accepted, two cancellations declined, the third
/// escalated to a dispute, refunded.
pub const STORY_EVENTS: [&str; 7] = [
    "order.accepted",
    "order.cancel_requested",
    "order.cancel_declined",
    "order.cancel_requested",
    "order.cancel_declined",
    "order.cancel_requested",
    "order.dispute_refunded",
];

async fn story(db: &TestDb) {
    let (backoffice, store) = db.parts().await;
    let (admin, seller, customer, support) = people(&backoffice).await;
    let mut now = test_now();
    let id = backoffice
        .create_order(&admin, draft("marketplace"), now)
        .await
        .unwrap();

    // The customer cannot accept; the refusal is recorded for support to see.
    let refused = backoffice
        .advance(&customer, id, "order.accepted", None, None, now)
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            ServiceError::Apply(ApplyError::Refused(Refusal::NotPermitted { .. }))
        ),
        "{refused}"
    );

    let accepted = backoffice
        .advance(&seller, id, "order.accepted", None, Some(1), now)
        .await
        .unwrap();
    assert_eq!(
        (
            accepted.from.as_str(),
            accepted.to.as_str(),
            accepted.version
        ),
        ("paid", "inprogress", 2)
    );

    // Another seller sees nothing of it.
    let other = Actor::new("zoe", Role::Seller);
    assert!(
        backoffice
            .list(&other, &all_orders())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        backoffice.show(&other, id, now).await,
        Err(ServiceError::Unseen { .. })
    ));

    // Two cancellation requests, each declined; the third escalates to a dispute.
    for round in 0..2 {
        now += Duration::hours(1);
        let asked = backoffice
            .advance(&customer, id, "order.cancel_requested", None, None, now)
            .await
            .unwrap();
        assert_eq!(asked.to, "cancel_requested", "round {round}");
        let declined = backoffice
            .advance(
                &seller,
                id,
                "order.cancel_declined",
                Some("almost done"),
                None,
                now,
            )
            .await
            .unwrap();
        assert_eq!(declined.to, "inprogress");
    }
    // Support relays the third request for a customer who phoned: a note is required.
    let no_note = backoffice
        .advance(&support, id, "order.cancel_requested", None, None, now)
        .await
        .unwrap_err();
    assert!(matches!(
        no_note,
        ServiceError::Apply(ApplyError::Refused(Refusal::NoteRequired { .. }))
    ));
    let escalated = backoffice
        .advance(
            &support,
            id,
            "order.cancel_requested",
            Some("customer phoned"),
            None,
            now,
        )
        .await
        .unwrap();
    assert_eq!(escalated.to, "disputing");

    // A stale version is a conflict naming the current state and version.
    let stale = backoffice
        .advance(
            &support,
            id,
            "order.dispute_refunded",
            Some("refund"),
            Some(2),
            now,
        )
        .await
        .unwrap_err();
    match stale {
        ServiceError::Apply(ApplyError::Conflict {
            state,
            version,
            moved_by,
            ..
        }) => {
            assert_eq!((state.as_str(), version), ("disputing", 7));
            assert_eq!(
                moved_by,
                Some(("sue".to_string(), "order.cancel_requested".to_string()))
            );
        }
        other => panic!("expected a conflict, got {other}"),
    }
    let refunded = backoffice
        .advance(
            &support,
            id,
            "order.dispute_refunded",
            Some("seller unresponsive"),
            Some(7),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        refunded.effects,
        vec!["refund(full)", "notify(customer, seller)"]
    );

    // Terminal: nothing more, not even the admin's force-cancel.
    let after = backoffice
        .advance(
            &admin,
            id,
            "order.force_cancelled",
            Some("again"),
            None,
            now,
        )
        .await
        .unwrap_err();
    assert!(matches!(
        after,
        ServiceError::Apply(ApplyError::Refused(Refusal::NotAllowedNow { .. }))
    ));

    let view = backoffice.show(&customer, id, now).await.unwrap();
    assert_eq!(view.order.state, "cancelled");
    assert_eq!(view.order.counter("cancel_requests"), 3);
    assert_eq!(view.ledger.len(), 1);
    assert_eq!(
        (view.ledger[0].kind.as_str(), view.ledger[0].amount_cents),
        ("refund", 12_500)
    );
    assert!(view.effects.iter().any(|e| e.payload == "notify(support)"));

    let (history, attempts) = backoffice.history(&support, id, true).await.unwrap();
    let events: Vec<&str> = history.iter().map(|h| h.event.as_str()).collect();
    assert_eq!(events, STORY_EVENTS);
    assert_eq!(history[5].on_behalf_of.as_deref(), Some("carol"));
    assert_eq!(history[5].actor, "sue");
    assert!(history.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert_eq!(attempts[0].actor, "carol");
    assert_eq!(attempts[0].kind, "not_permitted");
    // Customers do not see attempts.
    assert!(matches!(
        backoffice.history(&customer, id, true).await,
        Err(ServiceError::NotPermitted(_))
    ));

    // The feed shows the seller the order's creation and every transition, in commit order
    // (on PostgreSQL once every write that began before them has ended: other tests write to
    // the same server, so look again for a moment).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let feed = loop {
        let feed = store
            .feed_after(0, &Visibility::for_actor(&seller), 100)
            .await
            .unwrap();
        if feed.len() >= 8 || std::time::Instant::now() > deadline {
            break feed;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(feed.len(), 8);
    assert!(feed[0].created && feed[1..].iter().all(|e| !e.created));
    assert!(
        store
            .feed_after(0, &Visibility::for_actor(&other), 100)
            .await
            .unwrap()
            .is_empty()
    );

    let report = orderboard::verify::verify_all(&store, backoffice.workflows())
        .await
        .unwrap();
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    assert_eq!((report.orders, report.transitions), (1, 7));

    append_only(&store, id).await;
    backoffice.close().await;
}

/// History, ledger and attempts refuse UPDATE and DELETE, and the ledger a second refund,
/// whatever SQL is sent.
async fn append_only(store: &Store, id: i64) {
    let statements: &[&'static str] = &[
        "UPDATE history SET note = 'rewritten'",
        "DELETE FROM history",
        "UPDATE ledger SET amount_cents = 0",
        "DELETE FROM ledger",
        "DELETE FROM attempts",
    ];
    for sql in statements {
        let outcome = match store {
            Store::Sqlite(s) => sqlx::query(*sql).execute(s.pool()).await.map(|_| ()),
            Store::Postgres(s) => sqlx::query(*sql).execute(s.pool()).await.map(|_| ()),
        };
        let error = outcome.expect_err(sql).to_string();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    let second_refund = "INSERT INTO ledger (order_id, version, kind, amount_cents, share_percent, at) VALUES ($1, 99, 'refund', 1, 100, '2026-01-01T00:00:00Z')";
    let outcome = match store {
        Store::Sqlite(s) => sqlx::query(second_refund)
            .bind(id)
            .execute(s.pool())
            .await
            .map(|_| ()),
        Store::Postgres(s) => sqlx::query(second_refund)
            .bind(id)
            .execute(s.pool())
            .await
            .map(|_| ()),
    };
    assert!(
        outcome.is_err(),
        "a second refund must be impossible at the database level"
    );
}

pub fn all_orders() -> orderboard::store::OrderQuery {
    orderboard::store::OrderQuery {
        limit: 100,
        ..Default::default()
    }
}

#[tokio::test]
async fn story_on_both_backends() {
    for db in both().await {
        story(&db).await;
    }
}

/// The explorer's keyset pages: two at a time, every entry once, newest first, both backends.
#[tokio::test]
async fn the_history_explorer_pages_without_gaps_or_repeats() {
    use orderboard::store::ExplorerFilter;
    for db in both().await {
        let backoffice = db.backoffice().await;
        let (admin, seller, customer, support) = people(&backoffice).await;
        for _ in 0..3 {
            let id = backoffice
                .create_order(&admin, draft("marketplace"), test_now())
                .await
                .unwrap();
            backoffice
                .advance(&seller, id, "order.accepted", None, None, test_now())
                .await
                .unwrap();
            // Refused, and kept as an attempt at the same moment as the transition.
            let _ = backoffice
                .advance(&customer, id, "order.delivered", None, None, test_now())
                .await;
        }
        let filter = ExplorerFilter::default();
        let everything = backoffice
            .explore_history(&support, &filter, None, 100)
            .await
            .unwrap();
        assert_eq!(everything.len(), 6, "{}", db.backend);
        let mut paged = Vec::new();
        let mut cursor = None;
        loop {
            let page = backoffice
                .explore_history(&support, &filter, cursor, 2)
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            cursor = Some(last.cursor());
            paged.extend(page);
        }
        assert_eq!(paged, everything, "{}", db.backend);
        assert!(matches!(
            backoffice.explore_history(&seller, &filter, None, 10).await,
            Err(ServiceError::NotPermitted(_))
        ));
    }
}
