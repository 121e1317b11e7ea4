//! Takes a call's concurrency slot before its message is read, reads the message (at most
//! `--max-body-bytes` and its 5-byte prefix) before tonic does, and bounds the whole call,
//! reading included, by the request timeout. Taken in the handler (until session 8), a
//! slot came only once tonic had the whole message, and tonic reserves the length a
//! message's prefix claims before the bytes arrive: 800 HTTP/2 streams that each sent a
//! prefix claiming 1 MB and 60 KB of it, then stalled, took the server to 896 MiB and were
//! never ended (host/tests/hostile.rs). Now a stalled call holds a slot (UNAVAILABLE for
//! the rest once they are taken, as HTTP answers 503) and the bytes it sent, and ends with
//! DEADLINE_EXCEEDED, as a stalled HTTP body ends with 408. The two health checks take no
//! slot, as over HTTP.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use tonic::body::Body;
use tonic::{Code, Status};
use tower::{Layer, Service};

use super::service::{record, HEALTH_METHODS, METHODS};
use super::SERVICE;
use crate::app::AppState;

/// The layer over tonic's routes.
#[derive(Clone)]
pub struct Slots {
    pub state: Arc<AppState>,
}

impl<S> Layer<S> for Slots {
    type Service = SlotService<S>;

    fn layer(&self, inner: S) -> SlotService<S> {
        SlotService {
            inner,
            state: self.state.clone(),
        }
    }
}

#[derive(Clone)]
pub struct SlotService<S> {
    inner: S,
    state: Arc<AppState>,
}

/// The method a path calls, if it is one of the service's (an unknown path is answered
/// UNIMPLEMENTED by tonic, without reading a message).
fn method_of(path: &str) -> Option<&'static str> {
    let name = path
        .strip_prefix('/')?
        .strip_prefix(SERVICE)?
        .strip_prefix('/')?;
    METHODS.iter().copied().find(|m| *m == name)
}

/// The first `limit` bytes of `body` and the frame that passed them, or what came before
/// the client stopped (tonic then says what is missing or too long, as it would have).
async fn read_up_to(mut body: Body, limit: usize) -> Bytes {
    let mut read = BytesMut::new();
    while read.len() <= limit {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    read.extend_from_slice(data);
                }
            }
            _ => break,
        }
    }
    read.freeze()
}

impl<S, R> Service<http::Request<Body>> for SlotService<S>
where
    S: Service<http::Request<Body>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let method = method_of(request.uri().path());
        let Some(method) = method.filter(|m| !HEALTH_METHODS.contains(m)) else {
            return Box::pin(self.inner.call(request));
        };
        // The clone that was made ready answers this call (tower's readiness contract).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let state = self.state.clone();
        Box::pin(async move {
            let start = Instant::now();
            let refused = |status: Status| {
                record(&state, method, status.code(), 0, "", start.elapsed());
                Ok(status.into_http())
            };
            let _permit = match state.try_permit() {
                Ok(permit) => permit,
                Err(why) => return refused(Status::unavailable(why)),
            };
            let timeout = state.config.request_timeout;
            let limit = state.config.max_body_bytes.saturating_add(5);
            let call = async move {
                let (parts, body) = request.into_parts();
                let message = read_up_to(body, limit).await;
                inner
                    .call(http::Request::from_parts(
                        parts,
                        Body::new(Full::new(message)),
                    ))
                    .await
            };
            match tokio::time::timeout(timeout, call).await {
                Ok(answered) => answered,
                Err(_) => refused(Status::new(
                    Code::DeadlineExceeded,
                    format!(
                        "request not completed within {}",
                        humantime::format_duration(timeout)
                    ),
                )),
            }
        })
    }
}
