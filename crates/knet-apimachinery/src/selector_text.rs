//! Label selectors in their text form — the `labelSelector` query parameter and `kubectl -l` — parsed, matched and
//! printed exactly as `k8s.io/apimachinery/pkg/labels` does (`Parse`, `Requirement.Matches`, `Selector.String`).
//!
//! The grammar (from `labels.Parse`):
//!
//! ```text
//! <selector>    ::= <requirement> | <requirement> "," <selector>
//! <requirement> ::= [!] KEY [ ("in" | "notin") "(" VALUES ")" | ("=" | "==" | "!=" | ">" | "<") VALUE ]
//! ```
//!
//! The lexer and the recursive-descent parser follow Go's token by token, so a malformed selector gets
//! kube-apiserver's very message (`unable to parse requirement: ...`, `found '(', expected: ...`). Keys must be
//! qualified names and values label values (`validation.IsQualifiedName`, `IsValidLabelValue`), with the same
//! messages. Requirements are kept sorted by key, as Go sorts them, so [`LabelSelector`]'s `Display` is the
//! canonical form kube-apiserver prints: `app=web,tier in (a,b),!legacy`.
//!
//! [`LabelSelector::from_json`] turns a `metav1.LabelSelector` object (`matchLabels`, `matchExpressions`) into the
//! same value, as `metav1.LabelSelectorAsSelector` does; the Table printers use it for selector columns.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::status::{Status, bad_request, go_quote};

mod validation;

use validation::{label_value_errors, qualified_name_errors};

/// A selector that does not parse or a requirement that does not validate, worded as kube-apiserver words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// A token out of place between requirements: `found ')', expected: ',' or 'end of string'`.
    #[error("{0}")]
    Syntax(String),
    /// A requirement that does not parse, or whose key or values are not valid:
    /// `unable to parse requirement: <nil>: Invalid value: "a b": ...`.
    #[error("unable to parse requirement: {0}")]
    Requirement(String),
    /// A `metav1.LabelSelector` object that does not convert: an unknown operator or an invalid key or value.
    #[error("{0}")]
    Invalid(String),
}

impl SelectorError {
    /// The 400 BadRequest kube-apiserver answers a `labelSelector` it cannot parse with.
    pub fn to_status(&self) -> Status {
        bad_request(self.to_string())
    }
}

/// The relation a requirement states between a label and its values (`selection.Operator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `key=value`
    Equals,
    /// `key==value`, the same as `=` but printed as written.
    DoubleEquals,
    /// `key!=value`: the label is absent or has another value.
    NotEquals,
    /// `key in (a,b)`
    In,
    /// `key notin (a,b)`: the label is absent or has none of the values.
    NotIn,
    /// `key`: the label is present.
    Exists,
    /// `!key`: the label is absent.
    DoesNotExist,
    /// `key>5`: the label is an integer greater than the value.
    GreaterThan,
    /// `key<5`: the label is an integer less than the value.
    LessThan,
}

/// One `key op values` term of a selector. Values are sorted; parsed ones are also distinct, as Go's `sets.String`
/// leaves them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, sorted; empty for `Exists` and `DoesNotExist`, one for the exact-match operators.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// `Requirement.Matches`.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let label = labels.get(&self.key);
        let has = |value: &String| self.values.contains(value);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => label.is_some_and(has),
            Operator::NotIn | Operator::NotEquals => !label.is_some_and(has),
            Operator::Exists => label.is_some(),
            Operator::DoesNotExist => label.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let (Some(label), [value]) = (label, self.values.as_slice()) else { return false };
                let (Ok(label), Ok(value)) = (label.parse::<i64>(), value.parse::<i64>()) else { return false };
                if self.operator == Operator::GreaterThan { label > value } else { label < value }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let (operator, parenthesized) = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => ("=", false),
            Operator::DoubleEquals => ("==", false),
            Operator::NotEquals => ("!=", false),
            Operator::In => (" in ", true),
            Operator::NotIn => (" notin ", true),
            Operator::GreaterThan => (">", false),
            Operator::LessThan => ("<", false),
        };
        f.write_str(operator)?;
        if parenthesized { write!(f, "({})", self.values.join(",")) } else { f.write_str(&self.values.join(",")) }
    }
}

/// A parsed label selector: requirements that must all hold. The empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LabelSelector {
    /// Sorted by key (stably, so equal keys keep their written order, as Go's sort does for short selectors).
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// The selector that matches everything (`labels.Everything()`), which prints as the empty string.
    pub fn everything() -> LabelSelector {
        LabelSelector::default()
    }

    /// Parses selector text as `labels.Parse` does. The empty string (or only whitespace) selects everything.
    pub fn parse(text: &str) -> Result<LabelSelector, SelectorError> {
        let mut requirements = Parser::new(text).parse()?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements })
    }

    /// `labels.SelectorFromSet`: one `key=value` requirement per label, unvalidated.
    pub fn from_set(labels: &BTreeMap<String, String>) -> LabelSelector {
        let requirements = labels
            .iter()
            .map(|(key, value)| Requirement {
                key: key.clone(),
                operator: Operator::Equals,
                values: vec![value.clone()],
            })
            .collect();
        LabelSelector { requirements }
    }

    /// `metav1.LabelSelectorAsSelector` of a `LabelSelector` object: `matchLabels` as `key=value`, then
    /// `matchExpressions` (`In`, `NotIn`, `Exists`, `DoesNotExist`), each validated as `NewRequirement` validates.
    /// An object with neither selects everything.
    pub fn from_json(selector: &Value) -> Result<LabelSelector, SelectorError> {
        let mut requirements = Vec::new();
        for (key, value) in selector.get("matchLabels").and_then(Value::as_object).into_iter().flatten() {
            let value = value.as_str().unwrap_or_default();
            requirements.push(new_requirement(key, Operator::Equals, vec![value.to_owned()])?);
        }
        for expression in selector.get("matchExpressions").and_then(Value::as_array).into_iter().flatten() {
            let key = expression.get("key").and_then(Value::as_str).unwrap_or_default();
            let operator = expression.get("operator").and_then(Value::as_str).unwrap_or_default();
            let operator = match operator {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    return Err(SelectorError::Invalid(format!(
                        "{} is not a valid label selector operator",
                        go_quote(other)
                    )));
                }
            };
            let values = expression.get("values").and_then(Value::as_array).into_iter().flatten();
            let values = values.map(|v| v.as_str().unwrap_or_default().to_owned()).collect();
            requirements.push(new_requirement(key, operator, values)?);
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements })
    }

    /// True when the selector has no requirements and so matches everything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// True when every requirement holds for the labels.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|requirement| requirement.matches(labels))
    }

    /// Matches an object (a JSON value) by its `metadata.labels`; an object without labels has none.
    pub fn matches_object(&self, object: &Value) -> bool {
        if self.requirements.is_empty() {
            return true;
        }
        let labels = object.pointer("/metadata/labels").and_then(Value::as_object);
        let labels: BTreeMap<String, String> =
            labels.into_iter().flatten().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect();
        self.matches(&labels)
    }

    /// `RequiresExactMatch`: the one value the selector requires for `key` (`key=v`, `key==v` or `key in (v)`),
    /// which lets a store narrow a list before matching.
    pub fn requires_exact_match(&self, key: &str) -> Option<&str> {
        let requirement = self.requirements.iter().find(|r| r.key == key)?;
        match (requirement.operator, requirement.values.as_slice()) {
            (Operator::Equals | Operator::DoubleEquals | Operator::In, [value]) => Some(value),
            _ => None,
        }
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, requirement) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{requirement}")?;
        }
        Ok(())
    }
}

/// `labels.NewRequirement`, as `LabelSelectorAsSelector` calls it: the values validated in the order given, then
/// sorted for printing (duplicates kept, as Go keeps them).
fn new_requirement(key: &str, operator: Operator, values: Vec<String>) -> Result<Requirement, SelectorError> {
    let errors = requirement_errors(key, operator, &values, "key");
    if let Some(message) = aggregate(&errors) {
        return Err(SelectorError::Invalid(message));
    }
    let mut values = values;
    values.sort();
    Ok(Requirement { key: key.to_owned(), operator, values })
}

/// The validation of `NewRequirement`: the key, then the values for the operator, each error as
/// `field: Invalid value: "v": detail`.
fn requirement_errors(key: &str, operator: Operator, values: &[String], key_field: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if let Some(error) = invalid_key(key, key_field) {
        errors.push(error);
    }
    let count_error = match operator {
        Operator::In | Operator::NotIn if values.is_empty() => {
            Some("for 'in', 'notin' operators, values set can't be empty")
        }
        Operator::Equals | Operator::DoubleEquals | Operator::NotEquals if values.len() != 1 => {
            Some("exact-match compatibility requires one single value")
        }
        Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
            Some("values set must be empty for exists and does not exist")
        }
        Operator::GreaterThan | Operator::LessThan if values.len() != 1 => {
            Some("for 'Gt', 'Lt' operators, exactly one value is required")
        }
        _ => None,
    };
    if let Some(detail) = count_error {
        errors.push(format!("values: Invalid value: {}: {detail}", go_string_slice(values)));
    }
    if matches!(operator, Operator::GreaterThan | Operator::LessThan) {
        for (i, value) in values.iter().enumerate() {
            if value.parse::<i64>().is_err() {
                errors.push(format!(
                    "values[{i}]: Invalid value: {}: for 'Gt', 'Lt' operators, the value must be an integer",
                    go_quote(value)
                ));
            }
        }
    }
    for (i, value) in values.iter().enumerate() {
        let problems = label_value_errors(value);
        if !problems.is_empty() {
            errors.push(format!("values[{i}][{key}]: Invalid value: {}: {}", go_quote(value), problems.join("; ")));
        }
    }
    errors
}

/// `validateLabelKey`: one error for a key that is not a qualified name, all its problems joined by `; `.
fn invalid_key(key: &str, field: &str) -> Option<String> {
    let problems = qualified_name_errors(key);
    (!problems.is_empty()).then(|| format!("{field}: Invalid value: {}: {}", go_quote(key), problems.join("; ")))
}

/// Go's `%#v` of a `[]string`, as `field.Invalid` prints a list of values: `[]string{"a", "b"}`.
fn go_string_slice(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| go_quote(v)).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

/// `ErrorList.ToAggregate().Error()`: repeated messages dropped, several as `[a, b]`.
fn aggregate(errors: &[String]) -> Option<String> {
    let mut distinct: Vec<&String> = Vec::new();
    for error in errors {
        if !distinct.contains(&error) {
            distinct.push(error);
        }
    }
    match distinct.as_slice() {
        [] => None,
        [one] => Some((*one).clone()),
        many => Some(format!("[{}]", many.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))),
    }
}

/// The lexer's tokens (`labels.Token`). Go's `ErrorToken` is never produced: every special character is a token on
/// its own, so a run of them always yields one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

/// The literal tokens, as `string2token` maps them.
fn keyword(text: &[u8]) -> Option<Token> {
    Some(match text {
        b")" => Token::ClosedPar,
        b"," => Token::Comma,
        b"!" => Token::DoesNotExist,
        b"==" => Token::DoubleEquals,
        b"=" => Token::Equals,
        b">" => Token::GreaterThan,
        b"in" => Token::In,
        b"<" => Token::LessThan,
        b"!=" => Token::NotEquals,
        b"notin" => Token::NotIn,
        b"(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(b: u8) -> bool {
    matches!(b, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// `labels.Lexer`, over bytes as Go's is. A NUL byte reads as the end of input, as Go's `read` returns 0 there.
struct Lexer<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    fn read(&mut self) -> u8 {
        match self.input.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                b
            }
            None => 0,
        }
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    fn lex(&mut self) -> (Token, String) {
        let mut ch = self.read();
        while is_whitespace(ch) {
            ch = self.read();
        }
        if ch == 0 {
            return (Token::EndOfString, String::new());
        }
        self.unread();
        if is_special(ch) { self.scan_special() } else { self.scan_identifier() }
    }

    fn scan_identifier(&mut self) -> (Token, String) {
        let mut buffer = Vec::new();
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if is_special(ch) || is_whitespace(ch) {
                self.unread();
                break;
            }
            buffer.push(ch);
        }
        let token = keyword(&buffer).unwrap_or(Token::Identifier);
        (token, String::from_utf8_lossy(&buffer).into_owned())
    }

    /// The longest run of special characters that is a token: `!=` and `==` over `!` and `=`.
    fn scan_special(&mut self) -> (Token, String) {
        let mut buffer = Vec::new();
        let mut last: Option<(Token, usize)> = None;
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if !is_special(ch) {
                self.unread();
                break;
            }
            buffer.push(ch);
            if let Some(token) = keyword(&buffer) {
                last = Some((token, buffer.len()));
            } else if last.is_some() {
                self.unread();
                break;
            }
        }
        match last {
            Some((token, len)) => (token, String::from_utf8_lossy(&buffer[..len]).into_owned()),
            // Unreachable (every special character is a token), kept as Go words it.
            None => (Token::Identifier, String::from_utf8_lossy(&buffer).into_owned()),
        }
    }
}

/// Whether `in` and `notin` are operators (after a key) or plain identifiers (anywhere else).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

/// `labels.Parser`: the scanned tokens and a cursor.
struct Parser {
    items: Vec<(Token, String)>,
    position: usize,
}

impl Parser {
    fn new(text: &str) -> Parser {
        let mut lexer = Lexer { input: text.as_bytes(), pos: 0 };
        let mut items = Vec::new();
        loop {
            let item = lexer.lex();
            let end = item.0 == Token::EndOfString;
            items.push(item);
            if end {
                break;
            }
        }
        Parser { items, position: 0 }
    }

    fn lookahead(&self, context: Context) -> (Token, String) {
        let (token, literal) = self.items.get(self.position).cloned().unwrap_or((Token::EndOfString, String::new()));
        match (context, token) {
            (Context::Values, Token::In | Token::NotIn) => (Token::Identifier, literal),
            _ => (token, literal),
        }
    }

    fn consume(&mut self, context: Context) -> (Token, String) {
        let item = self.lookahead(context);
        self.position += 1;
        item
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut requirements = Vec::new();
        loop {
            let (token, literal) = self.lookahead(Context::Values);
            match token {
                Token::Identifier | Token::DoesNotExist => {
                    requirements.push(self.parse_requirement().map_err(SelectorError::Requirement)?);
                    let (token, literal) = self.consume(Context::Values);
                    match token {
                        Token::EndOfString => return Ok(requirements),
                        Token::Comma => {
                            let (next, literal) = self.lookahead(Context::Values);
                            if next != Token::Identifier && next != Token::DoesNotExist {
                                return Err(syntax(format!("found '{literal}', expected: identifier after ','")));
                            }
                        }
                        _ => return Err(syntax(format!("found '{literal}', expected: ',' or 'end of string'"))),
                    }
                }
                Token::EndOfString => return Ok(requirements),
                _ => return Err(syntax(format!("found '{literal}', expected: !, identifier, or 'end of string'"))),
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let (key, operator) = self.parse_key_and_infer_operator()?;
        if let Some(operator) = operator {
            return checked_requirement(key, operator, Vec::new());
        }
        let operator = self.parse_operator()?;
        let values = match operator {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        checked_requirement(key, operator, values)
    }

    /// The key, with `DoesNotExist` for a leading `!` and `Exists` when nothing follows the key.
    fn parse_key_and_infer_operator(&mut self) -> Result<(String, Option<Operator>), String> {
        let mut operator = None;
        let (mut token, mut literal) = self.consume(Context::Values);
        if token == Token::DoesNotExist {
            operator = Some(Operator::DoesNotExist);
            (token, literal) = self.consume(Context::Values);
        }
        if token != Token::Identifier {
            return Err(format!("found '{literal}', expected: identifier"));
        }
        if let Some(error) = invalid_key(&literal, "<nil>") {
            return Err(error);
        }
        let (next, _) = self.lookahead(Context::Values);
        if matches!(next, Token::EndOfString | Token::Comma) && operator.is_none() {
            operator = Some(Operator::Exists);
        }
        Ok((literal, operator))
    }

    fn parse_operator(&mut self) -> Result<Operator, String> {
        let (token, literal) = self.consume(Context::KeyAndOperator);
        Ok(match token {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => return Err(format!("found '{literal}', expected: in, notin, =, ==, !=, gt, lt")),
        })
    }

    /// `(a,b)`, where empty items are the empty value: `()` is `{""}`, `(a,)` is `{"", a}`.
    fn parse_values(&mut self) -> Result<Vec<String>, String> {
        let (token, literal) = self.consume(Context::Values);
        if token != Token::OpenPar {
            return Err(format!("found '{literal}' expected: '('"));
        }
        let (token, literal) = self.lookahead(Context::Values);
        match token {
            Token::Identifier | Token::Comma => {
                let values = self.parse_identifiers_list()?;
                if self.consume(Context::Values).0 != Token::ClosedPar {
                    // Go reports the token after '(' here, not the one it found.
                    return Err(format!("found '{literal}', expected: ')'"));
                }
                Ok(values)
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                Ok(vec![String::new()])
            }
            _ => Err(format!("found '{literal}', expected: ',', ')' or identifier")),
        }
    }

    fn parse_identifiers_list(&mut self) -> Result<Vec<String>, String> {
        let mut values: Vec<String> = Vec::new();
        loop {
            let (token, literal) = self.consume(Context::Values);
            match token {
                Token::Identifier => {
                    values.push(literal);
                    let (next, literal) = self.lookahead(Context::Values);
                    match next {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(values),
                        _ => return Err(format!("found '{literal}', expected: ',' or ')'")),
                    }
                }
                Token::Comma => {
                    if values.is_empty() {
                        values.push(String::new());
                    }
                    let (next, _) = self.lookahead(Context::Values);
                    if next == Token::ClosedPar {
                        values.push(String::new());
                        return Ok(values);
                    }
                    if next == Token::Comma {
                        values.push(String::new());
                    }
                }
                _ => return Err(format!("found '{literal}', expected: ',', or identifier")),
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<Vec<String>, String> {
        let (token, _) = self.lookahead(Context::Values);
        if matches!(token, Token::EndOfString | Token::Comma) {
            return Ok(vec![String::new()]);
        }
        let (token, literal) = self.consume(Context::Values);
        if token == Token::Identifier {
            return Ok(vec![literal]);
        }
        Err(format!("found '{literal}', expected: identifier"))
    }
}

fn syntax(message: String) -> SelectorError {
    SelectorError::Syntax(message)
}

/// `NewRequirement` as the parser calls it: values made a sorted set, then validated.
fn checked_requirement(key: String, operator: Operator, values: Vec<String>) -> Result<Requirement, String> {
    let mut values = values;
    values.sort();
    values.dedup();
    match aggregate(&requirement_errors(&key, operator, &values, "key")) {
        Some(message) => Err(message),
        None => Ok(Requirement { key, operator, values }),
    }
}

#[cfg(test)]
mod tests;
