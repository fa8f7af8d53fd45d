//! A text search typed into the board's filter (`/`), one keystroke at a time from the third
//! character: each keystroke reloads the board under the text (per-column counts and each
//! column's first page) and counts the matches in every workflow, as the TUI does. Timed
//! whole, for the staff board and a seller's, on whatever the database holds (BENCHMARKS.md:
//! 1,000,000 orders from the realistic seed).

use std::time::Instant;

use color_eyre::Result;
use orderboard::domain::Actor;
use orderboard::domain::search::MIN_SEARCH_CHARS;
use orderboard::service::Backoffice;
use orderboard::store::{OrderQuery, Store};
use orderboard::tui::app::PAGE;

use crate::report::{Figure, Report, percentile, sorted};

/// What people type: a common subject, a style, a customer, a seller, a whole title, and
/// text no order holds.
const TERMS: &[&str] = &[
    "fox",
    "watercolour",
    "emma.kovacs",
    "northwind-prints",
    "poster, minimal, lighthouse",
    "xyzzy",
];

/// Each term is typed this many times (the first time cold).
const ROUNDS: usize = 3;

pub async fn search(backoffice: &Backoffice, raw: &Store, viewers: &[Actor]) -> Result<Report> {
    let mut figures = vec![scan_baseline(raw).await?];
    for viewer in viewers {
        let mut keystrokes = Vec::new();
        let mut slowest: Vec<(f64, String)> = Vec::new();
        let mut matches = Vec::new();
        for term in TERMS {
            for round in 0..ROUNDS {
                for end in MIN_SEARCH_CHARS..=term.chars().count() {
                    let text: String = term.chars().take(end).collect();
                    let (ms, found) = keystroke(backoffice, viewer, &text).await?;
                    keystrokes.push(ms);
                    slowest.push((ms, format!("{text:?} (round {})", round + 1)));
                    if round == 0 && end == term.chars().count() {
                        matches.push(format!("{term}: {found}"));
                    }
                }
            }
        }
        let keystrokes = sorted(keystrokes);
        let who = format!("{} ({})", viewer.name, viewer.role);
        slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
        let slowest: Vec<String> = slowest
            .iter()
            .take(5)
            .map(|(ms, text)| format!("{text} {ms:.1} ms"))
            .collect();
        eprintln!("slowest keystrokes for {who}: {}", slowest.join(" · "));
        figures.push(Figure::new(
            &format!("keystroke p50, {who}"),
            percentile(&keystrokes, 50.0),
            "ms",
        ));
        figures.push(
            Figure::new(
                &format!("keystroke p99, {who}"),
                percentile(&keystrokes, 99.0),
                "ms",
            )
            .below(100.0),
        );
        figures.push(Figure::new(
            &format!("keystrokes timed, {who}"),
            keystrokes.len() as f64,
            "keys",
        ));
        eprintln!("matches for {who}: {}", matches.join(" · "));
    }
    Ok(Report {
        bench: format!("search typed into the board: {}", TERMS.join(" · ")),
        backend: backoffice.backend_name().into(),
        figures,
    })
}

/// One keystroke: the board under `text` and the matches per workflow; the time taken and
/// how many orders match in all.
async fn keystroke(backoffice: &Backoffice, viewer: &Actor, text: &str) -> Result<(f64, i64)> {
    let started = Instant::now();
    let query = OrderQuery {
        text: Some(text.to_string()),
        limit: PAGE,
        ..OrderQuery::default()
    };
    let board = backoffice.board(viewer, None, query, false).await?;
    let counts = backoffice.match_counts(viewer, text).await?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    std::hint::black_box(board);
    Ok((ms, counts.iter().map(|(_, n)| n).sum()))
}

/// The first round's text filter, which no index could serve: one LIKE over the title,
/// customer and seller of every order (what each keystroke paid at least once, in the match
/// counts over every workflow), median over the terms.
async fn scan_baseline(raw: &Store) -> Result<Figure> {
    const SCAN: &str = "SELECT COUNT(*) FROM orders WHERE LOWER(title) LIKE $1 OR LOWER(customer) LIKE $1 OR LOWER(seller) LIKE $1";
    let mut times = Vec::new();
    for term in TERMS {
        let pattern = format!("%{term}%");
        let started = Instant::now();
        let found = match raw {
            Store::Sqlite(s) => {
                sqlx::query_scalar::<sqlx::Sqlite, i64>(SCAN)
                    .bind(&pattern)
                    .fetch_one(s.pool())
                    .await?
            }
            Store::Postgres(s) => {
                sqlx::query_scalar::<sqlx::Postgres, i64>(SCAN)
                    .bind(&pattern)
                    .fetch_one(s.pool())
                    .await?
            }
        };
        std::hint::black_box(found);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let times = sorted(times);
    Ok(Figure::new(
        "baseline: one LIKE scan of every order, median",
        percentile(&times, 50.0),
        "ms",
    ))
}
