//! The story test again, as the TUI lives it: one marketplace order's life through the
//! board's desk, on the database (`Desk::Local`) and through `orderboard serve`
//! (`Desk::Remote`, one signed-in session per person), on SQLite and PostgreSQL alike. Each
//! step must answer the same way in both modes: the same kinds of refusal and sentences.

use chrono::Utc;
use orderboard::domain::{Actor, Role};
use orderboard::office::desk::Desk;
use orderboard::service::{ErrorKind, ServiceError, TimelineEntry};
use orderboard::store::Applied;

use crate::db::{TestDb, both};
use crate::remote_tui::remote;
use crate::story::STORY_EVENTS;
use crate::support::{ServeProcess, draft, people};

/// Each person of the story with the desk they work at.
struct Cast {
    admin: (Desk, Actor),
    seller: (Desk, Actor),
    customer: (Desk, Actor),
    support: (Desk, Actor),
    other_seller: (Desk, Actor),
}

async fn cast(db: &TestDb, serve: Option<&ServeProcess>) -> Cast {
    let backoffice = db.backoffice().await;
    let desk = |user: &'static str, role: Role| {
        let backoffice = backoffice.clone();
        async move {
            let desk = match serve {
                Some(serve) => remote(serve, user).await,
                None => Desk::Local(backoffice),
            };
            (desk, Actor::new(user, role))
        }
    };
    Cast {
        admin: desk("ada", Role::Admin).await,
        seller: desk("sam", Role::Seller).await,
        customer: desk("carol", Role::Customer).await,
        support: desk("sue", Role::Support).await,
        other_seller: desk("zoe", Role::Seller).await,
    }
}

async fn advance(
    (desk, actor): &(Desk, Actor),
    id: i64,
    event: &str,
    note: Option<&str>,
    version: Option<i64>,
) -> Result<Applied, ServiceError> {
    desk.advance(actor, id, event, note, version).await
}

fn refused(result: Result<Applied, ServiceError>, kind: ErrorKind, words: &str) {
    match result {
        Err(error) => {
            assert_eq!(error.kind(), kind, "{error}");
            assert!(error.to_string().contains(words), "{error}");
        }
        Ok(applied) => panic!("expected a refusal ({words}), got {applied:?}"),
    }
}

async fn story(db: &TestDb, serve: Option<&ServeProcess>) {
    let mode = if serve.is_some() {
        "through serve"
    } else {
        "on the database"
    };
    let cast = cast(db, serve).await;
    let admin = Actor::new("ada", Role::Admin);
    let id = db
        .backoffice()
        .await
        .create_order(&admin, draft("marketplace"), Utc::now())
        .await
        .unwrap();

    // The customer cannot accept; the seller can, at the version they saw.
    let not_theirs = advance(&cast.customer, id, "order.accepted", None, None).await;
    refused(
        not_theirs,
        ErrorKind::NotPermitted,
        "only seller may do this",
    );
    let accepted = advance(&cast.seller, id, "order.accepted", None, Some(1))
        .await
        .unwrap();
    assert_eq!(
        (accepted.to.as_str(), accepted.version),
        ("inprogress", 2),
        "{mode}"
    );

    // Another seller sees nothing of it, asked any way.
    let (zoe_desk, zoe) = &cast.other_seller;
    assert_eq!(
        zoe_desk.order_snapshot(zoe, id).await.unwrap(),
        None,
        "{mode}"
    );
    let unseen = zoe_desk.show(zoe, id).await.unwrap_err();
    assert_eq!(
        unseen.kind(),
        ErrorKind::Unseen { staff: false },
        "{mode}: {unseen}"
    );
    refused(
        advance(&cast.other_seller, id, "order.delivered", None, None).await,
        ErrorKind::Unseen { staff: false },
        &id.to_string(),
    );

    // Two cancellation requests, each declined; the third, relayed by support for a
    // customer who phoned, needs a note and escalates to a dispute.
    for _ in 0..2 {
        let asked = advance(&cast.customer, id, "order.cancel_requested", None, None).await;
        assert_eq!(asked.unwrap().to, "cancel_requested", "{mode}");
        let declined = advance(
            &cast.seller,
            id,
            "order.cancel_declined",
            Some("almost done"),
            None,
        )
        .await;
        assert_eq!(declined.unwrap().to, "inprogress", "{mode}");
    }
    let no_note = advance(&cast.support, id, "order.cancel_requested", None, None).await;
    refused(no_note, ErrorKind::BadInput, "needs a note");
    let escalated = advance(
        &cast.support,
        id,
        "order.cancel_requested",
        Some("customer phoned"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(escalated.to, "disputing", "{mode}");

    // A stale version is a conflict naming who moved it, the state and the version.
    let stale = advance(
        &cast.support,
        id,
        "order.dispute_refunded",
        Some("refund"),
        Some(2),
    );
    refused(stale.await, ErrorKind::Conflict, "disputing");
    let refunded = advance(
        &cast.support,
        id,
        "order.dispute_refunded",
        Some("seller unresponsive"),
        Some(7),
    )
    .await
    .unwrap();
    assert_eq!(
        refunded.effects,
        vec!["refund(full)", "notify(customer, seller)"],
        "{mode}"
    );

    // Terminal: nothing more, not even the admin's force-cancel.
    let after = advance(
        &cast.admin,
        id,
        "order.force_cancelled",
        Some("again"),
        None,
    )
    .await;
    refused(after, ErrorKind::NotAllowedNow, "not allowed now");

    let (carol_desk, carol) = &cast.customer;
    let view = carol_desk.show(carol, id).await.unwrap();
    assert_eq!(view.order.state, "cancelled", "{mode}");
    assert_eq!(view.order.counter("cancel_requests"), 3, "{mode}");
    let ledger: Vec<(&str, i64)> = view
        .ledger
        .iter()
        .map(|row| (row.kind.as_str(), row.amount_cents))
        .collect();
    assert_eq!(ledger, vec![("refund", 12_500)], "{mode}");
    assert!(
        view.effects.iter().any(|e| e.payload == "notify(support)"),
        "{mode}"
    );

    // The timeline: every transition in order, support's relay on the customer's behalf,
    // and the three refused attempts for support (a seller refused an order they cannot see
    // leaves none on it); customers do not see attempts.
    let (sue_desk, sue) = &cast.support;
    let timeline = sue_desk.timeline(sue, id, true).await.unwrap();
    let transitions: Vec<_> = timeline
        .iter()
        .filter_map(|entry| match entry {
            TimelineEntry::Transition(h) => Some(h),
            _ => None,
        })
        .collect();
    let events: Vec<&str> = transitions.iter().map(|h| h.event.as_str()).collect();
    assert_eq!(events, STORY_EVENTS, "{mode}");
    assert_eq!(
        transitions[5].on_behalf_of.as_deref(),
        Some("carol"),
        "{mode}"
    );
    let attempts = timeline
        .iter()
        .filter(|entry| matches!(entry, TimelineEntry::Attempt(_)))
        .count();
    assert_eq!(attempts, 3, "{mode}: {timeline:?}");
    let hidden = carol_desk.timeline(carol, id, true).await.unwrap_err();
    assert_eq!(hidden.kind(), ErrorKind::NotPermitted, "{mode}: {hidden}");

    // The seller's feed: the creation and every transition; the other seller's: none of it.
    let (sam_desk, sam) = &cast.seller;
    let feed = sam_desk.older_feed(sam, None, 100).await.unwrap();
    let of_order: Vec<_> = feed.iter().filter(|e| e.entry.order_id == id).collect();
    assert_eq!(of_order.len(), 8, "{mode}");
    assert_eq!(of_order.iter().filter(|e| e.created).count(), 1, "{mode}");
    assert!(
        zoe_desk
            .older_feed(zoe, None, 100)
            .await
            .unwrap()
            .iter()
            .all(|e| e.entry.order_id != id)
    );

    for (desk, _) in [
        &cast.admin,
        &cast.seller,
        &cast.customer,
        &cast.support,
        &cast.other_seller,
    ] {
        desk.close().await;
    }
}

#[tokio::test]
async fn the_story_at_the_desk_in_both_modes_on_both_backends() {
    for db in both().await {
        let backoffice = db.backoffice().await;
        people(&backoffice).await;
        story(&db, None).await;
        let serve = ServeProcess::start(&db.url, &[]);
        story(&db, Some(&serve)).await;
    }
}
