//! Takes a call's concurrency slot before its message is read, reads the message (at most
//! `--max-body-bytes` and its 5-byte prefix) before tonic does, and bounds the whole call,
//! reading included, by the request timeout. Taken in the handler (until session 8), a
//! slot came only once tonic had the whole message, and tonic reserves the length a
//! message's prefix claims before the bytes arrive: 800 HTTP/2 streams that each sent a
//! prefix claiming 1 MB and 60 KB of it, then stalled, took the server to 896 MiB and were
//! never ended (host/tests/hostile.rs). Now a stalled call holds a slot (UNAVAILABLE for
//! the rest once they are taken, as HTTP answers 503) and the bytes it sent, and ends with
//! DEADLINE_EXCEEDED, as a stalled HTTP body ends with 408; so does a message slower than
//! `--min-body-rate`, with HTTP's 408 message. The two health checks take no slot, as over
//! HTTP.
//!
//! The answer must then be taken within the same request timeout, or its connection is
//! closed: the call owes it on the connection (`connection::Answers`) until `Taken` sees
//! the client's window take all of it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http_body::{Frame, SizeHint};
use http_body_util::{BodyExt, Full};
use tonic::body::Body;
use tonic::{Code, Status};
use tower::{Layer, Service};

use super::connection::{Answers, Owed};
use super::service::{record, HEALTH_METHODS, METHODS};
use super::SERVICE;
use crate::app::{too_slow, AppState, MinRate};

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
/// the client stopped (tonic then says what is missing or too long, as it would have);
/// DEADLINE_EXCEEDED if they come slower than `min_rate`.
async fn read_up_to(mut body: Body, limit: usize, min_rate: MinRate) -> Result<Bytes, Status> {
    let mut read = BytesMut::new();
    while read.len() <= limit {
        let next = body.frame();
        let frame = match min_rate.deadline(read.len()) {
            None => next.await,
            Some(deadline) => match tokio::time::timeout_at(deadline, next).await {
                Ok(frame) => frame,
                Err(_) => {
                    let message = too_slow(read.len(), min_rate);
                    return Err(Status::new(Code::DeadlineExceeded, message));
                }
            },
        };
        match frame {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    read.extend_from_slice(data);
                }
            }
            _ => break,
        }
    }
    Ok(read.freeze())
}

/// An answer's body, owed on its connection (`connection::Answers`) until the body is
/// dropped, which hyper does once it has handed over the last frame.
///
/// The last byte of each data frame goes in a frame of its own. hyper hands h2 a frame
/// once the stream has window room for one byte more than h2 holds for it, then at once
/// asks for the next frame: sent whole, an answer's message would be handed over (and
/// the body dropped) with one byte of window, the rest left waiting in h2 for a window
/// the client never opens (measured: a client granting 10 bytes kept its connection).
/// With its last byte apart, the body ends only once the window has room for all of it.
struct Taken {
    inner: Body,
    last_byte: Option<Bytes>,
    _owed: Owed,
}

fn owed(inner: Body, answers: &Arc<Answers>, deadline: tokio::time::Instant) -> Body {
    Body::new(Taken {
        inner,
        last_byte: None,
        _owed: answers.owe(deadline),
    })
}

impl http_body::Body for Taken {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = self.get_mut();
        if let Some(last) = this.last_byte.take() {
            return Poll::Ready(Some(Ok(Frame::data(last))));
        }
        let frame = std::task::ready!(Pin::new(&mut this.inner).poll_frame(cx));
        Poll::Ready(frame.map(|frame| {
            frame.map(|frame| match frame.into_data() {
                Ok(mut data) if data.len() > 1 => {
                    this.last_byte = Some(data.split_off(data.len() - 1));
                    Frame::data(data)
                }
                Ok(data) => Frame::data(data),
                Err(other) => other,
            })
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.last_byte.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let mut hint = self.inner.size_hint();
        let last = self.last_byte.as_ref().map_or(0, |b| b.len() as u64);
        hint.set_lower(hint.lower() + last);
        if let Some(upper) = hint.upper() {
            hint.set_upper(upper + last);
        }
        hint
    }
}

impl<S> Service<http::Request<Body>> for SlotService<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
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
            let deadline = tokio::time::Instant::now() + state.config.request_timeout;
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
            let min_rate = MinRate::new(state.config.min_body_rate);
            let answers = request.extensions().get::<Arc<Answers>>().cloned();
            let call = async move {
                let (parts, body) = request.into_parts();
                let message = match read_up_to(body, limit, min_rate).await {
                    Ok(message) => message,
                    Err(slow) => return Ok(Err(slow)),
                };
                let answer = inner.call(http::Request::from_parts(
                    parts,
                    Body::new(Full::new(message)),
                ));
                answer.await.map(Ok)
            };
            match tokio::time::timeout_at(deadline, call).await {
                Ok(Ok(Ok(answer))) => Ok(match answers {
                    Some(answers) => answer.map(|body| owed(body, &answers, deadline)),
                    None => answer,
                }),
                Ok(Ok(Err(slow))) => refused(slow),
                Ok(Err(failed)) => Err(failed),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A body of two data frames and trailers, as tonic answers a call.
    fn answer() -> Body {
        let frames = vec![
            Ok::<_, Status>(Frame::data(Bytes::from_static(b"\0\0\0\0\x03abc"))),
            Ok(Frame::data(Bytes::from_static(b"d"))),
            Ok(Frame::trailers(http::HeaderMap::new())),
        ];
        Body::new(http_body_util::StreamBody::new(frames_of(frames)))
    }

    fn frames_of<T: Unpin>(items: Vec<T>) -> impl futures_core::Stream<Item = T> {
        struct Items<T>(std::vec::IntoIter<T>);
        impl<T: Unpin> futures_core::Stream for Items<T> {
            type Item = T;
            fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<T>> {
                Poll::Ready(self.0.next())
            }
        }
        Items(items.into_iter())
    }

    #[tokio::test]
    async fn an_answer_keeps_its_bytes_sends_each_frames_last_byte_apart_and_is_owed_until_dropped()
    {
        let answers = Arc::new(Answers::default());
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut body = owed(answer(), &answers, deadline);
        assert_eq!(answers.first_due(), Some(deadline));
        let mut data = Vec::new();
        let mut trailers = 0;
        while let Some(frame) = body.frame().await {
            let frame = frame.unwrap();
            if frame.is_trailers() {
                trailers += 1;
            }
            if let Ok(bytes) = frame.into_data() {
                data.push(bytes);
            }
        }
        let data: Vec<&[u8]> = data.iter().map(|b| &b[..]).collect();
        assert_eq!(data, [&b"\0\0\0\0\x03ab"[..], b"c", b"d"]);
        assert_eq!(trailers, 1);
        assert_eq!(answers.first_due(), Some(deadline));
        drop(body);
        assert_eq!(answers.first_due(), None);
    }

    #[test]
    fn the_answer_due_first_is_the_earliest_still_owed() {
        let answers = Arc::new(Answers::default());
        let now = tokio::time::Instant::now();
        let later = now + std::time::Duration::from_secs(9);
        let first = answers.owe(now + std::time::Duration::from_secs(2));
        let second = answers.owe(later);
        let third = answers.owe(now + std::time::Duration::from_secs(5));
        assert_eq!(
            answers.first_due(),
            Some(now + std::time::Duration::from_secs(2))
        );
        drop(first);
        drop(third);
        assert_eq!(answers.first_due(), Some(later));
        drop(second);
        assert_eq!(answers.first_due(), None);
    }
}
