//! Every route in-process, with each error status the API answers.

use axum::http::StatusCode;
use chrono::Utc;
use orderboard::domain::{Actor, Role};
use serde_json::{Value, json};

use super::{Api, on_both, order_body};

async fn creating_orders(api: &Api, db: &crate::db::TestDb) {
    let reply = api
        .post(
            "/orders",
            "ada",
            json!({"workflow": "marketplace", "customer": "carol",
            "seller": "sam", "title": "Logo", "amount": "125.00", "due": "2020-01-01T00:00:00Z",
            "attrs": {"rush": true}}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "{}: {}",
        db.backend,
        reply.body
    );
    let id = reply.body["id"].as_i64().unwrap();
    assert_eq!(reply.header("location"), format!("/orders/{id}"));
    assert_eq!(
        (
            &reply.body["amount_cents"],
            &reply.body["state"],
            &reply.body["late"]
        ),
        (&json!(12_500), &json!("paid"), &json!(true))
    );
    // A system account may create (a storefront); a seller may not.
    assert_eq!(
        api.post("/orders", "shop", order_body()).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        api.post("/orders", "sam", order_body()).await.problem().0,
        403
    );
    // Bad JSON is 400; JSON that parses but is invalid is 422.
    let raw = |body: &str| api.send("POST", "/orders", Some("ada"), &[], Some(body.into()));
    assert_eq!(raw("{\"workflow\":").await.problem().0, 400);
    assert_eq!(raw("").await.problem().0, 400);
    let invalid = |field: &str, value: Value| {
        let mut body = order_body();
        body[field] = value;
        api.post("/orders", "ada", body)
    };
    let amount = invalid("amount", json!("12.345")).await;
    assert_eq!(amount.problem().0, 422);
    assert_eq!(invalid("amount", json!(12)).await.problem().0, 422);
    assert_eq!(invalid("workflow", json!("nope")).await.problem().0, 422);
    assert_eq!(invalid("customer", json!("sam")).await.problem().0, 422);
    assert_eq!(invalid("due", json!("tomorrow")).await.problem().0, 422);
    assert_eq!(invalid("colour", json!("red")).await.problem().0, 422);
    assert_eq!(invalid("currency", json!("euro")).await.problem().0, 422);
    // Attributes: plain names and values of the declared type, as the CLI's --attr.
    for attrs in [
        json!({"nested": {"a": 1}}),
        json!({"list": [1, 2]}),
        json!({"\u{1b}[2Jevil": 1}),
        json!({"note": "x".repeat(5000)}),
    ] {
        assert_eq!(invalid("attrs", attrs).await.problem().0, 422);
    }
    let mut shop = order_body();
    shop["workflow"] = json!("artist-shop");
    shop["attrs"] = json!({"digital_only": "yes please"});
    let reply = api.post("/orders", "ada", shop).await;
    assert_eq!(
        reply.problem(),
        (422, "attribute digital_only must be true or false")
    );
}

#[tokio::test]
async fn creating_orders_on_both_backends() {
    on_both(creating_orders).await;
}

async fn listing_and_showing(api: &Api, db: &crate::db::TestDb) {
    let late = api.create(json!({"due": "2020-01-01T00:00:00Z"})).await;
    let mut ids = vec![late];
    for _ in 0..4 {
        ids.push(api.create(json!({})).await);
    }
    // Keyset pages: no order twice, none left out.
    let mut seen = Vec::new();
    let mut uri = "/orders?limit=2".to_string();
    loop {
        let page = api.get(&uri, "sam").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let orders = page.body["orders"].as_array().unwrap();
        assert!(orders.len() <= 2);
        seen.extend(orders.iter().map(|o| o["id"].as_i64().unwrap()));
        match page.body["next_after"].as_i64() {
            Some(after) => uri = format!("/orders?limit=2&after={after}"),
            None => break,
        }
    }
    assert_eq!(seen, ids, "{}", db.backend);
    let zoe = api.get("/orders", "zoe").await;
    assert_eq!(zoe.body["orders"], json!([]));
    let late_only = api
        .get("/orders?late=true&workflow=marketplace", "sam")
        .await;
    assert_eq!(late_only.body["orders"][0]["id"], late);
    assert_eq!(late_only.body["orders"].as_array().unwrap().len(), 1);
    let found = api
        .get(&format!("/orders?search={late}&state=paid"), "sam")
        .await;
    assert_eq!(found.body["orders"][0]["id"], late, "{}", found.body);
    for bad in [
        "limit=0",
        "limit=501",
        "limit=abc",
        "after=-1",
        "workflow=nope",
        "state=bogus",
        "late=maybe",
    ] {
        let reply = api.get(&format!("/orders?{bad}"), "sam").await;
        assert_eq!(reply.problem().0, 400, "{bad}");
    }

    // One order, with its menu and its version as ETag.
    let shown = api.get(&format!("/orders/{late}"), "sam").await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.header("etag"), "\"1\"");
    assert_eq!(shown.body["available"][0]["event"], "order.accepted");
    assert_eq!(api.get("/orders/abc", "sam").await.problem().0, 400);
    assert_eq!(api.get("/orders/0", "sam").await.problem().0, 400);
}

#[tokio::test]
async fn listing_and_showing_on_both_backends() {
    on_both(listing_and_showing).await;
}

/// Another seller's order and a missing one get the same 404, in every route; so do staff.
async fn hidden_is_missing(api: &Api, db: &crate::db::TestDb) {
    let id = api.create(json!({})).await;
    let missing = 999_999;
    for (method, path) in [
        ("GET", "/orders/{}"),
        ("GET", "/orders/{}/history"),
        ("POST", "/orders/{}/events/order.accepted"),
    ] {
        let answer = async |user: &str, order: i64| {
            let reply = api
                .send(
                    method,
                    &path.replace("{}", &order.to_string()),
                    Some(user),
                    &[],
                    None,
                )
                .await;
            let (status, detail) = reply.problem();
            (
                status,
                detail.replace(&order.to_string(), "N"),
                reply.body["type"].clone(),
            )
        };
        let hidden = answer("zoe", id).await;
        assert_eq!(
            hidden,
            answer("zoe", missing).await,
            "{path} on {}",
            db.backend
        );
        assert_eq!(hidden, answer("ada", missing).await, "{path}");
        assert_eq!(hidden.0, 404);
        assert_eq!(hidden.1, "order N does not exist or is not visible to you");
    }
}

#[tokio::test]
async fn a_hidden_order_is_answered_like_a_missing_one_on_both_backends() {
    on_both(hidden_is_missing).await;
}

/// An order a stuck session holds (a `psql` transaction left open on its row): the event
/// gives up after the lock wait with 503 and a sentence, changes nothing, and goes through
/// once the order is let go.
#[tokio::test]
async fn an_event_on_an_order_held_past_the_lock_wait_is_answered_503() {
    use sqlx::Connection;
    let Some(db) = crate::db::postgres().await else {
        return;
    };
    let api = Api::new(&db).await;
    let id = api.create(json!({})).await;
    let mut holder = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "BEGIN; SELECT id FROM orders WHERE id = {id} FOR UPDATE"
    )))
    .execute(&mut holder)
    .await
    .unwrap();
    let uri = format!("/orders/{id}/events/order.accepted");
    let held = api.send("POST", &uri, Some("sam"), &[], None).await;
    let (status, detail) = held.problem();
    assert_eq!(status, 503, "{}", held.body);
    assert_eq!(held.body["type"], "urn:orderboard:problem:busy");
    assert_eq!(held.header("retry-after"), "2");
    assert_eq!(
        detail,
        "another writer held it for over 10 s; nothing was changed, try again"
    );
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();
    let order = api.get(&format!("/orders/{id}"), "ada").await;
    assert_eq!(order.body["version"], 1, "{}", order.body);
    let applied = api.send("POST", &uri, Some("sam"), &[], None).await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
}

async fn applying_events(api: &Api, db: &crate::db::TestDb) {
    let id = api.create(json!({})).await;
    let event = |name: &str| format!("/orders/{id}/events/{name}");
    let applied = api
        .send(
            "POST",
            &event("order.accepted"),
            Some("sam"),
            &[("if-match", "\"1\"")],
            None,
        )
        .await;
    assert_eq!(
        applied.status,
        StatusCode::OK,
        "{}: {}",
        db.backend,
        applied.body
    );
    assert_eq!(
        applied.body,
        json!({"id": id, "event": "order.accepted", "from": "paid", "to": "inprogress",
            "version": 2, "effects": ["notify(customer)"]})
    );
    assert_eq!(applied.header("etag"), "\"2\"");
    // The version moved: If-Match fails (412), naming the current state and version.
    let stale = api
        .send(
            "POST",
            &event("order.delivered"),
            Some("sam"),
            &[("if-match", "\"1\"")],
            None,
        )
        .await;
    let (status, detail) = stale.problem();
    assert_eq!(status, 412);
    assert!(
        detail.contains("it is now \"inprogress\" at version 2"),
        "{detail}"
    );
    // Not allowed now: 409 with the reasons.
    let again = api.post(&event("order.accepted"), "sam", json!({})).await;
    assert_eq!(again.problem().0, 409);
    let reasons = again.body["reasons"].as_array().unwrap();
    assert!(
        reasons[0]
            .as_str()
            .unwrap()
            .contains("needs the order in paid"),
        "{reasons:?}"
    );
    // Bad input 400, not permitted 403, a body of the wrong shape 422.
    assert_eq!(
        api.post(&event("order.teleported"), "sam", json!({}))
            .await
            .problem()
            .0,
        400
    );
    let reply = api
        .send(
            "POST",
            &event("order.delivered"),
            Some("sam"),
            &[("if-match", "v2")],
            None,
        )
        .await;
    assert_eq!(reply.problem().0, 400);
    assert_eq!(
        api.post(&event("order.delivered"), "carol", json!({}))
            .await
            .problem()
            .0,
        403
    );
    assert_eq!(
        api.post(&event("order.delivered"), "sam", json!({"note": 5}))
            .await
            .problem()
            .0,
        422
    );
    assert_eq!(
        api.post(&event("order.delivered"), "sam", json!({"nope": ""}))
            .await
            .problem()
            .0,
        422
    );
    let broken = api
        .send(
            "POST",
            &event("order.delivered"),
            Some("sam"),
            &[],
            Some("{".into()),
        )
        .await;
    assert_eq!(broken.problem().0, 400);
    // With a note, and If-Match "*" for any version.
    let delivered = api
        .send(
            "POST",
            &event("order.delivered"),
            Some("sam"),
            &[("if-match", "*")],
            Some(json!({"note": "files attached"}).to_string()),
        )
        .await;
    assert_eq!(delivered.status, StatusCode::OK, "{}", delivered.body);

    history_and_attempts(api, id).await;
}

/// History, oldest first; attempts for support and admin only.
async fn history_and_attempts(api: &Api, id: i64) {
    let history = api.get(&format!("/orders/{id}/history"), "sam").await;
    let events: Vec<&str> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["order.accepted", "order.delivered"]);
    assert_eq!(history.body[1]["note"], "files attached");
    let attempts = api
        .get(&format!("/orders/{id}/history?attempts=true"), "sue")
        .await;
    assert!(
        attempts
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["attempt"] == true && a["actor"] == "carol"),
        "{}",
        attempts.body
    );
    assert_eq!(
        api.get(&format!("/orders/{id}/history?attempts=true"), "carol")
            .await
            .problem()
            .0,
        403
    );
    assert_eq!(
        api.get(&format!("/orders/{id}/history?attempts=7"), "sue")
            .await
            .problem()
            .0,
        400
    );
}

#[tokio::test]
async fn applying_events_on_both_backends() {
    on_both(applying_events).await;
}

/// The feed as JSON: oldest first, paged by id, only what the caller may see.
async fn the_feed(api: &Api, db: &crate::db::TestDb) {
    let id = api.create(json!({})).await;
    api.post(
        &format!("/orders/{id}/events/order.accepted"),
        "sam",
        json!({}),
    )
    .await;
    // On PostgreSQL an event is listed once every write that began before it has ended, and
    // other tests' writes run on the same server: look again for a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let feed = loop {
        let feed = api.get("/events", "sam").await;
        if feed.body.as_array().is_some_and(|a| a.len() >= 2)
            || std::time::Instant::now() > deadline
        {
            break feed;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(feed.status, StatusCode::OK);
    let kinds: Vec<(&str, i64)> = feed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["order_id"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("created", id), ("transition", id)],
        "{}",
        db.backend
    );
    let first = feed.body[0]["id"].as_i64().unwrap();
    let rest = api
        .get(&format!("/events?after={first}&limit=1"), "sam")
        .await;
    assert_eq!(rest.body.as_array().unwrap().len(), 1);
    assert_eq!(rest.body[0]["event"], "order.accepted");
    assert_eq!(api.get("/events", "zoe").await.body, json!([]));
    assert_eq!(api.get("/events?limit=0", "sam").await.problem().0, 400);
    assert_eq!(api.get("/events?after=x", "sam").await.problem().0, 400);
    let stream = api.send(
        "GET",
        "/events/stream",
        Some("sam"),
        &[("last-event-id", "x")],
        None,
    );
    assert_eq!(stream.await.problem().0, 400);
}

#[tokio::test]
async fn the_feed_as_json_on_both_backends() {
    on_both(the_feed).await;
}

/// Revoked tokens, disabled users: refused at the next request; a new role at once.
async fn tokens_refused_at_once(api: &Api, db: &crate::db::TestDb) {
    let admin = Actor::new("ada", Role::Admin);
    let id = api.create(json!({})).await;
    assert_eq!(api.get("/orders", "sam").await.status, StatusCode::OK);
    api.office.disable_user(&admin, "sam").await.unwrap();
    assert_eq!(
        api.get("/orders", "sam").await.problem().0,
        401,
        "{}",
        db.backend
    );
    api.office.enable_user(&admin, "sam").await.unwrap();
    assert_eq!(api.get("/orders", "sam").await.status, StatusCode::OK);
    api.office
        .revoke_token(&admin, "sam-token", Utc::now())
        .await
        .unwrap();
    let revoked = api.get("/orders", "sam").await;
    assert_eq!(
        revoked.problem(),
        (401, "the API token is missing, unknown or revoked")
    );
    assert_eq!(revoked.header("www-authenticate"), "Bearer");
    // A new role at once: carol, the order's customer, made a seller sees only her own sales.
    assert_eq!(
        api.get(&format!("/orders/{id}"), "carol").await.status,
        StatusCode::OK
    );
    api.office
        .set_user_role(&admin, "carol", Role::Seller)
        .await
        .unwrap();
    assert_eq!(
        api.get(&format!("/orders/{id}"), "carol").await.problem().0,
        404
    );
    // No token, a malformed header, an unknown token.
    assert_eq!(
        api.send("GET", "/orders", None, &[], None)
            .await
            .problem()
            .0,
        401
    );
    for header in [
        "Basic abc",
        "Bearer ",
        "Bearer obt_nope",
        "Bearerobt_x",
        "bearer",
    ] {
        let reply = api
            .send("GET", "/orders", None, &[("authorization", header)], None)
            .await;
        assert_eq!(reply.problem().0, 401, "{header}");
    }
    // The scheme's name in any case (RFC 9110).
    for scheme in ["bearer", "BEARER"] {
        let header = format!("{scheme} {}", api.tokens["ada"]);
        let reply = api
            .send("GET", "/orders", None, &[("authorization", &header)], None)
            .await;
        assert_eq!(reply.status, 200, "{scheme}");
    }
}

#[tokio::test]
async fn tokens_are_refused_at_once_on_both_backends() {
    on_both(tokens_refused_at_once).await;
}

async fn idempotency(api: &Api, db: &crate::db::TestDb) {
    let with_key = async |user: &str, key: &str| {
        let body = Some(order_body().to_string());
        api.send(
            "POST",
            "/orders",
            Some(user),
            &[("idempotency-key", key)],
            body,
        )
        .await
    };
    let first = with_key("ada", "k-1").await;
    let retry = with_key("ada", "k-1").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(
        (retry.status, &retry.body),
        (first.status, &first.body),
        "{}",
        db.backend
    );
    assert_eq!(retry.header("location"), first.header("location"));
    // Another user's key is theirs; a new key is a new order.
    let other = with_key("shop", "k-1").await;
    assert_ne!(other.body["id"], first.body["id"]);
    assert_ne!(with_key("ada", "k-2").await.body["id"], first.body["id"]);
    let orders = api.get("/orders", "ada").await;
    assert_eq!(orders.body["orders"].as_array().unwrap().len(), 3);
    // A failed request keeps no answer: the retry is tried afresh.
    let bad = api
        .send(
            "POST",
            "/orders",
            Some("ada"),
            &[("idempotency-key", "k-3")],
            Some(
                json!({"workflow": "marketplace", "customer": "sam", "seller": "sam",
            "title": "x", "amount": "1"})
                .to_string(),
            ),
        )
        .await;
    assert_eq!(bad.problem().0, 422);
    assert_eq!(with_key("ada", "k-3").await.status, StatusCode::CREATED);
    // Concurrent requests with one key create one order.
    let (a, b) = tokio::join!(with_key("ada", "k-4"), with_key("ada", "k-4"));
    let created: Vec<_> = [&a, &b]
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .map(|r| r.body["id"].clone())
        .collect();
    assert!(!created.is_empty());
    assert!(created.windows(2).all(|w| w[0] == w[1]), "{created:?}");
    assert_eq!(
        api.get("/orders", "ada").await.body["orders"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    let long = "k".repeat(256);
    assert_eq!(with_key("ada", &long).await.problem().0, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_creates_once_on_both_backends() {
    on_both(idempotency).await;
}

/// The router's own answers are problems too; a dead database is 500 without internals.
async fn router_answers(api: &Api, db: &crate::db::TestDb) {
    let health = api.send("GET", "/healthz", None, &[], None).await;
    assert_eq!(
        (health.status, &health.body["database"]),
        (StatusCode::OK, &json!("reachable"))
    );
    let nowhere = api.get("/nowhere", "sam").await;
    assert_eq!(nowhere.problem().0, 404);
    assert_eq!(nowhere.body["type"], "urn:orderboard:problem:no-route");
    let wrong = api.send("DELETE", "/orders", Some("ada"), &[], None).await;
    assert_eq!(wrong.problem().0, 405);
    assert!(wrong.header("allow").contains("GET"), "{:?}", wrong.headers);
    let big = format!("{{\"title\": \"{}\"}}", "x".repeat(70 * 1024));
    assert_eq!(
        api.send("POST", "/orders", Some("ada"), &[], Some(big))
            .await
            .problem()
            .0,
        413
    );
    api.office.close().await;
    let down = api.get("/orders", "sam").await;
    let health = api.send("GET", "/healthz", None, &[], None).await;
    // The token check reads the database first: a database that does not answer is 503
    // (try again), and no internals show.
    let (status, detail) = down.problem();
    assert_eq!(status, 503, "{}", db.backend);
    assert_eq!(detail, "the database does not answer right now; try again");
    assert_eq!(health.problem().0, 503);
}

#[tokio::test]
async fn the_routers_own_answers_are_problems_on_both_backends() {
    on_both(router_answers).await;
}

/// An event applied checks its token inside the apply path's transaction, even when the
/// token's user is remembered from a request a moment ago: a user disabled or given a new
/// role, or a token revoked, counts from the next request on, and the refused request
/// changes nothing.
async fn events_checked_at_the_moment_of_acting(api: &Api, db: &crate::db::TestDb) {
    const REFUSED: &str = "the API token is missing, unknown or revoked";
    let admin = Actor::new("ada", Role::Admin);
    let post = async |id: i64, event: &str| {
        let uri = format!("/orders/{id}/events/{event}");
        api.send("POST", &uri, Some("sam"), &[], None).await
    };
    let version =
        async |id: i64| api.get(&format!("/orders/{id}"), "ada").await.body["version"].clone();
    let (first, second) = (api.create(json!({})).await, api.create(json!({})).await);
    assert_eq!(
        post(first, "order.accepted").await.status,
        StatusCode::OK,
        "{}",
        db.backend
    );
    // Remembered: the next event costs no statement outside the apply path, so the token's
    // use is not noted again (other routes note it, at most once a minute).
    let last_used = async || {
        let tokens = api.office.tokens(&admin).await.unwrap();
        let sam = tokens.into_iter().find(|t| t.name == "sam-token").unwrap();
        sam.last_used_at
    };
    assert!(last_used().await.is_some());
    db.execute_raw("UPDATE api_tokens SET last_used_at = NULL")
        .await;
    let third = api.create(json!({})).await;
    assert_eq!(post(third, "order.accepted").await.status, StatusCode::OK);
    assert_eq!(last_used().await, None);

    api.office.disable_user(&admin, "sam").await.unwrap();
    assert_eq!(
        post(second, "order.accepted").await.problem(),
        (401, REFUSED)
    );
    api.office.enable_user(&admin, "sam").await.unwrap();
    // Made a customer, sam no longer sees the order (carol's): as if it did not exist.
    let customer = api.office.set_user_role(&admin, "sam", Role::Customer);
    customer.await.unwrap();
    assert_eq!(post(second, "order.accepted").await.problem().0, 404);
    assert_eq!(version(second).await, json!(1));
    let seller = api.office.set_user_role(&admin, "sam", Role::Seller);
    seller.await.unwrap();
    assert_eq!(post(second, "order.accepted").await.status, StatusCode::OK);

    let revoke = api.office.revoke_token(&admin, "sam-token", Utc::now());
    revoke.await.unwrap();
    let revoked = post(first, "order.delivered").await;
    assert_eq!(revoked.problem(), (401, REFUSED));
    assert_eq!(revoked.header("www-authenticate"), "Bearer");
    assert_eq!(version(first).await, json!(2));

    // A token that does not work is said before anything about the request's input.
    let malformed = "/orders/abc/events/order.accepted";
    let unknown = [("authorization", "Bearer obt_nope")];
    let reply = api.send("POST", malformed, None, &unknown, None).await;
    assert_eq!(reply.problem(), (401, REFUSED));
    assert_eq!(
        api.send("POST", malformed, Some("sam"), &[], None)
            .await
            .problem()
            .0,
        401
    );
    assert_eq!(
        api.send("POST", malformed, Some("ada"), &[], None)
            .await
            .problem()
            .0,
        400
    );
    let overlong = format!("Bearer obt_{}", "f".repeat(200));
    let header = [("authorization", overlong.as_str())];
    let deliver = format!("/orders/{third}/events/order.delivered");
    let reply = api.send("POST", &deliver, None, &header, None).await;
    assert_eq!(reply.problem(), (401, REFUSED));
    // An endless event name is refused before the apply path, which would keep it as a
    // refused attempt.
    let endless = format!("/orders/{third}/events/{}", "x".repeat(5000));
    let reply = api.send("POST", &endless, Some("ada"), &[], None).await;
    let (status, detail) = reply.problem();
    assert_eq!(status, 400);
    assert!(detail.contains("is not an event name"), "{detail}");
    let attempts = api
        .get(&format!("/orders/{third}/history?attempts=true"), "ada")
        .await;
    assert!(
        !attempts.body.to_string().contains("xxxx"),
        "{}",
        attempts.body
    );
}

#[tokio::test]
async fn events_are_checked_at_the_moment_of_acting_on_both_backends() {
    on_both(events_checked_at_the_moment_of_acting).await;
}
