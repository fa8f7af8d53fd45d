//! The board's queries with their plans on this database, for BENCHMARKS.md.

use chrono::{DateTime, Utc};
use color_eyre::Result;
use orderboard::store::{Store, sql};

/// A parameter of an EXPLAINed query, typed as the real code binds it.
enum Param {
    Text(Option<String>),
    Int(i64),
    NoTime,
}

use Param::{Int, NoTime, Text};

fn workflow() -> Param {
    Text(Some("marketplace".into()))
}

fn none() -> Param {
    Text(None)
}

/// One column's first page: the visibility binds, then the board's filters.
fn page(who: Vec<Param>) -> Vec<Param> {
    let mut params = who;
    params.extend([
        workflow(),
        Text(Some("inprogress".into())),
        NoTime,
        none(),
        none(),
        Int(0),
        Int(60),
        none(),
        Int(0),
    ]);
    params
}

pub async fn explain(store: &Store, seller: &str) -> Result<()> {
    let seller = || Text(Some(seller.to_string()));
    let queries: Vec<(&str, &'static str, Vec<Param>)> = vec![
        (
            "per-column counts, staff",
            sql::COUNT_ALL,
            vec![workflow(), none(), none()],
        ),
        (
            "per-column counts, one seller",
            sql::COUNT_SELLER,
            vec![workflow(), none(), seller()],
        ),
        (
            "one column's first page, staff",
            sql::BOARD_PAGE_ALL,
            page(vec![none(), none()]),
        ),
        (
            "one column's first page, one seller",
            sql::BOARD_PAGE_SELLER,
            page(vec![none(), seller()]),
        ),
        (
            "a workflow holds the seller's orders",
            sql::HAS_ORDERS_SELLER,
            vec![workflow(), none(), seller()],
        ),
        (
            "live feed after an id, staff",
            match store {
                Store::Sqlite(_) => sql::FEED_AFTER,
                Store::Postgres(_) => sql::PG_FEED_AFTER,
            },
            vec![Int(0), none(), none(), Int(500)],
        ),
        (
            "live feed after an id, one seller",
            match store {
                Store::Sqlite(_) => sql::FEED_AFTER,
                Store::Postgres(_) => sql::PG_FEED_AFTER,
            },
            vec![Int(0), none(), seller(), Int(500)],
        ),
    ];
    for (label, text, params) in queries {
        println!("### {label}\n\n```sql\n{text}\n```\n\n```");
        for line in plan(store, text, params).await? {
            println!("{line}");
        }
        println!("```\n");
    }
    Ok(())
}

async fn plan(store: &Store, text: &str, params: Vec<Param>) -> Result<Vec<String>> {
    macro_rules! bind_all {
        ($query:expr) => {{
            let mut query = $query;
            for param in params {
                query = match param {
                    Text(value) => query.bind(value),
                    Int(value) => query.bind(value),
                    NoTime => query.bind(None::<DateTime<Utc>>),
                };
            }
            query
        }};
    }
    Ok(match store {
        Store::Sqlite(s) => bind_all!(sqlx::query_as::<sqlx::Sqlite, (i64, i64, i64, String)>(
            sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {text}"))
        ))
        .fetch_all(s.pool())
        .await?
        .into_iter()
        .map(|(_, _, _, detail)| detail)
        .collect(),
        Store::Postgres(s) => {
            bind_all!(sqlx::query_scalar::<sqlx::Postgres, String>(
                sqlx::AssertSqlSafe(format!("EXPLAIN (ANALYZE, COSTS OFF) {text}"))
            ))
            .fetch_all(s.pool())
            .await?
        }
    })
}
