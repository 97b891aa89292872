//! The API server's pure machinery: everything kube-apiserver decides that needs no socket, disk or clock —
//! the resource registry, strategic merge / JSON merge / JSON patches, label and field selectors in their text form,
//! Table rows with the columns a real cluster prints, `Status` errors with kube-apiserver's wording, and the discovery
//! and OpenAPI documents kubectl reads. The HTTP server and the store call into this crate; it calls into nothing
//! impure, so every answer is tested from JSON to JSON.

pub mod discovery;
pub mod field_selector;
pub mod negotiate;
pub mod openapi;
pub mod patch;
pub mod protobuf;
pub mod resources;
pub mod selector_text;
pub mod status;
pub mod table;
