//! `orderboard effects list|retry|resolve` from the real binary, on both databases: support
//! lists, resolves and cannot retry what is resolved; sellers are refused; bad input is one
//! sentence with exit 2.

use std::time::Duration;

use orderboard::store::EffectStatus;
use serde_json::Value;

use super::{sinks, start_runner, stop_runner, wait_for_effects};
use crate::db::both;
use crate::support::{create, run_as, set_up_users};

#[tokio::test]
async fn support_lists_and_settles_effects_on_the_command_line() {
    for db in both().await {
        set_up_users(&db);
        let id = create(&db, "fulfilment", &[]);
        // An admin may validate by hand; the effect it records finds no sink.
        let (code, _, stderr) = run_as(&db.url, "ada", &["advance", &id, "validate"]);
        assert_eq!(code, 0, "{stderr}");
        let office = db.backoffice().await;
        let admin = office
            .sign_in("ada", &orderboard::auth::Secret::new("correct horse"))
            .await
            .unwrap();
        let runner = start_runner(&office, sinks(&[]));
        let effects = wait_for_effects(&office, &admin, Duration::from_secs(20), |e| {
            e.len() == 1 && e[0].status() == EffectStatus::Unrouted
        })
        .await;
        stop_runner(runner).await;
        let effect = effects[0].id.to_string();

        let (code, stdout, stderr) = run_as(
            &db.url,
            "sue",
            &["effects", "list", "--status", "unrouted", "--json"],
        );
        assert_eq!(code, 0, "{stderr}");
        let listed: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(listed[0]["effect"], "inventory.check");
        assert_eq!(listed[0]["status"], "unrouted");
        assert_eq!(listed[0]["order_id"].to_string(), id);

        let (code, _, stderr) = run_as(&db.url, "sam", &["effects", "list"]);
        assert_eq!(code, 3, "{stderr}");
        assert!(stderr.contains("only support and admin"), "{stderr}");
        let (code, _, stderr) = run_as(&db.url, "sue", &["effects", "list", "--status", "lost"]);
        assert_eq!((code, stderr.lines().count()), (2, 1), "{stderr}");
        let (code, _, stderr) = run_as(&db.url, "sue", &["effects", "retry", "-3"]);
        assert_eq!(code, 2, "{stderr}");
        let (code, _, stderr) = run_as(
            &db.url,
            "sue",
            &["effects", "resolve", &effect, "--note", "  "],
        );
        assert_eq!(code, 2, "{stderr}");

        let (code, stdout, stderr) = run_as(
            &db.url,
            "sue",
            &[
                "effects",
                "resolve",
                &effect,
                "--note",
                "stock checked by phone",
            ],
        );
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("resolved"), "{stdout}");
        let (code, _, stderr) = run_as(&db.url, "sue", &["effects", "retry", &effect]);
        assert_eq!(code, 4, "{stderr}");
        assert!(stderr.contains("is resolved"), "{stderr}");
        let (code, stdout, _) = run_as(&db.url, "sue", &["history", &id, "--attempts"]);
        assert_eq!(code, 0);
        assert!(
            stdout.contains("sue: effect") && stdout.contains("stock checked by phone"),
            "{stdout}"
        );
    }
}
