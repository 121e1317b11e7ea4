//! Compressed bodies on every route. Request bodies sent with `Content-Encoding: gzip` or
//! `deflate` are decoded here (flate2) with `--max-body-bytes` applied to the compressed
//! AND the decompressed size, so a gzip bomb stops at the limit with a 413; prediction,
//! inference and metrics answers are compressed for clients that send `Accept-Encoding:
//! gzip` or `deflate` (tower-http's layer). What a body's bytes turn into is decided here,
//! and nowhere else.
//!
//! Why not tower-http's `RequestDecompressionLayer`: it stops at the end of the first gzip
//! member and drops whatever else arrived in the same read, so a multi-member body (valid
//! gzip) would be silently cut and trailing garbage ignored; and it boxes every response.

use std::io::Read;

use axum::body::Bytes;
use axum::http::header::CONTENT_ENCODING;
use axum::http::{Extensions, HeaderMap, StatusCode, Version};
use tower_http::compression::predicate::{And, DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;

use crate::observe::RouteInfo;

/// The encodings a request body may come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Gzip,
    /// HTTP's `deflate`: the zlib format (RFC 1950), as browsers, tritonclient and curl send.
    Deflate,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Deflate => "deflate",
        }
    }
}

/// Why a request body could not be read; each becomes one 4xx JSON error.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    /// Over the limit: as sent, or once decompressed (413).
    TooLarge {
        limit: usize,
        encoding: Option<Encoding>,
    },
    /// A `Content-Encoding` this server does not decode (415).
    UnsupportedEncoding(String),
    /// The compressed bytes are not valid for their encoding (400).
    Corrupt { encoding: Encoding, reason: String },
    /// The connection failed while the body was read (400).
    Unreadable(String),
}

impl BodyError {
    pub fn status(&self) -> u16 {
        match self {
            BodyError::TooLarge { .. } => 413,
            BodyError::UnsupportedEncoding(_) => 415,
            BodyError::Corrupt { .. } | BodyError::Unreadable(_) => 400,
        }
    }

    pub fn message(&self) -> String {
        match self {
            BodyError::TooLarge {
                limit,
                encoding: None,
            } => format!("request body is larger than {limit} bytes"),
            BodyError::TooLarge {
                limit,
                encoding: Some(encoding),
            } => format!(
                "request body is larger than {limit} bytes once decompressed \
                 (Content-Encoding: {}; the limit applies to the compressed and the \
                 decompressed size)",
                encoding.name()
            ),
            BodyError::UnsupportedEncoding(encoding) => format!(
                "Content-Encoding {encoding:?} is not supported: send the body as gzip, \
                 deflate or identity"
            ),
            BodyError::Corrupt { encoding, reason } => format!(
                "request body is not valid {0} data (Content-Encoding: {0}): {reason}",
                encoding.name()
            ),
            BodyError::Unreadable(reason) => format!("request body could not be read: {reason}"),
        }
    }
}

/// Which answers are compressed: tower-http's default (above 32 bytes, not gRPC, images or
/// event streams), only successes, and only of the routes whose answers grow with the
/// request (predictions, inference) and of `/metrics`, as Triton does. tritonclient (2.73)
/// reads error bodies without decompressing them, and its asyncio client asks for gzip on
/// every request (aiohttp's default `Accept-Encoding`) but decompresses only inference
/// answers: a compressed error or metadata answer would be unreadable to it.
pub type CompressWhen =
    And<DefaultPredicate, fn(StatusCode, Version, &HeaderMap, &Extensions) -> bool>;

fn compressible(status: StatusCode, _: Version, _: &HeaderMap, extensions: &Extensions) -> bool {
    status.is_success()
        && extensions.get::<RouteInfo>().is_some_and(|info| {
            info.route == "/metrics"
                || info.route.ends_with("/predict")
                || info.route.ends_with("/infer")
        })
}

/// Compresses the answers [`CompressWhen`] picks (gzip or deflate, as the client's
/// Accept-Encoding prefers). Without Accept-Encoding a response goes out as before, with
/// its length.
pub fn compression() -> CompressionLayer<CompressWhen> {
    let compressible: fn(StatusCode, Version, &HeaderMap, &Extensions) -> bool = compressible;
    CompressionLayer::new()
        .gzip(true)
        .deflate(true)
        .compress_when(DefaultPredicate::new().and(compressible))
}

/// The request's `Content-Encoding`: none (or `identity`), gzip (or `x-gzip`, RFC 9110),
/// deflate, or refused.
pub fn request_encoding(headers: &HeaderMap) -> Result<Option<Encoding>, BodyError> {
    let Some(value) = headers.get(CONTENT_ENCODING) else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let name = text.trim();
    if name.eq_ignore_ascii_case("identity") {
        Ok(None)
    } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
        Ok(Some(Encoding::Gzip))
    } else if name.eq_ignore_ascii_case("deflate") {
        Ok(Some(Encoding::Deflate))
    } else {
        Err(BodyError::UnsupportedEncoding(text.into_owned()))
    }
}

/// Decompresses `raw`; more than `limit` bytes out is [`BodyError::TooLarge`], found after
/// at most `limit + 1` bytes were produced (a bomb is never inflated further). Every input
/// byte must belong to the stream: gzip members may follow one another (RFC 1952), but
/// anything else after the end is an error, as is a stream cut short or a bad checksum.
pub fn decode(encoding: Encoding, raw: &[u8], limit: usize) -> Result<Bytes, BodyError> {
    let cap = limit as u64 + 1;
    let mut out = Vec::new();
    let corrupt = |reason: String| BodyError::Corrupt { encoding, reason };
    let mut rest = raw;
    loop {
        let budget = cap - out.len() as u64;
        // bufread decoders over a slice consume exactly their stream: what is left after
        // one is what followed it.
        rest = match encoding {
            Encoding::Gzip => {
                let mut member = flate2::bufread::GzDecoder::new(rest);
                (&mut member)
                    .take(budget)
                    .read_to_end(&mut out)
                    .map(|_| member.into_inner())
            }
            Encoding::Deflate => {
                let mut stream = flate2::bufread::ZlibDecoder::new(rest);
                (&mut stream)
                    .take(budget)
                    .read_to_end(&mut out)
                    .map(|_| stream.into_inner())
            }
        }
        .map_err(|e| corrupt(e.to_string()))?;
        if out.len() > limit {
            return Err(BodyError::TooLarge {
                limit,
                encoding: Some(encoding),
            });
        }
        if rest.is_empty() {
            return Ok(Bytes::from(out));
        }
        if encoding != Encoding::Gzip || !rest.starts_with(&[0x1f, 0x8b]) {
            return Err(corrupt(format!(
                "{} bytes after the end of the {} data",
                rest.len(),
                encoding.name()
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_members_follow_one_another() {
        let mut two = gzip(b"[1,");
        two.extend(gzip(b"2]"));
        assert_eq!(&decode(Encoding::Gzip, &two, 100).unwrap()[..], b"[1,2]");
    }

    #[test]
    fn anything_after_the_stream_is_an_error() {
        let mut body = gzip(b"[1]");
        body.extend_from_slice(b"xyz");
        let error = decode(Encoding::Gzip, &body, 100).unwrap_err();
        assert_eq!(
            error.message(),
            "request body is not valid gzip data (Content-Encoding: gzip): 3 bytes after the \
             end of the gzip data"
        );
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(b"[1]").unwrap();
        let mut body = zlib.finish().unwrap();
        assert_eq!(&decode(Encoding::Deflate, &body, 100).unwrap()[..], b"[1]");
        body.push(0);
        assert_eq!(error.status(), 400);
        assert!(decode(Encoding::Deflate, &body, 100)
            .unwrap_err()
            .message()
            .ends_with("1 bytes after the end of the deflate data"));
    }

    #[test]
    fn the_limit_is_exact() {
        let body = gzip(&[b' '; 100]);
        assert_eq!(decode(Encoding::Gzip, &body, 100).unwrap().len(), 100);
        assert_eq!(
            decode(Encoding::Gzip, &body, 99),
            Err(BodyError::TooLarge {
                limit: 99,
                encoding: Some(Encoding::Gzip)
            })
        );
    }

    #[test]
    fn encodings_are_matched_without_case() {
        let mut headers = HeaderMap::new();
        assert_eq!(request_encoding(&headers), Ok(None));
        for (value, want) in [
            ("GZIP", Some(Encoding::Gzip)),
            ("Deflate", Some(Encoding::Deflate)),
            (" identity ", None),
        ] {
            headers.insert(CONTENT_ENCODING, value.parse().unwrap());
            assert_eq!(request_encoding(&headers), Ok(want), "{value}");
        }
        headers.insert(CONTENT_ENCODING, "br".parse().unwrap());
        assert_eq!(
            request_encoding(&headers),
            Err(BodyError::UnsupportedEncoding("br".into()))
        );
    }
}
