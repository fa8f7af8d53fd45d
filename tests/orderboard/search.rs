//! Text search on both databases: the same answer through every path (board counts and
//! pages, lists, matches per workflow), within what the viewer may see; a number is that
//! order; a search too short to mean anything is refused.

use orderboard::demo::{Population, seed_bulk};
use orderboard::domain::search::MATCHES_READ;
use orderboard::domain::{Actor, OrderSort, Role, Visibility};
use orderboard::service::{Backoffice, OrderDraft};
use orderboard::store::OrderQuery;

use crate::db::both;
use crate::support::{draft, people, test_now};

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
        let workflows = backoffice.workflows().names_owned();
        // carol is every order's customer; sam and zoe share them about evenly.
        seed_orders(&backoffice, &admin, &actors, 2_000, 3).await;

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

/// The people and `orders` bulk orders of carol's from sam; the backoffice and its admin.
async fn crowded(db: &crate::db::TestDb, orders: usize, rng_seed: u64) -> (Backoffice, Actor) {
    let backoffice = db.backoffice().await;
    let (admin, sam, carol, _) = people(&backoffice).await;
    let actors = [admin.clone(), sam, carol];
    seed_orders(&backoffice, &admin, &actors, orders, rng_seed).await;
    (backoffice, admin)
}

/// A marketplace order of carol's from sam, titled `title`.
async fn create_titled(backoffice: &Backoffice, admin: &Actor, title: &str) {
    let order = OrderDraft {
        title: title.into(),
        ..draft("marketplace")
    };
    backoffice
        .create_order(admin, order, test_now())
        .await
        .unwrap();
}

/// Bulk orders among `actors` (a customer's and sellers'), in every workflow.
async fn seed_orders(
    backoffice: &Backoffice,
    admin: &Actor,
    actors: &[Actor],
    orders: usize,
    rng_seed: u64,
) {
    let workflows = backoffice.workflows().names_owned();
    let mut rng = fastrand::Rng::with_seed(rng_seed);
    seed_bulk(
        backoffice,
        admin,
        actors,
        Population::accounts(actors),
        &workflows,
        orders,
        test_now(),
        &mut rng,
    )
    .await
    .unwrap();
}

/// A board searched by text answers from the search's matches (read once); its pages in
/// every sort are the ones the store's own statements give, page after page, for staff and
/// for a seller.
#[tokio::test]
async fn a_searched_column_pages_in_every_sort_as_the_store_does() {
    for db in both().await {
        let backoffice = db.backoffice().await;
        let (admin, sam, carol, _) = people(&backoffice).await;
        let zoe = Actor::new("zoe", Role::Seller);
        seed_orders(
            &backoffice,
            &admin,
            &[admin.clone(), sam.clone(), carol.clone(), zoe],
            1_500,
            5,
        )
        .await;
        let store = db.store().await;
        for viewer in [&admin, &sam] {
            for text in ["zoe", "CAROL", "sam"] {
                for sort in OrderSort::ALL {
                    for state in ["placed", "paid", "accepted", "delivered"] {
                        let mut query = OrderQuery {
                            workflow: Some("marketplace".into()),
                            state: Some(state.into()),
                            text: Some(text.into()),
                            sort,
                            limit: 7,
                            ..OrderQuery::default()
                        };
                        let mut pages = 0;
                        loop {
                            let page = backoffice.list(viewer, &query).await.unwrap();
                            let expected = store
                                .list_orders(&Visibility::for_actor(viewer), &query)
                                .await
                                .unwrap();
                            let ids = |orders: &[orderboard::domain::Order]| {
                                orders.iter().map(|o| o.id).collect::<Vec<_>>()
                            };
                            assert_eq!(
                                ids(&page),
                                ids(&expected),
                                "{}: {} searching {text} in {state} by {sort:?}, page {pages}",
                                db.backend,
                                viewer.name
                            );
                            let Some(last) = page.last() else { break };
                            query.after_id = Some(last.id);
                            query.after_key = sort.key(last);
                            pages += 1;
                        }
                    }
                }
            }
        }
    }
}

/// A search never answers from before a change: an order created after a search is in the
/// next one at once, on PostgreSQL even while a transaction of another connection, which
/// holds the feed's position back, is still in flight.
#[tokio::test]
async fn a_new_order_is_found_by_the_next_search() {
    for db in both().await {
        let backoffice = db.backoffice().await;
        let (admin, ..) = people(&backoffice).await;
        let _in_flight = if db.backend == "postgres" {
            use sqlx::Connection;
            let mut connection = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::raw_sql("BEGIN; SELECT pg_current_xact_id();")
                .execute(&mut connection)
                .await
                .unwrap();
            Some(connection)
        } else {
            None
        };
        let text = "Lighthouse poster";
        assert_eq!(matches(&backoffice, &admin, text).await, 0);
        create_titled(&backoffice, &admin, "A lighthouse POSTER, framed").await;
        assert_eq!(
            matches(&backoffice, &admin, text).await,
            1,
            "{}",
            db.backend
        );
        let query = OrderQuery {
            text: Some(text.into()),
            limit: 10,
            ..OrderQuery::default()
        };
        let board = backoffice
            .board(&admin, Some("marketplace".into()), query, false)
            .await
            .unwrap();
        let found: i64 = board.columns.iter().map(|c| c.count).sum();
        assert_eq!(found, 1, "{}", db.backend);
        assert!(!board.matches_capped);
    }
}

/// PostgreSQL commits out of order: an order whose creation took a lower event id can
/// commit after one with a higher id. While a transaction in flight elsewhere holds the
/// feed's position back, the next search must still see it.
#[tokio::test]
async fn a_search_sees_an_order_committed_out_of_order() {
    use sqlx::Connection;
    let Some(db) = crate::db::postgres().await else {
        return;
    };
    let backoffice = db.backoffice().await;
    let (admin, ..) = people(&backoffice).await;
    let text = "Lighthouse poster";
    let mut in_flight = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql("BEGIN; SELECT pg_current_xact_id();")
        .execute(&mut in_flight)
        .await
        .unwrap();
    // The late order takes its event id first, and commits last.
    let mut late = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql("BEGIN").execute(&mut late).await.unwrap();
    let now = test_now();
    let id: i64 = sqlx::query_scalar(orderboard::store::sql::INSERT_ORDER)
        .bind("marketplace")
        .bind("paid")
        .bind("carol")
        .bind("sam")
        .bind("A lighthouse POSTER, late")
        .bind(1_000_i64)
        .bind("EUR")
        .bind(now)
        .bind(None::<chrono::DateTime<chrono::Utc>>)
        .bind(now)
        .bind(None::<String>)
        .bind(None::<chrono::DateTime<chrono::Utc>>)
        .bind("{}")
        .bind(now)
        .fetch_one(&mut late)
        .await
        .unwrap();
    sqlx::query(orderboard::store::sql::INSERT_CREATION)
        .bind(id)
        .bind(now)
        .bind("ada")
        .bind("admin")
        .bind("paid")
        .execute(&mut late)
        .await
        .unwrap();
    backoffice
        .create_order(&admin, draft("marketplace"), now)
        .await
        .unwrap();
    assert_eq!(matches(&backoffice, &admin, text).await, 0);
    sqlx::raw_sql("COMMIT").execute(&mut late).await.unwrap();
    assert_eq!(matches(&backoffice, &admin, text).await, 1);
    drop(in_flight);
}

/// What a search holds is text, never the index's syntax: quotes, operators and wildcards
/// match themselves, on both databases.
#[tokio::test]
async fn a_search_is_text_whatever_it_holds() {
    for db in both().await {
        let backoffice = db.backoffice().await;
        let (admin, ..) = people(&backoffice).await;
        let titles = [
            r#"Sale: 50% off "deal" NEAR(x) a_b\c*"#,
            "Plain poster OR print",
            "Another order",
        ];
        for title in titles {
            let order = OrderDraft {
                title: title.into(),
                ..draft("marketplace")
            };
            backoffice
                .create_order(&admin, order, test_now())
                .await
                .unwrap();
        }
        for (text, expected) in [
            (r#""deal""#, 1),
            ("50%", 1),
            ("0% o", 1),
            ("a_b", 1),
            ("a%b", 0),
            (r"b\c*", 1),
            ("NEAR(x)", 1),
            ("poster OR print", 1),
            ("poster OR another", 0),
            (r#"" OR ""#, 0),
            ("*der", 0),
            ("order", 1),
            ("ORDER", 1),
            ("rder", 1),
            ("an*", 0),
        ] {
            assert_eq!(
                matches(&backoffice, &admin, text).await,
                expected,
                "{}: {text}",
                db.backend
            );
        }
    }
}

/// A text in more orders than a search reads answers from the newest ones, and says so.
#[tokio::test]
async fn a_search_in_more_orders_than_it_reads_says_so() {
    for db in both().await {
        let (backoffice, admin) = crowded(&db, MATCHES_READ + 200, 5).await;
        assert_eq!(
            matches(&backoffice, &admin, "carol").await,
            MATCHES_READ as i64
        );
        let query = OrderQuery {
            text: Some("carol".into()),
            limit: 5,
            ..OrderQuery::default()
        };
        let board = backoffice
            .board(&admin, Some("marketplace".into()), query.clone(), false)
            .await
            .unwrap();
        assert!(board.matches_capped, "{}", db.backend);
        // What must be whole (a column's list, as bulk and export read it, and its counts)
        // reads every match, as the store's statements do.
        let store = db.store().await;
        for state in ["placed", "paid", "accepted", "delivered"] {
            let column = OrderQuery {
                workflow: Some("marketplace".into()),
                state: Some(state.into()),
                limit: 20_000,
                ..query.clone()
            };
            let listed = backoffice.list(&admin, &column).await.unwrap();
            let whole = store
                .list_orders(&Visibility::Everything, &column)
                .await
                .unwrap();
            assert_eq!(listed.len(), whole.len(), "{}: {state}", db.backend);
        }
        let counted = backoffice
            .counts(&admin, "marketplace", &query)
            .await
            .unwrap();
        let whole = store
            .count_by_state("marketplace", &Visibility::Everything, &query)
            .await
            .unwrap();
        assert_eq!(counted, whole, "{}", db.backend);
        let all: i64 = whole.iter().map(|(_, n)| n).sum();
        assert!(all > 0, "{}", db.backend);
        // Fewer than every order is not capped.
        let board = backoffice
            .board(
                &admin,
                Some("marketplace".into()),
                OrderQuery {
                    text: Some("#3".into()),
                    ..query
                },
                false,
            )
            .await
            .unwrap();
        assert!(!board.matches_capped);
    }
}

/// On PostgreSQL a search first reads the newest orders, and then the older ones by the way
/// what it saw calls for (newest first, or every match through the trigram index, sorted):
/// whatever the split and the way, the set is the one a single statement over every order
/// gives. Among the texts, one that only the newest orders hold, and one they never hold.
#[tokio::test]
async fn a_postgres_search_split_by_age_finds_what_one_statement_does() {
    let Some(db) = crate::db::postgres().await else {
        return;
    };
    let (backoffice, admin) = crowded(&db, MATCHES_READ + 300, 11).await;
    for _ in 0..150 {
        create_titled(&backoffice, &admin, "Bench order").await;
    }
    let orderboard::store::Store::Postgres(store) = db.store().await else {
        unreachable!("a PostgreSQL test database");
    };
    let viewers = [
        Visibility::Everything,
        Visibility::SellerIs("sam".into()),
        Visibility::CustomerIs("carol".into()),
    ];
    let texts = [
        "fox",
        "watercolour",
        "poster",
        "sam",
        "bench order",
        "xyzzy",
    ];
    for visibility in &viewers {
        for text in texts {
            let query = OrderQuery::default();
            let whole = store
                .match_set_reading_first(visibility, text, &query, i64::MAX)
                .await
                .unwrap();
            for newest in [1, 40, 149, 400, 2_200] {
                let split = store
                    .match_set_reading_first(visibility, text, &query, newest)
                    .await
                    .unwrap();
                assert_eq!(split, whole, "{visibility:?} {text:?}, newest {newest}");
            }
        }
        let bench = store
            .match_set_reading_first(visibility, "bench order", &OrderQuery::default(), 40)
            .await
            .unwrap();
        assert_eq!(
            bench.per_workflow().iter().map(|(_, n)| n).sum::<i64>(),
            150
        );
    }
}

/// PostgreSQL uses the trigram index only for the expression migration 0012 indexed, spelled
/// the same: each text statement's plan, with plain index and sequential scans ruled out,
/// must read `orders_search`.
#[tokio::test]
async fn postgres_text_statements_use_the_trigram_index() {
    use orderboard::store::sql::{PG_CONTAINS, PG_MATCH_SETS, PG_MATCH_SETS_BY_INDEX};
    use sqlx::Connection;
    let Some(db) = crate::db::postgres().await else {
        return;
    };
    db.store().await;
    let mut connection = sqlx::PgConnection::connect(&db.url).await.unwrap();
    // Left only the trigram index (this test's database is its own): a statement that
    // spells the expression differently has nothing but a sequential scan.
    sqlx::raw_sql(
        "DROP INDEX orders_by_seller, orders_board, orders_by_customer; SET enable_seqscan = off; SET enable_indexscan = off",
    )
    .execute(&mut connection)
    .await
    .unwrap();
    let none = None::<String>;
    let statements = [
        ("the staff's match set", PG_MATCH_SETS[0], None),
        (
            "the staff's matches by index",
            PG_MATCH_SETS_BY_INDEX[0],
            None,
        ),
        (
            "a seller's matches by index",
            PG_MATCH_SETS_BY_INDEX[2],
            Some("sam"),
        ),
    ];
    for (name, sql, seller) in statements {
        let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
            .bind(&none)
            .bind(seller)
            .bind("%lighthouse%")
            .bind(None::<chrono::DateTime<chrono::Utc>>)
            .bind(&none)
            .bind(0i32)
            .bind(2_001i64)
            .bind(None::<i64>)
            .bind(None::<i64>)
            .fetch_all(&mut connection)
            .await
            .unwrap();
        assert!(
            plan.join("\n").contains("orders_search"),
            "{name}: {plan:#?}"
        );
    }
    let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "EXPLAIN {}",
        PG_CONTAINS.counts[0]
    )))
    .bind("marketplace")
    .bind(&none)
    .bind(&none)
    .bind("%lighthouse%")
    .bind(None::<i64>)
    .bind(None::<chrono::DateTime<chrono::Utc>>)
    .bind(&none)
    .bind(0i32)
    .fetch_all(&mut connection)
    .await
    .unwrap();
    assert!(
        plan.join("\n").contains("orders_search"),
        "a list's counts: {plan:#?}"
    );
}
