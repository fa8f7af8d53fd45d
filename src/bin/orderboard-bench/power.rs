//! The power tools at scale (issue 13): the history explorer's first and next pages, with
//! and without filters, and a bulk dry run over 1,000 selected orders, on whatever the
//! database holds (BENCHMARKS.md uses 1,000,000 seeded orders).

use std::time::Instant;

use chrono::Utc;
use color_eyre::Result;
use color_eyre::eyre::bail;
use orderboard::domain::Actor;
use orderboard::service::Backoffice;
use orderboard::store::{ExplorerCursor, ExplorerFilter, OrderQuery};

use crate::report::{Figure, Report, percentile, sorted};

/// Entries the explorer screen shows per page.
const PAGE: i64 = 100;
/// Pages walked after the first, per filter.
const NEXT_PAGES: usize = 20;
/// Orders in the bulk dry run.
const BULK_ORDERS: usize = 1000;

pub async fn power(backoffice: &Backoffice, admin: &Actor) -> Result<Report> {
    let mut figures = Vec::new();
    let filters = [
        ("all", ExplorerFilter::default()),
        (
            "one workflow",
            ExplorerFilter {
                workflow: Some("marketplace".into()),
                ..ExplorerFilter::default()
            },
        ),
        (
            "one event",
            ExplorerFilter {
                event: Some("order.accepted".into()),
                ..ExplorerFilter::default()
            },
        ),
        (
            "one actor",
            ExplorerFilter {
                actor: Some("sam".into()),
                ..ExplorerFilter::default()
            },
        ),
    ];
    for (label, filter) in filters {
        let (first, next) = explorer_pages(backoffice, admin, &filter).await?;
        figures
            .push(Figure::new(&format!("explorer first page, {label}"), first, "ms").below(100.0));
        if let Some(next) = next {
            figures.push(
                Figure::new(&format!("explorer next page p99, {label}"), next, "ms").below(100.0),
            );
        }
    }
    figures.push(bulk_dry_run(backoffice, admin).await?);
    Ok(Report {
        bench: "power".into(),
        backend: backoffice.backend_name().into(),
        figures,
    })
}

/// The first page's time and the worst of the next pages (none when there is one page).
async fn explorer_pages(
    backoffice: &Backoffice,
    admin: &Actor,
    filter: &ExplorerFilter,
) -> Result<(f64, Option<f64>)> {
    let started = Instant::now();
    let mut page = backoffice
        .explore_history(admin, filter, None, PAGE)
        .await?;
    let first = started.elapsed().as_secs_f64() * 1000.0;
    let mut times = Vec::new();
    for _ in 0..NEXT_PAGES {
        let Some(cursor) = page.last().map(|e| e.cursor()) else {
            break;
        };
        let started = Instant::now();
        page = backoffice
            .explore_history(admin, filter, Some::<ExplorerCursor>(cursor), PAGE)
            .await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let next = (!times.is_empty()).then(|| percentile(&sorted(times), 0.99));
    Ok((first, next))
}

/// The dry run of one event (an admin's force cancel, with its note) over the first 1,000
/// paid marketplace orders: reading them and asking the engine about each.
async fn bulk_dry_run(backoffice: &Backoffice, admin: &Actor) -> Result<Figure> {
    let query = OrderQuery {
        workflow: Some("marketplace".into()),
        state: Some("paid".into()),
        limit: BULK_ORDERS as i64,
        ..OrderQuery::default()
    };
    let ids: Vec<i64> = backoffice
        .list(admin, &query)
        .await?
        .iter()
        .map(|o| o.id)
        .collect();
    if ids.len() < BULK_ORDERS {
        bail!(
            "the database holds {} paid marketplace orders; the bulk bench needs {BULK_ORDERS} (seed more)",
            ids.len()
        );
    }
    let started = Instant::now();
    let lines = backoffice
        .bulk(
            admin,
            &ids,
            "order.force_cancelled",
            Some("bench"),
            true,
            Utc::now(),
        )
        .await?;
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    let would = lines.iter().filter(|l| l.outcome.succeeded()).count();
    if would != ids.len() {
        bail!(
            "the dry run expected every order to be cancellable, {would} of {} were",
            ids.len()
        );
    }
    Ok(Figure::new("bulk dry run, 1,000 orders", elapsed, "ms").below(1000.0))
}
