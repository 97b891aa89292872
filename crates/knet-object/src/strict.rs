//! JSON and YAML text parsed once into a `serde_json::Value` while noting duplicate keys, which a plain
//! `serde_json::Value` silently collapses (the last one wins, as in Go).
//!
//! kube-apiserver reports duplicates under `fieldValidation` (Strict refuses, Warn warns): for JSON with the
//! field's path from the root as `sigs.k8s.io/json` builds it (`spec.template.spec.containers[0].imagePullPolicy`),
//! for YAML with the line go-yaml gives (`line 5: key "name" already set in map`). The visitor below builds the
//! value and keeps the path of every key a map has already seen, so a body without duplicates is parsed exactly
//! once; only YAML with duplicates is parsed again, once per duplicate, to learn its line from serde_yaml.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A parsed document and its duplicate keys, in document order.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub value: Value,
    /// The path of each repeated key (`spec.paused`, `[1].path`), as kube-apiserver names it.
    pub duplicates: Vec<String>,
}

/// A YAML duplicate: the repeated key and the 1-based line of its repetition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlDuplicate {
    pub line: usize,
    pub key: String,
}

impl fmt::Display for YamlDuplicate {
    /// go-yaml's wording, one line of its `yaml: unmarshal errors:` list.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: key {:?} already set in map", self.line, self.key)
    }
}

/// Parses JSON text, noting duplicate keys.
pub fn json(text: &[u8]) -> Result<Parsed, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let mut recorder = Recorder::default();
    let value = ValueSeed { recorder: &mut recorder }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(Parsed { value, duplicates: recorder.duplicates })
}

/// Parses one YAML document, noting duplicate keys with their lines.
pub fn yaml(text: &str) -> Result<(Value, Vec<YamlDuplicate>), serde_yaml::Error> {
    let mut recorder = Recorder::default();
    let value = ValueSeed { recorder: &mut recorder }.deserialize(serde_yaml::Deserializer::from_str(text))?;
    let mut found = Vec::with_capacity(recorder.keys.len());
    for (index, (key, occurrence)) in recorder.keys.into_iter().zip(recorder.occurrences).enumerate() {
        // serde_yaml tells no position to a visitor, but it places the errors visitors raise, at the start of the
        // mapping being read: stop at this duplicate, then find its line from there.
        let mut probe = Recorder { stop_at: Some(index), ..Recorder::default() };
        let start = match (ValueSeed { recorder: &mut probe }).deserialize(serde_yaml::Deserializer::from_str(text)) {
            Err(error) => error.location().map(|at| (at.line(), at.column())),
            Ok(_) => None,
        };
        let line = start.map_or(0, |(line, column)| key_line(text, line, column, &key, occurrence));
        found.push(YamlDuplicate { line, key });
    }
    Ok((value, found))
}

/// The line of the `occurrence`-th (1-based) `key` of the block mapping that starts at `line`, `column` (both
/// 1-based): the keys of a block mapping all start at its column. A flow mapping (`{a: 1, a: 2}`) has no such
/// lines; its start line is the best answer.
fn key_line(text: &str, line: usize, column: usize, key: &str, occurrence: usize) -> usize {
    let indent = column.saturating_sub(1);
    let mut seen = 0;
    for (offset, content) in text.lines().skip(line.saturating_sub(1)).enumerate() {
        let trimmed = content.trim_start();
        if offset > 0 && !trimmed.is_empty() && !trimmed.starts_with('#') && content.len() - trimmed.len() < indent {
            break;
        }
        let Some(at) = content.get(indent..) else { continue };
        let names_key = [key.to_owned(), format!("{key:?}"), format!("'{key}'")]
            .iter()
            .any(|k| at.strip_prefix(k.as_str()).is_some_and(|rest| rest.trim_start().starts_with(':')));
        if names_key && content[..indent].chars().all(|c| c == ' ' || c == '-') {
            seen += 1;
            if seen == occurrence {
                return line + offset;
            }
        }
    }
    line
}

/// The path being parsed and the duplicates seen so far.
#[derive(Debug, Default)]
struct Recorder {
    path: Vec<Segment>,
    duplicates: Vec<String>,
    /// The bare repeated keys, for YAML's wording, and which occurrence in its mapping each one is (2 for the
    /// first repetition).
    keys: Vec<String>,
    occurrences: Vec<usize>,
    /// Fail at the duplicate with this index (to learn where it is).
    stop_at: Option<usize>,
}

#[derive(Debug)]
enum Segment {
    Key(String),
    Index(usize),
}

impl Recorder {
    fn path_with(&self, key: &str) -> String {
        let mut out = String::new();
        for segment in self.path.iter().map(Some).chain([None]) {
            match segment {
                Some(Segment::Index(index)) => out.push_str(&format!("[{index}]")),
                Some(Segment::Key(key)) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                None => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
            }
        }
        out
    }
}

struct ValueSeed<'r> {
    recorder: &'r mut Recorder,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor { recorder: self.recorder })
    }
}

struct ValueVisitor<'r> {
    recorder: &'r mut Recorder,
}

impl<'de> Visitor<'de> for ValueVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        ValueSeed { recorder: self.recorder }.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        loop {
            self.recorder.path.push(Segment::Index(items.len()));
            let item = seq.next_element_seed(ValueSeed { recorder: &mut *self.recorder });
            self.recorder.path.pop();
            match item? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        // How often each repeated key was seen in this mapping; empty unless there are duplicates.
        let mut repeats: Vec<(String, usize)> = Vec::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                let occurrence = match repeats.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, count)) => {
                        *count += 1;
                        *count
                    }
                    None => {
                        repeats.push((key.clone(), 2));
                        2
                    }
                };
                self.recorder.occurrences.push(occurrence);
                if self.recorder.stop_at == Some(self.recorder.keys.len()) {
                    self.recorder.occurrences.pop();
                    return Err(de::Error::custom(format_args!("key {key:?} already set in map")));
                }
                let path = self.recorder.path_with(&key);
                self.recorder.duplicates.push(path);
                self.recorder.keys.push(key.clone());
            }
            self.recorder.path.push(Segment::Key(key));
            let value = access.next_value_seed(ValueSeed { recorder: &mut *self.recorder });
            let Some(Segment::Key(key)) = self.recorder.path.pop() else {
                return Err(de::Error::custom("the duplicate-key recorder lost its path"));
            };
            map.insert(key, value?);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_duplicates_are_named_by_path_and_the_last_value_wins() {
        let text = br#"{"metadata":{"name":"a","name":"b"},"spec":{"paused":true,"paused":false,
            "template":{"spec":{"containers":[{"name":"c","imagePullPolicy":"Always","imagePullPolicy":"Never"}]}}}}"#;
        let parsed = json(text).unwrap();
        assert_eq!(
            parsed.duplicates,
            ["metadata.name", "spec.paused", "spec.template.spec.containers[0].imagePullPolicy"]
        );
        assert_eq!(parsed.value["metadata"]["name"], "b");
        assert_eq!(parsed.value["spec"]["paused"], false);
    }

    #[test]
    fn json_without_duplicates_equals_serde_json() {
        let text = br#"{"a":[1,-2,3.5,"x",null,true,{"b":{}}],"c":{"d":[]}}"#;
        let parsed = json(text).unwrap();
        assert!(parsed.duplicates.is_empty());
        assert_eq!(parsed.value, serde_json::from_slice::<Value>(text).unwrap());
        assert!(json(br#"{"a":1} x"#).is_err(), "trailing text is refused as serde_json refuses it");
    }

    #[test]
    fn yaml_duplicates_carry_go_yaml_lines() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dupename\n  name: d\nspec:\n  paused: true\n  paused: false\n  template:\n    spec:\n      containers:\n      - name: nginx\n        imagePullPolicy: Always\n        imagePullPolicy: Never\n";
        let (value, duplicates) = yaml(text).unwrap();
        let lines: Vec<String> = duplicates.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                r#"line 5: key "name" already set in map"#,
                r#"line 8: key "paused" already set in map"#,
                r#"line 14: key "imagePullPolicy" already set in map"#,
            ]
        );
        assert_eq!(value["metadata"]["name"], "d");
        let (_, triple) = yaml("a: 1\nb:\n  c: 1\na: 2\na: 3\n").unwrap();
        assert_eq!(triple.iter().map(|d| d.line).collect::<Vec<_>>(), [4, 5]);
        let (_, flow) = yaml("x: 1\ny: {a: 1, a: 2}\n").unwrap();
        assert_eq!(flow.iter().map(|d| d.line).collect::<Vec<_>>(), [2]);
    }

    proptest::proptest! {
        #[test]
        fn json_parsing_agrees_with_serde_json(text in "[{}\\[\\]\",:a-c0-9 ]{0,40}") {
            let ours = json(text.as_bytes()).map(|p| p.value).ok();
            let theirs = serde_json::from_slice::<Value>(text.as_bytes()).ok();
            // serde_json keeps the last duplicate too, so the values agree whenever both parse.
            proptest::prop_assert_eq!(ours, theirs);
        }
    }
}
