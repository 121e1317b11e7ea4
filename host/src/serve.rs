//! `host serve`: binds the router and runs hyper's connection loop (axum::serve has no
//! header read timeout), then drains on SIGTERM/SIGINT: readiness off first, listener
//! closed after the shutdown delay, in-flight requests finished within the drain timeout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use predictor::ServiceOptions;
use tokio::net::{TcpListener, TcpSocket};

use crate::app::{router, AppConfig, AppState};
use crate::cli::ServeArgs;
use crate::error::HostError;
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

fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(BACKLOG)
}

pub async fn serve(args: ServeArgs) -> Result<(), HostError> {
    let model = crate::load_model(args.model.model.as_deref())?;
    let address = args.address()?;
    let listener = bind(address).map_err(|source| HostError::Listen { address, source })?;
    let local = listener.local_addr().map_err(HostError::LocalAddress)?;
    let state = AppState::new(AppConfig {
        model,
        service: ServiceOptions {
            default_scaling: args.model.scaling,
            max_rows: args.max_rows,
            ..ServiceOptions::default()
        },
        max_body_bytes: args.max_body_bytes,
        request_timeout: args.request_timeout,
        max_concurrency: args.max_concurrency as usize,
    });
    tracing::info!(
        address = %local,
        model = model.name(),
        model_version = model.version(),
        scaling = args.model.scaling.as_str(),
        version = env!("CARGO_PKG_VERSION"),
        "serving on http://{local}"
    );
    crate::logging::flush();
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(args.header_read_timeout)
        .max_header_size(MAX_HEADER_BYTES)
        .max_buf_size(MAX_HEADER_BYTES + 8192)
        .keep_alive(true);
    let service = TowerToHyperService::new(router(state.clone()));

    let stop_accepting = stop_accepting(state.clone(), args.shutdown_delay);
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
    drain(graceful, args.drain_timeout).await
}

/// Resolves when the listener should close: a signal, readiness off, then the delay.
async fn stop_accepting(state: Arc<AppState>, delay: Duration) {
    let signal = shutdown_signal().await;
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

async fn shutdown_signal() -> &'static str {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => "SIGINT",
        () = terminate => "SIGTERM",
    }
}
