//! Names, namespaces, labels, annotations and label selectors.

use expect_test::expect;

use super::check;

#[test]
fn name_is_required() {
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n",
        expect![[r#"
            ConfigMap "": metadata.name: Required value: name or generateName is required
        "#]],
    );
}

#[test]
fn generate_name_stands_in_for_a_name() {
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: web-\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: Web_\n",
        expect![[r#"
            ConfigMap "": valid
            ConfigMap "": metadata.generateName: Invalid value: "Web_": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')
        "#]],
    );
}

#[test]
fn names_follow_each_kinds_format() {
    check(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: Foo_Bar}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: 1web}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: team.a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a.b.c}
---
apiVersion: v1
kind: Namespace
metadata: {name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}
"#,
        expect![[r#"
            Pod "Foo_Bar": metadata.name: Invalid value: "Foo_Bar": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')
            Service "1web": metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')
            Namespace "team.a": metadata.name: Invalid value: "team.a": must not contain dots
            ConfigMap "a.b.c": valid
            Namespace "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": metadata.name: Invalid value: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": must be no more than 63 characters
            Namespace "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": metadata.labels: Invalid value: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": must be no more than 63 characters
        "#]],
    );
}

#[test]
fn namespace_must_be_a_label() {
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: My_NS\n",
        expect![[r#"
            ConfigMap "c": metadata.namespace: Invalid value: "My_NS": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')
        "#]],
    );
}

#[test]
fn label_keys_and_values() {
    check(
        r#"
apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  labels:
    good: value
    app: "bad value!"
    example.com/ok: "x"
    -bad-key: x
    /empty-prefix: x
    a/b/c: x
    Example.COM/x: y
    toolong: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
  annotations:
    Example.COM/Ok: anything at all
    "bad key": x
"#,
        expect![[r#"
            ConfigMap "c": metadata.labels: Invalid value: "-bad-key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')
            ConfigMap "c": metadata.labels: Invalid value: "/empty-prefix": prefix part must be non-empty
            ConfigMap "c": metadata.labels: Invalid value: "Example.COM/x": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')
            ConfigMap "c": metadata.labels: Invalid value: "a/b/c": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')
            ConfigMap "c": metadata.labels: Invalid value: "bad value!": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')
            ConfigMap "c": metadata.labels: Invalid value: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": must be no more than 63 characters
            ConfigMap "c": metadata.annotations: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')
        "#]],
    );
}

#[test]
fn selector_requirements() {
    check(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p}
spec:
  podSelector:
    matchLabels: {"app": "bad value!"}
    matchExpressions:
    - {key: tier, operator: In}
    - {key: tier, operator: Exists, values: [web]}
    - {key: tier, operator: Foo}
    - {key: "bad key", operator: NotIn, values: ["ok", "not ok!"]}
"#,
        expect![[r#"
            NetworkPolicy "p": spec.podSelector.matchLabels: Invalid value: "bad value!": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')
            NetworkPolicy "p": spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'
            NetworkPolicy "p": spec.podSelector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'
            NetworkPolicy "p": spec.podSelector.matchExpressions[2].operator: Invalid value: "Foo": not a valid selector operator
            NetworkPolicy "p": spec.podSelector.matchExpressions[3].key: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')
            NetworkPolicy "p": spec.podSelector.matchExpressions[3].values[1]: Invalid value: "not ok!": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')
        "#]],
    );
}

#[test]
fn namespaces_get_their_name_label_and_config_maps_their_keys_checked() {
    check(
        r#"
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {"good.key": x, "bad key": y, "..": z}
---
apiVersion: v1
kind: Secret
metadata: {name: s}
stringData: {"a/b": x}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: "Not_Checked"}
"#,
        expect![[r#"
            Namespace "team-a": valid
            ConfigMap "c": data[..]: Invalid value: "..": must not be '..'
            ConfigMap "c": data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')
            Secret "s": data[a/b]: Invalid value: "a/b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')
            ServiceMonitor "Not_Checked": valid
        "#]],
    );
}

/// Regression: a 3 MiB ConfigMap was stored. ConfigMaps and Secrets hold at most 1 MiB of values (`MaxSecretSize`):
/// exactly 1 MiB is valid; one byte more is refused, for a ConfigMap on the whole object (Go prints its empty path as
/// `[]`), for a Secret on `data`, with `stringData` counted as the `data` it becomes.
#[test]
fn config_map_and_secret_data_are_at_most_one_mebibyte() {
    let mib = crate::validate::MAX_DATA_BYTES;
    let config_map = |text: usize, binary: usize| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{text}-{binary}}}\ndata: {{a: {}}}\nbinaryData: {{b: \"{}\"}}\n---\n",
            "x".repeat(text),
            base64(&vec![7u8; binary])
        )
    };
    let secret = |data: usize, string: usize| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: s-{data}-{string}}}\ndata: {{a: \"{}\"}}\nstringData: {{b: {}}}\n---\n",
            base64(&vec![7u8; data]),
            "y".repeat(string)
        )
    };
    let yaml =
        [config_map(mib - 10, 10), config_map(mib - 10, 11), secret(mib - 10, 10), secret(mib - 10, 11)].concat();
    check(
        &yaml,
        expect![[r#"
            ConfigMap "cm-1048566-10": valid
            ConfigMap "cm-1048566-11": []: Too long: may not be more than 1048576 bytes
            Secret "s-1048566-10": valid
            Secret "s-1048566-11": data: Too long: may not be more than 1048576 bytes
        "#]],
    );
}

/// Standard base64 with padding, as ConfigMap `binaryData` and Secret `data` carry bytes in YAML.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            let c = if i <= chunk.len() { ALPHABET[((n >> (18 - 6 * i)) & 0x3f) as usize] } else { b'=' };
            out.push(char::from(c));
        }
    }
    out
}
