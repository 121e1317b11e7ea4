//! `host healthcheck`: one HTTP/1.1 GET over a plain TCP socket, so a container image
//! with no shell and no curl can still run a HEALTHCHECK.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::error::{HealthcheckError, HealthcheckFailure};

/// GETs `url` (`http://host:port/path`); Ok(status line) for a 2xx answer.
pub fn check(url: &str, timeout: Duration) -> Result<String, HealthcheckError> {
    let fail = |failure| HealthcheckError {
        url: url.to_string(),
        failure,
    };
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| fail(HealthcheckFailure::NotHttp))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let address = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let target = address
        .to_socket_addrs()
        .map_err(|source| {
            fail(HealthcheckFailure::Resolve {
                address: address.clone(),
                source,
            })
        })?
        .next()
        .ok_or_else(|| fail(HealthcheckFailure::NoAddress(address.clone())))?;
    let mut stream = TcpStream::connect_timeout(&target, timeout)
        .map_err(|e| fail(HealthcheckFailure::Connect(e)))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| fail(HealthcheckFailure::Socket(e)))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: host-healthcheck\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| fail(HealthcheckFailure::Send(e)))?;
    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 256];
    while !head.contains(&b'\n') {
        let n = stream
            .read(&mut buf)
            .map_err(|e| fail(HealthcheckFailure::NoAnswer(e)))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let status_line = text.lines().next().unwrap_or("").trim().to_string();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| fail(HealthcheckFailure::NotAnAnswer(status_line.clone())))?;
    if (200..300).contains(&status) {
        Ok(format!("{url}: {status_line}"))
    } else {
        Err(fail(HealthcheckFailure::Unhealthy(status_line)))
    }
}
