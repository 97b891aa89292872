//! The protobuf wire format, read only: a reader that yields `(field number, payload)` pairs from a byte slice and
//! refuses anything truncated or malformed. It knows nothing of schemas; [`super::decode`] gives the pairs meaning.
//!
//! Every read is bounds-checked and every length is checked against what is left, so no input makes it panic or
//! allocate more than the input's size.

/// How a message can be malformed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The input ends inside a tag, varint, fixed-width value or length-delimited payload.
    #[error("truncated at byte {0}")]
    Truncated(usize),
    /// A varint longer than 10 bytes, or one that does not fit in 64 bits.
    #[error("varint too long at byte {0}")]
    VarintOverflow(usize),
    /// Field number 0, or one above 2^29 - 1.
    #[error("invalid field number {1} at byte {0}")]
    InvalidFieldNumber(usize, u64),
    /// Wire type 6 or 7, which do not exist.
    #[error("invalid wire type {1} at byte {0}")]
    InvalidWireType(usize, u8),
    /// An end-group tag without a start, a group closed with another field's number, or groups nested too deep.
    #[error("unbalanced group at byte {0}")]
    UnbalancedGroup(usize),
}

/// The deepest nesting of (deprecated) groups the reader skips through before giving up.
const MAX_GROUP_DEPTH: usize = 64;

/// One field's payload, by wire type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// Wire type 0: int32, int64, uint*, bool, enum.
    Varint(u64),
    /// Wire type 1: fixed64, sfixed64, double.
    Fixed64(u64),
    /// Wire type 2: string, bytes, embedded message, packed repeated scalars.
    Bytes(&'a [u8]),
    /// Wire types 3/4: a deprecated group, its raw contents (without the end tag).
    Group(&'a [u8]),
    /// Wire type 5: fixed32, sfixed32, float.
    Fixed32(u32),
}

impl Payload<'_> {
    /// The payload's wire type name, for error messages.
    pub fn wire_type_name(&self) -> &'static str {
        match self {
            Payload::Varint(_) => "varint",
            Payload::Fixed64(_) => "fixed64",
            Payload::Bytes(_) => "length-delimited",
            Payload::Group(_) => "group",
            Payload::Fixed32(_) => "fixed32",
        }
    }

    /// Whether the payload is a zero value: what Go writes for a field it has no value for.
    pub fn is_zero(&self) -> bool {
        match self {
            Payload::Varint(v) | Payload::Fixed64(v) => *v == 0,
            Payload::Fixed32(v) => *v == 0,
            Payload::Bytes(b) | Payload::Group(b) => b.is_empty(),
        }
    }
}

/// Reads the fields of one message in order.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over one message's bytes.
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// The next field, `None` at the end of the message.
    pub fn next_field(&mut self) -> Result<Option<(u32, Payload<'a>)>, WireError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let (number, wire_type) = self.tag()?;
        let payload = match wire_type {
            0 => Payload::Varint(self.varint()?),
            1 => Payload::Fixed64(u64::from_le_bytes(self.fixed::<8>()?)),
            2 => {
                let at = self.pos;
                let len = usize::try_from(self.varint()?).map_err(|_| WireError::Truncated(at))?;
                Payload::Bytes(self.take(len)?)
            }
            3 => Payload::Group(self.group(number)?),
            4 => return Err(WireError::UnbalancedGroup(self.pos)),
            5 => Payload::Fixed32(u32::from_le_bytes(self.fixed::<4>()?)),
            other => return Err(WireError::InvalidWireType(self.pos, other)),
        };
        Ok(Some((number, payload)))
    }

    fn tag(&mut self) -> Result<(u32, u8), WireError> {
        let at = self.pos;
        let key = self.varint()?;
        let number = key >> 3;
        let wire_type = (key & 7) as u8;
        if number == 0 || number > (1 << 29) - 1 {
            return Err(WireError::InvalidFieldNumber(at, number));
        }
        // In range by the check above.
        Ok((number as u32, wire_type))
    }

    fn varint(&mut self) -> Result<u64, WireError> {
        let start = self.pos;
        let mut value: u64 = 0;
        for index in 0..10 {
            let byte = *self.buf.get(self.pos).ok_or(WireError::Truncated(self.pos))?;
            self.pos += 1;
            // The tenth byte may carry only the top bit of a 64-bit value.
            if index == 9 && byte > 1 {
                return Err(WireError::VarintOverflow(start));
            }
            value |= u64::from(byte & 0x7f) << (7 * index);
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(WireError::VarintOverflow(start))
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let bytes = self.take(N)?;
        let mut out = [0; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], WireError> {
        let end =
            self.pos.checked_add(len).filter(|end| *end <= self.buf.len()).ok_or(WireError::Truncated(self.pos))?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    /// Skips to the end tag matching a start tag of field `number`; returns the bytes in between.
    fn group(&mut self, number: u32) -> Result<&'a [u8], WireError> {
        let start = self.pos;
        let mut open = vec![number];
        loop {
            let at = self.pos;
            if at >= self.buf.len() {
                return Err(WireError::Truncated(at));
            }
            let (field, wire_type) = self.tag()?;
            match wire_type {
                0 => {
                    self.varint()?;
                }
                1 => {
                    self.fixed::<8>()?;
                }
                2 => {
                    let len_at = self.pos;
                    let len = usize::try_from(self.varint()?).map_err(|_| WireError::Truncated(len_at))?;
                    self.take(len)?;
                }
                3 if open.len() < MAX_GROUP_DEPTH => open.push(field),
                3 => return Err(WireError::UnbalancedGroup(at)),
                4 => {
                    if open.pop() != Some(field) {
                        return Err(WireError::UnbalancedGroup(at));
                    }
                    if open.is_empty() {
                        return Ok(&self.buf[start..at]);
                    }
                }
                5 => {
                    self.fixed::<4>()?;
                }
                other => return Err(WireError::InvalidWireType(at, other)),
            }
        }
    }
}

/// Whether `bytes` read as a message holds only zero values, recursively (down to `depth` levels): what Go writes
/// for an empty struct such as `resources: {}` or `status: {}`. Anything unreadable counts as not empty.
pub fn is_empty_message(bytes: &[u8], depth: usize) -> bool {
    let mut reader = Reader::new(bytes);
    loop {
        match reader.next_field() {
            Ok(None) => return true,
            Ok(Some((_, payload))) if payload.is_zero() => {}
            Ok(Some((_, Payload::Bytes(inner) | Payload::Group(inner)))) if depth > 0 => {
                if !is_empty_message(inner, depth - 1) {
                    return false;
                }
            }
            Ok(Some(_)) | Err(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(bytes: &[u8]) -> Result<Vec<(u32, Payload<'_>)>, WireError> {
        let mut reader = Reader::new(bytes);
        let mut out = Vec::new();
        while let Some(field) = reader.next_field()? {
            out.push(field);
        }
        Ok(out)
    }

    #[test]
    fn reads_every_wire_type() {
        let bytes = [
            0x08, 0x96, 0x01, // 1: varint 150
            0x11, 1, 0, 0, 0, 0, 0, 0, 0, // 2: fixed64 1
            0x1a, 0x02, b'h', b'i', // 3: "hi"
            0x23, 0x08, 0x01, 0x24, // 4: group { 1: 1 }
            0x2d, 2, 0, 0, 0, // 5: fixed32 2
        ];
        assert_eq!(
            fields(&bytes),
            Ok(vec![
                (1, Payload::Varint(150)),
                (2, Payload::Fixed64(1)),
                (3, Payload::Bytes(b"hi")),
                (4, Payload::Group(&[0x08, 0x01])),
                (5, Payload::Fixed32(2)),
            ])
        );
    }

    #[test]
    fn refuses_malformed_input() {
        assert_eq!(fields(&[0x0a, 0x05, b'a']), Err(WireError::Truncated(2)));
        assert_eq!(fields(&[0x08]), Err(WireError::Truncated(1)));
        assert_eq!(fields(&[0x08, 0x80]), Err(WireError::Truncated(2)));
        assert_eq!(fields(&[0x09, 0, 0]), Err(WireError::Truncated(1)));
        assert_eq!(fields(&[0x00, 0x00]), Err(WireError::InvalidFieldNumber(0, 0)));
        assert_eq!(fields(&[0x0e]), Err(WireError::InvalidWireType(1, 6)));
        assert_eq!(fields(&[0x0c]), Err(WireError::UnbalancedGroup(1)));
        assert_eq!(fields(&[0x0b, 0x14]), Err(WireError::UnbalancedGroup(1)));
        assert_eq!(fields(&[0x0b, 0x08, 0x01]), Err(WireError::Truncated(3)));
        let long = [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(fields(&long), Err(WireError::VarintOverflow(1)));
        let max = [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(fields(&max), Ok(vec![(1, Payload::Varint(u64::MAX))]));
        // A length that does not fit in memory is truncation, not an overflow panic.
        let huge = [0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(fields(&huge), Err(WireError::Truncated(11)));
    }

    #[test]
    fn deep_groups_are_refused_not_followed() {
        let mut bytes = vec![0x0b; MAX_GROUP_DEPTH + 1];
        bytes.extend(vec![0x0c; MAX_GROUP_DEPTH + 1]);
        assert_eq!(fields(&bytes), Err(WireError::UnbalancedGroup(MAX_GROUP_DEPTH)));
    }

    #[test]
    fn empty_messages_are_recognised() {
        // NamespaceSpec {}, NamespaceStatus { phase: "" }, a Time with zero seconds.
        assert!(is_empty_message(&[], 4));
        assert!(is_empty_message(&[0x0a, 0x00], 4));
        assert!(is_empty_message(&[0x12, 0x02, 0x08, 0x00], 4));
        assert!(!is_empty_message(&[0x12, 0x02, 0x08, 0x01], 4));
        assert!(!is_empty_message(&[0x12, 0x02, 0x08, 0x00], 0));
        assert!(!is_empty_message(&[0x0a, 0x01, b'x'], 4));
        assert!(!is_empty_message(&[0x0a], 4));
    }
}
