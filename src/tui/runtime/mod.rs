//! The impure edge of the UI: owns the terminal, turns terminal events and IO results into
//! messages, and carries out the effects `update` returns (`executor`).

mod bulk;
pub mod clipboard;
mod executor;
pub mod export;

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream,
};
use futures::StreamExt;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use super::app::{App, update};
use super::keymap::KeyMap;
use super::msg::{Effect, Msg};
use super::theme::{Theme, ThemeName, Themes};
use super::view::Frame;
use crate::config::ViewConfig;
use crate::domain::Role;
use crate::office::desk::Desk;
use executor::Executor;

/// The UI's clock: countdowns and ages move once a second.
const CLOCK_TICK: Duration = Duration::from_secs(1);

/// What the UI is started with.
pub struct Options {
    pub keymap: KeyMap,
    pub themes: Themes,
    /// The theme the UI starts with.
    pub theme: ThemeName,
    /// The config's `[[views]]` (the built-in start views are added to them).
    pub views: Vec<ViewConfig>,
    /// The config file in use, or where one would be: saved views go there.
    pub config_path: Option<PathBuf>,
    pub default_workflow: Option<String>,
    pub feed_interval: Duration,
    pub as_user: Option<String>,
    /// The zone times are shown in.
    pub zone: super::clock::Zone,
    /// With `as_user`, the password from ORDERBOARD_PASSWORD: sign in without the form.
    pub password: Option<crate::auth::Secret>,
    pub demo_logins: Vec<(String, String, Role)>,
    /// Already signed in (through a server, before the UI started): the board opens at once.
    pub signed_in: Option<crate::domain::Actor>,
}

/// Runs the UI until the user quits. The terminal is restored on every way out, panics
/// included (ratatui's hook restores it; ours also releases the mouse first).
pub async fn run(desk: Desk, options: Options) -> std::io::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(
            std::io::stdout(),
            DisableMouseCapture,
            DisableBracketedPaste
        );
        previous(info);
    }));
    // Bracketed paste: without it a pasted newline arrives as Enter and pasted text as keys.
    let _ = crossterm::execute!(std::io::stdout(), EnableMouseCapture, EnableBracketedPaste);
    let outcome = event_loop(&mut terminal, desk, options).await;
    let _ = crossterm::execute!(
        std::io::stdout(),
        DisableMouseCapture,
        DisableBracketedPaste
    );
    ratatui::restore();
    if matches!(outcome, Ok(true)) {
        // It may still commit after the screen is gone: say so, rather than leave a blank,
        // silent wait and a user guessing. No total time is promised: a write may wait its
        // turn for the writer, then for another process's lock, each up to the lock wait.
        eprintln!(
            "orderboard: a change you sent was still under way; it finishes, or gives up once \
             another writer has held the order for over {} s. The order's history will say which.",
            crate::store::LOCK_WAIT.as_secs()
        );
    }
    outcome.map(|_| ())
}

/// Runs the app until it quits; whether a change to orders was still under way then.
async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    desk: Desk,
    options: Options,
) -> std::io::Result<bool> {
    let size = terminal.size()?;
    let mut app = App::new(
        options.keymap,
        desk.workflows().clone(),
        Utc::now(),
        (size.width, size.height),
    );
    app.default_workflow = options.default_workflow;
    app.zone = options.zone;
    app.views = super::views::all(&options.views);
    app.config_path = options.config_path;
    if let Some(name) = &options.as_user {
        app.prefill_user(name);
    }
    app.show_demo_logins(options.demo_logins);
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let inputs = [terminal_events(tx.clone()), clock(tx.clone())];
    app.server = desk.server_label();
    let executor = Executor::new(desk, tx, options.feed_interval);
    let opening = match (options.signed_in, &options.as_user, &options.password) {
        (Some(actor), _, _) => update(&mut app, Msg::SignedIn(Ok(actor))),
        (None, Some(_), Some(password)) => app.sign_in_with(password),
        _ => Vec::new(),
    };
    for effect in opening {
        executor.spawn(effect);
    }
    let mut look = Look {
        themes: options.themes,
        current: options.theme,
    };
    let result = draw_and_update(terminal, &mut app, &mut look, &executor, &mut rx).await;
    for input in inputs {
        input.abort();
    }
    result.map(|()| app.change_in_flight())
}

/// The themes, and the one drawn with.
struct Look {
    themes: Themes,
    current: ThemeName,
}

impl Look {
    fn theme(&self) -> &Theme {
        self.themes.get(self.current)
    }
}

/// Draws, waits for messages, applies everything queued, repeats until the app quits.
async fn draw_and_update(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    look: &mut Look,
    executor: &Executor,
    rx: &mut UnboundedReceiver<Msg>,
) -> std::io::Result<()> {
    loop {
        let theme = look.theme();
        terminal.draw(|frame| frame.render_widget(&Frame { app, theme }, frame.area()))?;
        let Some(first) = rx.recv().await else {
            return Ok(());
        };
        // Everything already queued is applied before the next frame; the terminal's own
        // effects report back through the same queue.
        let mut pending = std::collections::VecDeque::from([first]);
        while let Ok(more) = rx.try_recv() {
            pending.push_back(more);
        }
        while let Some(msg) = pending.pop_front() {
            for effect in update(app, msg) {
                match effect {
                    Effect::Copy { text, label } => {
                        let written = clipboard::copy(terminal.backend_mut(), &text);
                        pending.push_back(Msg::Copied(written.map(|()| label)));
                    }
                    Effect::SetTheme(name) => look.current = name,
                    other => executor.spawn(other),
                }
            }
        }
        if app.quit {
            return Ok(());
        }
    }
}

/// One task owns the terminal's events: key presses, mouse and resizes.
fn terminal_events(tx: UnboundedSender<Msg>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut stream = EventStream::new();
        while let Some(Ok(event)) = stream.next().await {
            let msg = match event {
                Event::Key(key) => Msg::Key(key),
                Event::Paste(text) => Msg::Paste(text),
                Event::Mouse(mouse) => Msg::Mouse(mouse),
                Event::Resize(w, h) => Msg::Resize(w, h),
                _ => continue,
            };
            if tx.send(msg).is_err() {
                break;
            }
        }
    })
}

fn clock(tx: UnboundedSender<Msg>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(CLOCK_TICK);
        loop {
            interval.tick().await;
            if tx.send(Msg::Tick(Utc::now())).is_err() {
                break;
            }
        }
    })
}
