//! The OpenAPI v2 document in gnostic's protobuf encoding (`openapi_v2.Document` of github.com/google/gnostic's
//! `openapiv2/OpenAPIv2.proto`), the form kubectl asks for
//! (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`) and `proto.Unmarshal`s.
//!
//! It encodes the JSON document field by field, so the two forms cannot drift apart. Only what knet serves is
//! encoded: `swagger`, `info`, empty `paths` and `definitions`, whose schemas use the keys of
//! [`SCHEMA_FIELDS`] and `x-` extensions; a test checks that the generated definitions use no other key. An
//! extension's value travels as YAML text (gnostic's `Any.yaml`); JSON is YAML, so it is written as JSON.

use serde_json::{Map, Value};

/// How a schema key is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    /// `string`.
    Text,
    /// An `Any`: the value as YAML text (field 2 of `Any`).
    Any,
    /// `repeated Any`, one per element of a JSON array.
    Anys,
    /// `double`.
    Double,
    /// `bool`.
    Bool,
    /// `int64`.
    Int64,
    /// `repeated string`.
    Texts,
    /// `AdditionalPropertiesItem`: a schema (field 1) or a boolean (field 2).
    AdditionalProperties,
    /// `TypeItem`: `repeated string value = 1`, from one type or a list of them.
    Type,
    /// `ItemsItem`: `repeated Schema schema = 1`, from one schema or a list of them.
    Items,
    /// `repeated Schema`.
    Schemas,
    /// `Properties`: `repeated NamedSchema additional_properties = 1`.
    Properties,
}

/// The keys of gnostic's `Schema` message that knet's definitions may use, with their field numbers.
pub(super) const SCHEMA_FIELDS: &[(&str, u32, Encoding)] = &[
    ("$ref", 1, Encoding::Text),
    ("format", 2, Encoding::Text),
    ("title", 3, Encoding::Text),
    ("description", 4, Encoding::Text),
    ("default", 5, Encoding::Any),
    ("multipleOf", 6, Encoding::Double),
    ("maximum", 7, Encoding::Double),
    ("exclusiveMaximum", 8, Encoding::Bool),
    ("minimum", 9, Encoding::Double),
    ("exclusiveMinimum", 10, Encoding::Bool),
    ("maxLength", 11, Encoding::Int64),
    ("minLength", 12, Encoding::Int64),
    ("pattern", 13, Encoding::Text),
    ("maxItems", 14, Encoding::Int64),
    ("minItems", 15, Encoding::Int64),
    ("uniqueItems", 16, Encoding::Bool),
    ("maxProperties", 17, Encoding::Int64),
    ("minProperties", 18, Encoding::Int64),
    ("required", 19, Encoding::Texts),
    ("enum", 20, Encoding::Anys),
    ("additionalProperties", 21, Encoding::AdditionalProperties),
    ("type", 22, Encoding::Type),
    ("items", 23, Encoding::Items),
    ("allOf", 24, Encoding::Schemas),
    ("properties", 25, Encoding::Properties),
    ("discriminator", 26, Encoding::Text),
    ("readOnly", 27, Encoding::Bool),
    ("example", 30, Encoding::Any),
];

/// `repeated NamedAny vendor_extension = 31` of `Schema`: every `x-` key.
const SCHEMA_VENDOR_EXTENSION: u32 = 31;

/// A protobuf message being written.
#[derive(Debug, Default)]
struct Message(Vec<u8>);

impl Message {
    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            // The low seven bits, with the continuation bit.
            self.0.push((value & 0x7f) as u8 | 0x80);
            value >>= 7;
        }
        self.0.push(value as u8);
    }

    fn key(&mut self, field: u32, wire_type: u8) {
        self.varint(u64::from(field) << 3 | u64::from(wire_type));
    }

    fn bytes(&mut self, field: u32, bytes: &[u8]) {
        self.key(field, 2);
        self.varint(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
    }

    fn text(&mut self, field: u32, text: &str) {
        self.bytes(field, text.as_bytes());
    }

    fn message(&mut self, field: u32, message: Message) {
        self.bytes(field, &message.0);
    }

    fn bool(&mut self, field: u32, value: bool) {
        self.key(field, 0);
        self.varint(u64::from(value));
    }

    fn int64(&mut self, field: u32, value: i64) {
        self.key(field, 0);
        // Negative int64s are their two's complement, ten bytes long, as protobuf defines them.
        self.varint(value as u64);
    }

    fn double(&mut self, field: u32, value: f64) {
        self.key(field, 1);
        self.0.extend_from_slice(&value.to_le_bytes());
    }
}

/// The whole document: `swagger` (1), `info` (2: `title` 1, `version` 2), `paths` (8) and `definitions` (9:
/// `repeated NamedSchema additional_properties = 1`). `paths` is always written, empty, as kube-apiserver's
/// never is absent.
pub(super) fn document(json: &Value) -> Vec<u8> {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let mut document = Message::default();
    document.text(1, &text(&json["swagger"]));
    let mut info = Message::default();
    info.text(1, &text(&json["info"]["title"]));
    info.text(2, &text(&json["info"]["version"]));
    document.message(2, info);
    document.message(8, Message::default());
    if let Some(definitions) = json["definitions"].as_object() {
        document.message(9, named_schemas(definitions));
    }
    document.0
}

/// A map of schemas as gnostic writes maps: `repeated NamedSchema additional_properties = 1`, each
/// `NamedSchema` being `name` (1) and `value` (2).
fn named_schemas(schemas: &Map<String, Value>) -> Message {
    let mut out = Message::default();
    for (name, schema) in schemas {
        let mut named = Message::default();
        named.text(1, name);
        named.message(2, self::schema(schema));
        out.message(1, named);
    }
    out
}

/// One `Schema` message. Keys it does not know are left out (a test checks there are none).
fn schema(json: &Value) -> Message {
    let mut out = Message::default();
    let Some(object) = json.as_object() else { return out };
    for (key, value) in object {
        if key.starts_with("x-") {
            let mut named = Message::default();
            named.text(1, key);
            named.message(2, any(value));
            out.message(SCHEMA_VENDOR_EXTENSION, named);
            continue;
        }
        let Some(&(_, field, encoding)) = SCHEMA_FIELDS.iter().find(|(name, _, _)| name == key) else { continue };
        match encoding {
            Encoding::Text => out.text(field, value.as_str().unwrap_or_default()),
            Encoding::Any => out.message(field, any(value)),
            Encoding::Anys => one_or_many(value).for_each(|item| out.message(field, any(item))),
            Encoding::Double => out.double(field, value.as_f64().unwrap_or_default()),
            Encoding::Bool => out.bool(field, value.as_bool().unwrap_or_default()),
            Encoding::Int64 => out.int64(field, value.as_i64().unwrap_or_default()),
            Encoding::Texts => {
                one_or_many(value).for_each(|item| out.text(field, item.as_str().unwrap_or_default()));
            }
            Encoding::AdditionalProperties => {
                let mut item = Message::default();
                match value {
                    Value::Bool(allowed) => item.bool(2, *allowed),
                    schema => item.message(1, self::schema(schema)),
                }
                out.message(field, item);
            }
            Encoding::Type => {
                let mut item = Message::default();
                one_or_many(value).for_each(|ty| item.text(1, ty.as_str().unwrap_or_default()));
                out.message(field, item);
            }
            Encoding::Items => {
                let mut item = Message::default();
                one_or_many(value).for_each(|schema| item.message(1, self::schema(schema)));
                out.message(field, item);
            }
            Encoding::Schemas => one_or_many(value).for_each(|schema| out.message(field, self::schema(schema))),
            Encoding::Properties => {
                if let Some(properties) = value.as_object() {
                    out.message(field, named_schemas(properties));
                }
            }
        }
    }
    out
}

/// gnostic's `Any` for a JSON value: the value as YAML text in field 2.
fn any(value: &Value) -> Message {
    let mut out = Message::default();
    out.text(2, &value.to_string());
    out
}

/// The elements of an array, or the value itself.
fn one_or_many(value: &Value) -> std::slice::Iter<'_, Value> {
    match value {
        Value::Array(items) => items.iter(),
        other => std::slice::from_ref(other).iter(),
    }
}
