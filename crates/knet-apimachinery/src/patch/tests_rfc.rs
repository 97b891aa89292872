//! The worked examples of the RFCs: JSON patch (RFC 6902 appendix A.1–A.16) and JSON merge patch (RFC 7386 section 3
//! and appendix A), verbatim.

use serde_json::{Value, json};

use super::*;

fn ok(target: Value, patch: Value, expected: Value) {
    assert_eq!(json_patch(&target, &patch).unwrap(), expected, "patch {patch}");
}

fn fails(target: Value, patch: Value) -> String {
    let error = json_patch(&target, &patch).unwrap_err();
    assert_eq!(error.code(), 422, "{error}");
    error.to_string()
}

#[test]
fn rfc6902_a01_adding_an_object_member() {
    ok(
        json!({"foo": "bar"}),
        json!([{"op": "add", "path": "/baz", "value": "qux"}]),
        json!({"baz": "qux", "foo": "bar"}),
    );
}

#[test]
fn rfc6902_a02_adding_an_array_element() {
    ok(
        json!({"foo": ["bar", "baz"]}),
        json!([{"op": "add", "path": "/foo/1", "value": "qux"}]),
        json!({"foo": ["bar", "qux", "baz"]}),
    );
}

#[test]
fn rfc6902_a03_removing_an_object_member() {
    ok(json!({"baz": "qux", "foo": "bar"}), json!([{"op": "remove", "path": "/baz"}]), json!({"foo": "bar"}));
}

#[test]
fn rfc6902_a04_removing_an_array_element() {
    ok(
        json!({"foo": ["bar", "qux", "baz"]}),
        json!([{"op": "remove", "path": "/foo/1"}]),
        json!({"foo": ["bar", "baz"]}),
    );
}

#[test]
fn rfc6902_a05_replacing_a_value() {
    ok(
        json!({"baz": "qux", "foo": "bar"}),
        json!([{"op": "replace", "path": "/baz", "value": "boo"}]),
        json!({"baz": "boo", "foo": "bar"}),
    );
}

#[test]
fn rfc6902_a06_moving_a_value() {
    ok(
        json!({"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}}),
        json!([{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}]),
        json!({"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
    );
}

#[test]
fn rfc6902_a07_moving_an_array_element() {
    ok(
        json!({"foo": ["all", "grass", "cows", "eat"]}),
        json!([{"op": "move", "from": "/foo/1", "path": "/foo/3"}]),
        json!({"foo": ["all", "cows", "eat", "grass"]}),
    );
}

#[test]
fn rfc6902_a08_testing_a_value_success() {
    let target = json!({"baz": "qux", "foo": ["a", 2, "c"]});
    ok(
        target.clone(),
        json!([{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}]),
        target,
    );
}

#[test]
fn rfc6902_a09_testing_a_value_error() {
    assert_eq!(
        fails(json!({"baz": "qux"}), json!([{"op": "test", "path": "/baz", "value": "bar"}])),
        r#"json patch operation 0 (test "/baz"): test failed: the value is "qux", not "bar""#
    );
}

#[test]
fn rfc6902_a10_adding_a_nested_member_object() {
    ok(
        json!({"foo": "bar"}),
        json!([{"op": "add", "path": "/child", "value": {"grandchild": {}}}]),
        json!({"foo": "bar", "child": {"grandchild": {}}}),
    );
}

#[test]
fn rfc6902_a11_ignoring_unrecognized_elements() {
    ok(
        json!({"foo": "bar"}),
        json!([{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}]),
        json!({"foo": "bar", "baz": "qux"}),
    );
}

#[test]
fn rfc6902_a12_adding_to_a_nonexistent_target() {
    assert_eq!(
        fails(json!({"foo": "bar"}), json!([{"op": "add", "path": "/baz/bat", "value": "qux"}])),
        r#"json patch operation 0 (add "/baz/bat"): "/baz" does not exist"#
    );
}

#[test]
fn rfc6902_a13_invalid_json_patch_document() {
    // The duplicate "op" makes the document invalid; a JSON parser that keeps the last member sees a `remove` of a
    // member that does not exist, which fails all the same.
    let patch: Value =
        serde_json::from_str(r#"[{ "op": "add", "path": "/baz", "value": "qux", "op": "remove" }]"#).unwrap();
    assert_eq!(fails(json!({"foo": "bar"}), patch), r#"json patch operation 0 (remove "/baz"): "/baz" does not exist"#);
}

#[test]
fn rfc6902_a14_escape_ordering() {
    let target = json!({"/": 9, "~1": 10});
    ok(target.clone(), json!([{"op": "test", "path": "/~01", "value": 10}]), target);
}

#[test]
fn rfc6902_a15_comparing_strings_and_numbers() {
    assert_eq!(
        fails(json!({"/": 9, "~1": 10}), json!([{"op": "test", "path": "/~01", "value": "10"}])),
        r#"json patch operation 0 (test "/~01"): test failed: the value is 10, not "10""#
    );
}

#[test]
fn rfc6902_a16_adding_an_array_value() {
    ok(
        json!({"foo": ["bar"]}),
        json!([{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}]),
        json!({"foo": ["bar", ["abc", "def"]]}),
    );
}

#[test]
fn rfc6902_numbers_compare_by_value() {
    ok(json!({"a": 1}), json!([{"op": "test", "path": "/a", "value": 1.0}]), json!({"a": 1}));
}

#[test]
fn rfc7386_section3_example() {
    let target = json!({
        "title": "Goodbye!",
        "author": {"givenName": "John", "familyName": "Doe"},
        "tags": ["example", "sample"],
        "content": "This will be unchanged",
    });
    let patch = json!({
        "title": "Hello!",
        "phoneNumber": "+01-123-456-7890",
        "author": {"familyName": null},
        "tags": ["example"],
    });
    assert_eq!(
        merge_patch(&target, &patch),
        json!({
            "title": "Hello!",
            "author": {"givenName": "John"},
            "tags": ["example"],
            "content": "This will be unchanged",
            "phoneNumber": "+01-123-456-7890",
        })
    );
}

#[test]
fn rfc7386_appendix_a() {
    let cases = [
        (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
        (json!({"a": "b"}), json!({"b": "c"}), json!({"a": "b", "b": "c"})),
        (json!({"a": "b"}), json!({"a": null}), json!({})),
        (json!({"a": "b", "b": "c"}), json!({"a": null}), json!({"b": "c"})),
        (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
        (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
        (json!({"a": {"b": "c"}}), json!({"a": {"b": "d", "c": null}}), json!({"a": {"b": "d"}})),
        (json!({"a": [{"b": "c"}]}), json!({"a": [1]}), json!({"a": [1]})),
        (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
        (json!({"a": "b"}), json!(["c"]), json!(["c"])),
        (json!({"a": "foo"}), json!(null), json!(null)),
        (json!({"a": "foo"}), json!("bar"), json!("bar")),
        (json!({"e": null}), json!({"a": 1}), json!({"e": null, "a": 1})),
        (json!([1, 2]), json!({"a": "b", "c": null}), json!({"a": "b"})),
        (json!({}), json!({"a": {"bb": {"ccc": null}}}), json!({"a": {"bb": {}}})),
    ];
    for (original, patch, result) in cases {
        assert_eq!(merge_patch(&original, &patch), result, "{original} + {patch}");
    }
}
