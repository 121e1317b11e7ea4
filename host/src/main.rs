//! The `host` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;
use host::cli::{Cli, Command, ServeArgs};
use host::HostError;

/// mimalloc: musl's own malloc serialises threads, glibc's costs more per request;
/// metered so a model's memory can be measured as it loads (`host::heap_meter`).
#[global_allocator]
static ALLOCATOR: host::heap_meter::Metered<mimalloc::MiMalloc> =
    host::heap_meter::Metered(mimalloc::MiMalloc);

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version: clap prints them to stdout as usual.
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            // One line on stderr, like every other error of this CLI.
            let text = err.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!("host: {first}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        None => run_server(cli.serve),
        Some(Command::Serve(args)) => run_server(*args),
        Some(Command::Predict(args)) => host::load_model(args.model.model.as_deref())
            .and_then(|model| host::batch::run(model, &args)),
        Some(Command::Healthcheck(args)) => {
            return match args.url().and_then(|url| {
                host::healthcheck::check(&url, args.timeout).map_err(HostError::from)
            }) {
                Ok(line) => {
                    println!("{line}");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("host: healthcheck: {err}");
                    ExitCode::from(1)
                }
            };
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("host: error: {err}");
            ExitCode::from(2)
        }
    }
}

fn run_server(args: ServeArgs) -> Result<(), HostError> {
    // Kept to the end: flushes the log lines still buffered.
    let _log = host::logging::init(&args.log_format, args.log_level);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(HostError::Runtime)?
        .block_on(host::serve::serve(args))
}
