//! The command line: `host [serve]`, `host predict`, `host healthcheck`. Parsing only;
//! the work is elsewhere.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use predictor::{PredictError, Scaling};

use crate::error::HostError;

#[derive(Debug, Parser)]
#[command(
    name = "host",
    version,
    about = "Serve or run a scikit-learn-exact model (the Boston housing model is built in)."
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `host [FLAGS]` is `host serve [FLAGS]`.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default command).
    Serve(Box<ServeArgs>),
    /// Predict a /predict JSON payload, a CSV with a header row (an empty cell is a
    /// missing value) or a Parquet file; prints the JSON response, or one line per row
    /// (or writes a Parquet file).
    Predict(PredictArgs),
    /// Ask a running server whether it is ready; exit 0 if so, 1 if not (for container
    /// HEALTHCHECKs in images without a shell or curl).
    Healthcheck(HealthcheckArgs),
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
    /// Address of the V2 gRPC service (inference.GRPCInferenceService), or `none` for no
    /// gRPC.
    #[arg(long, env = "GRPC_LISTEN", default_value = "0.0.0.0:8081", value_parser = parse_grpc_listen)]
    pub grpc_listen: GrpcListen,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Serve every model file in this directory, NAME.model.json or NAME.json as the model
    /// NAME (instead of --model).
    #[arg(long, env = "MODEL_DIR", conflicts_with = "model")]
    pub model_dir: Option<PathBuf>,
    /// The model POST /predict answers (default: the only model; required with several).
    #[arg(long, env = "DEFAULT_MODEL")]
    pub default_model: Option<String>,
    /// Most bytes of model files loaded at once; a load over it is refused (409).
    #[arg(long, env = "MAX_MODEL_BYTES")]
    pub max_model_bytes: Option<u64>,
    /// Reload a model when its file changes, load new files, drop removed ones (polls the
    /// files' size, mtime and inode every --watch-interval).
    #[arg(long, env = "WATCH")]
    pub watch: bool,
    /// How often --watch looks at the files.
    #[arg(long, env = "WATCH_INTERVAL", default_value = "1s", value_parser = parse_duration)]
    pub watch_interval: Duration,
    /// Largest request body in bytes (413 above); for gRPC the largest message.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1 << 20)]
    pub max_body_bytes: usize,
    /// Most rows in one request (413 above).
    #[arg(long, env = "MAX_ROWS", default_value_t = 100_000)]
    pub max_rows: usize,
    /// A request not answered within this is answered 408 (e.g. 30s, 500ms); a client
    /// that takes no byte of its response for this long is disconnected.
    #[arg(long, env = "REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// A request body must arrive at least this fast, in bytes per second averaged from its
    /// first byte, once `BODY_GRACE` (5 s) has passed; a slower one (a stalled client holding
    /// a request slot) is answered 408 and closed. As Kestrel's MinRequestBodyDataRate; 0
    /// turns it off.
    #[arg(long, env = "MIN_BODY_RATE", default_value_t = 240)]
    pub min_body_rate: u64,
    /// A client must send a request's headers within this, or its connection is closed;
    /// also how long an idle keep-alive connection stays open, so keep it above the load
    /// balancer's idle timeout (AWS ALB: 60s) or the ALB may reuse a closed connection.
    #[arg(long, env = "HEADER_READ_TIMEOUT", default_value = "65s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,
    /// Requests answered at once; above it, requests get 503 at once instead of queueing.
    #[arg(long, env = "MAX_CONCURRENCY", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrency: u32,
    /// On SIGTERM/SIGINT, keep serving this long with readiness off (so load balancers
    /// stop sending) before closing the listener.
    #[arg(long, env = "SHUTDOWN_DELAY", default_value = "0s", value_parser = parse_duration)]
    pub shutdown_delay: Duration,
    /// Then wait at most this long for in-flight requests to finish.
    #[arg(long, env = "DRAIN_TIMEOUT", default_value = "20s", value_parser = parse_duration)]
    pub drain_timeout: Duration,
    /// Log lines as text or as JSON objects (one per line), on stderr.
    #[arg(long, env = "LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    /// Least severe level logged: error, warn, info (one line per request), debug, trace, off.
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    pub log_level: tracing_subscriber::filter::LevelFilter,
}

/// Where the gRPC service listens, if anywhere (`--grpc-listen ADDR|none`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrpcListen {
    Off,
    On(SocketAddr),
}

impl GrpcListen {
    pub fn address(self) -> Option<SocketAddr> {
        match self {
            GrpcListen::Off => None,
            GrpcListen::On(address) => Some(address),
        }
    }
}

fn parse_grpc_listen(s: &str) -> Result<GrpcListen, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(GrpcListen::Off);
    }
    s.parse()
        .map(GrpcListen::On)
        .map_err(|_| format!("{s:?} is not an address (write e.g. 0.0.0.0:8081, or none)"))
}

#[derive(Debug, Args, Clone)]
pub struct HealthcheckArgs {
    /// What to GET (default http://127.0.0.1:$PORT/v2/health/ready, the port from
    /// LISTEN or PORT, else 8080).
    #[arg(long, env = "HEALTHCHECK_URL")]
    pub url: Option<String>,
    /// Give up after this long.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub timeout: Duration,
}

impl HealthcheckArgs {
    pub fn url(&self) -> Result<String, HostError> {
        if let Some(url) = &self.url {
            return Ok(url.clone());
        }
        let port = match std::env::var("LISTEN") {
            Ok(listen) => listen
                .parse::<SocketAddr>()
                .map_err(|_| HostError::InvalidListen(listen))?
                .port(),
            Err(_) => port_from_env()?,
        };
        Ok(format!("http://127.0.0.1:{port}/v2/health/ready"))
    }
}

#[derive(Debug, Args, Clone)]
pub struct PredictArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// What to print: predict (values or class labels) or, for a classifier,
    /// predict_proba (each row's class probabilities, in the model's classes order).
    #[arg(long, default_value = "predict", value_parser = ["predict", "predict_proba"])]
    pub output: String,
    /// Input file, or - for standard input.
    #[arg(default_value = "-")]
    pub input: PathBuf,
    /// What the input is: auto (Parquet for a file named *.parquet, else a JSON payload or
    /// a CSV by its first byte), csv, json or parquet.
    #[arg(long, default_value = "auto", value_parser = ["auto", "csv", "json", "parquet"])]
    pub input_format: String,
    /// Write the predictions to this file instead of standard output.
    #[arg(long)]
    pub output_file: Option<PathBuf>,
    /// text (lines, or a JSON payload's JSON response) or parquet; default parquet for an
    /// --output-file named *.parquet, else text.
    #[arg(long, value_parser = ["text", "parquet"])]
    pub output_format: Option<String>,
}

impl ServeArgs {
    /// Where the served models come from.
    pub fn repository(&self) -> crate::repository::RepositoryConfig {
        use crate::repository::ModelSource;
        let source = match (&self.model_dir, &self.model.model) {
            (Some(dir), _) => ModelSource::Dir(dir.clone()),
            (None, Some(file)) => ModelSource::File(file.clone()),
            (None, None) => ModelSource::Embedded,
        };
        crate::repository::RepositoryConfig {
            source,
            default_model: self.default_model.clone(),
            max_model_bytes: self.max_model_bytes,
        }
    }

    /// `--listen`/`LISTEN`, else `0.0.0.0:$PORT`, else `0.0.0.0:8080`.
    pub fn address(&self) -> Result<SocketAddr, HostError> {
        if let Some(addr) = self.listen {
            return Ok(addr);
        }
        Ok(SocketAddr::from(([0, 0, 0, 0], port_from_env()?)))
    }
}

/// `PORT`, else 8080.
fn port_from_env() -> Result<u16, HostError> {
    match std::env::var("PORT") {
        Ok(p) => p.parse::<u16>().map_err(|_| HostError::InvalidPort(p)),
        Err(_) => Ok(8080),
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (write e.g. 30s, 500ms, 1m)"))
}

fn parse_scaling(s: &str) -> Result<Scaling, PredictError> {
    s.parse()
}
