//! The board's calls through `orderboard serve` (`Desk::Remote`, `POST /desk`) against the
//! same calls on the database (`Desk::Local`): the same answers, refusals and sentences for
//! every role, on both databases. A seller learns nothing of another seller's orders, by
//! call or through the event stream; an ended session is refused at once.

use std::sync::Arc;
use std::time::Duration;

use orderboard::auth::Secret;
use orderboard::domain::{Actor, Role};
use orderboard::office::ServerAddress;
use orderboard::office::desk::{Desk, RemoteDesk};
use orderboard::service::{ErrorKind, ServiceError};
use orderboard::store::live::LiveUpdate;
use orderboard::store::{ExplorerFilter, OrderQuery};
use serde::Serialize;
use serde_json::{Value, json};

use crate::db::{TestDb, both};
use crate::support::{ServeProcess, create, set_up_users};

/// An answer as comparable JSON: the value, or the refusal's kind and sentence.
fn answer<T: Serialize>(result: Result<T, ServiceError>) -> Value {
    match result {
        Ok(value) => json!({ "ok": value }),
        Err(error) => json!({ "kind": format!("{:?}", error.kind()), "error": error.to_string() }),
    }
}

/// A desk signed in to the server as `user` (password "correct horse").
pub async fn remote(serve: &ServeProcess, user: &str) -> Desk {
    let server = ServerAddress::parse(&serve.url, false).unwrap();
    let http = orderboard::office::http_client(None).unwrap();
    let password = Secret::new("correct horse");
    let (desk, standing) = RemoteDesk::open(http, server, Ok((user, &password)))
        .await
        .unwrap();
    assert_eq!(standing.unwrap().name, user);
    Desk::Remote(Arc::new(desk))
}

/// Every read of the board, as one JSON document.
async fn reads(desk: &Desk, actor: &Actor, mine: i64, theirs: i64) -> Value {
    let query = OrderQuery {
        limit: 60,
        ..OrderQuery::default()
    };
    let paid = OrderQuery {
        workflow: Some("marketplace".into()),
        state: Some("paid".into()),
        ..query.clone()
    };
    let mut board = answer(desk.board(actor, None, query.clone(), true).await);
    // The feed's position is read at the moment of asking; the rest must match.
    board["ok"]["as_of"] = Value::Null;
    json!({
        "board": board,
        "list": answer(desk.list(actor, &paid).await),
        "ledgered": answer(desk.list_with_ledger(actor, &paid).await),
        "counts": answer(desk.counts(actor, "marketplace", &query).await),
        "matches": answer(desk.match_counts(actor, "Logo").await),
        "mine": answer(desk.order_snapshot(actor, mine).await),
        "theirs": answer(desk.order_snapshot(actor, theirs).await),
        "show mine": answer(desk.show(actor, mine).await.map(|v| format!("{v:?}"))),
        "show theirs": answer(desk.show(actor, theirs).await.map(|v| format!("{v:?}"))),
        "timeline": answer(desk.timeline(actor, mine, actor.role >= Role::Support).await),
        "timeline theirs": answer(desk.timeline(actor, theirs, false).await),
        "feed": answer(desk.older_feed(actor, None, 30).await),
        "attention": answer(desk.effects_needing_attention(actor).await),
        "standing": answer(desk.standing(actor).await),
        "explorer": answer(desk.explore_history(actor, &ExplorerFilter::default(), None, 100).await),
        "users": answer(desk.users(actor).await),
        "view as": answer(desk.actor_to_view_as(actor, "sam").await),
        "bulk preview": answer(desk.bulk(actor, &[mine, theirs], "order.accepted", None, true).await),
        "a page too big": answer(desk.list(actor, &OrderQuery { limit: 1_000_000, ..paid.clone() }).await),
    })
}

/// Refused transitions (each leaves an attempt in the audit, so they run after the reads).
async fn refusals(desk: &Desk, actor: &Actor, mine: i64, theirs: i64) -> Value {
    json!({
        "a stale version": answer(desk.advance(actor, mine, "order.accepted", None, Some(99)).await),
        "theirs moved": answer(desk.advance(actor, theirs, "order.accepted", None, None).await),
        "a blank event": answer(desk.advance(actor, mine, "no such", None, None).await),
    })
}

/// The users, and a paid order of carol's for each seller: (sam's, zoe's).
fn two_sellers_orders(db: &TestDb) -> (i64, i64) {
    set_up_users(db);
    let mine: i64 = create(db, "marketplace", &[]).parse().unwrap();
    let (code, out, err) =
        crate::support::create_as(db, "ada", ["marketplace", "carol", "zoe", "80.00"]);
    assert_eq!(code, 0, "{err}");
    let theirs: i64 = out.lines().last().unwrap().trim().parse().unwrap();
    (mine, theirs)
}

#[tokio::test]
async fn the_board_reads_the_same_through_serve_for_every_role() {
    for db in both().await {
        same_answers_both_ways(&db).await;
    }
}

async fn same_answers_both_ways(db: &TestDb) {
    let (mine, theirs) = two_sellers_orders(db);
    let serve = ServeProcess::start(&db.url, &[]);
    let local = Desk::Local(db.backoffice().await);
    for (user, role) in [
        ("sam", Role::Seller),
        ("carol", Role::Customer),
        ("sue", Role::Support),
        ("ada", Role::Admin),
    ] {
        let actor = Actor::new(user, role);
        let through_serve = remote(&serve, user).await;
        let mut there = reads(&through_serve, &actor, mine, theirs).await;
        let mut here = reads(&local, &actor, mine, theirs).await;
        there["refusals"] = refusals(&through_serve, &actor, mine, theirs).await;
        here["refusals"] = refusals(&local, &actor, mine, theirs).await;
        for (key, value) in here.as_object().unwrap() {
            assert_eq!(
                &there[key], value,
                "{} as {user}: {key} differs through serve",
                db.backend
            );
        }
        through_serve.close().await;
    }
}

/// A seller through serve: no other seller's order by any call, nor by the event stream;
/// viewing as someone is for admins; an ended session is refused at the next call.
#[tokio::test]
async fn a_remote_seller_reaches_only_their_own_orders() {
    for db in both().await {
        only_their_own(&db).await;
    }
}

async fn only_their_own(db: &TestDb) {
    let (mine, theirs) = two_sellers_orders(db);
    let serve = ServeProcess::start(&db.url, &[]);
    let zoe = remote(&serve, "zoe").await;
    let zoe_actor = Actor::new("zoe", Role::Seller);

    let backoffice = db.backoffice().await;
    let sam = Actor::new("sam", Role::Seller);
    let now = chrono::Utc::now();
    backoffice
        .advance(&sam, mine, "order.accepted", None, None, now)
        .await
        .unwrap();
    backoffice
        .advance(&zoe_actor, theirs, "order.accepted", None, None, now)
        .await
        .unwrap();
    // The stream, from the start: zoe's own, and an admin's viewing the board as zoe.
    let seen = followed(&zoe, &zoe_actor, theirs).await;
    assert!(
        seen.iter().all(|id| *id != mine),
        "{}: zoe's stream showed sam's order: {seen:?}",
        db.backend
    );
    let admin_desk = remote(&serve, "ada").await;
    let as_zoe = admin_desk
        .actor_to_view_as(&Actor::new("ada", Role::Admin), "zoe")
        .await
        .unwrap();
    let seen = followed(&admin_desk, &as_zoe, theirs).await;
    assert!(
        seen.iter().all(|id| *id != mine),
        "{}: the admin viewing as zoe saw sam's order: {seen:?}",
        db.backend
    );

    // Calls: sam's order is not there, however it is asked for.
    assert_eq!(zoe.order_snapshot(&zoe_actor, mine).await.unwrap(), None);
    let unseen = zoe.show(&zoe_actor, mine).await.unwrap_err();
    let missing = zoe.show(&zoe_actor, 999_999).await.unwrap_err();
    assert_eq!(
        unseen.to_string().replace(&mine.to_string(), "N"),
        missing.to_string().replace("999999", "N")
    );
    // Viewing as another user is an admin's: the server checks, whatever the client says.
    let posing = Actor {
        viewed_by: Some("zoe".into()),
        ..Actor::new("sam", Role::Seller)
    };
    let refused = zoe
        .list(
            &posing,
            &OrderQuery {
                limit: 10,
                ..OrderQuery::default()
            },
        )
        .await;
    assert_eq!(refused.unwrap_err().kind(), ErrorKind::NotPermitted);

    // An admin ends zoe's sessions: her next call is refused, and says to sign in again.
    let admin = Actor::new("ada", Role::Admin);
    backoffice
        .end_sessions_of(&admin, "zoe", chrono::Utc::now())
        .await
        .unwrap();
    let ended = zoe.standing(&zoe_actor).await.unwrap_err();
    assert_eq!(ended.kind(), ErrorKind::Unauthenticated, "{ended}");
    let board = zoe
        .board(
            &zoe_actor,
            None,
            OrderQuery {
                limit: 10,
                ..OrderQuery::default()
            },
            false,
        )
        .await;
    assert_eq!(board.unwrap_err().kind(), ErrorKind::Unauthenticated);
}

/// The orders of the events a desk's stream delivers, from the first, until `until` is
/// accepted (10 s at most).
async fn followed(desk: &Desk, actor: &Actor, until: i64) -> Vec<i64> {
    let (sink, mut updates) = tokio::sync::mpsc::unbounded_channel();
    let follower = {
        let desk = desk.clone();
        let actor = actor.clone();
        tokio::spawn(async move {
            desk.follow_feed(&actor, 0, Duration::from_millis(50), sink)
                .await
        })
    };
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let update = tokio::time::timeout_at(deadline, updates.recv())
            .await
            .expect("the awaited transition within 10 s")
            .unwrap();
        if let LiveUpdate::Events(events) = update {
            let done = events
                .iter()
                .any(|e| e.entry.order_id == until && e.entry.event == "order.accepted");
            seen.extend(events.iter().map(|e| e.entry.order_id));
            if done {
                break;
            }
        }
    }
    follower.abort();
    seen
}

/// `POST /desk` as an attacker would send it: unknown fields, a long view-as name, more
/// orders in one bulk call than it takes, one order named ten thousand times. Each is one
/// clear refusal or is taken once; "view as" answers stay read-only.
#[tokio::test]
async fn the_desk_refuses_what_it_cannot_take() {
    let db = crate::db::sqlite();
    set_up_users(&db);
    let mine: i64 = create(&db, "marketplace", &[]).parse().unwrap();
    let serve = ServeProcess::start(&db.url, &[]);
    let http = orderboard::office::http_client(None).unwrap();
    let token = |user: &str| {
        let http = http.clone();
        let url = format!("{}/sessions", serve.url);
        let body = json!({"name": user, "password": "correct horse"});
        async move {
            let opened: Value = http
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            opened["token"].as_str().unwrap().to_string()
        }
    };
    let (carol, ada) = (token("carol").await, token("ada").await);
    let desk = |token: &str, body: Value| {
        http.post(format!("{}/desk", serve.url))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let sorry = |status: u16, words: &'static str| {
        move |(got, body): (u16, Value)| {
            assert_eq!(got, status, "{body}");
            assert!(body["detail"].as_str().unwrap().contains(words), "{body}");
        }
    };
    async fn read(reply: reqwest::Response) -> (u16, Value) {
        (
            reply.status().as_u16(),
            reply.json().await.unwrap_or(Value::Null),
        )
    }

    let extra = json!({"view_as": null, "call": {"call": "show", "order_id": mine, "admin": true}});
    sorry(422, "unknown field")(read(desk(&carol, extra).await.unwrap()).await);
    let unit_extra = json!({"view_as": null, "call": {"call": "attention", "admin": true}});
    sorry(422, "unknown field")(read(desk(&carol, unit_extra).await.unwrap()).await);
    let query_extra = json!({"view_as": null, "call": {"call": "list", "query": {"workflow": null, "state": null, "due_before": null, "text": null, "acted_by": null, "needs_attention": false, "after_id": null, "after_key": null, "sort": "id", "limit": 10, "visibility": "all"}}});
    sorry(422, "unknown field")(read(desk(&carol, query_extra).await.unwrap()).await);
    let long_name = json!({"view_as": "x".repeat(5_000), "call": {"call": "users"}});
    sorry(400, "at most 200")(read(desk(&ada, long_name).await.unwrap()).await);
    let ids: Vec<i64> = (1..=1_001).collect();
    let too_many = json!({"view_as": null, "call": {"call": "bulk", "ids": ids, "event": "order.accepted", "note": null, "dry_run": true}});
    sorry(400, "at most 1000 orders")(read(desk(&ada, too_many).await.unwrap()).await);

    // The server's own bounds, and read-only "view as", whatever a client checks first.
    let huge_page = json!({"view_as": null, "call": {"call": "list", "query": {"workflow": null, "state": null, "due_before": null, "text": null, "acted_by": null, "needs_attention": false, "after_id": null, "after_key": null, "sort": "id", "limit": 1_000_000}}});
    sorry(400, "a page holds 1 to 1000")(read(desk(&carol, huge_page).await.unwrap()).await);
    let posing = json!({"view_as": "carol", "call": {"call": "advance", "order_id": mine, "event": "order.cancel_requested", "note": null, "version": null}});
    sorry(403, "read-only")(read(desk(&ada, posing).await.unwrap()).await);

    // carol (the customer) names her order 1,000 times: one refusal, one attempt recorded.
    let same = vec![mine; 1_000];
    let repeated = json!({"view_as": null, "call": {"call": "bulk", "ids": same, "event": "order.accepted", "note": null, "dry_run": false}});
    let (status, body) = read(desk(&carol, repeated).await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"].as_array().unwrap().len(), 1, "{body}");
    let backoffice = db.backoffice().await;
    let (_, attempts) = backoffice
        .history(&Actor::new("ada", Role::Admin), mine, true)
        .await
        .unwrap();
    assert_eq!(attempts.len(), 1, "{attempts:?}");

    // An admin's "standing" while viewing as carol keeps the read-only marker.
    let standing = json!({"view_as": "carol", "call": {"call": "standing"}});
    let (status, body) = read(desk(&ada, standing).await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"]["viewed_by"], "ada", "{body}");
}
