//! Structured logs on stderr (text or JSON lines) through `tracing`, written by a
//! background thread so a request never waits on the terminal or the log collector.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::filter::LevelFilter;

/// Installs the global subscriber; keep the guard alive until exit (it flushes).
pub fn init(format: &str, level: LevelFilter) -> WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_max_level(level)
        .with_ansi(false);
    let result = if format == "json" {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    } else {
        builder.try_init()
    };
    // Already installed (a test that starts two servers): keep the first.
    drop(result);
    guard
}
