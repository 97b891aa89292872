//! Label selectors: `matchLabels` and `matchExpressions` (In, NotIn, Exists, DoesNotExist), validated once, matched often.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// A set of labels on a pod or namespace.
pub type Labels = BTreeMap<String, String>;

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Requirement {
    /// `key=value` (from `matchLabels`) or `key in (v1,v2)`.
    In { key: String, values: Vec<String> },
    /// `key notin (v1,v2)`: also true when the key is absent.
    NotIn { key: String, values: Vec<String> },
    /// `key`: the label is present, whatever its value.
    Exists { key: String },
    /// `!key`: the label is absent.
    DoesNotExist { key: String },
}

impl Requirement {
    /// The label key the requirement is about.
    pub fn key(&self) -> &str {
        match self {
            Requirement::In { key, .. }
            | Requirement::NotIn { key, .. }
            | Requirement::Exists { key }
            | Requirement::DoesNotExist { key } => key,
        }
    }

    fn matches(&self, labels: &Labels) -> bool {
        match self {
            Requirement::In { key, values } => labels.get(key).is_some_and(|v| values.contains(v)),
            Requirement::NotIn { key, values } => labels.get(key).is_none_or(|v| !values.contains(v)),
            Requirement::Exists { key } => labels.contains_key(key),
            Requirement::DoesNotExist { key } => !labels.contains_key(key),
        }
    }
}

/// A validated label selector. The empty selector matches everything, as in NetworkPolicy `podSelector: {}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

/// Why a `LabelSelector` could not be turned into a [`Selector`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// `matchExpressions[i].operator` is not one of In, NotIn, Exists, DoesNotExist.
    #[error("matchExpressions[{index}].operator: Invalid value: {operator:?}: not a valid selector operator")]
    UnknownOperator { index: usize, operator: String },
}

impl Selector {
    /// The selector that matches every set of labels.
    pub fn everything() -> Selector {
        Selector::default()
    }

    /// A selector of equality requirements only, as a Service's `spec.selector` is.
    pub fn from_map(labels: &BTreeMap<String, String>) -> Selector {
        let requirements = labels
            .iter()
            .map(|(key, value)| Requirement::In { key: key.clone(), values: vec![value.clone()] })
            .collect();
        Selector::normalized(requirements)
    }

    /// Converts an API `LabelSelector`; `matchLabels` and `matchExpressions` are ANDed.
    pub fn from_label_selector(selector: &LabelSelector) -> Result<Selector, SelectorError> {
        let mut requirements = Vec::new();
        for (key, value) in selector.match_labels.iter().flatten() {
            requirements.push(Requirement::In { key: key.clone(), values: vec![value.clone()] });
        }
        for (index, expression) in selector.match_expressions.iter().flatten().enumerate() {
            let key = expression.key.clone();
            let mut values = expression.values.clone().unwrap_or_default();
            values.sort();
            values.dedup();
            requirements.push(match expression.operator.as_str() {
                "In" => Requirement::In { key, values },
                "NotIn" => Requirement::NotIn { key, values },
                "Exists" => Requirement::Exists { key },
                "DoesNotExist" => Requirement::DoesNotExist { key },
                other => {
                    return Err(SelectorError::UnknownOperator { index, operator: other.to_owned() });
                }
            });
        }
        Ok(Selector::normalized(requirements))
    }

    fn normalized(mut requirements: Vec<Requirement>) -> Selector {
        // Sorted by key as apimachinery prints them, so equal selectors compare and print equal.
        requirements.sort_by(|a, b| a.key().cmp(b.key()).then_with(|| a.cmp(b)));
        requirements.dedup();
        Selector { requirements }
    }

    /// Whether the selector is empty and so matches everything.
    pub fn is_everything(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }
}

/// Formats like `kubectl describe` does: `app=backend,tier in (api,web),!legacy`; `<none>` for the empty selector.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.requirements.is_empty() {
            return f.write_str("<none>");
        }
        for (index, requirement) in self.requirements.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            match requirement {
                Requirement::In { key, values } if values.len() == 1 => write!(f, "{key}={}", values[0])?,
                Requirement::In { key, values } => write!(f, "{key} in ({})", values.join(","))?,
                Requirement::NotIn { key, values } => write!(f, "{key} notin ({})", values.join(","))?,
                Requirement::Exists { key } => write!(f, "{key}")?,
                Requirement::DoesNotExist { key } => write!(f, "!{key}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;
    use proptest::prelude::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn expr(key: &str, operator: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: operator.into(),
            values: Some(values.iter().map(|v| v.to_string()).collect()),
        }
    }

    #[test]
    fn expressions_follow_kubernetes_semantics() {
        let selector = Selector::from_label_selector(&LabelSelector {
            match_labels: Some([("app".to_string(), "web".to_string())].into()),
            match_expressions: Some(vec![
                expr("tier", "In", &["a", "b"]),
                expr("env", "NotIn", &["prod"]),
                expr("team", "Exists", &[]),
                expr("legacy", "DoesNotExist", &[]),
            ]),
        })
        .unwrap();
        assert_eq!(selector.to_string(), "app=web,env notin (prod),!legacy,team,tier in (a,b)");
        assert!(selector.matches(&labels(&[("app", "web"), ("tier", "a"), ("team", "x")])));
        // NotIn is satisfied by an absent key, and violated by a listed value.
        assert!(!selector.matches(&labels(&[("app", "web"), ("tier", "a"), ("team", "x"), ("env", "prod")])));
        assert!(!selector.matches(&labels(&[("app", "web"), ("tier", "c"), ("team", "x")])));
        assert!(!selector.matches(&labels(&[("app", "web"), ("tier", "a"), ("team", "x"), ("legacy", "")])));
        assert!(!selector.matches(&labels(&[("app", "web"), ("tier", "a")])));
    }

    #[test]
    fn unknown_operator_is_an_error() {
        let error = Selector::from_label_selector(&LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![expr("a", "Like", &["x"])]),
        })
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "matchExpressions[0].operator: Invalid value: \"Like\": not a valid selector operator"
        );
    }

    fn arb_labels() -> impl Strategy<Value = Labels> {
        proptest::collection::btree_map("[abc]", "[xyz]", 0..3)
    }

    proptest! {
        #[test]
        fn empty_selector_matches_everything(l in arb_labels()) {
            prop_assert!(Selector::everything().matches(&l));
        }

        #[test]
        fn match_labels_is_subset_test(sel in arb_labels(), l in arb_labels()) {
            let expected = sel.iter().all(|(k, v)| l.get(k) == Some(v));
            prop_assert_eq!(Selector::from_map(&sel).matches(&l), expected);
        }

        #[test]
        fn in_and_notin_are_complements_when_key_present(key in "[abc]", values in proptest::collection::vec("[xyz]", 1..3), l in arb_labels()) {
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            let sel = |op| Selector::from_label_selector(&LabelSelector { match_labels: None, match_expressions: Some(vec![expr(&key, op, &values)]) }).unwrap();
            let present = l.contains_key(&key);
            prop_assert_eq!(sel("In").matches(&l) || sel("NotIn").matches(&l), true);
            prop_assert_eq!(sel("In").matches(&l) && sel("NotIn").matches(&l), false);
            prop_assert_eq!(sel("Exists").matches(&l), present);
            prop_assert_eq!(sel("DoesNotExist").matches(&l), !present);
        }
    }
}
