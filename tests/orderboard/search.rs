//! Text search on both databases: the same answer through every path (board counts and
//! pages, lists, matches per workflow), within what the viewer may see; a number is that
//! order; a search too short to mean anything is refused.

use orderboard::demo::{Population, seed_bulk};
use orderboard::domain::{Actor, Role};
use orderboard::service::Backoffice;
use orderboard::store::OrderQuery;

use crate::db::both;
use crate::support::{people, test_now};

/// Every order of `viewer` in every workflow, counted without text.
async fn total(backoffice: &Backoffice, viewer: &Actor) -> i64 {
    let mut total = 0;
    for workflow in backoffice.workflows().names() {
        let counts = backoffice
            .counts(viewer, workflow, &OrderQuery::default())
            .await
            .unwrap();
        total += counts.iter().map(|(_, n)| n).sum::<i64>();
    }
    total
}

async fn matches(backoffice: &Backoffice, viewer: &Actor, text: &str) -> i64 {
    let counts = backoffice.match_counts(viewer, text).await.unwrap();
    counts.iter().map(|(_, n)| n).sum()
}

#[tokio::test]
async fn a_search_counts_the_same_everywhere_and_only_what_the_viewer_sees() {
    for db in both().await {
        let backoffice = db.backoffice().await;
        let (admin, sam, carol, _) = people(&backoffice).await;
        let zoe = Actor::new("zoe", Role::Seller);
        let actors = [admin.clone(), sam.clone(), carol.clone(), zoe.clone()];
        let workflows: Vec<String> = backoffice
            .workflows()
            .names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut rng = fastrand::Rng::with_seed(3);
        // carol is every order's customer; sam and zoe share them about evenly.
        seed_bulk(
            &backoffice,
            &admin,
            &actors,
            Population::accounts(&actors),
            &workflows,
            2_000,
            test_now(),
            &mut rng,
        )
        .await
        .unwrap();

        // sam's orders are all carol's.
        let sams = total(&backoffice, &sam).await;
        assert!((600..1_400).contains(&sams), "{sams}");
        assert_eq!(
            matches(&backoffice, &sam, "carol").await,
            sams,
            "{}",
            db.backend
        );
        assert_eq!(matches(&backoffice, &admin, "zoe").await, 2_000 - sams);
        assert_eq!(
            matches(&backoffice, &sam, "zoe").await,
            0,
            "a seller sees only theirs"
        );
        // Case is ignored, and the board's counts agree with the matches per workflow.
        assert_eq!(matches(&backoffice, &admin, "CAROL").await, 2_000);
        let (mut board_total, mut shown) = (0, 0);
        for workflow in &workflows {
            let query = OrderQuery {
                text: Some("carol".into()),
                limit: 60,
                ..OrderQuery::default()
            };
            let board = backoffice
                .board(&admin, Some(workflow.clone()), query, false)
                .await
                .unwrap();
            board_total += board.columns.iter().map(|c| c.count).sum::<i64>();
            shown += board.columns.iter().map(|c| c.cards.len()).sum::<usize>();
        }
        assert_eq!(board_total, 2_000, "{}", db.backend);
        assert!(shown > 100, "{}: {shown} cards shown", db.backend);
        // An order number is that order, whatever its text.
        let query = OrderQuery {
            text: Some("#17".into()),
            limit: 10,
            ..OrderQuery::default()
        };
        let listed = backoffice.list(&admin, &query).await.unwrap();
        assert_eq!(listed.iter().map(|o| o.id).collect::<Vec<_>>(), [17]);
        let refused = backoffice.match_counts(&admin, "ca").await.unwrap_err();
        assert_eq!(
            refused.to_string(),
            "a search needs at least 3 characters (or an order number)"
        );
    }
}
