//! `host serve`: binds the router and runs it until SIGTERM or Ctrl-C.

use predictor::ServiceOptions;
use tokio::net::TcpListener;

use crate::app::{app, AppConfig};
use crate::cli::ServeArgs;

pub async fn serve(args: ServeArgs) -> Result<(), String> {
    let model = crate::load_model(args.model.model.as_deref())?;
    let address = args.address()?;
    let listener = TcpListener::bind(address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let config = AppConfig {
        model,
        service: ServiceOptions {
            default_scaling: args.model.scaling,
            max_rows: args.max_rows,
            ..ServiceOptions::default()
        },
        max_body_bytes: args.max_body_bytes,
    };
    eprintln!(
        "host: serving model {} version {} on http://{local} (scaling {})",
        model.name(),
        model.version(),
        args.model.scaling.as_str()
    );
    axum::serve(listener, app(config))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server failed: {e}"))
}

async fn shutdown_signal() {
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
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    eprintln!("host: shutting down");
}
