//! The command line: `host [serve]`, `host predict`. Parsing only; the work is elsewhere.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use predictor::Scaling;

#[derive(Debug, Parser)]
#[command(
    name = "host",
    version,
    about = "Serve or run a scikit-learn-exact model (the Boston housing model is built in)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default command).
    Serve(ServeArgs),
    /// Predict a /predict JSON payload or a CSV with a header row; prints the predictions.
    Predict(PredictArgs),
}

#[derive(Debug, Args, Clone)]
pub struct ModelArgs {
    /// A model file (model_data/README.md); default: the embedded model.
    #[arg(long, env = "MODEL_FILE")]
    pub model: Option<PathBuf>,
    /// Scaling when a request does not choose: training (real predictions) or
    /// per-request (the original service's behaviour).
    #[arg(long, env = "SCALING", default_value = "training", value_parser = parse_scaling)]
    pub scaling: Scaling,
}

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on (default 0.0.0.0:8080, or 0.0.0.0:$PORT).
    #[arg(long, env = "LISTEN")]
    pub listen: Option<SocketAddr>,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Largest request body in bytes (413 above).
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1 << 20)]
    pub max_body_bytes: usize,
    /// Most rows in one request (413 above).
    #[arg(long, env = "MAX_ROWS", default_value_t = 100_000)]
    pub max_rows: usize,
}

#[derive(Debug, Args, Clone)]
pub struct PredictArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Input file, or - for standard input.
    #[arg(default_value = "-")]
    pub input: PathBuf,
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            listen: None,
            model: ModelArgs {
                model: std::env::var_os("MODEL_FILE").map(PathBuf::from),
                scaling: std::env::var("SCALING")
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_default(),
            },
            max_body_bytes: 1 << 20,
            max_rows: 100_000,
        }
    }
}

impl ServeArgs {
    /// `--listen`/`LISTEN`, else `0.0.0.0:$PORT`, else `0.0.0.0:8080`.
    pub fn address(&self) -> Result<SocketAddr, String> {
        if let Some(addr) = self.listen {
            return Ok(addr);
        }
        let port = match std::env::var("PORT") {
            Ok(p) => p
                .parse::<u16>()
                .map_err(|_| format!("PORT={p:?} is not a port number"))?,
            Err(_) => 8080,
        };
        Ok(SocketAddr::from(([0, 0, 0, 0], port)))
    }
}

fn parse_scaling(s: &str) -> Result<Scaling, String> {
    s.parse()
        .map_err(|e: predictor::PredictError| e.to_string())
}
