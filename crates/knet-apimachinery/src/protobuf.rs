//! Protobuf request bodies, decoded into the JSON object they stand for. kubectl 1.32 and 1.33 send `kubectl create
//! namespace|configmap|secret|serviceaccount|service|deployment|ingress` in protobuf (1.27–1.31, `kubectl run`,
//! `apply` and `create -f` send JSON), and a 415 is not retried as JSON, so the API server must read them.
//!
//! A body is the Kubernetes envelope: the magic `k8s\0`, then a `runtime.Unknown`:
//!
//! ```text
//! k8s\0 Unknown { 1: TypeMeta { 1: apiVersion, 2: kind },
//!                 2: raw (the object: Namespace { 1: ObjectMeta { 1: name, 11: labels, 12: annotations, ... },
//!                                                 2: spec, 3: status }),
//!                 3: contentEncoding (""), 4: contentType ("") }
//! ```
//!
//! [`decode`] walks the raw object with the schema of its kind ([`schema`]) and builds the `serde_json::Value` that
//! kube-apiserver would have decoded from the equivalent JSON: `{"apiVersion":"v1","kind":"Namespace",
//! "metadata":{"name":"x"}}`. Go writes every non-pointer field, set or not, so zero values of plain fields are
//! dropped (as Go's `omitempty` drops them) while set pointer fields are kept. Decoding never loses data: a field
//! the schema lacks is accepted only when it holds a zero value, otherwise the body is refused with
//! [`Error::UnsupportedField`] (415), as is a kind without a schema ([`Error::UnsupportedKind`]).
//!
//! Nothing here panics or allocates beyond the input's size on any input; property tests hold it to that.

pub mod base64;
pub mod schema;
pub mod wire;

use serde_json::{Map, Value};

use schema::{Field, Message, Type};
use wire::{Payload, Reader, WireError, is_empty_message};

/// The prefix of every Kubernetes protobuf body.
pub const MAGIC: &[u8; 4] = b"k8s\0";

/// The media type of Kubernetes protobuf bodies.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// How deep [`wire::is_empty_message`] looks into a field knet has no schema for.
const EMPTY_MESSAGE_DEPTH: usize = 16;

/// Why a protobuf body was refused. [`Error::status_code`] says which HTTP status the API server answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// 400: the body does not start with `k8s\0`. The message is kube-apiserver's.
    #[error("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]")]
    MissingMagic,
    /// 400: the bytes are not a well-formed protobuf message (truncated, bad varint, ...).
    #[error("protobuf body: {path}: {source}")]
    Wire {
        path: String,
        #[source]
        source: WireError,
    },
    /// 400: a field's wire type does not match its schema (a string sent as a varint).
    #[error("protobuf body: {path}: expected a {expected} value, found {found}")]
    WireType { path: String, expected: &'static str, found: &'static str },
    /// 400: a value the wire format allows but Kubernetes does not (a string that is not UTF-8, a time outside
    /// years 0–9999, no kind in the envelope).
    #[error("protobuf body: {path}: {reason}")]
    InvalidValue { path: String, reason: String },
    /// 415: knet has no protobuf schema for this kind.
    #[error(
        "the body of the request was in protobuf, and knet reads protobuf only for {}; send {kind} ({api_version}) \
         as JSON instead",
        supported_kinds().map(|(_, kind)| kind).collect::<Vec<_>>().join(", ")
    )]
    UnsupportedKind { api_version: String, kind: String },
    /// 415: a field knet's schema lacks holds a value; decoding on would drop it.
    #[error(
        "protobuf body: {path}: field {number} of {message} is set, and knet does not decode it from protobuf; send \
         the object as JSON instead"
    )]
    UnsupportedField { path: String, message: &'static str, number: u32 },
    /// 415: the envelope names a content encoding or content type knet does not read.
    #[error("protobuf body: unsupported {what} {value:?} in the envelope")]
    UnsupportedEnvelope { what: &'static str, value: String },
}

impl Error {
    /// The HTTP status the API server answers with: 415 for what knet does not support, 400 for broken input.
    pub fn status_code(&self) -> u16 {
        match self {
            Error::UnsupportedKind { .. } | Error::UnsupportedField { .. } | Error::UnsupportedEnvelope { .. } => 415,
            Error::MissingMagic | Error::Wire { .. } | Error::WireType { .. } | Error::InvalidValue { .. } => 400,
        }
    }
}

/// `Result` of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The `(apiVersion, kind)` pairs [`decode`] reads.
pub fn supported_kinds() -> impl Iterator<Item = (&'static str, &'static str)> {
    schema::KINDS.iter().map(|(api_version, kind, _)| (*api_version, *kind))
}

/// Decodes a protobuf request body into the JSON object it stands for, `apiVersion` and `kind` included.
pub fn decode(body: &[u8]) -> Result<Value> {
    let envelope = body.strip_prefix(MAGIC.as_slice()).ok_or(Error::MissingMagic)?;
    let unknown = read_unknown(envelope)?;
    if !unknown.content_encoding.is_empty() {
        return Err(Error::UnsupportedEnvelope { what: "content encoding", value: unknown.content_encoding });
    }
    if !unknown.content_type.is_empty() && unknown.content_type != MEDIA_TYPE {
        return Err(Error::UnsupportedEnvelope { what: "content type", value: unknown.content_type });
    }
    if unknown.kind.is_empty() {
        return Err(Error::InvalidValue { path: "Unknown.typeMeta".into(), reason: "no kind".into() });
    }
    let Some((_, _, message)) = schema::KINDS
        .iter()
        .find(|(api_version, kind, _)| *api_version == unknown.api_version && *kind == unknown.kind)
    else {
        return Err(Error::UnsupportedKind { api_version: unknown.api_version, kind: unknown.kind });
    };
    let mut path = unknown.kind.clone();
    let mut object = Map::new();
    object.insert("apiVersion".into(), Value::String(unknown.api_version));
    object.insert("kind".into(), Value::String(unknown.kind));
    object.extend(decode_message(message, unknown.raw, &mut path)?);
    Ok(Value::Object(object))
}

/// The fields of `runtime.Unknown` knet uses.
struct Unknown<'a> {
    api_version: String,
    kind: String,
    raw: &'a [u8],
    content_encoding: String,
    content_type: String,
}

fn read_unknown(bytes: &[u8]) -> Result<Unknown<'_>> {
    let mut unknown = Unknown {
        api_version: String::new(),
        kind: String::new(),
        raw: &[],
        content_encoding: String::new(),
        content_type: String::new(),
    };
    let mut path = "Unknown".to_owned();
    let mut reader = Reader::new(bytes);
    while let Some((number, payload)) = next_field(&mut reader, &path)? {
        match number {
            1 => {
                path.push_str(".typeMeta");
                let mut type_meta = Reader::new(bytes_of(payload, &path)?);
                while let Some((number, payload)) = next_field(&mut type_meta, &path)? {
                    match number {
                        1 => unknown.api_version = string_of(payload, &path)?,
                        2 => unknown.kind = string_of(payload, &path)?,
                        _ => {}
                    }
                }
                path.truncate("Unknown".len());
            }
            2 => unknown.raw = bytes_of(payload, "Unknown.raw")?,
            3 => unknown.content_encoding = string_of(payload, "Unknown.contentEncoding")?,
            4 => unknown.content_type = string_of(payload, "Unknown.contentType")?,
            _ => {}
        }
    }
    Ok(unknown)
}

fn next_field<'a>(reader: &mut Reader<'a>, path: &str) -> Result<Option<(u32, Payload<'a>)>> {
    reader.next_field().map_err(|source| Error::Wire { path: path.to_owned(), source })
}

fn bytes_of<'a>(payload: Payload<'a>, path: &str) -> Result<&'a [u8]> {
    match payload {
        Payload::Bytes(bytes) => Ok(bytes),
        other => Err(wire_type(path, "length-delimited", &other)),
    }
}

fn varint_of(payload: Payload<'_>, path: &str) -> Result<u64> {
    match payload {
        Payload::Varint(value) => Ok(value),
        other => Err(wire_type(path, "varint", &other)),
    }
}

fn string_of(payload: Payload<'_>, path: &str) -> Result<String> {
    let bytes = bytes_of(payload, path)?;
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| Error::InvalidValue { path: path.to_owned(), reason: "string is not valid UTF-8".into() })
}

fn wire_type(path: &str, expected: &'static str, found: &Payload<'_>) -> Error {
    Error::WireType { path: path.to_owned(), expected, found: found.wire_type_name() }
}

/// Decodes one message into the JSON object of its fields. `path` names where it sits (`Deployment.spec`), for
/// error messages; it is restored before returning.
fn decode_message(message: &'static Message, bytes: &[u8], path: &mut String) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    let mut reader = Reader::new(bytes);
    while let Some((number, payload)) = next_field(&mut reader, path)? {
        let Some(field) = message.field(number) else {
            let empty = match payload {
                Payload::Bytes(inner) => is_empty_message(inner, EMPTY_MESSAGE_DEPTH),
                other => other.is_zero(),
            };
            if empty {
                continue;
            }
            return Err(Error::UnsupportedField { path: path.clone(), message: message.name, number });
        };
        let parent = path.len();
        path.push('.');
        path.push_str(field.name);
        decode_field(field, payload, &mut out, path)?;
        path.truncate(parent);
    }
    Ok(out)
}

/// Decodes one occurrence of `field` into `out`: repeated fields and map entries accumulate, inline messages merge
/// into `out`, other fields replace an earlier occurrence (merging objects, as protobuf merges messages).
fn decode_field(
    field: &'static Field,
    payload: Payload<'_>,
    out: &mut Map<String, Value>,
    path: &mut String,
) -> Result<()> {
    match field.ty {
        Type::Inline(inner) => {
            let bytes = bytes_of(payload, path)?;
            merge(out, decode_message(inner, bytes, path)?);
            Ok(())
        }
        Type::StringMap | Type::BytesMap | Type::QuantityMap => {
            let (key, value) = map_entry(&field.ty, bytes_of(payload, path)?, path)?;
            let entry = out.entry(field.name).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = entry {
                map.insert(key, value);
            }
            Ok(())
        }
        _ if field.repeated => {
            let entry = out.entry(field.name).or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = entry {
                let parent = path.len();
                path.push_str(&format!("[{}]", items.len()));
                let (value, _) = scalar_or_message(&field.ty, payload, path)?;
                items.push(value);
                path.truncate(parent);
            }
            Ok(())
        }
        _ => {
            let (value, zero) = scalar_or_message(&field.ty, payload, path)?;
            match (out.get_mut(field.name), value) {
                (Some(Value::Object(earlier)), Value::Object(later)) => merge(earlier, later),
                (_, value) if !zero || field.keep_zero => {
                    out.insert(field.name.to_owned(), value);
                }
                (_, _) => {
                    out.remove(field.name);
                }
            }
            Ok(())
        }
    }
}

fn merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Value::Object(earlier)), Value::Object(later)) => merge(earlier, later),
            (Some(Value::Array(earlier)), Value::Array(later)) => earlier.extend(later),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// The JSON value of a non-map field, and whether it is the type's zero value.
fn scalar_or_message(ty: &Type, payload: Payload<'_>, path: &mut String) -> Result<(Value, bool)> {
    Ok(match ty {
        Type::String => {
            let text = string_of(payload, path)?;
            let zero = text.is_empty();
            (Value::String(text), zero)
        }
        // Go truncates an int32 that arrives sign-extended to 64 bits; so does knet.
        Type::Int32 => {
            let value = varint_of(payload, path)? as i64 as i32;
            (Value::from(value), value == 0)
        }
        Type::Int64 => {
            let value = varint_of(payload, path)? as i64;
            (Value::from(value), value == 0)
        }
        Type::Bool => {
            let value = varint_of(payload, path)? != 0;
            (Value::Bool(value), !value)
        }
        Type::Bytes => {
            let bytes = bytes_of(payload, path)?;
            (Value::String(base64::encode(bytes)), bytes.is_empty())
        }
        Type::Message(message) | Type::Inline(message) => {
            let object = decode_message(message, bytes_of(payload, path)?, path)?;
            let zero = object.is_empty();
            (Value::Object(object), zero)
        }
        Type::IntOrString => int_or_string(bytes_of(payload, path)?, path)?,
        Type::Quantity => {
            let quantity = quantity(bytes_of(payload, path)?, path)?;
            let zero = quantity.is_empty();
            (Value::String(quantity), zero)
        }
        Type::Time => match time(bytes_of(payload, path)?, path)? {
            Some(text) => (Value::String(text), false),
            None => (Value::Null, true),
        },
        Type::StringMap | Type::BytesMap | Type::QuantityMap => {
            // Maps are handled by `decode_field`; a map nested in a list does not occur in Kubernetes types.
            return Err(Error::InvalidValue { path: path.clone(), reason: "map in an unexpected place".into() });
        }
    })
}

/// One map entry `{1: key, 2: value}`; a missing key or value is the zero value, as protobuf defines.
fn map_entry(ty: &Type, bytes: &[u8], path: &str) -> Result<(String, Value)> {
    let (mut key, mut value) = (String::new(), None);
    let mut reader = Reader::new(bytes);
    while let Some((number, payload)) = next_field(&mut reader, path)? {
        match number {
            1 => key = string_of(payload, path)?,
            2 => {
                value = Some(match ty {
                    Type::BytesMap => Value::String(base64::encode(bytes_of(payload, path)?)),
                    Type::QuantityMap => Value::String(quantity(bytes_of(payload, path)?, path)?),
                    _ => Value::String(string_of(payload, path)?),
                });
            }
            _ => {}
        }
    }
    Ok((key, value.unwrap_or_else(|| Value::String(String::new()))))
}

/// `intstr.IntOrString {1: type (0 int, 1 string), 2: intVal, 3: strVal}`.
fn int_or_string(bytes: &[u8], path: &str) -> Result<(Value, bool)> {
    let (mut kind, mut int_value, mut str_value) = (0, 0i32, String::new());
    let mut reader = Reader::new(bytes);
    while let Some((number, payload)) = next_field(&mut reader, path)? {
        match number {
            1 => kind = varint_of(payload, path)?,
            2 => int_value = varint_of(payload, path)? as i64 as i32,
            3 => str_value = string_of(payload, path)?,
            _ => {}
        }
    }
    match kind {
        0 => Ok((Value::from(int_value), int_value == 0)),
        1 => {
            let zero = str_value.is_empty();
            Ok((Value::String(str_value), zero))
        }
        other => Err(Error::InvalidValue { path: path.to_owned(), reason: format!("IntOrString of type {other}") }),
    }
}

/// `resource.Quantity {1: string}`.
fn quantity(bytes: &[u8], path: &str) -> Result<String> {
    let mut text = String::new();
    let mut reader = Reader::new(bytes);
    while let Some((number, payload)) = next_field(&mut reader, path)? {
        if number == 1 {
            text = string_of(payload, path)?;
        }
    }
    Ok(text)
}

/// `metav1.Time {1: seconds, 2: nanos}` as RFC 3339 in UTC with second precision, as Go's JSON writes it; `None`
/// for the zero time, which Go writes as `null`.
fn time(bytes: &[u8], path: &str) -> Result<Option<String>> {
    let (mut seconds, mut nanos) = (0i64, 0u64);
    let mut reader = Reader::new(bytes);
    while let Some((number, payload)) = next_field(&mut reader, path)? {
        match number {
            1 => seconds = varint_of(payload, path)? as i64,
            2 => nanos = varint_of(payload, path)?,
            _ => {}
        }
    }
    if seconds == 0 && nanos == 0 {
        return Ok(None);
    }
    rfc3339(seconds).map(Some).ok_or_else(|| Error::InvalidValue {
        path: path.to_owned(),
        reason: format!("time {seconds}s since the epoch is outside years 0-9999"),
    })
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`, for years 0 to 9999.
pub(crate) fn rfc3339(seconds: i64) -> Option<String> {
    const MIN: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
    const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    if !(MIN..=MAX).contains(&seconds) {
        return None;
    }
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let (hour, minute, second) = (second_of_day / 3_600, second_of_day % 3_600 / 60, second_of_day % 60);
    Some(format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z"))
}

#[cfg(test)]
mod tests;
