//! Renders a [`Report`] in the formats `knet analyze -o` offers. Machine formats (json, csv, md, dot, mermaid) are
//! stable: they carry the same connectivity rows in the same order, and nothing that depends on the terminal.

use std::fmt::Write as _;
use std::str::FromStr;

use crate::report::Report;

/// An output format of `knet analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Txt,
    Json,
    Md,
    Csv,
    Dot,
    Mermaid,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        Ok(match s {
            "txt" | "text" => Format::Txt,
            "json" => Format::Json,
            "md" | "markdown" => Format::Md,
            "csv" => Format::Csv,
            "dot" => Format::Dot,
            "mermaid" => Format::Mermaid,
            other => {
                return Err(format!("unknown output format {other:?}: use txt, json, md, csv, dot or mermaid"));
            }
        })
    }
}

/// Terminal styling: bold section titles only when writing to a terminal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn title(&self, text: &str) -> String {
        if self.color { format!("\x1b[1m{text}\x1b[0m") } else { text.to_owned() }
    }
}

pub fn render(report: &Report, format: Format, style: Style) -> String {
    match format {
        Format::Txt => text(report, style),
        Format::Json => json(report),
        Format::Md => markdown(report),
        Format::Csv => csv(report),
        Format::Dot => dot(report),
        Format::Mermaid => mermaid(report),
    }
}

/// Aligns rows of cells into columns separated by two spaces.
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|cell| cell.chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[c]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn text(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.title("Connectivity"));
    if report.connectivity.is_empty() {
        out.push_str("(no allowed connections)\n");
    }
    for line in &report.connectivity {
        let _ = writeln!(out, "{} => {} : {}", line.src, line.dst, line.conn);
    }
    if !report.services.is_empty() {
        let _ = writeln!(out, "\n{}", style.title("Services"));
        let mut rows = vec![vec![
            "NAME".into(),
            "TYPE".into(),
            "CLUSTER-IP".into(),
            "EXTERNAL".into(),
            "PORT".into(),
            "ENDPOINTS".into(),
        ]];
        for service in &report.services {
            rows.extend(service_table_rows(service));
        }
        out.push_str(&table(&rows));
        if report.services.iter().any(|s| !s.allocated.is_empty()) {
            out.push_str("  * allocated by knet, as the API server would: the manifest does not set it\n");
        }
        for service in &report.services {
            for note in &service.notes {
                let _ = writeln!(out, "  note: {}: {note}", service.name);
            }
        }
    }
    if !report.dns.is_empty() {
        let _ = writeln!(out, "\n{}", style.title("DNS"));
        for record in &report.dns {
            let _ = writeln!(out, "{record}");
        }
    }
    if !report.ingress.is_empty() {
        let _ = writeln!(out, "\n{}", style.title("Ingress routes"));
        for route in &report.ingress {
            let _ = writeln!(out, "{route}");
        }
    }
    if !report.exposure.is_empty() {
        let _ = writeln!(out, "\n{}", style.title("Exposure (reachable from outside the cluster)"));
        let rows: Vec<Vec<String>> = report
            .exposure
            .iter()
            .map(|e| vec![e.entry.clone(), e.via.clone(), format!("-> {}", e.backend), e.verdict.clone()])
            .collect();
        out.push_str(&table(&rows));
    }
    for (title, lines) in [("Not analyzed", &report.unanalyzed), ("Problems", &report.problems)] {
        if !lines.is_empty() {
            let _ = writeln!(out, "\n{}", style.title(title));
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}

/// One table row per Service port; the Service's own columns only on its first row. Addresses knet allocated
/// (because the manifest leaves them to the API server) are marked with `*`.
fn service_table_rows(service: &crate::report::ServiceRow) -> Vec<Vec<String>> {
    let allocated = |what: &str| if service.allocated.iter().any(|a| a == what) { "*" } else { "" };
    let external = if service.external.is_empty() {
        "<none>".to_owned()
    } else {
        format!("{}{}", service.external.join(","), allocated("loadBalancer IP"))
    };
    let own = [
        service.name.clone(),
        service.service_type.clone(),
        format!("{}{}", service.cluster_ip, allocated("clusterIP")),
        external,
    ];
    if service.ports.is_empty() {
        return vec![own.iter().cloned().chain(["<none>".to_owned(), String::new()]).collect()];
    }
    service
        .ports
        .iter()
        .enumerate()
        .map(|(index, port)| {
            let endpoints = if port.endpoints.is_empty() { "<none>".to_owned() } else { port.endpoints.join(", ") };
            let own = own.iter().map(|cell| if index == 0 { cell.clone() } else { String::new() });
            own.chain([format!("{}{} -> {}", port.port, allocated("nodePort"), port.target), endpoints]).collect()
        })
        .collect()
}

fn json(report: &Report) -> String {
    let mut text =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
    text.push('\n');
    text
}

fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n']) { format!("\"{}\"", field.replace('"', "\"\"")) } else { field.to_owned() }
}

fn csv(report: &Report) -> String {
    let mut out = String::from("src,dst,conn\n");
    for line in &report.connectivity {
        let _ = writeln!(out, "{},{},{}", csv_field(&line.src), csv_field(&line.dst), csv_field(&line.conn));
    }
    out
}

fn markdown(report: &Report) -> String {
    let mut out = String::from("| src | dst | conn |\n|-----|-----|------|\n");
    for line in &report.connectivity {
        let _ = writeln!(out, "| {} | {} | {} |", line.src, line.dst, line.conn);
    }
    out
}

/// The distinct peers of the report, in order, for graph formats.
fn peers(report: &Report) -> Vec<&str> {
    let mut peers: Vec<&str> = report.connectivity.iter().flat_map(|l| [l.src.as_str(), l.dst.as_str()]).collect();
    peers.sort();
    peers.dedup();
    peers
}

fn dot(report: &Report) -> String {
    let peers = peers(report);
    let mut out = String::from("digraph {\n");
    for peer in &peers {
        let shape = if peer.ends_with("[External]") || peer.starts_with('{') { "box" } else { "ellipse" };
        let _ = writeln!(out, "\t{:?} [label={:?} shape={shape}]", peer, peer);
    }
    for line in &report.connectivity {
        let _ = writeln!(out, "\t{:?} -> {:?} [label={:?}]", line.src, line.dst, line.conn);
    }
    out.push_str("}\n");
    out
}

fn mermaid(report: &Report) -> String {
    let peers = peers(report);
    let id = |peer: &str| peers.iter().position(|p| *p == peer).map_or_else(String::new, |i| format!("n{i}"));
    let mut out = String::from("graph LR\n");
    for peer in &peers {
        let _ = writeln!(out, "    {}[\"{}\"]", id(peer), peer.replace('"', "#quot;"));
    }
    for line in &report.connectivity {
        let _ = writeln!(out, "    {} -->|\"{}\"| {}", id(&line.src), line.conn, id(&line.dst));
    }
    out
}
