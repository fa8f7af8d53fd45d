//! Timers a guard refuses stay due. A full page of them at the head of the due list must not
//! hold back the timers due after them, in `tick` or in the runner's rounds, on both databases.

use std::time::Duration;

use chrono::Utc;
use orderboard::domain::OrderId;
use orderboard::service::Backoffice;
use orderboard::workflow::Workflows;

use super::{sinks, start_runner, stop_runner};
use crate::db::both;
use crate::support::{draft, people};

/// A timer whose guard never passes (an amount is never negative).
const STUCK: &str = r#"
name = "stuck"

[[states]]
id = "waiting"
initial = true

[[states]]
id = "expired"
terminal = true

[[transitions]]
event = "expire"
from = ["waiting"]
to = "expired"
roles = ["system"]
guard = "amount_cents < 0"
after = "1s"
"#;

/// The runner's round and `tick`'s batch both read 500 due timers at a time
/// (`TIMER_ROUND`, `TIMER_BATCH`): a page of refusals and one more head the list.
const A_PAGE_AND_ONE: usize = 501;

#[tokio::test]
async fn refused_timers_at_the_head_do_not_hold_back_later_ones() {
    for db in both().await {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("stuck.toml"), STUCK).unwrap();
        std::fs::write(
            dir.path().join("prompt.toml"),
            STUCK
                .replace("\"stuck\"", "\"prompt\"")
                .replace("guard = \"amount_cents < 0\"\n", ""),
        )
        .unwrap();
        let workflows = Workflows::shipped_and_folder(Some(dir.path())).unwrap();
        let office = Backoffice::new(db.store().await, workflows);
        let (admin, ..) = people(&office).await;
        let hour_ago = Utc::now() - chrono::Duration::hours(1);
        for _ in 0..A_PAGE_AND_ONE {
            office
                .create_order(&admin, draft("stuck"), hour_ago)
                .await
                .unwrap();
        }
        let later = |minutes| hour_ago + chrono::Duration::minutes(minutes);

        let by_tick = office
            .create_order(&admin, draft("prompt"), later(1))
            .await
            .unwrap();
        let report = office.tick(&admin, Utc::now()).await.unwrap();
        assert_eq!(report.refused.len(), A_PAGE_AND_ONE, "{}", db.backend);
        let fired: Vec<OrderId> = report.fired.iter().map(|applied| applied.id).collect();
        assert_eq!(fired, [by_tick], "{}", db.backend);

        let by_runner = office
            .create_order(&admin, draft("prompt"), later(2))
            .await
            .unwrap();
        let runner = start_runner(&office, sinks(&[]));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while state(&office, &admin, by_runner).await != "expired" {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}: the runner never fired the timer behind the refused ones",
                db.backend
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stop_runner(runner).await;
        assert_eq!(state(&office, &admin, by_tick).await, "expired");
    }
}

async fn state(office: &Backoffice, admin: &orderboard::domain::Actor, id: OrderId) -> String {
    office.visible_order(admin, id).await.unwrap().state
}
