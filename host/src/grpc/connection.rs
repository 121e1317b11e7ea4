//! The gRPC port's connections, each closable by a call on it. HTTP/2 flow control lets
//! a client hold an answer without ever reading it: a client that grants no window (or a
//! few bytes of one) leaves the answer buffered and its stream open, no socket write
//! pending, so nothing times out; measured in session 8, 20 such connections were still
//! open 40 s after their 2 s request timeout. hyper gives a call no handle on its stream,
//! so a call that sees its answer not taken in time (`slots`) closes the whole
//! connection through the `Closer` tonic hands it in the request's extensions. A client
//! that stops reading the socket itself is cut by `SendTimeout`, as over HTTP, and one
//! that connects and sends nothing (hyper waits for the HTTP/2 preface for ever) is cut
//! when its preface is not in by the header read timeout, as an HTTP head is.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::Sleep;
use tonic::transport::server::Connected;

use crate::send_timeout::SendTimeout;

/// Closes one connection: every read and write on it fails from then on, so hyper drops
/// it and the socket with it.
#[derive(Clone)]
pub struct Closer(Arc<Mutex<Option<oneshot::Sender<()>>>>);

impl Closer {
    /// A closer, and what it closes.
    #[cfg(test)]
    pub fn for_tests() -> (Self, oneshot::Receiver<()>) {
        let (sender, close) = oneshot::channel();
        (Closer(Arc::new(Mutex::new(Some(sender)))), close)
    }

    pub fn close(&self) {
        let sender = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(sender) = sender {
            let _ = sender.send(());
        }
    }
}

/// The HTTP/2 client connection preface (RFC 9113 3.4): `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`.
const PREFACE_BYTES: usize = 24;

/// An accepted connection: `SendTimeout` over the socket, the preface's deadline, and
/// the closer's other end.
pub struct GrpcConnection {
    io: SendTimeout<TcpStream>,
    /// Bytes of the preface still to come, and when they are due.
    preface_left: usize,
    preface_due: Pin<Box<Sleep>>,
    /// Resolves when the connection is to close (None: closed, or no closer is left).
    close: Option<oneshot::Receiver<()>>,
    closed: bool,
    closer: Closer,
}

impl GrpcConnection {
    fn new(stream: TcpStream, timeouts: Timeouts) -> Self {
        let (sender, close) = oneshot::channel();
        Self {
            io: SendTimeout::new(stream, timeouts.send),
            preface_left: PREFACE_BYTES,
            preface_due: Box::pin(tokio::time::sleep(timeouts.preface)),
            close: Some(close),
            closed: false,
            closer: Closer(Arc::new(Mutex::new(Some(sender)))),
        }
    }

    /// Whether the connection has been closed; polled on every read and write, so the
    /// task that drives the connection is woken when it is.
    fn is_closed(&mut self, cx: &mut Context<'_>) -> bool {
        if let Some(close) = self.close.as_mut() {
            match Pin::new(close).poll(cx) {
                Poll::Ready(Ok(())) => {
                    self.closed = true;
                    self.close = None;
                }
                Poll::Ready(Err(_)) => self.close = None,
                Poll::Pending => {}
            }
        }
        self.closed
    }
}

fn closed_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "an answer on this connection was not taken within the request timeout",
    )
}

impl Connected for GrpcConnection {
    type ConnectInfo = Closer;

    fn connect_info(&self) -> Closer {
        self.closer.clone()
    }
}

impl AsyncRead for GrpcConnection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.is_closed(cx) {
            return Poll::Ready(Err(closed_error()));
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
        if this.is_closed(cx) {
            return Poll::Ready(Err(closed_error()));
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.is_closed(cx) {
            return Poll::Ready(Err(closed_error()));
        }
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.is_closed(cx) {
            return Poll::Ready(Err(closed_error()));
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
