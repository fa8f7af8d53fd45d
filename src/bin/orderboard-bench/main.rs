//! `orderboard-bench …`: the figures of BENCHMARKS.md, measured on a real database in a
//! release build. Each bench prints a table, or JSON with --json. It uses the library's
//! public interfaces only: the service boundary for everything the app does, and a store of
//! its own for the raw-SQL baselines and query plans.

mod api;
mod apply;
mod board;
mod capi;
mod explain;
mod feed;
mod power;
mod race;
mod report;
mod runner;
mod search;
mod seed;
mod soak;
mod startup;

use std::time::Duration;

use clap::{Parser, Subcommand};
use color_eyre::Result;
use color_eyre::eyre::eyre;
use orderboard::cli::args::GlobalArgs;
use orderboard::cli::context::Context;
use orderboard::domain::{Actor, Role};
use orderboard::service::Backoffice;
use orderboard::store::{DatabaseUrl, OpenMode, Store};

use crate::report::Report;

#[derive(Parser, Debug)]
#[command(name = "orderboard-bench", about = "Measure orderboard on a database")]
struct BenchCli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// Time `seed --orders N` (creates the demo users if the database has none).
    Seed {
        #[arg(long, default_value_t = 1_000_000)]
        orders: usize,
        /// Orders only among the demo accounts (the old stress case) instead of 20,000
        /// customers and 2,000 sellers with a long tail.
        #[arg(long)]
        accounts_only: bool,
        #[arg(long)]
        json: bool,
    },
    /// First frame after sign-in, key press to next frame, and memory, on this database.
    Board {
        /// Whose board (default: the acting admin).
        #[arg(long)]
        view_as: Option<String>,
        #[arg(long, default_value_t = 2000)]
        presses: usize,
        /// Through `orderboard serve` over loopback (started in this process, on this
        /// database), signed in as the acting admin, instead of on the database.
        #[arg(long)]
        through_serve: bool,
        #[arg(long)]
        json: bool,
    },
    /// Transitions per second: the apply path against a raw-SQL baseline.
    Apply {
        #[command(flatten)]
        load: apply::ApplyLoad,
        #[arg(long)]
        json: bool,
    },
    /// The HTTP API: POST /orders/{id}/events/{event} from concurrent clients against the
    /// apply path, then the latency at half the API's top rate.
    Api {
        #[arg(long, default_value_t = 8)]
        clients: usize,
        #[arg(long, default_value_t = 4000)]
        transitions: usize,
        #[arg(long)]
        json: bool,
    },
    /// From starting `orderboard` to its sign-in screen, under tmux (needs the release
    /// `orderboard` built beside the bench).
    Startup {
        #[arg(long, default_value_t = 20)]
        runs: usize,
        #[arg(long)]
        json: bool,
    },
    /// A long session: the release `orderboard` under tmux at 160×48, signed in as --as,
    /// with keys pressed and orders changed live; its memory's peak and trend.
    Soak {
        #[command(flatten)]
        load: soak::SoakLoad,
        #[arg(long)]
        json: bool,
    },
    /// Live feed latency from a commit in another process.
    Feed {
        #[arg(long, default_value_t = 300)]
        events: usize,
        /// Followers in this process, as board panes or event streams would be.
        #[arg(long, default_value_t = 1)]
        followers: usize,
        /// Writer processes sharing the events.
        #[arg(long, default_value_t = 1)]
        writers: usize,
        #[arg(long)]
        json: bool,
    },
    /// The history explorer's pages and a bulk dry run over 1,000 orders.
    Power {
        #[arg(long)]
        json: bool,
    },
    /// A text search typed into the board, a keystroke at a time, as staff and as a seller.
    Search {
        /// The seller whose board is searched too.
        #[arg(long, default_value = "sam")]
        seller: String,
        #[arg(long)]
        json: bool,
    },
    /// The runner: effects delivered to a local sink and timers due at once fired, by
    /// several runners each with its own pool (on a fresh database).
    Runner {
        #[arg(long, default_value_t = 10_000)]
        effects: usize,
        /// Fulfilment orders seeded an hour ago: about a third end in a state whose timer
        /// is then due (330,000 give about 100,000 timers due at once).
        #[arg(long, default_value_t = 330_000)]
        timer_orders: usize,
        #[arg(long, default_value_t = 2)]
        runners: usize,
        #[arg(long)]
        json: bool,
    },
    /// EXPLAIN of the board's queries on this database.
    Explain,
    /// Random transitions by random users on shared orders, for race and crash tests
    /// (internal): prints a JSON summary of what happened.
    #[command(hide = true)]
    RaceWriter {
        #[arg(long)]
        first: i64,
        #[arg(long)]
        count: i64,
        #[arg(long)]
        transitions: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The writer process of `feed` (internal).
    #[command(hide = true)]
    FeedWriter {
        #[arg(long)]
        first: i64,
        #[arg(long)]
        count: usize,
    },
}

fn main() {
    let cli = BenchCli::parse();
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(color_eyre::Report::from)
        .and_then(|runtime| runtime.block_on(run(cli)));
    if let Err(error) = outcome {
        eprintln!("{error}");
        std::process::exit(1);
    }
}

async fn run(cli: BenchCli) -> Result<()> {
    let context = Context::load(&cli.global)?;
    // Before signing in: the app under test opens the database itself.
    let command = match cli.command {
        BenchCommand::Startup { runs, json } => {
            startup::startup(&database_argument(&context)?, runs)?.print(json);
            return Ok(());
        }
        command => command,
    };
    let (backoffice, actor) = open_as_admin(&context, &command).await?;
    let report = match command {
        BenchCommand::Seed {
            orders,
            accounts_only,
            json,
        } => (seed::seed(&backoffice, orders, accounts_only).await?, json),
        BenchCommand::Board {
            view_as,
            presses,
            through_serve,
            json,
        } => {
            let (desk, viewer) =
                board::desk(&backoffice, &actor, view_as.as_deref(), through_serve).await?;
            let backend = backoffice.backend_name();
            (board::board(&desk, backend, &viewer, presses).await?, json)
        }
        BenchCommand::Apply { load, json } => {
            let raw = raw_store(&context).await?;
            (apply::apply(&backoffice, &raw, &load).await?, json)
        }
        BenchCommand::Api {
            clients,
            transitions,
            json,
        } => (api::api(&backoffice, clients, transitions).await?, json),
        BenchCommand::Feed {
            events,
            followers,
            writers,
            json,
        } => {
            let load = feed::FeedLoad {
                events,
                followers,
                writers,
                poll: Duration::from_millis(context.config.feed_interval_ms()),
            };
            (feed_bench(&context, &backoffice, &load).await?, json)
        }
        BenchCommand::Soak { load, json } => {
            let database = database_argument(&context)?;
            let report = soak::soak(&backoffice, &database, &actor.name, &load).await?;
            (report, json)
        }
        BenchCommand::Power { json } => (power::power(&backoffice, &actor).await?, json),
        BenchCommand::Runner {
            effects,
            timer_orders,
            runners,
            json,
        } => (
            runner_bench(&context, &actor, effects, timer_orders, runners).await?,
            json,
        ),
        BenchCommand::Search { seller, json } => {
            let viewers = [actor.clone(), Actor::new(seller, Role::Seller)];
            let raw = raw_store(&context).await?;
            (search::search(&backoffice, &raw, &viewers).await?, json)
        }
        BenchCommand::Explain => return explain_bench(&context, &backoffice, &actor).await,
        BenchCommand::RaceWriter {
            first,
            count,
            transitions,
            seed,
        } => {
            let outcome =
                race::race_writer(&backoffice, &actor, first, count, transitions, seed).await?;
            println!("{}", serde_json::to_string(&outcome)?);
            return Ok(());
        }
        BenchCommand::FeedWriter { first, count } => {
            return feed::feed_writer(&backoffice, first, count).await;
        }
        BenchCommand::Startup { .. } => {
            return Err(eyre!("the startup bench runs before signing in"));
        }
    };
    let (report, json) = report;
    report.print(json);
    Ok(())
}

/// The database, and the admin the benches act as.
async fn open_as_admin(context: &Context, command: &BenchCommand) -> Result<(Backoffice, Actor)> {
    let mode = if matches!(command, BenchCommand::Seed { .. }) {
        OpenMode::CreateIfMissing
    } else {
        OpenMode::ExistingOnly
    };
    let backoffice = context.open(mode).await?;
    // The seed bench may start from an empty database: it creates the demo users itself.
    let actor = if backoffice.is_fresh().await? {
        seed::ensure_users(&backoffice).await?
    } else {
        context.actor(&backoffice).await?
    };
    if actor.role != Role::Admin {
        return Err(eyre!("benchmarks run as an admin (--as ADMIN)"));
    }
    Ok((backoffice, actor))
}

async fn feed_bench(
    context: &Context,
    backoffice: &Backoffice,
    load: &feed::FeedLoad,
) -> Result<Report> {
    let raw = raw_store(context).await?;
    feed::feed(backoffice, &raw, &database_argument(context)?, load).await
}

/// The board's queries explained, for a seller with orders.
async fn explain_bench(context: &Context, backoffice: &Backoffice, actor: &Actor) -> Result<()> {
    let seller = backoffice
        .users(actor)
        .await?
        .into_iter()
        .find(|u| u.role == Role::Seller)
        .map(|u| u.name)
        .unwrap_or_default();
    explain::explain(&raw_store(context).await?, &seller).await
}

/// The database as a `--database` argument for a child process.
fn database_argument(context: &Context) -> Result<String> {
    Ok(match context.database_url()? {
        DatabaseUrl::Sqlite { path } => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres { url } => url,
    })
}

/// The runner bench with `runners` runners, each on a pool of its own.
async fn runner_bench(
    context: &Context,
    admin: &Actor,
    effects: usize,
    timer_orders: usize,
    runners: usize,
) -> Result<report::Report> {
    let mut offices = Vec::new();
    for _ in 0..runners.max(1) {
        offices.push(context.open(OpenMode::ExistingOnly).await?);
    }
    let raw = raw_store(context).await?;
    runner::runner(offices, &raw, admin, effects, timer_orders).await
}

/// Another user, as the admin may name them, for "the board as this user sees it".
pub async fn viewer(
    backoffice: &orderboard::service::Backoffice,
    admin: &Actor,
    name: &str,
) -> Result<Actor> {
    backoffice
        .users(admin)
        .await?
        .into_iter()
        .find(|u| u.name == name)
        .map(|u| Actor::new(u.name, u.role))
        .ok_or_else(|| eyre!("there is no user named \"{name}\""))
}

/// A store of the bench's own, for the baselines that bypass the app on purpose.
async fn raw_store(context: &Context) -> Result<Store> {
    Ok(Store::open(&context.database_url()?, OpenMode::ExistingOnly).await?)
}
