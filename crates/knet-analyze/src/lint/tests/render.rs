//! The three renderings of findings: text (with and without colour), JSON and SARIF 2.1.0.

use expect_test::expect;
use serde_json::Value;

use super::lint_yaml;
use crate::lint::{RULES, render_json, render_sarif, render_text};

/// One error with a field and a hint, and one info without a field.
const TWO_FINDINGS: &str = "
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {type: ExternalName, externalName: 10.0.0.5}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: nobody, namespace: empty}
spec: {podSelector: {matchLabels: {app: x}}}
";

#[test]
fn json_is_an_array_of_flat_objects() {
    expect![[r#"
        [
          {
            "code": "KN1005",
            "severity": "error",
            "object": "Service default/db",
            "field": "spec.externalName",
            "file": "fixture.yaml",
            "line": 1,
            "message": "service \"db\": externalName \"10.0.0.5\" is an IP address; the cluster DNS answers the Service's name with a CNAME to \"10.0.0.5\", a name that does not exist, so lookups fail with NXDOMAIN.",
            "hint": "Use a DNS name in externalName; for a fixed address, use a Service without a selector and an EndpointSlice holding the address."
          },
          {
            "code": "KN2003",
            "severity": "info",
            "object": "NetworkPolicy empty/nobody",
            "field": "spec.podSelector",
            "file": "fixture.yaml",
            "line": 7,
            "message": "networkpolicy \"nobody\": podSelector app=x selects no pod: namespace empty has no pods in the given manifests, so the policy has no effect here.",
            "hint": null
          }
        ]
    "#]].assert_eq(&render_json(&lint_yaml(TWO_FINDINGS)));
    assert_eq!(render_json(&[]), "[]\n");
}

#[test]
fn sarif_lists_every_rule_and_locates_results() {
    let text = render_sarif(&lint_yaml(TWO_FINDINGS));
    let log: Value = serde_json::from_str(&text).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), RULES.len());
    for (rule, expected) in rules.iter().zip(RULES) {
        assert_eq!(rule["id"], expected.code);
        assert_eq!(rule["shortDescription"]["text"], expected.summary);
        assert_eq!(rule["help"]["text"], expected.help);
    }
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    for result in results {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    expect![[r#"
        [
          {
            "level": "error",
            "locations": [
              {
                "logicalLocations": [
                  {
                    "fullyQualifiedName": "Service default/db",
                    "kind": "object"
                  }
                ],
                "physicalLocation": {
                  "artifactLocation": {
                    "uri": "fixture.yaml"
                  },
                  "region": {
                    "startLine": 1
                  }
                }
              }
            ],
            "message": {
              "text": "service \"db\": externalName \"10.0.0.5\" is an IP address; the cluster DNS answers the Service's name with a CNAME to \"10.0.0.5\", a name that does not exist, so lookups fail with NXDOMAIN.\nHint: Use a DNS name in externalName; for a fixed address, use a Service without a selector and an EndpointSlice holding the address."
            },
            "properties": {
              "field": "spec.externalName"
            },
            "ruleId": "KN1005",
            "ruleIndex": 7
          },
          {
            "level": "note",
            "locations": [
              {
                "logicalLocations": [
                  {
                    "fullyQualifiedName": "NetworkPolicy empty/nobody",
                    "kind": "object"
                  }
                ],
                "physicalLocation": {
                  "artifactLocation": {
                    "uri": "fixture.yaml"
                  },
                  "region": {
                    "startLine": 7
                  }
                }
              }
            ],
            "message": {
              "text": "networkpolicy \"nobody\": podSelector app=x selects no pod: namespace empty has no pods in the given manifests, so the policy has no effect here."
            },
            "properties": {
              "field": "spec.podSelector"
            },
            "ruleId": "KN2003",
            "ruleIndex": 10
          }
        ]"#]].assert_eq(&serde_json::to_string_pretty(&run["results"]).unwrap_or_default());
}

#[test]
fn text_is_aligned_and_colour_is_optional() {
    let findings = lint_yaml(TWO_FINDINGS);
    expect![[r#"
        fixture.yaml:1  error  KN1005  Service default/db          spec.externalName
            service "db": externalName "10.0.0.5" is an IP address; the cluster DNS answers the Service's name with a CNAME to "10.0.0.5", a name that does not exist, so lookups fail with NXDOMAIN.
            hint: Use a DNS name in externalName; for a fixed address, use a Service without a selector and an EndpointSlice holding the address.
        fixture.yaml:7  info   KN2003  NetworkPolicy empty/nobody  spec.podSelector
            networkpolicy "nobody": podSelector app=x selects no pod: namespace empty has no pods in the given manifests, so the policy has no effect here.

        1 error, 0 warnings, 1 info.
    "#]].assert_eq(&render_text(&findings, false));
    let coloured = render_text(&findings, true);
    assert!(coloured.contains("\u{1b}[1;31merror"), "{coloured}");
    assert_eq!(render_text(&[], true), "No findings.\n");
}

#[test]
fn errors_decide_the_exit_status() {
    let findings = lint_yaml(TWO_FINDINGS);
    assert_eq!(findings.iter().filter(|f| f.is_error()).count(), 1);
}
