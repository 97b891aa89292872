//! Tests of `knet lint`: one positive and one negative fixture per code, snapshots over the guide's examples, and the
//! agreement of the rule catalogue with `docs/lint.md`.

mod admission;
mod dns;
mod examples;
mod fixtures;
mod ingress;
mod render;

use std::collections::BTreeSet;

use knet_model::ClusterConfig;
use knet_object::{Loaded, load_str};

use super::{Finding, RULES, lint, render_text};

/// Lints the given `(source name, text)` files as one snapshot, as `knet lint -f a -f b` would.
fn lint_files(files: &[(String, String)]) -> Vec<Finding> {
    let mut loaded = Loaded::default();
    for (name, text) in files {
        loaded.extend(load_str(name, text));
    }
    lint(loaded, "default", ClusterConfig::default())
}

/// Lints one fixture.
fn lint_yaml(yaml: &str) -> Vec<Finding> {
    lint_files(&[("fixture.yaml".to_owned(), yaml.to_owned())])
}

/// The text report of one fixture.
fn report(yaml: &str) -> String {
    render_text(&lint_yaml(yaml), false)
}

/// The codes one fixture produces.
fn codes(yaml: &str) -> BTreeSet<&'static str> {
    lint_yaml(yaml).iter().map(|f| f.code).collect()
}

fn manifest_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn docs_document_exactly_the_codes() {
    let path = manifest_dir().join("../../docs/lint.md");
    let docs = std::fs::read_to_string(&path).expect("docs/lint.md is readable");
    let documented: Vec<&str> = docs
        .lines()
        .filter_map(|l| l.strip_prefix("### "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|code| code.starts_with("KN"))
        .collect();
    let defined: Vec<&str> = RULES.iter().map(|r| r.code).collect();
    assert_eq!(documented, defined, "docs/lint.md and RULES list different codes (or in another order)");
    for rule in RULES {
        let heading = format!("### {} `{}`", rule.code, rule.name);
        assert!(docs.contains(&heading), "docs/lint.md lacks the heading {heading:?}");
        let severity = format!("Severity: {}", rule.severity);
        let section = docs.split(&heading).nth(1).unwrap_or_default();
        let section = section.split("\n### ").next().unwrap_or_default();
        assert!(section.contains(&severity), "docs/lint.md: {} does not say {severity:?}", rule.code);
    }
}

#[test]
fn codes_are_unique_sorted_and_well_formed() {
    let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(codes, sorted);
    for rule in RULES {
        assert!(rule.code.len() == 6 && rule.code.starts_with("KN"), "{}", rule.code);
        assert!(rule.code[2..].chars().all(|c| c.is_ascii_digit()), "{}", rule.code);
        assert!(rule.summary.ends_with('.') && rule.help.ends_with('.'), "{}", rule.code);
    }
}

#[test]
fn every_code_fires_somewhere_in_the_fixtures() {
    let mut fired: BTreeSet<&str> = fixtures::all().iter().flat_map(|yaml| codes(yaml)).collect();
    fired.extend(codes(admission::BROKEN));
    fired.extend(codes(admission::INVALID));
    for yaml in [
        ingress::backends(),
        format!("{}---{}", ingress::WEB, ingress::CLASSES),
        format!("{}---{}", ingress::WEB, ingress::TWO_DEFAULT_CLASSES),
        ingress::annotations(),
        ingress::conflict(),
        ingress::tls(),
        ingress::canary(),
        ingress::blocked_by_policy(false),
        dns::CONFIG.to_owned(),
        dns::ENV.to_owned(),
        dns::CUSTOM_DNS.to_owned(),
    ] {
        fired.extend(codes(&yaml));
    }
    // The model's compile problems are only reachable past validation by a hand-made snapshot (see `admission`).
    fired.insert("KN0003");
    let missing: Vec<&str> = RULES.iter().map(|r| r.code).filter(|c| !fired.contains(c)).collect();
    assert!(missing.is_empty(), "codes no fixture triggers: {missing:?}");
}
