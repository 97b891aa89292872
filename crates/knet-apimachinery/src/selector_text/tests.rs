//! Selector text: canonical printing, matching, kube-apiserver's error for each way a selector can be wrong, and
//! property tests (never panics; printing then parsing gives the same selector).

use std::collections::BTreeMap;

use expect_test::expect;
use proptest::prelude::*;
use serde_json::json;

use super::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn canonical(text: &str) -> String {
    match LabelSelector::parse(text) {
        Ok(selector) => selector.to_string(),
        Err(error) => format!("error: {error}"),
    }
}

#[test]
fn valid_selectors_print_canonically() {
    let cases = [
        "",
        "   ",
        "a=b",
        " a = b ",
        "a==b",
        "a!=b",
        "a in (x,y)",
        "a in(y, x)",
        "a notin (x)",
        "a",
        "!a",
        "b=1,a=2",
        "x in (foo,,baz),y,z notin ()",
        "a in (b,)",
        "a in (b,b)",
        "a=",
        "a!=",
        "x>1",
        "x<10",
        "in in (in)",
        "notin=notin",
        "k8s.io/app=web,tier!=db",
        "!a,a=b",
    ];
    let out: Vec<String> = cases.iter().map(|c| format!("{c:?} -> {:?}", canonical(c))).collect();
    expect![[r#"
        "" -> ""
        "   " -> ""
        "a=b" -> "a=b"
        " a = b " -> "a=b"
        "a==b" -> "a==b"
        "a!=b" -> "a!=b"
        "a in (x,y)" -> "a in (x,y)"
        "a in(y, x)" -> "a in (x,y)"
        "a notin (x)" -> "a notin (x)"
        "a" -> "a"
        "!a" -> "!a"
        "b=1,a=2" -> "a=2,b=1"
        "x in (foo,,baz),y,z notin ()" -> "x in (,baz,foo),y,z notin ()"
        "a in (b,)" -> "a in (,b)"
        "a in (b,b)" -> "a in (b)"
        "a=" -> "a="
        "a!=" -> "a!="
        "x>1" -> "x>1"
        "x<10" -> "x<10"
        "in in (in)" -> "in in (in)"
        "notin=notin" -> "notin=notin"
        "k8s.io/app=web,tier!=db" -> "k8s.io/app=web,tier!=db"
        "!a,a=b" -> "!a,a=b""#]]
    .assert_eq(&out.join("\n"));
}

#[test]
fn syntax_errors_are_worded_as_kube_apiserver_words_them() {
    let cases = [
        "a b",
        "a=b c",
        "a=b,",
        ",a",
        "a in b",
        "a in (b",
        "a in (=)",
        "a in (b,=)",
        "a=(",
        "!",
        "a=b)",
        "!a=b",
        "a in (b))",
    ];
    let status = LabelSelector::parse("a b").map_err(|e| e.to_status());
    assert_eq!(status.as_ref().map_err(|s| (s.code(), s.reason)), Err((400, Some(crate::status::Reason::BadRequest))));
    let out: Vec<String> = cases.iter().map(|c| format!("{c:?}: {}", canonical(c))).collect();
    expect![[r#"
        "a b": error: unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt
        "a=b c": error: found 'c', expected: ',' or 'end of string'
        "a=b,": error: found '', expected: identifier after ','
        ",a": error: found ',', expected: !, identifier, or 'end of string'
        "a in b": error: unable to parse requirement: found 'b' expected: '('
        "a in (b": error: unable to parse requirement: found '', expected: ',' or ')'
        "a in (=)": error: unable to parse requirement: found '=', expected: ',', ')' or identifier
        "a in (b,=)": error: unable to parse requirement: found '=', expected: ',', or identifier
        "a=(": error: unable to parse requirement: found '(', expected: identifier
        "!": error: unable to parse requirement: found '', expected: identifier
        "a=b)": error: found ')', expected: ',' or 'end of string'
        "!a=b": error: found '=', expected: ',' or 'end of string'
        "a in (b))": error: found ')', expected: ',' or 'end of string'"#]]
    .assert_eq(&out.join("\n"));
}

#[test]
fn invalid_keys_and_values_are_worded_as_kube_apiserver_words_them() {
    // The first two are messages captured from real clusters (`kubectl get pods -l "app:monolith"`).
    let long = "a".repeat(64);
    let cases = [
        "app:monolith".to_owned(),
        "app.kubernetes_io/name=vault".to_owned(),
        "a/b/c ?=? def".to_owned(),
        "/a".to_owned(),
        "a/".to_owned(),
        long.clone(),
        format!("a={long}"),
        "a=b$".to_owned(),
        "x>a".to_owned(),
        "x>".to_owned(),
        "x>-1".to_owned(),
    ];
    let out: Vec<String> = cases.iter().map(|c| format!("{c}\n  {}", canonical(c))).collect();
    expect![[r#"
        app:monolith
          error: unable to parse requirement: <nil>: Invalid value: "app:monolith": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')
        app.kubernetes_io/name=vault
          error: unable to parse requirement: <nil>: Invalid value: "app.kubernetes_io/name": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')
        a/b/c ?=? def
          error: unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')
        /a
          error: unable to parse requirement: <nil>: Invalid value: "/a": prefix part must be non-empty
        a/
          error: unable to parse requirement: <nil>: Invalid value: "a/": name part must be non-empty; name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')
        aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
          error: unable to parse requirement: <nil>: Invalid value: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": name part must be no more than 63 characters
        a=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
          error: unable to parse requirement: values[0][a]: Invalid value: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": must be no more than 63 characters
        a=b$
          error: unable to parse requirement: values[0][a]: Invalid value: "b$": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')
        x>a
          error: unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer
        x>
          error: unable to parse requirement: values[0]: Invalid value: "": for 'Gt', 'Lt' operators, the value must be an integer
        x>-1
          error: unable to parse requirement: values[0][x]: Invalid value: "-1": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"#]]
    .assert_eq(&out.join("\n"));
}

#[test]
fn several_problems_in_one_requirement_aggregate_in_brackets() {
    expect!["error: unable to parse requirement: [values[0]: Invalid value: \"a$\": for 'Gt', 'Lt' operators, the value must be an integer, values[0][x]: Invalid value: \"a$\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')]"]
    .assert_eq(&canonical("x>a$"));
}

#[test]
fn matching_follows_requirement_semantics() {
    let selector = LabelSelector::parse("app=web,tier in (front,edge),!legacy,env!=prod,zone notin (a),replicas>2");
    let Ok(selector) = selector else { panic!("{selector:?}") };
    let base = [("app", "web"), ("tier", "front"), ("env", "dev"), ("replicas", "3")];
    assert!(selector.matches(&labels(&base)));
    // A missing label satisfies `!=` and `notin`.
    assert!(selector.matches(&labels(&[("app", "web"), ("tier", "edge"), ("replicas", "10")])));
    for (key, value) in
        [("app", "api"), ("tier", "back"), ("legacy", ""), ("env", "prod"), ("zone", "a"), ("replicas", "2")]
    {
        let mut changed = labels(&base);
        changed.insert(key.to_owned(), value.to_owned());
        assert!(!selector.matches(&changed), "{key}={value} should not match");
    }
    assert!(!selector.matches(&labels(&[("app", "web"), ("tier", "front"), ("replicas", "x")])));
    assert!(LabelSelector::everything().matches(&BTreeMap::new()));
    assert!(selector.matches_object(&json!({"metadata": {"labels": {"app": "web", "tier": "edge", "replicas": "5"}}})));
    assert!(!selector.matches_object(&json!({"metadata": {}})));
    assert_eq!(selector.requires_exact_match("app"), Some("web"));
    assert_eq!(selector.requires_exact_match("tier"), None);
}

#[test]
fn label_selector_objects_convert_as_label_selector_as_selector() {
    let cases = [
        json!({}),
        json!({"matchLabels": {"app": "backend"}}),
        json!({"matchLabels": {"tier": "db", "app": "pg"},
               "matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["b", "a", "b"]},
                                    {"key": "canary", "operator": "DoesNotExist"}]}),
        json!({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}),
        json!({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}),
        json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}),
        json!({"matchLabels": {"bad key": "v"}}),
    ];
    let out: Vec<String> = cases
        .iter()
        .map(|c| match LabelSelector::from_json(c) {
            Ok(selector) => selector.to_string(),
            Err(error) => error.to_string(),
        })
        .collect();
    expect![[r#"
        
        app=backend
        app=pg,!canary,tier=db,zone notin (a,b,b)
        "Gt" is not a valid label selector operator
        values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty
        values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist
        key: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#]]
    .assert_eq(&out.join("\n"));
}

#[test]
fn from_set_selects_exactly_the_labels() {
    let selector = LabelSelector::from_set(&labels(&[("b", "2"), ("a", "1")]));
    assert_eq!(selector.to_string(), "a=1,b=2");
    assert!(selector.matches(&labels(&[("a", "1"), ("b", "2"), ("c", "3")])));
    assert!(!selector.matches(&labels(&[("a", "1")])));
}

/// Text built from selector pieces: many parse, many do not.
fn selector_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("a".to_owned()),
        Just("app".to_owned()),
        Just("k8s.io/x".to_owned()),
        Just("in".to_owned()),
        Just("notin".to_owned()),
        Just("=".to_owned()),
        Just("==".to_owned()),
        Just("!=".to_owned()),
        Just("!".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just(",".to_owned()),
        Just(">".to_owned()),
        Just("<".to_owned()),
        Just(" ".to_owned()),
        Just("7".to_owned()),
        Just("\0".to_owned()),
        "[a-z0-9._/-]{1,5}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

/// A valid selector, written with arbitrary spacing.
fn valid_selector() -> impl Strategy<Value = String> {
    let key = prop_oneof![Just("app"), Just("tier"), Just("in"), Just("example.com/role"), Just("a_b.c-d")];
    let value = prop_oneof![Just(""), Just("web"), Just("in"), Just("v1.2"), Just("42")];
    let values = prop::collection::vec(value.clone(), 0..4);
    let requirement = (key, 0..9usize, value, values, " {0,2}").prop_map(|(key, op, value, values, space)| match op {
        0 => format!("{key}{space}={space}{value}"),
        1 => format!("{key}=={value}"),
        2 => format!("{key}{space}!={value}"),
        3 => format!("{key} in{space}({})", values.join(",")),
        4 => format!("{key} notin ({})", values.join(&format!(",{space}"))),
        5 => format!("{space}{key}"),
        6 => format!("!{key}{space}"),
        7 => format!("{key}>{}", value.len()),
        _ => format!("{key}<{}", value.len()),
    });
    prop::collection::vec(requirement, 0..5).prop_map(|requirements| requirements.join(","))
}

proptest! {
    #[test]
    fn parsing_never_panics(text in any::<String>()) {
        let _ = LabelSelector::parse(&text);
    }

    #[test]
    fn printing_then_parsing_gives_the_same_selector(text in selector_text()) {
        if let Ok(selector) = LabelSelector::parse(&text) {
            prop_assert_eq!(LabelSelector::parse(&selector.to_string()), Ok(selector));
        }
    }

    #[test]
    fn valid_selectors_parse_and_round_trip(text in valid_selector()) {
        let selector = LabelSelector::parse(&text);
        prop_assert!(selector.is_ok(), "{:?}: {:?}", text, selector);
        if let Ok(selector) = selector {
            let printed = selector.to_string();
            prop_assert_eq!(LabelSelector::parse(&printed), Ok(selector.clone()));
            // The canonical form is a fixed point.
            prop_assert_eq!(LabelSelector::parse(&printed).map(|s| s.to_string()), Ok(printed));
        }
    }
}
