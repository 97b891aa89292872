//! Snapshot tests of validation: a small manifest in, kube-apiserver's messages out, one test per rule.
//!
//! Each manifest goes through the same path as real input (`load_str`, `defaults::apply`, `validate`), and the
//! output lists every object as `<Kind> "<name>": <error>` (or `valid`). Re-bless with `UPDATE_EXPECT=1`.

use expect_test::Expect;

use crate::defaults;
use crate::validate::{ValidationConfig, validate_with};

mod fuzz;
mod ingress;
mod meta;
mod netpol;
mod pod;
mod service;
mod workload;

/// Loads, defaults and validates `yaml`, and compares the report with `expect`.
fn check(yaml: &str, expect: Expect) {
    check_with(yaml, &ValidationConfig::default(), expect);
}

fn check_with(yaml: &str, config: &ValidationConfig, expect: Expect) {
    expect.assert_eq(&report(yaml, config));
}

/// One line per error, or `valid` for an object without any.
pub(crate) fn report(yaml: &str, config: &ValidationConfig) -> String {
    let loaded = crate::load_str("test.yaml", yaml);
    let mut out = String::new();
    for error in &loaded.errors {
        out.push_str(&format!("load error: {error}\n"));
    }
    for manifest in loaded.manifests {
        let mut object = manifest.object;
        defaults::apply(&mut object);
        let errors = validate_with(&object, config);
        let prefix = format!("{} {:?}", object.kind_name(), object.name());
        if errors.is_empty() {
            out.push_str(&format!("{prefix}: valid\n"));
        }
        for error in errors {
            out.push_str(&format!("{prefix}: {error}\n"));
        }
    }
    out
}
