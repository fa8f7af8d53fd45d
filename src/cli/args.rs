//! The command line: its commands, flags and environment variables (README, "The command line").

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "orderboard",
    version,
    about = "A terminal back-office for order workflows"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct GlobalArgs {
    /// Database: sqlite://PATH or postgres://... (default: config file, else a SQLite file in
    /// the user's data folder).
    #[arg(
        long,
        global = true,
        env = "ORDERBOARD_DATABASE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: Option<String>,
    /// Whether `database` was typed as `--database` (not taken from its variable).
    #[arg(skip)]
    pub database_typed: bool,
    /// Config file (default: ./config.toml if present, else the user's config folder).
    #[arg(
        long,
        global = true,
        env = "ORDERBOARD_CONFIG",
        value_name = "PATH",
        hide_env_values = true
    )]
    pub config: Option<PathBuf>,
    /// Work through `orderboard serve` at URL (https://host[:port]) instead of a database:
    /// sign in with `login`, or --as USER for one command (env ORDERBOARD_SERVER).
    #[arg(long, global = true, value_name = "URL")]
    pub server: Option<String>,
    /// Trust only the PEM certificates of FILE (a private CA) for --server, not the system's.
    #[arg(
        long,
        global = true,
        env = "ORDERBOARD_CA",
        value_name = "FILE",
        hide_env_values = true
    )]
    pub ca: Option<PathBuf>,
    /// Allow plain http:// to a server on another machine (passwords and tokens readable on
    /// the way).
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Who is acting; the password comes from ORDERBOARD_PASSWORD or a hidden prompt.
    #[arg(long = "as", global = true, value_name = "USER")]
    pub as_user: Option<String>,
    /// Append structured logs to this file (level from RUST_LOG, default info).
    #[arg(
        long,
        global = true,
        env = "ORDERBOARD_LOG",
        value_name = "FILE",
        hide_env_values = true
    )]
    pub log: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The terminal UI (the default when no command is given).
    Tui,
    /// The terminal UI on a demo database (created with demo data if it has no users yet).
    Demo {
        /// How many demo orders a new demo database gets.
        #[arg(long, default_value_t = 300)]
        orders: usize,
    },
    /// Create or migrate the schema; --demo adds demo users and orders.
    Init(InitArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Create, list and show orders.
    #[command(subcommand)]
    Order(OrderCommand),
    /// Apply one transition as the acting user.
    Advance(AdvanceArgs),
    /// One event on many orders, each in its own transaction; --dry-run previews.
    Bulk(BulkArgs),
    /// An order's transitions, oldest first.
    History(HistoryArgs),
    /// Validate or draw workflow definitions.
    #[command(subcommand)]
    Workflow(WorkflowCommand),
    /// Fire due timers as `system`.
    Tick(TickArgs),
    /// Replay every order's history against its workflow and check the ledger.
    Verify(JsonFlag),
    /// Bulk synthetic orders with histories, for benchmarks.
    Seed(SeedArgs),
    /// The long-running process: fires timers, delivers effects to the sinks of config.toml,
    /// serves the HTTP API.
    Serve(ServeArgs),
    /// Effect deliveries (support and admin): list them, retry or resolve a failed one.
    #[command(subcommand)]
    Effects(EffectsCommand),
    /// API tokens for the HTTP API (admin only).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Sign-in sessions of the HTTP API (admin only).
    #[command(subcommand)]
    Session(SessionCommand),
    /// Sign in to the --server as --as USER and keep the session (owner-only file in the
    /// config folder) for the commands that follow.
    Login,
    /// End the session kept for the --server, on the server and here.
    Logout,
}

#[derive(Subcommand, Debug)]
pub enum SessionCommand {
    /// Open sessions, newest first: id, user, role, address, signed in, last used, end.
    List(JsonFlag),
    /// End a session by id, or every session of --user: refused from its next request on.
    End {
        #[arg(required_unless_present = "user", conflicts_with = "user")]
        id: Option<String>,
        #[arg(long)]
        user: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Add a token acting as USER; its secret is printed once and stored only hashed.
    Add {
        name: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        json: bool,
    },
    /// List tokens: name, user, created, last used, revoked.
    List(JsonFlag),
    /// Revoke a token: refused from its next request on.
    Revoke { name: String },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Where the HTTP API listens.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: String,
    /// Run the runner only (timers and effects), no HTTP API.
    #[arg(long, conflicts_with = "no_runner")]
    pub no_api: bool,
    /// Serve the HTTP API only; timers and effects are left to other `serve` processes.
    #[arg(long)]
    pub no_runner: bool,
    /// Serve the API over TLS with this PEM certificate chain (the server's first); needs
    /// --tls-key. Without both, plain HTTP for a proxy that terminates TLS.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_key",
        conflicts_with = "no_api"
    )]
    pub tls_cert: Option<std::path::PathBuf>,
    /// Clients reach the API through a reverse proxy: they all have its address, so failed
    /// sign-ins are limited per user name only, not per address.
    #[arg(long, conflicts_with = "no_api")]
    pub behind_proxy: bool,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum EffectsCommand {
    /// Effects by status and order, oldest first.
    List(ListEffectsArgs),
    /// Send a failed or unrouted effect out again.
    Retry {
        id: String,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Close a failed or unrouted effect by hand; the note says why.
    Resolve {
        id: String,
        #[arg(long)]
        note: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct ListEffectsArgs {
    /// pending, delivering, delivered, failed, unrouted or resolved.
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long)]
    pub order: Option<String>,
    /// At most this many effects (default 100).
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Add demo users (passwords printed) and a few hundred orders in every state.
    #[arg(long)]
    pub demo: bool,
    /// How many demo orders.
    #[arg(long, default_value_t = 300, requires = "demo")]
    pub orders: usize,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user (the very first user must be an admin and needs no --as).
    Add {
        name: String,
        #[arg(long)]
        role: String,
        /// Read the new password as one line from stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users, with who is disabled or locked (admin only).
    List(JsonFlag),
    /// Stop a user from signing in (admin only; never the last enabled admin).
    Disable { name: String },
    /// Let a disabled user sign in again (admin only).
    Enable { name: String },
    /// Give a user another role (admin only; never demotes the last enabled admin).
    SetRole { name: String, role: String },
    /// Lift a lock left by failed sign-ins (admin only).
    Unlock { name: String },
}

#[derive(Subcommand, Debug)]
pub enum OrderCommand {
    /// Create an order in its workflow's initial state (admin only).
    Create(CreateOrderArgs),
    /// Orders the acting user may see.
    List(ListOrdersArgs),
    /// One order, with the transitions the acting user may take and the blocked ones.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct CreateOrderArgs {
    #[arg(long)]
    pub workflow: String,
    #[arg(long)]
    pub customer: String,
    #[arg(long)]
    pub seller: String,
    #[arg(long)]
    pub title: String,
    /// Like 12.50.
    #[arg(long, allow_hyphen_values = true)]
    pub amount: String,
    #[arg(long, default_value = "EUR")]
    pub currency: String,
    /// RFC 3339.
    #[arg(long)]
    pub due: Option<String>,
    /// RFC 3339 (default: now).
    #[arg(long)]
    pub placed_at: Option<String>,
    /// KEY=VALUE; true/false and numbers are typed, the rest are text. Repeatable.
    #[arg(long = "attr", value_name = "KEY=VALUE")]
    pub attrs: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ListOrdersArgs {
    #[arg(long)]
    pub state: Option<String>,
    #[arg(long)]
    pub workflow: Option<String>,
    /// Only late orders (past due in a state where that counts).
    #[arg(long)]
    pub late: bool,
    /// Matches id, title, customer or seller.
    #[arg(long)]
    pub search: Option<String>,
    /// At most this many orders.
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// `csv`: a header row, then one row per order, for a spreadsheet.
    #[arg(long, value_enum)]
    pub format: Option<ListFormat>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    Csv,
}

#[derive(Args, Debug)]
pub struct AdvanceArgs {
    pub id: String,
    pub event: String,
    #[arg(long)]
    pub note: Option<String>,
    /// Refuse with a conflict (exit 5) unless the order is still at this version.
    #[arg(long)]
    pub expect_version: Option<i64>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct BulkArgs {
    pub event: String,
    /// The orders, by id: 1,2,3.
    #[arg(
        long,
        value_delimiter = ',',
        conflicts_with = "filter",
        required_unless_present = "filter"
    )]
    pub ids: Vec<String>,
    /// The orders matching a text, as `order list --search` (with --state and --workflow).
    #[arg(long)]
    pub filter: Option<String>,
    #[arg(long, requires = "filter")]
    pub state: Option<String>,
    #[arg(long, requires = "filter")]
    pub workflow: Option<String>,
    #[arg(long)]
    pub note: Option<String>,
    /// Say what would happen to each order, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// One order's history; or --all for every order's, newest first.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub id: Option<String>,
    /// Interleave refused attempts (support and admin).
    #[arg(long)]
    pub attempts: bool,
    /// Every transition and refused attempt across all orders, newest first (support and
    /// admin), filtered by the flags below.
    #[arg(long)]
    pub all: bool,
    #[arg(long, requires = "all")]
    pub actor: Option<String>,
    #[arg(long, requires = "all")]
    pub role: Option<String>,
    #[arg(long, requires = "all")]
    pub event: Option<String>,
    #[arg(long, requires = "all")]
    pub state: Option<String>,
    #[arg(long, requires = "all")]
    pub workflow: Option<String>,
    /// From this time (RFC 3339), inclusive.
    #[arg(long, requires = "all")]
    pub since: Option<String>,
    /// Up to this time (RFC 3339), exclusive.
    #[arg(long, requires = "all")]
    pub until: Option<String>,
    /// At most this many entries (default 100).
    #[arg(long, requires = "all")]
    pub limit: Option<usize>,
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// `csv`, with --all.
    #[arg(long, value_enum, requires = "all")]
    pub format: Option<ListFormat>,
}

#[derive(Args, Debug)]
pub struct TickArgs {
    /// The clock to fire timers at (RFC 3339), for tests and demos.
    #[arg(long)]
    pub now: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct SeedArgs {
    #[arg(long)]
    pub orders: usize,
    #[arg(long)]
    pub workflow: Option<String>,
    /// Commit every transition through the normal apply path, one transaction each, instead
    /// of batches (slower; for crash and race tests).
    #[arg(long)]
    pub one_by_one: bool,
    /// Orders only among the user accounts (a stress case: a few people hold every order)
    /// instead of 20,000 customers and 2,000 sellers with a long tail.
    #[arg(long, conflicts_with = "one_by_one")]
    pub accounts_only: bool,
}

#[derive(Args, Debug)]
pub struct JsonFlag {
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum WorkflowCommand {
    /// Validate a workflow file; errors as FILE:LINE:COL: message.
    Check { file: PathBuf },
    /// The state graph as text.
    Graph {
        /// A shipped workflow's name or a file path.
        name_or_file: String,
        #[arg(long, value_enum, default_value_t = GraphFormatArg::Mermaid)]
        format: GraphFormatArg,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormatArg {
    Mermaid,
    Dot,
}
