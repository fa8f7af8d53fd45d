//! The board as a user sees it, drawn into a test buffer exactly as the runtime draws it:
//! first frame after sign-in, key press to next frame, and memory.

use std::time::Instant;

use chrono::Utc;
use color_eyre::Result;
use color_eyre::eyre::eyre;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use orderboard::auth::Secret;
use orderboard::domain::Actor;
use orderboard::office::ServerAddress;
use orderboard::office::desk::{Desk, RemoteDesk};
use orderboard::service::Backoffice;
use orderboard::store::OrderQuery;
use orderboard::tui::{App, Frame, KeyMap, Msg, Theme, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::report::{Figure, Report, percentile, resident_mb, sorted};

/// The size of the measured terminal: the larger of the two the UI is designed for.
const SIZE: (u16, u16) = (160, 48);
/// Cold first frame, then warm ones: the median shows the steady state.
const FIRST_FRAMES: usize = 5;
/// The keys a user presses most, cycled.
const PATTERN: [KeyCode; 8] = [
    KeyCode::Char('j'),
    KeyCode::Char('j'),
    KeyCode::Char('l'),
    KeyCode::Char('j'),
    KeyCode::Char('k'),
    KeyCode::Char('h'),
    KeyCode::PageDown,
    KeyCode::Home,
];

/// The desk the board is measured at, and whose board: on the database, or through serve.
pub async fn desk(
    backoffice: &Backoffice,
    admin: &Actor,
    view_as: Option<&str>,
    through_serve: bool,
) -> Result<(Desk, Actor)> {
    if through_serve {
        return self::through_serve(backoffice, admin, view_as).await;
    }
    let viewer = match view_as {
        Some(name) => crate::viewer(backoffice, admin, name).await?,
        None => admin.clone(),
    };
    Ok((Desk::Local(backoffice.clone()), viewer))
}

/// The API on loopback in this process, and a desk signed in to it as the admin (whose
/// password is ORDERBOARD_PASSWORD), viewing as `view_as` when given.
async fn through_serve(
    backoffice: &Backoffice,
    admin: &Actor,
    view_as: Option<&str>,
) -> Result<(Desk, Actor)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let router = orderboard::http::router(backoffice.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let server = ServerAddress::parse(&format!("http://{address}"), false).map_err(|e| eyre!(e))?;
    let http = orderboard::office::http_client(None).map_err(|e| eyre!(e))?;
    let password = Secret::new(std::env::var("ORDERBOARD_PASSWORD")?);
    let (remote, _) = RemoteDesk::open(http, server, Ok((&admin.name, &password))).await?;
    let desk = Desk::Remote(std::sync::Arc::new(remote));
    let viewer = match view_as {
        Some(name) => desk.actor_to_view_as(admin, name).await?,
        None => admin.clone(),
    };
    Ok((desk, viewer))
}

pub async fn board(desk: &Desk, backend: &str, actor: &Actor, presses: usize) -> Result<Report> {
    let now = Utc::now();
    let theme = Theme::dark();
    let mut first_frames = Vec::new();
    let mut app = None;
    for _ in 0..FIRST_FRAMES {
        let started = Instant::now();
        let mut fresh = App::new(KeyMap::default(), desk.workflows().clone(), now, SIZE);
        update(&mut fresh, Msg::SignedIn(Ok(actor.clone())));
        let query = fresh.board_query().unwrap_or_default();
        let data = desk.board(actor, None, query, true).await?;
        update(&mut fresh, Msg::BoardLoaded(Ok(data)));
        let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1))?;
        draw(&mut terminal, &fresh, &theme)?;
        first_frames.push(started.elapsed().as_secs_f64() * 1000.0);
        app = Some(fresh);
    }
    let mut app = app.ok_or_else(|| eyre!("no board was drawn"))?;
    let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1))?;
    let mut latencies = Vec::with_capacity(presses);
    for index in 0..presses {
        let key = KeyEvent::new(PATTERN[index % PATTERN.len()], KeyModifiers::NONE);
        let started = Instant::now();
        // The runtime draws right after update; effects (detail, next page) complete later.
        update(&mut app, Msg::Key(key));
        draw(&mut terminal, &app, &theme)?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let first = sorted(first_frames.clone());
    let keys = sorted(latencies);
    let workflow = app.board_workflow().unwrap_or_default();
    let orders: i64 = desk
        .counts(actor, &workflow, &OrderQuery::default())
        .await?
        .iter()
        .map(|(_, n)| n)
        .sum();
    Ok(Report {
        bench: format!(
            "board as {} ({}){}, {} orders in the shown workflow",
            actor.name,
            actor.role,
            match desk.server_label() {
                Some(server) => format!(" through serve at {server}"),
                None => String::new(),
            },
            orders
        ),
        backend: backend.into(),
        figures: vec![
            Figure::new("first frame after sign-in, cold", first_frames[0], "ms").below(300.0),
            Figure::new(
                "first frame after sign-in, median of 5",
                percentile(&first, 50.0),
                "ms",
            )
            .below(300.0),
            Figure::new(
                "key press to next frame, p50",
                percentile(&keys, 50.0),
                "ms",
            ),
            Figure::new(
                "key press to next frame, p99",
                percentile(&keys, 99.0),
                "ms",
            )
            .below(16.0),
            Figure::new("resident memory", resident_mb().unwrap_or(0.0), "MB").below(150.0),
        ],
    })
}

/// One frame into the test buffer, as the runtime would draw it.
fn draw(terminal: &mut Terminal<TestBackend>, app: &App, theme: &Theme) -> Result<()> {
    terminal.draw(|frame| frame.render_widget(&Frame { app, theme }, frame.area()))?;
    Ok(())
}
