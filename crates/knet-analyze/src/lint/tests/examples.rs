//! Snapshots of `knet lint` over the guide's examples, group by group as `examples/README.md` describes them.

use expect_test::expect_file;

use super::{lint_files, manifest_dir};
use crate::lint::render_text;

/// Reads every `.yaml` file of the given example directories, in name order, named as a user would pass them.
fn example_files(groups: &[&str]) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for group in groups {
        let dir = manifest_dir().join("../../examples").join(group);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".yaml"))
            .collect();
        names.sort();
        for name in names {
            let text = std::fs::read_to_string(dir.join(&name)).expect("example is readable");
            files.push((format!("examples/{group}/{name}"), text));
        }
    }
    files
}

fn lint_examples(groups: &[&str]) -> String {
    render_text(&lint_files(&example_files(groups)), false)
}

#[test]
fn service_types() {
    expect_file!["snapshots/service-types.txt"].assert_eq(&lint_examples(&["service-types"]));
}

#[test]
fn ingress() {
    expect_file!["snapshots/ingress.txt"].assert_eq(&lint_examples(&["ingress"]));
}

#[test]
fn network_policies() {
    expect_file!["snapshots/network-policies.txt"].assert_eq(&lint_examples(&["network-policies"]));
}

#[test]
fn dns() {
    expect_file!["snapshots/dns.txt"].assert_eq(&lint_examples(&["dns"]));
}

#[test]
fn misc() {
    expect_file!["snapshots/misc.txt"].assert_eq(&lint_examples(&["misc"]));
}

#[test]
fn monitoring() {
    expect_file!["snapshots/monitoring.txt"].assert_eq(&lint_examples(&["monitoring"]));
}

#[test]
fn exercise_1() {
    expect_file!["snapshots/exercise-1.txt"].assert_eq(&lint_examples(&["exercise-1"]));
}

/// Exercise 2 applies on top of exercise 1. Its `allow-dns-egress` allows UDP 53 anywhere and, through
/// `namespaceSelector: {}`, every port to every pod: cluster DNS works over UDP and TCP, so no KN2006/KN2007.
#[test]
fn exercise_2() {
    expect_file!["snapshots/exercise-2.txt"].assert_eq(&lint_examples(&["exercise-1", "exercise-2"]));
}

#[test]
fn exercise_3() {
    expect_file!["snapshots/exercise-3.txt"].assert_eq(&lint_examples(&["exercise-1", "exercise-3"]));
}

/// Everything at once: names collide across groups (three `backend-service`s in three namespaces), as they would if
/// a user applied the whole guide to one cluster.
#[test]
fn all_examples() {
    let groups = [
        "dns",
        "exercise-1",
        "exercise-2",
        "exercise-3",
        "ingress",
        "misc",
        "monitoring",
        "network-policies",
        "service-types",
    ];
    expect_file!["snapshots/all.txt"].assert_eq(&lint_examples(&groups));
}

/// The guide applies exercises 1, 2 and 3 in order on one cluster.
#[test]
fn exercises_in_order() {
    expect_file!["snapshots/exercises-1-2-3.txt"].assert_eq(&lint_examples(&[
        "exercise-1",
        "exercise-2",
        "exercise-3",
    ]));
}
