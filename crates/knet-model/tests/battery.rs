//! Replays the NetworkPolicy battery (`battery/` at the workspace root) on the model: every cell of every truth table,
//! checked against the pairwise verdict (`policy::judge_pods`) and the connectivity matrix (`connectivity`).
//!
//! Each case starts from `battery/base.yaml`; objects of the case file replace base objects with the same kind,
//! namespace and name, and the others are added. The manifests are defaulted and validated as the API server would,
//! then compiled without system objects, so the cluster holds exactly the battery's nine pods. Every failing case is
//! collected before the test fails, so one run shows every mismatch, each with the model's tables beside the expected
//! ones. See `battery/README.md` for the formats.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use knet_model::connectivity::{Connectivity, Node};
use knet_model::policy::{DirectionVerdict, judge_pods};
use knet_model::{Cluster, ClusterConfig, PodId, Protocol};
use knet_object::{Manifest, defaults, load_str, validate};

/// The battery directory, at the workspace root.
fn battery_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../battery")
}

/// How a battery file is named in messages: relative to the workspace root, as the README names it.
fn display(file: &str) -> String {
    format!("battery/{file}")
}

fn read(file: &str) -> Result<String, String> {
    std::fs::read_to_string(battery_dir().join(file)).map_err(|e| format!("{}: cannot read: {e}", display(file)))
}

/// The stems of `battery/cases/*.yaml` and `battery/cases/*.truth`, and any other file found there.
#[derive(Debug, Default)]
struct CaseFiles {
    yaml: BTreeSet<String>,
    truth: BTreeSet<String>,
    stray: Vec<String>,
}

fn case_files() -> Result<CaseFiles, String> {
    let dir = battery_dir().join("cases");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("battery/cases: cannot list: {e}"))?;
    let mut files = CaseFiles::default();
    for entry in entries {
        let entry = entry.map_err(|e| format!("battery/cases: cannot list: {e}"))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".yaml") {
            files.yaml.insert(stem.to_owned());
        } else if let Some(stem) = name.strip_suffix(".truth") {
            files.truth.insert(stem.to_owned());
        } else {
            files.stray.push(name);
        }
    }
    Ok(files)
}

// ---------------------------------------------------------------------------------------------------------------
// The .truth format.

/// One truth table: the reachability of every (source, destination) pair on one protocol and port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Table {
    protocol: Protocol,
    port: u16,
    /// The line of the `PROTOCOL/PORT` header, for messages.
    line: usize,
    /// The pods, in column order; rows list the same pods in the same order.
    pods: Vec<String>,
    /// `allowed[row][column]`: whether the row pod may connect to the column pod.
    allowed: Vec<Vec<bool>>,
}

/// Parses a `.truth` file. Every problem is an error naming `path:line`; nothing here panics.
fn parse_truth(path: &str, text: &str) -> Result<Vec<Table>, String> {
    let mut tables: Vec<Table> = Vec::new();
    let mut current: Option<Table> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let at = |what: String| format!("{path}:{number}: {what}");
        let line = raw.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            if let Some(table) = current.take() {
                tables.push(finish_table(path, table)?);
            }
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        match &mut current {
            None => {
                let [header] = fields[..] else {
                    return Err(at(format!("expected a table header like TCP/80, found {line:?}")));
                };
                let (protocol, port) = header
                    .split_once('/')
                    .ok_or_else(|| at(format!("expected a table header like TCP/80, found {header:?}")))?;
                let protocol: Protocol = protocol
                    .parse()
                    .map_err(|()| at(format!("unknown protocol {protocol:?} (expected TCP, UDP or SCTP)")))?;
                let port: u16 = port
                    .parse()
                    .ok()
                    .filter(|&p| p > 0)
                    .ok_or_else(|| at(format!("invalid port {port:?} (expected 1-65535)")))?;
                if let Some(previous) = tables.iter().find(|t| t.protocol == protocol && t.port == port) {
                    return Err(at(format!(
                        "second table for {protocol}/{port} (the first is at line {})",
                        previous.line
                    )));
                }
                current = Some(Table { protocol, port, line: number, pods: Vec::new(), allowed: Vec::new() });
            }
            Some(table) if table.pods.is_empty() => {
                if fields[0] != "-" || fields.len() < 2 {
                    return Err(at(format!("expected the column line \"- ns/pod ns/pod ...\", found {line:?}")));
                }
                let pods: Vec<String> = fields[1..].iter().map(|&p| p.to_owned()).collect();
                for (column, pod) in pods.iter().enumerate() {
                    if !pod.contains('/') {
                        return Err(at(format!("column {pod:?} is not namespace/name")));
                    }
                    if pods[..column].contains(pod) {
                        return Err(at(format!("column {pod:?} appears twice")));
                    }
                }
                table.pods = pods;
            }
            Some(table) => {
                let row = table.allowed.len();
                let Some(expected_name) = table.pods.get(row) else {
                    return Err(at(format!(
                        "more rows than the {} columns (a blank line must end a table)",
                        table.pods.len()
                    )));
                };
                if fields[0] != expected_name {
                    return Err(at(format!(
                        "row {} is {:?}, but rows must list the columns' pods in order: expected {expected_name:?}",
                        row + 1,
                        fields[0]
                    )));
                }
                let cells = &fields[1..];
                if cells.len() != table.pods.len() {
                    return Err(at(format!(
                        "row {:?} has {} cells for {} columns",
                        fields[0],
                        cells.len(),
                        table.pods.len()
                    )));
                }
                let mut allowed = Vec::with_capacity(cells.len());
                for (column, cell) in cells.iter().enumerate() {
                    allowed.push(match *cell {
                        "." => true,
                        "X" => false,
                        other => {
                            return Err(at(format!(
                                "cell {} -> {} is {other:?}; expected . (allowed) or X (blocked)",
                                fields[0], table.pods[column]
                            )));
                        }
                    });
                }
                table.allowed.push(allowed);
            }
        }
    }
    if let Some(table) = current.take() {
        tables.push(finish_table(path, table)?);
    }
    if tables.is_empty() {
        return Err(format!("{path}: no truth table"));
    }
    Ok(tables)
}

fn finish_table(path: &str, table: Table) -> Result<Table, String> {
    let header = format!("{path}:{}: table {}/{}", table.line, table.protocol, table.port);
    if table.pods.is_empty() {
        return Err(format!("{header} has no column line"));
    }
    if table.allowed.len() != table.pods.len() {
        return Err(format!("{header} has {} rows for {} columns", table.allowed.len(), table.pods.len()));
    }
    Ok(table)
}

// ---------------------------------------------------------------------------------------------------------------
// Loading a case.

/// What identifies an object for replacement: kind, namespace (empty when cluster-scoped) and name.
fn identity(manifest: &Manifest) -> (String, String, String) {
    let object = &manifest.object;
    (object.kind_name().to_owned(), object.namespace().unwrap_or_default().to_owned(), object.name().to_owned())
}

fn load(file: &str) -> Result<Vec<Manifest>, String> {
    let loaded = load_str(&display(file), &read(file)?);
    if !loaded.errors.is_empty() {
        let errors: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        return Err(errors.join("\n"));
    }
    Ok(loaded.manifests)
}

/// The base with the case applied: same kind/namespace/name replaces, anything else is added. Then every object is
/// defaulted and validated, as the API server admits it.
fn admit(base: &[Manifest], case: Vec<Manifest>) -> Result<Vec<Manifest>, String> {
    let mut manifests = base.to_vec();
    for manifest in case {
        let key = identity(&manifest);
        match manifests.iter_mut().find(|m| identity(m) == key) {
            Some(slot) => *slot = manifest,
            None => manifests.push(manifest),
        }
    }
    let mut invalid = Vec::new();
    for manifest in &mut manifests {
        defaults::apply(&mut manifest.object);
        let errors = validate(&manifest.object);
        if !errors.is_empty() {
            let (kind, namespace, name) = identity(manifest);
            let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
            invalid.push(format!("{}: {kind} {namespace}/{name} is invalid: {}", manifest.origin, errors.join("; ")));
        }
    }
    if invalid.is_empty() { Ok(manifests) } else { Err(invalid.join("\n")) }
}

fn build(manifests: &[Manifest]) -> Result<Cluster, String> {
    let config = ClusterConfig { system_objects: false, ..ClusterConfig::default() };
    let cluster = Cluster::build(config, manifests);
    if cluster.problems.is_empty() {
        Ok(cluster)
    } else {
        Err(format!("the model reports problems:\n  {}", cluster.problems.join("\n  ")))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Replaying a case.

/// Runs one case; `Err` holds the whole report of what went wrong.
fn run_case(base: &[Manifest], stem: &str) -> Result<(), String> {
    let truth_file = format!("cases/{stem}.truth");
    let manifests = admit(base, load(&format!("cases/{stem}.yaml"))?)?;
    let cluster = build(&manifests)?;
    let tables = parse_truth(&display(&truth_file), &read(&truth_file)?)?;
    let matrix = Connectivity::compute(&cluster);

    let cluster_pods: BTreeSet<String> = cluster.pods.iter().map(|p| p.qualified_name()).collect();
    let mut report = String::new();
    for table in &tables {
        let at = format!("{}:{}", display(&truth_file), table.line);
        let table_pods: BTreeSet<String> = table.pods.iter().cloned().collect();
        if table_pods != cluster_pods {
            let missing: Vec<&String> = cluster_pods.difference(&table_pods).collect();
            let unknown: Vec<&String> = table_pods.difference(&cluster_pods).collect();
            let _ = writeln!(
                report,
                "{at}: the table's pods differ from the cluster's: missing {missing:?}, unknown {unknown:?}"
            );
            continue;
        }
        let ids: Vec<PodId> = table
            .pods
            .iter()
            .filter_map(|name| {
                let (namespace, pod) = name.split_once('/')?;
                cluster.find_pod(namespace, pod)
            })
            .collect();
        if ids.len() != table.pods.len() {
            let _ = writeln!(report, "{at}: some pods of the table are not in the cluster");
            continue;
        }
        let (protocol, port) = (table.protocol, table.port);
        let judged: Vec<Vec<bool>> = ids
            .iter()
            .map(|&src| ids.iter().map(|&dst| judge_pods(&cluster, src, dst, protocol, port).allowed()).collect())
            .collect();
        let computed: Vec<Vec<bool>> = ids
            .iter()
            .map(|&src| {
                ids.iter().map(|&dst| matrix.between(Node::Pod(src), Node::Pod(dst)).allows(protocol, port)).collect()
            })
            .collect();
        if judged == table.allowed && computed == table.allowed {
            continue;
        }
        report.push_str(&describe_mismatch(&cluster, &at, table, &ids, &judged, &computed));
    }
    if report.is_empty() { Ok(()) } else { Err(report) }
}

/// Renders a table as the `.truth` format does, marking with `!` each cell that differs from `expected`.
fn render(title: &str, pods: &[String], cells: &[Vec<bool>], expected: &[Vec<bool>]) -> Vec<String> {
    let width = pods.iter().map(String::len).max().unwrap_or(1) + 1;
    let mut lines = vec![title.to_owned()];
    let mut header = format!("{:<w$}", "-", w = width + 2);
    for pod in pods {
        let _ = write!(header, "{pod:<width$}");
    }
    lines.push(header.trim_end().to_owned());
    for (row, pod) in pods.iter().enumerate() {
        let mut line = format!("{pod:<w$}", w = width + 2);
        for (column, &allowed) in cells[row].iter().enumerate() {
            let mark = if allowed == expected[row][column] { "" } else { "!" };
            let cell = format!("{}{mark}", if allowed { "." } else { "X" });
            let _ = write!(line, "{cell:<width$}");
        }
        lines.push(line.trim_end().to_owned());
    }
    lines
}

fn describe_direction(cluster: &Cluster, verdict: &DirectionVerdict) -> String {
    let direction = verdict.direction.as_str();
    if verdict.isolating.is_empty() {
        return format!("{direction}: not isolated");
    }
    if let Some(by) = verdict.allowed_by {
        let policy = &cluster.policies[by.policy.0];
        let list = direction.to_lowercase();
        return format!("{direction}: allowed by {} {list}[{}]", policy.qualified_name(), by.rule);
    }
    let misses: Vec<String> = verdict
        .misses
        .iter()
        .map(|miss| {
            let policy = cluster.policies[miss.policy.0].qualified_name();
            if miss.rules.is_empty() {
                format!("{policy} has no rule")
            } else {
                format!("{policy}: {}", miss.rules.join(" | "))
            }
        })
        .collect();
    format!("{direction}: denied ({})", misses.join("; "))
}

/// The three tables side by side, then the differing cells with the model's reasons.
fn describe_mismatch(
    cluster: &Cluster,
    at: &str,
    table: &Table,
    ids: &[PodId],
    judged: &[Vec<bool>],
    computed: &[Vec<bool>],
) -> String {
    const LISTED: usize = 12;
    let columns = [
        render("expected", &table.pods, &table.allowed, &table.allowed),
        render("policy::judge_pods", &table.pods, judged, &table.allowed),
        render("Connectivity::between", &table.pods, computed, &table.allowed),
    ];
    let width = columns.iter().flatten().map(String::len).max().unwrap_or(0) + 4;
    let mut out = format!("{}/{}: the model disagrees with {at} (cells marked !)\n", table.protocol, table.port);
    let [expected, judged_lines, computed_lines] = &columns;
    for ((expected, judged), computed) in expected.iter().zip(judged_lines).zip(computed_lines) {
        let _ = writeln!(out, "  {expected:<width$}{judged:<width$}{computed}");
    }
    let cell = |allowed: bool| if allowed { "." } else { "X" };
    let mut listed = 0;
    let mut differing = 0;
    for (row, &src) in ids.iter().enumerate() {
        for (column, &dst) in ids.iter().enumerate() {
            let expected = table.allowed[row][column];
            if judged[row][column] == expected && computed[row][column] == expected {
                continue;
            }
            differing += 1;
            if listed == LISTED {
                continue;
            }
            listed += 1;
            let verdict = judge_pods(cluster, src, dst, table.protocol, table.port);
            let _ = writeln!(
                out,
                "  {} -> {}: expected {}, judge_pods {}, Connectivity {}; {}; {}",
                table.pods[row],
                table.pods[column],
                cell(expected),
                cell(judged[row][column]),
                cell(computed[row][column]),
                describe_direction(cluster, &verdict.egress),
                describe_direction(cluster, &verdict.ingress),
            );
        }
    }
    if differing > listed {
        let _ = writeln!(out, "  ... and {} more cells", differing - listed);
    }
    out
}

#[test]
fn every_case_has_a_truth_file_and_a_leading_comment() {
    let files = match case_files() {
        Ok(files) => files,
        Err(error) => panic!("{error}"),
    };
    let mut problems = Vec::new();
    for stem in files.yaml.difference(&files.truth) {
        problems.push(format!("battery/cases/{stem}.yaml has no {stem}.truth"));
    }
    for stem in files.truth.difference(&files.yaml) {
        problems.push(format!("battery/cases/{stem}.truth has no {stem}.yaml"));
    }
    for stray in &files.stray {
        problems.push(format!("battery/cases/{stray} is neither a case (.yaml) nor a truth file (.truth)"));
    }
    for stem in &files.yaml {
        let file = format!("cases/{stem}.yaml");
        match read(&file) {
            Ok(text) if text.starts_with('#') => {}
            Ok(_) => problems.push(format!(
                "{}:1: a case opens with a comment naming the documented rule it exercises",
                display(&file)
            )),
            Err(error) => problems.push(error),
        }
    }
    if files.yaml.len() < 35 {
        problems.push(format!("the battery has {} cases; it should keep at least 35", files.yaml.len()));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn battery_on_the_model() {
    let base = match load("base.yaml") {
        Ok(base) => base,
        Err(error) => panic!("battery/base.yaml does not load:\n{error}"),
    };
    if let Err(error) = admit(&base, Vec::new()).and_then(|m| build(&m)) {
        panic!("battery/base.yaml is not a valid cluster:\n{error}");
    }
    let files = match case_files() {
        Ok(files) => files,
        Err(error) => panic!("{error}"),
    };
    let stems: Vec<&String> = files.yaml.intersection(&files.truth).collect();
    assert!(!stems.is_empty(), "battery/cases holds no case");
    let mut failures = Vec::new();
    for stem in &stems {
        if let Err(report) = run_case(&base, stem) {
            failures.push(format!("=== case {stem}\n{report}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} battery cases fail on the model:\n\n{}",
        failures.len(),
        stems.len(),
        failures.join("\n")
    );
}

#[test]
fn truth_parser_reports_malformed_files_with_their_line() {
    let good = "# comment\n\nTCP/80\n-   x/a x/b\nx/a .   X\nx/b X   .\n\nUDP/81\n- x/a x/b\nx/a . .\nx/b . .\n";
    let tables = parse_truth("t", good).expect("a well-formed file parses");
    assert_eq!(tables.len(), 2);
    assert_eq!((tables[0].protocol, tables[0].port, tables[0].line), (Protocol::Tcp, 80, 3));
    assert_eq!(tables[0].allowed, vec![vec![true, false], vec![false, true]]);
    assert_eq!((tables[1].protocol, tables[1].port), (Protocol::Udp, 81));

    let cases = [
        ("", "t: no truth table"),
        ("ICMP/80\n", "t:1: unknown protocol \"ICMP\""),
        ("TCP/0\n", "t:1: invalid port \"0\""),
        ("TCP 80\n", "t:1: expected a table header"),
        ("TCP/80\nx/a x/b\n", "t:2: expected the column line"),
        ("TCP/80\n- x/a x/a\n", "t:2: column \"x/a\" appears twice"),
        ("TCP/80\n- x/a\nx/a ?\n", "t:3: cell x/a -> x/a is \"?\""),
        ("TCP/80\n- x/a x/b\nx/a .\n", "t:3: row \"x/a\" has 1 cells for 2 columns"),
        ("TCP/80\n- x/a x/b\nx/b . .\n", "t:3: row 1 is \"x/b\""),
        ("TCP/80\n- x/a\nx/a .\nx/a .\n", "t:4: more rows than the 1 columns"),
        ("TCP/80\n- x/a x/b\nx/a . .\n", "t:1: table TCP/80 has 1 rows for 2 columns"),
        ("TCP/80\n\n", "t:1: table TCP/80 has no column line"),
        ("TCP/80\n- x/a\nx/a .\n\nTCP/80\n- x/a\nx/a .\n", "t:5: second table for TCP/80"),
    ];
    for (text, message) in cases {
        match parse_truth("t", text) {
            Ok(tables) => panic!("{text:?} parsed as {tables:?}; expected an error {message:?}"),
            Err(error) => {
                assert!(error.starts_with(message), "{text:?}: error {error:?} does not start with {message:?}")
            }
        }
    }
}
