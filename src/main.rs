use clap::Parser;
use orderboard::cli::{self, Cli};

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let cli = Cli::parse();
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
