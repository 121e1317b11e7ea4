//! The binary tensor data extension (Triton's and KServe's): a body is a JSON header and
//! then raw tensor bytes, the header's length in the HTTP header
//! `Inference-Header-Content-Length`; each input with `parameters.binary_data_size` takes
//! that many bytes, in input order. A response likewise carries the outputs asked for as
//! binary after its JSON header. This module splits and checks the bytes; `tensor`
//! checks what they hold against the shape and the datatype.

use alloc::format;
use alloc::string::String;

use super::tensor::wrong_input;
use crate::error::PredictError;

/// The HTTP header that holds the JSON header's length, in requests and responses.
pub const HEADER_LENGTH: &str = "Inference-Header-Content-Length";

fn refuse(message: String) -> PredictError {
    PredictError::InvalidInferRequest(message)
}

/// The JSON header and (when `header_length`, the HTTP header's value, is given) the
/// binary data after it.
pub(super) fn split<'b>(
    body: &'b [u8],
    header_length: Option<&str>,
) -> Result<(&'b [u8], Option<&'b [u8]>), PredictError> {
    let Some(value) = header_length else {
        return Ok((body, None));
    };
    let length: usize = value.trim().parse().map_err(|_| {
        refuse(format!(
            "the {HEADER_LENGTH} header {value:?} is not a number of bytes"
        ))
    })?;
    if length > body.len() {
        return Err(refuse(format!(
            "the {HEADER_LENGTH} header says the JSON header is {length} bytes, but the whole body is {} bytes",
            body.len()
        )));
    }
    let (json, binary) = body.split_at(length);
    Ok((json, Some(binary)))
}

/// The binary data not yet taken by an input.
pub(super) struct Cursor<'b> {
    rest: Option<&'b [u8]>,
    taken: usize,
}

impl<'b> Cursor<'b> {
    pub(super) fn new(binary: Option<&'b [u8]>) -> Self {
        Self {
            rest: binary,
            taken: 0,
        }
    }

    /// The next `size` bytes, for the input `name`.
    pub(super) fn take(&mut self, name: &str, size: u64) -> Result<&'b [u8], PredictError> {
        let Some(rest) = self.rest else {
            return Err(wrong_input(
                name,
                format!(
                    "parameters.binary_data_size is set, but the request has no {HEADER_LENGTH} header to say where the JSON header ends and the binary data begins"
                ),
            ));
        };
        let fits = usize::try_from(size).ok().filter(|&n| n <= rest.len());
        let Some(size) = fits else {
            return Err(wrong_input(
                name,
                format!(
                    "parameters.binary_data_size {size} is larger than the {} bytes of binary data left after the JSON header{}",
                    rest.len(),
                    if self.taken > 0 { " and the inputs before it" } else { "" }
                ),
            ));
        };
        let (bytes, after) = rest.split_at(size);
        self.rest = Some(after);
        self.taken += size;
        Ok(bytes)
    }

    /// Refuses binary data that no input took.
    pub(super) fn finish(&self) -> Result<(), PredictError> {
        match self.rest {
            Some(rest) if !rest.is_empty() => Err(refuse(format!(
                "the body holds {} bytes of binary data after the JSON header, but the inputs' parameters.binary_data_size add up to {}",
                self.taken + rest.len(),
                self.taken
            ))),
            _ => Ok(()),
        }
    }
}
