//! Sessions over a real socket on both backends: sign-in with name and password gives a
//! token that sees what the user may see and nothing more; it is refused at once when its
//! owner signs out, when an admin ends it (an open event stream too), when the user is
//! disabled, and when it has been idle too long or reaches its absolute end.

use std::time::Duration;

use chrono::Utc;
use orderboard::auth::Secret;
use orderboard::domain::{Actor, Role};
use orderboard::service::SessionPolicy;
use serde_json::{Value, json};

use super::{Api, Served, client};
use crate::db::{TestDb, both};
use crate::support::draft;

/// Status and JSON body (Null when none) of a request with an optional bearer token.
async fn call(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut request = client().request(method.parse().unwrap(), url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn sign_in(base: &str, name: &str, password: &str) -> (u16, Value) {
    let body = json!({"name": name, "password": password});
    call("POST", &format!("{base}/sessions"), None, Some(body)).await
}

async fn sessions_work_and_end(db: &TestDb) {
    let api = Api::new(db).await;
    let admin = Actor::new("ada", Role::Admin);
    let mut zoes = draft("marketplace");
    zoes.seller = "zoe".into();
    let zoes = api
        .office
        .create_order(&admin, zoes, Utc::now())
        .await
        .unwrap();
    let sams = api
        .office
        .create_order(&admin, draft("marketplace"), Utc::now())
        .await
        .unwrap();
    let served = Served::start(&api.office, Default::default()).await;
    let base = served.base.clone();

    // Wrong password and unknown user: one answer, 401.
    let (status, wrong) = sign_in(&base, "sam", "not the password").await;
    let (unknown_status, unknown) = sign_in(&base, "nobody", "not the password").await;
    assert_eq!((status, unknown_status), (401, 401), "{wrong} {unknown}");
    assert_eq!(wrong["detail"], unknown["detail"]);
    let (status, _) = call(
        "POST",
        &format!("{base}/sessions"),
        None,
        Some(json!({"name": "sam"})),
    )
    .await;
    assert_eq!(status, 422, "a body without a password");

    // A session sees what its user may see, nothing more.
    let (status, opened) = sign_in(&base, "sam", "correct horse").await;
    assert_eq!(status, 201, "{opened}");
    let token = opened["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("obs_"));
    assert_eq!(
        (opened["user"].as_str(), opened["role"].as_str()),
        (Some("sam"), Some("seller"))
    );
    assert_eq!(opened["idle_timeout_seconds"], 30 * 60);
    let (status, own) = call("GET", &format!("{base}/orders/{sams}"), Some(&token), None).await;
    assert_eq!(status, 200, "{own}");
    let (status, other) = call("GET", &format!("{base}/orders/{zoes}"), Some(&token), None).await;
    let (_, missing) = call("GET", &format!("{base}/orders/999999"), Some(&token), None).await;
    assert_eq!(status, 404);
    assert_eq!(
        other["detail"]
            .as_str()
            .unwrap()
            .replace(&zoes.to_string(), "N"),
        missing["detail"].as_str().unwrap().replace("999999", "N"),
        "another seller's order answers as a missing one"
    );
    let (status, _) = call("GET", &format!("{base}/sessions"), Some(&token), None).await;
    assert_eq!(status, 403, "only an admin lists sessions");
    let accept = format!("{base}/orders/{sams}/events/order.accepted");
    let (status, applied) = call("POST", &accept, Some(&token), None).await;
    assert_eq!((status, &applied["to"]), (200, &json!("inprogress")));

    // The admin's list: sam's session, from the loopback address, without its token.
    let (status, list) = call(
        "GET",
        &format!("{base}/sessions"),
        Some(&api.tokens["ada"]),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let listed = &list.as_array().unwrap()[0];
    assert_eq!(listed["id"], opened["id"]);
    assert_eq!(listed["source"], "127.0.0.1");
    assert!(
        !list.to_string().contains(&token[4..]),
        "no token in the list"
    );

    // An admin ends it: refused at once, and the open event stream ends.
    let mut stream = client()
        .get(format!("{base}/events/stream"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let id = opened["id"].as_i64().unwrap();
    let ended = call(
        "DELETE",
        &format!("{base}/sessions/{id}"),
        Some(&api.tokens["ada"]),
        None,
    )
    .await;
    assert_eq!(ended.0, 204);
    let (status, refused) = call("GET", &format!("{base}/orders"), Some(&token), None).await;
    assert_eq!(status, 401, "{refused}");
    let deliver = format!("{base}/orders/{sams}/events/order.delivered");
    let (status, refused) = call("POST", &deliver, Some(&token), None).await;
    assert_eq!(status, 401, "{refused}");
    let ends = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    });
    ends.await
        .expect("the event stream of an ended session to end");
    let again = call(
        "DELETE",
        &format!("{base}/sessions/{id}"),
        Some(&api.tokens["ada"]),
        None,
    )
    .await;
    assert_eq!(again.0, 404, "{}", again.1);

    // Signing out ends the session; an API token is not a session.
    let (_, opened) = sign_in(&base, "sam", "correct horse").await;
    let token = opened["token"].as_str().unwrap();
    let out = call(
        "DELETE",
        &format!("{base}/sessions/current"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(out.0, 204, "{}", out.1);
    assert_eq!(
        call("GET", &format!("{base}/orders"), Some(token), None)
            .await
            .0,
        401
    );
    assert_eq!(
        call(
            "DELETE",
            &format!("{base}/sessions/current"),
            Some(token),
            None
        )
        .await
        .0,
        401
    );
    let machine = call(
        "DELETE",
        &format!("{base}/sessions/current"),
        Some(&api.tokens["sam"]),
        None,
    )
    .await;
    assert_eq!(machine.0, 400, "{}", machine.1);

    // A user disabled a second ago can do nothing with the session they hold.
    let (_, opened) = sign_in(&base, "zoe", "correct horse").await;
    let token = opened["token"].as_str().unwrap();
    assert_eq!(
        call("GET", &format!("{base}/orders"), Some(token), None)
            .await
            .0,
        200
    );
    api.office.disable_user(&admin, "zoe").await.unwrap();
    assert_eq!(
        call("GET", &format!("{base}/orders"), Some(token), None)
            .await
            .0,
        401
    );
    api.office.enable_user(&admin, "zoe").await.unwrap();
    let again = call("GET", &format!("{base}/orders"), Some(token), None).await;
    assert_eq!(
        again.0, 401,
        "enabling the user again does not revive the session"
    );

    served.stop().await.unwrap().unwrap();
    api.office.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_see_what_their_user_may_and_end_at_once_on_both_backends() {
    for db in both().await {
        sessions_work_and_end(&db).await;
    }
}

/// Idle and absolute ends, on short lifetimes (the service's check is what the API calls).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_when_idle_too_long_or_at_their_absolute_end() {
    let db = crate::db::sqlite();
    let api = Api::new(&db).await;
    let password = Secret::new("correct horse");
    let short_idle = api.office.clone().with_session_policy(SessionPolicy {
        idle: chrono::Duration::milliseconds(1500),
        absolute: chrono::Duration::hours(1),
    });
    let idle = short_idle
        .open_session("sam", &password, None, Utc::now())
        .await
        .unwrap();
    let secret = idle.secret.expose();
    assert!(short_idle.authenticate(secret).await.is_ok());
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let refused = short_idle.authenticate(secret).await.unwrap_err();
    assert!(refused.to_string().contains("sign in again"), "{refused}");
    assert!(
        short_idle.authenticate(secret).await.is_err(),
        "an expired session stays ended"
    );

    // In use every half second, it never goes idle (its use is noted often enough); an open
    // event stream's checks are not use, so a session only streamed goes idle.
    let kept = short_idle
        .open_session("sam", &password, None, Utc::now())
        .await
        .unwrap();
    let watched = short_idle
        .open_session("sam", &password, None, Utc::now())
        .await
        .unwrap();
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_millis(3000) {
        assert!(
            short_idle.authenticate(kept.secret.expose()).await.is_ok(),
            "in use"
        );
        let _ = short_idle.recheck(watched.secret.expose()).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        short_idle.recheck(watched.secret.expose()).await.is_err(),
        "only streamed"
    );

    let short_life = api.office.clone().with_session_policy(SessionPolicy {
        idle: chrono::Duration::hours(1),
        absolute: chrono::Duration::milliseconds(1500),
    });
    let busy = short_life
        .open_session("sam", &password, None, Utc::now())
        .await
        .unwrap();
    let secret = busy.secret.expose();
    let opened = std::time::Instant::now();
    while opened.elapsed() < Duration::from_millis(1200) {
        assert!(
            short_life.authenticate(secret).await.is_ok(),
            "in use before its end"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        short_life.authenticate(secret).await.is_err(),
        "however busy, past its absolute end"
    );
    let admin = Actor::new("ada", Role::Admin);
    let open: Vec<i64> = short_life
        .sessions(&admin, Utc::now())
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(open, [kept.id], "only the session kept in use is open");
    api.office.close().await;
}

/// Behind a reverse proxy (`serve --behind-proxy`) the connection's address is the proxy's:
/// it is not recorded nor counted for sign-in limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_proxy_the_connection_address_is_not_the_clients() {
    let db = crate::db::sqlite();
    let api = Api::new(&db).await;
    let limits = orderboard::http::Limits {
        limit_sign_ins_per_address: false,
        ..Default::default()
    };
    let served = Served::start(&api.office, limits).await;
    let (status, _) = sign_in(&served.base, "sam", "correct horse").await;
    assert_eq!(status, 201);
    let url = format!("{}/sessions", served.base);
    let (_, list) = call("GET", &url, Some(&api.tokens["ada"]), None).await;
    assert_eq!(list[0]["source"], Value::Null, "{list}");
    served.stop().await.unwrap().unwrap();
    api.office.close().await;
}

/// `orderboard session list | end` for admins: the list shows open sessions without their
/// secrets; ending one by id or all of a user's refuses them at once; others are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_list_and_end_sessions_from_the_command_line() {
    use crate::support::run_as;

    let db = crate::db::sqlite();
    let api = Api::new(&db).await;
    let password = Secret::new("correct horse");
    let mut secrets = Vec::new();
    for user in ["sam", "sam", "zoe"] {
        let opened = api
            .office
            .open_session(user, &password, Some("192.0.2.7"), Utc::now())
            .await
            .unwrap();
        secrets.push((opened.id, opened.secret));
    }
    let (code, stdout, stderr) = run_as(&db.url, "ada", &["session", "list", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let listed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(listed[0]["source"], "192.0.2.7");
    for (_, secret) in &secrets {
        assert!(
            !stdout.contains(&secret.expose()[4..]),
            "no secret in the list"
        );
    }
    assert_eq!(
        run_as(&db.url, "sam", &["session", "list"]).0,
        3,
        "not permitted"
    );

    let first = secrets[0].0.to_string();
    let (code, stdout, _) = run_as(&db.url, "ada", &["session", "end", &first]);
    assert_eq!(
        (code, stdout.trim()),
        (0, format!("ended session {first}").as_str())
    );
    assert!(
        api.office
            .authenticate(secrets[0].1.expose())
            .await
            .is_err()
    );
    assert!(api.office.authenticate(secrets[1].1.expose()).await.is_ok());
    let (code, stdout, _) = run_as(&db.url, "ada", &["session", "end", "--user", "sam"]);
    assert_eq!((code, stdout.trim()), (0, "ended 1 session(s) of sam"));
    assert!(
        api.office
            .authenticate(secrets[1].1.expose())
            .await
            .is_err()
    );
    assert!(
        api.office.authenticate(secrets[2].1.expose()).await.is_ok(),
        "zoe's stays"
    );

    let (code, _, stderr) = run_as(&db.url, "ada", &["session", "end", "x1"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("\"x1\" is not a session id"), "{stderr}");
    let (code, _, stderr) = run_as(&db.url, "ada", &["session", "end", &first]);
    assert!(
        code != 0 && stderr.contains(&format!("no session {first} is open")),
        "{stderr}"
    );
    let (code, _, stderr) = run_as(&db.url, "ada", &["session", "end", "--user", "nobody"]);
    assert!(code != 0 && !stderr.is_empty(), "{stderr}");
    api.office.close().await;
}

/// Failed sign-ins over the API are counted apart from the terminal's: a name locked over
/// the API (here from 127.0.0.1) still signs in at the terminal, so nobody on the network
/// can lock an admin out of it; and disabling a user ends their sessions at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_sign_in_locks_do_not_reach_the_terminal_and_disabling_ends_sessions() {
    let db = crate::db::sqlite();
    let api = Api::new(&db).await;
    let now = Utc::now();
    let orderboard::store::Store::Sqlite(store) = db.store().await else {
        unreachable!("a SQLite test database")
    };
    sqlx::query(
        "INSERT INTO sign_in_limits (kind, subject, failures, window_start, last_failure_at, locked_until) VALUES ('user', 'api:sam@127.0.0.1', 11, $1, $1, $2)",
    )
    .bind(now)
    .bind(now + chrono::Duration::minutes(15))
    .execute(store.pool())
    .await
    .unwrap();
    store.close().await;
    let served = Served::start(&api.office, Default::default()).await;
    let (status, _) = sign_in(&served.base, "sam", "correct horse").await;
    assert_eq!(status, 401, "locked over the API from this address");
    let password = Secret::new("correct horse");
    assert!(
        api.office.sign_in("sam", &password).await.is_ok(),
        "the terminal is not locked"
    );

    let (status, opened) = sign_in(&served.base, "zoe", "correct horse").await;
    assert_eq!(status, 201);
    let admin = Actor::new("ada", Role::Admin);
    api.office.disable_user(&admin, "zoe").await.unwrap();
    let url = format!("{}/sessions", served.base);
    let (_, list) = call("GET", &url, Some(&api.tokens["ada"]), None).await;
    assert_eq!(
        list,
        json!([]),
        "a disabled user's session is not listed as open"
    );
    api.office.enable_user(&admin, "zoe").await.unwrap();
    let token = opened["token"].as_str().unwrap();
    let orders = format!("{}/orders", served.base);
    assert_eq!(call("GET", &orders, Some(token), None).await.0, 401);
    served.stop().await.unwrap().unwrap();
    api.office.close().await;
}

/// A user signing in again and again keeps only the newest sessions open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_holds_a_bounded_number_of_sessions() {
    let db = crate::db::sqlite();
    let api = Api::new(&db).await;
    let password = Secret::new("correct horse");
    let mut secrets = Vec::new();
    for _ in 0..orderboard::service::MAX_SESSIONS_PER_USER + 2 {
        let opened = api
            .office
            .open_session("sam", &password, None, Utc::now())
            .await
            .unwrap();
        secrets.push(opened.secret);
    }
    assert!(api.office.authenticate(secrets[0].expose()).await.is_err());
    assert!(api.office.authenticate(secrets[1].expose()).await.is_err());
    assert!(api.office.authenticate(secrets[2].expose()).await.is_ok());
    let admin = Actor::new("ada", Role::Admin);
    let open = api.office.sessions(&admin, Utc::now()).await.unwrap();
    assert_eq!(
        open.len() as i64,
        orderboard::service::MAX_SESSIONS_PER_USER
    );
    api.office.close().await;
}
