//! What `knet analyze`, `explain`, `lint` and `resolve` say, as pure functions from admitted objects to reports.
//!
//! The binary reads files and prints; this crate decides. It depends on the object model (admission) and the network
//! model (every verdict), never on I/O, so its answers are snapshot-tested from text to text.

pub mod explain;
pub mod input;
pub mod lint;
pub mod render;
pub mod report;
pub mod routes;
pub mod synthetic;

pub use input::{Diagnostic, Input};
pub use report::{Report, analyze};
