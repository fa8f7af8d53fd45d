//! `orderboard` / `orderboard tui` / `orderboard demo`: start the terminal UI.

use std::io::IsTerminal;
use std::time::Duration;

use super::context::Context;
use super::exit::CliError;
use tokio::sync::watch;

use crate::demo::live::{simulated_sinks, storefront};
use crate::demo::{self, DEMO_SEED, DEMO_USERS, demo_password};
use crate::domain::Role;
use crate::runner::{Runner, RunnerOptions};
use crate::store::OpenMode;
use crate::tui::clock::Zone;
use crate::tui::keymap::KeyMap;
use crate::tui::runtime::{Options, run};
use crate::tui::theme::{ThemeName, Themes};

/// Where `demo` puts its database unless `--database` says otherwise.
pub const DEMO_DATABASE: &str = "sqlite://orderboard-demo.db";

pub async fn tui(context: &Context) -> Result<(), CliError> {
    let options = options(context)?;
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    start(backoffice, options).await
}

pub async fn demo(context: &Context, orders: usize) -> Result<(), CliError> {
    let mut options = options(context)?;
    let mut context_for_demo = context.clone();
    if context_for_demo.global.database.is_none() {
        context_for_demo.global.database = Some(DEMO_DATABASE.to_string());
    }
    let url = context_for_demo.database_url()?;
    let backoffice = context_for_demo.open(OpenMode::CreateIfMissing).await?;
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
    let outcome = start(backoffice, options).await;
    let _ = stop.send(true);
    let _ = tokio::join!(runner, storefront);
    outcome
}

/// On quitting the demo, in-flight simulated deliveries get this long before they are put
/// back for the next start.
const DEMO_RUNNER_GRACE: Duration = Duration::from_secs(1);

fn options(context: &Context) -> Result<Options, CliError> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::bad_input(
            "the terminal UI needs a terminal; for scripts use the commands listed by --help",
        ));
    }
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
        context
            .workflows
            .get(name)
            .is_none()
            .then_some((view, name))
    }) {
        return Err(CliError::bad_input(format!(
            "{source}: view \"{}\" names workflow \"{name}\", which is not loaded ({})",
            view.name,
            context.workflows.names().join(", ")
        )));
    }
    // Saved views go to the config file in use, else to where the user's would be.
    let config_path = context.config.source.clone().or_else(|| {
        crate::config::project_dirs().map(|dirs| dirs.config_dir().join("config.toml"))
    });
    if let Some(name) = &context.config.default_workflow
        && context.workflows.get(name).is_none()
    {
        return Err(CliError::bad_input(format!(
            "{source}: default_workflow \"{name}\" is not a loaded workflow ({})",
            context.workflows.names().join(", ")
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
    })
}

async fn start(backoffice: crate::service::Backoffice, options: Options) -> Result<(), CliError> {
    run(backoffice, options)
        .await
        .map_err(|e| CliError::unexpected(format!("the terminal failed: {e}")))
}
