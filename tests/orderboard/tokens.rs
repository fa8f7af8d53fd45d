//! API tokens from the command line: `token add | list | revoke`, admin only; the secret
//! printed once, stored only hashed, never logged; and the service's answer for a token
//! whose user was disabled, re-roled or whose token was revoked: at once.

use orderboard::domain::Role;
use orderboard::service::{Backoffice, ErrorKind};

use crate::db::{TestDb, both};
use crate::support::{run, run_as, set_up_users};

fn token_add(db: &TestDb, name: &str, user: &str) -> (i32, serde_json::Value, String) {
    let (code, stdout, stderr) = run_as(
        &db.url,
        "ada",
        &["token", "add", name, "--user", user, "--json"],
    );
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (code, json, stderr)
}

async fn acts_as(backoffice: &Backoffice, secret: &str) -> Result<(String, Role), ErrorKind> {
    backoffice
        .authenticate_token(secret)
        .await
        .map(|actor| (actor.name, actor.role))
        .map_err(|e| e.kind())
}

async fn token_commands(db: &TestDb) {
    set_up_users(db);
    let log = tempfile::NamedTempFile::new().unwrap();
    let log_path = log.path().to_str().unwrap();
    let (code, stdout, stderr) = run(
        &db.url,
        &[
            "--log", log_path, "--as", "ada", "token", "add", "shop", "--user", "clock", "--json",
        ],
        None,
    );
    assert_eq!(code, 0, "{}: {stderr}", db.backend);
    let added: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (&added["name"], &added["user"]),
        (&"shop".into(), &"clock".into())
    );
    let secret = added["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("obt_") && secret.len() == 68, "{secret}");
    assert_eq!(added.as_object().unwrap().len(), 3, "{added}");
    let logged = std::fs::read_to_string(log.path()).unwrap();
    assert!(logged.contains("API token added"), "{logged}");
    assert!(!logged.contains(&secret[4..]), "the secret reached the log");

    // Plain output prints the secret too, once; admins only; names are unique.
    let (code, stdout, _) = run_as(&db.url, "ada", &["token", "add", "desk", "--user", "sue"]);
    assert_eq!(code, 0);
    let desk = stdout.lines().last().unwrap().trim().to_string();
    assert!(desk.starts_with("obt_"), "{stdout}");
    assert_eq!(
        run_as(&db.url, "sam", &["token", "add", "x", "--user", "sam"]).0,
        3
    );
    assert_eq!(run_as(&db.url, "sam", &["token", "list"]).0, 3);
    assert_eq!(run_as(&db.url, "sue", &["token", "revoke", "shop"]).0, 3);
    let (code, _, stderr) = token_add(db, "shop", "sam");
    assert_eq!(
        (code, stderr.trim()),
        (2, "an API token named \"shop\" already exists")
    );
    assert_eq!(token_add(db, "ghost", "nobody").0, 2);
    assert_eq!(token_add(db, "bad name", "sam").0, 2);

    // The list never shows a secret or a hash.
    let (code, stdout, _) = run_as(&db.url, "ada", &["token", "list", "--json"]);
    assert_eq!(code, 0);
    assert!(
        !stdout.contains(&secret[4..]) && !stdout.contains("hash"),
        "{stdout}"
    );
    let listed: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    let names: Vec<_> = listed.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["desk", "shop"]);
    assert_eq!(listed[1]["user"], "clock");
    assert!(listed[1]["revoked_at"].is_null());

    let backoffice = db.backoffice().await;
    assert_eq!(
        acts_as(&backoffice, &secret).await,
        Ok(("clock".into(), Role::System))
    );
    assert_eq!(
        acts_as(&backoffice, "obt_0000").await,
        Err(ErrorKind::Unauthenticated)
    );
    assert_eq!(
        acts_as(&backoffice, "").await,
        Err(ErrorKind::Unauthenticated)
    );
    let (_, stdout, _) = run_as(&db.url, "ada", &["token", "list", "--json"]);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    assert!(!listed[1]["last_used_at"].is_null(), "{stdout}");

    // Revoked: refused from the next request on; revoking again is no error.
    assert_eq!(run_as(&db.url, "ada", &["token", "revoke", "shop"]).0, 0);
    assert_eq!(
        acts_as(&backoffice, &secret).await,
        Err(ErrorKind::Unauthenticated)
    );
    assert_eq!(run_as(&db.url, "ada", &["token", "revoke", "shop"]).0, 0);
    let (code, _, stderr) = run_as(&db.url, "ada", &["token", "revoke", "nope"]);
    assert_eq!((code, stderr.trim()), (2, "no API token is named \"nope\""));
    let (_, stdout, _) = run_as(&db.url, "ada", &["token", "list"]);
    assert!(stdout.contains("REVOKED"), "{stdout}");

    standing_read_on_every_call(db, &backoffice, &desk).await;
    backoffice.close().await;
}

/// The user's standing is read on every call: disabled at once, a new role at once.
async fn standing_read_on_every_call(db: &TestDb, backoffice: &Backoffice, desk: &str) {
    assert_eq!(
        acts_as(backoffice, desk).await,
        Ok(("sue".into(), Role::Support))
    );
    assert_eq!(run_as(&db.url, "ada", &["user", "disable", "sue"]).0, 0);
    assert_eq!(
        acts_as(backoffice, desk).await,
        Err(ErrorKind::Unauthenticated)
    );
    assert_eq!(run_as(&db.url, "ada", &["user", "enable", "sue"]).0, 0);
    assert_eq!(
        run_as(&db.url, "ada", &["user", "set-role", "sue", "admin"]).0,
        0
    );
    assert_eq!(
        acts_as(backoffice, desk).await,
        Ok(("sue".into(), Role::Admin))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_commands_on_both_backends() {
    for db in both().await {
        token_commands(&db).await;
    }
}
