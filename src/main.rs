use clap::Parser;
use clap::error::ErrorKind;
use orderboard::cli::{self, Cli};

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => match error.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => error.exit(),
            // One sentence, not clap's page of usage: the first line, without its "error: ".
            _ => {
                let rendered = error.render().to_string();
                let first = rendered.lines().next().unwrap_or("invalid arguments");
                eprintln!("{} (see --help)", first.trim_start_matches("error: "));
                std::process::exit(2);
            }
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(cli::run(cli));
    if let Err(error) = outcome {
        eprintln!("{error}");
        std::process::exit(error.code());
    }
    Ok(())
}
