//! `host serve`: binds the router and runs hyper's connection loop (axum::serve has no
//! header read timeout), and the gRPC service on its own port, then drains both on
//! SIGTERM/SIGINT: readiness off first (HTTP and gRPC readiness answer false), both
//! listeners closed after the shutdown delay, in-flight requests and calls finished
//! within the drain timeout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use predictor::ServiceOptions;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;

use crate::app::{router, AppConfig, AppState};
use crate::cli::ServeArgs;
use crate::error::HostError;
use crate::repository::{ModelRepository, Trigger};
use crate::send_timeout::SendTimeout;

/// The most bytes of request line and headers (431 above; 64 KiB is the AWS ALB's limit
/// for a request's headers). hyper's read buffer is capped a little above it: its
/// default, about 400 KiB, let 500 connections that stall in their heads hold about
/// 150 MiB (83 MiB with the cap; bodies are read in pieces of at most the cap).
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// The kernel's queue of connections not yet accepted. std and tokio listen with 128:
/// a burst, or a server out of file descriptors, overflows that and the kernel drops
/// SYNs (clients retry after 1 s, 3 s, ...). Linux caps it at net.core.somaxconn.
const BACKLOG: u32 = 1024;

/// A listener on `address` (HTTP's and gRPC's) with that backlog.
fn bind(address: SocketAddr) -> Result<TcpListener, HostError> {
    let listen = || {
        let socket = if address.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        socket.bind(address)?;
        socket.listen(BACKLOG)
    };
    listen().map_err(|source| HostError::Listen { address, source })
}

pub async fn serve(args: ServeArgs) -> Result<(), HostError> {
    let repository = Arc::new(ModelRepository::open(args.repository())?);
    let address = args.address()?;
    let listener = bind(address)?;
    let local = listener.local_addr().map_err(HostError::LocalAddress)?;
    let grpc_listener = match args.grpc_listen.address() {
        Some(address) => Some(bind(address)?),
        None => None,
    };
    let state = AppState::new(AppConfig {
        models: repository.clone(),
        service: ServiceOptions {
            default_scaling: args.model.scaling,
            max_rows: args.max_rows,
            ..ServiceOptions::default()
        },
        max_body_bytes: args.max_body_bytes,
        request_timeout: args.request_timeout,
        min_body_rate: args.min_body_rate,
        max_concurrency: args.max_concurrency as usize,
    });
    // Registered before the server says it is serving: a signal that comes before its
    // handler takes its default action, and SIGHUP's and SIGTERM's end the process.
    let signals = Signals::register();
    let snapshot = repository.snapshot();
    let models: Vec<&str> = snapshot.names().collect();
    tracing::info!(
        address = %local,
        models = models.join(",").as_str(),
        default_model = snapshot.default_name().unwrap_or(""),
        watch = args.watch,
        scaling = args.model.scaling.as_str(),
        version = env!("CARGO_PKG_VERSION"),
        "serving on http://{local}"
    );
    // One shutdown for both servers: the signal, readiness off, the delay, then `stop`.
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn({
        let state = state.clone();
        let delay = args.shutdown_delay;
        let stop = signals.stop;
        async move {
            stop_accepting(stop, state, delay).await;
            let _ = stop_tx.send(true);
        }
    });
    let grpc = match grpc_listener {
        Some(listener) => {
            let grpc_local = listener.local_addr().map_err(HostError::LocalAddress)?;
            tracing::info!(address = %grpc_local, "gRPC (V2, inference.GRPCInferenceService) on {grpc_local}");
            Some(tokio::spawn(crate::grpc::serve(
                listener,
                state.clone(),
                args.header_read_timeout,
                stopped(stop_rx.clone()),
            )))
        }
        None => None,
    };
    crate::logging::flush();
    drop(snapshot);
    tokio::spawn(reload_on_sighup(signals.hangup, repository.clone()));
    if args.watch {
        tokio::spawn(watch(repository.clone(), args.watch_interval));
    }
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(args.header_read_timeout)
        .max_header_size(MAX_HEADER_BYTES)
        .max_buf_size(MAX_HEADER_BYTES + 8192)
        .keep_alive(true);
    let service = TowerToHyperService::new(router(state.clone()));

    let stop_accepting = stopped(stop_rx);
    tokio::pin!(stop_accepting);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    let stream = SendTimeout::new(stream, args.request_timeout);
                    let connection = http.serve_connection(TokioIo::new(stream), service.clone());
                    let connection = graceful.watch(connection);
                    tokio::spawn(async move {
                        // A client that goes away or times out is not the server's error.
                        let _ = connection.await;
                    });
                }
                Err(err) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut stop_accepting => break,
        }
    }
    drop(listener);
    let grpc_drain = async {
        let Some(grpc) = grpc else { return Ok(()) };
        match tokio::time::timeout(args.drain_timeout, grpc).await {
            Ok(Ok(result)) => result.map_err(HostError::Grpc),
            Ok(Err(_panicked)) => Ok(()),
            Err(_) => Err(HostError::GrpcDrainTimeout(args.drain_timeout)),
        }
    };
    let (http, grpc) = tokio::join!(drain(graceful, args.drain_timeout), grpc_drain);
    http.and(grpc)
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// SIGHUP rereads every model file (on its own blocking thread: requests go on).
async fn reload_on_sighup(hangup: Option<Hangup>, repository: Arc<ModelRepository>) {
    let Some(mut hangup) = hangup else {
        tracing::warn!("cannot listen for SIGHUP: reload with the repository API");
        return;
    };
    #[cfg(unix)]
    while hangup.recv().await.is_some() {
        tracing::info!("SIGHUP: reloading the models");
        let repository = repository.clone();
        let _ = tokio::task::spawn_blocking(move || repository.reload(Trigger::Sighup)).await;
        crate::logging::flush();
    }
    #[cfg(not(unix))]
    match hangup {}
}

/// `--watch`: polls the model files every `interval` and reloads the changed ones.
/// Polling rather than inotify (the `notify` crate): it sees every way a file can change
/// (a rename over it, a Kubernetes ConfigMap's symbolic link swap, a network file system
/// that sends no events) with no new dependency, at the cost of `interval` latency and
/// one stat per file per interval.
async fn watch(repository: Arc<ModelRepository>, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let repository = repository.clone();
        let _ = tokio::task::spawn_blocking(move || repository.reload(Trigger::Watch)).await;
    }
}

/// Resolves when the listener should close: a signal, readiness off, then the delay.
async fn stop_accepting(stop: Stop, state: Arc<AppState>, delay: Duration) {
    let signal = stop.recv().await;
    state.set_ready(false);
    tracing::info!(
        signal,
        delay_ms = delay.as_millis() as u64,
        "shutting down: readiness off, closing the listener after the delay"
    );
    crate::logging::flush();
    tokio::time::sleep(delay).await;
}

/// Lets open connections finish their requests (idle keep-alive ones close at once).
async fn drain(graceful: GracefulShutdown, timeout: Duration) -> Result<(), HostError> {
    let start = Instant::now();
    let open = graceful.count();
    tokio::select! {
        () = graceful.shutdown() => {
            tracing::info!(
                connections = open,
                drain_ms = start.elapsed().as_millis() as u64,
                "drained, exiting"
            );
            Ok(())
        }
        () = tokio::time::sleep(timeout) => Err(HostError::DrainTimeout(timeout)),
    }
}

#[cfg(unix)]
type Hangup = tokio::signal::unix::Signal;
#[cfg(not(unix))]
type Hangup = std::convert::Infallible;

/// The signals `serve` handles, their handlers installed at once.
struct Signals {
    hangup: Option<Hangup>,
    stop: Stop,
}

/// SIGINT and SIGTERM (Ctrl-C elsewhere): the shutdown.
struct Stop {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    #[cfg(unix)]
    fn register() -> Self {
        use tokio::signal::unix::{signal, SignalKind};
        Signals {
            hangup: signal(SignalKind::hangup()).ok(),
            stop: Stop {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            },
        }
    }

    #[cfg(not(unix))]
    fn register() -> Self {
        Signals {
            hangup: None,
            stop: Stop {},
        }
    }
}

impl Stop {
    /// Resolves with the signal's name when one comes.
    async fn recv(self) -> &'static str {
        #[cfg(unix)]
        {
            async fn next(signal: Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                () = next(self.interrupt) => "SIGINT",
                () = next(self.terminate) => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}
