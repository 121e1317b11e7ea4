//! A Thrift compact protocol reader that reads Parquet's metadata as the `parquet` crate
//! (60.1.0, `parquet_thrift.rs`) will, without keeping or allocating anything, so that
//! what the crate would misuse is refused before the crate reads it: page headers
//! (`parquet_pages.rs`) and the footer (`parquet_footer.rs`). It mirrors the crate where
//! the crate departs from the protocol: integers read as varints of any length with
//! wrapping shifts, and a skipped boolean taking no bytes, in a list too (so a skipped
//! list may claim 2^31 of them in 6 bytes: refused here).

use std::io::{self, Read};

/// Values nested deeper than this are damage (page headers nest 3, the footer 8).
pub const MAX_DEPTH: u32 = 16;

/// Thrift metadata being read from `bytes`: `read` of at most `limit` bytes so far.
pub struct Thrift<R> {
    pub bytes: R,
    pub read: u64,
    pub limit: u64,
}

/// Thrift compact protocol's element types.
pub mod wire {
    pub const STOP: u8 = 0;
    pub const TRUE: u8 = 1;
    pub const FALSE: u8 = 2;
    pub const BYTE: u8 = 3;
    pub const I16: u8 = 4;
    pub const I32: u8 = 5;
    pub const I64: u8 = 6;
    pub const DOUBLE: u8 = 7;
    pub const BINARY: u8 = 8;
    pub const LIST: u8 = 9;
    pub const SET: u8 = 10;
    pub const MAP: u8 = 11;
    pub const STRUCT: u8 = 12;
    pub const UUID: u8 = 13;
}

impl<R: Read> Thrift<R> {
    /// Reads a struct's fields to its stop, each by `field(self, id, wire type)`.
    pub fn fields(
        &mut self,
        mut field: impl FnMut(&mut Self, i16, u8) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut id: i16 = 0;
        loop {
            let head = self.byte()?;
            let element = head & 0x0f;
            if element == wire::STOP {
                return Ok(());
            }
            id = match head >> 4 {
                0 => self.zigzag_i16()?,
                delta => id
                    .checked_add(i16::from(delta))
                    .ok_or("a field id overflows")?,
            };
            field(self, id, element)?;
        }
    }

    pub fn byte(&mut self) -> Result<u8, String> {
        let mut one = [0u8];
        match self.bytes.read_exact(&mut one) {
            Ok(()) => {
                self.read += 1;
                Ok(one[0])
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                Err("it ends before its last field".to_string())
            }
            Err(e) => Err(e.to_string()),
        }
    }

    // Numbers are read as the crate reads them (`parquet_thrift.rs`): a varint of any
    // length, shifts wrapping, and an i32 or i16 the low bits of the zigzag value, so the
    // sizes checked are the sizes the crate will use.
    pub fn varint(&mut self) -> Result<u64, String> {
        let (mut value, mut shift) = (0u64, 0u32);
        loop {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f).wrapping_shl(shift);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift = shift.wrapping_add(7);
        }
    }

    pub fn zigzag(&mut self) -> Result<i64, String> {
        let n = self.varint()?;
        Ok((n >> 1) as i64 ^ -((n & 1) as i64))
    }

    pub fn zigzag_i32(&mut self) -> Result<i32, String> {
        Ok(self.zigzag()? as i32)
    }

    pub fn zigzag_i16(&mut self) -> Result<i16, String> {
        Ok(self.zigzag()? as i16)
    }

    /// Passes over `n` bytes without keeping them.
    pub fn pass(&mut self, n: u64) -> Result<(), String> {
        let passed =
            io::copy(&mut (&mut self.bytes).take(n), &mut io::sink()).map_err(|e| e.to_string())?;
        self.read += passed;
        if passed < n {
            return Err("it ends inside a field".to_string());
        }
        Ok(())
    }

    /// Passes over one value of type `element`, as the crate's `skip` does (a boolean is no
    /// bytes, in a list too). A list, set or map may not claim more elements than bytes
    /// are left (each takes one by the protocol): the crate would loop over a claimed
    /// 2^31 zero-byte booleans.
    pub fn skip(&mut self, element: u8, depth: u32) -> Result<(), String> {
        let nests = matches!(element, wire::LIST | wire::SET | wire::MAP | wire::STRUCT);
        if nests && depth == MAX_DEPTH {
            return Err(format!("values nest deeper than {MAX_DEPTH}"));
        }
        match element {
            wire::TRUE | wire::FALSE => Ok(()),
            wire::BYTE => self.pass(1),
            wire::I16 | wire::I32 | wire::I64 => self.varint().map(drop),
            wire::DOUBLE => self.pass(8),
            wire::UUID => self.pass(16),
            wire::BINARY => {
                let len = self.varint()?;
                self.pass(len)
            }
            wire::LIST | wire::SET => {
                let head = self.byte()?;
                let len = match head >> 4 {
                    15 => self.varint()?,
                    short => u64::from(short),
                };
                self.count_fits(len)?;
                for _ in 0..len {
                    self.skip(head & 0x0f, depth + 1)?;
                }
                Ok(())
            }
            wire::MAP => {
                let len = self.varint()?;
                self.count_fits(len)?;
                if len > 0 {
                    let types = self.byte()?;
                    for _ in 0..len {
                        self.skip(types >> 4, depth + 1)?;
                        self.skip(types & 0x0f, depth + 1)?;
                    }
                }
                Ok(())
            }
            wire::STRUCT => self.fields(|thrift, _, element| thrift.skip(element, depth + 1)),
            other => Err(format!("an unknown field type {other}")),
        }
    }

    pub fn count_fits(&self, len: u64) -> Result<(), String> {
        if len > self.limit - self.read {
            return Err(format!(
                "a collection claims {len} elements in {} bytes",
                self.limit - self.read
            ));
        }
        Ok(())
    }

    /// Reads a struct of `schema` to its stop: a field the schema knows must have its
    /// type on the wire (the crate reads a known field by its id, whatever the wire says,
    /// so a mistyped one would put the crate elsewhere in the bytes than this reader:
    /// writers never write one), any other field is skipped as the crate skips it.
    pub fn read_struct(&mut self, schema: &Schema, depth: u32) -> Result<(), String> {
        if depth >= MAX_DEPTH {
            return Err(format!("values nest deeper than {MAX_DEPTH}"));
        }
        self.fields(|thrift, id, element| {
            let Some((_, ty)) = schema.fields.iter().find(|(known, _)| *known == id) else {
                return thrift.skip(element, depth + 1);
            };
            if !ty.is(element) {
                return Err(format!(
                    "{} field {id} has wire type {}, the format says {}",
                    schema.name,
                    Ty::name_of(element),
                    ty.name()
                ));
            }
            // The path to what is wrong: "FileMetaData field 4: RowGroup field 1: ...".
            thrift
                .read_value(ty, element, depth + 1)
                .map_err(|why| format!("{} field {id}: {why}", schema.name))
        })
    }

    /// Reads one value of `ty`, `element` on the wire (already checked to match).
    fn read_value(&mut self, ty: &Ty, element: u8, depth: u32) -> Result<(), String> {
        match ty {
            Ty::Struct(schema) => self.read_struct(schema, depth),
            Ty::List(of) => {
                if depth >= MAX_DEPTH {
                    return Err(format!("values nest deeper than {MAX_DEPTH}"));
                }
                let head = self.byte()?;
                let len = match head >> 4 {
                    15 => self.varint()?,
                    short => u64::from(short),
                };
                let inner = head & 0x0f;
                if !of.is(inner) {
                    return Err(format!(
                        "a list of {} holds {} elements",
                        of.name(),
                        Ty::name_of(inner)
                    ));
                }
                self.count_fits(len)?;
                for _ in 0..len {
                    self.read_value(of, inner, depth + 1)?;
                }
                Ok(())
            }
            // A scalar: skipping it reads exactly its bytes.
            _ => self.skip(element, depth),
        }
    }
}

/// A Thrift struct (or union) as the crate reads it: its name and the fields it knows.
pub struct Schema {
    pub name: &'static str,
    pub fields: &'static [(i16, Ty)],
}

/// The type of a known field. Enums are `I32`; no schema here holds a list of booleans
/// (the crate would read a byte for each, where a skipped one takes none).
pub enum Ty {
    Bool,
    Byte,
    I16,
    I32,
    I64,
    Double,
    Binary,
    List(&'static Ty),
    Struct(&'static Schema),
}

impl Ty {
    /// Whether `element` on the wire is this type (a set is read as a list).
    fn is(&self, element: u8) -> bool {
        match self {
            Ty::Bool => matches!(element, wire::TRUE | wire::FALSE),
            Ty::Byte => element == wire::BYTE,
            Ty::I16 => element == wire::I16,
            Ty::I32 => element == wire::I32,
            Ty::I64 => element == wire::I64,
            Ty::Double => element == wire::DOUBLE,
            Ty::Binary => element == wire::BINARY,
            Ty::List(_) => matches!(element, wire::LIST | wire::SET),
            Ty::Struct(_) => element == wire::STRUCT,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Ty::Bool => "bool",
            Ty::Byte => "byte",
            Ty::I16 => "i16",
            Ty::I32 => "i32",
            Ty::I64 => "i64",
            Ty::Double => "double",
            Ty::Binary => "binary",
            Ty::List(_) => "list",
            Ty::Struct(schema) => schema.name,
        }
    }

    fn name_of(element: u8) -> String {
        match element {
            wire::TRUE | wire::FALSE => "bool".into(),
            wire::BYTE => "byte".into(),
            wire::I16 => "i16".into(),
            wire::I32 => "i32".into(),
            wire::I64 => "i64".into(),
            wire::DOUBLE => "double".into(),
            wire::BINARY => "binary".into(),
            wire::LIST => "list".into(),
            wire::SET => "set".into(),
            wire::MAP => "map".into(),
            wire::STRUCT => "struct".into(),
            wire::UUID => "uuid".into(),
            other => format!("type {other}"),
        }
    }
}
