//! Content negotiation: which representation to answer from a request's `Accept` header, and which format a
//! request body is in from its `Content-Type`.
//!
//! kubectl says what it wants in media-type parameters, and the parameters decide everything:
//!
//! | kubectl asks with `Accept:`                                                 | knet answers               |
//! |-----------------------------------------------------------------------------|----------------------------|
//! | `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList, ...` | aggregated discovery v2    |
//! | `application/json;as=Table;v=v1;g=meta.k8s.io, ...`                         | a `Table` (`kubectl get`)  |
//! | `application/vnd.kubernetes.protobuf,application/json`                      | JSON (no protobuf answers) |
//! | `application/json`, `*/*`, no header                                        | JSON                       |
//!
//! Clauses are tried by quality (`q`), then by specificity (`*/*` after `application/*` after a full type), then in
//! the order the client wrote them — the order kube-apiserver's negotiation uses. The first clause knet can
//! serve for the [`Target`] wins; none → [`Error::NotAcceptable`] (406). Parameters are compared exactly:
//! `v=v2` does not match `v=v2beta1`.
//!
//! knet never answers in protobuf: a protobuf clause is skipped, so `protobuf,json` gets JSON and protobuf alone
//! gets 406. Request bodies are another matter ([`BodyFormat`]): kubectl 1.33 sends `kubectl create` bodies in
//! protobuf, which [`crate::protobuf`] decodes.

use crate::discovery::DiscoveryVersion;

/// `application/json`, the media type of every plain answer.
pub const JSON: &str = "application/json";

/// The media types knet accepts for create and update bodies, in the order a 415 lists them.
pub const CREATE_BODY_TYPES: &[&str] = &["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];

/// The media types knet accepts for patch bodies, in the order a 415 lists them.
pub const PATCH_BODY_TYPES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
];

/// Errors of negotiation, each mapped by the server to a `Status` with the code named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// 406 NotAcceptable: no clause of the `Accept` header names a representation knet serves here. The message
    /// is kube-apiserver's.
    #[error("only the following media types are accepted: {}", accepted.join(", "))]
    NotAcceptable {
        /// What the client sent.
        accept: String,
        /// What it could have asked for instead.
        accepted: Vec<&'static str>,
    },
    /// 415 UnsupportedMediaType: the request body is in a format knet does not read. The message is
    /// kube-apiserver's.
    #[error("the body of the request was in an unknown format - accepted media types include: {}", accepted.join(", "))]
    UnsupportedMediaType {
        /// The `Content-Type` the client sent, without parameters.
        content_type: String,
        /// The formats this request could have used.
        accepted: Vec<&'static str>,
    },
}

/// `Result` of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The version of `meta.k8s.io` a `Table` or `PartialObjectMetadata` answer is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaVersion {
    /// `meta.k8s.io/v1`, what kubectl asks for first.
    V1,
    /// `meta.k8s.io/v1beta1`, the fallback kubectl lists second.
    V1Beta1,
}

impl MetaVersion {
    /// `v1` or `v1beta1`.
    pub fn as_str(self) -> &'static str {
        match self {
            MetaVersion::V1 => "v1",
            MetaVersion::V1Beta1 => "v1beta1",
        }
    }

    fn parse(version: &str) -> Option<MetaVersion> {
        match version {
            "v1" => Some(MetaVersion::V1),
            "v1beta1" => Some(MetaVersion::V1Beta1),
            _ => None,
        }
    }
}

/// What a request asks about, which decides the representations that make sense for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// `GET /api` or `GET /apis`: aggregated discovery, or legacy discovery as plain JSON.
    Discovery,
    /// One object (get, and the object a create, update, patch or delete answers with): JSON, a `Table` or a
    /// `PartialObjectMetadata`.
    Object,
    /// A list: JSON, a `Table` or a `PartialObjectMetadataList`.
    List,
    /// A watch stream: events carry JSON objects, `Table`s or `PartialObjectMetadata`.
    Watch,
    /// Everything else (`/version`, OpenAPI, legacy resource lists, `Status` answers): JSON only.
    Plain,
}

/// The representation the server answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Representation {
    /// Plain JSON: the object or list itself, or legacy discovery for [`Target::Discovery`].
    Json,
    /// A `meta.k8s.io` `Table` whose rows are the objects (`kubectl get`).
    Table { version: MetaVersion },
    /// Aggregated discovery `apidiscovery.k8s.io/v2`.
    DiscoveryV2,
    /// Aggregated discovery `apidiscovery.k8s.io/v2beta1`.
    DiscoveryV2Beta1,
    /// The object's `PartialObjectMetadata` (kind, apiVersion, metadata).
    PartialObjectMetadata { version: MetaVersion },
    /// A `PartialObjectMetadataList` of the list's items.
    PartialObjectMetadataList { version: MetaVersion },
}

impl Representation {
    /// The exact `Content-Type` of the reply. kubectl checks it: a Table answered as plain `application/json`
    /// prints garbage.
    pub fn content_type(self) -> &'static str {
        match self {
            Representation::Json => JSON,
            Representation::Table { version: MetaVersion::V1 } => "application/json;as=Table;v=v1;g=meta.k8s.io",
            Representation::Table { version: MetaVersion::V1Beta1 } => {
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io"
            }
            Representation::DiscoveryV2 => "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
            Representation::DiscoveryV2Beta1 => {
                "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
            }
            Representation::PartialObjectMetadata { version: MetaVersion::V1 } => {
                "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"
            }
            Representation::PartialObjectMetadata { version: MetaVersion::V1Beta1 } => {
                "application/json;as=PartialObjectMetadata;v=v1beta1;g=meta.k8s.io"
            }
            Representation::PartialObjectMetadataList { version: MetaVersion::V1 } => {
                "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
            }
            Representation::PartialObjectMetadataList { version: MetaVersion::V1Beta1 } => {
                "application/json;as=PartialObjectMetadataList;v=v1beta1;g=meta.k8s.io"
            }
        }
    }

    /// The aggregated discovery version to build, or `None` for legacy discovery.
    pub fn discovery_version(self) -> Option<DiscoveryVersion> {
        match self {
            Representation::DiscoveryV2 => Some(DiscoveryVersion::V2),
            Representation::DiscoveryV2Beta1 => Some(DiscoveryVersion::V2Beta1),
            _ => None,
        }
    }

    /// Every representation knet can answer for `target`, preferred first: what a 406 lists.
    pub fn offered(target: Target) -> &'static [Representation] {
        use MetaVersion::{V1, V1Beta1};
        match target {
            Target::Discovery => &[Representation::DiscoveryV2, Representation::DiscoveryV2Beta1, Representation::Json],
            Target::Object | Target::Watch => &[
                Representation::Json,
                Representation::Table { version: V1 },
                Representation::Table { version: V1Beta1 },
                Representation::PartialObjectMetadata { version: V1 },
                Representation::PartialObjectMetadata { version: V1Beta1 },
            ],
            Target::List => &[
                Representation::Json,
                Representation::Table { version: V1 },
                Representation::Table { version: V1Beta1 },
                Representation::PartialObjectMetadataList { version: V1 },
                Representation::PartialObjectMetadataList { version: V1Beta1 },
            ],
            Target::Plain => &[Representation::Json],
        }
    }
}

/// One clause of an `Accept` header: `type/subtype;param=value;q=0.5`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRange {
    /// Lower-case type: `application`, or `*`.
    pub kind: String,
    /// Lower-case subtype: `json`, `vnd.kubernetes.protobuf`, or `*`.
    pub subtype: String,
    /// Parameters other than `q`, names lower-cased, values unquoted and kept as written.
    pub params: Vec<(String, String)>,
    /// The quality in thousandths: `q=0.5` is 500; no `q` is 1000.
    pub quality: u16,
}

impl MediaRange {
    /// The value of parameter `name` (lower-case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// 2 for `type/subtype`, 1 for `type/*`, 0 for `*/*`.
    fn specificity(&self) -> u8 {
        match (self.kind.as_str(), self.subtype.as_str()) {
            ("*", _) => 0,
            (_, "*") => 1,
            _ => 2,
        }
    }

    /// What this clause asks for on `target`, if knet can serve it.
    fn representation(&self, target: Target) -> Option<Representation> {
        match (self.kind.as_str(), self.subtype.as_str()) {
            ("*", "*") | ("application", "*") => Some(Representation::Json),
            ("application", "json") => self.json_representation(target),
            // Protobuf, YAML, CBOR and the rest: knet does not answer in them, so the next clause decides.
            _ => None,
        }
    }

    fn json_representation(&self, target: Target) -> Option<Representation> {
        let (group, version) = (self.param("g"), self.param("v"));
        let Some(kind) = self.param("as") else {
            // kube-apiserver refuses a conversion that names a group or version but no kind.
            return (group.is_none() && version.is_none()).then_some(Representation::Json);
        };
        let representation = match (kind, group?) {
            ("Table", "meta.k8s.io") => Representation::Table { version: MetaVersion::parse(version?)? },
            ("PartialObjectMetadata", "meta.k8s.io") => {
                Representation::PartialObjectMetadata { version: MetaVersion::parse(version?)? }
            }
            ("PartialObjectMetadataList", "meta.k8s.io") => {
                Representation::PartialObjectMetadataList { version: MetaVersion::parse(version?)? }
            }
            ("APIGroupDiscoveryList", "apidiscovery.k8s.io") => match version? {
                "v2" => Representation::DiscoveryV2,
                "v2beta1" => Representation::DiscoveryV2Beta1,
                _ => return None,
            },
            _ => return None,
        };
        Representation::offered(target).contains(&representation).then_some(representation)
    }
}

/// Parses an `Accept` header into its clauses, in the order negotiation tries them (quality, then specificity,
/// then as written). Clauses with `q=0`, an unreadable `q` or no `type/subtype` are dropped.
pub fn parse_accept(header: &str) -> Vec<MediaRange> {
    let mut ranges: Vec<MediaRange> = split_unquoted(header, ',').into_iter().filter_map(parse_media_range).collect();
    // A stable sort keeps the client's order among equals, which is how kubectl states its preference.
    ranges.sort_by(|a, b| b.quality.cmp(&a.quality).then(b.specificity().cmp(&a.specificity())));
    ranges
}

fn parse_media_range(clause: &str) -> Option<MediaRange> {
    let mut parts = split_unquoted(clause, ';').into_iter();
    let essence = parts.next()?.trim().to_ascii_lowercase();
    let (kind, subtype) = match essence.split_once('/') {
        Some((kind, subtype)) => (kind.trim().to_owned(), subtype.trim().to_owned()),
        // Some clients send a bare `*` for `*/*`.
        None if essence == "*" => ("*".to_owned(), "*".to_owned()),
        None => return None,
    };
    if !is_token(&kind) || !is_token(&subtype) || (kind == "*" && subtype != "*") {
        return None;
    }
    let mut range = MediaRange { kind, subtype, params: Vec::new(), quality: 1000 };
    for param in parts {
        let Some((name, value)) = param.split_once('=') else { continue };
        let name = name.trim().to_ascii_lowercase();
        let value = unquote(value.trim());
        if name == "q" {
            range.quality = parse_quality(&value)?;
        } else {
            range.params.push((name, value));
        }
    }
    (range.quality > 0).then_some(range)
}

/// `1`, `1.0`, `0.5`, `0.125` → thousandths. More than three decimals or a value above 1 is unreadable.
fn parse_quality(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fraction_thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(fraction_thousandths),
        "1" if fraction_thousandths == 0 => Some(1000),
        _ => None,
    }
}

fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

/// Splits on `separator` outside double quotes (a quoted parameter value may contain `,` or `;`).
fn split_unquoted(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (index, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..index]);
                start = index + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else { return value.to_owned() };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next().unwrap_or('\\') } else { c });
    }
    out
}

/// Chooses the representation of the answer to a request on `target` with this `Accept` header. No header, or an
/// empty one, means JSON.
pub fn negotiate(accept: Option<&str>, target: Target) -> Result<Representation> {
    let header = accept.unwrap_or("").trim();
    if header.is_empty() {
        return Ok(Representation::Json);
    }
    parse_accept(header).iter().find_map(|range| range.representation(target)).ok_or_else(|| Error::NotAcceptable {
        accept: header.to_owned(),
        accepted: Representation::offered(target).iter().map(|r| r.content_type()).collect(),
    })
}

/// The format of a request body, from its `Content-Type`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyFormat {
    /// `application/json`, and a request without `Content-Type` (kube-apiserver assumes JSON then).
    Json,
    /// `application/yaml` (also `application/x-yaml`, `text/yaml`).
    Yaml,
    /// `application/vnd.kubernetes.protobuf`: `kubectl create namespace|configmap|secret|...` in 1.33.
    Protobuf,
    /// `application/strategic-merge-patch+json`: client-side `kubectl apply`, `kubectl label`, `kubectl scale`.
    StrategicMergePatch,
    /// `application/merge-patch+json`.
    MergePatch,
    /// `application/json-patch+json`.
    JsonPatch,
    /// `application/apply-patch+yaml`: server-side apply (the body kubectl sends is JSON text).
    ApplyPatchYaml,
    /// Anything else, lower-cased and without parameters.
    Unknown(String),
}

impl BodyFormat {
    /// Reads a `Content-Type` header. Parameters (`charset=utf-8`) are ignored; the type is case-insensitive.
    pub fn parse(content_type: Option<&str>) -> BodyFormat {
        let essence = content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match essence.as_str() {
            "" | "application/json" => BodyFormat::Json,
            "application/yaml" | "application/x-yaml" | "text/yaml" => BodyFormat::Yaml,
            "application/vnd.kubernetes.protobuf" => BodyFormat::Protobuf,
            "application/strategic-merge-patch+json" => BodyFormat::StrategicMergePatch,
            "application/merge-patch+json" => BodyFormat::MergePatch,
            "application/json-patch+json" => BodyFormat::JsonPatch,
            "application/apply-patch+yaml" => BodyFormat::ApplyPatchYaml,
            _ => BodyFormat::Unknown(essence),
        }
    }

    /// The canonical media type.
    pub fn media_type(&self) -> &str {
        match self {
            BodyFormat::Json => "application/json",
            BodyFormat::Yaml => "application/yaml",
            BodyFormat::Protobuf => "application/vnd.kubernetes.protobuf",
            BodyFormat::StrategicMergePatch => "application/strategic-merge-patch+json",
            BodyFormat::MergePatch => "application/merge-patch+json",
            BodyFormat::JsonPatch => "application/json-patch+json",
            BodyFormat::ApplyPatchYaml => "application/apply-patch+yaml",
            BodyFormat::Unknown(essence) => essence,
        }
    }

    /// Whether this is one of the four patch formats a PATCH must use.
    pub fn is_patch(&self) -> bool {
        matches!(
            self,
            BodyFormat::StrategicMergePatch
                | BodyFormat::MergePatch
                | BodyFormat::JsonPatch
                | BodyFormat::ApplyPatchYaml
        )
    }

    /// Checks that this format is fit for a create or update body; else the 415 to answer.
    pub fn for_create(self) -> Result<BodyFormat> {
        match self {
            BodyFormat::Json | BodyFormat::Yaml | BodyFormat::Protobuf => Ok(self),
            other => Err(other.unsupported(CREATE_BODY_TYPES)),
        }
    }

    /// Checks that this format is fit for a PATCH body; else the 415 to answer.
    pub fn for_patch(self) -> Result<BodyFormat> {
        if self.is_patch() { Ok(self) } else { Err(self.unsupported(PATCH_BODY_TYPES)) }
    }

    fn unsupported(&self, accepted: &[&'static str]) -> Error {
        Error::UnsupportedMediaType { content_type: self.media_type().to_owned(), accepted: accepted.to_vec() }
    }
}

#[cfg(test)]
mod tests;
