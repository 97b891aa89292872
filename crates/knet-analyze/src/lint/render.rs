//! Findings as text for people, JSON for scripts, and SARIF 2.1.0 for code-scanning tools.
//!
//! All three are deterministic: they render the findings in the order given (`lint` sorts them) and read nothing
//! else, so they are snapshot-tested as text.

use std::fmt::Write as _;

use knet_object::Origin;
use serde::Serialize;
use serde_json::{Value, json};

use super::rules::RULES;
use super::{Finding, Severity};

/// `file:line`, or `file` when the line is not known.
fn location(origin: &Origin) -> String {
    if origin.line > 0 { format!("{}:{}", origin.source, origin.line) } else { origin.source.to_string() }
}

fn paint(text: &str, code: &str, color: bool) -> String {
    if color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
}

/// Human-readable text: one header line per finding with aligned columns (location, severity, code, object, field),
/// the message and the hint indented below it, and a count at the end. `color` adds ANSI colours for a terminal.
pub fn render_text(findings: &[Finding], color: bool) -> String {
    let rows: Vec<[String; 5]> = findings
        .iter()
        .map(|f| {
            [
                f.origin.as_ref().map_or_else(|| "<cluster>".to_owned(), location),
                f.severity.to_string(),
                f.code.to_owned(),
                f.object.clone(),
                f.field.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let mut widths = [0usize; 5];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for (finding, row) in findings.iter().zip(&rows) {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            let padded = if column + 1 == row.len() {
                cell.clone()
            } else {
                format!("{cell:<width$}  ", width = widths[column])
            };
            let styled = match column {
                1 => paint(&padded, severity_colour(finding.severity), color),
                2 => paint(&padded, "1", color),
                _ => padded,
            };
            line.push_str(&styled);
        }
        let _ = writeln!(out, "{}", line.trim_end());
        let _ = writeln!(out, "    {}", finding.message);
        if let Some(hint) = &finding.hint {
            let _ = writeln!(out, "    {} {hint}", paint("hint:", "2", color));
        }
    }
    let count = |severity: Severity| findings.iter().filter(|f| f.severity == severity).count();
    if findings.is_empty() {
        out.push_str("No findings.\n");
    } else {
        let _ = writeln!(
            out,
            "\n{}, {}, {}.",
            super::plural(count(Severity::Error), "error", "errors"),
            super::plural(count(Severity::Warning), "warning", "warnings"),
            super::plural(count(Severity::Info), "info", "infos"),
        );
    }
    out
}

fn severity_colour(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "1;31",
        Severity::Warning => "1;33",
        Severity::Info => "1;36",
    }
}

/// One finding in JSON, with its keys in this order.
#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'a str,
    severity: &'a str,
    object: &'a str,
    field: Option<&'a str>,
    file: Option<&'a str>,
    line: Option<usize>,
    message: &'a str,
    hint: Option<&'a str>,
}

/// A JSON array of objects with the keys `code`, `severity`, `object`, `field`, `file`, `line`, `message`, `hint`
/// (absent values are `null`), in the order given, ending with a newline.
pub fn render_json(findings: &[Finding]) -> String {
    let rows: Vec<JsonFinding<'_>> = findings
        .iter()
        .map(|f| JsonFinding {
            code: f.code,
            severity: f.severity.as_str(),
            object: &f.object,
            field: f.field.as_deref(),
            file: f.origin.as_ref().map(|o| &*o.source),
            line: f.origin.as_ref().map(|o| o.line).filter(|&l| l > 0),
            message: &f.message,
            hint: f.hint.as_deref(),
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}

/// A SARIF 2.1.0 log with one run: `tool.driver.rules` lists every rule (so viewers can show a rule's help even when
/// it did not fire), and each result carries `ruleId`, `ruleIndex`, `level`, `message.text` (the hint appended), the
/// file and line, and the object as a logical location. Objects read from stdin or added by the model have no file.
pub fn render_sarif(findings: &[Finding]) -> String {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": { "text": rule.summary },
                "fullDescription": { "text": rule.summary },
                "help": { "text": rule.help },
                "defaultConfiguration": { "level": rule.severity.sarif_level() },
            })
        })
        .collect();
    let results: Vec<Value> = findings.iter().map(sarif_result).collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "knet",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

fn sarif_result(finding: &Finding) -> Value {
    let mut text = finding.message.clone();
    if let Some(hint) = &finding.hint {
        let _ = write!(text, "\nHint: {hint}");
    }
    let mut location = json!({
        "logicalLocations": [{
            "fullyQualifiedName": finding.object,
            "kind": "object",
        }],
    });
    if let Some(origin) = finding.origin.as_ref().filter(|o| &*o.source != "-") {
        let mut physical = json!({ "artifactLocation": { "uri": uri(&origin.source) } });
        if origin.line > 0 {
            physical["region"] = json!({ "startLine": origin.line });
        }
        location["physicalLocation"] = physical;
    }
    let mut result = json!({
        "ruleId": finding.code,
        "level": finding.severity.sarif_level(),
        "message": { "text": text },
        "locations": [location],
    });
    if let Some(index) = RULES.iter().position(|r| r.code == finding.code) {
        result["ruleIndex"] = json!(index);
    }
    if let Some(field) = &finding.field {
        result["properties"] = json!({ "field": field });
    }
    result
}

/// A relative URI reference for a path: `/` separators, and every byte outside the unreserved set and `/` escaped.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.replace('\\', "/").bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(char::from(byte)),
            other => {
                let _ = write!(out, "%{other:02X}");
            }
        }
    }
    out
}
