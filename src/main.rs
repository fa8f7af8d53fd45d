use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use orderboard::cli::{self, Cli};
use orderboard::domain::text::display_safe;
use orderboard::workflow::guard::COMPILER_THREAD;

fn main() -> color_eyre::Result<()> {
    // color-eyre for errors only: a panic gets our one sentence, not its report.
    let (_, eyre_hook) = color_eyre::config::HookBuilder::default().into_hooks();
    eyre_hook.install()?;
    install_panic_hook();
    let parsed = Cli::command().try_get_matches().and_then(|matches| {
        let mut cli = Cli::from_arg_matches(&matches)?;
        cli.global.database_typed =
            matches.value_source("database") == Some(ValueSource::CommandLine);
        Ok(cli)
    });
    let cli = match parsed {
        Ok(cli) => cli,
        Err(error) => match error.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => error.exit(),
            // One sentence, not clap's page of usage: the first line without its "error: ",
            // and the arguments it lists (a missing argument is named).
            _ => {
                let rendered = error.render().to_string();
                let mut lines = rendered.lines();
                let first = lines.next().unwrap_or("invalid arguments");
                let named: Vec<&str> = lines
                    .take_while(|line| line.starts_with("  "))
                    .map(str::trim)
                    .collect();
                let sentence = match named.as_slice() {
                    [] => first.trim_start_matches("error: ").to_string(),
                    _ => format!(
                        "{} {}",
                        first.trim_start_matches("error: "),
                        named.join(", ")
                    ),
                };
                eprintln!("{} (see --help)", display_safe(&sentence));
                std::process::exit(2);
            }
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(cli::run(cli));
    if let Err(error) = outcome {
        // Messages quote workflow files, the database and arguments: safe line by line, so
        // a list of load errors keeps one error per line.
        let message = error.to_string();
        let safe: Vec<_> = message.lines().map(display_safe).collect();
        eprintln!("{}", safe.join("\n"));
        std::process::exit(error.code());
    }
    Ok(())
}

/// A panic prints one sentence and exits 1, never a report or a backtrace. The TUI wraps this
/// hook with ratatui's, which restores the terminal first. Exiting drops any open transaction,
/// so a change that had not committed is rolled back.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        // Guard compilation catches its thread's panics and reports a load error instead.
        if std::thread::current().name() == Some(COMPILER_THREAD) {
            return;
        }
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string());
        // Output that cannot be written is not an internal error: a closed pipe
        // (`order list | head -1`) ends quietly, a full disk says so in one sentence.
        if let Some(reason) = message.strip_prefix("failed printing to stdout: ") {
            if reason.contains("Broken pipe") {
                std::process::exit(0);
            }
            eprintln!("cannot write the output: {}", display_safe(reason));
            std::process::exit(1);
        }
        let place = info
            .location()
            .map(|at| format!(" at {}:{}", at.file(), at.line()))
            .unwrap_or_default();
        eprintln!(
            "orderboard hit an internal error ({}{place}); nothing it had not committed was changed",
            display_safe(&message)
        );
        std::process::exit(1);
    }));
}
