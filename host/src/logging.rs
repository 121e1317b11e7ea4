//! Structured logs on stderr (text or JSON lines) through `tracing`. Lines go into one
//! shared buffer that a background thread flushes every 100 ms, so a busy server writes
//! many lines per system call and wakes no other thread per request (a channel to a
//! writer thread cost more CPU per request than the prediction).

use std::io::{BufWriter, Stderr, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::writer::{MakeWriter, MutexGuardWriter};

/// How long a line may wait in the buffer.
const FLUSH_EVERY: Duration = Duration::from_millis(100);

type Buffer = Mutex<BufWriter<Stderr>>;

static BUFFER: OnceLock<Arc<Buffer>> = OnceLock::new();

#[derive(Clone)]
struct SharedStderr(Arc<Buffer>);

impl<'a> MakeWriter<'a> for SharedStderr {
    type Writer = MutexGuardWriter<'a, BufWriter<Stderr>>;

    fn make_writer(&'a self) -> Self::Writer {
        self.0.as_ref().make_writer()
    }
}

/// Writes out every buffered line now (after start-up, before exit).
pub fn flush() {
    if let Some(buffer) = BUFFER.get() {
        if let Ok(mut writer) = buffer.lock() {
            let _ = writer.flush();
        }
    }
}

/// Stops the flusher and flushes the rest when dropped: keep it until exit.
pub struct LogGuard {
    stop: Arc<AtomicBool>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        flush();
    }
}

/// Installs the global subscriber (once per process; later calls keep the first).
pub fn init(format: &str, level: LevelFilter) -> LogGuard {
    let buffer = BUFFER
        .get_or_init(|| {
            Arc::new(Mutex::new(BufWriter::with_capacity(
                64 * 1024,
                std::io::stderr(),
            )))
        })
        .clone();
    let builder = tracing_subscriber::fmt()
        .with_writer(SharedStderr(buffer))
        .with_max_level(level)
        .with_ansi(false);
    let installed = if format == "json" {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    } else {
        builder.try_init()
    };
    let stop = Arc::new(AtomicBool::new(false));
    if installed.is_ok() {
        let stop = stop.clone();
        let spawned = std::thread::Builder::new()
            .name("log-flush".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(FLUSH_EVERY);
                    flush();
                }
            });
        drop(spawned);
    }
    LogGuard { stop }
}
