//! A connection whose client stops taking its response is closed after a while (nginx's
//! `send_timeout`). hyper has no write timeout: without this, a client that never reads
//! keeps its connection, the response buffered for it and a file descriptor for ever.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// `inner` whose writes fail with `TimedOut` once one has made no progress for `timeout`.
pub struct SendTimeout<T> {
    inner: T,
    timeout: Duration,
    /// The deadline of the write now pending (allocated on the first stall, then reused).
    stall: Option<Pin<Box<Sleep>>>,
    stalled: bool,
}

impl<T> SendTimeout<T> {
    pub fn new(inner: T, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            stall: None,
            stalled: false,
        }
    }

    /// Passes a ready write through; a pending one arms (or checks) the deadline.
    fn check<R>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        if poll.is_ready() {
            self.stalled = false;
            return poll;
        }
        let deadline = Instant::now() + self.timeout;
        let stall = self
            .stall
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if !self.stalled {
            self.stalled = true;
            stall.as_mut().reset(deadline);
        }
        match stall.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.stalled = false;
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client took no byte of its response in time",
                )))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for SendTimeout<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for SendTimeout<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.check(cx, poll)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.check(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.check(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.check(cx, poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_write_nobody_takes_times_out() {
        // A 64-byte pipe nobody reads: the second write stalls for ever.
        let (writer, _reader) = tokio::io::duplex(64);
        let mut io = SendTimeout::new(writer, Duration::from_millis(200));
        io.write_all(&[0; 64]).await.unwrap();
        let start = std::time::Instant::now();
        let err = io.write_all(&[0; 1]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(start.elapsed() >= Duration::from_millis(200));
    }

    #[tokio::test]
    async fn stalls_shorter_than_the_timeout_do_not_add_up() {
        // Twenty stalls of 50 ms each (1 s in all) against a 2 s timeout: never fails.
        let (writer, mut reader) = tokio::io::duplex(64);
        let mut io = SendTimeout::new(writer, Duration::from_secs(2));
        let drip = tokio::spawn(async move {
            let mut chunk = [0; 64];
            for _ in 0..20 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                reader.read_exact(&mut chunk).await.unwrap();
            }
        });
        io.write_all(&[1; 64 * 20]).await.unwrap();
        drip.await.unwrap();
    }
}
