//! The gRPC port's connections, and the answers each owes. HTTP/2 flow control lets a
//! client hold an answer without ever reading it: a client that grants no window (or a
//! few bytes of one) leaves the answer buffered and its stream open, no socket write
//! pending, so nothing times out; measured in session 8, 20 such connections were still
//! open 40 s after their 2 s request timeout. hyper gives a call no handle on its stream,
//! so each call registers its answer, with its deadline, in its connection's `Answers`
//! (tonic hands them to the call in the request's extensions) until the client has taken
//! it (`slots`), and a connection with an answer past its deadline fails its reads and
//! writes, so hyper drops it: one timer per connection, none per call. A client that
//! stops reading the socket itself is cut by `SendTimeout`, as over HTTP, and one that
//! connects and sends nothing (hyper waits for the HTTP/2 preface for ever) is cut when
//! its preface is not in by the header read timeout, as an HTTP head is.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};
use tonic::transport::server::Connected;

use crate::send_timeout::SendTimeout;

/// The answers a connection's calls have given and the client has not taken yet, each
/// with the deadline by which it must be (at most the streams a connection may have).
#[derive(Default)]
pub struct Answers {
    pending: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    next: u64,
    deadlines: Vec<(u64, Instant)>,
}

impl Answers {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers an answer due by `deadline`, until the returned guard is dropped.
    pub fn owe(self: &Arc<Self>, deadline: Instant) -> Owed {
        let mut pending = self.lock();
        let id = pending.next;
        pending.next += 1;
        pending.deadlines.push((id, deadline));
        Owed {
            answers: self.clone(),
            id,
        }
    }

    /// The deadline of the answer due first.
    pub fn first_due(&self) -> Option<Instant> {
        self.lock().deadlines.iter().map(|(_, d)| *d).min()
    }
}

/// An answer owed on a connection; dropped once the client has taken it.
pub struct Owed {
    answers: Arc<Answers>,
    id: u64,
}

impl Drop for Owed {
    fn drop(&mut self) {
        let mut pending = self.answers.lock();
        if let Some(i) = pending.deadlines.iter().position(|(id, _)| *id == self.id) {
            pending.deadlines.swap_remove(i);
        }
    }
}

/// The HTTP/2 client connection preface (RFC 9113 3.4): `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`.
const PREFACE_BYTES: usize = 24;

/// An accepted connection: `SendTimeout` over the socket, the preface's deadline, and
/// the answers it owes with a timer at the first one's deadline.
pub struct GrpcConnection {
    io: SendTimeout<TcpStream>,
    /// Bytes of the preface still to come, and when they are due.
    preface_left: usize,
    preface_due: Pin<Box<Sleep>>,
    answers: Arc<Answers>,
    /// The timer, and the deadline it is set to (None: no answer is owed).
    answer_due: Pin<Box<Sleep>>,
    armed: Option<Instant>,
    overdue: bool,
}

impl GrpcConnection {
    fn new(stream: TcpStream, timeouts: Timeouts) -> Self {
        Self {
            io: SendTimeout::new(stream, timeouts.send),
            preface_left: PREFACE_BYTES,
            preface_due: Box::pin(tokio::time::sleep(timeouts.preface)),
            answers: Arc::default(),
            answer_due: Box::pin(tokio::time::sleep(Duration::ZERO)),
            armed: None,
            overdue: false,
        }
    }

    /// Whether an answer is past its deadline; checked on every read and write, so the
    /// timer wakes the task that drives the connection. A call registers its answer
    /// before hyper sends the answer's head, which wakes that task to write it.
    fn is_overdue(&mut self, cx: &mut Context<'_>) -> bool {
        if self.overdue {
            return true;
        }
        let Some(first) = self.answers.first_due() else {
            self.armed = None;
            return false;
        };
        if self.armed != Some(first) {
            self.answer_due.as_mut().reset(first);
            self.armed = Some(first);
        }
        if self.answer_due.as_mut().poll(cx).is_ready() {
            tracing::warn!(
                "a gRPC answer was not taken within the request timeout: closing its connection"
            );
            self.overdue = true;
        }
        self.overdue
    }
}

fn overdue_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "an answer on this connection was not taken within the request timeout",
    )
}

impl Connected for GrpcConnection {
    type ConnectInfo = Arc<Answers>;

    fn connect_info(&self) -> Arc<Answers> {
        self.answers.clone()
    }
}

impl AsyncRead for GrpcConnection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.is_overdue(cx) {
            return Poll::Ready(Err(overdue_error()));
        }
        if this.preface_left == 0 {
            return Pin::new(&mut this.io).poll_read(cx, buf);
        }
        let before = buf.filled().len();
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        let got = buf.filled().len() - before;
        this.preface_left = this.preface_left.saturating_sub(got);
        if this.preface_left > 0 && this.preface_due.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no HTTP/2 preface within the header read timeout",
            )));
        }
        read
    }
}

impl AsyncWrite for GrpcConnection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.is_overdue(cx) {
            return Poll::Ready(Err(overdue_error()));
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.is_overdue(cx) {
            return Poll::Ready(Err(overdue_error()));
        }
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.is_overdue(cx) {
            return Poll::Ready(Err(overdue_error()));
        }
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// How long accepting waits after a failure (out of file descriptors, say), as the HTTP
/// listener does: tonic retries at once, which would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// How long a connection may leave its writes stalled (`--request-timeout`), and how long
/// it may take to send its preface (`--header-read-timeout`).
#[derive(Clone, Copy)]
pub struct Timeouts {
    pub send: Duration,
    pub preface: Duration,
}

/// The connections `listener` accepts, for tonic's `serve_with_incoming_shutdown`.
pub struct Incoming {
    listener: TcpListener,
    timeouts: Timeouts,
    backoff: Option<Pin<Box<Sleep>>>,
}

impl Incoming {
    pub fn new(listener: TcpListener, timeouts: Timeouts) -> Self {
        Self {
            listener,
            timeouts,
            backoff: None,
        }
    }
}

impl Stream for Incoming {
    type Item = io::Result<GrpcConnection>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(backoff) = this.backoff.as_mut() {
            std::task::ready!(backoff.as_mut().poll(cx));
            this.backoff = None;
        }
        match std::task::ready!(this.listener.poll_accept(cx)) {
            Ok((stream, _peer)) => {
                let _ = stream.set_nodelay(true);
                Poll::Ready(Some(Ok(GrpcConnection::new(stream, this.timeouts))))
            }
            Err(err) => {
                tracing::warn!(error = %err, "gRPC accept failed");
                this.backoff = Some(Box::pin(tokio::time::sleep(ACCEPT_BACKOFF)));
                Poll::Ready(Some(Err(err)))
            }
        }
    }
}
