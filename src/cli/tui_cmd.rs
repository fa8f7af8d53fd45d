//! `orderboard` / `orderboard tui` / `orderboard demo`: start the terminal UI.

use std::io::IsTerminal;
use std::time::Duration;

use super::context::{Context, read_password};
use super::exit::CliError;
use tokio::sync::watch;

use crate::demo::live::{simulated_sinks, storefront};
use crate::demo::{self, DEMO_SEED, DEMO_USERS, demo_password};
use crate::domain::Role;
use crate::office::desk::{Desk, RemoteDesk};
use crate::office::{SavedSessions, ServerAddress};
use crate::runner::{Runner, RunnerOptions};
use crate::store::OpenMode;
use crate::tui::clock::Zone;
use crate::tui::keymap::KeyMap;
use crate::tui::runtime::{Options, run};
use crate::tui::theme::{ThemeName, Themes};
use crate::workflow::Workflows;

/// Where `demo` puts its database unless `--database` says otherwise.
pub const DEMO_DATABASE: &str = "sqlite://orderboard-demo.db";

pub async fn tui(context: &Context) -> Result<(), CliError> {
    if let Some(server) = context.server()? {
        return remote_tui(context, server).await;
    }
    let options = options(context, &context.workflows)?;
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    start(Desk::Local(backoffice), options).await
}

/// The UI through `orderboard serve`: signed in with `--as USER` (a session that ends when
/// the UI quits) or with the session `orderboard login` kept; the server's workflows.
async fn remote_tui(context: &Context, server: ServerAddress) -> Result<(), CliError> {
    require_terminal()?;
    let http = context.http_client()?;
    let opened = match &context.global.as_user {
        Some(name) => {
            let password = read_password(name)?;
            RemoteDesk::open(http, server.clone(), Ok((name, &password))).await?
        }
        None => {
            let saved = SavedSessions::load(&context.saved_sessions_path()?)
                .map_err(CliError::bad_input)?;
            let Some(session) = saved.find(&server.key()) else {
                return Err(CliError::not_permitted(format!(
                    "not signed in to {server}: run `orderboard login --server {server} --as USER`, or give --as USER"
                )));
            };
            RemoteDesk::open(http, server.clone(), Err(session)).await?
        }
    };
    let (desk, standing) = opened;
    let desk = Desk::Remote(std::sync::Arc::new(desk));
    let Some(actor) = standing else {
        desk.close().await;
        return Err(CliError::not_permitted(format!(
            "{server} says this user is disabled"
        )));
    };
    let mut options = match options(context, desk.workflows()) {
        Ok(options) => options,
        Err(error) => {
            desk.close().await;
            return Err(error);
        }
    };
    options.signed_in = Some(actor);
    start(desk, options).await
}

pub async fn demo(context: &Context, orders: usize) -> Result<(), CliError> {
    let options = options(context, &context.workflows)?;
    let mut context_for_demo = context.clone();
    if context_for_demo.global.database.is_none() {
        context_for_demo.global.database = Some(DEMO_DATABASE.to_string());
    }
    let url = context_for_demo.database_url()?;
    let backoffice = context_for_demo.open(OpenMode::CreateIfMissing).await?;
    let mut options = options;
    if backoffice.is_fresh().await? {
        eprintln!("creating demo data in {url} …");
        demo::create_demo(&backoffice, orders, chrono::Utc::now(), DEMO_SEED).await?;
    }
    // The login screen lists the demo sign-ins that exist in this database.
    let users = backoffice.existing_demo_users(DEMO_USERS).await?;
    for (name, role) in &users {
        options
            .demo_logins
            .push((name.clone(), demo_password(name), *role));
    }
    // The runner with simulated sinks and a storefront: the board moves by itself.
    let named = |wanted: Role| -> Vec<String> {
        users
            .iter()
            .filter(|(_, role)| *role == wanted)
            .map(|(name, _)| name.clone())
            .collect()
    };
    let (stop, stopped) = watch::channel(false);
    let options_for_runner = RunnerOptions {
        grace: DEMO_RUNNER_GRACE,
        ..RunnerOptions::default()
    };
    let runner = Runner::new(backoffice.clone(), simulated_sinks(), options_for_runner);
    let runner = tokio::spawn(runner.run(stopped.clone()));
    let storefront = tokio::spawn(storefront(
        backoffice.clone(),
        named(Role::Customer),
        named(Role::Seller),
        stopped,
    ));
    let outcome = start(Desk::Local(backoffice), options).await;
    let _ = stop.send(true);
    let _ = tokio::join!(runner, storefront);
    outcome
}

/// On quitting the demo, in-flight simulated deliveries get this long before they are put
/// back for the next start.
const DEMO_RUNNER_GRACE: Duration = Duration::from_secs(1);

fn require_terminal() -> Result<(), CliError> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::bad_input(
            "the terminal UI needs a terminal; for scripts use the commands listed by --help",
        ));
    }
    Ok(())
}

/// The UI's options from the config, checked against the workflows it will show.
fn options(context: &Context, workflows: &Workflows) -> Result<Options, CliError> {
    require_terminal()?;
    let source = context
        .config
        .source
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "config".into());
    let keymap = KeyMap::with_overrides(&context.config.keys)
        .map_err(|e| CliError::bad_input(format!("{source}: {e}")))?;
    let themes = Themes::from_config(&context.config.theme)
        .map_err(|e| CliError::bad_input(format!("{source}: {e}")))?;
    // NO_COLOR (no-color.org): any non-empty value turns colour off, whatever the config says.
    let themes = match std::env::var_os("NO_COLOR") {
        Some(value) if !value.is_empty() => Themes::monochrome(),
        _ => themes,
    };
    let theme = match context.config.theme.base.as_deref() {
        Some("light") => ThemeName::Light,
        _ => ThemeName::Dark,
    };
    let views = context.config.views();
    if let Some((view, name)) = views.iter().find_map(|view| {
        let name = view.workflow.as_ref()?;
        workflows.get(name).is_none().then_some((view, name))
    }) {
        return Err(CliError::bad_input(format!(
            "{source}: view \"{}\" names workflow \"{name}\", which is not loaded ({})",
            view.name,
            workflows.names().join(", ")
        )));
    }
    // Saved views go to the config file in use, else to where the user's would be.
    let config_path = context.config.source.clone().or_else(|| {
        crate::config::project_dirs().map(|dirs| dirs.config_dir().join("config.toml"))
    });
    if let Some(name) = &context.config.default_workflow
        && workflows.get(name).is_none()
    {
        return Err(CliError::bad_input(format!(
            "{source}: default_workflow \"{name}\" is not a loaded workflow ({})",
            workflows.names().join(", ")
        )));
    }
    Ok(Options {
        keymap,
        themes,
        theme,
        views,
        config_path,
        default_workflow: context.config.default_workflow.clone(),
        feed_interval: Duration::from_millis(context.config.feed_interval_ms()),
        zone: Zone::parse(context.config.time_zone.as_deref().unwrap_or("local"))
            .map_err(|e| CliError::bad_input(format!("{source}: {e}")))?,
        as_user: context.global.as_user.clone(),
        password: std::env::var("ORDERBOARD_PASSWORD")
            .ok()
            .map(crate::auth::Secret::new),
        demo_logins: Vec::new(),
        signed_in: None,
    })
}

async fn start(desk: Desk, options: Options) -> Result<(), CliError> {
    let outcome = run(desk.clone(), options).await;
    // A session this UI opened on a server ends with it, however the UI ended.
    desk.close().await;
    outcome.map_err(|e| CliError::unexpected(format!("the terminal failed: {e}")))
}
